"""Bandwidth over time: bytes summed in fixed windows of simulated time, per key."""

from __future__ import annotations

from collections import defaultdict

from soc.kernel.vocab import Action
from soc.trace.events import ActivityEvent

_SERVED = (Action.DRAM_READ_BYTE, Action.DRAM_WRITE_BYTE)


def dram_master(event: ActivityEvent) -> str | None:
    """The master whose DRAM bytes `event` reports as served, if it does."""
    if event.component == "dram" and event.action in _SERVED and event.master is not None:
        return event.master
    return None


class WindowedBytes:
    """Bytes per key in windows [k * window_ps, (k + 1) * window_ps); a request's bytes
    count in the window where it completes."""

    def __init__(self, window_ps: int) -> None:
        self.window_ps = window_ps
        self._bins: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, t_ps: int, key: str, amount: int) -> None:
        self._bins[key][t_ps // self.window_ps] += amount

    def rates(self, end_ps: int) -> dict[str, list[float]]:
        """Bytes per second of each key in every window up to `end_ps` (the last window
        is cut at `end_ps`)."""
        windows = max(1, -(-end_ps // self.window_ps))
        out = {}
        for key in sorted(self._bins):
            row = []
            for k in range(windows):
                span = min(self.window_ps, end_ps - k * self.window_ps) or self.window_ps
                row.append(self._bins[key].get(k, 0) * 1e12 / span)
            out[key] = row
        return out
