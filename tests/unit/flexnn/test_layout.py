"""Activation layouts in DRAM: a tile's box as strided runs, the DMA requests they
split into and the row hits they get on the banked DRAM, all worked by hand."""

import pytest
import simpy

from soc.config import DramConfig, FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn import TensorAddrs, build_plan
from soc.flexnn.descriptor import Descriptor
from soc.flexnn.layout import Strided, input_boxes, new_part, output_boxes, strided
from soc.flexnn.loopnest import Loop
from soc.hw.banked_dram import BankedDram
from soc.hw.dma import split_requests
from soc.kernel import Action, MemRequest, NullRecorder, elaborate
from soc.workloads import Layer


def test_runs_merge_where_the_box_spans_a_whole_axis():
    shape = (8, 64, 64)  # C, H, W
    # NCHW, a 4 x 5 x 10 box at (c 2, h 3, w 7): rows of 10 B, 5 per plane
    got = strided("nchw", shape, ((2, 6), (3, 8), (7, 17)), 1)
    assert got == Strided(offset=(2 * 64 + 3) * 64 + 7, run_bytes=10, rows=5, row_stride=64,
                          planes=4, plane_stride=4096)  # fmt: skip
    # whole width: a plane's rows touch, one run of 5 x 64 B per channel
    got = strided("nchw", shape, ((2, 6), (3, 8), (0, 64)), 1)
    assert (got.run_bytes, got.rows, got.row_stride, got.planes) == (320, 4, 4096, 1)
    # NHWC, whole channels and whole width: the five rows are one run of 5 x 64 x 8 B
    got = strided("nhwc", shape, ((0, 8), (3, 8), (0, 64)), 2)
    run = 5 * 64 * 8 * 2
    assert got == Strided(3 * 64 * 8 * 2, run, 1, run, 1, run)
    # NHWC, 4 of 8 channels: runs of 4 B, 10 per row, 5 rows
    got = strided("nhwc", shape, ((2, 6), (3, 8), (7, 17)), 1)
    assert got.offset == (3 * 64 + 7) * 8 + 2
    assert (got.run_bytes, got.rows, got.row_stride, got.planes, got.plane_stride) == (
        4, 10, 8, 5, 512)  # fmt: skip
    assert got.size_bytes == 4 * 5 * 10


def test_a_sliding_window_fetches_only_its_new_rows():
    held = ((0, 8), (0, 5), (0, 64))
    assert new_part(((0, 8), (3, 9), (0, 64)), held) == ((0, 8), (5, 9), (0, 64))
    assert new_part(held, held) is None
    assert new_part(((0, 8), (5, 9), (0, 64)), held) == ((0, 8), (5, 9), (0, 64))  # no overlap
    assert new_part(((0, 4), (3, 9), (0, 64)), held) == ((0, 4), (3, 9), (0, 64))  # two axes


LAYER = Layer(name="c", op="conv", c=8, k=16, h=64, w=64, r=3, s=3, padding=1)


def test_boxes_of_a_block_clip_the_padding():
    start = dict.fromkeys("GKCPQRS", 0)
    extent = {"G": 1, "K": 16, "C": 8, "P": 4, "Q": 64, "R": 3, "S": 3}
    # rows -1 .. 4 and columns -1 .. 64 of the padded input: rows 0-4, all 64 columns
    assert input_boxes(LAYER, start, extent) == [((0, 8), (0, 5), (0, 64))]
    assert output_boxes(LAYER, start, extent) == [((0, 16), (0, 4), (0, 64))]
    start["P"] = 4
    assert input_boxes(LAYER, start, extent) == [((0, 8), (3, 9), (0, 64))]


# DRAM tiles of 4 output rows (whole width, all channels)
DESCRIPTOR = Descriptor(
    dram=(Loop("P", 16),),
    sram=(Loop("P", 4), Loop("Q", 4), Loop("R", 3)),
    rows=(Loop("K", 16),),
    cols=(Loop("Q", 16),),
    rf=(Loop("S", 3),),
    lanes=(Loop("C", 8),),
)


def input_fetches(layout: str, tile: int):
    addrs = TensorAddrs(0, 1 << 20, 2 << 20, if_layout=layout)
    plan = build_plan(LAYER, FlexNNConfig(), SramConfig(), addrs, DESCRIPTOR)
    return [f for f in plan.tiles[tile].fetches if f.label == "c.IF"]


def requests(layout: str, tile: int, request_bytes: int = 256):
    return [
        (src, size)
        for transfer in input_fetches(layout, tile)
        for src, _dst, size in split_requests(transfer, request_bytes)
    ]


def test_a_tile_in_nchw_is_a_run_per_channel():
    # tile 0 reads input rows 0-4 (row -1 is padding) of all 8 channels, whole width:
    # per channel 5 x 64 = 320 contiguous bytes, channel planes 64 x 64 B apart; 256 B
    # requests: 256 + 64 B per channel
    expected = [(c * 4096 + o, n) for c in range(8) for o, n in ((0, 256), (256, 64))]
    assert requests("nchw", 0) == expected
    # tile 1 needs rows 3-8 and holds 0-4: it fetches rows 5-8, 4 x 64 B per channel
    assert requests("nchw", 1) == [(c * 4096 + 5 * 64, 256) for c in range(8)]


def test_a_tile_in_nhwc_is_one_run():
    # all channels of whole rows: rows 0-4 are 5 x 64 x 8 = 2,560 contiguous bytes
    assert requests("nhwc", 0) == [(o, 256) for o in range(0, 2560, 256)]
    assert requests("nhwc", 1) == [(5 * 512 + o, 256) for o in range(0, 2048, 256)]


class Counts(NullRecorder):
    def __init__(self):
        self.counts = {}

    def activity(self, t, component, action, amount, master):
        self.counts[action] = self.counts.get(action, 0) + amount


def row_hit_rate(reqs) -> float:
    """Serve `reqs` (all issued at once, in order) on the banked DRAM (LPDDR4-2400-x64:
    8 KiB rows; bits above the 8 KiB column: bank group, then bank, rank, row)."""
    env = simpy.Environment()
    rec = Counts()
    dram = BankedDram(env, "dram", DramConfig(fidelity="banked", size_bytes=1 << 30), rec)
    elaborate([dram])
    for addr, size in reqs:
        env.process(dram.transact(MemRequest(addr, size, False, "dma")))
    env.run()
    hits, misses = rec.counts[Action.DRAM_ROW_HIT], rec.counts[Action.DRAM_ROW_MISS]
    assert hits + misses == len(reqs)
    return hits / len(reqs)


def test_row_hits_follow_from_the_layout():
    # NCHW: channels c and c + 1 share an 8 KiB row; channel pairs 0-1, 2-3, 4-5, 6-7
    # fall in four banks (bank group, then bank): 16 requests, one miss per bank
    assert row_hit_rate(requests("nchw", 0)) == pytest.approx(12 / 16)
    # NHWC: ten requests in one row of one bank, the first opens it
    assert row_hit_rate(requests("nhwc", 0)) == pytest.approx(9 / 10)


def test_compressed_tensors_keep_the_blocked_layout():
    addrs = TensorAddrs(0, 1 << 20, 2 << 20, if_layout="nhwc")
    with pytest.raises(MappingError, match="layout nchw / nhwc needs"):
        build_plan(LAYER, FlexNNConfig(), SramConfig(), addrs, DESCRIPTOR, {"IF": 0.5})
