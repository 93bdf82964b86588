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
from soc.kernel import Action, ClockDomain, Component, MemRequest, Recorder, SpanKind


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
        self._free_cycle = [0] * config.banks  # per bank: the cycle it is free from
        self._busiest = 0  # max(self._free_cycle)
        # per shape of access (see access_end_ps): `_bank_cycles` and its longest entry
        self._cycles: dict[tuple[int, int, int, int, int], tuple[list, int]] = {}
        self._conflicts = 0

    def access_end_ps(self, req: MemRequest) -> tuple[int, int]:
        """Reserve the banks for `req` now; return (completion time, conflict cycles).

        Bank reservations are kept in whole cycles from the next clock edge, so long
        runs stay exact at any frequency. The bytes per bank are those of `bank_bytes`,
        computed in plain integers (numpy's per-call cost exceeds the arithmetic of
        one access) and remembered per shape of access: the first bank, the granules
        per bank and the partial bytes at both ends.
        """
        cfg = self.config
        offset = req.addr - cfg.base_addr
        size = req.size_bytes
        if offset < 0 or offset + size > cfg.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        g, banks = cfg.interleave_bytes, cfg.banks
        first, last = offset // g, (offset + size - 1) // g
        # granules first..last; bank (first + j) % banks holds q or q + 1 of them
        q, r = divmod(last - first + 1, banks)
        key = (first % banks, q, r, offset - first * g, (last + 1) * g - (offset + size))
        cached = self._cycles.get(key)
        if cached is None:
            if len(self._cycles) >= _CYCLES_CACHE_ENTRIES:
                self._cycles.clear()
            cycles = self._bank_cycles(*key)
            cached = self._cycles[key] = (cycles, max(cycles) if q else 0)
        cycles, longest = cached
        now = self.clock.edge_at_or_after(self.env.now)
        busiest = self._busiest  # the latest cycle any bank is reserved until
        if q:  # every bank is touched
            if busiest <= now:  # all idle: no bank waits
                wait = 0
                self._free_cycle = [now + c for c in cycles]
                done = now + longest
            else:
                wait = busiest - now
                self._free_cycle = free = [
                    (f if f > now else now) + c
                    for f, c in zip(self._free_cycle, cycles, strict=True)
                ]
                done = max(free)
            self._busiest = done
        else:
            free = self._free_cycle
            done = wait = 0
            for b, c in cycles:
                start = free[b] if free[b] > now else now
                end = free[b] = start + c
                if end > done:
                    done = end
                if start - now > wait:
                    wait = start - now
            if done > busiest:
                self._busiest = done
        return self.clock.ps(done + cfg.latency_cycles), wait

    def _bank_cycles(
        self, first_bank: int, q: int, r: int, head_cut: int, tail_cut: int
    ) -> list[int] | list[tuple[int, int]]:
        """Busy cycles per bank of an access over granules first..last (see
        `access_end_ps`): a list over all banks when every bank is touched (q > 0),
        else (bank, cycles) of each touched one. `head_cut` / `tail_cut` are the bytes
        of the first / last granule outside the access."""
        g, banks, width = (
            self.config.interleave_bytes,
            self.config.banks,
            self.config.bank_width_bytes,
        )
        last_bank = (first_bank + q * banks + r - 1) % banks
        touched = []
        for j in range(banks if q else r):
            b = (first_bank + j) % banks
            nbytes = (q + 1 if j < r else q) * g
            if b == first_bank:
                nbytes -= head_cut
            if b == last_bank:
                nbytes -= tail_cut
            touched.append((b, -(-nbytes // width)))
        if not q:
            return touched
        per_bank = [0] * banks
        for b, c in touched:
            per_bank[b] = c
        return per_bank

    def _begin(self, req: MemRequest) -> tuple[int, int]:
        """Reserve the banks for `req` now and count it: (completion ps, conflict cycles)."""
        done_ps, conflict_cycles = self.access_end_ps(req)
        size, master = req.size_bytes, req.master
        self.count(_WRITE if req.is_write else _READ, size, master)
        if conflict_cycles:
            self.count(Action.SRAM_BANK_CONFLICT, 1, master)
            self.count(Action.SRAM_CONFLICT_CYCLE, conflict_cycles, master)
            self._conflicts += 1
            self.counter("bank conflicts", self._conflicts)  # a running total in the trace
        return done_ps, conflict_cycles

    def _span(self, start: int, req: MemRequest, conflict_cycles: int) -> None:
        fields = {
            "master": req.master,
            "bytes": req.size_bytes,
            "write": req.is_write,
            "conflict_cycles": conflict_cycles,
        }
        self.recorder.span(start, self.env.now, self.path, SpanKind.SRAM_ACCESS, fields, True)

    def access(self, req: MemRequest) -> int:
        """Start `req` now and return when it finishes, for a caller that waits with a
        timeout of its own (no process per access). Same effect as `transact`: at request
        trace level the span is recorded when the access ends."""
        start = self.env.now
        done_ps, conflict_cycles = self._begin(req)
        if self.request_spans:
            self.env.timeout(done_ps - start).callbacks.append(
                lambda _e: self._span(start, req, conflict_cycles)
            )
        return done_ps

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Serve one read or write; finishes when the data is back (read) or written."""
        start = self.env.now
        done_ps, conflict_cycles = self._begin(req)
        yield self.env.timeout(done_ps - start)
        if self.request_spans:
            self._span(start, req, conflict_cycles)


_READ, _WRITE = Action.SRAM_READ_BYTE, Action.SRAM_WRITE_BYTE
_CYCLES_CACHE_ENTRIES = 65536
