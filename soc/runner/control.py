"""Running a simulation in slices: bounds on simulated and wall time, a progress line.

`run_bounded` does what `env.run(until=finished)` does, one slice of events at a time,
and between slices reads the wall clock and reports progress. It adds no event and
takes none away, so a run that reaches its end is the same, event for event, as one
run by `env.run` (its summary is byte-identical). A bound cuts the run short:

- `max_sim_ps`: every event at or before that simulated time is processed, none after
  (checked before each event, and only when the bound is given);
- `max_wall_s`: checked between slices (a slice starts at `SLICE_EVENTS` events and
  is resized to take about 0.05-0.5 s), so the run stops within a slice of the bound.

A queue that runs dry before `finished` fires is a stall: `run_bounded` raises
`simpy.core.EmptySchedule`, and the caller names the blocked processes.

A run still going after `FREEZE_AFTER_EVENTS` events is a long one. Its heap at that
point (imported modules, the assembled SoC, its plans) is collected once and then
frozen (`gc.freeze`) until the run ends: the cyclic garbage collector's full
collections would otherwise scan all of it again every time (about 0.6 s of a
ResNet-50 run, about 0.2 s with the heap frozen, the collection included). The
collection comes first, so no garbage is frozen; a frozen object that becomes cyclic
garbage during the run (reference counting frees the others as usual) is freed at the
first full collection after it.
"""

from __future__ import annotations

import gc
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import simpy
from simpy.core import EmptySchedule, StopSimulation

from soc.units import format_time_ps, parse_time_ps

SLICE_EVENTS = 16_384
"""Events between two looks at the wall clock: ~0.1-0.3 s of a typical run, so the
look (one clock read and a few additions) costs nothing measurable."""

FREEZE_AFTER_EVENTS = 8 * SLICE_EVENTS
"""Events after which a run counts as long and its heap is frozen (see the module doc):
a second or more of simulating, so the collection before (~0.1 s) pays for itself."""

_WALL_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zµ]+)\s*$")


@dataclass(frozen=True)
class RunLimits:
    """Where a run stops if its driver has not finished: a simulated time (ps), a wall
    time (s) spent simulating. None: no bound."""

    max_sim_ps: int | None = None
    max_wall_s: float | None = None


@dataclass(frozen=True)
class Stopped:
    """Why and when (simulated ps) a bounded run stopped before its end."""

    reason: str  # "max_sim" | "max_wall"
    at_ps: int


@dataclass(frozen=True)
class Snapshot:
    """What a progress display shows, taken between slices."""

    now_ps: int
    events: int
    wall_s: float


def parse_wall_s(text: str) -> float:
    """A wall-clock duration with its unit ("90 s", "10m", "1.5 h") in seconds."""
    match = _DURATION.match(text)
    unit = match.group(2) if match else None
    if match is None or unit not in _WALL_S:
        raise ValueError(f"malformed duration {text[:60]!r} (e.g. '30 s', '10m', '2 h')")
    seconds = float(match.group(1)) * _WALL_S[unit]
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"duration {text[:60]!r} must be greater than 0")
    return seconds


def parse_sim_ps(text: str) -> int:
    """A simulated duration with its unit ("2 s", "500 us") in integer picoseconds."""
    if not re.search(r"[a-zµ]\s*$", text):
        raise ValueError(f"duration {text[:60]!r} needs a unit (e.g. '2 s', '500 us')")
    ps = parse_time_ps(text)
    if ps <= 0:
        raise ValueError(f"duration {text[:60]!r} must be greater than 0")
    return ps


def run_bounded(
    env: simpy.Environment,
    finished: simpy.Event,
    limits: RunLimits = RunLimits(),
    on_slice: Callable[[Snapshot], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Stopped | None:
    """Process events until `finished` fires (None) or a bound is reached (`Stopped`).

    `on_slice` is called between slices. Raises EmptySchedule when no event is left
    before `finished` fired (the caller reports the stall); an exception of a process
    propagates as from `env.run`.
    """
    if finished.callbacks is None:  # already processed
        return None
    finished.callbacks.append(StopSimulation.callback)
    started = last = clock()
    wall_end = started + limits.max_wall_s if limits.max_wall_s is not None else math.inf
    step = env.step
    events, size = 0, SLICE_EVENTS
    frozen = False
    try:
        while True:
            if limits.max_sim_ps is None:
                for _ in range(size):
                    step()
                events += size
            else:
                done = _slice_until(env, limits.max_sim_ps, size)
                events += done
                if done < size:  # the next event is past the bound
                    return Stopped("max_sim", limits.max_sim_ps)
            if not frozen and events >= FREEZE_AFTER_EVENTS:
                gc.collect()
                gc.freeze()
                frozen = True
            now = clock()
            if on_slice is not None:
                on_slice(Snapshot(env.now, events, now - started))
            if now >= wall_end:
                return Stopped("max_wall", env.now)
            size = _next_size(size, now - last)
            last = now
    except StopSimulation:
        return None
    finally:
        if frozen:
            gc.unfreeze()


def _next_size(size: int, took_s: float) -> int:
    """The next slice's events: halved after a slice of more than 0.5 s (slow events:
    keep the clock looked at twice a second), doubled after one of less than 0.05 s,
    within [SLICE_EVENTS / 64, SLICE_EVENTS * 4]."""
    if took_s > 0.5:
        return max(SLICE_EVENTS // 64, size // 2, 1)
    if took_s < 0.05:
        return min(SLICE_EVENTS * 4, size * 2)
    return size


def _slice_until(env: simpy.Environment, max_sim_ps: int, size: int) -> int:
    """Process up to `size` events at or before `max_sim_ps`; how many were."""
    queue = env._queue  # the heap of (time, priority, id, event) that `step` pops
    step = env.step
    for done in range(size):
        if not queue:
            raise EmptySchedule
        if queue[0][0] > max_sim_ps:
            return done
        step()
    return size


class ProgressLine:
    """A one-line status on a terminal, rewritten in place at most `every_s` apart,
    shown only once the run has taken `after_s`: simulated time, frames and layers
    done, events per second. `describe()` gives the counts (frames and layers)."""

    def __init__(
        self,
        stream: TextIO,
        describe: Callable[[], str],
        after_s: float = 2.0,
        every_s: float = 0.5,
    ) -> None:
        self.stream = stream
        self.describe = describe
        self.after_s = after_s
        self.every_s = every_s
        self._shown_at: float | None = None

    def __call__(self, snap: Snapshot) -> None:
        if snap.wall_s < self.after_s:
            return
        if self._shown_at is not None and snap.wall_s - self._shown_at < self.every_s:
            return
        self._shown_at = snap.wall_s
        rate = snap.events / snap.wall_s if snap.wall_s else 0.0
        line = (
            f"simulated {format_time_ps(snap.now_ps)} | {self.describe()} | "
            f"{rate / 1e3:,.0f}k events/s | {snap.wall_s:,.0f} s"
        )
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the line (if shown) so that what follows starts on a clean line."""
        if self._shown_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown_at = None
