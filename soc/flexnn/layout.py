"""Where an activation tile lies in DRAM: the strided runs of a box of a (channels,
height, width) tensor under a layout. Pure functions.

Layouts (DESIGN section 5.2):

- `blocked`: the layout the drain writes for the next layer, tile after tile; a
  transfer is one contiguous copy that walks the tensor in fetch order (a tile's
  address inside the tensor is not modelled).
- `nchw`: channel planes of rows of pixels (width innermost);
- `nhwc`: rows of pixels of channels (channels innermost).

A box of a `nchw` / `nhwc` tensor is up to three nested strided runs (planes of rows
of contiguous bytes); runs that touch merge, so a box spanning the whole inner extent
moves as longer runs. Padding is not stored: a box is clipped to the tensor, and the
DMA moves only real elements (the SRAM tile's halo of zeros is not fetched).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from soc.config.models import Layout
from soc.workloads import Layer

LAYOUTS: tuple[str, ...] = get_args(Layout)
_ORDER = {"nchw": (0, 1, 2), "nhwc": (1, 2, 0)}  # axes (C, H, W) outer to inner

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # [lo, hi) per C, H, W


@dataclass(frozen=True)
class Strided:
    """`planes` x `rows` runs of `run_bytes`, from `offset` (bytes into the tensor)."""

    offset: int
    run_bytes: int
    rows: int
    row_stride: int
    planes: int
    plane_stride: int

    @property
    def size_bytes(self) -> int:
        return self.run_bytes * self.rows * self.planes

    def runs(self) -> list[tuple[int, int]]:
        """(offset, bytes) of every contiguous run, in transfer order."""
        return [
            (self.offset + p * self.plane_stride + r * self.row_stride, self.run_bytes)
            for p in range(self.planes)
            for r in range(self.rows)
        ]


def clip(box: Box, shape: tuple[int, int, int]) -> Box | None:
    """`box` inside a tensor of `shape` (C, H, W); None when nothing of it is."""
    out = tuple((max(0, lo), min(n, hi)) for (lo, hi), n in zip(box, shape, strict=True))
    return None if any(lo >= hi for lo, hi in out) else out  # type: ignore[return-value]


def strided(layout: str, shape: tuple[int, int, int], box: Box, elem_bytes: int) -> Strided:
    """The runs of `box` (clipped, non-empty) in a tensor of `shape` under `layout`."""
    order = _ORDER[layout]
    sizes = [shape[a] for a in order]
    lo = [box[a][0] for a in order]
    extent = [box[a][1] - box[a][0] for a in order]
    offset = ((lo[0] * sizes[1] + lo[1]) * sizes[2] + lo[2]) * elem_bytes
    run = extent[2] * elem_bytes
    counts = [extent[0], extent[1]]  # planes, rows
    strides = [sizes[1] * sizes[2] * elem_bytes, sizes[2] * elem_bytes]
    if extent[2] == sizes[2]:  # whole inner axis: rows touch
        run *= counts[1]
        counts[1] = 1
        if extent[1] == sizes[1]:  # and whole middle axis: planes touch
            run *= counts[0]
            counts[0] = 1
    if counts[1] == 1:  # a single row per plane: the planes are the rows
        counts = [1, counts[0]]
        strides = [strides[0], strides[0]]
    # strides that step over nothing are those of touching runs (a canonical form)
    if counts[1] == 1:
        strides[1] = run
    if counts[0] == 1:
        strides[0] = run * counts[1]
    return Strided(offset, run, counts[1], strides[1], counts[0], strides[0])


def new_part(box: Box, previous: Box | None) -> Box | None:
    """What of `box` the previous tile's `previous` does not hold, when they differ
    along one axis only (a sliding window); otherwise all of `box`. None: nothing."""
    if previous is None:
        return box
    differ = [a for a in range(3) if box[a] != previous[a]]
    if not differ:
        return None
    if len(differ) > 1:
        return box
    a = differ[0]
    (lo, hi), (plo, phi) = box[a], previous[a]
    if hi <= plo or phi <= lo:  # no overlap: all new
        return box
    # slid forward: what lies past the previous window; backward: what lies before it
    part = (max(lo, phi), hi) if lo >= plo else (lo, min(hi, plo))
    if part[0] >= part[1]:
        return None
    return tuple(part if i == a else box[i] for i in range(3))  # type: ignore[return-value]


def _channel_ranges(g0: int, eg: int, c0: int, ec: int, per_group: int) -> list[tuple[int, int]]:
    """Channel index ranges g x per_group + c of a block of groups and channels: one
    range when the block is one group or whole groups, else one per group."""
    if eg == 1:
        return [(g0 * per_group + c0, g0 * per_group + c0 + ec)]
    if ec == per_group:
        return [(g0 * per_group, (g0 + eg) * per_group)]
    return [(g * per_group + c0, g * per_group + c0 + ec) for g in range(g0, g0 + eg)]


def input_shape(layer: Layer) -> tuple[int, int, int]:
    return layer.groups * layer.c_per_group, layer.h, layer.w


def output_shape(layer: Layer) -> tuple[int, int, int]:
    return layer.groups * layer.k_per_group, layer.p, layer.q


def input_boxes(layer: Layer, start: dict[str, int], extent: dict[str, int]) -> list[Box]:
    """The input pixels a block of the loop nest (`start`, `extent` per dimension)
    reads, as boxes of the (C, H, W) input clipped to it (padding is not stored)."""
    top, left, _, _ = layer.pads
    st, dil = layer.stride, layer.dilation

    def window(p: str, r: str, pad: int) -> tuple[int, int]:
        lo = start[p] * st + start[r] * dil - pad
        hi = (start[p] + extent[p] - 1) * st + (start[r] + extent[r] - 1) * dil - pad + 1
        return lo, hi

    rows, cols = window("P", "R", top), window("Q", "S", left)
    channels = _channel_ranges(start["G"], extent["G"], start["C"], extent["C"], layer.c_per_group)
    shape = input_shape(layer)
    boxes = [clip((ch, rows, cols), shape) for ch in channels]
    return [b for b in boxes if b is not None]


def output_boxes(layer: Layer, start: dict[str, int], extent: dict[str, int]) -> list[Box]:
    """The outputs a block of the loop nest produces, as boxes of the (K, P, Q) output."""
    channels = _channel_ranges(start["G"], extent["G"], start["K"], extent["K"], layer.k_per_group)
    rows = (start["P"], start["P"] + extent["P"])
    cols = (start["Q"], start["Q"] + extent["Q"])
    return [(ch, rows, cols) for ch in channels]
