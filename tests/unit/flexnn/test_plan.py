"""Tiling a layer into SRAM tiles and rounds: counts derived by hand, conservation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn import Descriptor, TensorAddrs, build_plan
from soc.workloads import Layer

HW = FlexNNConfig()
SRAM = SramConfig()
ADDRS = TensorAddrs(if_addr=0, fl_addr=1 << 24, of_addr=1 << 26)


def test_hand_counted_conv():
    # 3x3 conv, C=32 -> K=64 over 16x16, stride 1, pad 1: P = Q = 16, reduction 288.
    layer = Layer("c", "conv", c=32, k=64, h=16, w=16, r=3, s=3, padding=1)
    d = Descriptor(k_pe=2, pq_pe=4, red_t=32, k_block=64, p_block=16)
    plan = build_plan(layer, HW, SRAM, ADDRS, d)
    rounds = plan.rounds
    # K tiles of 16 rows x 2 = 32 -> 2; pixel tiles of 16 cols x 4 = 64 over 256 -> 4;
    # reduction tiles 288 / 32 = 9.
    assert len(rounds) == 2 * 4 * 9
    # Every round is full: ceil(32/16) * ceil(64/16) * ceil(32/8) = 2 * 4 * 4 cycles.
    assert set(rounds.compute_cycles.tolist()) == {32}
    # IF: 64 pixels x 32 reduction bytes, FL: 32 channels x 32 bytes.
    assert set(rounds.if_bytes.tolist()) == {64 * 32}
    assert set(rounds.fl_bytes.tolist()) == {32 * 32}
    # Drains only on the 8 output tiles' last reduction round, 32 x 64 outputs each.
    assert rounds.of_bytes.tolist().count(32 * 64) == 8
    assert int(rounds.of_bytes.sum()) == 64 * 16 * 16
    assert int(rounds.macs.sum()) == 64 * 16 * 16 * 288


def test_depthwise_edges():
    # dwconv C=K=20 over 8x8, 3x3 pad 1: P = Q = 8, reduction 9 (one channel x 3 x 3).
    layer = Layer("dw", "dwconv", c=20, k=20, h=8, w=8, r=3, s=3, padding=1)
    d = Descriptor(k_pe=1, pq_pe=2, red_t=9, k_block=20, p_block=8)
    rounds = build_plan(layer, HW, SRAM, ADDRS, d).rounds
    # K tiles of 16: 16 + 4; pixel tiles of 32 over 64: 2; one reduction tile.
    assert len(rounds) == 4
    assert rounds.compute_cycles.tolist() == [1 * 2 * 2, 1 * 2 * 2, 1 * 2 * 2, 1 * 2 * 2]
    # Depthwise: each channel has its own IF; IF bytes = channels x pixels x 9.
    assert rounds.if_bytes.tolist() == [16 * 32 * 9, 16 * 32 * 9, 4 * 32 * 9, 4 * 32 * 9]
    assert int(rounds.macs.sum()) == 20 * 64 * 9


def test_dma_traffic_of_a_k_split_layer():
    # FC 4096 -> 512: weights 2 MiB do not fit in one of two 1 MiB buffer sets.
    layer = Layer("fc", "fc", c=4096, k=512)
    plan = build_plan(layer, HW, SRAM, ADDRS)
    fl = sum(t.size_bytes for tile in plan.tiles for t in tile.fetches if t.label == "fc.FL")
    if_ = sum(t.size_bytes for tile in plan.tiles for t in tile.fetches if t.label == "fc.IF")
    of = sum(t.size_bytes for tile in plan.tiles for t in tile.writebacks)
    assert len(plan.tiles) > 1
    assert fl == 4096 * 512  # every weight fetched exactly once (P has one block)
    assert if_ == 4096  # the input once
    assert of == 512


def test_rf_overflow_is_refused_with_tensor_level_and_bytes():
    layer = Layer("c", "conv", c=64, k=16, h=4, w=4)
    d = Descriptor(k_pe=1, pq_pe=4, red_t=64, k_block=16, p_block=4)
    with pytest.raises(MappingError) as info:
        build_plan(layer, HW, SRAM, ADDRS, d)
    # IF per PE = 4 pixels x 64 bytes = 256 B > 128 B
    assert str(info.value) == (
        "layer c: IF tile needs 256 B in the RF level but the IF register file holds 128 B"
    )


def test_sram_too_small_is_refused():
    layer = Layer("c", "conv", c=512, k=512, h=64, w=64, r=3, s=3, padding=1)
    with pytest.raises(MappingError, match=r"layer c: the smallest SRAM tile .* needs \d+ B"):
        build_plan(layer, HW, SramConfig(size_bytes=32 * 1024), ADDRS)


layers = st.builds(
    lambda op, c, k, hw, r, stride: Layer(
        "x",
        op,
        c=c,
        k=c if op == "dwconv" else k,
        h=hw,
        w=hw,
        r=min(r, hw),
        s=min(r, hw),
        stride=stride,
        padding=min(r, hw) // 2,
    ),
    op=st.sampled_from(["conv", "dwconv"]),
    c=st.integers(1, 70),
    k=st.integers(1, 70),
    hw=st.integers(1, 20),
    r=st.sampled_from([1, 3, 5]),
    stride=st.integers(1, 2),
)


@settings(max_examples=60, deadline=None)
@given(layer=layers)
def test_conservation(layer):
    plan = build_plan(layer, HW, SRAM, ADDRS)
    rounds = plan.rounds
    assert int(rounds.macs.sum()) == layer.macs
    assert int(rounds.of_bytes.sum()) == layer.output_elements
    assert sum(t.size_bytes for tile in plan.tiles for t in tile.writebacks) == (
        layer.output_elements
    )
    # A round never claims fewer cycles than its MACs need on the whole array.
    lanes = HW.pe_rows * HW.pe_cols * HW.lanes
    assert (rounds.compute_cycles * lanes >= rounds.macs).all()
    assert sum(tile.n_rounds for tile in plan.tiles) == len(rounds)
    # every SRAM access of a round stays inside the SRAM
    end = SRAM.base_addr + SRAM.size_bytes
    for addr, size in (
        (rounds.if_sram_addr, rounds.if_bytes),
        (rounds.fl_sram_addr, rounds.fl_bytes),
        (rounds.of_sram_addr, rounds.of_bytes),
    ):
        assert (addr >= SRAM.base_addr).all() and (addr + size <= end).all()
    # DMA fills land where the rounds read: the first round of tile 0 reads its IF
    # buffer, which tile 0's IF fetch wrote
    first_if = next(t for t in plan.tiles[0].fetches if t.label.endswith(".IF"))
    assert rounds.if_sram_addr[0] == first_if.dst_addr
