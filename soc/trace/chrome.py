"""Chrome trace-event JSON (opens in ui.perfetto.dev), written streaming.

One process per component (the part of the track before the first dot), one thread per
track. Spans that may overlap on a track (requests in flight) are spread over numbered
lanes: spans arrive in order of their end time, so a span fits on the first lane whose
last span ended at or before its start. Counters (the DRAM bandwidth and power
timelines among them) are counter tracks of their component's process.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from soc.trace import compact_json
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

PS_PER_US = 1e6

_encode = compact_json.encode
_HEAD = '{"displayTimeUnit": "ns", "traceEvents": [\n'


def _ts(ps: int) -> float:
    return ps / PS_PER_US


def _float(value: object) -> str:
    """JSON of a number (`repr` is what the JSON encoder writes for a finite float or
    an int; not for a bool, an int subclass)."""
    kind = type(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    return _encode(value)


class ChromeTraceSink(Sink):
    """Writes `path` as {"traceEvents": [...]} with one event per line.

    Lines are collected per batch of records and written together; the file is
    complete once the sink is closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._lines: list[str] = []  # not yet written
        self._pids: dict[str, int] = {}
        self._tids: dict[tuple[int, str], int] = {}
        self._lanes: dict[str, list[int]] = {}
        self._span_heads: dict[tuple, tuple[str, str]] = {}  # see on_span
        self._counter_heads: dict[tuple[str, str], tuple[str, str]] = {}  # see on_counter

    def _emit(self, record: dict[str, object]) -> None:
        self._lines.append(_encode(record))

    def _write_lines(self) -> None:
        lines = self._lines
        if not lines:
            return
        self._lines = []
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
            self._file.write(_HEAD + ",\n".join(lines))
        else:
            self._file.write(",\n" + ",\n".join(lines))

    def on_records(self, records: Sequence[Record]) -> None:
        """Spans, instants and counters; activity and samples are not drawn."""
        on_span, on_counter = self.on_span, self.on_counter
        for record in records:
            tag = record[0]
            if tag < SPAN:  # activity and samples, most of the records
                continue
            if tag == SPAN:
                on_span(record[1])
            elif tag == COUNTER:
                on_counter(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
        self._write_lines()

    def _ids(self, track: str, lane: int | None = None) -> tuple[int, int]:
        process, _, thread = track.partition(".")
        thread = thread or process
        if lane is not None:
            thread = f"{thread} #{lane}"
        pid = self._pids.get(process)
        if pid is None:
            pid = self._pids[process] = len(self._pids) + 1
            self._emit({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": process}})
            self._emit(
                {"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": pid}}
            )
        key = (pid, thread)
        tid = self._tids.get(key)
        if tid is None:
            tid = self._tids[key] = len(self._tids) + 1
            self._emit(
                {
                    "ph": "M",
                    "name": "thread_name",
                    "pid": pid,
                    "tid": tid,
                    "args": {"name": thread or process},
                }
            )
        return pid, tid

    def _lane(self, event: SpanEvent) -> int:
        ends = self._lanes.setdefault(event.track, [])
        for lane, end in enumerate(ends):
            if end <= event.start_ps:
                ends[lane] = event.end_ps
                return lane
        ends.append(event.end_ps)
        return len(ends) - 1

    def on_span(self, event: SpanEvent) -> None:
        # The line is the compact JSON of {"ph": "X", "name", "cat", "ts", "dur", "pid",
        # "tid", "args"}, assembled from a cached head per (track, lane, name, kind).
        lane = self._lane(event) if event.overlap else None
        kind = event.kind
        name = str(event.fields.get("layer", kind)) if kind == "layer" else kind
        key = (event.track, lane, name, kind)
        head = self._span_heads.get(key)
        if head is None:
            pid, tid = self._ids(event.track, lane)
            head = self._span_heads[key] = (
                f'{{"ph":"X","name":{_encode(str(name))},"cat":{_encode(str(kind))},"ts":',
                f',"pid":{pid},"tid":{tid},"args":',
            )
        start_ps, end_ps = event.start_ps, event.end_ps
        before, after = head
        if type(start_ps) is int and type(end_ps) is int:  # the quotients are finite floats
            self._lines.append(
                f'{before}{start_ps / PS_PER_US!r},"dur":{(end_ps - start_ps) / PS_PER_US!r}'
                f"{after}{_encode(event.fields)}}}"
            )
        else:
            ts, dur = _float(_ts(start_ps)), _float(_ts(end_ps - start_ps))
            self._lines.append(f'{before}{ts},"dur":{dur}{after}{_encode(event.fields)}}}')

    def on_instant(self, event: InstantEvent) -> None:
        pid, tid = self._ids(event.track)
        self._emit(
            {
                "ph": "i",
                "s": "t",
                "name": event.name,
                "ts": _ts(event.t_ps),
                "pid": pid,
                "tid": tid,
                "args": event.fields,
            }
        )

    def on_counter(self, event: CounterEvent) -> None:
        # {"ph": "C", "name", "ts", "pid", "args": {name: value}}, from a cached head
        key = (event.track, event.name)
        head = self._counter_heads.get(key)
        if head is None:
            pid, _ = self._ids(event.track)
            name = _encode(event.name)
            head = self._counter_heads[key] = (
                f'{{"ph":"C","name":{name},"ts":',
                f',"pid":{pid},"args":{{{name}:',
            )
        t_ps = event.t_ps
        ts = repr(t_ps / PS_PER_US) if type(t_ps) is int else _float(_ts(t_ps))
        self._lines.append(f"{head[0]}{ts}{head[1]}{_float(event.value)}}}}}")

    def close(self, end_ps: int) -> None:
        self._write_lines()
        if self._file is None:
            self._emit({"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "soc"}})
            self._write_lines()
        assert self._file is not None
        self._file.write("\n]}\n")
        self._file.close()
