"""The display's reads against the process-per-read original they replace: the same
steps at the same times in the same order, with fewer events.

The original is the display as it read before: every read a SimPy process holding a
`Resource` slot of `max_outstanding` (`_Master._request`). Both run beside a bystander
that acts several times in a row at the times the memory answers (so that reads start
while it has steps due at their time: same-time order is tested too), and log every
arrival, answer, bystander step and underflow in one list."""

from collections.abc import Generator

import pytest
import simpy

from soc.config.masters import DisplayConfig
from soc.hw.masters import DisplayMaster
from soc.kernel import MemRequest, elaborate

from .conftest import CountingEnv, RecordingRecorder


class ProcessPerRead(DisplayMaster):
    """The display before: a process per read, each through `_request`'s slot."""

    def _fetch(self) -> Generator[simpy.Event, object, None]:
        cfg = self.config
        size, total = cfg.request_size, cfg.width * cfg.height * cfg.bytes_per_pixel
        offset = 0
        while True:
            room = cfg.fifo_bytes - self.level - self._in_flight
            if room >= size and self._in_flight < cfg.max_outstanding * size:
                self._in_flight += size
                self.env.process(self._read(self.buffer_addr + offset, size))
                offset = (offset + size) % max(size, total - total % size)
                continue
            self._changed = self.env.event()
            yield self._changed

    def _read(self, addr: int, size: int) -> Generator[simpy.Event, object, None]:
        yield from self._request(addr, size, False)
        self._in_flight -= size
        self.level += size
        self._signal()


class LoggingTarget:
    """Serves each request after a latency that cycles through `latencies_ps`."""

    def __init__(self, env, log, latencies_ps) -> None:
        self.env, self.log, self.latencies, self.count = env, log, latencies_ps, 0

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        self.log.append((self.env.now, "arrive", req.addr))
        latency = self.latencies[self.count % len(self.latencies)]
        self.count += 1
        yield self.env.timeout(latency)
        self.log.append((self.env.now, "answer", req.addr))


class Recorder(RecordingRecorder):
    def __init__(self, log) -> None:
        super().__init__()
        self.log = log

    def instant(self, t_ps, track, name, fields) -> None:
        self.log.append((t_ps, name, dict(fields)))


def run(cls, latencies_ps, bystander_every_ps):
    env, log = CountingEnv(), []
    config = DisplayConfig(
        kind="display",
        name="disp",
        width=16,
        height=10,
        fps=1000,  # a line every 100 us
        bytes_per_pixel=4,
        request_bytes=16,
        fifo_bytes=128,
        max_outstanding=3,
    )
    display = cls(env, "disp", config, 0, Recorder(log))
    display.mem.bind(LoggingTarget(env, log, latencies_ps))
    elaborate([display])

    def bystander():  # acts, then acts again at the same time, after what is due then
        while True:
            yield env.timeout(bystander_every_ps)
            for step in range(3):
                log.append((env.now, "bystander", step))
                yield env.timeout(0)

    env.process(bystander())
    env.run(until=2_000_000_000)  # 2 ms: two frames
    return log, env.events


@pytest.mark.parametrize(
    "latencies_ps",
    [[1_000_000], [3_000_000, 1_000_000, 2_000_000], [200_000_000, 100_000_000]],
)
@pytest.mark.parametrize("bystander_every_ps", [1_000_000, 7_000_000])
def test_display_reads_step_as_a_process_per_read_did(latencies_ps, bystander_every_ps):
    expected, original_events = run(ProcessPerRead, latencies_ps, bystander_every_ps)
    got, events = run(DisplayMaster, latencies_ps, bystander_every_ps)
    assert got == expected
    assert events < original_events


def test_the_slow_memory_underflows_the_display_and_the_fast_one_does_not():
    """Guards the comparison above, which covers both: a line is 64 B every 100 us;
    three reads of 16 B in flight bring 48 B per latency, 0.24-0.48 B/us at 100-200 us
    against the 0.64 B/us the panel takes, 48 B/us at 1 us."""

    def underflows(latencies_ps):
        log, _ = run(DisplayMaster, latencies_ps, 7_000_000)
        return [entry for entry in log if entry[1] == "underflow"]

    assert underflows([200_000_000, 100_000_000])
    assert not underflows([1_000_000])
