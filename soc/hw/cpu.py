"""Host CPU running the driver program.

Per frame: pre-processing (compute at `cycles_per_byte` overlapped with streaming its
buffer through memory), then for every layer: program the descriptor registers over
MMIO, launch, sleep until the completion interrupt (+ `irq_latency_ps`); then
post-processing. Frames start every 1/fps (or back to back); a frame longer than the
deadline is recorded as a miss.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import simpy

from soc.config import CpuConfig
from soc.kernel import Action, ClockDomain, Component, Level, Port, Recorder, SpanKind
from soc.kernel.ports import (
    AcceleratorControl,
    Launchable,
    MemTarget,
    Window,
    drive,
    read_then_write,
    start_soon,
)


@dataclass(frozen=True)
class StagePlan:
    """A CPU stage: compute over `size_bytes`, reading them at `src_addr` and writing them
    to `dst_addr` (e.g. raw camera frame -> input tensor)."""

    cycles_per_byte: float
    size_bytes: int
    src_addr: int
    dst_addr: int


@dataclass(frozen=True)
class DriverProgram:
    """What the driver does: frames, pacing, deadline, stages and accelerator jobs."""

    frames: int
    period_ps: int | None
    deadline_ps: int | None
    preprocess: StagePlan
    postprocess: StagePlan
    jobs: Sequence[Launchable]


class HostCpu(Component):
    """Ports: `mem` (memory, through the NoC) and `npu` (accelerator control).

    `finished` fires when the last frame has been post-processed.
    """

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: CpuConfig,
        program: DriverProgram,
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
                for job in program.jobs:
                    yield from self._run_job(job)
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

    def _stage(self, stage: StagePlan) -> Generator[simpy.Event, object, None]:
        """Compute over a buffer while streaming it through memory; both must finish."""
        compute_ps = self.clock.ps(math.ceil(stage.cycles_per_byte * stage.size_bytes))
        self.count(Action.CPU_ACTIVE_PS, compute_ps)
        if stage.size_bytes == 0:
            yield self.env.timeout(compute_ps)
            return
        stream = self.env.event()  # fires where the stream's process would end
        window = Window(self.env, self.config.max_outstanding)
        window.resume = drive(self._stream(stage, window), stream.succeed)
        start_soon(self.env, window.resume)
        yield self.env.all_of([self.env.timeout(compute_ps), stream])

    def _stream(self, stage: StagePlan, window: Window) -> Generator[simpy.Event, object, None]:
        """Read the stage's input and write its output, `max_outstanding` requests deep
        (run with `drive`, its copies in `window`: see `Window`)."""
        step = self.config.request_bytes
        for offset in range(0, stage.size_bytes, step):
            size = min(step, stage.size_bytes - offset)
            wait = window.slot()
            if wait is not None:
                yield wait
            move = self._copy(stage.src_addr + offset, stage.dst_addr + offset, size)
            window.issue(drive(move, window.finished))
        wait = window.drain()
        if wait is not None:
            yield wait

    def _copy(self, src: int, dst: int, size: int) -> Generator[simpy.Event, object, None]:
        """One cache-line-sized read then write."""
        start = self.env.now
        yield from read_then_write(
            self.env, self.mem.peer, self.path, src, dst, size, self.config.priority
        )
        if self.request_spans:
            self.recorder.span(
                start, self.env.now, self.path, SpanKind.CPU_REQUEST, {"bytes": size}, True
            )
