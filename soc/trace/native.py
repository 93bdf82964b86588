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
from soc.trace import compact_json
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


_encode = compact_json.encode


_OVERLAP = {True: ',"overlap":true}\n', False: ',"overlap":false}\n'}


class NativeTraceSink(Sink):
    """Writes every event to `path`, one JSON object per line.

    A line is exactly ``json.dumps(record, separators=(",", ":"))`` of the record's
    dict. Activity, sample and span lines, the bulk of a trace, are formatted from
    cached JSON pieces (their strings repeat) around the numbers, which are written
    directly when they are plain ints (what `json.dumps` writes for them too); other
    values go through the JSON encoder.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        # JSON pieces of lines, by what they encode: (middle, tail) around the numbers
        self._activity_pieces: dict[tuple[str, Action, str | None], tuple[str, str]] = {}
        self._sample_pieces: dict[tuple[str, str, str | None], tuple[str, str]] = {}
        self._span_pieces: dict[tuple[str, SpanKind], str] = {}

    def _open(self) -> IO[str]:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
            header = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION}
            self._file.write(json.dumps(header) + "\n")
        return self._file

    def _write(self, record: dict[str, object]) -> None:
        self._open().write(_encode(record) + "\n")

    def _activity_piece(self, component: str, action: Action, master: str | None) -> tuple:
        piece = self._activity_pieces[(component, action, master)] = (
            f',"component":{_encode(component)},"action":{_encode(action.value)},"amount":',
            f',"master":{_encode(master)}}}\n',
        )
        return piece

    def _sample_piece(self, component: str, name: str, master: str | None) -> tuple:
        piece = self._sample_pieces[(component, name, master)] = (
            f',"component":{_encode(component)},"name":{_encode(name)},"value":',
            f',"master":{_encode(master)}}}\n',
        )
        return piece

    def on_records(self, records: Sequence[Record]) -> None:
        activity_pieces, sample_pieces = self._activity_pieces, self._sample_pieces
        span_pieces, overlap_pieces = self._span_pieces, _OVERLAP
        lines: list[str] = []
        append = lines.append
        for record in records:
            tag = record[0]
            if tag == ACTIVITY:
                _, t_ps, component, action, amount, master = record
                middle, tail = activity_pieces.get(
                    (component, action, master)
                ) or self._activity_piece(component, action, master)
                if type(t_ps) is int and type(amount) is int:
                    append(f'{{"ev":"activity","t_ps":{t_ps}{middle}{amount}{tail}')
                else:
                    append(
                        f'{{"ev":"activity","t_ps":{_encode(t_ps)}{middle}{_encode(amount)}{tail}'
                    )
            elif tag == SAMPLE:
                _, t_ps, component, name, value, master = record
                middle, tail = sample_pieces.get((component, name, master)) or self._sample_piece(
                    component, name, master
                )
                if type(t_ps) is int and type(value) is int:
                    append(f'{{"ev":"sample","t_ps":{t_ps}{middle}{value}{tail}')
                else:
                    append(f'{{"ev":"sample","t_ps":{_encode(t_ps)}{middle}{_encode(value)}{tail}')
            elif tag == SPAN:
                e = record[1]
                start_ps, end_ps, overlap = e.start_ps, e.end_ps, e.overlap
                middle = span_pieces.get((e.track, e.kind))
                if middle is None:
                    middle = span_pieces[(e.track, e.kind)] = (
                        f',"track":{_encode(e.track)},"kind":{_encode(e.kind.value)},"fields":'
                    )
                if type(start_ps) is not int or type(end_ps) is not int:
                    start_ps, end_ps = _encode(start_ps), _encode(end_ps)  # JSON text
                tail = (
                    overlap_pieces[overlap]
                    if type(overlap) is bool
                    else f',"overlap":{_encode(overlap)}}}\n'
                )
                append(
                    f'{{"ev":"span","start_ps":{start_ps},"end_ps":{end_ps}'
                    f"{middle}{_encode(e.fields)}{tail}"
                )
            else:
                append(_encode(self._as_dict(tag, record[1])) + "\n")
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
