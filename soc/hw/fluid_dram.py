"""DRAM at `fluid` fidelity: requests are flows sharing the channel's bandwidth.

Events happen only when a flow starts or ends. In between every active flow moves at
its rate. `efficiency` x peak bandwidth is shared among the masters with active flows
max-min fairly (by `weights` under `weighted`; class by class, most urgent QoS first,
under `priority`), where a regulated master's demand is capped at its token rate; a
master's share is split equally among its flows. A flow completes `latency_ps` after
its last byte moved.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from soc.hw.dram_base import DramTarget
from soc.kernel import MemRequest
from soc.kernel.clock import PS_PER_S


def water_fill(
    bandwidth: float, weights: dict[str, float], caps: dict[str, float]
) -> dict[str, float]:
    """Max-min fair shares of `bandwidth` by weight, no master above its cap (pure).
    Returns each master's share; what capped masters leave goes to the others."""
    shares: dict[str, float] = {}
    open_ = dict(weights)
    left = bandwidth
    while open_:
        per_weight = left / sum(open_.values())
        capped = {m for m, w in open_.items() if caps.get(m, math.inf) <= per_weight * w}
        if not capped:
            shares.update({m: per_weight * w for m, w in open_.items()})
            break
        for m in capped:
            shares[m] = caps[m]
            left -= caps[m]
            del open_[m]
    return shares


def fluid_rates(
    flows: list[MemRequest],
    bandwidth: float,
    policy: str,
    weights: dict[str, int],
    caps: dict[str, float] | None = None,
) -> list[float]:
    """Bytes per second of each active flow (pure); see the module doc."""
    caps = caps or {}
    masters: dict[str, list[int]] = {}
    for i, flow in enumerate(flows):
        masters.setdefault(flow.master, []).append(i)
    if policy == "priority":  # a master competes with its most urgent flows only
        urgent = {m: min(flows[i].qos for i in idx) for m, idx in masters.items()}
        masters = {m: [i for i in idx if flows[i].qos == urgent[m]] for m, idx in masters.items()}
        classes = sorted(set(urgent.values()))
        groups = [[m for m in masters if urgent[m] == q] for q in classes]
    else:
        groups = [list(masters)]
    rates = [0.0] * len(flows)
    left = bandwidth
    for group in groups:
        w = {m: float(weights.get(m, 1)) if policy == "weighted" else 1.0 for m in group}
        shares = water_fill(left, w, caps)
        for master, share in shares.items():
            for i in masters[master]:
                rates[i] = share / len(masters[master])
        left = max(0.0, left - sum(shares.values()))
    return rates


class FluidDram(DramTarget):
    """A memory target whose requests are fluid flows (see the module doc)."""

    def _setup(self) -> None:
        config = self.config
        self._bandwidth = config.bandwidth_bytes_per_s * config.efficiency
        self._flows: list[MemRequest] = []
        self._left: dict[int, float] = {}
        self._ends: dict[int, simpy.Event] = {}
        self._rates: list[float] = []
        self._since = 0
        self._version = 0
        self._caps = {m: r.rate_bytes_per_s for m, r in config.regulators.items()}

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """Join the active flows; done a latency after the last byte moved."""
        moved = self.env.event()
        self._advance()
        self._flows.append(req)
        self._left[id(req)] = float(req.size_bytes)
        self._ends[id(req)] = moved
        self._replan()
        yield moved
        yield self.env.timeout(self.config.latency_ps)

    def _advance(self) -> None:
        """Move every flow by its rate since the last change."""
        elapsed = (self.env.now - self._since) / PS_PER_S
        for flow, rate in zip(self._flows, self._rates, strict=False):
            self._left[id(flow)] -= rate * elapsed
        self._since = self.env.now

    def _replan(self) -> None:
        """Finish flows that are done, recompute rates, schedule the next completion."""
        for flow in [f for f in self._flows if self._left[id(f)] <= 1e-6]:
            self._flows.remove(flow)
            del self._left[id(flow)]
            self._ends.pop(id(flow)).succeed()
        cfg = self.config
        self._rates = fluid_rates(
            self._flows, self._bandwidth, cfg.arbitration, cfg.weights, self._caps
        )
        self._version += 1
        times = [
            self._left[id(f)] / rate
            for f, rate in zip(self._flows, self._rates, strict=True)
            if rate > 0
        ]
        if times:
            wait = max(1, int(-(-min(times) * PS_PER_S // 1)))
            version = self._version
            self.env.timeout(wait).callbacks.append(lambda _e: self._tick(version))

    def _tick(self, version: int) -> None:
        if version != self._version:
            return  # a start or end since then re-planned
        self._advance()
        self._replan()
