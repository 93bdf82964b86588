"""The recording interface components emit to; `soc.trace.Tracer` implements it."""

from __future__ import annotations

from typing import Protocol

from soc.kernel.vocab import Action, Level, SpanKind


class Recorder(Protocol):
    """Where components send spans, instants, counters and activity counts.

    Times are integer ps. `track` is "process.thread" (e.g. "npu.compute"); `overlap`
    marks spans that may overlap others on their track (requests in flight).
    """

    level: Level

    def span(
        self,
        start_ps: int,
        end_ps: int,
        track: str,
        kind: SpanKind,
        fields: dict[str, object],
        overlap: bool,
    ) -> None: ...

    def instant(self, t_ps: int, track: str, name: str, fields: dict[str, object]) -> None: ...

    def counter(self, t_ps: int, track: str, name: str, value: float) -> None: ...

    def activity(
        self, t_ps: int, component: str, action: Action, amount: int, master: str | None
    ) -> None: ...

    def sample(
        self, t_ps: int, component: str, name: str, value: float, master: str | None
    ) -> None: ...


class NullRecorder:
    """Records nothing (for unit tests of components and for untraced runs)."""

    level = Level.LAYER

    def span(self, start_ps, end_ps, track, kind, fields, overlap) -> None:  # noqa: D102
        pass

    def instant(self, t_ps, track, name, fields) -> None:  # noqa: D102
        pass

    def counter(self, t_ps, track, name, value) -> None:  # noqa: D102
        pass

    def activity(self, t_ps, component, action, amount, master) -> None:  # noqa: D102
        pass

    def sample(self, t_ps, component, name, value, master) -> None:  # noqa: D102
        pass
