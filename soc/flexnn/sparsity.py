"""Sparse PE latency for a whole layer at once, with numpy.

Inside a round, dimension d's index splits as ``block x B + pe x (t x l) + step x l +
lane`` (B = s x t x l: s PEs along d, t RF steps, l lanes). A lane's MACs are every
combination of its (step) indices; find-first feeds it one pair with both operands
non-zero per cycle, so it takes max(1, pairs) cycles; a PE waits for its slowest lane
and the array (one lockstep group) for its slowest PE.

The pair count of every (round, PE, lane) is a sum over steps of products of 0/1 masks.
Steps of K only index weights and steps of P, Q only inputs, so those are summed first;
the remaining sum over the steps of G, C, R, S is one batched matrix product. Work grows
with the layer's MACs divided by its RF steps, never with a Python loop over MACs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from soc.flexnn.descriptor import INNER, Descriptor
from soc.flexnn.problem import DIMS, layer_sizes
from soc.flexnn.walk import walk
from soc.workloads import Layer
from soc.workloads.tensors import LayerTensors


@dataclass(frozen=True)
class SparseRounds:
    """Per round, in execution order: cycles with zero-skipping, MACs performed (pairs
    of non-zeros), and the cycles a perfectly balanced array would need."""

    cycles: np.ndarray
    performed: np.ndarray
    balanced: np.ndarray

    def accumulator_accesses(
        self, macs: np.ndarray, updates: np.ndarray, reads: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The OF accumulator's updates and reads with zero pairs skipped: each round's
        dense counts scaled by its performed / dense MACs (floor, as integers)."""
        skipped = self.performed != macs
        divisor = np.maximum(macs, 1)
        return (
            np.where(skipped, updates * self.performed // divisor, updates),
            np.where(skipped, reads * self.performed // divisor, reads),
        )


@dataclass(frozen=True)
class Split:
    """One dimension's decomposition: blocks of s PEs x t steps x l lanes."""

    size: int
    pes: int
    steps: int
    lanes: int

    @property
    def block(self) -> int:
        return self.pes * self.steps * self.lanes

    @property
    def blocks(self) -> int:
        return -(-self.size // self.block)

    @property
    def padded(self) -> int:
        return self.blocks * self.block


def splits(layer: Layer, d: Descriptor) -> dict[str, Split]:
    spatial, rf, lanes = d.extents(("rows", "cols")), d.extents(("rf",)), d.extents(("lanes",))
    return {
        dim: Split(size, spatial.get(dim, 1), rf.get(dim, 1), lanes.get(dim, 1))
        for dim, size in layer_sizes(layer).items()
    }


def _grouped(layer: Layer, t: LayerTensors) -> tuple[np.ndarray, np.ndarray]:
    """Weights as G x K x C x R x S and im2col inputs as G x C x R x S x P x Q (0/1)."""
    g = layer.groups
    weights = t.weights.reshape(g, layer.k_per_group, layer.c_per_group, layer.r, layer.s)
    ifmap = t.ifmap.reshape(g, layer.c_per_group, layer.h, layer.w)
    top, left, bottom, right = layer.pads
    st, dil = layer.stride, layer.dilation
    padded = np.pad(ifmap, ((0, 0), (0, 0), (top, bottom), (left, right)))
    span_r, span_s = (layer.r - 1) * dil + 1, (layer.s - 1) * dil + 1
    windows = sliding_window_view(padded, (span_r, span_s), axis=(2, 3))[..., ::dil, ::dil]
    windows = windows[:, :, : (layer.p - 1) * st + 1 : st, : (layer.q - 1) * st + 1 : st]
    return weights, np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))


def _split_axes(array: np.ndarray, parts: list[Split]) -> np.ndarray:
    """Pad each axis to whole blocks and split it into (blocks, pes, steps, lanes)."""
    array = np.pad(array, [(0, p.padded - n) for p, n in zip(parts, array.shape, strict=True)])
    return array.reshape([x for p in parts for x in (p.blocks, p.pes, p.steps, p.lanes)])


def pair_counts(layer: Layer, d: Descriptor, tensors: LayerTensors) -> tuple[np.ndarray, dict]:
    """Non-zero pairs per (block, pe, lane) of every dimension, as an array with axes
    [(blocks, s, l) for d in DIMS], and the splits."""
    sp = splits(layer, d)
    weights, cols = _grouped(layer, tensors)
    w = _split_axes(weights.astype(np.float32), [sp[x] for x in "GKCRS"])
    a = _split_axes(cols.astype(np.float32), [sp[x] for x in "GCRSPQ"])
    w = w.sum(axis=6)  # K's steps index only the weights
    a = a.sum(axis=(18, 22))  # P's and Q's steps index only the inputs
    # axes now: w = G(b,s,t,l) K(b,s,l) C(b,s,t,l) R(...) S(...)
    #           a = G(b,s,t,l) C(...) R(...) S(...) P(b,s,l) Q(b,s,l)
    shared = [sp[x] for x in "GCRS"]
    j_shape = [n for p in shared for n in (p.blocks, p.pes, p.lanes)]
    t_size = int(np.prod([p.steps for p in shared]))
    k_shape = [sp["K"].blocks, sp["K"].pes, sp["K"].lanes]
    x_shape = [n for p in (sp["P"], sp["Q"]) for n in (p.blocks, p.pes, p.lanes)]
    # w: move the shared (b, s, l) axes first, K's next, the shared steps last
    w_order = [0, 1, 3, 7, 8, 10, 11, 12, 14, 15, 16, 18, 4, 5, 6, 2, 9, 13, 17]
    w = w.transpose(w_order).reshape(int(np.prod(j_shape)), int(np.prod(k_shape)), t_size)
    a_order = [0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 2, 6, 10, 14, 16, 17, 18, 19, 20, 21]
    a = a.transpose(a_order).reshape(int(np.prod(j_shape)), t_size, int(np.prod(x_shape)))
    counts = np.matmul(w, a).reshape(j_shape + k_shape + x_shape)
    # axes: G(b,s,l) C(b,s,l) R(b,s,l) S(b,s,l) K(b,s,l) P(b,s,l) Q(b,s,l) -> DIMS order
    position = {dim: i for i, dim in enumerate("GCRSKPQ")}
    order = [3 * position[dim] + k for dim in DIMS for k in range(3)]
    return counts.transpose(order), sp


def sparse_rounds(
    layer: Layer, d: Descriptor, tensors: LayerTensors, lockstep: str = "array"
) -> SparseRounds:
    """Per-round sparse cycles in the order of `plan.round_table`.

    lockstep "array": a round lasts as long as the array's slowest PE. "column": each PE
    column waits only for its own slowest PE and may run one round ahead of the others
    (the register files are double-buffered: round r + 1's operands replace round r - 1's
    only when every column has finished r - 1); a round's cycles are then how much
    later the last column finishes it than the round before.
    """
    counts, sp = pair_counts(layer, d, tensors)
    n = len(DIMS)
    pe_lane_axes = tuple(3 * i + k for i in range(n) for k in (1, 2))
    w = walk((*d.dram, *d.sram), d.extents(INNER), layer_sizes(layer))
    index = tuple(w.start[dim] // sp[dim].block for dim in DIMS)
    if lockstep == "column":
        per_round_sum = counts.sum(axis=pe_lane_axes)
        cycles = _column_rounds(counts, sp, d, index)
    else:
        # one contiguous copy, blocks x (PEs and lanes): its two reductions cost half
        # of two over the strided axes (float32 sums of whole numbers: a round's MACs,
        # far below 2**24, so exact in any order)
        blocks = [3 * i for i in range(n)]
        by_block = np.ascontiguousarray(counts.transpose(blocks + list(pe_lane_axes)))
        by_block = by_block.reshape([counts.shape[i] for i in blocks] + [-1])
        per_round_sum = by_block.sum(axis=-1)
        cycles = np.maximum(1, by_block.max(axis=-1)[index]).astype(np.int64)
    performed = per_round_sum[index].astype(np.int64)
    slots = int(np.prod([p.pes * p.lanes for p in sp.values()]))
    balanced = np.maximum(1, -(-performed // slots))
    return SparseRounds(cycles, performed, balanced)


def _column_rounds(counts: np.ndarray, sp: dict[str, Split], d: Descriptor, index) -> np.ndarray:
    """Per-round cycles when every PE column is its own lockstep group (see caller)."""
    cols = d.extents(("cols",))
    shape, keep = [], []
    for i, dim in enumerate(DIMS):
        c = cols.get(dim, 1)
        r = sp[dim].pes // c  # rows split the PE index outside the columns
        shape += [sp[dim].blocks, r, c, sp[dim].lanes]
        keep.append(4 * i + 2)
    split = counts.reshape(shape)
    drop = tuple(4 * i + k for i in range(len(DIMS)) for k in (1, 3))
    per_column = split.max(axis=drop)  # axes: (blocks, column part) per dimension
    per_column = per_column[tuple(x for i in index for x in (i, slice(None)))]
    # rounds x columns; a column with no MAC in a round takes no cycle there
    work = per_column.reshape(len(index[0]), -1)
    active = _active_columns(sp, cols, index)
    column_cycles = np.where(active, np.maximum(1, work), 0)
    finished = np.zeros((2, column_cycles.shape[1]))
    done_before = 0.0
    out = np.empty(len(column_cycles), dtype=np.int64)
    for r, row in enumerate(column_cycles):
        start = np.maximum(finished[1], finished[0].max())  # own previous, all of r - 2
        end = start + row
        done = end.max()
        out[r] = done - done_before
        done_before = done
        finished = np.stack([finished[1], end])
    return out


def _active_columns(sp: dict[str, Split], cols: dict[str, int], index) -> np.ndarray:
    """rounds x columns: whether a column has any MAC in a round (edge tiles)."""
    masks = []
    for i, dim in enumerate(DIMS):
        c = cols.get(dim, 1)
        p = sp[dim]
        start = index[i][:, None] * p.block + np.arange(c)[None, :] * p.steps * p.lanes
        masks.append(start < p.size)  # the column's first PE along dim starts inside
    active = masks[0]
    for m in masks[1:]:
        active = (active[:, :, None] & m[:, None, :]).reshape(len(active), -1)
    return active
