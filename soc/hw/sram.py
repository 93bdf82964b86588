"""Banked SRAM: address interleaving, per-bank port width, conflicts serialise.

Each bank is a reservation table (the time it is busy until), so an access costs one
SimPy event however many banks and beats it touches. Accesses are served in arrival
order per bank; an access that finds a touched bank busy is a conflict.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import simpy
from simpy.events import Timeout

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
        # bank b is free from cycle `_base + _offsets[b]` (`_base` when `_offsets` is
        # None): an access over every bank that finds them all idle, or all busy past
        # now, then costs no loop over banks (see `access_end_ps`)
        self._base = 0
        self._offsets: list[int] | None = None
        self._owned = False  # `_offsets` is this object's own list, not a shape's
        self._floor = 0  # at most the earliest cycle any bank is free from
        self._busiest = 0  # the latest cycle any bank is reserved until
        self._bank_span = config.banks * config.interleave_bytes
        self._shapes: dict[tuple[int, int], _Shape] = {}  # (offset % span, size) -> shape
        self._conflicts = 0

    @property
    def free_cycles(self) -> list[int]:
        """Per bank: the cycle it is free from."""
        if self._offsets is None:
            return [self._base] * self.config.banks
        return [self._base + c for c in self._offsets]

    def access_end_ps(self, req: MemRequest) -> tuple[int, int]:
        """Reserve the banks for `req` now; return (completion time, conflict cycles).

        Bank reservations are kept in whole cycles from the next clock edge, so long
        runs stay exact at any frequency. The cycles per bank are those of `bank_bytes`,
        remembered per shape of access (they depend on the offset modulo the banks'
        span and the size only).
        """
        cfg = self.config
        offset = req.addr - cfg.base_addr
        size = req.size_bytes
        if offset < 0 or offset + size > cfg.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        shape = self._shapes.get((offset % self._bank_span, size))
        if shape is None:
            shape = self._shape(offset, size)
        now = self.clock.edge_at_or_after(self.env.now)
        if shape.touched is not None:
            done, wait = self._reserve_some(shape.touched, now)
        elif self._busiest <= now:  # all idle: no bank waits
            done, wait = self._reserve_idle(shape, now), 0
        else:  # the busiest bank is touched: the access waits for it
            wait = self._busiest - now
            if self._floor >= now and (shape.flat is not None or self._offsets is None):
                done = self._reserve_busy(shape)
            else:
                done = self._reserve_all(shape.cycles, now)
        return self.clock.ps(done + cfg.latency_cycles), wait

    def _shape(self, offset: int, size: int) -> _Shape:
        """The shape of an access of `size` bytes at `offset`, remembered: granules
        first..last, bank (first + j) % banks holding q or q + 1 of them."""
        if len(self._shapes) >= _SHAPES_CACHE_ENTRIES:
            self._shapes.clear()
        g, banks = self.config.interleave_bytes, self.config.banks
        first, last = offset // g, (offset + size - 1) // g
        q, r = divmod(last - first + 1, banks)
        cycles = self._bank_cycles(
            first % banks, q, r, offset - first * g, (last + 1) * g - (offset + size)
        )
        shape = self._shapes[(offset % self._bank_span, size)] = _Shape(cycles, q > 0)
        return shape

    def _reserve_idle(self, shape: _Shape, now: int) -> int:
        """Every bank idle: bank b is busy from now for its cycles; the last one's end."""
        if shape.flat is not None:
            self._base = self._floor = self._busiest = now + shape.flat
            self._offsets = None
        else:
            self._base, self._offsets = now, shape.cycles
            self._floor, self._busiest = now + shape.shortest, now + shape.longest
        self._owned = False
        return self._busiest

    def _reserve_busy(self, shape: _Shape) -> int:
        """Every bank busy past now, and the access's cycles the same in every bank or
        the banks all free at `_base`: each bank is busy its cycles more."""
        flat = shape.flat
        if flat is not None:
            self._base += flat
            self._floor += flat
            self._busiest += flat
        else:
            base = self._base
            self._offsets, self._owned = shape.cycles, False
            self._floor, self._busiest = base + shape.shortest, base + shape.longest
        return self._busiest

    def _reserve_all(self, cycles: list[int], now: int) -> int:
        """Every bank touched, in any state: one step per bank."""
        base, offsets = self._base, self._offsets
        if offsets is None:
            start = base if base > now else now
            free = [start + c for c in cycles]
        else:
            free = [
                (base + o if base + o > now else now) + c
                for o, c in zip(offsets, cycles, strict=True)
            ]
        self._base, self._offsets, self._owned = 0, free, True
        self._floor, self._busiest = min(free), max(free)
        return self._busiest

    def _reserve_some(self, touched: list[tuple[int, int]], now: int) -> tuple[int, int]:
        """Some banks touched: (the last one's end, the longest wait)."""
        offsets, base = self._offsets, self._base
        if offsets is None:
            offsets = self._offsets = [0] * self.config.banks
            self._owned = True
        elif not self._owned:
            offsets = self._offsets = list(offsets)
            self._owned = True
        done = wait = 0
        for b, c in touched:
            free = base + offsets[b]
            start = free if free > now else now
            end = start + c
            offsets[b] = end - base
            if end > done:
                done = end
            if start - now > wait:
                wait = start - now
        if done > self._busiest:
            self._busiest = done
        return done, wait

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
        # bank (first_bank + j) % banks holds q + 1 granules for j < r, else q; only the
        # first and the last bank lose bytes to the cuts (list operations, not a loop
        # over banks: accesses of new shapes are common with compressed tensors)
        more = -(-(q + 1) * g // width)
        last_bank = (first_bank + r - 1) % banks

        def edge(b: int) -> int:
            nbytes = (q + 1 if (b - first_bank) % banks < r else q) * g
            nbytes -= (head_cut if b == first_bank else 0) + (tail_cut if b == last_bank else 0)
            return -(-nbytes // width)

        if not q:  # r banks of one granule each
            touched = [((first_bank + j) % banks, more) for j in range(r)]
            touched[0], touched[-1] = (first_bank, edge(first_bank)), (last_bank, edge(last_bank))
            return touched
        by_j = [more] * r + [-(-q * g // width)] * (banks - r)
        per_bank = by_j[banks - first_bank :] + by_j[: banks - first_bank]
        per_bank[first_bank], per_bank[last_bank] = edge(first_bank), edge(last_bank)
        return per_bank

    def _begin(self, req: MemRequest) -> tuple[int, int]:
        """Reserve the banks for `req` now and count it: (completion ps, conflict cycles)."""
        done_ps, conflict_cycles = self.access_end_ps(req)
        size, master = req.size_bytes, req.master
        self._activity(  # as `count` (size is positive)
            self.env.now,
            self.path,
            _WRITE if req.is_write else _READ,
            size if type(size) is int else int(size),
            master,
        )
        if conflict_cycles:
            now = self.env.now
            self._activity(now, self.path, Action.SRAM_BANK_CONFLICT, 1, master)
            cycles = conflict_cycles if type(conflict_cycles) is int else int(conflict_cycles)
            self._activity(now, self.path, Action.SRAM_CONFLICT_CYCLE, cycles, master)
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
        yield Timeout(self.env, done_ps - start)
        if self.request_spans:
            self._span(start, req, conflict_cycles)


class _Shape:
    """Busy cycles per bank of one shape of access (see `SramBanks._bank_cycles`):
    `cycles` over all banks when every bank is touched, with their extremes and `flat`,
    their common value if they are all the same (else None); else `touched`, the
    (bank, cycles) of each touched bank."""

    __slots__ = ("cycles", "touched", "flat", "shortest", "longest")

    def __init__(self, cycles: list, every_bank: bool) -> None:
        self.cycles: list[int] = cycles if every_bank else []
        self.touched: list[tuple[int, int]] | None = None if every_bank else cycles
        self.shortest = min(cycles) if every_bank else 0
        self.longest = max(cycles) if every_bank else 0
        self.flat = self.shortest if every_bank and self.shortest == self.longest else None


_READ, _WRITE = Action.SRAM_READ_BYTE, Action.SRAM_WRITE_BYTE
_SHAPES_CACHE_ENTRIES = 65536
