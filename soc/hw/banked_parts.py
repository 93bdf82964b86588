"""What the banked DRAM's controller (`soc.hw.banked_dram`) keeps per request and per
bank, and its ranks' refresh schedule."""

from __future__ import annotations

from collections import deque

import simpy

from soc.hw.dram_address import Location
from soc.kernel import MemRequest

NEVER = -(10**12)
"""A cycle long before any: the last command of a kind that was never issued."""


class Txn:
    """A request inside the controller (`arrived`: when it reached the DRAM, in ps;
    `stream`: its master and direction; `rank`: its master's rank when ranks never
    change, `CommandRanks.static`)."""

    __slots__ = ("req", "loc", "done", "accepted", "age", "arrived", "stream", "rank")

    def __init__(self, req: MemRequest, loc: Location, done: simpy.Event, accepted: list[int]):
        self.req, self.loc, self.done, self.accepted = req, loc, done, accepted
        self.age = 0
        self.arrived = accepted[0]
        self.stream = req.master, req.is_write
        self.rank: float | tuple[bool, float] = 0


class Bank:
    """One bank: its open row, when each command may next be issued, its command queue."""

    __slots__ = (
        "open_row",
        "act_at",
        "fresh",
        "pre_ready",
        "act_ready",
        "cas_ready",
        "queue",
        "options",
        "choice",
        "closes_at",
    )

    def __init__(self) -> None:
        self.open_row: int | None = None
        self.act_at = NEVER
        self.fresh = False  # the open row's first column access is the one it was opened for
        self.pre_ready = 0  # earliest PRE (tRAS after ACT, tRTP / tWR after CAS)
        self.act_ready = 0  # earliest ACT (tRP after PRE)
        self.cas_ready = 0  # earliest CAS (tRCD after ACT)
        self.queue: deque[Txn] = deque()
        # the requests the bank may serve next, one per master (or a single one when the
        # ranks are static); cached until the bank changes
        self.options: list[Txn] | None = None
        self.choice: tuple[int, str, Txn] | None = None  # the command, if one option
        self.closes_at = 0  # the next refresh, which closes the open row


class Refresh:
    """The ranks' all-bank refreshes, staggered: rank r's first tREFI + r x tREFI / ranks
    in, then one every tREFI, each keeping the rank busy for tRFC (pure arithmetic)."""

    __slots__ = ("offset", "trefi", "trfc")

    def __init__(self, ranks: int, trefi: int, trfc: int) -> None:
        self.offset = [trefi + r * trefi // ranks for r in range(ranks)]
        self.trefi, self.trfc = trefi, trfc

    def next_start(self, rank: int, cycle: int) -> int:
        """The first refresh of `rank` that starts after `cycle`."""
        offset = self.offset[rank]
        if cycle < offset:
            return offset
        return cycle - (cycle - offset) % self.trefi + self.trefi

    def end(self, rank: int, cycle: int) -> int:
        """If `cycle` falls in one of `rank`'s refreshes, when that refresh ends; else
        `cycle` (runs for every candidate command)."""
        offset = self.offset[rank]
        if cycle < offset:
            return cycle
        end = cycle - (cycle - offset) % self.trefi + self.trfc
        return end if cycle < end else cycle
