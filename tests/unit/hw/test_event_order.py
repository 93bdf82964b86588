"""The NoC's `Link`, the request `Window` and `succeed_last` against the SimPy constructs
they replace:
the same steps at the same times in the same order, with fewer events.

Each scenario runs twice, once with the SimPy original (a `Resource`, a process per
request, `all_of`) and once with the replacement, beside a bystander that acts at
the same times; both runs log every step, and the logs must be equal.
"""

import pytest
import simpy

from soc.hw.noc import Link
from soc.kernel.ports import Window, drive, start_soon, succeed_last

from .conftest import CountingEnv


def bystander(env, log, times):
    """Acts at the given times (the same times as the users, to test same-time order)."""
    for t in times:
        yield env.timeout(t - env.now)
        log.append((env.now, "bystander"))


# (arrival, hold) of each link user; ties and zero holds on purpose
USERS = [(0, 3), (0, 2), (1, 0), (3, 1), (3, 3), (5, 0), (5, 2), (9, 1)]


def link_users(env, log, acquire, release):
    def user(name, arrive, hold):
        yield env.timeout(arrive)
        log.append((env.now, name, "ask"))
        grant = acquire()
        if grant is not None:
            yield grant
        log.append((env.now, name, "got"))
        yield env.timeout(hold)
        release(grant)
        log.append((env.now, name, "free"))

    for i, (arrive, hold) in enumerate(USERS):
        env.process(user(f"u{i}", arrive, hold))
    env.process(bystander(env, log, [0, 1, 3, 5, 6, 9, 10]))


def run_resource():
    env, log = CountingEnv(), []
    resource = simpy.Resource(env, capacity=1)
    held = {}

    def acquire():
        request = resource.request()
        held[request] = True
        return request

    link_users(env, log, acquire, resource.release)
    env.run()
    return log, env.events


def run_link():
    env, log = CountingEnv(), []
    link = Link(env)
    link_users(env, log, link.acquire, lambda _grant: link.release())
    env.run()
    return log, env.events


def test_link_takes_turns_as_a_resource_does_with_fewer_events():
    expected, resource_events = run_resource()
    got, link_events = run_link()
    assert got == expected
    # every user waits or gets the link; first come first served
    gots = [entry[1] for entry in got if entry[2:] == ("got",)]
    assert gots == ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"]
    assert link_events < resource_events


# durations of the requests a window issues (0 = a request that ends at once)
DURATIONS = [4, 1, 1, 0, 3, 2, 2, 5, 1, 1]


def run_window_original(depth, durations, bystander_times):
    env, log = CountingEnv(), []

    def request(i, duration, slots, slot):
        log.append((env.now, f"r{i}", "start"))
        yield env.timeout(duration)
        log.append((env.now, f"r{i}", "end"))
        slots.release(slot)

    def issuer():
        for batch in range(2):
            slots = simpy.Resource(env, capacity=depth)
            in_flight = []
            for i, duration in enumerate(durations):
                slot = slots.request()
                yield slot
                log.append((env.now, "issue", batch, i))
                in_flight.append(env.process(request(i, duration, slots, slot)))
            yield env.all_of(in_flight)
            log.append((env.now, "all done", batch))

    env.process(issuer())
    env.process(bystander(env, log, bystander_times))
    env.run()
    return log, env.events


def run_window(depth, durations, bystander_times):
    env, log = CountingEnv(), []
    window = Window(env, depth)

    def request(i, duration):
        log.append((env.now, f"r{i}", "start"))
        yield env.timeout(duration)
        log.append((env.now, f"r{i}", "end"))

    def issuer():
        for batch in range(2):
            for i, duration in enumerate(durations):
                wait = window.slot()
                if wait is not None:
                    yield wait
                log.append((env.now, "issue", batch, i))
                window.issue(drive(request(i, duration), window.finished))
            wait = window.drain()
            if wait is not None:
                yield wait
            log.append((env.now, "all done", batch))

    window.resume = drive(issuer())
    start_soon(env, window.resume)
    env.process(bystander(env, log, bystander_times))
    env.run()
    return log, env.events


@pytest.mark.parametrize("depth", [1, 3, 8, 20])
@pytest.mark.parametrize("bystander_times", [[], [0, 1, 2, 4, 5, 7, 9, 12]])
def test_window_steps_as_processes_a_resource_and_all_of_do(depth, bystander_times):
    expected, original_events = run_window_original(depth, DURATIONS, bystander_times)
    got, window_events = run_window(depth, DURATIONS, bystander_times)
    assert got == expected
    assert window_events < original_events


def test_window_of_one_runs_requests_back_to_back():
    log, _ = run_window(1, [2, 3], [])
    ends = [entry[0] for entry in log if entry[2:] == ("end",)]
    assert ends == [2, 5, 7, 10]  # two batches of 2 + 3


def run_hand_offs(hand_off, bystander_times):
    """Processes each wait for an event that a timer's callback succeeds as its last
    act (as a DRAM's completion does), with `hand_off(env, event, value)`."""
    env, log = CountingEnv(), []

    def waiter(i, due):
        done = env.event()
        env.timeout(due).callbacks.append(lambda _e: hand_off(env, done, f"v{i}"))
        value = yield done
        log.append((env.now, f"w{i}", value))
        yield env.timeout(1)
        log.append((env.now, f"w{i}", "after"))

    for i, due in enumerate([0, 1, 1, 3, 4, 6]):
        env.process(waiter(i, due))
    env.process(bystander(env, log, bystander_times))
    env.run()
    return log, env.events


@pytest.mark.parametrize("bystander_times", [[], [0, 1, 2, 4, 5, 7], [1, 4, 6]])
def test_succeed_last_steps_as_succeed_does_with_fewer_events(bystander_times):
    def plain(_env, event, value):
        event.succeed(value)

    expected, plain_events = run_hand_offs(plain, bystander_times)
    got, events = run_hand_offs(succeed_last, bystander_times)
    assert got == expected
    assert (0, "w0", "v0") in got and (7, "w5", "after") in got
    # w3's hand-off at 3 ns is alone at its time whatever the bystander does
    assert events < plain_events


def test_drive_runs_a_generator_as_a_process_would():
    def steps(env, log, name):
        log.append((env.now, name))
        yield env.timeout(1)
        log.append((env.now, name))
        value = yield env.event().succeed("v")
        log.append((env.now, name, value))

    def run(use_process):
        env, log = simpy.Environment(), []
        for name in "ab":
            if use_process:
                env.process(steps(env, log, name))
            else:
                start_soon(env, drive(steps(env, log, name)))
        env.run()
        return log

    assert (
        run(False)
        == run(True)
        == [(0, "a"), (0, "b"), (1, "a"), (1, "b"), (1, "a", "v"), (1, "b", "v")]
    )


def test_fluid_dram_drops_the_completion_a_new_flow_made_obsolete():
    """A alone at 1 B/ns from 0 (1000 B: done at 1000 ns); B joins at 400 ns, both at
    0.5 B/ns: A's last 600 B take 1200 ns (done at 1600 ns), B then has 400 B left
    alone (done at 2000 ns). Each finishes a 100 ns latency later. Only the two ticks
    that finish a flow are processed; the one planned for 1000 ns is not."""
    from soc.config import DramConfig
    from soc.hw.fluid_dram import FluidDram
    from soc.kernel import MemRequest, NullRecorder

    class Counted(FluidDram):
        ticks = 0

        def _tick(self, event):
            Counted.ticks += 1
            super()._tick(event)

    env = simpy.Environment()
    config = DramConfig(
        fidelity="fluid",
        base_addr=0,
        size_bytes=2**20,
        bandwidth_bytes_per_s=1e9,
        efficiency=1.0,
        latency_ps=100_000,
    )
    dram = Counted(env, "dram", config, NullRecorder())
    ends = {}

    def master(name, at):
        yield env.timeout(at)
        yield from dram.transact(MemRequest(0, 1000, False, name))
        ends[name] = env.now

    env.process(master("a", 0))
    env.process(master("b", 400_000))
    env.run()
    assert ends == {"a": 1_600_000 + 100_000, "b": 2_000_000 + 100_000}
    assert Counted.ticks == 2
