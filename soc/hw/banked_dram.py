"""DRAM at `banked` fidelity: ranks, bank groups and banks with open rows, the main JEDEC
timings, refresh, a transaction queue feeding per-bank command queues, and an FR-FCFS
command scheduler. A request of many bursts is one column command sequence computed
arithmetically (bursts back to back on the data bus), never one event per burst.

Life of a request: it waits for a slot in the transaction queue (`transaction_queue`
entries; its latency counts from here), moves to its bank's command queue when that
has room, and is served by PRE (if another row is open), ACT (if no row is open) and
one CAS per burst. The scheduler issues at most one command per DRAM cycle: the
ready command with the earliest issue cycle, row hits first among equals.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from soc.config.models import BankedTiming, DramConfig, JedecCycles
from soc.hw.dram_base import DramTarget
from soc.kernel import Action, ClockDomain, MemRequest


@dataclass(frozen=True)
class Location:
    rank: int
    bankgroup: int
    bank: int  # index within the bank group
    row: int

    def bank_id(self, t: BankedTiming) -> int:
        return (self.rank * t.bankgroups + self.bankgroup) * t.banks_per_group + self.bank


def decode(addr: int, t: BankedTiming, base: int = 0) -> Location:
    """Split an address by the mapping, most significant field first, above the
    offset bits of one burst."""
    value = (addr - base) // t.burst_bytes
    widths = {
        "column": t.column_bursts,
        "bank": t.banks_per_group,
        "bankgroup": t.bankgroups,
        "rank": t.ranks,
        "row": t.rows,
    }
    fields = {}
    for name in reversed(t.address_map):  # least significant first
        size = widths[name]
        fields[name] = value % size
        value //= size
    return Location(fields["rank"], fields["bankgroup"], fields["bank"], fields["row"])


class _Bank:
    __slots__ = ("open_row", "act_at", "fresh", "pre_ready", "act_ready", "cas_ready", "queue")

    def __init__(self) -> None:
        self.open_row: int | None = None
        self.act_at = -(10**9)
        self.fresh = False  # the open row's first column access is the one it was opened for
        self.pre_ready = 0  # earliest PRE (tRAS after ACT, tRTP / tWR after CAS)
        self.act_ready = 0  # earliest ACT (tRP after PRE)
        self.cas_ready = 0  # earliest CAS (tRCD after ACT)
        self.queue: deque = deque()


class BankedDram(DramTarget):
    """A memory target (`transact`) with banked timing; see the module doc."""

    @staticmethod
    def _clock(config: DramConfig) -> ClockDomain:
        return ClockDomain(config.banked.freq_hz)

    def _setup(self) -> None:
        env, timing = self.env, self.config.banked
        self.t = timing
        self.c: JedecCycles = timing.cycles
        n_banks = timing.ranks * timing.bankgroups * timing.banks_per_group
        self._banks = [_Bank() for _ in range(n_banks)]
        self._slots = simpy.Resource(env, capacity=timing.transaction_queue)
        self._incoming: deque = deque()
        self._wake: simpy.Event | None = None
        self._acts: list[deque] = [deque(maxlen=4) for _ in range(timing.ranks)]
        self._last_act_rank = [-(10**9)] * timing.ranks
        self._last_act_group: dict[tuple[int, int], int] = {}
        self._last_cas = -(10**9)
        self._last_cas_group = (-1, -1)
        self._bus_free = 0
        self._bus_rank = -1
        self._last_write_end = -(10**9)
        self._cmd_free = 0
        self._arrivals = 0  # arrival order: the age FR-FCFS breaks ties with

    def start(self) -> None:
        self.env.process(self._schedule())

    # -- requests ------------------------------------------------------------------

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """Wait for a transaction-queue entry (the latency counts from there), then for
        the scheduler to serve the request."""
        slot = self._slots.request()
        yield slot
        accepted[0] = self.env.now
        done = self.env.event()
        loc = decode(req.addr, self.t, self.config.base_addr)
        self._arrivals += 1
        self._incoming.append((req, loc, done, slot, self._arrivals))
        self._poke()
        yield done

    def _poke(self) -> None:
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    # -- scheduling ----------------------------------------------------------------

    def _now_cycle(self) -> int:
        return self.clock.edge_at_or_after(self.env.now)

    def _admit(self) -> None:
        """Move transactions, in order, into bank command queues that have room; each
        frees its transaction-queue entry."""
        t = self.t
        kept = deque()
        while self._incoming:
            req, loc, done, slot, age = self._incoming.popleft()
            bank = self._banks[loc.bank_id(t)]
            if len(bank.queue) < t.command_queue:
                bank.queue.append((req, loc, done, age))
                self._slots.release(slot)
            else:
                kept.append((req, loc, done, slot, age))
        self._incoming = kept

    def _refresh_end(self, rank: int, cycle: int) -> int:
        """If `cycle` falls in one of `rank`'s refreshes, when that refresh ends."""
        t = self.t
        offset = rank * self.c.trefi // t.ranks + self.c.trefi  # first one tREFI in
        if cycle < offset:
            return cycle
        phase = (cycle - offset) % self.c.trefi
        return cycle - phase + self.c.trfc if phase < self.c.trfc else cycle

    def _last_refresh_start(self, rank: int, cycle: int) -> int:
        t = self.t
        offset = rank * self.c.trefi // t.ranks + self.c.trefi
        if cycle < offset:
            return -(10**9)
        return cycle - (cycle - offset) % self.c.trefi

    def _candidate(self, bank_id: int, bank: _Bank, now: int):
        """The next command for this bank: (cycle, kind, queue index)."""
        t = self.t
        # a refresh since the row was opened has closed it
        if bank.open_row is not None:
            rank = bank_id // (t.bankgroups * t.banks_per_group)
            if self._last_refresh_start(rank, now) > bank.act_at:
                bank.open_row = None
                bank.act_ready = max(
                    bank.act_ready, self._last_refresh_start(rank, now) + self.c.trfc
                )
        index = 0
        if bank.open_row is not None:
            if self.t.scheduler == "fcfs":  # only the oldest request may go
                hit = 0 if bank.queue[0][1].row == bank.open_row else None
            else:  # FR-FCFS: the oldest request that hits the open row first
                hit = next(
                    (i for i, it in enumerate(bank.queue) if it[1].row == bank.open_row), None
                )
            if hit is not None:
                return max(now, bank.cas_ready), "CAS", hit
            return max(now, bank.pre_ready), "PRE", index
        return max(now, bank.act_ready), "ACT", index

    def _act_constraints(self, loc: Location, cycle: int) -> int:
        cycle = max(cycle, self._last_act_rank[loc.rank] + self.c.trrd_s)
        group_last = self._last_act_group.get((loc.rank, loc.bankgroup), -(10**9))
        cycle = max(cycle, group_last + self.c.trrd_l)
        window = self._acts[loc.rank]
        if len(window) == 4:
            cycle = max(cycle, window[0] + self.c.tfaw)
        return self._refresh_end(loc.rank, cycle)

    def _cas_constraints(self, loc: Location, write: bool, cycle: int) -> int:
        same_group = (loc.rank, loc.bankgroup) == self._last_cas_group
        cycle = max(cycle, self._last_cas + (self.c.tccd_l if same_group else self.c.tccd_s))
        latency = self.c.cwl if write else self.c.cl
        switch = self.c.trtrs if self._bus_rank not in (-1, loc.rank) else 0
        cycle = max(cycle, self._bus_free + switch - latency)
        if not write:
            cycle = max(cycle, self._last_write_end + self.c.twtr_s)
        return self._refresh_end(loc.rank, cycle)

    def _schedule(self) -> Generator[simpy.Event, object, None]:
        """Issue one command at a time, sleeping until it is due."""
        while True:
            self._admit()
            now = max(self._now_cycle(), self._cmd_free)
            best = None
            for bank_id, bank in enumerate(self._banks):
                if not bank.queue:
                    continue
                cycle, kind, index = self._candidate(bank_id, bank, now)
                loc = bank.queue[index][1]
                if kind == "ACT":
                    cycle = self._act_constraints(loc, cycle)
                elif kind == "CAS":
                    cycle = self._cas_constraints(loc, bank.queue[index][0].is_write, cycle)
                age = bank.queue[index][3]
                if self.t.scheduler == "fcfs":
                    key = (age, cycle, bank_id)  # strictly in arrival order
                else:
                    key = (cycle, kind != "CAS", age, bank_id)
                if best is None or key < best[0]:
                    best = (key, bank_id, kind, index)
            if best is None:
                self._wake = self.env.event()
                yield self._wake
                continue
            (cycle, *_), bank_id, kind, index = best
            due = self.clock.ps(cycle)
            if due > self.env.now:
                self._wake = self.env.event()
                yield self.env.any_of([self._wake, self.env.timeout(due - self.env.now)])
                if self._wake.triggered and self.env.now < due:
                    continue  # a new request may change the choice
            self._issue(bank_id, kind, index, cycle)
            self._cmd_free = cycle + 1

    def _issue(self, bank_id: int, kind: str, index: int, cycle: int) -> None:
        t = self.t
        bank = self._banks[bank_id]
        req, loc, done, _ = bank.queue[index]
        if kind == "PRE":
            bank.open_row = None
            bank.act_ready = cycle + self.c.trp
            return
        if kind == "ACT":
            bank.open_row = loc.row
            bank.act_at = cycle
            bank.fresh = True
            bank.cas_ready = cycle + self.c.trcd
            bank.pre_ready = cycle + self.c.tras
            self._acts[loc.rank].append(cycle)
            self._last_act_rank[loc.rank] = cycle
            self._last_act_group[(loc.rank, loc.bankgroup)] = cycle
            self.count(Action.DRAM_ACTIVATE, 1, req.master)
            return
        # CAS: every burst of the request, back to back on the data bus
        del bank.queue[index]
        bursts = -(-req.size_bytes // t.burst_bytes)
        latency = self.c.cwl if req.is_write else self.c.cl
        step = max(t.burst_cycles, self.c.tccd_l)
        last_cas = cycle + (bursts - 1) * step
        data_end = last_cas + latency + t.burst_cycles
        self._last_cas = last_cas
        self._last_cas_group = (loc.rank, loc.bankgroup)
        self._bus_free = data_end
        self._bus_rank = loc.rank
        if req.is_write:
            self._last_write_end = data_end
            bank.pre_ready = max(bank.pre_ready, data_end + self.c.twr)
        else:
            bank.pre_ready = max(bank.pre_ready, last_cas + self.c.trtp)
        if self.t.page_policy == "closed" and not any(
            it[1].row == bank.open_row
            for it in bank.queue  # the served one is gone
        ):
            # auto-precharge: close the row as soon as it may be closed
            bank.open_row = None
            bank.act_ready = max(bank.act_ready, bank.pre_ready + self.c.trp)
        self.count(Action.DRAM_ROW_MISS if bank.fresh else Action.DRAM_ROW_HIT, 1, req.master)
        bank.fresh = False
        finish = self.clock.ps(data_end + t.frontend_cycles)
        self.env.timeout(max(0, finish - self.env.now)).callbacks.append(
            lambda _e, d=done: d.succeed()
        )
        self._admit()
        self._poke()
