"""HostCpu running a DriverProgram against a stub accelerator and a stub memory."""

import math
from dataclasses import dataclass

import pytest

from soc.config import CpuConfig
from soc.hw import HostCpu
from soc.kernel import Action, SpanKind, elaborate
from soc.plan import DriverProgram, HostStep

# 1 GHz core: one cycle is 1000 ps.
PERIOD_PS = 1000
CFG = CpuConfig(
    freq_hz=1_000_000_000,
    mmio_write_latency_ps=50_000,
    irq_latency_ps=1_000_000,
    request_bytes=64,
    max_outstanding=2,
)
NPU_DELAY_PS = 3_000_000
MMIO_PS = 10 * CFG.mmio_write_latency_ps  # the default job programs 10 registers
# one frame of the default program: 10 x 50 ns of MMIO + 3 us job + 1 us interrupt
FRAME_PS = MMIO_PS + NPU_DELAY_PS + CFG.irq_latency_ps


def StagePlan(cycles_per_byte: float, size_bytes: int, src_addr: int, dst_addr: int) -> HostStep:
    """A pre-processing stage: compute over a buffer while copying it, in 64 B requests."""
    cycles = math.ceil(cycles_per_byte * size_bytes)
    reads, writes = ((src_addr, size_bytes),), ((dst_addr, size_bytes),)
    return HostStep("stage", "stage", cycles, reads, writes, CFG.request_bytes)


NO_STAGE = StagePlan(cycles_per_byte=0.0, size_bytes=0, src_addr=0, dst_addr=0)


@dataclass(frozen=True)
class Job:
    name: str
    register_count: int


class StubNpu:
    """Accelerator control whose every job takes `delay_ps`; logs (job, launch time)."""

    def __init__(self, env, delay_ps: int) -> None:
        self.env = env
        self.delay_ps = delay_ps
        self.launches: list[tuple[str, int]] = []

    def launch(self, job):
        self.launches.append((job.name, self.env.now))
        return self.env.timeout(self.delay_ps)


def build(env, recorder, fixed_target, program: DriverProgram):
    cpu = HostCpu(env, "cpu", CFG, [program], recorder)
    npu = StubNpu(env, NPU_DELAY_PS)
    cpu.mem.bind(fixed_target(1000))
    cpu.npu.bind(npu)
    elaborate([cpu])
    return cpu, npu


def program(frames=1, period_ps=None, deadline_ps=None, jobs=(Job("conv1", 10),), pre=NO_STAGE):
    return DriverProgram("main", 0, frames, period_ps, deadline_ps, pre, NO_STAGE, jobs)


def frames(recorder) -> list[tuple[int, int]]:
    return [(start, end) for kind, start, end in recorder.spans if kind == SpanKind.FRAME]


def test_one_job_frame_latency(env, recorder, fixed_target):
    cpu, npu = build(env, recorder, fixed_target, program())
    env.run(until=cpu.finished)
    assert env.now == FRAME_PS == 10 * 50_000 + 3_000_000 + 1_000_000
    assert npu.launches == [("conv1", MMIO_PS)]
    assert frames(recorder) == [(0, FRAME_PS)]
    assert recorder.total(Action.MMIO_WRITE) == 10
    assert recorder.total(Action.CPU_ACTIVE_PS) == MMIO_PS


def test_two_jobs_run_one_after_another(env, recorder, fixed_target):
    jobs = (Job("a", 4), Job("b", 6))
    cpu, npu = build(env, recorder, fixed_target, program(jobs=jobs))
    env.run(until=cpu.finished)
    job_a = 4 * CFG.mmio_write_latency_ps + NPU_DELAY_PS + CFG.irq_latency_ps
    assert npu.launches == [("a", 4 * 50_000), ("b", job_a + 6 * 50_000)]
    assert env.now == job_a + 6 * 50_000 + NPU_DELAY_PS + CFG.irq_latency_ps


def test_paced_frames_start_on_the_period(env, recorder, fixed_target):
    fps = 100_000
    period_ps = 10**12 // fps  # 10 us, longer than a frame
    cpu, npu = build(env, recorder, fixed_target, program(frames=2, period_ps=period_ps))
    env.run(until=cpu.finished)
    assert frames(recorder) == [(0, FRAME_PS), (period_ps, period_ps + FRAME_PS)]
    assert npu.launches == [("conv1", MMIO_PS), ("conv1", period_ps + MMIO_PS)]
    assert env.now == period_ps + FRAME_PS == 14_500_000


def test_unpaced_frames_run_back_to_back(env, recorder, fixed_target):
    cpu, _ = build(env, recorder, fixed_target, program(frames=2))
    env.run(until=cpu.finished)
    assert frames(recorder) == [(0, FRAME_PS), (FRAME_PS, 2 * FRAME_PS)]


@pytest.mark.parametrize(("slack_ps", "misses"), [(0, 0), (-1, 2)])
def test_deadline_is_missed_only_when_exceeded(env, recorder, fixed_target, slack_ps, misses):
    # a deadline equal to the frame latency is met; one ps less is missed by both frames
    deadline_ps = FRAME_PS + slack_ps
    cpu, _ = build(env, recorder, fixed_target, program(frames=2, deadline_ps=deadline_ps))
    env.run(until=cpu.finished)
    all_missed = [(FRAME_PS, "deadline_miss"), (2 * FRAME_PS, "deadline_miss")]
    assert recorder.instants == all_missed[:misses]


def test_stage_takes_the_longer_of_compute_and_streaming(env, recorder, fixed_target):
    # 256 B at 2 cycles/B = 512 cycles of compute; streaming: 4 requests of 64 B, 2 in
    # flight, each a 1000 ps read then a 1000 ps write -> 2 waves x 2000 ps = 4000 ps
    pre = StagePlan(cycles_per_byte=2.0, size_bytes=256, src_addr=0, dst_addr=0x1000)
    cpu, npu = build(env, recorder, fixed_target, program(pre=pre))
    env.run(until=cpu.finished)
    compute_ps = 256 * 2 * PERIOD_PS
    assert npu.launches == [("conv1", compute_ps + MMIO_PS)]


def test_streaming_bound_stage(env, recorder, fixed_target):
    pre = StagePlan(cycles_per_byte=0.0, size_bytes=256, src_addr=0, dst_addr=0x1000)
    cpu, npu = build(env, recorder, fixed_target, program(pre=pre))
    env.run(until=cpu.finished)
    # no compute: 4 requests of 64 B, 2 in flight -> 2 waves of read + write (1000 ps each)
    stream_ps = math.ceil(256 / 64 / CFG.max_outstanding) * (1000 + 1000)
    assert npu.launches == [("conv1", stream_ps + MMIO_PS)]
