"""The constraints a banked DRAM channel's commands put on one another across its banks
(`soc.hw.banked_dram`): ACT to ACT (tRRD_S / tRRD_L, four in tFAW), CAS to CAS (tCCD_S /
tCCD_L), the shared data bus (its end, a rank switch's tRTRS), write to read (tWTR_S /
tWTR_L) and the ranks' refreshes. A bank's own timing (tRCD, tRAS, tRP, ...) is kept by
its `Bank`. Times are in DRAM cycles; a bank group is counted across the ranks
(`Location.group`)."""

from __future__ import annotations

from collections import deque

from soc.config.dram import BankedTiming
from soc.hw.banked_parts import NEVER, Refresh
from soc.hw.dram_address import Location


class ChannelTiming:
    """When the channel next allows an ACT or a CAS (`act_ready`, `cas_ready`) given
    the commands issued so far (`activated`, `transferred`)."""

    def __init__(self, t: BankedTiming) -> None:
        c = t.cycles
        self.bankgroups = t.bankgroups
        # the JEDEC cycles, plain attributes (`cas_ready` runs for every candidate CAS)
        self.trrd_s, self.trrd_l, self.tfaw = c.trrd_s, c.trrd_l, c.tfaw
        self.tccd_s, self.tccd_l, self.trtrs = c.tccd_s, c.tccd_l, c.trtrs
        self.cl, self.cwl, self.twtr_s, self.twtr_l = c.cl, c.cwl, c.twtr_s, c.twtr_l
        groups = t.ranks * t.bankgroups
        self.acts = [deque(maxlen=4) for _ in range(t.ranks)]
        self.last_act_rank = [NEVER] * t.ranks
        self.last_act_group = [NEVER] * groups
        self.last_cas = NEVER
        self.last_cas_group = -1
        self.bus_free = 0
        self.bus_rank = -1
        self.write_end_rank = [NEVER] * t.ranks
        self.write_end_group = [NEVER] * groups
        self.refresh = refresh = Refresh(t.ranks, c.trefi, c.trfc)
        self.refresh_end, self.next_refresh = refresh.end, refresh.next_start
        self.refresh_offset, self.trefi, self.trfc = refresh.offset, c.trefi, c.trfc

    def act_ready(self, loc: Location, cycle: int) -> int:
        """The first cycle from `cycle` on at which the channel allows `loc`'s ACT."""
        cycle = max(
            cycle,
            self.last_act_rank[loc.rank] + self.trrd_s,
            self.last_act_group[loc.group] + self.trrd_l,
        )
        window = self.acts[loc.rank]
        if len(window) == 4:
            cycle = max(cycle, window[0] + self.tfaw)
        return self.refresh_end(loc.rank, cycle)

    def cas_ready(self, loc: Location, write: bool, cycle: int) -> int:
        """The first cycle from `cycle` on at which the channel allows `loc`'s CAS."""
        # comparisons rather than max() and Refresh.end inlined: this runs per candidate
        ready = self.last_cas + (self.tccd_l if loc.group == self.last_cas_group else self.tccd_s)
        if ready > cycle:
            cycle = ready
        rank, bus_rank = loc.rank, self.bus_rank
        ready = self.bus_free - (self.cwl if write else self.cl)
        if bus_rank != rank and bus_rank != -1:
            ready += self.trtrs
        if ready > cycle:
            cycle = ready
        if not write:  # write-to-read turnaround within the rank
            ready = self.write_end_rank[rank] + self.twtr_s
            if ready > cycle:
                cycle = ready
            ready = self.write_end_group[loc.group] + self.twtr_l
            if ready > cycle:
                cycle = ready
        offset = self.refresh_offset[rank]
        if cycle >= offset:  # within one of the rank's refreshes: at its end
            end = cycle - (cycle - offset) % self.trefi + self.trfc
            if cycle < end:
                return end
        return cycle

    def activated(self, loc: Location, cycle: int) -> None:
        """An ACT to `loc`'s bank issued at `cycle`."""
        self.acts[loc.rank].append(cycle)
        self.last_act_rank[loc.rank] = cycle
        self.last_act_group[loc.group] = cycle

    def transferred(
        self, loc: Location, write: bool, last_cas: int, bursts: int, rotating: bool, data_end: int
    ) -> None:
        """A request's CAS commands issued, the last at `last_cas`, its data on the bus
        until `data_end`; with `rotating`, its bursts rotate over the bank groups from
        `loc`'s and end in the group after the last's."""
        bankgroups = self.bankgroups
        groups = min(bursts, bankgroups) if rotating else 1
        last_group = (loc.bankgroup + bursts - 1) % bankgroups if rotating else loc.bankgroup
        first_of_rank = loc.rank * bankgroups
        self.last_cas = last_cas
        self.last_cas_group = first_of_rank + last_group
        self.bus_free = data_end
        self.bus_rank = loc.rank
        if write:
            self.write_end_rank[loc.rank] = data_end
            for i in range(groups):
                self.write_end_group[first_of_rank + (loc.bankgroup + i) % bankgroups] = data_end
