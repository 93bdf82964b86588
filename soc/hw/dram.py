"""DRAM at `simple` fidelity: one controller, one data bus at peak bandwidth, fixed latency.

Requests are served first come, first served: each occupies the data bus for
size / bandwidth and completes `latency_ps` after its transfer ends (transfers of
consecutive requests pipeline behind each other's latency).
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.config import DramConfig
from soc.kernel import Action, Component, Level, MemRequest, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK, PS_PER_S


def transfer_ps(size_bytes: int, bandwidth_bytes_per_s: float) -> int:
    """Time the data bus is busy for `size_bytes`, rounded up to a whole ps."""
    return -(-size_bytes * PS_PER_S // round(bandwidth_bytes_per_s))


class SimpleDram(Component):
    """A memory target with a request queue served by one controller process."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: DramConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, PICOSECOND_CLOCK, recorder, seed)
        self.config = config
        self._queue: simpy.Store = simpy.Store(env)
        self._in_flight_bytes = 0

    def start(self) -> None:
        self.env.process(self._serve())

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Queue `req` at the controller; finishes when it is served."""
        cfg = self.config
        if not cfg.base_addr <= req.addr <= cfg.base_addr + cfg.size_bytes - req.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        done = self.env.event()
        self._in_flight_bytes += req.size_bytes
        self.counter("bytes_in_flight", self._in_flight_bytes)
        with self.span(
            SpanKind.DRAM_ACCESS,
            Level.REQUEST,
            overlap=True,
            master=req.master,
            bytes=req.size_bytes,
            write=req.is_write,
        ):
            yield self._queue.put((req, done))
            yield done
        self._in_flight_bytes -= req.size_bytes
        self.counter("bytes_in_flight", self._in_flight_bytes)
        action = Action.DRAM_WRITE_BYTE if req.is_write else Action.DRAM_READ_BYTE
        self.count(action, req.size_bytes, req.master)

    def _serve(self) -> Generator[simpy.Event, object, None]:
        """Controller: one request at a time on the data bus, latency overlapped."""
        latency_ps = self.config.latency_ps
        bandwidth = self.config.bandwidth_bytes_per_s
        while True:
            req, done = yield self._queue.get()
            yield self.env.timeout(transfer_ps(req.size_bytes, bandwidth))
            self.env.timeout(latency_ps).callbacks.append(lambda _e, d=done: d.succeed())
