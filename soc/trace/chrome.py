"""Chrome trace-event JSON (opens in ui.perfetto.dev), written streaming.

One process per component (the part of the track before the first dot), one thread per
track. Spans that may overlap on a track (requests in flight) are spread over numbered
lanes: spans arrive in order of their end time, so a span fits on the first lane whose
last span ended at or before its start. Counters (the DRAM bandwidth and power
timelines among them) are counter tracks of their component's process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO

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

_encode = json.JSONEncoder(separators=(",", ":")).encode


def _ts(ps: int) -> float:
    return ps / PS_PER_US


class ChromeTraceSink(Sink):
    """Writes `path` as {"traceEvents": [...]} with one event per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._pids: dict[str, int] = {}
        self._tids: dict[tuple[int, str], int] = {}
        self._lanes: dict[str, list[int]] = {}
        self._span_heads: dict[tuple, tuple[str, str]] = {}  # see on_span

    def _emit(self, record: dict[str, object]) -> None:
        self._emit_line(_encode(record))

    def _emit_line(self, line: str) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
            self._file.write('{"displayTimeUnit": "ns", "traceEvents": [\n' + line)
        else:
            self._file.write(",\n" + line)

    def on_records(self, records: Sequence[Record]) -> None:
        """Spans, instants and counters; activity and samples are not drawn."""
        for record in records:
            tag = record[0]
            if tag == SPAN:
                self.on_span(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
            elif tag == COUNTER:
                self.on_counter(record[1])

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
        self._emit_line(
            head[0]
            + _encode(_ts(event.start_ps))
            + ',"dur":'
            + _encode(_ts(event.end_ps - event.start_ps))
            + head[1]
            + _encode(event.fields)
            + "}"
        )

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
        pid, _ = self._ids(event.track)
        self._emit(
            {
                "ph": "C",
                "name": event.name,
                "ts": _ts(event.t_ps),
                "pid": pid,
                "args": {event.name: event.value},
            }
        )

    def close(self, end_ps: int) -> None:
        if self._file is None:
            self._emit({"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "soc"}})
        assert self._file is not None
        self._file.write("\n]}\n")
        self._file.close()
