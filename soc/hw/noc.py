"""Crossbar network-on-chip: each endpoint has one link into the crossbar and one out.

Links are contended resources (FIFO, see `Link`). A request crosses the crossbar twice (command and
response), `router_latency_cycles` each; its data holds the sending endpoint's up-link
and the receiving endpoint's down-link together for ceil(bytes / link_width) cycles.
Idle-path latency of a request: 2 x router + serialisation + the target's own time.
Links are always taken up-link first, so two flows can never wait on each other in a
cycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator

import simpy
from simpy.events import Timeout

from soc.config import NocConfig
from soc.errors import WiringError
from soc.kernel import Action, ClockDomain, Component, MemRequest, Port, Recorder, SpanKind
from soc.kernel.ports import MemTarget, succeed_last


class Link:
    """A FIFO link of capacity one, granting and handing over in exactly the order and
    at exactly the event positions of `simpy.Resource(capacity=1)`, with fewer events.

    `acquire()` returns the event to wait for, or None when the link is granted at
    once and nothing else is scheduled at this time: the resource's grant event would
    then be the very next event, so carrying on without it changes no order (the
    requester is resumed by an event it alone waits on). `release()` schedules the
    resource's release event only when a request waits (with none, that event's
    processing does nothing); it hands the link to the first waiter when processed,
    or earlier if a new request comes first, as the resource does.
    """

    __slots__ = ("env", "busy", "waiting")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.busy = False
        self.waiting: deque[simpy.Event] = deque()

    def acquire(self) -> simpy.Event | None:
        env = self.env
        if self.busy:
            grant = env.event()
            self.waiting.append(grant)
            return grant
        if self.waiting:  # released, hand-over not yet processed: the first waiter wins
            self.busy = True
            self.waiting.popleft().succeed()
            grant = env.event()
            self.waiting.append(grant)
            return grant
        self.busy = True
        if env.peek() > env.now:
            return None
        return env.event().succeed()

    def release(self) -> None:
        self.busy = False
        if self.waiting:
            self.env.event().succeed().callbacks.append(self._hand_over)

    def _hand_over(self, _event: simpy.Event) -> None:
        if not self.busy and self.waiting:
            self.busy = True
            succeed_last(self.env, self.waiting.popleft())


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
        self._up: dict[str, Link] = {}
        self._down: dict[str, Link] = {}
        self._targets: list[tuple[int, int, str, Port[MemTarget]]] = []
        self._router_ps = self.clock.ps(config.router_latency_cycles)
        self._tracks: dict[str, str] = {}  # endpoint -> its span track
        self._serialisation_ps: dict[int, int] = {}  # request size -> link busy time

    def _endpoint(self, name: str) -> None:
        if name in self._up:
            raise WiringError(f"{self.path}: endpoint {name!r} declared twice")
        self._up[name] = Link(self.env)
        self._down[name] = Link(self.env)
        self._tracks[name] = f"{self.path}.{name}"

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
        busy = self._serialisation_ps.get(size_bytes)
        if busy is None:
            busy = self.clock.ps(-(-size_bytes // self.config.link_width_bytes))
            self._serialisation_ps[size_bytes] = busy
        return busy

    def route(self, source: str, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Carry `req` from endpoint `source` to its target and back: a write's data
        crosses on the way there, a read's on the way back."""
        dest, port = self._decode(req)
        env, size, write = self.env, req.size_bytes, req.is_write
        router_ps = self._router_ps
        start = env.now
        if write:
            up, down = self._up[source], self._down[dest]
        else:
            yield Timeout(env, router_ps)  # env.timeout without its descriptor's cost
            yield from port.peer.transact(req)
            up, down = self._up[dest], self._down[source]
        # the data holds the up-link, then also the down-link, while it passes
        grant = up.acquire()
        if grant is not None:
            yield grant
        grant = down.acquire()
        if grant is not None:
            yield grant
        busy = self._serialisation_ps.get(size)
        yield Timeout(env, self.serialisation_ps(size) if busy is None else busy)
        down.release()
        up.release()
        yield Timeout(env, router_ps)
        if write:
            yield from port.peer.transact(req)
            yield Timeout(env, router_ps)
        now = env.now
        if self.request_spans:
            fields = {"dest": dest, "bytes": size}
            track = self._tracks[source]
            self.recorder.span(start, now, track, SpanKind.NOC_TRANSFER, fields, True)
        self._activity(now, self.path, Action.NOC_BYTE_HOP, size, req.master)


def mesh_route(src: int, dst: int, cols: int) -> list[tuple[int, int]]:
    """Router-to-router hops of XY routing on a mesh (routers numbered row-major):
    first along X to the destination's column, then along Y."""
    hops = []
    x, y = src % cols, src // cols
    tx, ty = dst % cols, dst // cols
    while x != tx:
        nx = x + (1 if tx > x else -1)
        hops.append((y * cols + x, y * cols + nx))
        x = nx
    while y != ty:
        ny = y + (1 if ty > y else -1)
        hops.append((y * cols + x, ny * cols + x))
        y = ny
    return hops


def ring_route(src: int, dst: int, n: int) -> list[tuple[int, int]]:
    """Hops around a bidirectional ring, the shorter way (clockwise on a tie)."""
    forward = (dst - src) % n
    step = 1 if forward <= n - forward else -1
    hops, at = [], src
    while at != dst:
        nxt = (at + step) % n
        hops.append((at, nxt))
        at = nxt
    return hops


class RoutedNoc(Crossbar):
    """A ring or 2-D mesh of routers; endpoints attach to routers in declaration order
    (or as `placement` says). A request's data holds its injection link, every
    router-to-router link of its route and its ejection link for the serialisation
    time, after one router latency per router passed (see `_carry_path` for why flows
    cannot deadlock). Link busy time is counted per link."""

    def __init__(self, env, path, config, recorder, seed=0):
        super().__init__(env, path, config, recorder, seed)
        self._router: dict[str, int] = {}
        self._links: dict[tuple[int, int], Link] = {}

    def _endpoint(self, name: str) -> None:
        super()._endpoint(name)
        placement = self.config.placement
        routers = self.config.routers
        self._router[name] = placement.get(name, len(self._router) % routers)

    def _hops(self, a: str, b: str) -> list[tuple[int, int]]:
        src, dst = self._router[a], self._router[b]
        if self.config.topology == "mesh":
            return mesh_route(src, dst, self.config.mesh_cols)
        return ring_route(src, dst, self.config.routers)

    def _link(self, hop: tuple[int, int]) -> Link:
        if hop not in self._links:
            self._links[hop] = Link(self.env)
        return self._links[hop]

    def route(self, source: str, req: MemRequest) -> Generator[simpy.Event, object, None]:
        dest, port = self._decode(req)
        hops_there = self._hops(source, dest)
        latency = self.clock.ps(self.config.router_latency_cycles * (len(hops_there) + 1))
        start = self.env.now
        if req.is_write:
            yield from self._carry_path(source, dest, hops_there, req.size_bytes)
            yield self.env.timeout(latency)
            yield from port.peer.transact(req)
            yield self.env.timeout(latency)
        else:
            yield self.env.timeout(latency)
            yield from port.peer.transact(req)
            back = self._hops(dest, source)
            yield from self._carry_path(dest, source, back, req.size_bytes)
            yield self.env.timeout(latency)
        if self.request_spans:
            fields = {"dest": dest, "bytes": req.size_bytes, "hops": len(hops_there)}
            self.recorder.span(
                start, self.env.now, self._tracks[source], SpanKind.NOC_TRANSFER, fields, True
            )
        self.count(Action.NOC_BYTE_HOP, req.size_bytes * (len(hops_there) + 1), req.master)

    def _carry_path(self, src: str, dst: str, hops, size_bytes: int):
        """Hold every link of the path while the data passes. All links are asked for
        at once, so each link's FIFO queue orders flows by arrival: a later flow is
        behind an earlier one on every link they share, and none can deadlock."""
        named = [(("up", src), self._up[src]), (("down", dst), self._down[dst])]
        named += [(hop, self._link(hop)) for hop in hops]
        grants = [link.acquire() for _, link in named]
        waits = [grant for grant in grants if grant is not None]
        if waits:
            yield self.env.all_of(waits)
        busy = self.serialisation_ps(size_bytes)
        yield self.env.timeout(busy)
        for key, _ in named:
            self.count(Action.NOC_LINK_BUSY_PS, busy, master=_link_name(key))
        for _, link in named:
            link.release()


def _link_name(key: object) -> str:
    if isinstance(key, tuple) and key and key[0] in ("up", "down"):
        return f"{key[1]}.{key[0]}"
    a, b = key
    return f"r{a}->r{b}"
