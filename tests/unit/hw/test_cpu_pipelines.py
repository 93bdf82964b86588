"""Pipelines sharing the NPU: granted one layer at a time, most urgent first.

Every job here programs 10 registers (10 x 50 ns = 500 ns on one core), runs 3 us on a
stub NPU and is followed by a 1 us completion interrupt; the NPU is free again when the
job is done. The timelines below are derived by hand from those three numbers.
"""

from dataclasses import dataclass

from soc.config import CpuConfig
from soc.hw import HostCpu
from soc.kernel import SpanKind, elaborate
from soc.plan import DriverProgram, HostStep
from tests.unit.hw.conftest import RecordingRecorder

CFG = CpuConfig(
    freq_hz=1_000_000_000, mmio_write_latency_ps=50_000, irq_latency_ps=1_000_000, cores=1
)
MMIO, NPU, IRQ = 500_000, 3_000_000, 1_000_000
NO_STAGE = HostStep("stage", "stage", 0, (), (), 64)


@dataclass(frozen=True)
class Job:
    name: str
    register_count: int = 10


class StubNpu:
    def __init__(self, env) -> None:
        self.env, self.launches = env, []

    def launch(self, job):
        self.launches.append((job.name, self.env.now))
        return self.env.timeout(NPU)


class FrameRecorder(RecordingRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[str, int, int, int]] = []

    def span(self, start_ps, end_ps, track, kind, fields, overlap) -> None:
        super().span(start_ps, end_ps, track, kind, fields, overlap)
        if kind == SpanKind.FRAME:
            self.frames.append((fields["pipeline"], fields["frame"], start_ps, end_ps))


def pipeline(name, priority, frames, period_ps, jobs):
    steps = tuple(Job(f"{name}{i}") for i in range(1, jobs + 1))
    return DriverProgram(name, priority, frames, period_ps, None, NO_STAGE, NO_STAGE, steps)


def run(env, fixed_target, programs, config=CFG):
    recorder = FrameRecorder()
    cpu = HostCpu(env, "cpu", config, programs, recorder)
    npu = StubNpu(env)
    cpu.mem.bind(fixed_target(1000))
    cpu.npu.bind(npu)
    elaborate([cpu])
    env.run(until=cpu.finished)
    return npu.launches, sorted(recorder.frames, key=lambda f: (f[2], f[0]))


def test_two_pipelines_at_different_rates_share_the_npu_at_layer_boundaries(env, fixed_target):
    # y: 2 layers per frame every 20 us, less urgent; x: 1 layer every 8 us, most urgent.
    # y asks first at t = 0 and gets the NPU; x waits for y's layer to end (3.5 us),
    # runs 3.5..7 us, and y's second layer (asked at 4.5 us) follows at 7 us. x's second
    # frame (8 us) waits for that layer to end at 10.5 us.
    y = pipeline("y", 1, frames=2, period_ps=20_000_000, jobs=2)
    x = pipeline("x", 0, frames=2, period_ps=8_000_000, jobs=1)
    launches, frames = run(env, fixed_target, [y, x])
    assert launches == [
        ("y1", MMIO),  # 0.5 us
        ("x1", MMIO + NPU + MMIO),  # 4 us
        ("y2", 7_000_000 + MMIO),  # 7.5 us
        ("x1", 10_500_000 + MMIO),  # 11 us
        ("y1", 20_000_000 + MMIO),
        ("y2", 24_500_000 + MMIO),
    ]
    assert frames == [
        ("x", 0, 0, 7_000_000 + IRQ),  # 8 us
        ("y", 0, 0, 10_500_000 + IRQ),  # the lower-priority frame: 0 .. 11.5 us
        ("x", 1, 8_000_000, 14_000_000 + IRQ),  # 7 us: it waited 2.5 us for y2
        ("y", 1, 20_000_000, 28_000_000 + IRQ),  # alone
    ]
    # y's second frame: y1 0.5 + 3 us, its interrupt 1 us, y2 0.5 + 3 us, interrupt 1 us
    assert frames[-1][3] - frames[-1][2] == 2 * (MMIO + NPU + IRQ)


def test_the_most_urgent_waiting_pipeline_goes_next_whoever_asked_first(env, fixed_target):
    # z holds the NPU from t = 0; y (priority 1) then x (priority 0) ask at t = 0. When
    # z's layer ends at 3.5 us the NPU goes to x, then to y at 7 us.
    z = pipeline("z", 2, frames=1, period_ps=None, jobs=1)
    y = pipeline("y", 1, frames=1, period_ps=None, jobs=1)
    x = pipeline("x", 0, frames=1, period_ps=None, jobs=1)
    launches, frames = run(env, fixed_target, [z, y, x])
    assert launches == [("z1", MMIO), ("x1", 3_500_000 + MMIO), ("y1", 7_000_000 + MMIO)]
    ends = {name: end for name, _, _, end in frames}
    assert ends == {"z": 3_500_000 + IRQ, "x": 7_000_000 + IRQ, "y": 10_500_000 + IRQ}


def test_one_core_serialises_the_pipelines_cpu_work(env, fixed_target):
    # Two pipelines each pre-process 4,000 cycles (4 us at 1 GHz) with no memory traffic:
    # on one core the second waits for the first; on two cores they overlap.
    pre = HostStep("pre", "pre", 4_000, (), (), 64)

    def with_pre(name, priority):
        return DriverProgram(name, priority, 1, None, None, pre, NO_STAGE, ())

    _, frames = run(env, fixed_target, [with_pre("a", 0), with_pre("b", 1)])
    assert [(name, end) for name, _, _, end in frames] == [("a", 4_000_000), ("b", 8_000_000)]


def test_two_cores_run_two_pipelines_cpu_work_side_by_side(env, fixed_target):
    pre = HostStep("pre", "pre", 4_000, (), (), 64)
    programs = [DriverProgram(n, 0, 1, None, None, pre, NO_STAGE, ()) for n in ("a", "b")]
    two = CFG.model_copy(update={"cores": 2})
    _, frames = run(env, fixed_target, programs, two)
    assert [(name, end) for name, _, _, end in frames] == [("a", 4_000_000), ("b", 4_000_000)]
