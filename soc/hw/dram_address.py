"""Where an address lives in a banked DRAM: the address map (`BankedTiming.address_map`)
splits it, above the offset bits of one burst, into channel, rank, bank group, bank,
row and column (pure arithmetic)."""

from __future__ import annotations

from soc.config.dram import BankedTiming


class Location:
    """Where an address lives; `bank_id` counts banks within the channel."""

    __slots__ = ("channel", "rank", "bankgroup", "bank", "row", "bank_id")

    def __init__(self, channel: int, rank: int, bankgroup: int, bank: int, row: int, t) -> None:
        self.channel, self.rank, self.bankgroup, self.bank, self.row = (
            channel,
            rank,
            bankgroup,
            bank,
            row,
        )
        self.bank_id = (rank * t.bankgroups + bankgroup) * t.banks_per_group + bank


def decode(addr: int, t: BankedTiming, base: int = 0) -> Location:
    """Split an address by the mapping, most significant field first, above the
    offset bits of one burst. Fields the map leaves out are 0."""
    value = (addr - base) // t.burst_bytes
    widths = {
        "column": t.column_bursts,
        "bank": t.banks_per_group,
        "bankgroup": t.bankgroups,
        "rank": t.ranks,
        "channel": t.channels,
        "row": t.rows,
    }
    fields = dict.fromkeys(widths, 0)
    for name in reversed(t.address_map):  # least significant first
        size = widths[name]
        fields[name] = value % size
        value //= size
    return Location(
        fields["channel"], fields["rank"], fields["bankgroup"], fields["bank"], fields["row"], t
    )
