"""Layer descriptors: how a layer's loop nest is laid onto the FlexNN array.

The descriptor of this version is output-stationary with im2col operands:

- spatial: output channels across PE rows, output pixels (P x Q) across PE columns,
  both interleaved (row i takes channels i, i + rows, ...), and the reduction
  (C / groups x R x S) across the MAC lanes of a PE, summed by the adder tree;
- register-file level: each PE holds `k_pe` output channels x `pq_pe` pixels of partial
  sums, and per round `red_t` reduction elements of IF and FL;
- SRAM level: tiles of `k_block` output channels x `p_block` output rows, loop order
  P-block outer, K-block inner, rounds inside a tile K-tile, pixel-tile, reduction
  (innermost, so partial sums stay in the PE until the last reduction round).

Every operand a PE consumes is loaded explicitly (im2col), so sliding-window reuse of
IF inside the array is not modelled; the general loop-nest descriptors replace this.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from soc.config import FlexNNConfig
from soc.errors import MappingError
from soc.workloads import Layer

_POWERS = (1, 2, 4, 8, 16, 32, 64)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Descriptor:
    """Per-layer mapping. RF-level factors per PE, SRAM-level tile sizes."""

    k_pe: int
    pq_pe: int
    red_t: int
    k_block: int
    p_block: int

    @property
    def register_count(self) -> int:
        """32-bit registers the host writes to program the layer: one per layer shape
        field (N, K, C, H, W, R, S, stride, padding, op), one per descriptor field, and
        four tensor base addresses (IF, FL, OF, bitmap)."""
        return 10 + len(fields(self)) + 4


def rf_bytes_needed(layer: Layer, hw: FlexNNConfig, k_pe: int, pq_pe: int, red_t: int):
    """(IF, FL, OF) register-file bytes one PE holds in a round."""
    if_per_pe = pq_pe * red_t * hw.data_bytes
    if layer.k_per_group == 1 and layer.groups > 1:  # depthwise: own IF per channel
        if_per_pe *= k_pe
    return if_per_pe, k_pe * red_t * hw.data_bytes, k_pe * pq_pe * hw.acc_bytes


def check_rf_fit(layer: Layer, hw: FlexNNConfig, d: Descriptor) -> None:
    """Refuse a descriptor whose per-PE operands exceed a register file."""
    needs = rf_bytes_needed(layer, hw, d.k_pe, d.pq_pe, d.red_t)
    caps = (hw.if_rf_bytes, hw.fl_rf_bytes, hw.of_rf_bytes)
    for tensor, need, cap in zip(("IF", "FL", "OF"), needs, caps, strict=True):
        if need > cap:
            raise MappingError(
                f"layer {layer.name}: {tensor} tile needs {need} B in the RF level "
                f"but the {tensor} register file holds {cap} B"
            )
    if min(d.k_pe, d.pq_pe, d.red_t, d.k_block, d.p_block) <= 0:
        raise MappingError(f"layer {layer.name}: descriptor factors must be positive: {d}")
    if d.k_block > layer.k or d.p_block > layer.p:
        raise MappingError(
            f"layer {layer.name}: SRAM tile {d.k_block} x {d.p_block} (K x P) exceeds the "
            f"layer's {layer.k} x {layer.p}"
        )


def round_cycles_estimate(layer: Layer, hw: FlexNNConfig, k_pe: int, pq_pe: int, red_t: int):
    """Whole-layer cycle estimate for an RF-level choice: rounds x max(compute, load)."""
    pixels = layer.p * layer.q
    k_tiles = ceil_div(layer.k, hw.pe_rows * k_pe)
    pq_tiles = ceil_div(pixels, hw.pe_cols * pq_pe)
    red_tiles = ceil_div(layer.reduction, red_t)
    ke = min(layer.k, hw.pe_rows * k_pe)
    pqe = min(pixels, hw.pe_cols * pq_pe)
    compute = ceil_div(ke, hw.pe_rows) * ceil_div(pqe, hw.pe_cols) * ceil_div(red_t, hw.lanes)
    if_groups = ke if layer.groups > 1 else 1
    load_bytes = (if_groups * pqe + ke) * red_t * hw.data_bytes
    load = ceil_div(load_bytes, hw.load_bytes_per_cycle)
    return k_tiles * pq_tiles * red_tiles * max(compute, load)


def choose_rf_factors(layer: Layer, hw: FlexNNConfig) -> tuple[int, int, int]:
    """The (k_pe, pq_pe, red_t) that minimise the estimate among those that fit the RFs."""
    best_key: tuple[int, int] | None = None
    best = (0, 0, 0)
    for k_pe in _POWERS:
        for pq_pe in _POWERS:
            if_pe, fl_pe, of_pe = rf_bytes_needed(layer, hw, k_pe, pq_pe, 1)
            if of_pe > hw.of_rf_bytes:
                continue
            red_t = min(layer.reduction, hw.if_rf_bytes // if_pe, hw.fl_rf_bytes // fl_pe)
            if red_t <= 0:
                continue
            if red_t > hw.lanes:
                red_t -= red_t % hw.lanes
            cycles = round_cycles_estimate(layer, hw, k_pe, pq_pe, red_t)
            key = (cycles, k_pe * pq_pe)  # ties: the smaller PE tile (fewer idle edges)
            if best_key is None or key < best_key:
                best_key, best = key, (k_pe, pq_pe, red_t)
    if best_key is None:
        raise MappingError(f"layer {layer.name}: no RF tiling fits the register files")
    return best
