"""DMA engine: N channels, each executing transfers as a stream of memory requests.

A channel takes one transfer at a time from its queue, waits `setup_latency_ps` (the
descriptor fetch), splits every row into requests of at most `request_bytes`, and keeps
at most `max_outstanding` requests in flight. A request reads its bytes from the source
and then writes them to the destination, both through the `mem` port (the NoC).

Cost: a channel and its requests run without SimPy processes, with counters for the
outstanding-request slots and the requests still in flight. Each step happens at the
event position where a process per request, a `simpy.Resource` of slots and an
`all_of` over the requests would take it; a zero-delay event of theirs is left out
only when nothing else is scheduled at that time (then it would be the very next
event, so the order of everything is unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

import simpy

from soc.config import DmaConfig
from soc.kernel import Action, Component, Port, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK
from soc.kernel.ports import DmaTransfer, MemTarget, drive, read_then_write, start_soon


def split_requests(transfer: DmaTransfer, request_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(src, dst, bytes) of every request of `transfer`, in issue order."""
    for row in range(transfer.rows):
        src = transfer.src_addr + row * transfer.src_stride_bytes
        dst = transfer.dst_addr + row * transfer.dst_stride_bytes
        for offset in range(0, transfer.row_bytes, request_bytes):
            size = min(request_bytes, transfer.row_bytes - offset)
            yield src + offset, dst + offset, size


class DmaEngine(Component):
    """DMA with `channels` channels. Port `mem`; service `submit(transfer) -> Event`."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: DmaConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, PICOSECOND_CLOCK, recorder, seed)
        self.config = config
        self.mem: Port[MemTarget] = self.port("mem")
        self._queues = [simpy.Store(env) for _ in range(config.channels)]

    def start(self) -> None:
        for channel in range(self.config.channels):
            start_soon(self.env, _Channel(self, channel).resume)

    def submit(self, transfer: DmaTransfer) -> simpy.Event:
        """Queue `transfer` on its channel; the returned event fires when it completes."""
        if not 0 <= transfer.channel < self.config.channels:
            raise ValueError(f"{self.path}: no channel {transfer.channel}")
        done = self.env.event()
        self._queues[transfer.channel].put((transfer, done))
        return done


class _Channel:
    """One channel: its transfer loop (`_run`) and its requests' bookkeeping.

    `free` counts free slots (a finished request frees its slot at once, as a resource
    release does; a waiting channel gets it when the release would be processed).
    `ended` counts the requests of the transfer whose end was processed (what `all_of`
    counts). `starting` is a new request whose first step is due where its process's
    start event would be processed: right after the channel's current step."""

    __slots__ = (
        "dma", "env", "index", "free", "slot_wait", "all_wait", "issued", "ended",
        "starting", "resume",
    )

    def __init__(self, dma: DmaEngine, index: int) -> None:
        self.dma = dma
        self.env = dma.env
        self.index = index
        self.free = dma.config.max_outstanding
        self.slot_wait: simpy.Event | None = None
        self.all_wait: simpy.Event | None = None
        self.issued = 0
        self.ended = 0
        self.starting: Callable[[simpy.Event | None], None] | None = None
        self.resume = drive(self._run())

    def _alone(self) -> bool:
        """True when nothing else is scheduled at the current time."""
        return self.env.peek() > self.env.now

    def _start_pending(self) -> None:
        starting = self.starting
        if starting is not None:
            self.starting = None
            starting(None)

    def _run(self) -> Generator[simpy.Event, object, None]:
        """Execute this channel's transfers one after another."""
        dma, env = self.dma, self.env
        config = dma.config
        queue = dma._queues[self.index]
        track = f"{dma.path}.ch{self.index}"
        mem: MemTarget = dma.mem.peer
        while True:
            transfer, done = yield queue.get()
            with dma.span(
                SpanKind.DMA_TRANSFER, track=track, tensor=transfer.label, bytes=transfer.size_bytes
            ):
                yield env.timeout(config.setup_latency_ps)
                self.issued = self.ended = 0
                for src, dst, size in split_requests(transfer, config.request_bytes):
                    if self.free:  # granted now: the grant event comes after the start
                        self.free -= 1
                        if self._alone():
                            self._start_pending()
                        else:
                            grant = env.event().succeed()
                            self._start_pending()
                            yield grant
                    else:  # granted when a finished request's release is processed
                        self.slot_wait = env.event()
                        self._start_pending()
                        yield self.slot_wait
                    self.issued += 1
                    request = _Request(self, mem, src, dst, size).resume
                    if self._alone():
                        self.starting = request
                    else:
                        start_soon(env, request)
                if self.ended < self.issued:
                    self.all_wait = env.event()
                    self._start_pending()
                    yield self.all_wait
                elif not self._alone():
                    yield env.event().succeed()
            done.succeed()

    def finished(self) -> None:
        """A request is done: free its slot and count it ended, resuming the channel
        if it waits for either (where the release and the process end would)."""
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
            wait.succeed()

    def _ended(self, _event: simpy.Event) -> None:
        self.ended += 1
        if self.all_wait is not None and self.ended == self.issued:
            wait, self.all_wait = self.all_wait, None
            wait.succeed()


class _Request:
    """One request: read from the source, then write to the destination."""

    __slots__ = ("channel", "src", "dst", "size", "resume")

    def __init__(self, channel: _Channel, mem: MemTarget, src: int, dst: int, size: int):
        dma = channel.dma
        self.channel = channel
        self.src, self.dst, self.size = src, dst, size
        moves = read_then_write(dma.env, mem, dma.path, src, dst, size, dma.config.priority)
        self.resume = drive(self._run(moves), channel.finished)

    def _run(self, moves: Generator[simpy.Event, object, None]):
        dma = self.channel.dma
        start = dma.env.now
        yield from moves
        if dma.request_spans:
            fields = {"src": self.src, "dst": self.dst, "bytes": self.size}
            dma.recorder.span(start, dma.env.now, dma.path, SpanKind.DMA_REQUEST, fields, True)
        dma.count(Action.DMA_REQUEST, 1)
