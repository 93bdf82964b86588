"""A long run writes its trace files in a child process (soc.trace.offload): the files
must be the very bytes the simulating process writes itself, and an interrupted run
must leave neither files nor the child behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import soc.runner.writers as writers
from soc.config import load_scenario
from soc.runner import run_scenario

from .conftest import QUICKSTART, ROOT

TRACE_FILES = (
    "trace.json",
    "trace.pftrace",
    "trace/spans.parquet",
    "trace/activity.parquet",
    "trace/samples.parquet",
    "trace/counters.parquet",
    "trace/instants.parquet",
    "summary.json",
)


def test_a_run_with_the_worker_writes_the_same_bytes(tmp_path, monkeypatch):
    config = load_scenario(QUICKSTART, ["run.trace_level=request", "run.plots=false"])
    monkeypatch.setattr(writers, "HELPER_EVENTS", float("inf"))
    run_scenario(config, tmp_path / "inline")
    monkeypatch.setattr(writers, "HELPER_EVENTS", 0)
    monkeypatch.setattr(writers, "usable_cores", lambda: 2)  # helpers even on one core
    run_scenario(config, tmp_path / "worker")
    for name in TRACE_FILES:
        inline = (tmp_path / "inline" / name).read_bytes()
        assert len(inline) > 100, name
        assert (tmp_path / "worker" / name).read_bytes() == inline, name


# `soc run` with every run's trace files written by the worker
WORKER_RUN = (
    "import sys; import soc.runner.writers as w; w.HELPER_EVENTS = 0; "
    "w.usable_cores = lambda: 2; "
    "from soc.cli.main import main; sys.argv[0] = 'soc'; main()"
)


def _children_in(folder: Path) -> list[int]:
    """Processes working in `folder` (a trace worker runs in its parent's folder)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if Path(os.readlink(proc / "cwd")) == folder:
                    pids.append(int(proc.name))
            except OSError:  # gone, or not ours to read
                continue
    return pids


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="reads /proc")
def test_ctrl_c_stops_the_worker_and_leaves_nothing(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER_RUN, "run", str(QUICKSTART), "--out", "out"]
        + ["--set", "driver.frames=100"],  # long enough to be stopped in the middle
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while len(_children_in(tmp_path)) < 2:  # the run, and its worker
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.02)
    time.sleep(0.3)  # inside the simulation
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr == "error: interrupted by SIGINT; no output was written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert _children_in(tmp_path) == []
