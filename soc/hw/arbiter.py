"""Choosing which master's request a memory controller takes next.

Pending requests wait in one FIFO per master and direction (reads and writes travel
separately, as on an AXI port), so a master's requests stay in order and the choice
costs O(masters), not O(requests). The arbiter looks only at the heads:

- fcfs: the oldest head;
- priority: the most urgent QoS class (lowest number), then the oldest;
- round_robin: masters in turn (by name, after the last one served);
- weighted: the master with the fewest bytes served per unit of weight.

Any master may be regulated by a token bucket: its head is eligible only once the
bucket holds the request's bytes.

A banked controller applies the same policy again where a real one applies QoS, in its
scheduler's choice among the commands ready at one cycle (`CommandRanks`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from soc.kernel.clock import PS_PER_S
from soc.kernel.ports import MemRequest

Item = TypeVar("Item")


@dataclass
class TokenBucket:
    """`rate_bytes_per_s` refill up to `burst_bytes`; starts full."""

    rate_bytes_per_s: float
    burst_bytes: int
    tokens: float = field(init=False)
    updated_ps: int = 0

    def __post_init__(self) -> None:
        self.tokens = float(self.burst_bytes)

    def _refill(self, now_ps: int) -> None:
        gained = (now_ps - self.updated_ps) * self.rate_bytes_per_s / PS_PER_S
        self.tokens = min(float(self.burst_bytes), self.tokens + gained)
        self.updated_ps = now_ps

    def ready_at(self, size_bytes: int, now_ps: int) -> int:
        """Earliest time the bucket holds `size_bytes` (now if it already does)."""
        self._refill(now_ps)
        need = min(size_bytes, self.burst_bytes) - self.tokens
        if need <= 0:
            return now_ps
        return now_ps + -(-int(need * PS_PER_S) // int(self.rate_bytes_per_s))

    def covers(self, size_bytes: int, at_ps: int) -> bool:
        """Whether the bucket holds `size_bytes` at `at_ps` (not before its last update);
        changes nothing, so a scheduler may ask about a cycle ahead of the clock."""
        gained = max(0, at_ps - self.updated_ps) * self.rate_bytes_per_s / PS_PER_S
        tokens = min(float(self.burst_bytes), self.tokens + gained)
        return tokens >= min(size_bytes, self.burst_bytes)

    def take(self, size_bytes: int, now_ps: int) -> None:
        self._refill(now_ps)
        self.tokens -= min(size_bytes, self.burst_bytes)


def token_buckets(regulators: dict) -> dict[str, TokenBucket]:
    """One bucket per regulated master, from `DramConfig.regulators`."""
    return {m: TokenBucket(r.rate_bytes_per_s, r.burst_bytes) for m, r in regulators.items()}


class Arbiter:
    """Stateful choice among the head requests of the masters' queues."""

    def __init__(
        self,
        policy: str,
        weights: dict[str, int] | None = None,
        regulators: dict[str, TokenBucket] | None = None,
    ) -> None:
        self.policy = policy
        self.weights = weights or {}
        self.regulators = regulators or {}
        self._served: dict[str, int] = {}
        self._last_master = ""

    def choose(
        self, heads: list[tuple[int, MemRequest]], now_ps: int
    ) -> tuple[int | None, int | None]:
        """Index into `heads` (each `(arrival number, request)`) of the one to take,
        or (None, time to look again) when every head waits for its regulator (None
        when there is nothing to wait for)."""
        if not self.regulators:  # every head is eligible
            return self._pick(heads, range(len(heads))), None
        eligible = []
        wake = None
        for i, (_, req) in enumerate(heads):
            bucket = self.regulators.get(req.master)
            at = bucket.ready_at(req.size_bytes, now_ps) if bucket else now_ps
            if at <= now_ps:
                eligible.append(i)
            else:
                wake = at if wake is None else min(wake, at)
        if not eligible:
            return None, wake
        return self._pick(heads, eligible), None

    def _pick(self, heads: list[tuple[int, MemRequest]], eligible: Sequence[int]) -> int:
        if len(eligible) == 1:  # what every policy picks, without its keys
            return eligible[0]
        if self.policy == "priority":
            return min(eligible, key=lambda i: (heads[i][1].qos, heads[i][0]))
        if self.policy == "round_robin":
            masters = sorted({heads[i][1].master for i in eligible})
            after = [m for m in masters if m > self._last_master]
            chosen = (after or masters)[0]
            return min(
                (i for i in eligible if heads[i][1].master == chosen), key=lambda i: heads[i][0]
            )
        if self.policy == "weighted":

            def share(i: int) -> tuple[float, int]:
                master = heads[i][1].master
                return self._served.get(master, 0) / self.weights.get(master, 1), heads[i][0]

            return min(eligible, key=share)
        return min(eligible, key=lambda i: heads[i][0])  # fcfs

    def charge(self, req: MemRequest, now_ps: int) -> None:
        """Account a taken request to its master."""
        self._last_master = req.master
        self._served[req.master] = self._served.get(req.master, 0) + req.size_bytes
        bucket = self.regulators.get(req.master)
        if bucket is not None:
            bucket.take(req.size_bytes, now_ps)


class RequestQueues(Generic[Item]):
    """Pending requests, one FIFO per (master, direction), served through an arbiter.
    Each request carries an item of the caller's (its completion event, say)."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        self._fifos: dict[tuple[str, bool], deque[tuple[int, MemRequest, Item]]] = {}
        self._arrivals = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, req: MemRequest, item: Item) -> None:
        self._arrivals += 1
        key = (req.master, req.is_write)
        fifo = self._fifos.get(key)
        if fifo is None:
            fifo = self._fifos[key] = deque()
        fifo.append((self._arrivals, req, item))
        self._size += 1

    def pop(
        self, now_ps: int, admits: Callable[[bool], bool] | None = None
    ) -> tuple[tuple[MemRequest, Item] | None, int | None]:
        """Take the arbiter's choice among the heads whose direction `admits` (by
        `is_write`) and charge it; or (None, time a regulator allows one, if any)."""
        heads, fifos = [], []
        for (_, is_write), fifo in self._fifos.items():
            if fifo and (admits is None or admits(is_write)):
                heads.append(fifo[0][:2])
                fifos.append(fifo)
        if not heads:
            return None, None
        if len(heads) == 1 and not self.arbiter.regulators:
            choice = 0  # what every policy picks, without asking (the common case)
        else:
            choice, wake = self.arbiter.choose(heads, now_ps)
            if choice is None:
                return None, wake
        _, req, item = fifos[choice].popleft()
        self._size -= 1
        self.arbiter.charge(req, now_ps)
        return (req, item), None


class CommandRanks:
    """The arbitration policy as a DRAM command scheduler applies it: `rank` orders the
    masters of commands ready at the same cycle (lower first), `serve` accounts a request
    whose data moved.

    - fcfs: every master equal (the scheduler's own order decides);
    - priority: the QoS class (0 most urgent);
    - round_robin: the masters' places in turn after the last one served (by name);
    - weighted: start-time fair queuing over bytes: a master's tag is where its next
      request would start, max(its last finish, the start of the last one served), and
      a request moves its master's finish on by bytes / weight; backlogged masters get
      bytes in proportion to their weights, and an idle one cannot bank service.

    A regulated master whose token bucket cannot cover its request now (it is over its
    rate) ranks after every master that is not. `static` tells a caller that ranks
    never change, so a choice made once stays valid.
    """

    def __init__(
        self,
        policy: str,
        weights: dict[str, int] | None = None,
        regulators: dict[str, TokenBucket] | None = None,
    ) -> None:
        self.policy = policy
        self.weights = weights or {}
        self.regulators = regulators or {}
        self.static = policy in ("fcfs", "priority") and not self.regulators
        self._index: dict[str, int] = {}  # round_robin: place of each master by name
        self._last = -1  # round_robin: place of the last master served
        self._last_master = ""
        self._finish: dict[str, float] = {}  # weighted: each master's finish tag
        self._start = 0.0  # weighted: start tag of the last request served

    def rank(self, req: MemRequest, now_ps: int) -> float | tuple[bool, float]:
        policy = self.policy
        if policy == "priority":
            rank: float = req.qos
        elif policy == "round_robin":
            place = self._index.get(req.master)
            if place is None:
                place = self._enrol(req.master)
            rank = (place - self._last - 1) % len(self._index)
        elif policy == "weighted":
            rank = max(self._finish.get(req.master, 0.0), self._start)
        else:
            rank = 0
        if not self.regulators:
            return rank
        bucket = self.regulators.get(req.master)
        over = bucket is not None and not bucket.covers(req.size_bytes, now_ps)
        return over, rank

    def _enrol(self, master: str) -> int:
        names = sorted({*self._index, master})
        self._index = {name: i for i, name in enumerate(names)}
        self._last = self._index.get(self._last_master, -1)
        return self._index[master]

    def serve(self, req: MemRequest) -> None:
        master = req.master
        if self.policy == "round_robin":
            self._last_master = master
            self._last = self._index.get(master)
            if self._last is None:
                self._last = self._enrol(master)
        elif self.policy == "weighted":
            start = max(self._finish.get(master, 0.0), self._start)
            self._start = start
            self._finish[master] = start + req.size_bytes / self.weights.get(master, 1)
