"""Round batching: which rounds form a step, and that a step carries its rounds' sums."""

import numpy as np

from soc.config import SramConfig
from soc.flexnn.batching import batch_rounds, batch_starts
from soc.flexnn.plan import LayerPlan, RoundTable, SramTile
from soc.flexnn.sparsity import SparseRounds


def table(tile, opens, closes, of_bytes=None, if_bytes=None):
    n = len(tile)
    ones = np.ones(n, dtype=np.int64)
    return RoundTable(
        tile=np.asarray(tile),
        macs=100 * ones,
        compute_cycles=np.arange(1, n + 1),
        if_bytes=16 * ones if if_bytes is None else np.asarray(if_bytes),
        fl_bytes=32 * ones,
        psum_bytes=0 * ones,
        of_bytes=np.asarray(of_bytes if of_bytes is not None else [8 * c for c in closes]),
        delivered_bytes=48 * ones,
        of_updates=10 * ones,
        of_reads=5 * ones,
        opens_output=np.asarray(opens, dtype=bool),
        closes_output=np.asarray(closes, dtype=bool),
        final_output=np.asarray(closes, dtype=bool),
        if_sram_addr=1000 * np.arange(n),
        fl_sram_addr=2000 * np.arange(n),
        of_sram_addr=3000 * np.arange(n),
        psum_sram_addr=3000 * np.arange(n),
    )


def test_batches_stay_in_a_tile_and_end_at_their_last_close():
    # tile 0 = rounds 0-4, tile 1 = rounds 5-7; outputs close after rounds 1, 4, 7.
    # k = 3: rounds 0-2 would end on an open output, so the batch stops after round 1;
    # then 2-4; then tile 1's 5-7.
    t = table([0, 0, 0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 0, 0, 1])
    assert batch_starts(t, 3, 1 << 20).tolist() == [0, 2, 5]
    assert batch_starts(t, 1, 1 << 20).tolist() == list(range(8))
    # no access of a batch may exceed max_bytes: FL moves 32 B a round, so 2 rounds fit 64
    assert batch_starts(t, 3, 64).tolist() == [0, 2, 4, 5, 7]


def plan_of(t, tiles):
    return LayerPlan(layer=None, descriptor=None, tiles=tiles, rounds=t)


def test_a_batch_sums_its_rounds_and_keeps_each_output_buffer_balanced():
    # one tile of 6 rounds, one output open across all of them: k = 2 gives three
    # batches; only the first takes the OF half and only the last gives it back
    t = table([0] * 6, [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1], of_bytes=[0, 0, 0, 0, 0, 64])
    plan = batch_rounds(plan_of(t, (SramTile(0, (), (), 0, 6),)), 2, SramConfig())
    b = plan.rounds
    assert b.opens_output.tolist() == [True, False, False]
    assert b.closes_output.tolist() == [False, False, True]
    assert b.compute_cycles.tolist() == [1 + 2, 3 + 4, 5 + 6]
    assert b.macs.tolist() == [200, 200, 200]
    assert b.of_bytes.tolist() == [0, 0, 64]
    assert b.rounds_per_row.tolist() == [2, 2, 2]
    assert b.round_count == 6
    assert b.if_sram_addr.tolist() == [0, 2000, 4000]
    assert plan.tiles == (SramTile(0, (), (), 0, 3),)


def test_two_outputs_in_one_batch_share_its_drain():
    # outputs close after rounds 1 and 3 of a 4-round tile; k = 4: one batch that opens
    # once, drains both outputs' bytes from the first one's address, and closes
    t = table([0] * 4, [1, 0, 1, 0], [0, 1, 0, 1], of_bytes=[0, 24, 0, 40])
    b = batch_rounds(plan_of(t, (SramTile(0, (), (), 0, 4),)), 4, SramConfig()).rounds
    assert b.opens_output.tolist() == [True]
    assert b.closes_output.tolist() == [True]
    assert b.of_bytes.tolist() == [64]
    assert b.of_sram_addr.tolist() == [3000]
    assert b.of_updates.tolist() == [40] and b.of_reads.tolist() == [20]


def test_round_batch_1_is_the_plan_itself():
    t = table([0, 0], [1, 0], [0, 1])
    plan = plan_of(t, (SramTile(0, (), (), 0, 2),))
    assert batch_rounds(plan, 1, SramConfig()) is plan


def test_a_sparse_batch_sums_each_rounds_scaled_accumulator_accesses():
    # round 0 performs 40 of its 100 MACs, round 1 all 100: the OF updates (10 a round)
    # scale to 10 * 40 // 100 = 4 and 10, the reads (5) to 2 and 5; the batch carries
    # the sums of the scaled counts
    t = table([0, 0], [1, 0], [0, 1], of_bytes=[0, 8])
    sparse = SparseRounds(
        cycles=np.array([3, 5]), performed=np.array([40, 100]), balanced=np.array([3, 5])
    )
    plan = LayerPlan(None, None, (SramTile(0, (), (), 0, 2),), t, sparse)
    b = batch_rounds(plan, 2, SramConfig())
    assert b.rounds.of_updates.tolist() == [14] and b.rounds.of_reads.tolist() == [7]
    assert b.sparse.performed.tolist() == [140] and b.sparse.cycles.tolist() == [8]
    updates, reads = sparse.accumulator_accesses(
        np.array([100, 100]), np.array([7, 7]), np.array([3, 3])
    )
    assert updates.tolist() == [7 * 40 // 100, 7] and reads.tolist() == [3 * 40 // 100, 3]
