"""Hand-offs between processes that cost an event only when someone has to wait.

`simpy.Container` and `simpy.Store` schedule an event for every put and every get, even
when the get can be served at once. On the hot paths (one hand-off per accelerator round)
that is most of a run's events. These two serve the same FIFO semantics, but a call that
can proceed returns at once (`None`) and only a caller that has to wait gets an event to
yield, which fires when a `give`/`put` serves it.

    wait = slots.take()
    if wait is not None:
        yield wait
"""

from __future__ import annotations

from collections import deque

import simpy


class Slots:
    """A pool of `count` identical units (e.g. the halves of a double buffer)."""

    __slots__ = ("_env", "free", "_waiting")

    def __init__(self, env: simpy.Environment, count: int) -> None:
        self._env = env
        self.free = count
        self._waiting: deque[simpy.Event] = deque()

    def take(self) -> simpy.Event | None:
        """Take one unit: None if one was free, else an event that fires with it."""
        if self.free and not self._waiting:
            self.free -= 1
            return None
        wait = self._env.event()
        self._waiting.append(wait)
        return wait

    def give(self) -> None:
        """Return one unit; the longest waiter, if any, gets it."""
        if self._waiting:
            self._waiting.popleft().succeed()
        else:
            self.free += 1


EMPTY = object()
"""What `Queue.get` returns when nothing is queued."""


class Queue:
    """An unbounded FIFO of items between producers and consumers:

    item = queue.get()
    if item is EMPTY:
        item = yield queue.wait()
    """

    __slots__ = ("_env", "_items", "_waiting")

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        self._items: deque[object] = deque()
        self._waiting: deque[simpy.Event] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: object) -> None:
        """Append `item`, handing it straight to the longest waiting consumer if any."""
        if self._waiting:
            self._waiting.popleft().succeed(item)
        else:
            self._items.append(item)

    def get(self) -> object:
        """The oldest queued item, or `EMPTY` (then yield `wait()`)."""
        if self._items and not self._waiting:
            return self._items.popleft()
        return EMPTY

    def wait(self) -> simpy.Event:
        """An event whose value is the next item put for this consumer."""
        wait = self._env.event()
        self._waiting.append(wait)
        return wait
