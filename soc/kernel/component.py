"""Component base class and elaboration.

Life cycle: construct (store config, declare ports; no processes, no I/O) -> the
composition root binds ports -> `elaborate` checks every port and calls `start()` on each
component, which registers its SimPy processes -> `env.run()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

import simpy
import structlog

from soc.errors import WiringError
from soc.kernel.clock import ClockDomain
from soc.kernel.ports import Port
from soc.kernel.recorder import Recorder
from soc.kernel.rng import component_rng
from soc.kernel.vocab import Action, Level, SpanKind


class _Untraced(AbstractContextManager):
    """What `span` returns for a level that is not recorded: costs one call, no
    generator; the dict it yields is thrown away."""

    __slots__ = ()

    def __enter__(self) -> dict[str, object]:
        return {}

    def __exit__(self, *exc: object) -> None:
        return None


_UNTRACED = _Untraced()


class Component:
    """A named part of the SoC with a clock, ports, a recorder and its own RNG.

    `request_spans` says whether the recorder takes request-level spans; it is read
    once, at construction (the trace level is fixed for a run), so that hot paths can
    skip building span fields with one attribute test.
    """

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        clock: ClockDomain,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        self.env = env
        self.path = path
        self.clock = clock
        self.recorder = recorder
        self.request_spans = recorder.level >= Level.REQUEST
        # the recorder's hot methods, bound once (`count` runs about once per request)
        self._activity = recorder.activity
        self._sample = recorder.sample
        self.rng = component_rng(seed, path)
        self._ports: list[Port] = []
        self._log = structlog.get_logger("soc").bind(component=path)

    def port(self, name: str) -> Port:
        """Declare a port; the composition root binds it."""
        declared = Port(self.path, name)
        self._ports.append(declared)
        return declared

    @property
    def ports(self) -> tuple[Port, ...]:
        return tuple(self._ports)

    def start(self) -> None:
        """Register this component's processes (called once by `elaborate`)."""

    # -- recording ---------------------------------------------------------------------

    def traces(self, level: Level) -> bool:
        """True when spans of `level` are recorded (lets hot paths skip building fields)."""
        return level <= self.recorder.level

    def span(
        self,
        kind: SpanKind,
        level: Level = Level.PHASE,
        track: str | None = None,
        overlap: bool = False,
        **fields: object,
    ) -> AbstractContextManager[dict[str, object]]:
        """Record the simulated time spent inside the block as one span.

        The yielded dict may be filled with fields known only at the end. Below the
        trace level nothing is recorded (hot paths test `request_spans` first, so as
        not to build the fields at all).
        """
        if level > self.recorder.level:
            return _UNTRACED
        return self._span(kind, track or self.path, overlap, fields)

    @contextmanager
    def _span(
        self, kind: SpanKind, track: str, overlap: bool, fields: dict[str, object]
    ) -> Iterator[dict[str, object]]:
        start = self.env.now
        yield fields
        self.recorder.span(start, self.env.now, track, kind, fields, overlap)

    def instant(self, name: str, track: str | None = None, **fields: object) -> None:
        self.recorder.instant(self.env.now, track or self.path, name, fields)

    def counter(self, name: str, value: float, track: str | None = None) -> None:
        if self.recorder.level >= Level.PHASE:
            self.recorder.counter(self.env.now, track or self.path, name, value)

    def count(self, action: Action, amount: int, master: str | None = None) -> None:
        """Report activity (bytes, MACs, ...) for energy and statistics."""
        if amount:
            self._activity(
                self.env.now,
                self.path,
                action,
                amount if type(amount) is int else int(amount),  # int() of an int costs
                master,
            )

    def sample(self, name: str, value: float, master: str | None = None) -> None:
        """One observation of a distribution (e.g. a request's latency in ps)."""
        self._sample(self.env.now, self.path, name, value, master)

    def log(self, event: str, **fields: object) -> None:
        """Debug log stamped with simulated time."""
        self._log.debug(event, t_ps=self.env.now, **fields)


def elaborate(components: Iterable[Component]) -> None:
    """Fail fast on unbound ports (naming every one), then start every component."""
    components = list(components)
    paths = [c.path for c in components]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise WiringError(f"duplicate component paths: {', '.join(duplicates)}")
    unbound = [p.full_name for c in components for p in c.ports if not p.bound]
    if unbound:
        raise WiringError(f"unbound ports: {', '.join(unbound)}")
    for component in components:
        component.start()
