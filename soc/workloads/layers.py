"""Layers as loop nests over N, K, C, P, Q, R, S (Timeloop's letters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from soc.errors import WorkloadError

Op = Literal["conv", "dwconv", "fc"]


@dataclass(frozen=True)
class Layer:
    """One conv / depthwise conv / fully connected layer.

    Inputs are C x H x W, weights K x (C / groups) x R x S, outputs K x P x Q (batch 1).
    Tensors are stored HWC in memory. An FC layer is a 1 x 1 conv over a 1 x 1 input.
    `source` names the layer whose output is the input; a name that is not a layer of
    the workload is a tensor made by an operation the accelerator does not run (a
    pooling, a residual add), which gets its own buffer.

    `padding` pads every side alike; `pads` (top, left, bottom, right) overrides it for
    asymmetric padding. `groups` is C for a depthwise layer and 1 by default; a grouped
    convolution sets it. `dilation` spaces the kernel's taps.
    """

    name: str
    op: Op
    c: int
    k: int
    h: int = 1
    w: int = 1
    r: int = 1
    s: int = 1
    stride: int = 1
    padding: int = 0
    source: str | None = None  # producer of the input; None = the previous layer
    pads: tuple[int, int, int, int] | None = None  # top, left, bottom, right
    groups: int = 0  # 0: C for dwconv, else 1
    dilation: int = 1

    def __post_init__(self) -> None:
        if self.pads is None:
            object.__setattr__(self, "pads", (self.padding,) * 4)
        if self.groups == 0:
            object.__setattr__(self, "groups", self.c if self.op == "dwconv" else 1)
        for field in ("c", "k", "h", "w", "r", "s", "stride", "groups", "dilation"):
            if getattr(self, field) <= 0:
                raise WorkloadError(f"layer {self.name}: {field} must be positive")
        if self.padding < 0 or min(self.pads) < 0:
            raise WorkloadError(f"layer {self.name}: padding must be non-negative")
        if self.op == "dwconv" and self.k != self.c:
            raise WorkloadError(f"layer {self.name}: dwconv needs k == c ({self.k} != {self.c})")
        if self.op == "dwconv" and self.groups != self.c:
            raise WorkloadError(f"layer {self.name}: dwconv has groups == c = {self.c}")
        if self.c % self.groups or self.k % self.groups:
            raise WorkloadError(
                f"layer {self.name}: groups {self.groups} must divide c = {self.c} and k = {self.k}"
            )
        if self.op == "fc" and (self.h, self.w, self.r, self.s) != (1, 1, 1, 1):
            raise WorkloadError(f"layer {self.name}: fc takes a flat input (h = w = r = s = 1)")
        if self.p <= 0 or self.q <= 0:
            raise WorkloadError(
                f"layer {self.name}: kernel {self.r}x{self.s} does not fit input "
                f"{self.h}x{self.w} with padding {_pads(self.pads)}"
            )

    @property
    def p(self) -> int:
        top, _, bottom, _ = self.pads
        return (self.h + top + bottom - self.dilation * (self.r - 1) - 1) // self.stride + 1

    @property
    def q(self) -> int:
        _, left, _, right = self.pads
        return (self.w + left + right - self.dilation * (self.s - 1) - 1) // self.stride + 1

    @property
    def c_per_group(self) -> int:
        return self.c // self.groups

    @property
    def k_per_group(self) -> int:
        return self.k // self.groups

    @property
    def reduction(self) -> int:
        """MACs per output element: (C / groups) x R x S."""
        return self.c_per_group * self.r * self.s

    @property
    def macs(self) -> int:
        return self.k * self.p * self.q * self.reduction

    @property
    def input_elements(self) -> int:
        return self.c * self.h * self.w

    @property
    def weight_elements(self) -> int:
        return self.k * self.reduction

    @property
    def output_elements(self) -> int:
        return self.k * self.p * self.q


def _pads(pads: tuple[int, int, int, int]) -> str:
    """One number when every side is alike, else (top, left, bottom, right)."""
    return str(pads[0]) if len(set(pads)) == 1 else f"(top, left, bottom, right) = {pads}"


def check_chain(layers: Sequence[Layer]) -> None:
    """Each layer must consume exactly what its source produces (fc flattens)."""
    if not layers:
        raise WorkloadError("the workload has no layers")
    names = [layer.name for layer in layers]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise WorkloadError(f"layer name {duplicate!r} is used twice")
    produced = {}
    for i, layer in enumerate(layers):
        source = layer.source if layer.source is not None else (names[i - 1] if i else None)
        if source in produced:
            _check_shapes(produced[source], layer)
        elif layer.source is not None and layer.source in names:
            raise WorkloadError(f"layer {layer.name}: source {layer.source!r} comes later")
        produced[layer.name] = layer


def _check_shapes(prev: Layer, layer: Layer) -> None:
    if layer.op == "fc":
        ok = layer.c == prev.k * prev.p * prev.q
        produced = f"{prev.k}x{prev.p}x{prev.q} = {prev.k * prev.p * prev.q} values"
        wanted = f"c = {layer.c}"
    else:
        ok = (layer.c, layer.h, layer.w) == (prev.k, prev.p, prev.q)
        produced = f"{prev.k}x{prev.p}x{prev.q} (CxHxW)"
        wanted = f"{layer.c}x{layer.h}x{layer.w}"
    if not ok:
        raise WorkloadError(
            f"layer {layer.name}: expects {wanted} but {prev.name} produces {produced}"
        )
