"""Crossbar network-on-chip: each endpoint has one link into the crossbar and one out.

Links are contended resources (FIFO). A request crosses the crossbar twice (command and
response), `router_latency_cycles` each; its data holds the sending endpoint's up-link
and the receiving endpoint's down-link together for ceil(bytes / link_width) cycles.
Idle-path latency of a request: 2 x router + serialisation + the target's own time.
Links are always taken up-link first, so two flows can never wait on each other in a
cycle.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.config import NocConfig
from soc.errors import WiringError
from soc.kernel import Action, ClockDomain, Component, Level, MemRequest, Port, Recorder, SpanKind
from soc.kernel.ports import MemTarget


class NocInitiator:
    """What a master's memory port binds to: its endpoint on the crossbar."""

    __slots__ = ("_noc", "endpoint")

    def __init__(self, noc: Crossbar, endpoint: str) -> None:
        self._noc = noc
        self.endpoint = endpoint

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        return self._noc.route(self.endpoint, req)


class Crossbar(Component):
    """Crossbar NoC. Masters bind to `initiator(name)`; targets to `target_port(...)`."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: NocConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, ClockDomain(config.freq_hz), recorder, seed)
        self.config = config
        self._up: dict[str, simpy.Resource] = {}
        self._down: dict[str, simpy.Resource] = {}
        self._targets: list[tuple[int, int, str, Port[MemTarget]]] = []
        self._router_ps = self.clock.ps(config.router_latency_cycles)

    def _endpoint(self, name: str) -> None:
        if name in self._up:
            raise WiringError(f"{self.path}: endpoint {name!r} declared twice")
        self._up[name] = simpy.Resource(self.env, capacity=1)
        self._down[name] = simpy.Resource(self.env, capacity=1)

    def initiator(self, endpoint: str) -> NocInitiator:
        """Declare a master endpoint; bind the master's memory port to the result."""
        self._endpoint(endpoint)
        return NocInitiator(self, endpoint)

    def target_port(self, endpoint: str, base_addr: int, size_bytes: int) -> Port[MemTarget]:
        """Declare a target endpoint serving [base_addr, base_addr + size_bytes)."""
        self._endpoint(endpoint)
        for base, end, other, _ in self._targets:
            if base_addr < end and base < base_addr + size_bytes:
                raise WiringError(f"{self.path}: {endpoint} overlaps {other} in the address map")
        port = self.port(endpoint)
        self._targets.append((base_addr, base_addr + size_bytes, endpoint, port))
        return port

    def _decode(self, req: MemRequest) -> tuple[str, Port[MemTarget]]:
        for base, end, endpoint, port in self._targets:
            if base <= req.addr and req.addr + req.size_bytes <= end:
                return endpoint, port
        raise ValueError(f"{self.path}: no target serves {req!r}")

    def serialisation_ps(self, size_bytes: int) -> int:
        return self.clock.ps(-(-size_bytes // self.config.link_width_bytes))

    def route(self, source: str, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Carry `req` from endpoint `source` to its target and back."""
        dest, port = self._decode(req)
        with self.span(
            SpanKind.NOC_TRANSFER,
            Level.REQUEST,
            track=f"{self.path}.{source}",
            overlap=True,
            dest=dest,
            bytes=req.size_bytes,
        ):
            if req.is_write:
                yield from self._carry(self._up[source], self._down[dest], req.size_bytes)
                yield self.env.timeout(self._router_ps)
                yield from port.peer.transact(req)
                yield self.env.timeout(self._router_ps)
            else:
                yield self.env.timeout(self._router_ps)
                yield from port.peer.transact(req)
                yield from self._carry(self._up[dest], self._down[source], req.size_bytes)
                yield self.env.timeout(self._router_ps)
        self.count(Action.NOC_BYTE_HOP, req.size_bytes, req.master)

    def _carry(
        self, up: simpy.Resource, down: simpy.Resource, size_bytes: int
    ) -> Generator[simpy.Event, object, None]:
        with up.request() as up_grant:
            yield up_grant
            with down.request() as down_grant:
                yield down_grant
                yield self.env.timeout(self.serialisation_ps(size_bytes))
