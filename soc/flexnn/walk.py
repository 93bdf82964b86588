"""Walking a list of temporal loops with numpy: per iteration, the block of every
dimension it covers and how much of each tensor moves in, with the loop-nest model's
rules (`soc.flexnn.loopnest`). Arrays over iterations, never over elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soc.flexnn.loopnest import DataSpace, Loop


@dataclass(frozen=True)
class Walk:
    """Iterations of `loops` (outer to inner) over blocks of `block` per dimension.

    `start[d]` and `extent[d]` are each iteration's first index and length along d
    (the last block of a dimension may be partial); `advancing` is the position in
    `loops` of the innermost loop that advanced into the iteration (-1 for the first).
    Iterations that fall wholly past a dimension's end are dropped.
    """

    loops: tuple[Loop, ...]
    start: dict[str, np.ndarray]
    extent: dict[str, np.ndarray]
    advancing: np.ndarray
    index: np.ndarray  # the iteration's position in the full (undropped) sequence

    def __len__(self) -> int:
        return len(self.advancing)


def walk(loops: tuple[Loop, ...], block: dict[str, int], sizes: dict[str, int]) -> Walk:
    """Enumerate the iterations of `loops` over dimensions of `sizes`."""
    factors = [lp.factor for lp in loops]
    n = math.prod(factors)
    r = np.arange(n, dtype=np.int64)
    inner_products = [math.prod(factors[j + 1 :]) for j in range(len(loops))]
    start = {dim: np.zeros(n, dtype=np.int64) for dim in sizes}
    advancing = np.full(n, -1, dtype=np.int64)
    for j, loop in enumerate(loops):
        index = (r // inner_products[j]) % loop.factor
        inner_dim = math.prod(lp.factor for lp in loops[j + 1 :] if lp.dim == loop.dim)
        stride = inner_dim * block.get(loop.dim, 1)
        start[loop.dim] = start[loop.dim] + index * stride
    # at an iteration where several indices change, the outermost one advanced and the
    # ones inside it wrapped to zero
    for j in reversed(range(len(loops))):
        if loops[j].factor > 1:
            advancing[(r % inner_products[j] == 0) & (r > 0)] = j
    extent = {dim: np.clip(size - start[dim], 0, block.get(dim, 1)) for dim, size in sizes.items()}
    keep = np.logical_and.reduce([e > 0 for e in extent.values()])
    return Walk(
        tuple(loops),
        {d: a[keep] for d, a in start.items()},
        {d: a[keep] for d, a in extent.items()},
        advancing[keep],
        r[keep],
    )


def footprint_array(ds: DataSpace, extents: dict[str, np.ndarray]) -> np.ndarray:
    """Vectorised `loopnest.footprint`: elements of ds over per-iteration extents."""
    size = np.int64(1)
    for axis in ds.axes:
        size = size * (sum(c * (extents[dim] - 1) for c, dim in axis) + 1)
    return size


def overlap_array(ds: DataSpace, extents: dict[str, np.ndarray], dim: str, step: int) -> np.ndarray:
    """Vectorised `loopnest._overlap_after_shift`."""
    shared = np.int64(1)
    for axis in ds.axes:
        size = sum(c * (extents[d] - 1) for c, d in axis) + 1
        shift = sum(c * step for c, d in axis if d == dim)
        shared = shared * np.maximum(0, size - shift)
    return shared


def moved(w: Walk, ds: DataSpace, tile: dict[str, np.ndarray], step: dict[str, int]) -> np.ndarray:
    """Elements of `ds` moved into a tile of per-iteration extents `tile` at every
    iteration: the whole tile first and whenever a loop indexing ds wrapped, the new
    part of a slid tile when the advancing loop indexes ds, else nothing."""
    relevant = ds.dims()
    whole = footprint_array(ds, tile) * np.ones(len(w), dtype=np.int64)
    out = whole.copy()
    for j, loop in enumerate(w.loops):
        if loop.factor == 1:
            continue
        if any(inner.dim in relevant and inner.factor > 1 for inner in w.loops[j + 1 :]):
            continue  # a relevant inner loop wrapped: the whole tile moves again
        selected = w.advancing == j
        if loop.dim not in relevant:
            out[selected] = 0
        else:
            shared = overlap_array(ds, tile, loop.dim, step.get(loop.dim, 1))
            out[selected] = (whole - shared)[selected]
    return out
