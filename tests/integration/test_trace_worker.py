"""A long run writes its trace files in a child process (soc.trace.offload): the files
must be the very bytes the simulating process writes itself, and an interrupted run
must leave neither files nor the child behind."""

import os
import signal
import subprocess
import sys
import time

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


# `soc run` with every run's files written by helpers, whose process ids it writes to
# the file $PIDS, a line each
WORKER_RUN = """
import os, sys
import soc.report.plot_worker as plot_worker, soc.runner.writers as w, soc.trace.offload as offload
from soc.helper_process import start_helper

def noted(*args):
    process = start_helper(*args)
    with open(os.environ["PIDS"], "a") as pids:
        pids.write(f"{process.pid}\\n")
    return process

w.HELPER_EVENTS = 0
w.usable_cores = lambda: 2
offload.start_helper = plot_worker.start_helper = noted
from soc.cli.main import main
sys.argv[0] = "soc"
main()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_the_helpers_and_leaves_nothing(tmp_path):
    home, pids = tmp_path / "home", tmp_path / "pids"
    home.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER_RUN, "run", str(QUICKSTART), "--out", "out"]
        + ["--set", "driver.frames=100"],  # long enough to be stopped in the middle
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PIDS": str(pids)},
    )
    deadline = time.monotonic() + 60
    while not pids.exists() or len(pids.read_text().split()) < 2:  # plotter, trace writer
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the helpers never started"
        time.sleep(0.02)
    helpers = [int(pid) for pid in pids.read_text().split()]
    assert all(_alive(pid) for pid in helpers)
    time.sleep(0.3)  # inside the simulation
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr == "error: interrupted by SIGINT; no output was written\n"
    assert sorted(p.name for p in home.iterdir()) == []
    assert not any(_alive(pid) for pid in helpers)
