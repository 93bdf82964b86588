"""Helper processes: fresh interpreters that work beside a run (its trace writer, its
plotter) and talk to it over their standard input and output.

A helper runs `python -c "from MODULE import serve; serve()"`: it shares nothing of the
parent's state and never runs the parent's main script again, so `soc.run()` from a
user's script without an `if __name__ == "__main__"` guard stays safe. It runs in a
session of its own, so Ctrl-C in a terminal reaches the parent only, which stops it;
a helper whose parent is gone ends when its input does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import IO


def start_helper(module: str, stderr: IO[bytes] | int = subprocess.DEVNULL) -> subprocess.Popen:
    """Start `module`'s `serve()` in a helper process, its input and output piped."""
    return subprocess.Popen(
        [sys.executable, "-c", f"from {module} import serve; serve()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )


def stop_helper(process: subprocess.Popen) -> None:
    """Stop a helper at once, with any process it forked (its session's process group),
    and wait for it (its pipes closed, whatever it had left to read)."""
    if process.poll() is None:  # not yet waited for: its id still names its group
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the helper leads its own group
        except (AttributeError, ProcessLookupError, PermissionError):  # no groups, or gone
            process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        with contextlib.suppress(BrokenPipeError):
            pipe.close()
