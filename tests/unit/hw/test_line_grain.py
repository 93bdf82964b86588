"""Camera and display at line grain (`request_bytes: line`): one request per line, with
late lines and underflows exact per line, and a line served by the banked DRAM as one
request whose bursts are arithmetic."""

from pathlib import Path

import pytest
import simpy

from soc.config import DramConfig, load_scenario
from soc.config.masters import CameraConfig, DisplayConfig
from soc.errors import FlexsocError
from soc.hw.banked_dram import BankedDram
from soc.hw.masters import build_master
from soc.kernel import Action, MemRequest, elaborate

from .conftest import FixedLatencyTarget, RecordingRecorder

BENCH = Path(__file__).parents[3] / "bench" / "mobilenetv2.yaml"
LINE_PS = 100_000_000  # 1000 fps x 10 lines: a line every 100 us exactly


class FieldsRecorder(RecordingRecorder):
    """Keeps the instants' fields too."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[int, str, dict]] = []

    def instant(self, t_ps, track, name, fields) -> None:
        super().instant(t_ps, track, name, fields)
        self.events.append((t_ps, name, dict(fields)))


def camera(**kw) -> CameraConfig:
    args = {"kind": "camera", "name": "cam", "width": 16, "height": 10, "fps": 1000}
    return CameraConfig(**{**args, "bytes_per_pixel": 2, "request_bytes": "line", **kw})


def display(**kw) -> DisplayConfig:
    args = {"kind": "display", "name": "disp", "width": 16, "height": 10, "fps": 1000}
    return DisplayConfig(**{**args, "bytes_per_pixel": 4, "request_bytes": "line", **kw})


def run_master(config, target, until_ps: int) -> FieldsRecorder:
    env = target.env
    recorder = FieldsRecorder()
    master = build_master(env, config, 0, recorder, 0)
    master.mem.bind(target)
    elaborate([master])
    env.run(until=until_ps)
    return recorder


# -- configuration ------------------------------------------------------------------


def test_line_resolves_to_one_line_of_bytes():
    assert camera().request_size == 16 * 2
    assert display().request_size == 16 * 4
    assert camera(request_bytes="64 B").request_size == 64
    assert display(request_bytes=256).request_bytes == 256  # the default path unchanged


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "masters[0].request_bytes=lines",
            "--set masters[0].request_bytes=lines: masters[0].request_bytes: 'lines' is "
            "neither a positive size "
            "(e.g. '256 B') nor 'line'",
        ),
        (
            "masters[1].fifo_bytes=4 KiB",
            "--set masters[1].fifo_bytes=4 KiB: masters[1].fifo_bytes: 4096 B holds no "
            "request of 7680 B "
            "(request_bytes: line): the display could never read",
        ),
    ],
)
def test_bad_grain_is_a_one_line_error_naming_the_key(override, message):
    with pytest.raises(FlexsocError) as error:
        load_scenario(BENCH, [override, "masters[1].request_bytes=line"])
    assert message in str(error.value) and "\n" not in str(error.value)


# -- exact per line -------------------------------------------------------------------


def test_display_too_slow_underflows_at_the_lines_it_misses():
    # One read of a line in flight at a time, each taking 170 us against a line every
    # 100 us: read n lands at n x 170 us, the panel takes line k at k x 100 us. Line k
    # underflows when no read landed in ((k-1) x 100, k x 100] us, i.e. when
    # floor(10k / 17) == floor(10(k-1) / 17): k = 1, 3, 5, 8, 10, 13, 15 up to 16
    # (the first tie, 1700 us, is line 17).
    env = simpy.Environment()
    target = FixedLatencyTarget(env, 170_000_000)
    rec = run_master(display(max_outstanding=1), target, 16 * LINE_PS + LINE_PS // 2)
    underflows = [(t, f["line"], f["bytes_short"]) for t, n, f in rec.events if n == "underflow"]
    expected = [1, 3, 5, 8, 10, 13, 15]
    assert underflows == [(k * LINE_PS, k, 64) for k in expected]
    assert len(target.arrivals) == 10  # reads issued at 0, 170, ..., 1530 us


def test_display_fast_enough_never_underflows():
    env = simpy.Environment()
    target = FixedLatencyTarget(env, 90_000_000)  # a line read in 90 of every 100 us
    rec = run_master(display(max_outstanding=1), target, 30 * LINE_PS + 1)
    assert [e for e in rec.events if e[1] == "underflow"] == []
    # line k is taken at k x 100 us; the FIFO (64 KiB) holds every line read ahead
    assert [t for _, t in target.arrivals][:3] == [0, 90_000_000, 180_000_000]


def test_camera_too_slow_is_late_by_the_difference_every_line():
    # A line's one write takes 170 us; lines are due every 100 us. Line n starts when
    # line n-1 is written, at n x 170 us: late by n x 70 us.
    env = simpy.Environment()
    target = FixedLatencyTarget(env, 170_000_000)
    rec = run_master(camera(), target, 10 * 170_000_000 + 1)
    late = [(t, f["line"], f["late_ps"]) for t, n, f in rec.events if n == "late_line"]
    assert late == [(n * 170_000_000, n, n * 70_000_000) for n in range(1, 11)]


def test_camera_fast_enough_writes_each_line_on_time_in_one_request():
    env = simpy.Environment()
    target = FixedLatencyTarget(env, 99_000_000)
    rec = run_master(camera(), target, 25 * LINE_PS + 1)
    assert rec.events == []
    assert [t for _, t in target.arrivals] == [n * LINE_PS for n in range(26)]


def test_line_grain_is_the_same_as_asking_for_the_line_bytes():
    def arrivals(request_bytes):
        env = simpy.Environment()
        target = FixedLatencyTarget(env, 130_000_000)
        rec = run_master(camera(request_bytes=request_bytes), target, 20 * LINE_PS)
        return target.arrivals, rec.events

    assert arrivals("line") == arrivals(32)


# -- a line at banked fidelity ----------------------------------------------------------

LPDDR4 = DramConfig(fidelity="banked", preset="LPDDR4-3200", size_bytes=2 * 2**30)


def test_a_line_is_one_banked_request_with_arithmetic_bursts():
    # LPDDR4-3200 x32: 64 B bursts, one bank group, tCK 625 ps. A lone 7680 B read on
    # an idle channel: ACT at 0, the first CAS tRCD = 29 later, its 120 bursts tCCD = 8
    # apart, the last one's data CL = 28 later for BL/2 = 8 cycles.
    cycles = 29 + 119 * 8 + 28 + 8
    events = {}
    for size in (64, 7680):
        env = simpy.Environment()
        dram = BankedDram(env, "dram", LPDDR4, RecordingRecorder())
        elaborate([dram])
        done = []

        def read(size=size, env=env, dram=dram, done=done):
            yield from dram.transact(MemRequest(0, size, False, "disp"))
            done.append(env.now)

        env.process(read())
        steps = 0
        while env.peek() != float("inf"):
            env.step()
            steps += 1
        events[size] = steps
        if size == 7680:
            assert done == [cycles * 625]
    assert events[7680] == events[64]  # the bursts cost no events of their own


def test_unloaded_banked_dram_serves_1080p_lines_without_underflow_or_late_line():
    env = simpy.Environment()
    rec = FieldsRecorder()
    dram = BankedDram(env, "dram", LPDDR4, rec)
    cam = build_master(
        env,
        CameraConfig(
            kind="camera", name="cam", width=1920, height=1080, fps=30, request_bytes="line"
        ),
        0,
        rec,
        0,
    )
    disp = build_master(
        env,
        DisplayConfig(
            kind="display", name="disp", width=1920, height=1080, fps=60, request_bytes="line"
        ),
        2**24,
        rec,
        0,
    )
    cam.mem.bind(dram)
    disp.mem.bind(dram)
    elaborate([dram, cam, disp])
    display_line_ps = round(1e12 / 60 / 1080)
    env.run(until=200 * display_line_ps + display_line_ps // 2)
    assert rec.events == []  # neither a late line nor an underflow
    sizes = {
        (who, amount)
        for _, _, act, amount, who in rec.activities
        if act in (Action.DRAM_READ_BYTE, Action.DRAM_WRITE_BYTE)
    }
    assert sizes == {("cam", 3840), ("disp", 7680)}  # one DRAM request per line
    read = rec.total(Action.DRAM_READ_BYTE, "disp")
    # 200 lines shown, and the FIFO (64 KiB) kept full: 8 lines of 7680 B ahead
    assert read == (200 + 8) * 7680
