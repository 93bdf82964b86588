"""A run's plots drawn by a child process that gets matplotlib ready while the run goes on.

Loading matplotlib costs about half as much as drawing a run's four plots. `PlotWorker`
starts a fresh interpreter when the run starts; it loads `soc.report.plots` on the
other core while the simulation runs, then waits for the summary. Once the run hands
it over (`draw`), the simulation is over, so the child forks (where the system can) and
draws half of the plots in the copy, with matplotlib already loaded in both, while the
run writes its other files. A second child started with the run was slower: its start
(loading matplotlib again) slowed the simulation more than drawing two plots at once
saved (ResNet-50 bench run: 13.0 s against 14.3 s, medians of 4).

The worker never changes what a run writes: the child runs `write_plots`, the same
function on the same summary (each figure depends only on the summary). If the child
cannot be started or fails, `finish` draws the plots in this process instead, so an
error in drawing is raised here, as it would be without the worker.

Life cycle: `PlotWorker()` when the run starts; `draw(summary, out_dir)` once (returns
at once); `finish()` waits for the files; `abort()` stops the child and its copy (a
failed run). The child is a helper process (`soc.helper_process`): Ctrl-C reaches the
parent only, which stops it; a child whose parent is gone ends when its input does.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from soc.helper_process import start_helper, stop_helper

PLOT_FILES = ("layers.png", "energy.png", "dram_bandwidth.png", "power.png")
"""The plots of `soc.report.plots.PLOTS`, in its order (named here: this module does not
load matplotlib)."""


class PlotWorker:
    """Draws `write_plots(summary, out_dir)` in a child process (see the module doc)."""

    def __init__(self) -> None:
        self._job: tuple[dict, Path] | None = None
        try:  # no stderr: a failure is drawn again, and raised, here
            self._process: subprocess.Popen | None = start_helper("soc.report.plot_worker")
        except OSError:
            self._process = None

    def draw(self, summary: dict, out_dir: Path) -> None:
        """Hand the finished run's summary over; the plots go to `out_dir`."""
        self._job = (summary, out_dir)
        process = self._process
        if process is None:
            return
        try:
            pickle.dump((summary, out_dir, PLOT_FILES), process.stdin, pickle.HIGHEST_PROTOCOL)
            process.stdin.close()
        except (BrokenPipeError, ConnectionResetError, pickle.PicklingError):
            stop_helper(process)
            self._process = None  # `finish` draws them here

    def finish(self) -> list[Path]:
        """Wait for the plots; return the files written (in the order `write_plots`
        writes them). Draws them in this process if the child did not."""
        if self._job is None:
            raise RuntimeError("PlotWorker.finish before draw")
        summary, out_dir = self._job
        process, self._process = self._process, None
        if process is not None:
            answer = process.stdout.read()
            process.stdout.close()
            if process.wait() == 0 and answer:
                order = {name: k for k, name in enumerate(PLOT_FILES)}
                return sorted(pickle.loads(answer), key=lambda path: order[path.name])
        from soc.report.plots import write_plots

        return write_plots(summary, out_dir, PLOT_FILES)

    def abort(self) -> None:
        """Stop the child at once (its plots, if any, are not wanted)."""
        process, self._process = self._process, None
        if process is not None:
            stop_helper(process)


FORKED_HALF = ("layers.png", "dram_bandwidth.png")
"""The plots a child hands to a copy of itself (`os.fork`) once the summary is there:
the run's simulation is over then, so the two halves (about the same drawing time)
are drawn on both cores at once."""


def _draw_forked(plots_module, summary: dict, out_dir: Path, files: Sequence[str]) -> list[Path]:
    """`write_plots` of `files`, the `FORKED_HALF` of them in a forked copy of this
    process; a half the copy could not draw is drawn here (its error raised here)."""
    forked = [name for name in files if name in FORKED_HALF]
    mine = [name for name in files if name not in FORKED_HALF]
    pid = os.fork() if forked and mine and hasattr(os, "fork") else -1
    if pid == 0:  # the copy: draw, exit without running this process's exit handlers
        status = 1
        try:
            plots_module.write_plots(summary, out_dir, forked)
            status = 0
        finally:
            os._exit(status)
    drawn = plots_module.write_plots(summary, out_dir, mine if pid > 0 else files)
    if pid > 0:
        if os.waitpid(pid, 0)[1] == 0:
            drawn += [out_dir / name for name in forked]
        else:
            drawn += plots_module.write_plots(summary, out_dir, forked)
    return drawn


def serve() -> None:
    """The child: load matplotlib, wait for the summary, draw the plots, answer the files."""
    reply = sys.stdout.buffer
    sys.stdout = sys.stderr  # the answer owns the real standard output
    from soc.report import plots

    try:
        summary, out_dir, files = pickle.load(sys.stdin.buffer)
    except EOFError:  # the parent gave up (or is gone): nothing to draw
        return
    paths = _draw_forked(plots, summary, out_dir, files)
    reply.write(pickle.dumps(paths))
    reply.flush()
