"""`soc` commands for the tests, each in a fork of one interpreter that has imported
soc's modules once, instead of in a new interpreter that imports them again.

Started as a script (`python forked_soc.py`), this file is the server: it imports what
`soc` commands import, then for every request on its stdin (a JSON line: arguments,
working directory, environment, output files) forks a child. The child sets up what a
new `python -m soc ARGS` process would have (the environment, the directory, its
arguments, stdin from /dev/null, stdout and stderr to the files), runs `soc`'s main
module and exits with the code such a process would exit with. The server answers with
that code. The server itself never runs a command, so every child starts from the same
state: modules imported, nothing configured.

What a child does not do that a new interpreter would: import the modules, and read the
environment at start-up (the hash seed, PYTHON* variables). Tests that depend on either
start their own interpreter (`subprocess.run([sys.executable, "-m", "soc", ...])`).

`ForkedSoc.run` is the client. Without `os.fork` (not POSIX) it starts new interpreters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

# What `soc` commands import (run, map, replay, report, sweep and their outputs).
PRELOAD = (
    "soc.cli.main",
    "soc.config",
    "soc.runner",
    "soc.runner.run",
    "soc.assemble.build",
    "soc.report",
    "soc.report.plots",
    "soc.sweeps",
    "soc.workloads.onnx_import",
)


def _exit_code(exc: SystemExit) -> int:
    """The status a Python process exits with after raising `exc` uncaught."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _child(request: dict) -> None:
    """Become `python -m soc ARGS` as the request describes; never returns."""
    import atexit
    import runpy
    import traceback

    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the server ignores it
        write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], write),
            (2, request["stderr"], write),
        ):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # new text streams on fds 0-2, in the locale's encoding as a new interpreter's
        # (and as `text=True` reads them); stderr line-buffered
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.argv = ["soc", *request["args"]]  # run_module sets argv[0] as `-m` does
        sys.path[0] = request["cwd"]  # `-m` puts the working directory first
        try:
            runpy.run_module("soc", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:  # what the interpreter prints for an uncaught exception
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # the set-up failed: say why where stderr goes
        os.write(2, traceback.format_exc().encode())
    finally:
        os._exit(code)


def serve() -> None:
    """The server's loop: one JSON request per stdin line, one exit code per stdout line."""
    import importlib

    # Ctrl-C of the test run reaches the children (each handles it as `soc` does); the
    # server ends when its client closes its stdin
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path[0] = os.getcwd()  # the repository, first, as `python -m soc` run there has it
    for name in PRELOAD:
        importlib.import_module(name)
    requests = sys.stdin.buffer
    answers = sys.stdout.buffer
    answers.write(b"ready\n")
    answers.flush()
    for line in requests:
        request = json.loads(line)
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads (numpy's BLAS pool) forks;
            # the child has one thread, as under multiprocessing's fork start method
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            _child(request)
        _, status = os.waitpid(pid, 0)
        answers.write(b"%d\n" % os.waitstatus_to_exitcode(status))
        answers.flush()


class ForkedSoc:
    """Runs `soc` commands through one server process (started at the first command)."""

    def __init__(self) -> None:
        self._server: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        server = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        if server.stdout.readline() != b"ready\n":
            raise RuntimeError("the forked-soc server did not start")
        return server

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """What `subprocess.run([python, -m, soc, *args], capture_output=True,
        text=True, cwd=cwd, env=env)` returns."""
        argv = [sys.executable, "-m", "soc", *args]
        env = dict(os.environ) if env is None else env
        if not hasattr(os, "fork"):
            return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env)
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            if self._server is None or self._server.poll() is not None:
                self._server = self._start()
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {
                "args": list(args),
                "cwd": os.path.abspath(cwd),
                "env": env,
                "stdout": str(out),
                "stderr": str(err),
            }
            self._server.stdin.write(json.dumps(request).encode() + b"\n")
            self._server.stdin.flush()
            answer = self._server.stdout.readline()
            if not answer:
                self._server = None
                raise RuntimeError("the forked-soc server died")
            return subprocess.CompletedProcess(
                argv,
                int(answer),
                out.read_text() if out.exists() else "",  # the locale's encoding, as
                err.read_text() if err.exists() else "",  # `text=True` reads
            )

    def close(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.stdin.close()
            self._server.wait()
        self._server = None


if __name__ == "__main__":
    serve()
