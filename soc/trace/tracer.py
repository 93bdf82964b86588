"""The tracer: implements the kernel's `Recorder` and hands events to sinks in batches.

Recording an event appends one tagged tuple to a buffer (see `soc.trace.events`); the
buffer goes to every sink, in order, when it holds `batch_records` records and when the
run closes. Every sink thus sees exactly the sequence it would have seen event by event,
at the cost of one call per sink and batch instead of one per sink and event.
"""

from __future__ import annotations

from collections.abc import Sequence

from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace.events import (
    ACTIVITY,
    COUNTER,
    INSTANT,
    SAMPLE,
    SPAN,
    CounterEvent,
    InstantEvent,
    Record,
    Sink,
    SpanEvent,
)

BATCH_RECORDS = 8192
"""Records buffered before they go to the sinks (bounds the buffer's memory)."""


class Tracer:
    """Spans finer than `level` are dropped by the components before they reach here;
    activity counts always pass (energy and statistics need them). Sinks see the
    events of a batch when it is full, on `flush`, and at `close`.

    With `activity_window_ps`, activity is summed per (component, action, master)
    inside each window of that length (the energy and statistics timelines' window)
    and handed on as one record per key: at the window's end, before every instant
    (a layer's start) and layer span (its end), and on `flush`. Every total, every
    window's sum and every layer's share are those of the single increments; sinks
    and the native trace see far fewer records. The record carries the time of the
    latest increment in its sum.
    """

    def __init__(
        self,
        level: Level,
        sinks: Sequence[Sink],
        batch_records: int = BATCH_RECORDS,
        activity_window_ps: int | None = None,
    ) -> None:
        self.level = level
        self.sinks = list(sinks)
        self._records: list[Record] = []
        self._batch_records = max(1, batch_records)
        self._window_ps = activity_window_ps
        self._pending: dict[tuple[str, Action, str | None], int] = {}
        self._pending_t = 0
        self._window_end = 0  # an increment at or past this starts a new window
        if activity_window_ps is not None:
            if activity_window_ps <= 0:
                raise ValueError("activity_window_ps must be positive")
            self.activity = self._summed_activity

    def _add(self, record: Record) -> None:
        records = self._records
        records.append(record)
        if len(records) >= self._batch_records:
            self.flush()

    def _settle(self) -> None:
        """Turn the activity summed so far into records."""
        pending = self._pending
        if pending:
            t = self._pending_t
            self._pending = {}
            records = self._records
            records += [(ACTIVITY, t, c, a, n, m) for (c, a, m), n in pending.items()]
            if len(records) >= self._batch_records:
                self.flush()

    def flush(self) -> None:
        """Hand the buffered records (and the activity summed so far) to every sink."""
        if self._pending:
            self._settle()
        records = self._records
        if records:
            self._records = []
            for sink in self.sinks:
                sink.on_records(records)

    def span(
        self,
        start_ps: int,
        end_ps: int,
        track: str,
        kind: SpanKind,
        fields: dict[str, object],
        overlap: bool,
    ) -> None:
        if kind is SpanKind.LAYER and self._pending:
            self._settle()
        self._add((SPAN, SpanEvent(start_ps, end_ps, track, kind, fields, overlap)))

    def instant(self, t_ps: int, track: str, name: str, fields: dict[str, object]) -> None:
        if self._pending:
            self._settle()
        self._add((INSTANT, InstantEvent(t_ps, track, name, fields)))

    def counter(self, t_ps: int, track: str, name: str, value: float) -> None:
        self._add((COUNTER, CounterEvent(t_ps, track, name, value)))

    def activity(
        self, t_ps: int, component: str, action: Action, amount: int, master: str | None
    ) -> None:
        records = self._records
        records.append((ACTIVITY, t_ps, component, action, amount, master))
        if len(records) >= self._batch_records:
            self.flush()

    def _summed_activity(
        self, t_ps: int, component: str, action: Action, amount: int, master: str | None
    ) -> None:
        """`activity` with sums per window (see the class doc)."""
        if t_ps >= self._window_end:
            if self._pending:
                self._settle()
            w = self._window_ps
            self._window_end = (t_ps // w + 1) * w
        key = (component, action, master)
        pending = self._pending
        pending[key] = pending.get(key, 0) + amount
        self._pending_t = t_ps

    def sample(
        self, t_ps: int, component: str, name: str, value: float, master: str | None
    ) -> None:
        records = self._records
        records.append((SAMPLE, t_ps, component, name, value, master))
        if len(records) >= self._batch_records:
            self.flush()

    def close(self, end_ps: int) -> None:
        """Flush, hand every sink's final counters to all sinks (sink by sink, in
        batches, like every other record), then close them."""
        self.flush()
        for source in self.sinks:
            records = self._records
            for event in source.final_counters(end_ps):
                records.append((COUNTER, event))
                if len(records) >= self._batch_records:
                    self.flush()
                    records = self._records
            self.flush()
        for sink in self.sinks:
            sink.close(end_ps)
