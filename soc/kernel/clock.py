"""Clock domains: converting cycles to integer picoseconds without drift."""

from __future__ import annotations

import numpy as np

PS_PER_S = 10**12


class ClockDomain:
    """A clock of `freq_hz`; `ps(n)` is the exact ceiling of n cycles in picoseconds.

    Converting a whole count at once (rather than adding a rounded period n times) keeps
    long runs exact: 1.3 GHz has a period of 769.23... ps, and 13 cycles are 10,000 ps.
    """

    __slots__ = ("freq_hz",)

    def __init__(self, freq_hz: int) -> None:
        if freq_hz <= 0:
            raise ValueError(f"clock frequency must be positive, got {freq_hz}")
        self.freq_hz = int(freq_hz)

    def ps(self, cycles: int) -> int:
        """Duration of `cycles` (a non-negative integer) in ps, rounded up."""
        return -(-int(cycles) * PS_PER_S // self.freq_hz)

    def ps_array(self, cycles: np.ndarray) -> np.ndarray:
        """Vectorised `ps` for an integer array (int64; exact below ~9e6 s of cycles)."""
        cycles = np.asarray(cycles, dtype=np.int64)
        return -(-cycles * PS_PER_S // self.freq_hz)

    def edge_at_or_after(self, ps: int) -> int:
        """Index n of the first clock edge at or after time `ps`, edges being at
        `self.ps(n)` (whole ps): the smallest n with ps(n) >= ps."""
        ps = int(ps)
        return 0 if ps <= 0 else (ps - 1) * self.freq_hz // PS_PER_S + 1

    def cycles(self, ps: int) -> float:
        """Cycles elapsed in `ps` (for reports)."""
        return ps * self.freq_hz / PS_PER_S

    def __repr__(self) -> str:
        return f"ClockDomain({self.freq_hz} Hz)"


PICOSECOND_CLOCK = ClockDomain(PS_PER_S)
"""For components whose timing is given directly in ps (a DMA's setup latency, a DRAM's
bandwidth and latency) rather than in cycles of a clock of their own."""
