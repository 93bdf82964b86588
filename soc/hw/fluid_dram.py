"""DRAM at `fluid` fidelity: requests are flows sharing the channel's bandwidth.

Events happen only when a flow starts or ends. In between every active flow moves at
its rate. `efficiency` x peak bandwidth is shared among the masters with active flows
max-min fairly (by `weights` under `weighted`; class by class, most urgent QoS first,
under `priority`), where a regulated master's demand is capped at its token rate; a
master's share is split equally among its flows. A flow completes `latency_ps` after
its last byte moved.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from operator import truediv

import simpy
from simpy.events import NORMAL

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


_RATES_CACHE_ENTRIES = 4096


class FluidDram(DramTarget):
    """A memory target whose requests are fluid flows (see the module doc).

    The active flows are kept in arrival order, with their bytes still to move and
    their end events in parallel lists. A flow's rate depends only on the sequence of
    (master, QoS) of the active flows, so the rates of a sequence seen before are
    reused (`fluid_rates` is pure)."""

    def _setup(self) -> None:
        config = self.config
        self._bandwidth = config.bandwidth_bytes_per_s * config.efficiency
        self._flows: list[MemRequest] = []
        self._left: list[float] = []  # bytes each active flow has still to move
        self._ends: list[simpy.Event] = []  # fires when the flow's last byte moved
        self._keys: list[tuple[str, int]] = []  # (master, QoS) of each active flow
        self._next_tick: simpy.Event | None = None
        self._rates: list[float] = []
        self._since = 0
        self._caps = {m: r.rate_bytes_per_s for m, r in config.regulators.items()}
        self._known_rates: dict[tuple[tuple[str, int], ...], list[float]] = {}

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """Join the active flows; done a latency after the last byte moved."""
        moved = self.env.event()
        self._advance()
        self._flows.append(req)
        self._left.append(float(req.size_bytes))
        self._ends.append(moved)
        self._keys.append((req.master, req.qos))
        self._replan()
        if not (yield moved):  # True: `_replan` already waited the latency (see there)
            yield self.env.timeout(self.config.latency_ps)

    def _advance(self) -> None:
        """Move every flow by its rate since the last change."""
        now = self.env.now
        if now == self._since:  # nothing moved (x - r * 0.0 is x)
            return
        elapsed = (now - self._since) / PS_PER_S
        self._left = [x - r * elapsed for x, r in zip(self._left, self._rates, strict=True)]
        self._since = now

    def _replan(self) -> None:
        """Finish flows that are done, recompute rates, schedule the next completion.

        A finished flow's event would resume its request only to wait `latency_ps`. When
        nothing else is scheduled at this time, those events would be the next ones and
        their waits would follow in their order, so the event itself is scheduled a
        latency later instead (the same order, one event fewer per request). This holds
        because `_replan` is the last thing its caller does before the flow's request or
        the tick yields, and the next tick is at least 1 ps ahead."""
        env = self.env
        left = self._left
        ends = None
        if left and min(left) <= 1e-6:
            ends = self._remove_done()
            left = self._left
        self._rates = rates = self._rates_of(self._flows)
        if self._next_tick is not None:
            self._drop(self._next_tick)
            self._next_tick = None
        if 0.0 in rates:  # a flow at rate 0 has no completion time
            times = [x / rate for x, rate in zip(left, rates, strict=True) if rate > 0]
            soonest = min(times) if times else None
        else:
            soonest = min(map(truediv, left, rates)) if left else None
        if soonest is not None:
            wait = max(1, int(-(-soonest * PS_PER_S // 1)))
            tick = self._next_tick = env.timeout(wait)
            tick.callbacks.append(self._tick)
        if ends:
            if env.peek() > env.now:
                latency = self.config.latency_ps
                for end in ends:
                    end._ok = True
                    end._value = True
                    env.schedule(end, NORMAL, latency)
            else:
                for end in ends:
                    end.succeed(False)

    def _remove_done(self) -> list[simpy.Event]:
        """Take the flows whose last byte moved out of the active ones (in place: usually
        one of a few); their end events, in arrival order."""
        done = [i for i, x in enumerate(self._left) if x <= 1e-6]
        ends = [self._ends[i] for i in done]
        for i in reversed(done):
            del self._flows[i], self._left[i], self._ends[i], self._keys[i]
        return ends

    def _rates_of(self, flows: list[MemRequest]) -> list[float]:
        """`fluid_rates` of `flows`, remembered by their (master, QoS) sequence."""
        key = tuple(self._keys)
        rates = self._known_rates.get(key)
        if rates is None:
            cfg = self.config
            rates = fluid_rates(flows, self._bandwidth, cfg.arbitration, cfg.weights, self._caps)
            if len(self._known_rates) >= _RATES_CACHE_ENTRIES:
                self._known_rates.clear()
            self._known_rates[key] = rates
        return rates

    def _tick(self, _event: simpy.Event) -> None:
        self._next_tick = None
        self._advance()
        self._replan()

    def _drop(self, tick: simpy.Event) -> None:
        """Take a completion that a re-plan has made obsolete out of the schedule (its
        processing would do nothing; the order of every other event is unchanged)."""
        queue = self.env._queue
        for i, entry in enumerate(queue):
            if entry[3] is tick:
                last = queue.pop()
                if i < len(queue):
                    queue[i] = last
                    heapq.heapify(queue)
                return
