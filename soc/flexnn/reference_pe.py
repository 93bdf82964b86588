"""The reference model of sparse PE latency: one round, one PE, cycle by cycle.

Slow and literal, to check `soc.flexnn.sparsity` against. For every lane: list its MACs
in RF-step order, AND the input and weight bitmaps along that list, and let find-first
take one set bit per cycle until none is left (at least one cycle when the lane has any
MAC). The PE takes as long as its slowest lane; the round as long as its slowest PE.
"""

from __future__ import annotations

import itertools

import numpy as np

from soc.flexnn.descriptor import INNER, Descriptor
from soc.flexnn.problem import DIMS, layer_sizes
from soc.flexnn.sparsity import splits
from soc.flexnn.walk import walk
from soc.workloads import Layer
from soc.workloads.tensors import LayerTensors


def _operands(layer: Layer, t: LayerTensors, idx: dict[str, int]) -> tuple[bool, bool]:
    """The IF and FL mask bits one MAC multiplies (padding reads a zero)."""
    g, k, c, p, q, r, s = (idx[x] for x in DIMS)
    channel = g * layer.c_per_group + c
    weight = t.weights[g * layer.k_per_group + k, c, r, s]
    top, left, _, _ = layer.pads
    h = p * layer.stride + r * layer.dilation - top
    w = q * layer.stride + s * layer.dilation - left
    inside = 0 <= h < layer.h and 0 <= w < layer.w
    return bool(inside and t.ifmap[channel, h, w]), bool(weight)


def find_first_cycles(pair_bits: list[bool]) -> int:
    """Cycles for find-first to consume a lane's bitmap of operand pairs."""
    bits = list(pair_bits)
    cycles = 0
    while True:
        try:
            position = bits.index(True)  # the first set bit
        except ValueError:
            break
        bits[position] = False
        cycles += 1
    return max(1, cycles) if pair_bits else 0


def pe_round_cycles(
    layer: Layer, d: Descriptor, t: LayerTensors, block: dict[str, int], pe: dict[str, int]
) -> int:
    """Cycles of PE `pe` (index along each dimension's PEs) in the round whose block
    index along each dimension is `block`."""
    sp = splits(layer, d)
    lanes = list(itertools.product(*(range(sp[x].lanes) for x in DIMS)))
    steps = list(itertools.product(*(range(sp[x].steps) for x in DIMS)))
    slowest = 0
    for lane in lanes:
        pairs = []
        for step in steps:
            idx = {
                x: block[x] * sp[x].block
                + pe[x] * sp[x].steps * sp[x].lanes
                + step[i] * sp[x].lanes
                + lane[i]
                for i, x in enumerate(DIMS)
            }
            if any(idx[x] >= sp[x].size for x in DIMS):
                continue  # an edge tile: this lane has no MAC here
            a, w = _operands(layer, t, idx)
            pairs.append(a and w)
        slowest = max(slowest, find_first_cycles(pairs))
    return slowest


def round_cycles(layer: Layer, d: Descriptor, t: LayerTensors, block: dict[str, int]) -> int:
    """Cycles of the whole array (one lockstep group) in one round."""
    sp = splits(layer, d)
    pes = itertools.product(*(range(sp[x].pes) for x in DIMS))
    return max(pe_round_cycles(layer, d, t, block, dict(zip(DIMS, pe, strict=True))) for pe in pes)


def layer_round_cycles(layer: Layer, d: Descriptor, t: LayerTensors) -> np.ndarray:
    """Every round's cycles, in the order of the round walk."""
    sp = splits(layer, d)
    w = walk((*d.dram, *d.sram), d.extents(INNER), layer_sizes(layer))
    return np.array(
        [
            round_cycles(layer, d, t, {x: int(w.start[x][i]) // sp[x].block for x in DIMS})
            for i in range(len(w))
        ]
    )
