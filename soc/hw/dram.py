"""DRAM at `simple` fidelity: one controller, one data bus at peak bandwidth, fixed latency.

The controller's arbiter (`soc.hw.arbiter`) picks the next pending request; it occupies
the data bus for size / bandwidth and completes `latency_ps` after its transfer ends
(transfers of consecutive requests pipeline behind each other's latency). Every
request's latency, from arrival to completion, is sampled per master.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.hw.arbiter import Arbiter, RequestQueues, token_buckets
from soc.hw.dram_base import DramTarget
from soc.kernel import MemRequest
from soc.kernel.clock import PS_PER_S
from soc.kernel.ports import succeed_last


def transfer_ps(size_bytes: int, bandwidth_bytes_per_s: float) -> int:
    """Time the data bus is busy for `size_bytes`, rounded up to a whole ps."""
    return -(-size_bytes * PS_PER_S // round(bandwidth_bytes_per_s))


class SimpleDram(DramTarget):
    """A memory target: requests wait in the controller until the arbiter picks them;
    one data bus; latency overlapped with the next transfer."""

    def _setup(self) -> None:
        config = self.config
        buckets = token_buckets(config.regulators)
        arbiter = Arbiter(config.arbitration, dict(config.weights), buckets)
        self._pending: RequestQueues[simpy.Event] = RequestQueues(arbiter)
        self._arrival: simpy.Event | None = None
        self._in_flight_bytes = 0

    def start(self) -> None:
        self.env.process(self._serve())

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """Queue `req` at the controller until the arbiter has served it."""
        done = self.env.event()
        self._pending.push(req, done)
        if self._arrival is not None and not self._arrival.triggered:
            self._arrival.succeed()
        self._in_flight_bytes += req.size_bytes
        self.counter("bytes_in_flight", self._in_flight_bytes)
        yield done
        self._in_flight_bytes -= req.size_bytes
        self.counter("bytes_in_flight", self._in_flight_bytes)

    def _serve(self) -> Generator[simpy.Event, object, None]:
        """Controller: take the arbiter's choice, hold the data bus for it, complete it
        a latency later; wait for arrivals (or a regulator's refill) when nothing is
        eligible."""
        latency_ps = self.config.latency_ps
        bandwidth = self.config.bandwidth_bytes_per_s
        while True:
            chosen, wake = self._pending.pop(self.env.now)
            if chosen is None:
                self._arrival = self.env.event()
                waits = [self._arrival]
                if wake is not None:
                    waits.append(self.env.timeout(wake - self.env.now))
                yield self.env.any_of(waits)
                continue
            req, done = chosen
            yield self.env.timeout(transfer_ps(req.size_bytes, bandwidth))
            env = self.env
            env.timeout(latency_ps).callbacks.append(lambda _e, d=done, e=env: succeed_last(e, d))
