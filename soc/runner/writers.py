"""What writes a run's files besides its summary: the trace sinks and the plots.

A short run writes them itself. A long one (`HELPER_EVENTS` estimated events and more)
hands them to helper processes that work on the other core beside the simulation: the
trace files are written as the records come (soc.trace.offload), the plots are drawn
by a process that loads matplotlib while the run goes on (soc.report.plot_worker).
Either way the files are the same bytes; only the wall time differs.
"""

from __future__ import annotations

import os
from pathlib import Path

from soc.config import ScenarioConfig
from soc.plan.estimate import estimate
from soc.plan.pipelines import ScenarioPlan
from soc.report.plot_worker import PlotWorker
from soc.trace import ChromeTraceSink, NativeTraceSink
from soc.trace.events import Sink
from soc.trace.offload import SinkSpec, TraceWorker
from soc.trace.perfetto import PerfettoTraceSink

HELPER_EVENTS = 300_000
"""Estimated events (soc.plan.estimate) from which a run's files are written by helper
processes: a run of a few seconds, where starting them (a fraction of a second each,
on the other core) costs less than the work they take off the simulation."""


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def trace_files(config: ScenarioConfig, folder: Path) -> list[SinkSpec]:
    """The trace files `config.run` asks for: each one's sink class and path."""
    files: list[SinkSpec] = []
    if config.run.chrome_trace:
        files.append((ChromeTraceSink, folder / "trace.json"))
    if config.run.native_trace:
        files.append((NativeTraceSink, folder / "trace"))  # one Parquet file per table
    if config.run.perfetto_trace:
        files.append((PerfettoTraceSink, folder / "trace.pftrace"))
    return files


class RunWriters:
    """The trace sinks and the plots of one run into `folder` (see the module doc),
    never in helper processes unless `helpers`.

    `sinks` go to the tracer; `plots(summary)` draws (or hands over) the plots once the
    summary is known; `finish` waits for every helper and raises what stopped one;
    `abort` stops them (a run that failed or was interrupted)."""

    def __init__(
        self, config: ScenarioConfig, compiled: ScenarioPlan, folder: Path, helpers: bool = True
    ) -> None:
        self.folder = folder
        self._plots = config.run.plots
        helpers = helpers and usable_cores() > 1  # one core: a helper only adds work
        long_run = helpers and estimate(config, compiled).total_events >= HELPER_EVENTS
        files = trace_files(config, folder)
        self._trace: TraceWorker | None = None
        self._plotter: PlotWorker | None = None
        if self._plots and long_run:  # first: it loads matplotlib while the run goes on
            self._plotter = PlotWorker()
        try:
            if files and long_run:
                self._trace = TraceWorker(files)
                self.sinks: list[Sink] = [self._trace]
            else:
                self.sinks = [cls(path) for cls, path in files]
        except BaseException:  # nobody will wait for the plotter: stop it now
            self.abort()
            raise

    def plots(self, summary: dict[str, object]) -> None:
        if self._plotter is not None:
            self._plotter.draw(summary, self.folder / "plots")
        elif self._plots:
            from soc.report.plots import write_plots  # matplotlib loads only when plotting

            write_plots(summary, self.folder / "plots")

    def finish(self) -> None:
        trace, self._trace = self._trace, None
        if trace is not None:
            trace.finish()
        plotter, self._plotter = self._plotter, None
        if plotter is not None:
            plotter.finish()

    def abort(self) -> None:
        for helper in (self._trace, self._plotter):
            if helper is not None:
                helper.abort()
        self._trace = self._plotter = None
