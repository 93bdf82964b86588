"""The analytic pipeline bound per class of rounds, and reloaded partial sums delivered
to one PE: hand-worked cases."""

from types import SimpleNamespace

import numpy as np

from soc.flexnn.cost import pipeline_cycles, reloaded_once
from soc.flexnn.descriptor import Descriptor
from soc.flexnn.loopnest import Loop

HW = SimpleNamespace(load_bytes_per_cycle=64, drain_bytes_per_cycle=32)


def test_one_visit_is_the_slowest_phase_of_the_layer():
    # compute 100 cycles; load 6,500 B / 64 = 101.6 -> 102; drain 3,000 B / 32 = 93.75
    assert pipeline_cycles(100, 6_500, 0, 3_000, 0, 1.0, HW) == 102
    assert pipeline_cycles(100, 640, 0, 3_200, 0, 1.0, HW) == 100  # drain 100, compute 100


def test_the_last_visit_of_an_output_tile_is_bounded_on_its_own():
    # An output tile of 160 outputs visited 3 times: the 2nd and 3rd visits reload 640 B
    # of partial sums (4 B each); the 1st and 2nd drain 640 B of partial sums, the 3rd
    # 160 B of final outputs. Compute 8 cycles in all, no operand bytes.
    # Last visit: compute 8/3, load 640/64 = 10, drain 160/32 = 5 -> 10.
    # The others: compute 16/3, load 640/64 = 10, drain 1,280/32 = 40 -> 40.
    # 50 cycles, where the slowest phase over the layer (drain 1,440/32) would say 45.
    assert pipeline_cycles(8, 0, 1_280, 160, 1_280, 3.0, HW) == 50


def test_candidates_as_arrays_give_each_its_own_bound():
    got = pipeline_cycles(
        np.array([100, 8]),
        np.array([6_500, 0]),
        np.array([0, 1_280]),
        np.array([3_000, 160]),
        np.array([0, 1_280]),
        np.array([1.0, 3.0]),
        HW,
    )
    assert got.tolist() == [102, 50]


def test_reloaded_partial_sums_enter_one_of_the_pes_sharing_an_output():
    # rows split C by 4 and columns R by 2: 8 PEs hold parts of each output. The loop
    # nest fills all 8 with each reloaded partial sum (800 fills) and each reads it at
    # its first accumulation; here one PE takes it: 100 fills, 700 reads fewer.
    d = Descriptor(rows=(Loop("C", 4),), cols=(Loop("R", 2),))
    assert reloaded_once(800, 5_000, d) == (100, 4_300)
    # outputs spread over the array (K, P) share nothing: counts unchanged
    d = Descriptor(rows=(Loop("K", 4),), cols=(Loop("P", 2),))
    assert reloaded_once(800, 5_000, d) == (800, 5_000)
