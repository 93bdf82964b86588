"""Round batching: run k consecutive rounds of a tile as one load / compute / drain step.

A simulation knob (`soc.flexnn.round_batch`, DESIGN section 5.3) that trades timing
detail for events. A batch sums its rounds' bytes, cycles, MACs and accumulator accesses,
so every total (MACs, cycles, SRAM and register-file bytes, energy) is exactly that of the
unbatched rounds; what is lost is the overlap of load, compute and drain inside a batch
(a batch's load finishes before its compute starts) and the bank spread of its accesses
(a batch reads and writes one contiguous range from its first round's address).

With zero-skipping, a batch carries its rounds' accumulator accesses already scaled to
the MACs performed (`SparseRounds.accumulator_accesses`, round by round), so the sums
stay exact.

Batches never cross an SRAM tile (the DMA schedule stays the same) and end at the last
round in them that closes an output tile, so every drained byte leaves with the batch
whose rounds produced it. The output register file is taken by a batch that opens an
output while none is held, and given back by the batch whose last round closes it.
"""

from __future__ import annotations

import numpy as np

from soc.config import SramConfig
from soc.flexnn.plan import LayerPlan, RoundTable, SramTile
from soc.flexnn.sparsity import SparseRounds

_SUMMED = (
    "macs",
    "compute_cycles",
    "if_bytes",
    "fl_bytes",
    "psum_bytes",
    "of_bytes",
    "delivered_bytes",
    "of_updates",
    "of_reads",
)


def batch_starts(table: RoundTable, k: int, max_bytes: int) -> np.ndarray:
    """First round of every batch of at most `k` rounds (see the module doc): a batch
    starts at every tile, ends after its last closing round, and moves no more than
    `max_bytes` through the SRAM in any of its accesses."""
    n = len(table)
    tile = table.tile.tolist()
    closes = table.closes_output.tolist()
    sizes = [
        table.if_bytes.tolist(),
        table.fl_bytes.tolist(),
        table.of_bytes.tolist(),
        table.psum_bytes.tolist(),
    ]
    starts = []
    r = 0
    while r < n:
        starts.append(r)
        end = r + 1  # the batch is rounds r .. end-1
        last_close = r if closes[r] else -1
        totals = [s[r] for s in sizes]
        while end < n and end - r < k and tile[end] == tile[r]:
            totals = [t + s[end] for t, s in zip(totals, sizes, strict=True)]
            if max(totals) > max_bytes:
                break
            if closes[end]:
                last_close = end
            end += 1
        if last_close >= 0 and not closes[end - 1]:
            end = last_close + 1
        r = end
    return np.asarray(starts, dtype=np.int64)


def batch_rounds(plan: LayerPlan, k: int, sram: SramConfig) -> LayerPlan:
    """`plan` with its rounds in batches of at most `k` (the same plan when k = 1)."""
    table = plan.rounds
    if k <= 1 or len(table) == 0:
        return plan
    starts = batch_starts(table, k, sram.size_bytes)
    if len(starts) == len(table):
        return plan
    ends = np.append(starts[1:], len(table)) - 1

    def summed(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, starts).astype(values.dtype)

    per_round = {name: getattr(table, name) for name in _SUMMED}
    if plan.sparse is not None:  # the accumulator's accesses with zero pairs skipped
        per_round["of_updates"], per_round["of_reads"] = plan.sparse.accumulator_accesses(
            table.macs, table.of_updates, table.of_reads
        )
    fields = {name: summed(values) for name, values in per_round.items()}
    closes = table.closes_output[ends]
    any_opens = np.logical_or.reduceat(table.opens_output, starts)
    opens = np.zeros(len(starts), dtype=bool)
    holding = False
    for i, (opened, closed) in enumerate(zip(any_opens.tolist(), closes.tolist(), strict=True)):
        opens[i] = opened and not holding
        holding = (holding or opened) and not closed
    # the drain writes from the first closing round's address of the batch
    first_close = np.where(table.closes_output, np.arange(len(table)), len(table))
    of_at = np.minimum.reduceat(first_close, starts)
    of_at = np.where(of_at < len(table), of_at, starts)
    end = sram.base_addr + sram.size_bytes  # a batch's range stays inside the SRAM
    batched = RoundTable(
        tile=table.tile[starts],
        opens_output=opens,
        closes_output=closes,
        final_output=table.final_output[ends],
        if_sram_addr=np.minimum(table.if_sram_addr[starts], end - fields["if_bytes"]),
        fl_sram_addr=np.minimum(table.fl_sram_addr[starts], end - fields["fl_bytes"]),
        of_sram_addr=np.minimum(table.of_sram_addr[of_at], end - fields["of_bytes"]),
        psum_sram_addr=np.minimum(table.psum_sram_addr[starts], end - fields["psum_bytes"]),
        rounds_per_row=np.diff(np.append(starts, len(table))),
        **fields,
    )
    # each tile's rounds are now its batches
    first_batch = np.searchsorted(starts, [t.first_round for t in plan.tiles])
    counts = np.diff(np.append(first_batch, len(starts)))
    tiles = tuple(
        SramTile(t.index, t.fetches, t.writebacks, int(f), int(c))
        for t, f, c in zip(plan.tiles, first_batch, counts, strict=True)
    )
    sparse = plan.sparse
    if sparse is not None:
        sparse = SparseRounds(
            cycles=summed(sparse.cycles),
            performed=summed(sparse.performed),
            balanced=summed(sparse.balanced),
        )
    return LayerPlan(plan.layer, plan.descriptor, tiles, batched, sparse, plan.densities)
