"""Ports and memory requests: how components talk without reaching into each other.

A `Port` is declared by the component that uses a service and bound once, by the
composition root, to the object that provides it. Memory targets provide
``transact(req)``, a SimPy process generator that finishes when `req` is served.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Generic, Protocol, TypeVar

import simpy
from simpy.events import URGENT

from soc.errors import WiringError

T = TypeVar("T")


# One served request as `run.record_requests` records it (soc.hw.request_log writes it,
# soc.trace.requests stores it): its master, its number among the master's requests
# (in order of arrival at the DRAM), what it was, when it was issued, reached the DRAM and
# completed, the number of the master's request it waited for (or None) and the think time.
REQUEST_COLUMNS = (
    "master",
    "number",
    "addr",
    "size_bytes",
    "is_write",
    "qos",
    "issue_ps",
    "arrival_ps",
    "done_ps",
    "after",
    "think_ps",
)
RequestRow = tuple[str, int, int, int, bool, int, int, int, int, int | None, int]


class MemRequest:
    """One memory request: the unit of events (bursts inside are computed, not simulated).

    `master` names the initiating component; `qos` is its class (0 = most urgent).
    `issued_ps` is set by the master when it issues the request.
    """

    __slots__ = ("addr", "size_bytes", "is_write", "master", "qos", "issued_ps")

    def __init__(
        self, addr: int, size_bytes: int, is_write: bool, master: str, qos: int = 0
    ) -> None:
        if size_bytes <= 0:
            raise ValueError(f"request size must be positive, got {size_bytes}")
        self.addr = addr
        self.size_bytes = size_bytes
        self.is_write = is_write
        self.master = master
        self.qos = qos
        self.issued_ps = 0

    def __repr__(self) -> str:
        op = "W" if self.is_write else "R"
        return f"MemRequest({op} {self.addr:#x}+{self.size_bytes} from {self.master})"


class MemTarget(Protocol):
    """Anything that serves memory requests: the NoC, a DRAM, the SRAM banks."""

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]: ...


class Port(Generic[T]):
    """A named connection point owned by a component, bound exactly once."""

    __slots__ = ("owner", "name", "_peer")

    def __init__(self, owner: str, name: str) -> None:
        self.owner = owner
        self.name = name
        self._peer: T | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}.{self.name}"

    @property
    def bound(self) -> bool:
        return self._peer is not None

    def bind(self, peer: T) -> None:
        if self._peer is not None:
            raise WiringError(f"port {self.full_name} is already bound")
        self._peer = peer

    @property
    def peer(self) -> T:
        if self._peer is None:
            raise WiringError(f"port {self.full_name} is not bound")
        return self._peer


class DmaTransfer:
    """A DMA transfer descriptor: `planes` planes of `rows` rows of `row_bytes`, rows and
    planes each with their own stride on either side.

    A 1-D transfer has rows = planes = 1; a 2-D one planes = 1. `channel` selects the
    DMA channel; `label` names the tensor for the trace.
    """

    __slots__ = (
        "src_addr",
        "dst_addr",
        "row_bytes",
        "rows",
        "src_stride_bytes",
        "dst_stride_bytes",
        "channel",
        "label",
        "planes",
        "src_plane_stride_bytes",
        "dst_plane_stride_bytes",
    )

    def __init__(
        self,
        src_addr: int,
        dst_addr: int,
        row_bytes: int,
        rows: int = 1,
        src_stride_bytes: int | None = None,
        dst_stride_bytes: int | None = None,
        channel: int = 0,
        label: str = "",
        planes: int = 1,
        src_plane_stride_bytes: int | None = None,
        dst_plane_stride_bytes: int | None = None,
    ) -> None:
        if row_bytes <= 0 or rows <= 0 or planes <= 0:
            raise ValueError(
                f"DMA transfer needs positive sizes, got {planes} x {rows} x {row_bytes} B"
            )
        self.src_addr = src_addr
        self.dst_addr = dst_addr
        self.row_bytes = row_bytes
        self.rows = rows
        self.src_stride_bytes = row_bytes if src_stride_bytes is None else src_stride_bytes
        self.dst_stride_bytes = row_bytes if dst_stride_bytes is None else dst_stride_bytes
        self.channel = channel
        self.label = label
        self.planes = planes
        plane = row_bytes * rows
        self.src_plane_stride_bytes = (
            plane if src_plane_stride_bytes is None else src_plane_stride_bytes
        )
        self.dst_plane_stride_bytes = (
            plane if dst_plane_stride_bytes is None else dst_plane_stride_bytes
        )

    @property
    def size_bytes(self) -> int:
        return self.row_bytes * self.rows * self.planes

    def __repr__(self) -> str:
        shape = f"{self.rows}x{self.row_bytes}"
        if self.planes > 1:
            shape = f"{self.planes}x{shape}"
        return (
            f"DmaTransfer({self.label or 'anon'}: {shape} B "
            f"{self.src_addr:#x}->{self.dst_addr:#x} ch{self.channel})"
        )


class DmaService(Protocol):
    """A DMA engine as seen by its users: submit a transfer, get an event on completion."""

    def submit(self, transfer: DmaTransfer) -> simpy.Event: ...


class Launchable(Protocol):
    """A unit of accelerator work as the host sees it: a name and a register image size."""

    @property
    def name(self) -> str: ...

    @property
    def register_count(self) -> int: ...


class AcceleratorControl(Protocol):
    """The accelerator's control interface: launch a job, get its completion interrupt."""

    def launch(self, job: Launchable) -> simpy.Event: ...


def read_then_write(
    env: simpy.Environment,
    mem: MemTarget,
    master: str,
    src: int,
    dst: int,
    size_bytes: int,
    qos: int = 0,
) -> Generator[simpy.Event, object, None]:
    """Move `size_bytes` from `src` to `dst` as one read request followed by one write."""
    read = MemRequest(src, size_bytes, False, master, qos)
    read.issued_ps = env.now
    yield from mem.transact(read)
    write = MemRequest(dst, size_bytes, True, master, qos)
    write.issued_ps = env.now
    yield from mem.transact(write)


def drive(
    gen: Generator[simpy.Event, object, None], on_end: Callable[[], None] | None = None
) -> Callable[[simpy.Event | None], None]:
    """Run `gen` as `simpy.Process` runs its generator, without the process's start and
    end events; returns the function that resumes it (call it with None to start it,
    or append it to an event's callbacks). `on_end` is called when `gen` finishes.
    The caller decides when the first step runs: at once, or with `start_soon`."""

    def resume(event: simpy.Event | None) -> None:
        while True:
            try:
                if event is None:
                    target = gen.send(None)
                elif event._ok:
                    target = gen.send(event._value)
                else:
                    event._defused = True
                    target = gen.throw(event._value)
            except StopIteration:
                if on_end is not None:
                    on_end()
                return
            if target.callbacks is not None:
                target.callbacks.append(resume)
                return
            event = target

    return resume


def start_soon(env: simpy.Environment, resume: Callable[[simpy.Event], None]) -> None:
    """Call `resume` where `env.process` would run a new process's first step: from an
    urgent event scheduled now."""
    start = env.event()
    start._ok = True
    start._value = None
    start.callbacks.append(resume)
    env.schedule(start, URGENT)


def succeed_last(env: simpy.Environment, event: simpy.Event, value: object = None) -> None:
    """`event.succeed(value)` for a callback that does nothing after it. When nothing
    else is due at the current time, `event` would be the very next event processed,
    so its callbacks run here instead: the same order, one event fewer."""
    if env.peek() > env.now:
        event._ok, event._value = True, value
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
    else:
        event.succeed(value)


class Window:
    """At most `depth` requests in flight, issued by one generator run with `drive`
    (`resume` is its resume function), each request run with `drive` too and ending
    with `finished`. Every step happens at the event position where a process per
    request, a `simpy.Resource(depth)` of slots and an `all_of` over the requests
    would take it; a zero-delay event of theirs is left out only when nothing else is
    scheduled at that time, when it would be the very next event.

    `free` counts free slots (a finished request frees its slot at once, as a release
    does; a waiting issuer gets it where the release event would be processed).
    `ended` counts requests whose end was processed (what `all_of` counts). `starting`
    is a new request whose first step is due where its process's start event would be
    processed: right after the issuer's current step.

    The issuer uses it as: ``wait = w.slot()`` (yield `wait` unless None), then
    ``w.issue(drive(request, w.finished))``; at the end ``wait = w.drain()``.
    """

    __slots__ = ("env", "free", "slot_wait", "all_wait", "issued", "ended", "starting", "resume")

    def __init__(self, env: simpy.Environment, depth: int) -> None:
        self.env = env
        self.free = depth
        self.slot_wait: simpy.Event | None = None
        self.all_wait: simpy.Event | None = None
        self.issued = 0
        self.ended = 0
        self.starting: Callable[[simpy.Event | None], None] | None = None
        self.resume: Callable[[simpy.Event | None], None] | None = None

    def _alone(self) -> bool:
        """True when nothing else is scheduled at the current time."""
        return self.env.peek() > self.env.now

    def _start_pending(self) -> None:
        starting = self.starting
        if starting is not None:
            self.starting = None
            starting(None)

    def slot(self) -> simpy.Event | None:
        """Take a slot: None when the issuer may go on at once, else the event to wait
        for (the grant comes after the previous request's start, as the resource's)."""
        env = self.env
        if self.free:
            self.free -= 1
            if self._alone():
                self._start_pending()
                return None
            grant = env.event().succeed()
        else:  # granted where a finished request's release is processed
            grant = self.slot_wait = env.event()
        self._start_pending()
        return grant

    def issue(self, request: Callable[[simpy.Event | None], None]) -> None:
        """Start a request (its first step where its process would take it)."""
        self.issued += 1
        if self._alone():
            self.starting = request
        else:
            start_soon(self.env, request)

    def drain(self) -> simpy.Event | None:
        """Wait for every issued request: None when they all have ended and the
        issuer may go on at once (the counts run on over batches)."""
        if self.ended < self.issued:
            wait = self.all_wait = self.env.event()
            self._start_pending()
        elif self._alone():
            wait = None
        else:
            wait = self.env.event().succeed()
        return wait

    def finished(self) -> None:
        """A request is done: free its slot and count it ended, resuming the issuer if
        it waits for either (where the release and the process end would)."""
        self.free += 1
        if self._alone():
            self.ended += 1
            if self.slot_wait is not None:
                self.free -= 1
                self.slot_wait = None
                self.resume(None)
            elif self.all_wait is not None and self.ended == self.issued:
                self.all_wait = None
                self.resume(None)
            return
        env = self.env
        env.event().succeed().callbacks.append(self._released)
        env.event().succeed().callbacks.append(self._ended)

    def _released(self, _event: simpy.Event) -> None:
        if self.slot_wait is not None and self.free:
            self.free -= 1
            wait, self.slot_wait = self.slot_wait, None
            succeed_last(self.env, wait)

    def _ended(self, _event: simpy.Event) -> None:
        self.ended += 1
        if self.all_wait is not None and self.ended == self.issued:
            wait, self.all_wait = self.all_wait, None
            succeed_last(self.env, wait)
