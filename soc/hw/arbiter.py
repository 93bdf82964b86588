"""Choosing which master's request a memory controller serves next.

Policies: fcfs (oldest first), priority (lowest QoS class first, then oldest),
round_robin (masters in turn), weighted (the master with the fewest bytes served per
unit of weight). Any master may be regulated by a token bucket: its request is eligible
only once the bucket holds the request's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from soc.kernel.clock import PS_PER_S
from soc.kernel.ports import MemRequest


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


class Arbiter:
    """Stateful choice among pending requests (oldest first within a master)."""

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

    def choose(self, pending: list[MemRequest], now_ps: int) -> tuple[int | None, int]:
        """Index of the request to serve, or (None, time to look again) when every
        pending request waits for its regulator."""
        eligible = []
        wake = None
        for i, req in enumerate(pending):
            bucket = self.regulators.get(req.master)
            at = bucket.ready_at(req.size_bytes, now_ps) if bucket else now_ps
            if at <= now_ps:
                eligible.append(i)
            else:
                wake = at if wake is None else min(wake, at)
        if not eligible:
            return None, wake if wake is not None else now_ps
        return self._pick(pending, eligible), now_ps

    def _pick(self, pending: list[MemRequest], eligible: list[int]) -> int:
        if self.policy == "priority":
            return min(eligible, key=lambda i: (pending[i].qos, i))
        if self.policy == "round_robin":
            masters = sorted({pending[i].master for i in eligible})
            after = [m for m in masters if m > self._last_master]
            chosen = (after or masters)[0]
            return next(i for i in eligible if pending[i].master == chosen)
        if self.policy == "weighted":

            def share(i: int) -> tuple[float, int]:
                master = pending[i].master
                return self._served.get(master, 0) / self.weights.get(master, 1), i

            return min(eligible, key=share)
        return eligible[0]  # fcfs: pending is in arrival order

    def charge(self, req: MemRequest, now_ps: int) -> None:
        """Account a served request to its master."""
        self._last_master = req.master
        self._served[req.master] = self._served.get(req.master, 0) + req.size_bytes
        bucket = self.regulators.get(req.master)
        if bucket is not None:
            bucket.take(req.size_bytes, now_ps)
