"""Slots and Queue: FIFO hand-offs that schedule an event only for a caller that waits."""

import simpy

from soc.kernel.handoff import EMPTY, Queue, Slots


def test_slots_serve_waiters_in_arrival_order_and_only_waiters_cost_events():
    env = simpy.Environment()
    slots = Slots(env, 2)
    got = []

    def user(name, arrive, hold):
        yield env.timeout(arrive)
        wait = slots.take()
        if wait is not None:
            yield wait
        got.append((name, env.now))
        yield env.timeout(hold)
        slots.give()

    # a, b take the two units at t=0 and 1; c (t=2) and d (t=3) wait; a frees at 10,
    # b at 6: c gets b's unit at 6 and gives it back at 7, when d gets it
    for name, arrive, hold in (("a", 0, 10), ("b", 1, 5), ("c", 2, 1), ("d", 3, 1)):
        env.process(user(name, arrive, hold))
    env.run()
    assert got == [("a", 0), ("b", 1), ("c", 6), ("d", 7)]
    assert slots.free == 2


def test_take_of_a_free_unit_schedules_nothing():
    env = simpy.Environment()
    slots = Slots(env, 1)
    assert slots.take() is None
    assert env.peek() == float("inf")  # no event queued
    wait = slots.take()
    assert wait is not None and not wait.triggered
    slots.give()
    assert wait.triggered and slots.free == 0


def test_queue_is_fifo_and_hands_items_to_waiting_consumers():
    env = simpy.Environment()
    queue = Queue(env)
    seen = []

    def consumer():
        for _ in range(3):
            item = queue.get()
            if item is EMPTY:
                item = yield queue.wait()
            seen.append((item, env.now))

    def producer():
        queue.put("x")
        queue.put("y")  # both queued before the consumer runs
        yield env.timeout(4)
        queue.put("z")  # the consumer is waiting by now

    env.process(producer())
    env.process(consumer())
    env.run()
    assert seen == [("x", 0), ("y", 0), ("z", 4)]
    assert len(queue) == 0
