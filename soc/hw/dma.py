"""DMA engine: N channels, each executing transfers as a stream of memory requests.

A channel takes one transfer at a time from its queue, waits `setup_latency_ps` (the
descriptor fetch), splits every row (of every plane) into requests of at most
`request_bytes`, and keeps at most `max_outstanding` requests in flight. A request
reads its bytes from the source and then writes them to the destination, both through
the `mem` port (the NoC).

Cost: a channel and its requests run without SimPy processes (`drive`), their slots
and completion counted by a `Window`, with the event order of a process per request,
a resource of slots and an `all_of`, and fewer events (see `Window`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

import simpy

from soc.config import DmaConfig
from soc.kernel import Action, Component, MemRequest, Port, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK
from soc.kernel.ports import (
    DmaTransfer,
    MemTarget,
    Window,
    drive,
    start_soon,
)

Transact = Callable[[MemRequest], Generator[simpy.Event, object, None]]


def split_requests(transfer: DmaTransfer, request_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(src, dst, bytes) of every request of `transfer`, in issue order: plane by plane,
    row by row, each row cut into requests of at most `request_bytes`."""
    for plane in range(transfer.planes):
        src_plane = transfer.src_addr + plane * transfer.src_plane_stride_bytes
        dst_plane = transfer.dst_addr + plane * transfer.dst_plane_stride_bytes
        for row in range(transfer.rows):
            src = src_plane + row * transfer.src_stride_bytes
            dst = dst_plane + row * transfer.dst_stride_bytes
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

    def _move(
        self, transact: Transact, src: int, dst: int, size: int
    ) -> Generator[simpy.Event, object, None]:
        """One request: read from the source, then write to the destination (as
        `read_then_write`, one generator layer fewer)."""
        env, path, qos = self.env, self.path, self.config.priority
        start = env.now
        read = MemRequest(src, size, False, path, qos)
        read.issued_ps = start
        yield from transact(read)
        write = MemRequest(dst, size, True, path, qos)
        write.issued_ps = env.now
        yield from transact(write)
        now = env.now
        if self.request_spans:
            fields = {"src": src, "dst": dst, "bytes": size}
            self.recorder.span(start, now, path, SpanKind.DMA_REQUEST, fields, True)
        self._activity(now, path, Action.DMA_REQUEST, 1, None)


class _Channel:
    """One channel: its transfer loop, issuing each transfer's requests in a `Window`."""

    __slots__ = ("dma", "index", "window", "resume")

    def __init__(self, dma: DmaEngine, index: int) -> None:
        self.dma = dma
        self.index = index
        self.window = Window(dma.env, dma.config.max_outstanding)
        self.resume = self.window.resume = drive(self._run())

    def _run(self) -> Generator[simpy.Event, object, None]:
        """Execute this channel's transfers one after another."""
        dma, window = self.dma, self.window
        env, config = dma.env, dma.config
        queue = dma._queues[self.index]
        track = f"{dma.path}.ch{self.index}"
        transact: Transact = dma.mem.peer.transact
        while True:
            transfer, done = yield queue.get()
            with dma.span(
                SpanKind.DMA_TRANSFER, track=track, tensor=transfer.label, bytes=transfer.size_bytes
            ):
                yield env.timeout(config.setup_latency_ps)
                for src, dst, size in split_requests(transfer, config.request_bytes):
                    wait = window.slot()
                    if wait is not None:
                        yield wait
                    window.issue(drive(dma._move(transact, src, dst, size), window.finished))
                wait = window.drain()
                if wait is not None:
                    yield wait
            done.succeed()
