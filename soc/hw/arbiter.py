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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
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

    def _pick(self, heads: list[tuple[int, MemRequest]], eligible: list[int]) -> int:
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
        choice, wake = self.arbiter.choose(heads, now_ps)
        if choice is None:
            return None, wake
        _, req, item = fifos[choice].popleft()
        self._size -= 1
        self.arbiter.charge(req, now_ps)
        return (req, item), None
