"""Configuration models: one frozen pydantic model per block, with documented defaults.

Every field carries its unit in its name; YAML may give a unit string ("1.3 GHz",
"2 MiB", "40 ns") or a bare number in the field's unit. Unknown keys are rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from soc.config.block import Block, key_path_error, name_error
from soc.config.dram import DramConfig
from soc.config.keypath import KeyPathError, name_list
from soc.config.measure import MeasureConfig
from soc.config.quantities import (
    Count,
    CyclesPer,
    FreqHz,
    Natural,
    PositiveBytes,
    SizeBytes,
    TimePs,
    Units,
)
from soc.units import echoed

FALLBACK_KINDS = (
    "conv", "fc", "matmul", "maxpool", "avgpool", "globalavgpool", "globalmaxpool",
    "relu", "clip", "hardswish", "hardsigmoid", "sigmoid", "silu", "leakyrelu", "tanh", "gelu",
    "add", "mul", "sub", "div", "concat", "resize", "softmax", "transpose", "other",
)  # fmt: skip


class FallbackCost(Block):
    """What an op of the network costs when it runs on the host CPU: compute cycles per
    element it makes (a pooling: per window tap; a global pooling: per input element),
    or per MAC for a matmul, conv or fc; plus the DRAM traffic of reading its inputs and
    writing its output, in requests of `request_bytes`."""

    cycles_per_element: CyclesPer = Field(
        0.25, description="vectorised element-wise work (16 B SIMD at 4 lanes/cycle)"
    )
    cycles_per_mac: CyclesPer = Field(0.125, description="matmul / conv / fc on the CPU")
    per_kind: dict[str, CyclesPer] = Field(
        default_factory=lambda: {"softmax": 4.0, "sigmoid": 2.0, "resize": 1.0, "other": 1.0},
        description="cycles per element (per MAC for matmul, conv, fc) of one op kind",
    )
    request_bytes: PositiveBytes = Field(
        1024, description="its streams' memory requests (the prefetcher's, not one line's)"
    )

    @field_validator("per_kind")
    @classmethod
    def _known_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, cycles in value.items():
            if kind not in FALLBACK_KINDS:
                known = name_list(FALLBACK_KINDS, kind)
                raise ValueError(f"unknown op kind {echoed(kind)} (known: {known})")
            if not (cycles >= 0 and cycles < float("inf")):
                raise ValueError(f"{kind}: cycles must be a finite number >= 0, not {cycles}")
        return value

    def cycles(self, kind: str) -> float:
        """Cycles per unit of work of an op of `kind`."""
        if kind in self.per_kind:
            return self.per_kind[kind]
        return self.cycles_per_mac if kind in ("matmul", "conv", "fc") else self.cycles_per_element


class CpuConfig(Block):
    """Host CPU running the driver program."""

    freq_hz: FreqHz = Field(2_000_000_000, description="core clock")
    mmio_write_latency_ps: TimePs = Field(50_000, description="one descriptor register write")
    irq_latency_ps: TimePs = Field(2_000_000, description="completion interrupt to driver")
    request_bytes: PositiveBytes = Field(64, description="size of the CPU's memory requests")
    max_outstanding: Count = Field(8, description="CPU memory requests in flight")
    priority: Natural = Field(1, description="QoS class of its requests (0 = most urgent)")
    cores: Units = Field(
        1, description="cores running the pipelines' CPU work (waits only with 2+ pipelines)"
    )
    fallback: FallbackCost = FallbackCost()


class DmaConfig(Block):
    """DMA engine between DRAM and the accelerator SRAM."""

    channels: Units = Field(4, description="independent transfer channels")
    request_bytes: PositiveBytes = Field(1024, description="a transfer is split into requests")
    max_outstanding: Count = Field(8, description="requests in flight per channel")
    setup_latency_ps: TimePs = Field(50_000, description="descriptor fetch per transfer")
    priority: Natural = Field(1, description="QoS class of its requests (0 = most urgent)")


class NocConfig(Block):
    """Network-on-chip: a crossbar (every endpoint one link each way), a bidirectional
    ring, or a 2-D mesh with XY routing."""

    topology: Literal["crossbar", "ring", "mesh"] = "crossbar"
    routers: Units = Field(4, description="ring / mesh: number of routers")
    mesh_cols: Units = Field(2, description="mesh: routers per row (XY routing)")
    placement: dict[str, Natural] = Field(
        default_factory=dict, description="endpoint -> router (default: in order)"
    )

    @model_validator(mode="after")
    def _shape(self) -> NocConfig:
        if self.topology == "mesh" and self.routers % self.mesh_cols:
            raise ValueError(
                f"routers ({self.routers}) must fill whole mesh rows of "
                f"mesh_cols ({self.mesh_cols})"
            )
        bad = sorted(e for e, r in self.placement.items() if not 0 <= r < self.routers)
        if bad:
            raise ValueError(
                f"placement of {echoed(bad[0])} is no router (0 to {self.routers - 1}; routers: "
                f"{self.routers})"
            )
        return self

    freq_hz: FreqHz = Field(1_000_000_000, description="link and router clock")
    link_width_bytes: PositiveBytes = Field(32, description="bytes per link per cycle")
    router_latency_cycles: Natural = Field(2, description="crossbar traversal")


class SramConfig(Block):
    """Banked on-chip SRAM (CMX) of the accelerator."""

    base_addr: SizeBytes = Field(0x1_0000_0000, description="first address of the SRAM")
    size_bytes: PositiveBytes = Field(2 * 2**20, description="capacity")
    banks: Units = Field(32, description="number of banks")
    bank_width_bytes: PositiveBytes = Field(16, description="bytes per bank per cycle")
    interleave_bytes: PositiveBytes = Field(16, description="address interleaving granule")
    latency_cycles: Natural = Field(2, description="access latency after the last beat")
    freq_hz: FreqHz = Field(1_300_000_000, description="SRAM clock")

    @model_validator(mode="after")
    def _banks_divide(self) -> SramConfig:
        if self.size_bytes % (self.banks * self.interleave_bytes):
            raise ValueError(
                f"size_bytes ({self.size_bytes}) must be a multiple of "
                f"banks x interleave_bytes ({self.banks * self.interleave_bytes})"
            )
        return self


DrainActivation = Literal[
    "relu", "clip", "hardswish", "hardsigmoid", "sigmoid", "silu", "leakyrelu", "tanh", "gelu"
]


class FlexNNConfig(Block):
    """FlexNN accelerator (DESIGN.md section 5.1)."""

    pe_rows: Units = Field(16, description="PE grid rows")
    pe_cols: Units = Field(16, description="PE grid columns")
    lanes: Units = Field(8, description="MAC lanes per PE")
    freq_hz: FreqHz = Field(1_300_000_000, description="engine clock")
    data_bytes: Count = Field(1, description="bytes per IF/FL/OF element (INT8)")
    acc_bytes: Count = Field(4, description="bytes per partial sum (INT32)")
    if_rf_bytes: PositiveBytes = Field(128, description="IF register file per PE (one half)")
    fl_rf_bytes: PositiveBytes = Field(256, description="FL register file per PE (one half)")
    of_rf_bytes: PositiveBytes = Field(128, description="OF register file per PE (one half)")
    load_bytes_per_cycle: Count = Field(64, description="SRAM to array load path")
    drain_bytes_per_cycle: Count = Field(32, description="array to SRAM drain path")
    prefetch_tiles: Natural = Field(1, description="SRAM tiles the DMA fetches ahead")
    lockstep: Literal["array", "column"] = Field(
        "array", description="PEs that wait for each other's slowest lane: all, or per column"
    )
    spatial_reduction: bool = Field(
        True, description="PE rows/columns may split C, R or S (partial sums added across PEs)"
    )
    dma_channels: Count = Field(3, description="DMA channels the sequencer uses (IF, FL, OF)")
    round_batch: Count = Field(
        1,
        description="consecutive rounds of an SRAM tile run as one load/compute/drain step: "
        "fewer events, totals exact, no overlap inside a step (a simulation knob)",
    )
    drain_activations: list[DrainActivation] = Field(
        default_factory=lambda: ["relu", "clip"],
        description="activations the drain applies to a layer's outputs at no extra pass",
    )


class SocConfig(Block):
    """The whole SoC: one config per block."""

    cpu: CpuConfig = CpuConfig()
    dma: DmaConfig = DmaConfig()
    noc: NocConfig = NocConfig()
    sram: SramConfig = SramConfig()
    dram: DramConfig = DramConfig()
    flexnn: FlexNNConfig = FlexNNConfig()
    energy_table: Path | None = Field(None, description="YAML energy table; default built in")

    @model_validator(mode="after")
    def _address_map(self) -> SocConfig:
        dram_end = self.dram.base_addr + self.dram.size_bytes
        sram_end = self.sram.base_addr + self.sram.size_bytes
        if self.dram.base_addr < sram_end and self.sram.base_addr < dram_end:
            raise ValueError(
                f"sram [{self.sram.base_addr:#x}, {sram_end:#x}) overlaps "
                f"dram [{self.dram.base_addr:#x}, {dram_end:#x}): move sram.base_addr or "
                "dram.base_addr, or make a size_bytes smaller"
            )
        if self.flexnn.dma_channels > self.dma.channels:
            raise ValueError(
                f"flexnn.dma_channels ({self.flexnn.dma_channels}) exceeds "
                f"dma.channels ({self.dma.channels})"
            )
        return self


Layout = Literal["blocked", "nchw", "nhwc"]
"""How an activation tensor lies in DRAM (soc.flexnn.layout)."""


class DescriptorConfig(Block):
    """An explicit dataflow: loops per level, outer to inner, e.g. rf: "R3 S3"."""

    dram: str = ""
    sram: str = ""
    rows: str = ""
    cols: str = ""
    rf: str = ""
    lanes: str = ""
    layout: Layout | None = Field(
        None, description="the DRAM layout the drain writes (default: workload.layout)"
    )


def _descriptor(value: object) -> object:
    """A mapping is a descriptor: its errors name its keys (not the names' Literal)."""
    if isinstance(value, dict):
        try:
            return DescriptorConfig.model_validate(value)
        except ValidationError as exc:
            raise key_path_error(exc) from None
    return value


DataflowName = Literal["auto", "is", "ws", "os", "rs"]
Dataflow = Annotated[DataflowName | DescriptorConfig, BeforeValidator(_descriptor)]


class LayerConfig(Block):
    """One layer given inline: letters as in Timeloop (K out, C in, R x S kernel)."""

    name: str
    op: Literal["conv", "dwconv", "fc"]
    c: Count = Field(description="input channels")
    k: Count | None = Field(None, description="output channels (dwconv: equals c)")
    h: Count = Field(1, description="input height")
    w: Count = Field(1, description="input width")
    r: Count = Field(1, description="kernel height")
    s: Count = Field(1, description="kernel width")
    stride: Count = 1
    padding: Natural = 0
    dataflow: Dataflow | None = Field(None, description="overrides workload.dataflow")
    source: str | None = Field(
        None,
        description="an earlier layer producing the input (default: the previous one), or "
        "'external:<name>' for a tensor made outside the accelerator (a pooling, an add)",
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        error = name_error(name, "layer")
        if error is not None:
            raise ValueError(error)
        return name

    @model_validator(mode="after")
    def _k_given(self) -> LayerConfig:
        if self.k is None and self.op != "dwconv":
            raise ValueError(f"k (output channels) is required for op {self.op!r}")
        k = self.c if self.k is None else self.k
        tensors = {"input": self.c * self.h * self.w, "output": k * self.h * self.w}
        tensors["weight"] = k * self.r * self.s * (1 if self.op == "dwconv" else self.c)
        big = next((name for name, n in tensors.items() if n > MAX_TENSOR_ELEMENTS), None)
        if big is not None:
            raise ValueError(
                f"its {big} tensor has {tensors[big]:.3g} elements, more than "
                f"2**40 ({MAX_TENSOR_ELEMENTS:.3g})"
            )
        macs = tensors["output"] * tensors["weight"] // k  # at stride 1: an upper bound
        if macs > MAX_LAYER_MACS:
            raise ValueError(f"{macs:.3g} MACs, more than 2**56 ({MAX_LAYER_MACS:.3g})")
        return self


MAX_TENSOR_ELEMENTS = 2**40
MAX_LAYER_MACS = 2**56
"""The most elements of an inline layer's tensor, and MACs of the layer: int64 counts of
bytes, cycles and picoseconds computed from them keep room to spare."""

EXTERNAL = "external:"
"""How a layer's `source` names a tensor made outside the accelerator."""


class LayerSparsity(Block):
    """Densities of one layer's tensors (fractions of non-zero values)."""

    activations: float = Field(1.0, ge=0.0, le=1.0, description="IF density")
    weights: float = Field(1.0, ge=0.0, le=1.0, description="FL density")


class SparsityConfig(Block):
    """Where the zeros are, and what the hardware does with them."""

    activations: float = Field(1.0, ge=0.0, le=1.0, description="IF density, all layers")
    weights: float = Field(1.0, ge=0.0, le=1.0, description="FL density, all layers")
    pattern: Literal["uniform", "channel", "nm"] = "uniform"
    n: Count = Field(2, description="N of an N:M weight pattern")
    m: Count = Field(4, description="M of an N:M weight pattern")
    arrays: Path | None = Field(None, description=".npz of real values '<layer>.IF|FL'")
    onnx: Path | None = Field(None, description="ONNX model whose initializers are weights")
    onnx_names: dict[str, str] = Field(
        default_factory=dict, description="layer -> initializer name (default <layer>.weight)"
    )
    per_layer: dict[str, LayerSparsity] = Field(default_factory=dict)
    measure: MeasureConfig | None = Field(
        None, description="IF and FL of every layer from running the 'onnx:' model on an input"
    )
    skip_zeros: bool = Field(True, description="find-first skips zero pairs")
    compression: bool = Field(False, description="zero-value compression of DMA/SRAM data")

    @model_validator(mode="after")
    def _n_below_m(self) -> SparsityConfig:
        if self.pattern == "nm" and self.n > self.m:
            raise ValueError(f"n ({self.n}) must not exceed m ({self.m})")
        return self

    @model_validator(mode="after")
    def _onnx_names_need_onnx(self) -> SparsityConfig:
        if self.onnx_names and self.onnx is None:
            raise ValueError("onnx_names names initializers of 'onnx', which is not set")
        return self

    @property
    def active(self) -> bool:
        """Whether any tensor may hold zeros (else every layer runs dense)."""
        return (
            self.activations < 1.0
            or self.weights < 1.0
            or self.pattern == "nm"
            or self.arrays is not None
            or self.onnx is not None
            or self.measure is not None
            or any(ls.activations < 1.0 or ls.weights < 1.0 for ls in self.per_layer.values())
        )


MODEL_KINDS = ("zoo", "onnx", "scalesim")


class WorkloadConfig(Block):
    """What the SoC runs: a model (the zoo's, an ONNX file, a SCALE-Sim topology CSV) or an
    inline list of layers."""

    model: str | None = Field(
        None, description="'zoo:<name>', 'onnx:<path.onnx>' or 'scalesim:<path.csv>'"
    )
    padding: Literal["none", "same"] | None = Field(
        None,
        description="scalesim: none (SCALE-Sim's convention, the default) or same "
        "(as the original network pads)",
    )
    layers: list[LayerConfig] | None = None
    dataflow: Dataflow = Field("auto", description="auto (mapper), is, ws, os, rs or loops")
    objective: Literal["energy", "latency", "edp"] = Field("edp", description="for auto")
    per_layer: dict[str, Dataflow] = Field(
        default_factory=dict, description="layer name -> dataflow"
    )
    layout: Layout = Field(
        "blocked",
        description="DRAM layout of the activations: blocked (tile after tile, as the "
        "drain writes them), nchw or nhwc (the DMA moves a tile as strided runs)",
    )
    sparsity: SparsityConfig = SparsityConfig()

    @model_validator(mode="after")
    def _one_source(self) -> WorkloadConfig:
        if (self.model is None) == (self.layers is None):
            raise ValueError("give exactly one of 'model' or 'layers'")
        kind, _, rest = (self.model or "").partition(":")
        if self.model is not None and (kind not in MODEL_KINDS or not rest):
            raise ValueError(
                f"model {echoed(self.model)} must be 'zoo:<name>', 'onnx:<path>' or "
                "'scalesim:<path>'"
            )
        if self.padding is not None and kind != "scalesim":
            raise ValueError("padding applies to a 'scalesim:' model only")
        if self.layers is not None:
            error = self._source_error(self.layers) or self.layer_name_error(
                [lc.name for lc in self.layers]
            )
            if error is not None:
                raise error
        return self

    @staticmethod
    def _source_error(layers: Sequence[LayerConfig]) -> KeyPathError | None:
        """A `source` names an earlier layer or, as 'external:<name>', a tensor made
        outside the accelerator: a misspelt layer is never taken for an outside one."""
        for i, lc in enumerate(layers):
            earlier = [layer.name for layer in layers[:i]]
            source = lc.source
            if source is None or source in earlier:
                continue
            loc = ("layers", i, "source")
            if source.startswith(EXTERNAL):
                if not source.removeprefix(EXTERNAL):
                    return KeyPathError(loc, f"name the outside tensor: {EXTERNAL}<name>")
                error = name_error(source.removeprefix(EXTERNAL), "tensor")
                if error is not None:
                    return KeyPathError(loc, error)
                continue
            known = f"earlier layers: {name_list(earlier, source)}"
            if source in [layer.name for layer in layers[i:]]:
                return KeyPathError(
                    loc,
                    f"{echoed(source)} is this layer or a later one, not an earlier one ({known})",
                )
            return KeyPathError(
                loc,
                f"{echoed(source)} is no earlier layer ({known}); an input made outside the "
                f"accelerator is written {EXTERNAL}{source}",
            )
        return None

    def layer_name_error(self, names: Sequence[str]) -> KeyPathError | None:
        """The first per-layer setting naming no layer of `names`, if any: checked here
        for inline layers, by the planner for a zoo model (its layers are known there)."""
        tables = (
            (("per_layer",), self.per_layer),
            (("sparsity", "per_layer"), self.sparsity.per_layer),
            (("sparsity", "onnx_names"), self.sparsity.onnx_names),
        )
        for at, table in tables:
            for name in table:
                if name not in names:
                    return KeyPathError(
                        (*at, name), f"no such layer (layers: {name_list(names, name)})"
                    )
        return None
