"""The tracer: implements the kernel's `Recorder` and fans events out to sinks."""

from __future__ import annotations

from collections.abc import Sequence

from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace.events import (
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    SampleEvent,
    Sink,
    SpanEvent,
)


class Tracer:
    """Spans finer than `level` are dropped by the components before they reach here;
    activity counts always pass (energy and statistics need them)."""

    def __init__(self, level: Level, sinks: Sequence[Sink]) -> None:
        self.level = level
        self.sinks = list(sinks)

    def span(
        self,
        start_ps: int,
        end_ps: int,
        track: str,
        kind: SpanKind,
        fields: dict[str, object],
        overlap: bool,
    ) -> None:
        event = SpanEvent(start_ps, end_ps, track, kind, fields, overlap)
        for sink in self.sinks:
            sink.on_span(event)

    def instant(self, t_ps: int, track: str, name: str, fields: dict[str, object]) -> None:
        event = InstantEvent(t_ps, track, name, fields)
        for sink in self.sinks:
            sink.on_instant(event)

    def counter(self, t_ps: int, track: str, name: str, value: float) -> None:
        event = CounterEvent(t_ps, track, name, value)
        for sink in self.sinks:
            sink.on_counter(event)

    def activity(
        self, t_ps: int, component: str, action: Action, amount: int, master: str | None
    ) -> None:
        event = ActivityEvent(t_ps, component, action, amount, master)
        for sink in self.sinks:
            sink.on_activity(event)

    def sample(
        self, t_ps: int, component: str, name: str, value: float, master: str | None
    ) -> None:
        event = SampleEvent(t_ps, component, name, value, master)
        for sink in self.sinks:
            sink.on_sample(event)

    def close(self, end_ps: int) -> None:
        """Hand every sink's final counters to all sinks, then close them."""
        final = [event for sink in self.sinks for event in sink.final_counters(end_ps)]
        for event in final:
            for sink in self.sinks:
                sink.on_counter(event)
        for sink in self.sinks:
            sink.close(end_ps)
