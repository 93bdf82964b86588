"""Which process writes a run's trace files: the run itself, unless the run is long and
may use helpers (soc.runner.writers)."""

from pathlib import Path

import pytest

import soc.runner.writers as writers
from soc.config import load_scenario
from soc.plan.pipelines import plan_scenario
from soc.trace import ChromeTraceSink, NativeTraceSink
from soc.trace.offload import TraceWorker
from soc.trace.perfetto import PerfettoTraceSink

QUICKSTART = Path(__file__).resolve().parents[3] / "scenarios" / "quickstart.yaml"


IN_PROCESS = [ChromeTraceSink, NativeTraceSink, PerfettoTraceSink]


def long_runs(monkeypatch, cores: int) -> None:
    """Every run counts as long, on a machine of `cores` usable cores."""
    monkeypatch.setattr(writers, "HELPER_EVENTS", 0)
    monkeypatch.setattr(writers, "usable_cores", lambda: cores)


@pytest.fixture(scope="module")
def quickstart():
    config = load_scenario(QUICKSTART)
    return config, plan_scenario(config)


def test_a_short_run_writes_its_traces_itself(quickstart, tmp_path):
    config, compiled = quickstart  # about 42 k estimated events
    run = writers.RunWriters(config, compiled, tmp_path)
    assert [type(s) for s in run.sinks] == IN_PROCESS


def test_a_long_run_hands_them_to_one_worker_unless_told_not_to(quickstart, tmp_path, monkeypatch):
    config, compiled = quickstart
    long_runs(monkeypatch, cores=2)
    alone = writers.RunWriters(config, compiled, tmp_path / "a", helpers=False)
    assert [type(s) for s in alone.sinks] == IN_PROCESS
    helped = writers.RunWriters(config, compiled, tmp_path / "b")
    try:
        assert [type(s) for s in helped.sinks] == [TraceWorker]
    finally:
        helped.abort()


def test_only_the_files_asked_for(quickstart, tmp_path):
    config, _ = quickstart
    config = config.model_copy(
        update={"run": config.run.model_copy(update={"chrome_trace": False})}
    )
    assert [cls for cls, _ in writers.trace_files(config, tmp_path)] == [
        NativeTraceSink,
        PerfettoTraceSink,
    ]


def test_no_helpers_on_one_core(quickstart, tmp_path, monkeypatch):
    config, compiled = quickstart
    long_runs(monkeypatch, cores=1)
    run = writers.RunWriters(config, compiled, tmp_path)
    assert [type(s) for s in run.sinks] == IN_PROCESS


def test_a_trace_writer_that_cannot_start_stops_the_plotter(quickstart, tmp_path, monkeypatch):
    config, compiled = quickstart
    long_runs(monkeypatch, cores=2)
    stopped = []

    class Plotter:
        def abort(self):
            stopped.append(True)

    def no_trace_writer(files):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(writers, "PlotWorker", Plotter)
    monkeypatch.setattr(writers, "TraceWorker", no_trace_writer)
    with pytest.raises(OSError, match="Too many open files"):
        writers.RunWriters(config, compiled, tmp_path)
    assert stopped == [True]
