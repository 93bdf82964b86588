"""Trace event records, the batches the tracer hands to sinks, and the sink interface.

The tracer delivers events in batches of *records*: plain tuples tagged by their first
element, in the order the events happened. Activity counts and samples, by far the most
numerous, travel as bare tuples (no event object is built for them); spans, instants
and counters carry their event object:

- ``(ACTIVITY, t_ps, component, action, amount, master)``
- ``(SAMPLE, t_ps, component, name, value, master)``
- ``(SPAN, SpanEvent)``, ``(INSTANT, InstantEvent)``, ``(COUNTER, CounterEvent)``

The event types are named tuples: immutable, and cheap to make (a span is recorded
about once per engine round).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from soc.kernel.vocab import Action, SpanKind


class SpanEvent(NamedTuple):
    """Something that took simulated time on a track ("process.thread")."""

    start_ps: int
    end_ps: int
    track: str
    kind: SpanKind
    fields: dict[str, object]
    overlap: bool


class InstantEvent(NamedTuple):
    t_ps: int
    track: str
    name: str
    fields: dict[str, object]


class CounterEvent(NamedTuple):
    t_ps: int
    track: str
    name: str
    value: float


class ActivityEvent(NamedTuple):
    """`amount` of `action` done by `component` (for `master`, if any)."""

    t_ps: int
    component: str
    action: Action
    amount: int
    master: str | None


class SampleEvent(NamedTuple):
    """One observation `value` of distribution `name` at `component` (for `master`)."""

    t_ps: int
    component: str
    name: str
    value: float
    master: str | None


ACTIVITY = 0  # the numerous kinds first: a sink may skip them with `tag < SPAN`
SAMPLE = 1
SPAN = 2
INSTANT = 3
COUNTER = 4

Record = tuple
"""One tagged record of a batch (see the module doc)."""


class Sink:
    """Receives every event the tracer records. Override what you need: the `on_*`
    handlers of single events, or `on_records` to take whole batches at once (what the
    hot sinks do: a loop over tuples costs far less than a call per event)."""

    def on_records(self, records: Sequence[Record]) -> None:
        """A batch of records in the order they happened; by default each is handed to
        its `on_*` handler as an event object."""
        for record in records:
            tag = record[0]
            if tag == ACTIVITY:
                self.on_activity(ActivityEvent(*record[1:]))
            elif tag == SAMPLE:
                self.on_sample(SampleEvent(*record[1:]))
            elif tag == SPAN:
                self.on_span(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
            else:
                self.on_counter(record[1])

    def on_span(self, event: SpanEvent) -> None:
        pass

    def on_instant(self, event: InstantEvent) -> None:
        pass

    def on_counter(self, event: CounterEvent) -> None:
        pass

    def on_activity(self, event: ActivityEvent) -> None:
        pass

    def on_sample(self, event: SampleEvent) -> None:
        pass

    def final_counters(self, end_ps: int) -> Iterable[CounterEvent]:
        """Counters this sink derives from the whole run (timelines), handed to every
        sink before they close: a list, or a generator that makes them as they are
        taken. They must not depend on the final counters of other sinks."""
        return []

    def close(self, end_ps: int) -> None:
        """The run ended at `end_ps`; flush and finish outputs."""
