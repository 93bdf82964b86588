"""From a layer and its descriptor to what the engine executes: SRAM tiles, DMA transfers
and the table of rounds. Pure functions; numpy over rounds, never over MACs or bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn.descriptor import Descriptor, ceil_div, check_rf_fit, choose_rf_factors
from soc.kernel.ports import DmaTransfer
from soc.workloads import Layer

IF_CHANNEL, FL_CHANNEL, OF_CHANNEL = 0, 1, 2


@dataclass(frozen=True)
class TensorAddrs:
    """DRAM base addresses of a layer's input, weights and output (HWC layout)."""

    if_addr: int
    fl_addr: int
    of_addr: int


@dataclass(frozen=True)
class RoundTable:
    """Per round (in execution order): what it loads, computes and drains.

    `of_bytes` is non-zero only on the last reduction round of an output tile, when its
    finished outputs are drained; `first_red` marks the round that opens an output tile.
    `delivered_bytes` counts what the load path writes into register files after
    multicast: IF to every active PE row (depthwise: to its own row), FL to every active
    PE column.
    """

    tile: np.ndarray
    macs: np.ndarray
    delivered_bytes: np.ndarray
    compute_cycles: np.ndarray
    if_bytes: np.ndarray
    fl_bytes: np.ndarray
    of_bytes: np.ndarray
    first_red: np.ndarray
    last_red: np.ndarray
    if_sram_addr: np.ndarray
    fl_sram_addr: np.ndarray
    of_sram_addr: np.ndarray

    def __len__(self) -> int:
        return len(self.tile)


@dataclass(frozen=True)
class SramTile:
    """One SRAM-level tile: output channels [k0, k0 + kb) x output rows [p0, p0 + pb)."""

    index: int
    k0: int
    kb: int
    p0: int
    pb: int
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

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def register_count(self) -> int:
        return self.descriptor.register_count


def _input_rows(layer: Layer, p0: int, pb: int) -> tuple[int, int]:
    """Input rows [r0, r1) that output rows [p0, p0 + pb) read (padding excluded)."""
    r0 = max(0, p0 * layer.stride - layer.padding)
    r1 = min(layer.h, (p0 + pb - 1) * layer.stride - layer.padding + layer.r)
    return r0, max(r0, r1)


def _depthwise(layer: Layer) -> bool:
    return layer.groups > 1


def tile_bytes(layer: Layer, hw: FlexNNConfig, kb: int, pb: int) -> tuple[int, int, int]:
    """Worst-case SRAM bytes of one tile's (IF, FL, OF) buffers."""
    rows = min(layer.h, (pb - 1) * layer.stride + layer.r)
    in_channels = kb if _depthwise(layer) else layer.c
    return (
        rows * layer.w * in_channels * hw.data_bytes,
        kb * layer.reduction * hw.data_bytes,
        kb * pb * layer.q * hw.data_bytes,
    )


def dram_traffic(layer: Layer, hw: FlexNNConfig, kb: int, pb: int) -> int:
    """DRAM bytes moved for SRAM blocks kb x pb, loop order P-block outer, K-block inner."""
    n_k, n_p = ceil_div(layer.k, kb), ceil_div(layer.p, pb)
    in_rows = 0
    for p0 in range(0, layer.p, pb):
        r0, r1 = _input_rows(layer, p0, pb)
        in_rows += r1 - r0
    # IF once per P-block (depthwise: each K-block fetches its own channels, same total)
    if_total = in_rows * layer.w * layer.c
    fl_total = layer.weight_elements * (n_p if n_k > 1 else 1)
    return (if_total + fl_total + layer.output_elements) * hw.data_bytes


def _block_sizes(extent: int) -> list[int]:
    """Distinct block sizes ceil(extent / n) for n = 1..extent, largest first."""
    return sorted({ceil_div(extent, n) for n in range(1, extent + 1)}, reverse=True)


def choose_sram_blocks(layer: Layer, hw: FlexNNConfig, sram: SramConfig) -> tuple[int, int]:
    """Among (k_block, p_block) whose buffers fit (prefetch + 1) times in the SRAM, the
    one with the least DRAM traffic (ties: fewer tiles)."""
    budget = sram.size_bytes // (hw.prefetch_tiles + 1)
    p_sizes = _block_sizes(layer.p)
    best: tuple[int, int, int, int] | None = None
    for kb in _block_sizes(layer.k):
        pb = next((pb for pb in p_sizes if sum(tile_bytes(layer, hw, kb, pb)) <= budget), None)
        if pb is None:
            continue
        tiles = ceil_div(layer.k, kb) * ceil_div(layer.p, pb)
        key = (dram_traffic(layer, hw, kb, pb), tiles, kb, pb)
        if best is None or key < best:
            best = key
    if best is None:
        need = sum(tile_bytes(layer, hw, 1, 1))
        raise MappingError(
            f"layer {layer.name}: the smallest SRAM tile (1 channel x 1 row) needs {need} B "
            f"per buffer set, {hw.prefetch_tiles + 1} sets; the SRAM holds "
            f"{sram.size_bytes} B ({budget} B per set)"
        )
    return best[2], best[3]


def default_descriptor(layer: Layer, hw: FlexNNConfig, sram: SramConfig) -> Descriptor:
    """The descriptor the engine uses when the scenario does not give one."""
    k_pe, pq_pe, red_t = choose_rf_factors(layer, hw)
    k_block, p_block = choose_sram_blocks(layer, hw, sram)
    return Descriptor(k_pe, pq_pe, red_t, k_block, p_block)


@dataclass(frozen=True)
class _TileRounds:
    """The rounds of one tile (loop order K-tile, pixel-tile, reduction-tile) and the
    SRAM buffers they read and write."""

    index: int
    ke: np.ndarray
    pqe: np.ndarray
    rede: np.ndarray
    first_red: np.ndarray
    last_red: np.ndarray
    if_buf: int
    fl_buf: int
    of_buf: int


def _tile_rounds(
    layer: Layer, hw: FlexNNConfig, d: Descriptor, kb: int, pb: int
) -> tuple[np.ndarray, ...]:
    """(channels, pixels, reduction) extent of every round of a kb x pb tile, and which
    rounds open and close an output tile."""
    t_k, t_pq = hw.pe_rows * d.k_pe, hw.pe_cols * d.pq_pe
    pixels = pb * layer.q
    ke = np.minimum(t_k, kb - np.arange(0, kb, t_k))
    pqe = np.minimum(t_pq, pixels - np.arange(0, pixels, t_pq))
    rede = np.minimum(d.red_t, layer.reduction - np.arange(0, layer.reduction, d.red_t))
    ke, pqe, rede = (a.ravel().astype(np.int64) for a in np.meshgrid(ke, pqe, rede, indexing="ij"))
    n_red = ceil_div(layer.reduction, d.red_t)
    position = np.arange(len(ke)) % n_red
    return ke, pqe, rede, position == 0, position == n_red - 1


def build_plan(
    layer: Layer,
    hw: FlexNNConfig,
    sram: SramConfig,
    addrs: TensorAddrs,
    descriptor: Descriptor | None = None,
) -> LayerPlan:
    """Cut `layer` into SRAM tiles and rounds under `descriptor` (default if None).

    SRAM holds `prefetch_tiles + 1` buffers per tensor. The IF buffer follows the
    P-block (depthwise: the tile), the FL buffer the K-block, the OF buffer the tile;
    at most `prefetch_tiles + 1` tiles are in flight, so a buffer is refilled only after
    every tile reading it has finished.
    """
    d = descriptor or default_descriptor(layer, hw, sram)
    check_rf_fit(layer, hw, d)
    db = hw.data_bytes
    nbuf = hw.prefetch_tiles + 1
    sizes = tile_bytes(layer, hw, d.k_block, d.p_block)
    if nbuf * sum(sizes) > sram.size_bytes:
        raise MappingError(
            f"layer {layer.name}: SRAM tiles need {nbuf} x {sum(sizes)} B "
            f"but the SRAM holds {sram.size_bytes} B"
        )
    if_max, fl_max, of_max = sizes
    if_base = sram.base_addr
    fl_base = if_base + nbuf * if_max
    of_base = fl_base + nbuf * fl_max
    n_k = ceil_div(layer.k, d.k_block)
    depthwise = _depthwise(layer)

    tiles: list[SramTile] = []
    parts: list[_TileRounds] = []
    first_round = 0
    for p_index, p0 in enumerate(range(0, layer.p, d.p_block)):
        pb = min(d.p_block, layer.p - p0)
        for k_index, k0 in enumerate(range(0, layer.k, d.k_block)):
            kb = min(d.k_block, layer.k - k0)
            index = len(tiles)
            if_buf = if_base + ((index if depthwise else p_index) % nbuf) * if_max
            fl_buf = fl_base + ((index if n_k > 1 else 0) % nbuf) * fl_max
            of_buf = of_base + (index % nbuf) * of_max
            fetches = []
            if k_index == 0 or depthwise:
                fetches.append(_fetch_if(layer, hw, addrs, if_buf, k0, kb, p0, pb))
            if index == 0 or n_k > 1:
                fetches.append(
                    DmaTransfer(
                        addrs.fl_addr + k0 * layer.reduction * db,
                        fl_buf,
                        kb * layer.reduction * db,
                        channel=FL_CHANNEL % hw.dma_channels,
                        label=f"{layer.name}.FL",
                    )
                )
            ke, pqe, rede, first, last = _tile_rounds(layer, hw, d, kb, pb)
            parts.append(_TileRounds(index, ke, pqe, rede, first, last, if_buf, fl_buf, of_buf))
            tiles.append(
                SramTile(
                    index=index,
                    k0=k0,
                    kb=kb,
                    p0=p0,
                    pb=pb,
                    fetches=tuple(t for t in fetches if t is not None),
                    writebacks=(_writeback_of(layer, hw, addrs, of_buf, k0, kb, p0, pb),),
                    first_round=first_round,
                    n_rounds=len(ke),
                )
            )
            first_round += len(ke)
    sram_end = sram.base_addr + sram.size_bytes
    return LayerPlan(layer, d, tuple(tiles), _round_table(layer, hw, parts, sizes, sram_end))


def _round_table(
    layer: Layer,
    hw: FlexNNConfig,
    parts: list[_TileRounds],
    buf_bytes: tuple[int, int, int],
    sram_end: int,
) -> RoundTable:
    """Concatenate the tiles' rounds into one table (numpy over rounds).

    Round addresses only place accesses on banks: an im2col operand can be larger than
    the buffer it is gathered from, so an access may run past its buffer (never past the
    SRAM's end).
    """
    db = hw.data_bytes
    depthwise = _depthwise(layer)
    cols: dict[str, list[np.ndarray]] = {name: [] for name in RoundTable.__dataclass_fields__}
    for part in parts:
        ke, pqe, rede = part.ke, part.pqe, part.rede
        # IF: one input group per PE row for depthwise, else shared by all rows
        if_bytes = (ke if depthwise else 1) * pqe * rede * db
        fl_bytes = ke * rede * db
        of_bytes = np.where(part.last_red, ke * pqe * db, 0)
        if_fanout = 1 if depthwise else np.minimum(ke, hw.pe_rows)
        cols["tile"].append(np.full(len(ke), part.index, dtype=np.int64))
        cols["macs"].append(ke * pqe * rede)
        cols["delivered_bytes"].append(
            if_bytes * if_fanout + fl_bytes * np.minimum(pqe, hw.pe_cols)
        )
        cols["compute_cycles"].append(
            -(-ke // hw.pe_rows) * -(-pqe // hw.pe_cols) * -(-rede // hw.lanes)
        )
        cols["if_bytes"].append(if_bytes)
        cols["fl_bytes"].append(fl_bytes)
        cols["of_bytes"].append(of_bytes)
        cols["first_red"].append(part.first_red)
        cols["last_red"].append(part.last_red)
        for name, base, size, size_max in (
            ("if_sram_addr", part.if_buf, if_bytes, buf_bytes[0]),
            ("fl_sram_addr", part.fl_buf, fl_bytes, buf_bytes[1]),
            ("of_sram_addr", part.of_buf, of_bytes, buf_bytes[2]),
        ):
            # successive rounds walk through the buffer (wrapping), spreading over banks
            offset = (np.cumsum(size) - size) % size_max
            offset = np.minimum(offset, size_max - np.minimum(size, size_max))
            cols[name].append(np.minimum(base + offset, sram_end - size))
    return RoundTable(**{name: np.concatenate(arrays) for name, arrays in cols.items()})


def _fetch_if(
    layer: Layer, hw: FlexNNConfig, addrs: TensorAddrs, dst: int, k0: int, kb: int, p0: int, pb: int
) -> DmaTransfer | None:
    """The IF rows (and, for depthwise, channels) of one tile, DRAM -> SRAM."""
    db = hw.data_bytes
    r0, r1 = _input_rows(layer, p0, pb)
    if r1 == r0:
        return None
    row = layer.w * layer.c * db
    channel, label = IF_CHANNEL % hw.dma_channels, f"{layer.name}.IF"
    if _depthwise(layer) and kb < layer.c:
        return DmaTransfer(
            addrs.if_addr + r0 * row + k0 * db,
            dst,
            kb * db,
            rows=(r1 - r0) * layer.w,
            src_stride_bytes=layer.c * db,
            channel=channel,
            label=label,
        )
    return DmaTransfer(addrs.if_addr + r0 * row, dst, (r1 - r0) * row, channel=channel, label=label)


def _writeback_of(
    layer: Layer, hw: FlexNNConfig, addrs: TensorAddrs, src: int, k0: int, kb: int, p0: int, pb: int
) -> DmaTransfer:
    """The finished outputs of one tile, SRAM -> DRAM (strided when K is split)."""
    db = hw.data_bytes
    pixels = pb * layer.q
    dst = addrs.of_addr + (p0 * layer.q * layer.k + k0) * db
    channel, label = OF_CHANNEL % hw.dma_channels, f"{layer.name}.OF"
    if kb == layer.k:
        return DmaTransfer(src, dst, pixels * kb * db, channel=channel, label=label)
    return DmaTransfer(
        src, dst, kb * db, rows=pixels, dst_stride_bytes=layer.k * db, channel=channel, label=label
    )
