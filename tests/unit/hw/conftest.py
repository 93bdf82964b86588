"""Shared stubs for the hardware unit tests: a recording recorder, a fixed-latency memory
target, and a helper that runs processes and returns when each of them finished."""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest
import simpy

from soc.kernel import Action, Level, MemRequest, SpanKind


class RecordingRecorder:
    """Implements the Recorder protocol and keeps what the tests assert on."""

    level = Level.PHASE

    def __init__(self) -> None:
        self.spans: list[tuple[SpanKind, int, int]] = []
        self.instants: list[tuple[int, str]] = []
        self.counters: list[tuple[int, str, str, float]] = []
        self.activities: list[tuple[int, str, Action, int, str | None]] = []

    def span(self, start_ps, end_ps, track, kind, fields, overlap) -> None:
        self.spans.append((kind, start_ps, end_ps))

    def instant(self, t_ps, track, name, fields) -> None:
        self.instants.append((t_ps, name))

    def counter(self, t_ps, track, name, value) -> None:
        self.counters.append((t_ps, track, name, value))

    def activity(self, t_ps, component, action, amount, master) -> None:
        self.activities.append((t_ps, component, action, amount, master))

    def sample(self, *args):
        pass

    def total(self, action: Action, master: str | None = None) -> int:
        """Sum of `action` over all components, for one master or for all."""
        return sum(
            amount
            for _, _, act, amount, who in self.activities
            if act == action and (master is None or who == master)
        )


class CountingEnv(simpy.Environment):
    """Counts the events it processes."""

    def __init__(self) -> None:
        super().__init__()
        self.events = 0

    def step(self) -> None:
        self.events += 1
        super().step()


class FixedLatencyTarget:
    """A memory target that serves any number of requests in parallel after `latency_ps`."""

    def __init__(self, env: simpy.Environment, latency_ps: int) -> None:
        self.env = env
        self.latency_ps = latency_ps
        self.arrivals: list[tuple[str, int]] = []

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        self.arrivals.append((req.master, self.env.now))
        yield self.env.timeout(self.latency_ps)


@pytest.fixture
def env() -> simpy.Environment:
    return simpy.Environment()


@pytest.fixture
def recorder() -> RecordingRecorder:
    return RecordingRecorder()


@pytest.fixture
def fixed_target(env) -> Callable[[int], FixedLatencyTarget]:
    return lambda latency_ps: FixedLatencyTarget(env, latency_ps)


@pytest.fixture
def finish_times(env) -> Callable[[dict[str, Generator]], dict[str, int]]:
    """Start each named generator as a process (in order), run, return {name: end time}."""

    def run(processes: dict[str, Generator]) -> dict[str, int]:
        ends: dict[str, int] = {}
        for name, gen in processes.items():
            proc = env.process(gen)
            proc.callbacks.append(lambda _e, name=name: ends.__setitem__(name, env.now))
        env.run()
        return ends

    return run
