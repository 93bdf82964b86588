"""Descriptors cut into SRAM tiles and rounds: hand counts, refusals, and agreement of
the numpy round walk with the closed-form loop-nest counts."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn import Descriptor, TensorAddrs, build_plan
from soc.flexnn.loopnest import analyse
from soc.flexnn.problem import FL, IF, OF, conv_problem
from soc.workloads import Layer

HW = FlexNNConfig()
SRAM = SramConfig()
ADDRS = TensorAddrs(if_addr=0, fl_addr=1 << 24, of_addr=1 << 26)
CONV = Layer("c", "conv", c=32, k=64, h=16, w=16, r=3, s=3, padding=1)  # P = Q = 16
OS = Descriptor.parse(
    {"sram": "P16 C4 R3", "rows": "K16", "cols": "Q16", "rf": "K4 S3", "lanes": "C8"}
)


def test_hand_counted_output_stationary_conv():
    plan = build_plan(CONV, HW, SRAM, ADDRS, OS)
    rounds = plan.rounds
    assert len(rounds) == 16 * 4 * 3  # the SRAM loops P16 C4 R3
    # each round: a PE does K4 x S3 RF steps, C8 across its lanes
    assert set(rounds.compute_cycles.tolist()) == {12}
    # per PE: IF C8 x 1 row x 3 columns = 24 B, to 16 columns with different Q;
    # FL K4 x C8 x S3 = 96 B, to 16 rows with different K; every round moves both
    assert set(rounds.if_bytes.tolist()) == {24 * 16}
    assert set(rounds.fl_bytes.tolist()) == {96 * 16}
    # an output tile (K64 x Q16 at one P) opens when P advances and drains, final, after
    # its 12 reduction rounds
    assert rounds.opens_output.sum() == rounds.closes_output.sum() == 16
    assert set(rounds.of_bytes[rounds.closes_output].tolist()) == {64 * 16}
    assert int(rounds.psum_bytes.sum()) == 0
    assert int(rounds.macs.sum()) == CONV.macs == 64 * 16 * 16 * 32 * 9
    # one SRAM tile: the padded input 32 x 18 x 18, all weights, all outputs
    (tile,) = plan.tiles
    assert [t.size_bytes for t in tile.fetches] == [32 * 18 * 18, 64 * 32 * 9]
    assert [t.size_bytes for t in tile.writebacks] == [64 * 16 * 16]


def test_partial_sums_leave_and_return_when_c_is_split_above_k():
    # C outermost at the SRAM level: each output tile is visited twice; the first visit
    # drains INT32 partial sums, the second reloads them and drains INT8 outputs.
    layer = Layer("x", "conv", c=16, k=16, h=4, w=4)  # P = Q = 4
    d = Descriptor.parse({"sram": "C2 P4", "rows": "K16", "cols": "Q4", "lanes": "C8"})
    rounds = build_plan(layer, HW, SRAM, ADDRS, d).rounds
    assert len(rounds) == 8
    outputs = 16 * 4  # K16 x Q4 per round
    assert rounds.of_bytes.tolist() == [outputs * 4] * 4 + [outputs * 1] * 4
    assert rounds.psum_bytes.tolist() == [0] * 4 + [outputs * 4] * 4


def test_sliding_window_reuse_between_rounds():
    # Q walks at the SRAM level with nothing inside it: a PE keeps 2 of its 3 input
    # columns and loads one new column per round (3x3 kernel, stride 1).
    layer = Layer("x", "conv", c=8, k=16, h=1, w=10, r=1, s=3)  # P = 1, Q = 8
    d = Descriptor.parse({"sram": "Q8", "rows": "K16", "lanes": "C8", "rf": "S3"})
    rounds = build_plan(layer, HW, SRAM, ADDRS, d).rounds
    assert rounds.if_bytes.tolist() == [8 * 3] + [8 * 1] * 7
    # weights stay put: only the first round loads them
    assert rounds.fl_bytes.tolist() == [16 * 8 * 3] + [0] * 7


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ({"rows": "K32"}, "rows factors multiply to 32 but the hardware has 16 rows"),
        (
            {"rows": "K16", "sram": "K4 P16 Q16 R3 S3"},
            "factors of C multiply to 1, the layer has C = 32",
        ),
        (
            {"rows": "K16", "sram": "K4 P16 Q16 C2", "rf": "R3 S3 C2", "lanes": "C8"},
            "IF tile needs 144 B at the RF level but the IF register file holds 128 B",
        ),
    ],
)
def test_bad_descriptors_are_refused(levels, message):
    with pytest.raises(MappingError) as info:
        build_plan(CONV, HW, SRAM, ADDRS, Descriptor.parse(levels))
    assert message in str(info.value) and "layer c" in str(info.value)


def test_sram_overflow_names_every_tensor():
    big = Descriptor.parse(
        {"sram": "P16 C4 R3", "rows": "K16", "cols": "Q16", "rf": "K4 S3", "lanes": "C8"}
    )
    with pytest.raises(MappingError) as info:
        build_plan(CONV, HW, SramConfig(size_bytes=32 * 1024), ADDRS, big)
    assert str(info.value) == (
        "layer c (custom): the SRAM tile needs IF 10368 B + FL 18432 B + OF 16384 B = "
        "45184 B, 2 buffer sets; the SRAM holds 32768 B"
    )


def test_unreadable_loop_names_the_level():
    with pytest.raises(MappingError, match=r"rf: cannot read loop 'X3'"):
        Descriptor.parse({"rf": "X3"})


# -- the round walk against the closed-form counts ------------------------------------

DIVISORS = {n: [f for f in range(1, n + 1) if n % f == 0] for n in range(1, 17)}


@st.composite
def divisible_case(draw):
    """A layer and a descriptor whose factors divide every dimension exactly."""
    k, c, p, q = (draw(st.sampled_from([1, 2, 4, 8, 16])) for _ in range(4))
    r = draw(st.sampled_from([1, 3]))
    layer = Layer("x", "conv", c=c, k=k, h=p + r - 1, w=q + r - 1, r=r, s=r)
    sizes = {"K": k, "C": c, "P": p, "Q": q, "R": r, "S": r}
    levels = {lv: [] for lv in ("dram", "sram", "rows", "cols", "rf", "lanes")}
    for dim, n in sizes.items():
        rest = n
        for level in draw(st.permutations(["rows", "cols", "rf", "lanes", "dram"])):
            f = draw(st.sampled_from(DIVISORS[rest]))
            if f > 1:
                levels[level].append(f"{dim}{f}")
            rest //= f
        if rest > 1:
            levels["sram"].append(f"{dim}{rest}")
    for level in ("dram", "sram", "rf"):
        levels[level] = draw(st.permutations(levels[level]))
    return layer, Descriptor.parse({lv: " ".join(v) for lv, v in levels.items()})


@settings(max_examples=150, deadline=None)
@given(case=divisible_case())
def test_round_walk_agrees_with_loop_nest_counts(case):
    layer, d = case
    big = FlexNNConfig(
        pe_rows=64,
        pe_cols=64,
        lanes=64,
        if_rf_bytes=1 << 20,
        fl_rf_bytes=1 << 20,
        of_rf_bytes=1 << 22,
    )
    try:
        plan = build_plan(layer, big, SramConfig(size_bytes=1 << 30), ADDRS, d)
    except MappingError:
        assume(False)
    stats = analyse(conv_problem(layer), d.to_mapping())
    sram, rf, dram = stats.level("SRAM"), stats.level("RF"), stats.level("DRAM")
    rounds = plan.rounds
    assert int(rounds.macs.sum()) == layer.macs == stats.macs
    assert int(rounds.compute_cycles.sum()) == stats.cycles
    # what the load path reads from SRAM is what Timeloop calls SRAM reads (multicast)
    assert int(rounds.if_bytes.sum()) == sram.tensors[IF].reads
    assert int(rounds.fl_bytes.sum()) == sram.tensors[FL].reads
    # what lands in register files across the array: RF fills x PEs (+ psum reloads)
    fills = (rf.tensors[IF].fills + rf.tensors[FL].fills) * rf.instances
    assert int((rounds.delivered_bytes - rounds.psum_bytes).sum()) == fills
    # partial sums come back from SRAM once per output (Timeloop's SRAM output reads);
    # PEs that reduce spatially into that output start from zero
    assert int(rounds.psum_bytes.sum()) == sram.tensors[OF].reads * HW.acc_bytes
    # the DMA fetches what the SRAM is filled with
    fetched = {name: 0 for name in ("IF", "FL")}
    for tile in plan.tiles:
        for t in tile.fetches:
            kind = t.label.split(".")[1]
            if kind in fetched:
                fetched[kind] += t.size_bytes
    assert fetched["IF"] == sram.tensors[IF].fills == dram.tensors[IF].reads
    assert fetched["FL"] == sram.tensors[FL].fills == dram.tensors[FL].reads
    assert sum(tile.n_rounds for tile in plan.tiles) == len(rounds)


@settings(max_examples=40, deadline=None)
@given(
    op=st.sampled_from(["conv", "dwconv"]),
    c=st.integers(1, 40),
    k=st.integers(1, 40),
    hw=st.integers(3, 20),
    r=st.sampled_from([1, 3]),
    stride=st.integers(1, 2),
)
def test_any_mapped_layer_conserves_macs_and_outputs(op, c, k, hw, r, stride):
    from soc.energy import load_energy_table
    from soc.flexnn.cost import CostParams
    from soc.flexnn.mapper import search

    layer = Layer(
        "x",
        op,
        c=c,
        k=c if op == "dwconv" else k,
        h=hw,
        w=hw,
        r=r,
        s=r,
        stride=stride,
        padding=r // 2,
    )
    params = CostParams(dict(load_energy_table().actions), 8.0)
    choice = search(layer, HW, SRAM, params, "edp", "os")
    assert choice is not None
    plan = build_plan(layer, HW, SRAM, ADDRS, choice.descriptor)
    rounds = plan.rounds
    assert int(rounds.macs.sum()) == layer.macs
    # every output is drained once as INT8; partial sums (if any) drain as INT32 and
    # come back as reloads
    partial_drains = int(rounds.psum_bytes.sum())
    assert int(rounds.of_bytes.sum()) == layer.output_elements + partial_drains
    lanes = HW.pe_rows * HW.pe_cols * HW.lanes
    assert (rounds.compute_cycles * lanes >= rounds.macs).all()
