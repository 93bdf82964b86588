"""Trace event records and the sink interface."""

from __future__ import annotations

from dataclasses import dataclass

from soc.kernel.vocab import Action, SpanKind


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """Something that took simulated time on a track ("process.thread")."""

    start_ps: int
    end_ps: int
    track: str
    kind: SpanKind
    fields: dict[str, object]
    overlap: bool


@dataclass(frozen=True, slots=True)
class InstantEvent:
    t_ps: int
    track: str
    name: str
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class CounterEvent:
    t_ps: int
    track: str
    name: str
    value: float


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """`amount` of `action` done by `component` (for `master`, if any)."""

    t_ps: int
    component: str
    action: Action
    amount: int
    master: str | None


@dataclass(frozen=True, slots=True)
class SampleEvent:
    """One observation `value` of distribution `name` at `component` (for `master`)."""

    t_ps: int
    component: str
    name: str
    value: float
    master: str | None


class Sink:
    """Receives every event the tracer records. Override what you need."""

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

    def final_counters(self, end_ps: int) -> list[CounterEvent]:
        """Counters this sink derives from the whole run (timelines), handed to every
        sink before they close."""
        return []

    def close(self, end_ps: int) -> None:
        """The run ended at `end_ps`; flush and finish outputs."""
