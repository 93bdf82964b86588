"""Recording the requests the DRAM serves, for replay (`run.record_requests`).

`RequestLog` stands in front of the DRAM as its memory target: each request is passed
through unchanged, and when it completes one row is handed to `write`:

    (master, number, addr, size_bytes, is_write, qos, issue_ps, arrival_ps, done_ps,
     after, think_ps)

`number` numbers a master's requests in the order they reached the DRAM. `after` is
the number of the request of the same master that this one waited for: the one that completed
last at or before this one was issued (None if none had completed yet), and `think_ps`
the time from that completion to the issue. That is what an elastic replay re-creates:
a DMA channel that issues a request when one in flight completes waits for that one; a
camera that issues lines on a clock shows long think times that a faster memory does
not shorten (replay such masters timed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import simpy

from soc.kernel.ports import REQUEST_COLUMNS, MemRequest, MemTarget, RequestRow

COLUMNS = REQUEST_COLUMNS


@dataclass
class _Completions:
    """One master's completions so far, in time order: their times and numbers."""

    times: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    arrived: int = 0  # numbers handed out


class RequestLog:
    """A memory target that records every request `target` serves."""

    def __init__(
        self, env: simpy.Environment, target: MemTarget, write: Callable[[RequestRow], None]
    ) -> None:
        self.env = env
        self.target = target
        self.write = write
        self._masters: dict[str, _Completions] = {}

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        done = self._masters.get(req.master)
        if done is None:
            done = self._masters[req.master] = _Completions()
        number = done.arrived
        done.arrived += 1
        arrival = self.env.now
        yield from self.target.transact(req)
        now = self.env.now
        i = bisect_right(done.times, req.issued_ps)
        after, think = (done.numbers[i - 1], req.issued_ps - done.times[i - 1]) if i else (None, 0)
        done.times.append(now)
        done.numbers.append(number)
        self.write(
            (
                req.master,
                number,
                req.addr,
                req.size_bytes,
                req.is_write,
                req.qos,
                req.issued_ps,
                arrival,
                now,
                after,
                think,
            )
        )
