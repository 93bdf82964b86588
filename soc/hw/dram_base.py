"""What every DRAM model shares: the address check, the counts of a request accepted and
served, its span, and its latency samples: `latency_ps` from arrival at the DRAM to
completion (what the master sees, waiting at the controller's front end included) and
`service_latency_ps` from when the controller took it into its queues; each also once
more under its direction's name (`read_latency_ps`, `write_service_latency_ps`, ...), so
that reads and writes are reported apart. A model implements `_handle`."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.config import DramConfig
from soc.kernel import Action, ClockDomain, Component, MemRequest, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK


class DramTarget(Component):
    """A memory target (`transact`). Subclasses implement `_handle`, and may create
    their own state in `_setup` and give their own clock in `_clock`."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: DramConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, self._clock(config), recorder, seed)
        self.config = config
        self._setup()

    @staticmethod
    def _clock(config: DramConfig) -> ClockDomain:
        """Timing given in ps by default (bandwidth and latency)."""
        return PICOSECOND_CLOCK

    def _setup(self) -> None:
        """Create the model's own state (no processes: those start in `start`)."""

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Serve `req`; finishes when its data is back (read) or written."""
        cfg = self.config
        if not cfg.base_addr <= req.addr <= cfg.base_addr + cfg.size_bytes - req.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        env, path, activity = self.env, self.path, self._activity
        size, master, write = req.size_bytes, req.master, req.is_write
        arrived = env.now
        activity(arrived, path, Action.DRAM_ACCEPTED_BYTE, size, master)
        accepted = [arrived]
        yield from self._handle(req, accepted)
        now = env.now
        if self.request_spans:
            fields = {"master": master, "bytes": size, "write": write}
            track = self.access_track(req)
            self.recorder.span(arrived, now, track, SpanKind.DRAM_ACCESS, fields, True)
        activity(now, path, _WRITE if write else _READ, size, master)
        # what the master sees, and the controller's part (DRAMsim3's measure)
        sample = self._sample
        latency, service = now - arrived, now - accepted[0]
        sample(now, path, "latency_ps", latency, master)
        sample(now, path, "service_latency_ps", service, master)
        names = _WRITE_SAMPLES if write else _READ_SAMPLES
        sample(now, path, names[0], latency, master)
        sample(now, path, names[1], service, master)

    def data_written(self, master: str, arrived: int, accepted: int, end_ps: int) -> None:
        """Sample a write's data written at `end_ps` (a model that knows it calls this
        when the write's command issues): from its arrival and from its acceptance."""
        now, path, sample = self.env.now, self.path, self._sample
        sample(now, path, WRITE_DATA_SAMPLES[0], end_ps - arrived, master)
        sample(now, path, WRITE_DATA_SAMPLES[1], end_ps - accepted, master)

    def access_track(self, req: MemRequest) -> str:
        """The trace track of `req`'s access span (request level): the DRAM's own here;
        the banked DRAM's is one per channel and bank (`dram.ch0.rank1.bg1.bank3`)."""
        return self.path

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """The model's own service of `req`. It may move `accepted[0]` to when the
        controller really took the request (the latency counts from there)."""
        raise NotImplementedError


_READ, _WRITE = Action.DRAM_READ_BYTE, Action.DRAM_WRITE_BYTE
_READ_SAMPLES = ("read_latency_ps", "read_service_latency_ps")
_WRITE_SAMPLES = ("write_latency_ps", "write_service_latency_ps")
WRITE_DATA_SAMPLES = ("write_data_latency_ps", "write_data_service_latency_ps")
"""A write's arrival (and acceptance) to when its data is written to the DRAM, sampled by
a model that knows it apart from the write's completion (posted writes complete when
the controller takes them)."""
