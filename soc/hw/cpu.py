"""Host CPU running the driver program.

Per frame: pre-processing, then the frame's steps in order: an accelerator job is
programmed over MMIO, launched, and waited for until its completion interrupt
(+ `irq_latency_ps`); an op that falls back to the CPU computes for its cycles while
streaming its inputs and output through memory; then post-processing. Frames start
every 1/fps (or back to back); a frame longer than the deadline is recorded as a miss.

The program is plain data made by the planner (`soc.plan`); this module states only
what it needs of it (`Program`, `HostWork`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import Protocol

import simpy

from soc.config import CpuConfig
from soc.kernel import Action, ClockDomain, Component, Level, Port, Recorder, SpanKind
from soc.kernel.ports import (
    AcceleratorControl,
    Launchable,
    MemRequest,
    MemTarget,
    Window,
    drive,
    read_then_write,
    start_soon,
)
from soc.kernel.vocab import LAYER_START


class HostWork(Protocol):
    """Work the CPU does itself: `cycles` of compute while it reads the `reads` ranges
    and writes the `writes` ranges ((address, bytes) each) in `request_bytes` requests.
    The i-th request-sized piece of the reads is read before the i-th of the writes."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def cycles(self) -> int: ...

    @property
    def reads(self) -> Sequence[tuple[int, int]]: ...

    @property
    def writes(self) -> Sequence[tuple[int, int]]: ...

    @property
    def request_bytes(self) -> int: ...


class Program(Protocol):
    """What the driver runs: frames, pacing, deadline, and per frame pre-processing, the
    steps (accelerator jobs or CPU ops, in order) and post-processing."""

    @property
    def frames(self) -> int: ...

    @property
    def period_ps(self) -> int | None: ...

    @property
    def deadline_ps(self) -> int | None: ...

    @property
    def preprocess(self) -> HostWork: ...

    @property
    def postprocess(self) -> HostWork: ...

    @property
    def steps(self) -> Sequence[Launchable | HostWork]: ...


class HostCpu(Component):
    """Ports: `mem` (memory, through the NoC) and `npu` (accelerator control).

    `finished` fires when the last frame has been post-processed.
    """

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: CpuConfig,
        program: Program,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, ClockDomain(config.freq_hz), recorder, seed)
        self.config = config
        self.program = program
        self.mem: Port[MemTarget] = self.port("mem")
        self.npu: Port[AcceleratorControl] = self.port("npu")
        self.finished = env.event()

    def start(self) -> None:
        self.env.process(self._drive())

    def _drive(self) -> Generator[simpy.Event, object, None]:
        """Run every frame of the driver program."""
        program = self.program
        for frame in range(program.frames):
            if program.period_ps is not None and self.env.now < frame * program.period_ps:
                yield self.env.timeout(frame * program.period_ps - self.env.now)
            start = self.env.now
            with self.span(SpanKind.FRAME, Level.LAYER, track=f"{self.path}.frames", frame=frame):
                with self.span(SpanKind.PREPROCESS, frame=frame):
                    yield from self._stage(program.preprocess)
                for step in program.steps:
                    if hasattr(step, "register_count"):
                        yield from self._run_job(step)
                    else:
                        yield from self._host_op(step, frame)
                with self.span(SpanKind.POSTPROCESS, frame=frame):
                    yield from self._stage(program.postprocess)
            latency = self.env.now - start
            self.log("frame done", frame=frame, latency_ps=latency)
            if program.deadline_ps is not None and latency > program.deadline_ps:
                self.instant("deadline_miss", frame=frame, latency_ps=latency)
        self.finished.succeed()

    def _run_job(self, job: Launchable) -> Generator[simpy.Event, object, None]:
        """Program, launch and wait for one accelerator job."""
        with self.span(SpanKind.MMIO, layer=job.name, registers=job.register_count):
            busy = job.register_count * self.config.mmio_write_latency_ps
            yield self.env.timeout(busy)
        self.count(Action.MMIO_WRITE, job.register_count)
        self.count(Action.CPU_ACTIVE_PS, busy)
        done = self.npu.peer.launch(job)
        with self.span(SpanKind.WAIT_IRQ, layer=job.name):
            yield done
            yield self.env.timeout(self.config.irq_latency_ps)

    def _host_op(self, op: HostWork, frame: int) -> Generator[simpy.Event, object, None]:
        """An op of the network that runs here: a layer-level span of its own, so that
        the energy and the per-op table see it as they see an accelerator layer."""
        start = self.env.now
        self.instant(LAYER_START, layer=op.name)
        yield from self._stage(op)
        fields = {
            "layer": op.name,
            "op": op.kind,
            "frame": frame,
            "cycles": op.cycles,
            "read_bytes": sum(size for _, size in op.reads),
            "write_bytes": sum(size for _, size in op.writes),
        }
        self.recorder.span(start, self.env.now, self.path, SpanKind.HOST_OP, fields, False)

    def _stage(self, stage: HostWork) -> Generator[simpy.Event, object, None]:
        """Compute while streaming the stage's data through memory; both must finish."""
        compute_ps = self.clock.ps(stage.cycles)
        self.count(Action.CPU_ACTIVE_PS, compute_ps)
        if not stage.reads and not stage.writes:
            yield self.env.timeout(compute_ps)
            return
        stream = self.env.event()  # fires where the stream's process would end
        window = Window(self.env, self.config.max_outstanding)
        window.resume = drive(self._stream(stage, window), stream.succeed)
        start_soon(self.env, window.resume)
        yield self.env.all_of([self.env.timeout(compute_ps), stream])

    def _stream(self, stage: HostWork, window: Window) -> Generator[simpy.Event, object, None]:
        """Read the stage's inputs and write its output, `max_outstanding` requests deep
        (run with `drive`, its copies in `window`: see `Window`)."""
        step = stage.request_bytes
        reads, writes = _pieces(stage.reads, step), _pieces(stage.writes, step)
        for read, write in _pairs(reads, writes):
            wait = window.slot()
            if wait is not None:
                yield wait
            window.issue(drive(self._copy(read, write), window.finished))
        wait = window.drain()
        if wait is not None:
            yield wait

    def _copy(
        self, read: tuple[int, int] | None, write: tuple[int, int] | None
    ) -> Generator[simpy.Event, object, None]:
        """One request-sized read then write (either may be missing)."""
        start = self.env.now
        qos, mem = self.config.priority, self.mem.peer
        paired = read is not None and write is not None and read[1] == write[1]
        if paired:
            yield from read_then_write(self.env, mem, self.path, read[0], write[0], read[1], qos)
        else:
            for piece, is_write in ((read, False), (write, True)):
                if piece is not None:
                    request = MemRequest(piece[0], piece[1], is_write, self.path, qos)
                    request.issued_ps = self.env.now
                    yield from mem.transact(request)
        if self.request_spans:
            size = read[1] if paired else sum(p[1] for p in (read, write) if p is not None)
            self.recorder.span(
                start, self.env.now, self.path, SpanKind.CPU_REQUEST, {"bytes": size}, True
            )


def _pieces(ranges: Sequence[tuple[int, int]], step: int) -> Iterator[tuple[int, int]]:
    """(address, bytes) pieces of at most `step` bytes covering `ranges` in order."""
    for addr, size in ranges:
        for offset in range(0, size, step):
            yield addr + offset, min(step, size - offset)


def _pairs(reads: Iterator, writes: Iterator) -> Iterator[tuple]:
    """The i-th read piece with the i-th write piece (None where one list is shorter)."""
    while True:
        read, write = next(reads, None), next(writes, None)
        if read is None and write is None:
            return
        yield read, write
