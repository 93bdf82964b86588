"""The native trace: versioned JSON lines, written and read streaming, lossless.

Line 1 is the header {"format": "flexsoc-trace", "version": 1}; every other line is one
event: {"ev": "span"|"instant"|"counter"|"activity"|"sample", ...fields of the record}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from soc.errors import TraceFormatError
from soc.kernel.vocab import Action, SpanKind
from soc.trace.events import (
    ACTIVITY,
    COUNTER,
    INSTANT,
    SAMPLE,
    SPAN,
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    Record,
    SampleEvent,
    Sink,
    SpanEvent,
)

NATIVE_FORMAT = "flexsoc-trace"
NATIVE_VERSION = 1

Event = SpanEvent | InstantEvent | CounterEvent | ActivityEvent | SampleEvent


_encode = json.JSONEncoder(separators=(",", ":")).encode
"""One value as compact JSON: what `json.dumps(value, separators=(",", ":"))` writes,
without building an encoder per call."""


def _number(value: object) -> str:
    """JSON of a number, fast for the common case (ints: times, amounts)."""
    return int.__repr__(value) if type(value) is int else _encode(value)


def _overlap(value: object) -> str:
    return f',"overlap":{_encode(value)}}}\n'


class NativeTraceSink(Sink):
    """Writes every event to `path`, one JSON object per line.

    A line is exactly ``json.dumps(record, separators=(",", ":"))`` of the record's
    dict; activity and sample lines, the bulk of a trace, are assembled from cached
    JSON pieces (their strings repeat) instead of encoding a dict each.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        # JSON pieces of lines, by what they encode
        self._activity_pieces: dict[tuple[str, Action], str] = {}
        self._sample_pieces: dict[tuple[str, str], str] = {}
        self._master_pieces: dict[str | None, str] = {}
        self._span_pieces: dict[tuple[str, SpanKind], str] = {}

    def _open(self) -> IO[str]:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
            header = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION}
            self._file.write(json.dumps(header) + "\n")
        return self._file

    def _write(self, record: dict[str, object]) -> None:
        self._open().write(_encode(record) + "\n")

    def _master_piece(self, master: str | None) -> str:
        """',"master":<master>}' and the line end."""
        piece = self._master_pieces.get(master)
        if piece is None:
            piece = self._master_pieces[master] = f',"master":{_encode(master)}}}\n'
        return piece

    def on_records(self, records: Sequence[Record]) -> None:
        activity_pieces, sample_pieces = self._activity_pieces, self._sample_pieces
        master_pieces, span_pieces = self._master_pieces, self._span_pieces
        lines = []
        for record in records:
            tag = record[0]
            if tag == ACTIVITY:
                _, t_ps, component, action, amount, master = record
                key = (component, action)
                middle = activity_pieces.get(key)
                if middle is None:
                    middle = activity_pieces[key] = (
                        f',"component":{_encode(component)},'
                        f'"action":{_encode(action.value)},"amount":'
                    )
                lines.append(
                    '{"ev":"activity","t_ps":'
                    + (int.__repr__(t_ps) if type(t_ps) is int else _encode(t_ps))
                    + middle
                    + (int.__repr__(amount) if type(amount) is int else _encode(amount))
                    + (master_pieces.get(master) or self._master_piece(master))
                )
            elif tag == SAMPLE:
                _, t_ps, component, name, value, master = record
                key = (component, name)
                middle = sample_pieces.get(key)
                if middle is None:
                    middle = sample_pieces[key] = (
                        f',"component":{_encode(component)},"name":{_encode(name)},"value":'
                    )
                lines.append(
                    '{"ev":"sample","t_ps":'
                    + (int.__repr__(t_ps) if type(t_ps) is int else _encode(t_ps))
                    + middle
                    + (int.__repr__(value) if type(value) is int else _encode(value))
                    + (master_pieces.get(master) or self._master_piece(master))
                )
            elif tag == SPAN:
                e = record[1]
                key = (e.track, e.kind)
                kind_piece = span_pieces.get(key)
                if kind_piece is None:
                    kind_piece = span_pieces[key] = (
                        f',"track":{_encode(e.track)},"kind":{_encode(e.kind.value)},"fields":'
                    )
                lines.append(
                    '{"ev":"span","start_ps":'
                    + _number(e.start_ps)
                    + ',"end_ps":'
                    + _number(e.end_ps)
                    + kind_piece
                    + _encode(e.fields)
                    + (',"overlap":true}\n' if e.overlap is True else _overlap(e.overlap))
                )
            else:
                lines.append(_encode(self._as_dict(tag, record[1])) + "\n")
        self._open().write("".join(lines))

    @staticmethod
    def _as_dict(tag: int, e: SpanEvent | InstantEvent | CounterEvent) -> dict[str, object]:
        if tag == INSTANT:
            return {
                "ev": "instant",
                "t_ps": e.t_ps,
                "track": e.track,
                "name": e.name,
                "fields": e.fields,
            }
        if tag == COUNTER:
            return {
                "ev": "counter",
                "t_ps": e.t_ps,
                "track": e.track,
                "name": e.name,
                "value": e.value,
            }
        return {
            "ev": "span",
            "start_ps": e.start_ps,
            "end_ps": e.end_ps,
            "track": e.track,
            "kind": e.kind.value,
            "fields": e.fields,
            "overlap": e.overlap,
        }

    def on_span(self, e: SpanEvent) -> None:
        self._write(self._as_dict(SPAN, e))

    def on_instant(self, e: InstantEvent) -> None:
        self._write(self._as_dict(INSTANT, e))

    def on_counter(self, e: CounterEvent) -> None:
        self._write(self._as_dict(COUNTER, e))

    def on_activity(self, e: ActivityEvent) -> None:
        self.on_records([(ACTIVITY, e.t_ps, e.component, e.action, e.amount, e.master)])

    def on_sample(self, e: SampleEvent) -> None:
        self.on_records([(SAMPLE, e.t_ps, e.component, e.name, e.value, e.master)])

    def close(self, end_ps: int) -> None:
        self._write({"ev": "end", "t_ps": end_ps})
        self._open().close()


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
