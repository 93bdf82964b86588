"""Quantities over time: amounts summed in fixed windows of simulated time, per key.

The DRAM bandwidth per master and the power per component are such timelines. A sink
that keeps one hands it to the others at the end of the run as counter events (see
`Sink.final_counters`), so every trace shows it as counter tracks.
"""

from __future__ import annotations

from collections import defaultdict

from soc.kernel.vocab import Action
from soc.trace.events import ActivityEvent, CounterEvent

DRAM_SERVED = frozenset({Action.DRAM_READ_BYTE, Action.DRAM_WRITE_BYTE})
"""The DRAM's actions that count as bytes served (bandwidth)."""


def dram_master(event: ActivityEvent) -> str | None:
    """The master whose DRAM bytes `event` reports as served, if it does."""
    if event.component == "dram" and event.action in DRAM_SERVED and event.master is not None:
        return event.master
    return None


class WindowedSums:
    """Amounts per key in windows [k * window_ps, (k + 1) * window_ps); an amount counts
    in the window of its time stamp (a request's bytes where it completes)."""

    def __init__(self, window_ps: int) -> None:
        self.window_ps = window_ps
        self._bins: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, t_ps: int, key: str, amount: float) -> None:
        self._bins[key][t_ps // self.window_ps] += amount

    def row(self, key: str) -> dict[int, float]:
        """`key`'s amounts by window index (a defaultdict: add to it in place)."""
        return self._bins[key]

    def spans(self, end_ps: int) -> list[int]:
        """Length of every window up to `end_ps` (the last one is cut there)."""
        windows = max(1, -(-end_ps // self.window_ps))
        return [
            min(self.window_ps, end_ps - k * self.window_ps) or self.window_ps
            for k in range(windows)
        ]

    def per_ps(self, end_ps: int) -> dict[str, list[float]]:
        """Each key's amount per ps in every window up to `end_ps`."""
        spans = self.spans(end_ps)
        return {
            key: [self._bins[key].get(k, 0.0) / span for k, span in enumerate(spans)]
            for key in sorted(self._bins)
        }

    def counters(self, end_ps: int, track: str, unit: str, scale: float) -> list[CounterEvent]:
        """One counter per key and window: its amount per ps x `scale`, named
        "<key> <unit>" on `track`."""
        out = []
        window_ps = self.window_ps
        for key, row in self.per_ps(end_ps).items():
            name = f"{key} {unit}"  # one string for all of the key's counters
            out += [
                CounterEvent(k * window_ps, track, name, value * scale)
                for k, value in enumerate(row)
            ]
        out.sort(key=lambda e: e.t_ps)
        return out
