"""A master that re-issues a recorded request stream into the memory system.

Two ways to time the requests (DESIGN.md section 7):

- timed: each request issues at its recorded time, whatever the memory does; a request
  without a time issues when one of `max_outstanding` slots is free (a trace from a
  tool that records no times: "as fast as the memory takes them");
- elastic: a request that waited for an earlier one (`after`, the index of that request
  in the same stream) issues when that one completes here, plus the recorded think time;
  a request that waited for nothing keeps its recorded time. A faster memory then
  finishes the stream sooner, a slower one later.

`finished` fires when every request has completed.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import simpy

from soc.kernel import Component, MemRequest, Port, Recorder
from soc.kernel.clock import PICOSECOND_CLOCK
from soc.kernel.ports import MemTarget

MODES = ("timed", "elastic")


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    """One request to re-issue: what, when (ps, or None: when a slot is free), and in
    elastic mode the earlier request it waited for and the think time after it."""

    addr: int
    size_bytes: int
    is_write: bool
    t_ps: int | None
    qos: int = 0
    after: int | None = None
    think_ps: int = 0


class ReplayMaster(Component):
    """Port `mem`: the NoC endpoint the stream enters at."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        requests: Sequence[ReplayRequest],
        mode: str,
        recorder: Recorder,
        max_outstanding: int = 32,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, PICOSECOND_CLOCK, recorder, seed)
        if mode not in MODES:
            raise ValueError(f"replay mode {mode!r} (known: {', '.join(MODES)})")
        self.requests = tuple(requests)
        self.mode = mode
        self.mem: Port[MemTarget] = self.port("mem")
        self.finished = env.event()
        self.end_ps: int | None = None  # when its last request completed
        self.completions: list[tuple[int, int]] = []  # (time, bytes) of reads, in order
        self._slots = simpy.Resource(env, capacity=max_outstanding)
        self._done: list[simpy.Event] = []
        self._left = len(self.requests)

    def start(self) -> None:
        if not self.requests:
            self.finished.succeed()
            return
        self._done = [self.env.event() for _ in self.requests]
        self.env.process(self._issue_all())

    def _issue_all(self) -> Generator[simpy.Event, object, None]:
        """Issue in stream order: timed requests at their times, untimed ones when a slot
        is free; in elastic mode a request that waited for another is its own process,
        so it neither waits for nor holds up the requests around it (a master's DMA
        channels interleave in one stream)."""
        env = self.env
        elastic = self.mode == "elastic"
        if elastic:
            for index, r in enumerate(self.requests):
                if r.after is not None:
                    env.process(self._after(index, r))
        for index, r in enumerate(self.requests):
            if elastic and r.after is not None:
                continue
            if r.t_ps is not None and r.t_ps > env.now:
                yield env.timeout(r.t_ps - env.now)
            slot = None
            if r.t_ps is None:  # untimed: as fast as the memory takes them
                slot = self._slots.request()
                yield slot
            env.process(self._transact(index, r, slot))

    def _after(self, index: int, r: ReplayRequest) -> Generator[simpy.Event, object, None]:
        done = self._done[r.after]
        if not done.processed:
            yield done
        if r.think_ps:
            yield self.env.timeout(r.think_ps)
        yield from self._transact(index, r, None)

    def _transact(
        self, index: int, r: ReplayRequest, slot: simpy.Event | None
    ) -> Generator[simpy.Event, object, None]:
        req = MemRequest(r.addr, r.size_bytes, r.is_write, self.path, r.qos)
        req.issued_ps = self.env.now
        yield from self.mem.peer.transact(req)
        if not r.is_write:
            self.completions.append((self.env.now, r.size_bytes))
        if slot is not None:
            self._slots.release(slot)
        self._done[index].succeed()
        self._left -= 1
        if not self._left:
            self.end_ps = self.env.now
            self.finished.succeed()


def display_underflows(
    completions: Sequence[tuple[int, int]], line_bytes: int, line_ps: int, until_ps: int
) -> tuple[int, int]:
    """(underflows, bytes short) of a display whose FIFO fills with `completions` (time,
    bytes of each read) and whose panel takes `line_bytes` every `line_ps`, the first line
    one line time after the start: a display master's own rule (`DisplayMaster`), applied
    to the replayed read completions, up to `until_ps`."""
    level = count = short = 0
    i, n = 0, len(completions)
    line = 1
    while line * line_ps <= until_ps:
        t = line * line_ps
        while i < n and completions[i][0] <= t:  # reads done by the line's time count
            level += completions[i][1]
            i += 1
        if level < line_bytes:
            count += 1
            short += line_bytes - level
        level = max(0, level - line_bytes)
        line += 1
    return count, short
