"""From a layer and its descriptor to what the engine executes: SRAM tiles with their DMA
transfers, and the table of rounds. Pure functions; numpy over rounds and tiles.

Round (one iteration of the DRAM and SRAM loops): the array computes a block of every
dimension. Per round:

- compute cycles: the busiest PE's RF iterations, prod over d of
  ceil(min(rf_d x lanes_d, block_d) / lanes_d) (PEs take contiguous sub-blocks);
- IF / FL load: what moves into the register files (`walk.moved` per PE), read from
  SRAM once per group of PEs that need different data (multicast to the rest);
- outputs: an output tile opens when the OF tile changes and closes before it changes
  again; closing drains it (final outputs at `data_bytes`, partial sums at `acc_bytes`),
  opening a tile whose reduction already started reloads its partial sums: the load
  path reads them from the SRAM's OF buffer with the round's IF and FL, and they enter
  one of the PEs that share an output when a reduction dimension is spread over the
  array (the others start from zero; the drain sums the parts, `cost.reloaded_once`).

SRAM tile (one iteration of the DRAM loops): the DMA fetches what moves into the SRAM
buffers and writes outputs back when the SRAM's output tile closes. Tensors live in
DRAM at their base address. In the `blocked` layout a transfer's offset walks the
tensor in fetch order (weights always lie so, in the order the tiles read them); an
activation in `nchw` or `nhwc` moves as the strided runs of its tile's box
(`soc.flexnn.layout`), packed into the SRAM buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn.descriptor import INNER, Descriptor, sram_bytes, validate
from soc.flexnn.layout import input_boxes, input_shape, new_part, output_boxes, output_shape
from soc.flexnn.layout import strided as layout_runs
from soc.flexnn.loopnest import DataSpace
from soc.flexnn.problem import FL, IF, OF, REDUCTION_DIMS, SHORT, conv_problem, layer_sizes
from soc.flexnn.sparsity import SparseRounds
from soc.flexnn.walk import Walk, footprint_array, moved, walk
from soc.kernel.ports import DmaTransfer
from soc.workloads import Layer

IF_CHANNEL, FL_CHANNEL, OF_CHANNEL = 0, 1, 2


@dataclass(frozen=True)
class TensorAddrs:
    """DRAM base addresses of a layer's input, weights and output, and the input's
    layout (the output's is the descriptor's; weights lie in tile order)."""

    if_addr: int
    fl_addr: int
    of_addr: int
    if_layout: str = "blocked"


@dataclass(frozen=True)
class RoundTable:
    """Per round, in execution order (arrays of equal length)."""

    tile: np.ndarray  # SRAM tile the round belongs to
    macs: np.ndarray
    compute_cycles: np.ndarray
    if_bytes: np.ndarray  # SRAM -> RF, after multicast
    fl_bytes: np.ndarray
    psum_bytes: np.ndarray  # partial sums read back from the SRAM into the OF register file
    of_bytes: np.ndarray  # drained from the OF register file when the tile closes
    delivered_bytes: np.ndarray  # written into register files across the array
    of_updates: np.ndarray  # accumulations into the OF register files (after the lanes' adder tree)
    of_reads: np.ndarray  # ... of which read a partial sum first (not an output's first)
    opens_output: np.ndarray  # bool: the OF tile changes at this round
    closes_output: np.ndarray  # bool: the OF tile is drained after this round
    final_output: np.ndarray  # bool: ... and its outputs are final (not partial sums)
    if_sram_addr: np.ndarray
    fl_sram_addr: np.ndarray
    of_sram_addr: np.ndarray
    psum_sram_addr: np.ndarray
    # rounds each row stands for when rounds are batched (`soc.flexnn.batching`)
    rounds_per_row: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.tile)

    @property
    def round_count(self) -> int:
        """Rounds of the layer, however they are batched."""
        return len(self) if self.rounds_per_row is None else int(self.rounds_per_row.sum())

    @property
    def load_bytes(self) -> np.ndarray:
        return self.if_bytes + self.fl_bytes + self.psum_bytes


@dataclass(frozen=True)
class SramTile:
    """One iteration of the DRAM-level loops and the DMA transfers it needs."""

    index: int
    fetches: tuple[DmaTransfer, ...]
    writebacks: tuple[DmaTransfer, ...]
    first_round: int
    n_rounds: int


@dataclass(frozen=True)
class LayerPlan:
    """Everything the engine needs to run one layer; what the host launches."""

    layer: Layer
    descriptor: Descriptor
    tiles: tuple[SramTile, ...]
    rounds: RoundTable
    sparse: SparseRounds | None = None  # per-round cycles with zero-skipping
    densities: tuple[float, float] = (1.0, 1.0)  # IF, FL

    @property
    def name(self) -> str:
        return self.layer.name

    def with_sparsity(self, sparse: SparseRounds, densities: tuple[float, float]) -> LayerPlan:
        return LayerPlan(self.layer, self.descriptor, self.tiles, self.rounds, sparse, densities)

    @property
    def register_count(self) -> int:
        return self.descriptor.register_count


def _dataspaces(layer: Layer) -> dict[str, DataSpace]:
    return {ds.name: ds for ds in conv_problem(layer).dataspaces}


@dataclass(frozen=True)
class _Outputs:
    """Output-tile events of a walk: opening, closing, final or partial, reload."""

    opens: np.ndarray
    closes: np.ndarray
    final: np.ndarray
    reload: np.ndarray
    elements: np.ndarray  # outputs in the walk's block


def _outputs(w: Walk, of: DataSpace, tile: dict[str, np.ndarray], sizes, step) -> _Outputs:
    opens = moved(w, of, tile, step) > 0
    closes = np.append(opens[1:], True)
    reduction = [d for d in REDUCTION_DIMS if d in sizes]
    final = np.logical_and.reduce([w.start[d] + w.extent[d] >= sizes[d] for d in reduction])
    started = np.logical_or.reduce([w.start[d] > 0 for d in reduction])
    return _Outputs(opens, closes, final, opens & started, footprint_array(of, w.extent))


def round_table(layer: Layer, hw: FlexNNConfig, d: Descriptor) -> RoundTable:
    """The rounds of `layer` under `d` (addresses relative to the SRAM buffers: 0)."""
    sizes = layer_sizes(layer)
    spaces = _dataspaces(layer)
    block = d.extents(INNER)
    w = walk((*d.dram, *d.sram), block, sizes)
    rf = d.extents(("rf",))
    lanes = d.extents(("lanes",))
    spatial = d.extents(("rows", "cols"))
    pe = {dim: np.minimum(rf.get(dim, 1) * lanes.get(dim, 1), w.extent[dim]) for dim in sizes}
    cycles = np.ones(len(w), dtype=np.int64)
    for dim in sizes:
        cycles *= -(-pe[dim] // lanes.get(dim, 1))
    active = {
        dim: np.minimum(spatial[dim], -(-w.extent[dim] // (rf.get(dim, 1) * lanes.get(dim, 1))))
        for dim in spatial
    }
    all_pes = np.prod([active[dim] for dim in spatial], axis=0) if spatial else 1
    db, acc = hw.data_bytes, hw.acc_bytes

    def distinct_pes(ds: DataSpace) -> np.ndarray:
        groups = [active[dim] for dim in spatial if dim in ds.dims()]
        return np.prod(groups, axis=0) if groups else np.ones(len(w), dtype=np.int64)

    per_pe = {name: moved(w, ds, pe, block) for name, ds in spaces.items() if name != OF}
    if_bytes = per_pe[IF] * distinct_pes(spaces[IF]) * db
    fl_bytes = per_pe[FL] * distinct_pes(spaces[FL]) * db
    delivered = (per_pe[IF] + per_pe[FL]) * all_pes * db
    out = _outputs(w, spaces[OF], pe, sizes, block)
    psum = np.where(out.reload, out.elements * acc, 0)
    drain = np.where(out.closes, out.elements * np.where(out.final, db, acc), 0)
    macs = np.prod([w.extent[dim] for dim in sizes], axis=0)
    # lanes over a reduction dimension sum through an adder tree: one accumulation each
    tree = np.prod(
        [np.minimum(lanes.get(dim, 1), w.extent[dim]) for dim in REDUCTION_DIMS if dim in sizes],
        axis=0,
    )
    of_updates = macs // tree
    # an output's first accumulation in each PE that holds part of it reads nothing,
    # but in the one PE a reloaded partial sum enters
    sharing = [active[dim] for dim in spatial if dim in REDUCTION_DIMS]
    holders = np.prod(sharing, axis=0) if sharing else 1
    first = np.where(out.opens, out.elements * holders, 0) - np.where(out.reload, out.elements, 0)
    of_reads = of_updates - first
    zeros = np.zeros(len(w), dtype=np.int64)
    return RoundTable(
        tile=w.index // max(1, int(np.prod([lp.factor for lp in d.sram]))),
        macs=macs,
        compute_cycles=cycles,
        if_bytes=if_bytes,
        fl_bytes=fl_bytes,
        psum_bytes=psum,
        of_bytes=drain,
        delivered_bytes=delivered + psum,
        of_updates=of_updates,
        of_reads=of_reads,
        opens_output=out.opens,
        closes_output=out.closes,
        final_output=out.closes & out.final,
        if_sram_addr=zeros,
        fl_sram_addr=zeros,
        of_sram_addr=zeros,
        psum_sram_addr=zeros,
    )


def build_plan(
    layer: Layer,
    hw: FlexNNConfig,
    sram: SramConfig,
    addrs: TensorAddrs,
    descriptor: Descriptor,
    compression: dict[str, float] | None = None,
) -> LayerPlan:
    """Validate `descriptor` for `layer` and cut the layer into SRAM tiles and rounds.

    `compression` maps "IF", "FL", "OF" to compressed / dense size: what the DMA moves,
    the load path reads and final outputs drain shrink by it (partial sums are not
    compressed). SRAM buffers keep their dense, worst-case size.

    The SRAM holds `prefetch_tiles + 1` buffers per tensor; a tensor moves into its next
    buffer each time the DMA fetches it, so a buffer is refilled only after the tiles
    reading it have finished (at most that many tiles are in flight).
    """
    validate(layer, hw, sram, descriptor)
    d = descriptor
    sizes = layer_sizes(layer)
    spaces = _dataspaces(layer)
    nbuf = hw.prefetch_tiles + 1
    buf = sram_bytes(layer, hw, d)
    base = {IF: sram.base_addr}
    base[FL] = base[IF] + nbuf * buf[IF]
    base[OF] = base[FL] + nbuf * buf[FL]
    db, acc = hw.data_bytes, hw.acc_bytes

    # SRAM tiles: iterations of the DRAM loops over blocks of everything below
    block = d.extents(("sram", *INNER))
    tw = walk(d.dram, block, sizes)
    fetched = {name: moved(tw, ds, tw.extent, block) for name, ds in spaces.items() if name != OF}
    out = _outputs(tw, spaces[OF], tw.extent, sizes, block)
    buffer_of = {name: (np.cumsum(fetched[name] > 0) - 1).clip(min=0) % nbuf for name in fetched}
    buffer_of[OF] = (np.cumsum(out.opens) - 1) % nbuf

    ratio = {IF: 1.0, FL: 1.0, OF: 1.0}
    ratio.update({name: (compression or {}).get(SHORT[name], 1.0) for name in ratio})
    rounds = _compressed(round_table(layer, hw, d), ratio)
    tile_of_round = np.searchsorted(tw.index, rounds.tile)
    first = np.searchsorted(tile_of_round, np.arange(len(tw)))
    counts = np.diff(np.append(first, len(rounds)))
    rounds = _place(rounds, tile_of_round, buffer_of, base, buf, sram)

    offsets = {IF: 0, FL: 0, OF: 0}
    tensor_base = {IF: addrs.if_addr, FL: addrs.fl_addr, OF: addrs.of_addr}
    tensor_size = {
        IF: layer.input_elements * db,
        FL: layer.weight_elements * db,
        OF: layer.output_elements * acc,
    }
    channel = {IF: IF_CHANNEL, FL: FL_CHANNEL, OF: OF_CHANNEL}

    def transfer(name: str, size: int, to_sram: bool, t: int) -> DmaTransfer:
        dram = tensor_base[name] + offsets[name] % max(1, tensor_size[name] - size + 1)
        offsets[name] += size
        sram_addr = base[name] + int(buffer_of[name][t]) * buf[name]
        src, dst = (dram, sram_addr) if to_sram else (sram_addr, dram)
        return DmaTransfer(
            src,
            dst,
            size,
            channel=channel[name] % hw.dma_channels,
            label=f"{layer.name}.{SHORT[name]}",
        )

    layout = {IF: addrs.if_layout, OF: d.layout}
    if compression and any(v != "blocked" for v in layout.values()):
        raise MappingError(
            f"layer {layer.name}: compressed tensors lie in DRAM tile after tile; "
            "layout nchw / nhwc needs workload.sparsity.compression off"
        )

    def strided(name: str, boxes: list, elem: int, to_sram: bool, t: int) -> list[DmaTransfer]:
        """One transfer per box of `name`'s layout, packed in the tile's SRAM buffer."""
        shape = input_shape(layer) if name == IF else output_shape(layer)
        sram_addr = base[name] + int(buffer_of[name][t]) * buf[name]
        out = []
        for box in boxes:
            runs = layout_runs(layout[name], shape, box, elem)
            dram = tensor_base[name] + runs.offset
            in_dram = (runs.row_stride, runs.plane_stride)  # row and plane strides
            in_sram = (runs.run_bytes, runs.run_bytes * runs.rows)  # packed
            if to_sram:
                src, dst, src_strides, dst_strides = dram, sram_addr, in_dram, in_sram
            else:
                src, dst, src_strides, dst_strides = sram_addr, dram, in_sram, in_dram
            out.append(
                DmaTransfer(
                    src,
                    dst,
                    runs.run_bytes,
                    runs.rows,
                    src_strides[0],
                    dst_strides[0],
                    channel=channel[name] % hw.dma_channels,
                    label=f"{layer.name}.{SHORT[name]}",
                    planes=runs.planes,
                    src_plane_stride_bytes=src_strides[1],
                    dst_plane_stride_bytes=dst_strides[1],
                )
            )
            sram_addr += runs.size_bytes
        return out

    def at(t: int) -> tuple[dict[str, int], dict[str, int]]:
        return {k: int(v[t]) for k, v in tw.start.items()}, {
            k: int(v[t]) for k, v in tw.extent.items()
        }

    tiles = []
    held: list | None = None  # the input boxes the SRAM holds (strided layouts)
    for t in range(len(tw)):
        start, extent = at(t)
        fetches = []
        if layout[IF] == "blocked":
            if fetched[IF][t] > 0:
                fetches.append(
                    transfer(IF, math.ceil(int(fetched[IF][t]) * db * ratio[IF]), True, t)
                )
        else:
            boxes = input_boxes(layer, start, extent)
            if fetched[IF][t] > 0:
                if held is not None and len(boxes) == len(held) == 1:
                    part = new_part(boxes[0], held[0])
                    wanted = [] if part is None else [part]
                else:
                    wanted = boxes
                fetches += strided(IF, wanted, db, True, t)
            held = boxes
        if fetched[FL][t] > 0:
            fetches.append(transfer(FL, math.ceil(int(fetched[FL][t]) * db * ratio[FL]), True, t))
        of_boxes = output_boxes(layer, start, extent) if layout[OF] != "blocked" else None
        if out.reload[t]:
            if of_boxes is None:
                fetches.append(transfer(OF, int(out.elements[t]) * acc, True, t))
            else:
                fetches += strided(OF, of_boxes, acc, True, t)
        writebacks: tuple[DmaTransfer, ...] = ()
        if out.closes[t]:
            final = out.final[t]
            if of_boxes is None:
                size = math.ceil(int(out.elements[t]) * (db * ratio[OF] if final else acc))
                writebacks = (transfer(OF, size, False, t),)
            else:
                writebacks = tuple(strided(OF, of_boxes, db if final else acc, False, t))
        tiles.append(SramTile(t, tuple(fetches), writebacks, int(first[t]), int(counts[t])))
    return LayerPlan(layer, d, tuple(tiles), rounds)


def _compressed(rounds: RoundTable, ratio: dict[str, float]) -> RoundTable:
    """Shrink what the load path reads and what final outputs drain (ceil to bytes)."""
    if all(r == 1.0 for r in ratio.values()):
        return rounds
    final = rounds.final_output
    return RoundTable(
        **{
            **rounds.__dict__,
            "if_bytes": np.ceil(rounds.if_bytes * ratio[IF]).astype(np.int64),
            "fl_bytes": np.ceil(rounds.fl_bytes * ratio[FL]).astype(np.int64),
            "of_bytes": np.where(
                final, np.ceil(rounds.of_bytes * ratio[OF]), rounds.of_bytes
            ).astype(np.int64),
        }
    )


def _place(rounds: RoundTable, tile_of_round, buffer_of, base, buf, sram: SramConfig):
    """Give every round's SRAM accesses an address inside its tile's buffers: successive
    rounds walk through the buffer, spreading accesses over the banks."""
    end = sram.base_addr + sram.size_bytes
    addrs = {}
    for name, sizes in ((IF, rounds.if_bytes), (FL, rounds.fl_bytes), (OF, rounds.of_bytes)):
        start = base[name] + buffer_of[name][tile_of_round] * buf[name]
        offset = (np.cumsum(sizes) - sizes) % max(1, buf[name])
        addrs[name] = np.minimum(start + offset, end - sizes)
    # a reloaded output tile is read from where its partial sums will be drained again
    psum_addr = np.minimum(addrs[OF], end - rounds.psum_bytes)
    return RoundTable(
        **{
            **rounds.__dict__,
            "tile": tile_of_round,
            "if_sram_addr": addrs[IF],
            "fl_sram_addr": addrs[FL],
            "of_sram_addr": addrs[OF],
            "psum_sram_addr": psum_addr,
        }
    )
