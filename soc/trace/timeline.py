"""Quantities over time: amounts summed in fixed windows of simulated time, per key.

The DRAM bandwidth per master and the power per component are such timelines. A sink
that keeps one hands it to the others at the end of the run as counter events (see
`Sink.final_counters`), so every trace shows it as counter tracks.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from soc.kernel.vocab import Action
from soc.trace.events import ActivityEvent, CounterEvent

DRAM_SERVED = frozenset({Action.DRAM_READ_BYTE, Action.DRAM_WRITE_BYTE})
"""The DRAM's actions that count as bytes served (bandwidth)."""


def dram_master(event: ActivityEvent) -> str | None:
    """The master whose DRAM bytes `event` reports as served, if it does."""
    if event.component == "dram" and event.action in DRAM_SERVED and event.master is not None:
        return event.master
    return None


def add_at(row: array, k: int, amount: float) -> None:
    """`row[k] += amount`, growing `row` with zero windows as far as needed (the hot
    paths do the addition in place and call this when it raises)."""
    k = int(k)
    if k >= len(row):
        grow = max(k + 1 - len(row), len(row) // 8 + 64)  # and some: few copies
        row.frombytes(bytes(row.itemsize * grow))  # zeros
    row[k] += amount


class WindowedSums:
    """Amounts per key in windows [k * window_ps, (k + 1) * window_ps); an amount counts
    in the window of its time stamp (a request's bytes where it completes). Times are
    never negative. Each key's windows are one array of floats (8 bytes a window)."""

    def __init__(self, window_ps: int) -> None:
        self.window_ps = window_ps
        self._rows: dict[str, array] = {}

    def add(self, t_ps: int, key: str, amount: float) -> None:
        add_at(self.row(key), t_ps // self.window_ps, amount)

    def row(self, key: str) -> array:
        """`key`'s amounts by window index, made empty on first use; add to it with
        `add_at` (or in place, where `row[k] += amount` does not raise IndexError)."""
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = array("d")
        return row

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
        out = {}
        for key in sorted(self._rows):
            row = self._rows[key]
            kept = min(len(row), len(spans))
            out[key] = [row[k] / spans[k] for k in range(kept)]
            out[key] += [0.0 / span for span in spans[kept:]]
        return out

    def counters(self, end_ps: int, track: str, unit: str, scale: float) -> Iterator[CounterEvent]:
        """One counter per key and window: its amount per ps x `scale`, named
        "<key> <unit>" on `track`; in time order, keys in sorted order at each time.
        Made as they are taken (a long run has many windows)."""
        rows = self.per_ps(end_ps)
        names = [f"{key} {unit}" for key in rows]  # one string for all of a key's counters
        window_ps = self.window_ps
        for k in range(len(self.spans(end_ps))):
            t_ps = k * window_ps
            for name, row in zip(names, rows.values(), strict=True):
                yield CounterEvent(t_ps, track, name, row[k] * scale)
