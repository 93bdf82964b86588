"""Where an address lives in a banked DRAM: the address map (`BankedTiming.address_map`)
splits it, above the offset bits of one burst, into channel, rank, bank group, bank,
row and column (pure arithmetic)."""

from __future__ import annotations

from soc.config.dram import BankedTiming

_LOCATED = ("channel", "rank", "bankgroup", "bank", "row")


class Location:
    """Where an address lives; `bank_id` counts banks within the channel and `group`
    bank groups (rank x bankgroups + bankgroup)."""

    __slots__ = ("channel", "rank", "bankgroup", "bank", "row", "bank_id", "group")

    def __init__(
        self, channel: int, rank: int, bankgroup: int, bank: int, row: int, t: BankedTiming
    ) -> None:
        self.channel, self.rank, self.bankgroup, self.bank, self.row = (
            channel,
            rank,
            bankgroup,
            bank,
            row,
        )
        self.group = rank * t.bankgroups + bankgroup
        self.bank_id = self.group * t.banks_per_group + bank


class AddressMap:
    """`decode` for one organisation, its field positions worked out once: a field is
    (burst number // the product of the sizes of the fields below it) % its size."""

    __slots__ = ("t", "base", "burst_bytes", "places")

    def __init__(self, t: BankedTiming, base: int = 0) -> None:
        self.t, self.base, self.burst_bytes = t, base, t.burst_bytes
        widths = {
            "column": t.column_bursts,
            "bank": t.banks_per_group,
            "bankgroup": t.bankgroups,
            "rank": t.ranks,
            "channel": t.channels,
            "row": t.rows,
        }
        places = dict.fromkeys(_LOCATED, (1, 1))  # a field the map leaves out: n // 1 % 1 = 0
        below = 1
        for name in reversed(t.address_map):  # least significant first
            places[name] = below, widths[name]
            below *= widths[name]
        self.places = tuple(places[name] for name in _LOCATED)

    def decode(self, addr: int) -> Location:
        """Split an address by the mapping, most significant field first, above the
        offset bits of one burst. Fields the map leaves out are 0."""
        value = (addr - self.base) // self.burst_bytes
        (cd, cn), (rd, rn), (gd, gn), (bd, bn), (wd, wn) = self.places
        return Location(
            value // cd % cn,
            value // rd % rn,
            value // gd % gn,
            value // bd % bn,
            value // wd % wn,
            self.t,
        )


def decode(addr: int, t: BankedTiming, base: int = 0) -> Location:
    """Split an address by the mapping, most significant field first, above the
    offset bits of one burst. Fields the map leaves out are 0."""
    return AddressMap(t, base).decode(addr)
