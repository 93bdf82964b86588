"""A layer as a loop-nest problem: dimensions G, K, C, P, Q, R, S (batch 1).

G counts groups: a convolution has G = 1; a depthwise convolution has G = channels and
K = C = 1 per group. Inputs are indexed by (G, C, stride x P + dilation x R,
stride x Q + dilation x S), so a tile's input footprint is its sliding-window bounding box
(padding included, as in Timeloop).
"""

from __future__ import annotations

from soc.flexnn.loopnest import DataSpace, Problem
from soc.workloads import Layer

DIMS = ("G", "K", "C", "P", "Q", "R", "S")
REDUCTION_DIMS = frozenset({"C", "R", "S"})
IF, FL, OF = "Inputs", "Weights", "Outputs"
SHORT = {IF: "IF", FL: "FL", OF: "OF"}


def layer_sizes(layer: Layer) -> dict[str, int]:
    """Dimension sizes of `layer` (a depthwise layer has G = C, K = C = 1)."""
    return {
        "G": layer.groups,
        "K": layer.k_per_group,
        "C": layer.c_per_group,
        "P": layer.p,
        "Q": layer.q,
        "R": layer.r,
        "S": layer.s,
    }


def conv_problem(layer: Layer, sizes: dict[str, int] | None = None) -> Problem:
    """The loop-nest problem of `layer`; `sizes` overrides dimension sizes (padding)."""
    st, dil = layer.stride, layer.dilation
    return Problem(
        layer.name,
        dict(sizes or layer_sizes(layer)),
        (
            DataSpace(FL, (((1, "G"),), ((1, "K"),), ((1, "C"),), ((1, "R"),), ((1, "S"),))),
            DataSpace(
                IF, (((1, "G"),), ((1, "C"),), ((st, "P"), (dil, "R")), ((st, "Q"), (dil, "S")))
            ),
            DataSpace(OF, (((1, "G"),), ((1, "K"),), ((1, "P"),), ((1, "Q"),)), read_write=True),
        ),
    )


def tensor_elements(layer: Layer, extents: dict[str, int]) -> tuple[int, int, int]:
    """(IF, FL, OF) elements a tile of `extents` touches: `conv_problem`'s footprints in
    closed form, for the mapper's inner loops."""
    e = extents.get
    g, k, c = e("G", 1), e("K", 1), e("C", 1)
    p, q, r, s = e("P", 1), e("Q", 1), e("R", 1), e("S", 1)
    st, dil = layer.stride, layer.dilation
    return (
        g * c * ((p - 1) * st + (r - 1) * dil + 1) * ((q - 1) * st + (s - 1) * dil + 1),
        g * k * c * r * s,
        g * k * p * q,
    )
