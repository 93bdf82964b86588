"""A stalled simulation names who waits and for what, by the components' own names."""

import pytest
import simpy
from simpy.core import EmptySchedule

from soc.kernel import Component, NullRecorder
from soc.kernel.blocked import BlockedWait, blocked_waits, grouped_lines
from soc.kernel.clock import ClockDomain
from soc.kernel.handoff import EMPTY, Queue, Slots
from soc.kernel.ports import drive, start_soon

CLOCK = ClockDomain(10**12)


class Producer(Component):
    """Puts one item per free unit of `space`; the consumer never gives any back."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env, "prod", CLOCK, NullRecorder())
        self.space = Slots(env, 2)
        self.out = Queue(env)

    def start(self) -> None:
        self.env.process(self._fill())

    def _fill(self):
        """Fill three items into two slots."""
        for item in range(3):
            wait = self.space.take()
            if wait is not None:
                yield wait
            yield self.env.timeout(10)
            self.out.put(item)


class Consumer(Component):
    """Waits for a job on a store nobody puts to, and (driven) for an event it holds."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env, "cons", CLOCK, NullRecorder())
        self.jobs = simpy.Store(env)
        self.kick = env.event()

    def start(self) -> None:
        self.env.process(self._serve())
        start_soon(self.env, drive(self._watch()))

    def _serve(self):
        """Wait for jobs."""
        yield self.jobs.get()

    def _watch(self):
        """Wait for the kick (run by `drive`, not a process)."""
        yield self.kick


def _stalled() -> tuple[simpy.Environment, list[Component], simpy.Process]:
    env = simpy.Environment()
    parts = [Producer(env), Consumer(env)]
    for part in parts:
        part.start()
    driver = env.process(_driver(env, parts[0]))
    return env, parts, driver


def _driver(env: simpy.Environment, producer: Producer):
    """Wait for the producer's third item (which never comes)."""
    for _ in range(3):
        if producer.out.get() is EMPTY:
            yield producer.out.wait()


def test_every_blocked_process_is_named_with_what_it_waits_for():
    env, parts, driver = _stalled()
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        env.run(until=driver)
    # by hand: two items went through the two slots at t=10 and t=20, then the
    # producer waits for a third slot; the driver for the third item
    assert env.now == 20
    assert blocked_waits(env, parts) == [
        BlockedWait("_driver", "prod.out"),
        BlockedWait("cons Consumer._serve", "cons.jobs (StoreGet)"),
        BlockedWait("cons Consumer._watch", "cons.kick"),
        BlockedWait("prod Producer._fill", "prod.space"),
    ]


def test_a_finished_simulation_has_nothing_blocked():
    """...even while another, stalled, simulation is alive in the same process."""
    stalled = _stalled()
    with pytest.raises(RuntimeError):
        stalled[0].run(until=stalled[2])
    env = simpy.Environment()
    done = env.timeout(5)
    env.run(until=done)
    assert blocked_waits(env, []) == []


def test_alike_waits_are_one_line_with_their_count():
    waits = [BlockedWait("dma", "sram.space")] * 3 + [BlockedWait("npu", "npu.jobs")]
    assert grouped_lines(waits) == [
        "dma: waits for sram.space (x3)",
        "npu: waits for npu.jobs",
    ]
    many = [BlockedWait(f"p{i:02}", "x") for i in range(12)]
    assert grouped_lines(many, limit=10)[-1] == "... and 2 more"


def test_the_stall_is_what_run_bounded_reports():
    from soc.runner.control import run_bounded

    env, _, driver = _stalled()
    try:
        run_bounded(env, driver)
    except EmptySchedule:
        assert env.now == 20
    else:
        raise AssertionError("no stall")
