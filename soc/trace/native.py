"""The native trace: versioned JSON lines, written and read streaming, lossless.

Line 1 is the header {"format": "flexsoc-trace", "version": 1}; every other line is one
event: {"ev": "span"|"instant"|"counter"|"activity"|"sample", ...fields of the record}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from soc.errors import TraceFormatError
from soc.kernel.vocab import Action, SpanKind
from soc.trace.events import (
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    SampleEvent,
    Sink,
    SpanEvent,
)

NATIVE_FORMAT = "flexsoc-trace"
NATIVE_VERSION = 1

Event = SpanEvent | InstantEvent | CounterEvent | ActivityEvent | SampleEvent


class NativeTraceSink(Sink):
    """Writes every event to `path`, one JSON object per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def _write(self, record: dict[str, object]) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
            header = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION}
            self._file.write(json.dumps(header) + "\n")
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")

    def on_span(self, e: SpanEvent) -> None:
        self._write(
            {
                "ev": "span",
                "start_ps": e.start_ps,
                "end_ps": e.end_ps,
                "track": e.track,
                "kind": e.kind.value,
                "fields": e.fields,
                "overlap": e.overlap,
            }
        )

    def on_instant(self, e: InstantEvent) -> None:
        self._write(
            {"ev": "instant", "t_ps": e.t_ps, "track": e.track, "name": e.name, "fields": e.fields}
        )

    def on_counter(self, e: CounterEvent) -> None:
        self._write(
            {"ev": "counter", "t_ps": e.t_ps, "track": e.track, "name": e.name, "value": e.value}
        )

    def on_activity(self, e: ActivityEvent) -> None:
        self._write(
            {
                "ev": "activity",
                "t_ps": e.t_ps,
                "component": e.component,
                "action": e.action.value,
                "amount": e.amount,
                "master": e.master,
            }
        )

    def on_sample(self, e: SampleEvent) -> None:
        self._write(
            {
                "ev": "sample",
                "t_ps": e.t_ps,
                "component": e.component,
                "name": e.name,
                "value": e.value,
                "master": e.master,
            }
        )

    def close(self, end_ps: int) -> None:
        self._write({"ev": "end", "t_ps": end_ps})
        assert self._file is not None
        self._file.close()


def _decode(record: dict) -> Event | None:
    kind = record.pop("ev")
    if kind == "span":
        record["kind"] = SpanKind(record["kind"])
        return SpanEvent(**record)
    if kind == "instant":
        return InstantEvent(**record)
    if kind == "counter":
        return CounterEvent(**record)
    if kind == "activity":
        record["action"] = Action(record["action"])
        return ActivityEvent(**record)
    if kind == "sample":
        return SampleEvent(**record)
    if kind == "end":
        return None
    raise ValueError(f"unknown event type {kind!r}")


def read_native(path: Path) -> Iterator[Event]:
    """Yield the events of a native trace; `TraceFormatError` names the bad line."""
    with path.open(encoding="utf-8") as lines:
        header_line = lines.readline()
        try:
            header = json.loads(header_line)
        except json.JSONDecodeError:
            raise TraceFormatError(f"{path}:1: not a flexsoc native trace header") from None
        if not isinstance(header, dict) or header.get("format") != NATIVE_FORMAT:
            raise TraceFormatError(f"{path}:1: not a flexsoc native trace header")
        if header.get("version") != NATIVE_VERSION:
            raise TraceFormatError(
                f"{path}:1: trace version {header.get('version')} (this reader: {NATIVE_VERSION})"
            )
        ended = False
        for number, line in enumerate(lines, start=2):
            try:
                event = _decode(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise TraceFormatError(f"{path}:{number}: malformed event ({exc})") from None
            if event is None:
                ended = True
                continue
            yield event
        if not ended:
            raise TraceFormatError(f"{path}: truncated (no end record)")
