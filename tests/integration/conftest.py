import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def soc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the `soc` command as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "soc", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="session")
def quickstart_process(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`soc run` of the quickstart, once a session: what it printed, and its folder."""
    out = tmp_path_factory.mktemp("runs") / "quickstart"
    result = soc("run", str(QUICKSTART), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out


@pytest.fixture(scope="session")
def quickstart_run(quickstart_process) -> Path:
    return quickstart_process[1]


@pytest.fixture(scope="session")
def summary(quickstart_run) -> dict:
    return json.loads((quickstart_run / "summary.json").read_text())
