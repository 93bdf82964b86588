"""DMA engine: N channels, each executing transfers as a stream of memory requests.

A channel takes one transfer at a time from its queue, waits `setup_latency_ps` (the
descriptor fetch), splits every row into requests of at most `request_bytes`, and keeps
at most `max_outstanding` requests in flight. A request reads its bytes from the source
and then writes them to the destination, both through the `mem` port (the NoC).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import simpy

from soc.config import DmaConfig
from soc.kernel import Action, Component, Port, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK
from soc.kernel.ports import DmaTransfer, MemTarget, read_then_write


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
            self.env.process(self._run_channel(channel))

    def submit(self, transfer: DmaTransfer) -> simpy.Event:
        """Queue `transfer` on its channel; the returned event fires when it completes."""
        if not 0 <= transfer.channel < self.config.channels:
            raise ValueError(f"{self.path}: no channel {transfer.channel}")
        done = self.env.event()
        self._queues[transfer.channel].put((transfer, done))
        return done

    def _run_channel(self, channel: int) -> Generator[simpy.Event, object, None]:
        """Execute this channel's transfers one after another."""
        queue = self._queues[channel]
        slots = simpy.Resource(self.env, capacity=self.config.max_outstanding)
        track = f"{self.path}.ch{channel}"
        mem: MemTarget = self.mem.peer
        while True:
            transfer, done = yield queue.get()
            with self.span(
                SpanKind.DMA_TRANSFER, track=track, tensor=transfer.label, bytes=transfer.size_bytes
            ):
                yield self.env.timeout(self.config.setup_latency_ps)
                in_flight = []
                for src, dst, size in split_requests(transfer, self.config.request_bytes):
                    slot = slots.request()
                    yield slot
                    in_flight.append(self.env.process(self._move(mem, src, dst, size, slots, slot)))
                yield self.env.all_of(in_flight)
            done.succeed()

    def _move(
        self,
        mem: MemTarget,
        src: int,
        dst: int,
        size: int,
        slots: simpy.Resource,
        slot: simpy.Event,
    ) -> Generator[simpy.Event, object, None]:
        """One request: read from the source, then write to the destination."""
        start = self.env.now
        yield from read_then_write(self.env, mem, self.path, src, dst, size, self.config.priority)
        if self.request_spans:
            fields = {"src": src, "dst": dst, "bytes": size}
            self.recorder.span(start, self.env.now, self.path, SpanKind.DMA_REQUEST, fields, True)
        self.count(Action.DMA_REQUEST, 1)
        slots.release(slot)
