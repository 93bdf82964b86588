"""Descriptors: a layer's loop nest laid onto the FlexNN levels, which is its dataflow.

Levels, outermost first::

    DRAM    temporal loops over SRAM tiles            (the DMA follows these)
    SRAM    temporal loops over rounds                (one round = everything below)
    rows    spatial across PE rows   \\  the array; tensors a loop does not index are
    cols    spatial across PE cols   /  multicast to every PE along it
    RF      temporal loops inside a PE, per round     (register files, double-buffered)
    lanes   spatial across the MAC lanes of a PE      (lanes over C, R, S reduce through
                                                       the adder tree; over K share IF)

Loops are written outer to inner, e.g. ``{"dram": "K4", "sram": "P7 C8", "rows": "K16",
"cols": "Q14", "rf": "R3 S3", "lanes": "C8"}``. Factors whose product exceeds a dimension
are allowed (edge tiles are partial); factors that do not cover it are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn.layout import LAYOUTS
from soc.flexnn.loopnest import Level, Loop, Mapping
from soc.flexnn.problem import (
    DIMS,
    FL,
    IF,
    OF,
    REDUCTION_DIMS,
    SHORT,
    layer_sizes,
    tensor_elements,
)
from soc.workloads import Layer

LEVELS = ("dram", "sram", "rows", "cols", "rf", "lanes")
INNER = ("rows", "cols", "rf", "lanes")  # below the SRAM-level temporal loops: a round
_LOOP = re.compile(r"^([A-Z])(\d+)$")


def parse_loops(text: str, where: str = "") -> tuple[Loop, ...]:
    """'K4 C8' -> (Loop('K', 4), Loop('C', 8)), outer to inner."""
    loops = []
    for token in text.replace(",", " ").split():
        match = _LOOP.match(token)
        if match is None or match.group(1) not in DIMS or int(match.group(2)) <= 0:
            raise MappingError(
                f"{where}: cannot read loop {token!r} (expected a dimension of "
                f"{''.join(DIMS)} and a positive factor, e.g. 'K4')"
            )
        loops.append(Loop(match.group(1), int(match.group(2))))
    return tuple(loops)


def product(loops: Iterable[Loop], dim: str | None = None) -> int:
    return math.prod(lp.factor for lp in loops if dim is None or lp.dim == dim)


@dataclass(frozen=True)
class Descriptor:
    """A FlexNN dataflow: the loops at each level (see the module doc)."""

    dram: tuple[Loop, ...] = ()
    sram: tuple[Loop, ...] = ()
    rows: tuple[Loop, ...] = ()
    cols: tuple[Loop, ...] = ()
    rf: tuple[Loop, ...] = ()
    lanes: tuple[Loop, ...] = ()
    name: str = "custom"
    # the DRAM layout the drain writes the outputs in (soc.flexnn.layout); not a loop:
    # the mapper's search and cost do not depend on it
    layout: str = "blocked"

    @classmethod
    def parse(cls, levels: dict[str, str], name: str = "custom", where: str = "") -> Descriptor:
        fields = {k: v for k, v in levels.items() if k != "layout"}
        unknown = sorted(set(fields) - set(LEVELS))
        if unknown:
            raise MappingError(
                f"{where}: unknown descriptor level {unknown[0]!r} (levels: {', '.join(LEVELS)})"
            )
        layout = levels.get("layout") or "blocked"
        if layout not in LAYOUTS:
            raise MappingError(f"{where}: unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
        return cls(
            **{
                lv: parse_loops(fields.get(lv, ""), f"{where}.{lv}" if where else lv)
                for lv in LEVELS
            },
            name=name,
            layout=layout,
        )

    def level(self, name: str) -> tuple[Loop, ...]:
        return getattr(self, name)

    def loops(self, levels: Iterable[str] = LEVELS) -> list[Loop]:
        return [lp for lv in levels for lp in self.level(lv)]

    def extents(self, levels: Iterable[str] = LEVELS) -> dict[str, int]:
        out: dict[str, int] = {}
        for loop in self.loops(levels):
            out[loop.dim] = out.get(loop.dim, 1) * loop.factor
        return out

    def to_mapping(self) -> Mapping:
        """The descriptor as a three-level loop-nest mapping (DRAM, SRAM, RF)."""
        keep = frozenset({IF, FL, OF})
        return Mapping(
            (
                Level("DRAM", self.dram, (), keep),
                Level("SRAM", self.sram, self.rows + self.cols, keep),
                Level("RF", self.rf, self.lanes, keep),
            )
        )

    def describe(self) -> str:
        """Readable loop-nest form, outer to inner."""

        def loops(level: str) -> str:
            return " ".join(f"{lp.dim}{lp.factor}" for lp in self.level(level)) or "-"

        text = (
            f"DRAM[{loops('dram')}] SRAM[{loops('sram')}] rows[{loops('rows')}] "
            f"cols[{loops('cols')}] RF[{loops('rf')}] lanes[{loops('lanes')}]"
        )
        return text if self.layout == "blocked" else f"{text} out:{self.layout}"

    def as_config(self) -> dict[str, str]:
        return {lv: " ".join(f"{lp.dim}{lp.factor}" for lp in self.level(lv)) for lv in LEVELS}

    @property
    def register_count(self) -> int:
        """32-bit registers the host writes: the layer shape (10), one per loop (level,
        dimension and factor packed), and four tensor base addresses."""
        return 10 + len(self.loops()) + 4


def outputs_partial_in_sram(d: Descriptor) -> bool:
    """Partial sums leave the SRAM when a reduction loop runs at the DRAM level."""
    return any(lp.dim in REDUCTION_DIMS and lp.factor > 1 for lp in d.dram)


def rf_bytes(layer: Layer, hw: FlexNNConfig, d: Descriptor) -> dict[str, int]:
    """Bytes one PE's register files hold per round, per tensor (OF as partial sums)."""
    i, f, o = tensor_elements(layer, d.extents(("rf", "lanes")))
    return {IF: i * hw.data_bytes, FL: f * hw.data_bytes, OF: o * hw.acc_bytes}


def sram_bytes(layer: Layer, hw: FlexNNConfig, d: Descriptor) -> dict[str, int]:
    """Bytes one SRAM tile holds per tensor (outputs as partial sums when they leave
    the SRAM unfinished)."""
    i, f, o = tensor_elements(layer, d.extents(("sram", *INNER)))
    of_bytes = hw.acc_bytes if outputs_partial_in_sram(d) else hw.data_bytes
    return {IF: i * hw.data_bytes, FL: f * hw.data_bytes, OF: o * of_bytes}


_RF_CAPACITY = {IF: "if_rf_bytes", FL: "fl_rf_bytes", OF: "of_rf_bytes"}


def validate(layer: Layer, hw: FlexNNConfig, sram: SramConfig, d: Descriptor) -> None:
    """Refuse a descriptor that does not cover the layer or does not fit the hardware."""
    where = f"layer {layer.name} ({d.name})"
    for level, limit in (("rows", hw.pe_rows), ("cols", hw.pe_cols), ("lanes", hw.lanes)):
        used = product(d.level(level))
        if used > limit:
            raise MappingError(
                f"{where}: {level} factors multiply to {used} but the "
                f"hardware has {limit} {level.replace('cols', 'columns')}"
            )
    if not hw.spatial_reduction:
        split = [lp.dim for lp in d.rows + d.cols if lp.dim in REDUCTION_DIMS]
        if split:
            raise MappingError(
                f"{where}: PE rows/columns split {split[0]}, but the hardware has no "
                "spatial reduction (flexnn.spatial_reduction: false)"
            )
    sizes = layer_sizes(layer)
    covered = d.extents()
    for dim in DIMS:
        if covered.get(dim, 1) < sizes[dim]:
            raise MappingError(
                f"{where}: factors of {dim} multiply to {covered.get(dim, 1)}, "
                f"the layer has {dim} = {sizes[dim]}"
            )
    for tensor, need in rf_bytes(layer, hw, d).items():
        have = getattr(hw, _RF_CAPACITY[tensor])
        if need > have:
            raise MappingError(
                f"{where}: {SHORT[tensor]} tile needs {need} B at the RF level but the "
                f"{SHORT[tensor]} register file holds {have} B"
            )
    need = sram_bytes(layer, hw, d)
    sets = hw.prefetch_tiles + 1
    if sets * sum(need.values()) > sram.size_bytes:
        parts = " + ".join(f"{SHORT[t]} {b} B" for t, b in need.items())
        raise MappingError(
            f"{where}: the SRAM tile needs {parts} = {sum(need.values())} B, "
            f"{sets} buffer sets; the SRAM holds {sram.size_bytes} B"
        )
