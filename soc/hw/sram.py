"""Banked SRAM: address interleaving, per-bank port width, conflicts serialise.

Each bank is a reservation table (the time it is busy until), so an access costs one
SimPy event however many banks and beats it touches. Accesses are served in arrival
order per bank; an access that finds a touched bank busy is a conflict.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import simpy

from soc.config import SramConfig
from soc.kernel import Action, ClockDomain, Component, Level, MemRequest, Recorder, SpanKind


def bank_bytes(offset: int, size_bytes: int, banks: int, interleave_bytes: int) -> np.ndarray:
    """Bytes each bank serves for an access of `size_bytes` at byte `offset` in the SRAM.

    Granule i = [i*g, (i+1)*g) lives in bank i mod banks; the first and last granule may
    be partial. Arithmetic over banks, never over bytes.
    """
    g = interleave_bytes
    first, last = offset // g, (offset + size_bytes - 1) // g
    b = np.arange(banks, dtype=np.int64)
    granules = (last - b) // banks - (first - 1 - b) // banks
    out = granules * g
    out[first % banks] -= offset - first * g
    out[last % banks] -= (last + 1) * g - (offset + size_bytes)
    return out


class SramBanks(Component):
    """The accelerator's banked SRAM; a memory target (`transact`).

    Timing of an access: from the next clock edge, each touched bank b starts when it is
    free and is busy for ceil(bytes_b / bank_width) cycles; data is back
    `latency_cycles` after the last bank finishes.
    """

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: SramConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, ClockDomain(config.freq_hz), recorder, seed)
        self.config = config
        self._free_cycle = np.zeros(config.banks, dtype=np.int64)
        self._conflicts = 0

    def access_end_ps(self, req: MemRequest) -> tuple[int, int]:
        """Reserve the banks for `req` now; return (completion time, conflict cycles).

        Bank reservations are kept in whole cycles from the next clock edge, so long
        runs stay exact at any frequency.
        """
        cfg = self.config
        offset = req.addr - cfg.base_addr
        if offset < 0 or offset + req.size_bytes > cfg.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        per_bank = bank_bytes(offset, req.size_bytes, cfg.banks, cfg.interleave_bytes)
        touched = np.nonzero(per_bank)[0]
        now = self.clock.edge_at_or_after(self.env.now)
        start = np.maximum(self._free_cycle[touched], now)
        end = start + -(-per_bank[touched] // cfg.bank_width_bytes)
        self._free_cycle[touched] = end
        done = int(end.max()) + cfg.latency_cycles
        return self.clock.ps(done), int((start - now).max())

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Serve one read or write; finishes when the data is back (read) or written."""
        done_ps, conflict_cycles = self.access_end_ps(req)
        action = Action.SRAM_WRITE_BYTE if req.is_write else Action.SRAM_READ_BYTE
        self.count(action, req.size_bytes, req.master)
        if conflict_cycles:
            self.count(Action.SRAM_BANK_CONFLICT, 1, req.master)
            self.count(Action.SRAM_CONFLICT_CYCLE, conflict_cycles, req.master)
            self._conflicts += 1
            self.counter("bank conflicts", self._conflicts)  # a running total in the trace
        with self.span(
            SpanKind.SRAM_ACCESS,
            Level.REQUEST,
            overlap=True,
            master=req.master,
            bytes=req.size_bytes,
            write=req.is_write,
            conflict_cycles=conflict_cycles,
        ):
            yield self.env.timeout(done_ps - self.env.now)
