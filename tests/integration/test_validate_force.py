"""`soc validate` refuses a scenario whose estimated cost is far beyond its intent (one
line per setting, exit 2) unless --force, which warns and accepts; no scenario or sweep
point shipped in scenarios/ is refused (tests/integration/test_scenarios.py validates
every scenario file; the sweeps' points are checked here)."""

import json
from pathlib import Path

import pytest

from soc.plan.estimate import check
from soc.plan.pipelines import plan_scenario
from soc.sweeps.spec import expand, read_spec

from .conftest import QUICKSTART, ROOT, soc

SLOW_CPU = ("--set", "soc.cpu.freq_hz=1 Hz")


def test_a_clock_a_billion_times_too_slow_is_refused():
    result = soc("validate", str(QUICKSTART), *SLOW_CPU)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {QUICKSTART}: soc.cpu.freq_hz: 1 Hz makes a frame take")
    assert "--force" in lines[-1] and len(lines) == 2
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_force_warns_and_accepts():
    result = soc("validate", str(QUICKSTART), *SLOW_CPU, "--force")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"warning: {QUICKSTART}: soc.cpu.freq_hz: 1 Hz ")
    assert result.stdout.startswith("ok: quickstart:")


def test_a_one_picosecond_window_is_refused():
    result = soc("validate", str(QUICKSTART), "--set", "run.timeline_window_ps=1 ps")
    assert result.returncode == 2
    assert "run.timeline_window_ps: 1 ps gives" in result.stderr
    assert "timeline windows" in result.stderr


SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem == "npu_size" else p for p in SWEEPS],
    ids=lambda p: p.stem,
)
def test_no_sweep_point_is_refused(path: Path):
    spec = read_spec(path)
    for point in expand(spec, path.parent / spec.base, str(path)):
        assert check(point.config, plan_scenario(point.config)) == [], point.overrides


def test_soc_run_refuses_as_validate_does_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    result = soc("run", str(QUICKSTART), *SLOW_CPU, "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {QUICKSTART}: soc.cpu.freq_hz: 1 Hz makes a frame take")
    assert "--force" in lines[-1] and len(lines) == 2
    assert not out.exists() and result.stdout == ""


def test_soc_run_with_force_warns_and_runs_to_its_bound(tmp_path):
    """At 1 Hz the CPU's pre-processing of the first frame alone takes hours of simulated
    time: --force runs it anyway, and --max-sim bounds it (the run is written, marked
    incomplete, with no frame finished)."""
    out = tmp_path / "run"
    result = soc(
        "run", str(QUICKSTART), *SLOW_CPU, "--force", "--max-sim", "1 ms", "--out", str(out),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"warning: {QUICKSTART}: soc.cpu.freq_hz: 1 Hz ")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False and summary["frames"] == []
    assert summary["stopped"] == {"reason": "max_sim", "at_ps": 10**9}
