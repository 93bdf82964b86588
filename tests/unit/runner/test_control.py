"""Running in slices: the same events as `env.run`, bounds where they are set, a
progress line only on request."""

import gc
import io

import pytest
import simpy
from simpy.core import EmptySchedule

from soc.runner import control
from soc.runner.control import (
    ProgressLine,
    RunLimits,
    Snapshot,
    Stopped,
    parse_sim_ps,
    parse_wall_s,
    run_bounded,
)


def _ticker(env: simpy.Environment, log: list, period: int, count: int, name: str):
    for i in range(count):
        yield env.timeout(period)
        log.append((name, env.now, i))


def _system(count: int = 100) -> tuple[simpy.Environment, simpy.Process, list]:
    """Two processes ticking every 3 and 5 ps; the driver is the 5 ps one."""
    env = simpy.Environment()
    log: list = []
    env.process(_ticker(env, log, 3, 10 * count, "fast"))
    driver = env.process(_ticker(env, log, 5, count, "driver"))
    return env, driver, log


@pytest.mark.parametrize("slice_events", [1, 7, 16_384])
def test_a_sliced_run_is_event_for_event_the_run_of_simpy(monkeypatch, slice_events):
    env, driver, expected = _system()
    env.run(until=driver)
    monkeypatch.setattr(control, "SLICE_EVENTS", slice_events)
    env2, driver2, log = _system()
    slices = []
    assert run_bounded(env2, driver2, RunLimits(max_wall_s=1e9), slices.append) is None
    assert log == expected and env2.now == env.now == 500
    assert (len(slices) >= 5) == (slice_events < 100)  # ~270 events: many slices or none


def test_max_sim_processes_every_event_up_to_the_bound_and_none_after():
    env, driver, log = _system()
    stopped = run_bounded(env, driver, RunLimits(max_sim_ps=100))
    assert stopped == Stopped("max_sim", 100)
    # by hand: ticks at 3, 6, ..., 99 (33 of them) and 5, 10, ..., 100 (20)
    assert sum(1 for name, *_ in log if name == "fast") == 33
    assert [t for name, t, _ in log if name == "driver"] == list(range(5, 101, 5))
    assert not driver.triggered


def test_max_sim_beyond_the_end_changes_nothing():
    env, driver, expected = _system()
    env.run(until=driver)
    env2, driver2, log = _system()
    assert run_bounded(env2, driver2, RunLimits(max_sim_ps=10**9)) is None
    assert log == expected


def test_max_wall_stops_at_the_first_slice_past_the_bound(monkeypatch):
    monkeypatch.setattr(control, "SLICE_EVENTS", 10)
    ticks = iter(range(1000))  # a clock advancing one second per look
    env, driver, log = _system()
    stopped = run_bounded(env, driver, RunLimits(max_wall_s=3), clock=lambda: next(ticks))
    # the clock reads 0 at the start, then 1, 2, 3 after each slice: 3 slices of 10 events
    assert stopped == Stopped("max_wall", env.now)
    assert len(log) < 30 and not driver.triggered


def test_a_queue_run_dry_before_the_end_is_a_stall():
    env = simpy.Environment()
    never = env.event()

    def waiter():
        yield env.timeout(4)
        yield never

    driver = env.process(waiter())
    with pytest.raises(EmptySchedule):
        run_bounded(env, driver)
    assert env.now == 4


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90.0), ("10m", 600.0), ("1.5 h", 5400.0), ("250 ms", 0.25)]
)
def test_wall_durations_take_their_unit(text, seconds):
    assert parse_wall_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "5x", "0s", "-3 s", "inf s", "1e9999 s"])
def test_bad_wall_durations_are_refused(text):
    with pytest.raises(ValueError, match="duration"):
        parse_wall_s(text)


def test_sim_durations_need_a_unit():
    assert parse_sim_ps("2 s") == 2 * 10**12 and parse_sim_ps("500 us") == 500 * 10**6
    for text in ("2000", "0 s", "-1 ms"):
        with pytest.raises(ValueError):
            parse_sim_ps(text)


def test_the_progress_line_waits_two_seconds_then_refreshes_twice_a_second():
    out = io.StringIO()
    line = ProgressLine(out, lambda: "frames 1/4")
    line(Snapshot(now_ps=10**6, events=1000, wall_s=1.0))
    assert out.getvalue() == ""
    line(Snapshot(now_ps=2 * 10**9, events=100_000, wall_s=2.0))
    assert out.getvalue() == "\rsimulated 2.000 ms | frames 1/4 | 50k events/s | 2 s\x1b[K"
    line(Snapshot(now_ps=3 * 10**9, events=110_000, wall_s=2.2))  # too soon: not shown
    assert out.getvalue().count("\r") == 1
    line(Snapshot(now_ps=4 * 10**9, events=150_000, wall_s=3.0))
    assert out.getvalue().count("\r") == 2
    line.clear()
    assert out.getvalue().endswith("\r\x1b[K")


@pytest.mark.parametrize(
    ("step_s", "expected"),
    [(1.0, [64, 32, 16, 8, 4, 2, 1, 1]), (0.01, [64, 128, 256, 256])],
)
def test_slow_slices_shrink_and_fast_ones_grow(monkeypatch, step_s, expected):
    """By the rule: halved after a slice of more than 0.5 s, down to SLICE_EVENTS / 64;
    doubled after one of less than 0.05 s, up to SLICE_EVENTS x 4."""
    monkeypatch.setattr(control, "SLICE_EVENTS", 64)
    looks = iter(i * step_s for i in range(10_000))
    env, driver, _ = _system(count=1000)  # ~2,700 events
    seen: list[Snapshot] = []
    run_bounded(env, driver, RunLimits(max_wall_s=1e9), seen.append, lambda: next(looks))
    counts = [0, *(snap.events for snap in seen)]
    sizes = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    assert sizes[: len(expected)] == expected


def _freeze_counts(env: simpy.Environment, seen: list, count: int, fail: bool = False):
    """Tick every ps, noting how many objects the garbage collector has frozen."""
    for _ in range(count):
        yield env.timeout(1)
        seen.append(gc.get_freeze_count())
    if fail:
        raise RuntimeError("a process failed")


@pytest.mark.parametrize("fail", [False, True])
def test_a_long_run_freezes_the_heap_while_it_runs_and_thaws_it_after(monkeypatch, fail):
    monkeypatch.setattr(control, "SLICE_EVENTS", 10)
    monkeypatch.setattr(control, "FREEZE_AFTER_EVENTS", 30)
    assert gc.get_freeze_count() == 0
    env, seen = simpy.Environment(), []
    driver = env.process(_freeze_counts(env, seen, 100, fail))
    if fail:
        with pytest.raises(RuntimeError):
            run_bounded(env, driver)
    else:
        assert run_bounded(env, driver) is None
    # one event per tick, and the process start: frozen from the slice that ends at
    # event 30, after the 29th tick, until the end
    assert seen[:29] == [0] * 29 and all(n > 0 for n in seen[29:]) and len(seen) == 100
    assert gc.get_freeze_count() == 0


def test_a_short_run_freezes_nothing(monkeypatch):
    monkeypatch.setattr(control, "SLICE_EVENTS", 10)
    monkeypatch.setattr(control, "FREEZE_AFTER_EVENTS", 1000)
    env, seen = simpy.Environment(), []
    assert run_bounded(env, env.process(_freeze_counts(env, seen, 100))) is None
    assert seen == [0] * 100
