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
    """What one pipeline of the driver runs: frames, pacing, deadline, and per frame
    pre-processing, the steps (accelerator jobs or CPU ops, in order) and
    post-processing. `priority` orders pipelines waiting for the NPU or a core."""

    @property
    def name(self) -> str: ...

    @property
    def priority(self) -> int: ...

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

    Runs one driver process per pipeline. With two or more, they share the NPU, granted
    for one layer at a time to the most urgent pipeline waiting (lowest `priority`,
    then first come), and `cores` cores for their CPU work (pre- and post-processing,
    ops that fall back to the CPU, programming descriptors); each pipeline's spans go
    on tracks of its own (`cpu.<pipeline>`). `finished` fires when every pipeline has
    post-processed its last frame.
    """

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: CpuConfig,
        programs: Sequence[Program],
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, ClockDomain(config.freq_hz), recorder, seed)
        self.config = config
        self.programs = tuple(programs)
        self.mem: Port[MemTarget] = self.port("mem")
        self.npu: Port[AcceleratorControl] = self.port("npu")
        self.finished = env.event()
        shared = len(self.programs) > 1
        self._npu_grant = simpy.PriorityResource(env, 1) if shared else None
        self._cores = simpy.PriorityResource(env, config.cores) if shared else None
        self._running = 0

    def start(self) -> None:
        self._running = len(self.programs)
        for program in self.programs:
            self.env.process(self._drive(program))

    def _track(self, program: Program) -> str:
        return self.path if self._cores is None else f"{self.path}.{program.name}"

    def _drive(self, program: Program) -> Generator[simpy.Event, object, None]:
        """Run every frame of one pipeline."""
        track = self._track(program)
        frames = f"{self.path}.frames" if self._cores is None else f"{track}.frames"
        for frame in range(program.frames):
            if program.period_ps is not None and self.env.now < frame * program.period_ps:
                yield self.env.timeout(frame * program.period_ps - self.env.now)
            start = self.env.now
            fields = {"frame": frame, "pipeline": program.name}
            with self.span(SpanKind.FRAME, Level.LAYER, track=frames, **fields):
                with self.span(SpanKind.PREPROCESS, track=track, frame=frame):
                    yield from self._on_core(program, self._stage(program.preprocess))
                for step in program.steps:
                    if hasattr(step, "register_count"):
                        yield from self._run_job(program, step)
                    else:
                        yield from self._on_core(program, self._host_op(step, frame, track))
                with self.span(SpanKind.POSTPROCESS, track=track, frame=frame):
                    yield from self._on_core(program, self._stage(program.postprocess))
            latency = self.env.now - start
            self.log("frame done", frame=frame, latency_ps=latency, pipeline=program.name)
            if program.deadline_ps is not None and latency > program.deadline_ps:
                self.instant(
                    "deadline_miss", frame=frame, latency_ps=latency, pipeline=program.name
                )
        self._running -= 1
        if not self._running:
            self.finished.succeed()

    def _on_core(
        self, program: Program, work: Generator[simpy.Event, object, None]
    ) -> Generator[simpy.Event, object, None]:
        """Run `work` holding a core (when pipelines share the CPU)."""
        if self._cores is None:
            yield from work
            return
        with self._cores.request(priority=program.priority) as core:
            yield core
            yield from work

    def _run_job(self, program: Program, job: Launchable) -> Generator[simpy.Event, object, None]:
        """Wait for the NPU (when pipelines share it), program it, launch one job, and
        wait for its completion interrupt; the NPU is free again when the job is done."""
        grant = None
        if self._npu_grant is not None:
            grant = self._npu_grant.request(priority=program.priority)
            yield grant
        track = self._track(program)
        yield from self._on_core(program, self._program_registers(job, track))
        done = self.npu.peer.launch(job)
        with self.span(SpanKind.WAIT_IRQ, track=track, layer=job.name):
            yield done
            if grant is not None:
                self._npu_grant.release(grant)
            yield self.env.timeout(self.config.irq_latency_ps)

    def _program_registers(
        self, job: Launchable, track: str
    ) -> Generator[simpy.Event, object, None]:
        with self.span(SpanKind.MMIO, track=track, layer=job.name, registers=job.register_count):
            busy = job.register_count * self.config.mmio_write_latency_ps
            yield self.env.timeout(busy)
        self.count(Action.MMIO_WRITE, job.register_count)
        self.count(Action.CPU_ACTIVE_PS, busy)

    def _host_op(
        self, op: HostWork, frame: int, track: str
    ) -> Generator[simpy.Event, object, None]:
        """An op of the network that runs here: a layer-level span of its own, so that
        the energy and the per-op table see it as they see an accelerator layer."""
        start = self.env.now
        self.instant(LAYER_START, track=track, layer=op.name)
        yield from self._stage(op)
        fields = {
            "layer": op.name,
            "op": op.kind,
            "frame": frame,
            "cycles": op.cycles,
            "read_bytes": sum(size for _, size in op.reads),
            "write_bytes": sum(size for _, size in op.writes),
        }
        self.recorder.span(start, self.env.now, track, SpanKind.HOST_OP, fields, False)

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
