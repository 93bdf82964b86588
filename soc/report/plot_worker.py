"""A run's plots drawn by a child process that gets matplotlib ready while the run goes on.

Loading matplotlib costs about half as much as drawing a run's four plots. `PlotWorker`
starts a fresh interpreter when the run starts; it loads `soc.report.plots` on the
other core while the simulation runs, then waits for the summary. Once the run hands
it over (`draw`), the plots are drawn there while the run writes its other files.

The worker never changes what a run writes: the child runs `write_plots`, the same
function on the same summary. If the child cannot be started or fails, `finish` draws
the plots in this process instead, so an error in drawing is raised here, as it would
be without the worker.

Life cycle: `PlotWorker()` when the run starts; `draw(summary, out_dir)` once (returns
at once); `finish()` waits for the files; `abort()` stops the child (a failed run).
The child runs in a session of its own, so Ctrl-C reaches the parent only, which
stops it; a child whose parent is gone ends when its input does.
"""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
from pathlib import Path


class PlotWorker:
    """Draws `write_plots(summary, out_dir)` in a child process (see the module doc)."""

    def __init__(self) -> None:
        self._job: tuple[dict, Path] | None = None
        try:
            self._process: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-c", "from soc.report.plot_worker import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a failure is drawn again, and raised, here
                start_new_session=True,  # Ctrl-C in a terminal is the parent's
            )
        except OSError:
            self._process = None

    def draw(self, summary: dict, out_dir: Path) -> None:
        """Hand the finished run's summary over; the plots go to `out_dir`."""
        self._job = (summary, out_dir)
        process = self._process
        if process is None:
            return
        try:
            pickle.dump((summary, out_dir), process.stdin, pickle.HIGHEST_PROTOCOL)
            process.stdin.close()
        except (BrokenPipeError, ConnectionResetError, pickle.PicklingError):
            self.abort()  # `finish` draws them here

    def finish(self) -> list[Path]:
        """Wait for the plots; return the files written. Draws them in this process if
        the child did not."""
        if self._job is None:
            raise RuntimeError("PlotWorker.finish before draw")
        summary, out_dir = self._job
        process, self._process = self._process, None
        if process is not None:
            answer = process.stdout.read()
            process.stdout.close()
            if process.wait() == 0 and answer:
                return pickle.loads(answer)
        from soc.report.plots import write_plots

        return write_plots(summary, out_dir)

    def abort(self) -> None:
        """Stop the child at once (its plots, if any, are not wanted)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(BrokenPipeError):
                pipe.close()


def serve() -> None:
    """The child: load matplotlib, wait for the summary, draw, answer the files."""
    reply = sys.stdout.buffer
    sys.stdout = sys.stderr  # the answer owns the real standard output
    from soc.report import plots

    try:
        summary, out_dir = pickle.load(sys.stdin.buffer)
    except EOFError:  # the parent gave up (or is gone): nothing to draw
        return
    paths = plots.write_plots(summary, out_dir)
    reply.write(pickle.dumps(paths))
    reply.flush()
