import atexit
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .forked_soc import ForkedSoc

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


_FORKED = ForkedSoc()
atexit.register(_FORKED.close)


def soc(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the `soc` command as a user would, `python -m soc ARGS` in `cwd` (with the
    environment `env`, else this process's), in a fork of an interpreter that has
    imported soc already (see forked_soc)."""
    return _FORKED.run(list(args), cwd, env)


def soc_fresh(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m soc ARGS` in a new interpreter, which imports everything itself."""
    return subprocess.run(
        [sys.executable, "-m", "soc", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="session")
def quickstart_process(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`soc run` of the quickstart, once a session, in a new interpreter: what it
    printed, and its folder."""
    out = tmp_path_factory.mktemp("runs") / "quickstart"
    result = soc_fresh("run", str(QUICKSTART), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out


@pytest.fixture(scope="session")
def quickstart_run(quickstart_process) -> Path:
    return quickstart_process[1]


@pytest.fixture(scope="session")
def summary(quickstart_run) -> dict:
    return json.loads((quickstart_run / "summary.json").read_text())
