"""Trace files written beside the simulation, by a child process.

Writing the trace files (Chrome JSON, Perfetto protobuf, the native Parquet tables)
costs about a third of a long run's time when done between events. `TraceWorker` is a
sink that hands each batch of records to a child process, which runs the real sinks on
the other core while the simulation goes on: the same sinks, the same records in the
same order, so the same bytes. Only the sinks that write files go there; the statistics
and the energy ledger stay in the simulating process (the summary needs them).

A batch crosses as one pickled message. Spans, instants and counters travel as plain
tuples (pickling their event objects costs several times more) and are rebuilt on the
other side. The pipe holds less than a batch, so a child that falls behind slows the
simulation down rather than piling records up in memory.

The child is a helper process (`soc.helper_process`: a fresh interpreter in a session
of its own); starting it costs a fraction of a second on the other core, so the caller
uses a worker only for runs long enough to gain (`soc.runner.writers`).
"""

from __future__ import annotations

import contextlib
import errno
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from soc.helper_process import start_helper, stop_helper
from soc.trace.events import (
    COUNTER,
    INSTANT,
    SPAN,
    CounterEvent,
    InstantEvent,
    Record,
    Sink,
    SpanEvent,
)

SinkSpec = tuple[type[Sink], Path]
"""A file-writing sink as the child builds it: its class and the path it writes."""

_CLOSE = "close"


def flatten(records: Sequence[Record]) -> list[Record]:
    """`records` with every span, instant and counter as a plain tagged tuple."""
    return [record if record[0] < SPAN else (record[0], *record[1]) for record in records]


_EVENT_TYPES = {SPAN: SpanEvent, INSTANT: InstantEvent, COUNTER: CounterEvent}


def rebuild(flat: Sequence[Record]) -> list[Record]:
    """The records `flatten` was given."""
    types = _EVENT_TYPES
    return [
        record if record[0] < SPAN else (record[0], types[record[0]]._make(record[1:]))
        for record in flat
    ]


class TraceWorker(Sink):
    """Runs the sinks of `specs` in a child process (see the module doc).

    `close` sends the run's end and returns at once; `finish` waits for the child to
    close its files and raises what it raised, if anything; `abort` stops it (for a
    run that failed or was interrupted: its files are being discarded)."""

    def __init__(self, specs: Sequence[SinkSpec]) -> None:
        # the child's stderr, for a crash's reason; closed by `finish` or `abort`
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = start_helper("soc.trace.offload", self._errors)
        try:
            self._send(sys.path)  # first, so that the child can import the sinks' classes
            self._send(list(specs))
        except BaseException:
            self.abort()
            raise

    def on_records(self, records: Sequence[Record]) -> None:
        self._send(flatten(records))

    def close(self, end_ps: int) -> None:
        self._send((_CLOSE, end_ps))

    def _send(self, message: object) -> None:
        try:
            pickle.dump(message, self._process.stdin, pickle.HIGHEST_PROTOCOL)
        except (BrokenPipeError, ConnectionResetError):  # the child stopped: say why
            self.finish()
            raise

    def finish(self) -> None:
        """Wait until the child has written and closed every file; raise what stopped
        it, if anything."""
        process = self._process
        with contextlib.suppress(BrokenPipeError):  # bytes the child will never read
            process.stdin.close()
        try:
            outcome = pickle.load(process.stdout)
        except (EOFError, pickle.UnpicklingError):  # it died without a word
            outcome = EOFError
        process.wait()
        process.stdout.close()
        if outcome is EOFError:
            self._errors.seek(0)
            lines = self._errors.read().decode(errors="replace").strip().splitlines()
            why = f": {lines[-1][:200]}" if lines else ""
            raise OSError(
                errno.EPIPE,
                f"the trace-writing process ended (exit code {process.returncode}) "
                f"before its files were complete{why}",
                "trace files",
            )
        self._errors.close()
        if isinstance(outcome, BaseException):
            raise outcome

    def abort(self) -> None:
        """Stop the child at once."""
        stop_helper(self._process)
        self._errors.close()


def serve() -> None:
    """The child: build the sinks, feed them every batch, close them at the run's end,
    then answer None (done) or the exception that stopped it. It ends when its input
    does, whatever happened to the parent."""
    source, reply = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # the protocol owns the real standard output
    try:
        sys.path[:] = pickle.load(source)
        sinks = [cls(path) for cls, path in pickle.load(source)]
        while True:
            message = pickle.load(source)
            if isinstance(message, tuple) and message[0] == _CLOSE:
                for sink in sinks:
                    sink.close(message[1])
                break
            records = rebuild(message)
            for sink in sinks:
                sink.on_records(records)
    except EOFError:  # the parent is gone or gave up: nobody waits for an answer
        return
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            pickle.dump(exc, reply)
        except Exception:  # an exception that cannot be pickled: its type and text
            pickle.dump(RuntimeError(f"{type(exc).__name__}: {exc}"), reply)
        reply.flush()
        return
    pickle.dump(None, reply)
    reply.flush()
