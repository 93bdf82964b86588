"""DRAM at `fluid` fidelity: requests are flows sharing the channel's bandwidth.

Events happen only when a flow starts or ends. In between every active flow moves at
its rate: `efficiency` x peak bandwidth is split among the masters with active flows
(equally, by `weights`, or all of it to the most urgent QoS class under `priority`),
and a master's share equally among its flows. A flow completes `latency_ps` after its
last byte moved.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.hw.dram_base import DramTarget
from soc.kernel import MemRequest
from soc.kernel.clock import PS_PER_S


def fluid_rates(
    flows: list[MemRequest], bandwidth: float, policy: str, weights: dict[str, int]
) -> list[float]:
    """Bytes per second of each active flow (pure)."""
    if not flows:
        return []
    masters: dict[str, list[int]] = {}
    for i, flow in enumerate(flows):
        masters.setdefault(flow.master, []).append(i)
    if policy == "priority":
        urgent = min(flow.qos for flow in flows)
        share = {
            m: 1.0 if any(flows[i].qos == urgent for i in idx) else 0.0
            for m, idx in masters.items()
        }
    elif policy == "weighted":
        share = {m: float(weights.get(m, 1)) for m in masters}
    else:  # fcfs, round_robin: max-min fair among masters with unbounded demand
        share = dict.fromkeys(masters, 1.0)
    total = sum(share.values())
    rates = [0.0] * len(flows)
    for master, idx in masters.items():
        urgent_idx = idx
        if policy == "priority":
            urgent_idx = [i for i in idx if flows[i].qos == min(flows[j].qos for j in idx)]
        for i in urgent_idx:
            rates[i] = bandwidth * share[master] / total / len(urgent_idx)
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
        self._rates = fluid_rates(self._flows, self._bandwidth, cfg.arbitration, cfg.weights)
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
