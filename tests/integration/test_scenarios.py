"""Every scenario shipped in scenarios/ validates."""

from pathlib import Path

import pytest

from .conftest import ROOT, soc

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates(path: Path):
    result = soc("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
