"""`soc validate` reports a scenario's rounds per frame, however the rounds are batched."""

import re
from pathlib import Path

from typer.testing import CliRunner

from soc.cli.main import app
from soc.config import load_scenario
from soc.plan import plan_workload

QUICKSTART = Path(__file__).resolve().parents[3] / "scenarios" / "quickstart.yaml"


def rounds_reported(*overrides: str) -> tuple[int, int]:
    """(layers, rounds per frame) as `soc validate` prints them."""
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = CliRunner().invoke(app, ["validate", str(QUICKSTART), *sets])
    assert result.exit_code == 0, result.output
    found = re.search(r"(\d+) layers, ([\d,]+) rounds per frame", result.output)
    assert found, result.output
    return int(found[1]), int(found[2].replace(",", ""))


def test_batched_rounds_are_counted_as_rounds(tmp_path, monkeypatch):
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(tmp_path))
    plans = plan_workload(load_scenario(QUICKSTART)).plans  # round_batch 1: a row is a round
    expected = sum(len(plan.rounds) for plan in plans)
    assert rounds_reported() == (len(plans), expected)
    batched = plan_workload(load_scenario(QUICKSTART, ["soc.flexnn.round_batch=8"])).plans
    assert sum(len(plan.rounds) for plan in batched) < expected  # rows are batches now
    assert rounds_reported("soc.flexnn.round_batch=8") == (len(plans), expected)


def test_validate_prints_how_a_model_was_read(tmp_path):
    csv = Path(__file__).resolve().parents[2] / "unit/workloads/data/scalesim/alexnet.csv"
    for padding, noted in (("", True), ("\n  padding: same", False)):
        scenario = tmp_path / "s.yaml"
        scenario.write_text(f"name: s\nworkload:\n  model: 'scalesim:{csv}'{padding}\n")
        result = CliRunner().invoke(app, ["validate", str(scenario)])
        assert result.exit_code == 0, result.output
        assert ("note: SCALE-Sim topology without padding" in result.output) is noted
