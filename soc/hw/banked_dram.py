"""DRAM at `banked` fidelity: channels, ranks, bank groups and banks with open rows, the
main JEDEC timings, refresh, read and write queues with write draining, per-bank command
queues and an FR-FCFS (or FCFS) command scheduler. A request of many bursts is one
column command sequence computed arithmetically (bursts back to back on the data bus),
never one event per burst.

Life of a request: the address map picks its channel, each an independent controller.
It waits at the controller's front end, one FIFO per master and direction, until the
arbiter (`arbitration`, `regulators`) gives it an entry of the read transaction queue
or the write queue; its latency counts from there. A write completes when its data is
written or, with `posted_writes`, on entry (when its data is written is sampled apart as
its write command issues, `write_data_latency_ps`); a read of an address a queued write
holds is answered from the write queue.

Reads move on to their bank's command queue as it has room, the best ranked first (see
below). Writes do so only while the controller drains them: a drain starts when the
write queue reaches `write_drain_high`, when no read is queued anywhere, or when the
oldest write has waited `write_max_wait_cycles`; it ends once the queue is down to
`write_drain_low` with reads waiting (in the read queue or at a bank) and the writes it
sent to the banks are issued.

The arbitration policy acts again inside, where a real controller applies QoS: it ranks
the masters (`CommandRanks`: QoS class under `priority`, turn under `round_robin`,
fair-queuing tag under `weighted`, all equal under `fcfs`; a regulated master over its
rate ranks last). A bank serves its queue by PRE (if another row is open), ACT (if no
row is open) and one CAS per burst. The request a bank serves next is its head once that
has waited `age_limit_cycles` since the controller took it (the starvation bound);
otherwise, under FR-FCFS, the oldest row hit, else the oldest request, with `fcfs`; the
first by (QoS class, row hit, age) under `priority`, so an urgent class's row miss goes
before another class's row hit; under `round_robin` and `weighted` each master's oldest
row hit (else oldest request) competes by (draining: writes first, rank, row hit, age).
Under FCFS scheduling a bank serves its head only.

The scheduler issues at most one command per DRAM cycle: commands past the age limit
first, by age; while draining, writes before reads; then the command with the earliest
issue cycle; among those ready at that cycle the lowest rank, then row hits, then the
oldest (`bank_order` rotating: the lowest rank, then the first bank after the one that
issued last, as DRAMsim3 scans its bank queues). So under `round_robin` the masters
with ready commands take turns, and under `weighted` they share the data bus in
proportion to their weights. The strict FCFS scheduler takes the banks' heads by (age
limit, rank, age).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Generator

import simpy

from soc.config.dram import DramConfig, burst_step_cycles, rotates_bankgroups
from soc.hw.arbiter import Arbiter, CommandRanks, RequestQueues, token_buckets
from soc.hw.banked_parts import Bank, Txn
from soc.hw.banked_timing import ChannelTiming
from soc.hw.dram_address import AddressMap
from soc.hw.dram_base import DramTarget
from soc.kernel import Action, ClockDomain, MemRequest
from soc.kernel.clock import PS_PER_S
from soc.kernel.ports import drive, start_soon, succeed_last


class BankedDram(DramTarget):
    """A memory target (`transact`) with banked timing; see the module doc."""

    @staticmethod
    def _clock(config: DramConfig) -> ClockDomain:
        return ClockDomain(config.banked.freq_hz)

    def access_track(self, req: MemRequest) -> str:
        loc = self.address_map.decode(req.addr)
        return f"{self.path}.ch{loc.channel}.rank{loc.rank}.bg{loc.bankgroup}.bank{loc.bank}"

    def _setup(self) -> None:
        self.address_map = AddressMap(self.config.banked, self.config.base_addr)
        buckets = token_buckets(self.config.regulators)  # shared: a rate is per master
        count = self.config.banked.channels
        self.channels = [_Channel(self, index, buckets) for index in range(count)]

    def start(self) -> None:
        for channel in self.channels:  # run as a process runs it (see `_Channel._woken`)
            start_soon(self.env, drive(channel.schedule()))

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """Wait at the front end for a queue entry (the latency counts from there), then
        for the channel to serve the request (or only to take it, if a posted write)."""
        loc = self.address_map.decode(req.addr)
        txn = Txn(req, loc, self.env.event(), accepted)
        self.channels[loc.channel].offer(txn)
        yield txn.done


class _Channel:
    """One channel's controller: front end, read and write queues, banks, scheduler."""

    def __init__(self, dram: BankedDram, index: int, buckets: dict) -> None:
        config = dram.config
        self.dram = dram
        self.env = dram.env
        self.clock = dram.clock
        # cycles to ps as ClockDomain.ps does, inlined where it runs per decision
        self.freq_hz = self.clock.freq_hz
        self.t = t = config.banked
        self.c = t.cycles
        self.index = index
        self.front: RequestQueues[Txn] = RequestQueues(
            Arbiter(config.arbitration, dict(config.weights), buckets)
        )
        self.ranks = CommandRanks(config.arbitration, dict(config.weights), buckets)
        self.ranked = config.arbitration != "fcfs" or bool(buckets)
        self.static_ranks = self.ranks.static  # then a request's rank is taken once: Txn.rank
        limit = t.age_limit_cycles
        self.age_limit_ps = self.clock.ps(limit) if limit is not None else None
        self.reads: deque[Txn] = deque()
        self.writes: deque[Txn] = deque()
        self.write_addrs: Counter[tuple[int, int]] = Counter()
        self.draining = False
        self.bank_reads = 0  # reads in the bank command queues
        self.bank_writes = 0  # writes in the bank command queues
        self.drain_high = t.write_drain_high or t.write_queue
        self.rotating = rotates_bankgroups(t)
        self.burst_steps: dict[int, int] = {}  # `burst_step_cycles` by request bursts
        self.burst_bytes, self.burst_cycles = t.burst_bytes, t.burst_cycles
        self.write_max_wait_ps = self.clock.ps(t.write_max_wait_cycles)
        self.regulator_wake = False
        self.banks = [Bank() for _ in range(t.ranks * t.bankgroups * t.banks_per_group)]
        self.busy: set[int] = set()  # banks with queued commands
        self.full_banks: set[int] = set()  # banks whose command queues are full
        self.rotate_banks, self.next_bank = t.bank_order == "rotating", 0
        # the scheduler sleeps on `resume`; `wake` (a poke) or `timer` triggers it
        self.wake: simpy.Event | None = None
        self.timer: simpy.Event | None = None
        self.resume: simpy.Event | None = None
        self.woken = self._woken  # the bound method made once, not per sleep
        self.timing = ChannelTiming(t)
        self.cmd_free = 0
        self.arrivals = 0  # arrival order: the age the scheduler breaks ties with

    # -- front end and queues -------------------------------------------------------

    def offer(self, txn: Txn) -> None:
        self.front.push(txn.req, txn)
        self.refill()

    def _has_room(self, is_write: bool) -> bool:
        if is_write:
            return len(self.writes) < self.t.write_queue
        return len(self.reads) < self.t.transaction_queue

    def refill(self) -> None:
        """Take requests from the front end into the queues and from the queues into
        the banks until neither moves; wake the scheduler if anything reached a bank."""
        moved = True
        while moved:
            moved = self._accept()
            moved = self._admit() or moved
        if self.busy:
            self.poke()

    def _accept(self) -> bool:
        front = self.front
        if not len(front):
            return False
        now = self.env.now
        took = False
        has_room, write_addrs = self._has_room, self.write_addrs
        static = self.ranked and self.static_ranks
        while len(front):
            chosen, wake = front.pop(now, has_room)
            if chosen is None:
                if wake is not None and not self.regulator_wake:
                    self.regulator_wake = True
                    self.env.timeout(wake - now).callbacks.append(self._regulator_refilled)
                break
            took = True
            req, txn = chosen
            txn.accepted[0] = now
            self.arrivals += 1
            txn.age = self.arrivals
            if static:
                txn.rank = self.ranks.rank(req, now)
            key = (req.addr, req.size_bytes)
            if req.is_write:
                self.writes.append(txn)
                write_addrs[key] += 1
                # look again when it has waited its longest
                self.env.timeout(self.write_max_wait_ps).callbacks.append(self._recheck)
                if self.t.posted_writes:
                    txn.done.succeed()
            elif write_addrs.get(key):  # (a Counter's [] of a missing key costs a call)
                txn.done.succeed()  # answered from the write queue
            else:
                self.reads.append(txn)
        return took

    def _regulator_refilled(self, _event: simpy.Event) -> None:
        self.regulator_wake = False
        self.refill()

    def _recheck(self, _event: simpy.Event) -> None:
        self.refill()

    def _admit(self) -> bool:
        """Move queued transactions, in order, into bank command queues with room:
        writes while draining, reads otherwise."""
        n_writes = len(self.writes)
        if self.draining:
            waiting = self.reads or self.bank_reads  # in the queue or at a bank
            low = n_writes == 0 or (n_writes <= self.t.write_drain_low and waiting)
            if low and not self.bank_writes:  # a drain ends once its writes are issued
                self.draining = False
        elif n_writes and (
            n_writes >= self.drain_high
            or not (self.reads or self.bank_reads)
            or self.writes[0].accepted[0] <= self.env.now - self.write_max_wait_ps
        ):
            self.draining = True
        source = self.writes if self.draining else self.reads
        if not source:
            return False
        # with reads waiting, a drain sends the banks only the writes above the low mark
        budget = -1
        if self.draining and (self.reads or self.bank_reads):
            budget = max(0, n_writes - self.t.write_drain_low)
            if not budget:
                return False
        limit, banks = self.t.command_queue, self.banks
        ranked = self.ranked and len(source) > 1  # free entries go to the best ranked first
        now_ps = self.env.now
        old_before = -1 if self.age_limit_ps is None else now_ps - self.age_limit_ps
        if ranked and not self.static_ranks:  # every request ranked, in order: `rank`
            rank = self.ranks.rank  # enrols a master it meets first, which moves later ranks
            order: deque[Txn] | list[Txn] = sorted(
                source, key=lambda x: (x.accepted[0] > old_before, rank(x.req, now_ps), x.age)
            )
        else:
            full = self.full_banks  # a request whose bank is full stays out (banks only fill here)
            if full:
                order = [txn for txn in source if txn.loc.bank_id not in full]
                if not order:
                    return False
            else:
                order = source
            if ranked:
                order = sorted(order, key=lambda x: (x.accepted[0] > old_before, x.rank, x.age))
        taken = []
        for txn in order:
            if not budget:
                break
            bank_id = txn.loc.bank_id
            bank = banks[bank_id]
            queue = bank.queue
            if len(queue) < limit:
                budget -= 1
                queue.append(txn)
                if len(queue) == limit:
                    self.full_banks.add(bank_id)
                bank.options = bank.choice = None
                self.busy.add(bank_id)
                taken.append(txn)
                if txn.req.is_write:
                    self.bank_writes += 1
                else:
                    self.bank_reads += 1
        for txn in taken:  # the rest of the source stays in arrival (age) order
            source.remove(txn)
        return bool(taken)

    def poke(self) -> None:
        """Wake the scheduler if it sleeps (a poke while it runs changes nothing: it
        looks at the queues again before it sleeps)."""
        wake = self.wake
        if wake is not None and not wake.triggered and not self.resume.triggered:
            wake.succeed()

    def _sleep(self, delay_ps: int) -> simpy.Event:
        """What the scheduler waits on: `delay_ps` passing or a poke, whichever comes
        first, then one event more, as `any_of([wake, timeout])` would, so that every
        event keeps its order, without a Condition's cost."""
        env, woken = self.env, self.woken
        wake = self.wake
        if wake is None or wake.triggered:  # else the last sleep's, its timer first: kept
            self.wake = wake = simpy.Event(env)
            wake.callbacks.append(woken)
        self.timer = timer = env.timeout(delay_ps)
        timer.callbacks.append(woken)
        self.resume = simpy.Event(env)
        return self.resume

    def _woken(self, event: simpy.Event) -> None:
        if (event is self.wake or event is self.timer) and not self.resume.triggered:
            succeed_last(self.env, self.resume)

    # -- timing ----------------------------------------------------------------------

    def _options(self, bank: Bank) -> list[Txn]:
        """The requests this bank may serve next (its head aside, once past the age
        limit), for the scheduler to rank when there are several. FCFS: the head.
        FR-FCFS: the oldest row hit, else the oldest request; under `priority` the most
        urgent class's (its row miss before another class's hit); when ranks change as
        masters are served (`round_robin`, `weighted`, regulators), each master's
        oldest row hit, else its oldest request, per direction."""
        queue = bank.queue
        row = bank.open_row
        if self.t.scheduler == "fcfs":
            return [queue[0]]
        if not self.ranked:  # the oldest request that hits the open row, else the oldest
            for txn in queue:
                if txn.loc.row == row:
                    return [txn]
            return [queue[0]]
        if self.static_ranks:  # the first by (QoS class, row miss, age); a loop, no key calls
            best = queue[0]
            best_key = (best.rank, best.loc.row != row, best.age)
            for txn in queue:
                key = (txn.rank, txn.loc.row != row, txn.age)
                if key < best_key:
                    best, best_key = txn, key
            return [best]
        firsts: dict[tuple[str, bool], Txn] = {}
        for txn in queue:  # oldest first
            first = firsts.get(txn.stream)
            if first is None or (first.loc.row != row and txn.loc.row == row):
                firsts[txn.stream] = txn
        return list(firsts.values())

    def _choice(self, bank: Bank, now_ps: int) -> tuple[int, str, Txn]:
        """The bank's next command among its options (cached when it has one only)."""
        options = bank.options
        if options is None:
            options = bank.options = self._options(bank)
        if len(options) == 1:
            bank.choice = self._command(bank, options[0])
            return bank.choice
        row, draining, rank = bank.open_row, self.draining, self.ranks.rank
        best = best_key = None
        for txn in options:  # while draining writes first, then rank, row hit, age
            req = txn.req
            key = (draining and not req.is_write, rank(req, now_ps), txn.loc.row != row, txn.age)
            if best_key is None or key < best_key:
                best, best_key = txn, key
        return self._command(bank, best)

    @staticmethod
    def _command(bank: Bank, txn: Txn) -> tuple[int, str, Txn]:
        """The command `txn` needs next and the cycle the bank's own timing allows it."""
        row = bank.open_row
        if row is None:
            return bank.act_ready, "ACT", txn
        if txn.loc.row == row:
            return bank.cas_ready, "CAS", txn
        return bank.pre_ready, "PRE", txn

    # -- scheduling -----------------------------------------------------------------

    def schedule(self) -> Generator[simpy.Event, object, None]:
        """Issue one command at a time, sleeping until it is due."""
        env, banks, busy, trfc = self.env, self.banks, self.busy, self.c.trfc
        frfcfs, rotating, n_banks = self.t.scheduler == "frfcfs", self.rotate_banks, len(banks)
        rank_of, ranked, static = self.ranks.rank, self.ranked, self.static_ranks
        choice_of, command_of = self._choice, self._command
        act_ready, cas_ready = self.timing.act_ready, self.timing.cas_ready
        limit_ps, freq_hz = self.age_limit_ps, self.freq_hz
        best_tier = best_cycle = 0  # the best command's (set with best_key)
        while True:
            at = int(env.now)  # ClockDomain.edge_at_or_after and .ps, inlined
            now = 0 if at <= 0 else (at - 1) * freq_hz // PS_PER_S + 1
            if now < self.cmd_free:
                now = self.cmd_free
            now_ps = -(-now * PS_PER_S // freq_hz)
            old_before = -1 if limit_ps is None else now_ps - limit_ps
            draining, first = self.draining, self.next_bank
            best_key = None
            for bank_id in busy:
                bank = banks[bank_id]
                if now >= bank.closes_at and bank.open_row is not None:
                    # a refresh since the row was opened has closed it
                    bank.open_row = None
                    bank.act_ready = max(bank.act_ready, bank.closes_at + trfc)
                    bank.options = bank.choice = None
                txn = bank.queue[0]
                young = txn.accepted[0] > old_before
                if young:
                    cycle, kind, txn = bank.choice or choice_of(bank, now_ps)
                else:  # past the age limit: the head goes next
                    cycle, kind, txn = command_of(bank, txn)
                if cycle < now:
                    cycle = now
                write = txn.req.is_write
                # past the age limit first, then (while draining) writes, then the rest
                tier = (2 if draining and not write else 1) if young else 0
                if (
                    frfcfs
                    and best_key is not None
                    and (tier > best_tier or (tier == best_tier and cycle > best_cycle))
                ):
                    continue  # the channel's constraints only delay it further
                if kind == "CAS":
                    cycle = cas_ready(txn.loc, write, cycle)
                elif kind == "ACT":
                    cycle = act_ready(txn.loc, cycle)
                if not (ranked and young):
                    rank = 0  # old: by age
                else:
                    rank = txn.rank if static else rank_of(txn.req, now_ps)
                if not frfcfs:
                    key = (young, rank, txn.age, cycle, bank_id)  # strictly in arrival order
                elif rotating:  # from the bank after the last to issue (DRAMsim3's scan)
                    key = (tier, cycle, rank, (bank_id - first) % n_banks)
                else:
                    key = (tier, cycle, rank, kind != "CAS", txn.age, bank_id)
                if best_key is None or key < best_key:
                    best_key, best_tier, best_cycle = key, tier, cycle
                    best_bank, best_kind, best_txn = bank_id, kind, txn
            if best_key is None:
                self.wake = self.resume = env.event()
                yield self.wake
                continue
            due = -(-best_cycle * PS_PER_S // freq_hz)
            if due > env.now:
                yield self._sleep(due - env.now)
                if self.wake.triggered and env.now < due:
                    continue  # a new request may change the choice
            self._issue(best_bank, best_kind, best_txn, best_cycle)
            self.cmd_free, self.next_bank = best_cycle + 1, best_bank + 1

    def _issue(self, bank_id: int, kind: str, txn: Txn, cycle: int) -> None:
        t, c = self.t, self.c
        bank = self.banks[bank_id]
        bank.options = bank.choice = None
        req, loc = txn.req, txn.loc
        if kind == "PRE":
            bank.open_row = None
            bank.act_ready = cycle + c.trp
            return
        if kind == "ACT":
            bank.open_row = loc.row
            bank.act_at = cycle
            bank.fresh = True
            bank.cas_ready = cycle + c.trcd
            bank.pre_ready = cycle + c.tras
            bank.closes_at = self.timing.next_refresh(loc.rank, cycle)
            self.timing.activated(loc, cycle)
            self.dram.count(Action.DRAM_ACTIVATE, 1, req.master)
            return
        # CAS: every burst of the request, back to back on the data bus
        bank.queue.remove(txn)
        if not bank.queue:
            self.busy.discard(bank_id)
        self.full_banks.discard(bank_id)
        write = req.is_write
        bursts = -(-req.size_bytes // self.burst_bytes)
        step = self.burst_steps.get(bursts)
        if step is None:
            step = self.burst_steps[bursts] = burst_step_cycles(t, bursts)
        last_cas = cycle + (bursts - 1) * step
        data_end = last_cas + (c.cwl if write else c.cl) + self.burst_cycles
        self.timing.transferred(loc, write, last_cas, bursts, self.rotating, data_end)
        if write:
            self.bank_writes -= 1
            bank.pre_ready = max(bank.pre_ready, data_end + c.twr)
            self.dram.data_written(req.master, txn.arrived, txn.accepted[0], self._ps(data_end))
            key = (req.addr, req.size_bytes)
            self.write_addrs[key] -= 1
            if not self.write_addrs[key]:
                del self.write_addrs[key]
        else:
            self.bank_reads -= 1
            bank.pre_ready = max(bank.pre_ready, last_cas + c.trtp)
        if t.page_policy == "closed" and not any(other.loc.row == loc.row for other in bank.queue):
            # auto-precharge: close the row as soon as it may be closed
            bank.open_row = None
            bank.act_ready = max(bank.act_ready, bank.pre_ready + c.trp)
        self.dram.count(Action.DRAM_ROW_MISS if bank.fresh else Action.DRAM_ROW_HIT, 1, req.master)
        if write:  # reads and writes are reported apart
            miss = Action.DRAM_WRITE_ROW_MISS if bank.fresh else Action.DRAM_WRITE_ROW_HIT
            self.dram.count(miss, 1, req.master)
        bank.fresh = False
        self.ranks.serve(req)
        if not (write and t.posted_writes):
            finish = self._ps(data_end + t.frontend_cycles)
            env = self.env
            env.timeout(max(0, finish - env.now)).callbacks.append(
                lambda _e, d=txn.done: succeed_last(env, d)
            )
        self.refill()

    def _ps(self, cycles: int) -> int:
        """`cycles` in ps, rounded up (ClockDomain.ps)."""
        return -(-cycles * PS_PER_S // self.freq_hz)
