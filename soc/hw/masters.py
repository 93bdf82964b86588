"""Traffic masters that compete with the accelerator for DRAM: a camera, a display
controller and a generic generator. Each has one port, `mem` (its NoC endpoint), and
issues requests of `request_bytes` with at most `max_outstanding` in flight.

A camera or display may ask for `request_bytes: line`: one request per line, the same
bytes at the same times in a fraction of the requests (and events). Their checks keep the
line as their unit whatever the request size: a camera line is late when the line before
it is not yet all written, a display line underflows when the FIFO holds less than a
line, so both are exact at line grain.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.config.masters import CameraConfig, DisplayConfig, GeneratorConfig
from soc.kernel import Component, MemRequest, Port, Recorder, SpanKind
from soc.kernel.clock import PICOSECOND_CLOCK, PS_PER_S
from soc.kernel.ports import MemTarget, drive, start_soon


class _Master(Component):
    """Shared plumbing: the memory port and a pool of outstanding-request slots."""

    def __init__(self, env, path, config, buffer_addr: int, recorder: Recorder, seed: int):
        super().__init__(env, path, PICOSECOND_CLOCK, recorder, seed)
        self.config = config
        self.buffer_addr = buffer_addr
        self.mem: Port[MemTarget] = self.port("mem")
        self._slots = simpy.Resource(env, capacity=config.max_outstanding)

    def _request(self, addr: int, size: int, write: bool) -> Generator[simpy.Event, object, None]:
        """One request through the port, holding an outstanding slot."""
        with self._slots.request() as slot:
            yield slot
            yield from self._transfer(addr, size, write)

    def _transfer(self, addr: int, size: int, write: bool) -> Generator[simpy.Event, object, None]:
        """The request itself, once it has its slot."""
        req = MemRequest(addr, size, write, self.path, self.config.priority)
        start = req.issued_ps = self.env.now
        yield from self.mem.peer.transact(req)
        if self.request_spans:
            self.recorder.span(
                start, self.env.now, self.path, SpanKind.CPU_REQUEST, {"bytes": size}, True
            )


def frame_bytes(config: CameraConfig | DisplayConfig) -> int:
    return config.width * config.height * config.bytes_per_pixel


class CameraMaster(_Master):
    """Writes each frame line by line: one line's bytes every frame period / height.
    A line whose writes are still in flight when the next line arrives is counted as a
    late line (the camera's line buffer would overflow)."""

    def start(self) -> None:
        self.env.process(self._stream())

    def _stream(self) -> Generator[simpy.Event, object, None]:
        cfg = self.config
        line_bytes, size = cfg.line_bytes, cfg.request_size
        line_ps = round(PS_PER_S / cfg.fps / cfg.height)
        line = 0
        while True:
            due = line * line_ps
            if self.env.now < due:
                yield self.env.timeout(due - self.env.now)
            elif line and self.env.now > due:
                self.instant("late_line", line=line, late_ps=self.env.now - due)
            offset = (line % cfg.height) * line_bytes
            writes = [
                self.env.process(
                    self._request(self.buffer_addr + offset + o, min(size, line_bytes - o), True)
                )
                for o in range(0, line_bytes, size)
            ]
            yield self.env.all_of(writes)
            line += 1


class DisplayMaster(_Master):
    """Keeps a FIFO of `fifo_bytes` filled from the frame buffer; the panel takes one
    line every frame period / height. A line that finds the FIFO short is an underflow,
    recorded with the time and how many bytes were missing."""

    def __init__(self, env, path, config, buffer_addr, recorder, seed=0):
        super().__init__(env, path, config, buffer_addr, recorder, seed)
        self.level = 0
        self._in_flight = 0
        self._changed = env.event()

    def start(self) -> None:
        self.env.process(self._fetch())
        self.env.process(self._scan_out())

    def _signal(self) -> None:
        if not self._changed.triggered:
            self._changed.succeed()

    def _fetch(self) -> Generator[simpy.Event, object, None]:
        """Read ahead while the FIFO (counting reads in flight) has room."""
        cfg = self.config
        size, total = cfg.request_size, frame_bytes(cfg)
        offset = 0
        while True:
            room = cfg.fifo_bytes - self.level - self._in_flight
            if room >= size and self._in_flight < cfg.max_outstanding * size:
                self._in_flight += size
                start_soon(self.env, drive(self._read(self.buffer_addr + offset, size)))
                offset = (offset + size) % max(size, total - total % size)
                continue
            self._changed = self.env.event()
            yield self._changed

    def _read(self, addr: int, size: int) -> Generator[simpy.Event, object, None]:
        """One read, started where its process would start (`_fetch`), with the events
        of `_request`'s slot at their places: never more than `max_outstanding` reads
        are in flight, so a slot is always free, its grant would be processed next when
        nothing else is due now, and the release and the process end, which nothing
        waits for, change no order."""
        env = self.env
        if env.peek() <= env.now:  # where the slot's grant event would be processed
            yield env.event().succeed()
        yield from self._transfer(addr, size, False)
        self._in_flight -= size
        self.level += size
        self._signal()

    def _scan_out(self) -> Generator[simpy.Event, object, None]:
        cfg = self.config
        line_bytes = cfg.line_bytes
        line_ps = round(PS_PER_S / cfg.fps / cfg.height)
        line = 1  # the first line is shown one line time after start: the FIFO prefills
        while True:
            yield self.env.timeout(line * line_ps - self.env.now)
            if self.level < line_bytes:
                self.instant("underflow", line=line, bytes_short=line_bytes - self.level)
            self.level = max(0, self.level - line_bytes)
            self._signal()
            line += 1


class TrafficGenerator(_Master):
    """Issues `request_bytes` every request_bytes / rate over its region: sequential,
    strided, or uniformly random (aligned to the request size, seeded)."""

    def start(self) -> None:
        self.env.process(self._generate())

    def _generate(self) -> Generator[simpy.Event, object, None]:
        cfg = self.config
        size = cfg.request_bytes
        interval = round(size * PS_PER_S / cfg.rate_bytes_per_s)
        slots = max(1, cfg.region_bytes // size)
        n = 0
        while True:
            if cfg.pattern == "random":
                offset = int(self.rng.integers(0, slots)) * size
            elif cfg.pattern == "strided":
                offset = (n * cfg.stride_bytes) % (cfg.region_bytes - size + 1)
            else:
                offset = (n * size) % (slots * size)
            self.env.process(self._request(self.buffer_addr + offset, size, cfg.write))
            n += 1
            yield self.env.timeout(interval)


def master_buffer_bytes(config: CameraConfig | DisplayConfig | GeneratorConfig) -> int:
    """DRAM the master's traffic lands in: a frame buffer or the generator's region."""
    if isinstance(config, GeneratorConfig):
        return config.region_bytes
    return frame_bytes(config)


def build_master(
    env: simpy.Environment,
    config: CameraConfig | DisplayConfig | GeneratorConfig,
    buffer_addr: int,
    recorder: Recorder,
    seed: int,
) -> _Master:
    kinds = {"camera": CameraMaster, "display": DisplayMaster, "generator": TrafficGenerator}
    return kinds[config.kind](env, config.name, config, buffer_addr, recorder, seed)
