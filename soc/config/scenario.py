"""The scenario: the SoC, the masters, what the host runs (one workload and its driver,
or several pipelines), and the run settings.

A scenario gives either `workload` + `driver` (one pipeline) or `pipelines`: each with
its own period, deadline, pre- and post-processing, priority and models per frame.
`ScenarioConfig.pipeline_list` gives both forms as pipelines.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from soc.config.block import Block
from soc.config.keypath import KeyPathError
from soc.config.masters import GeneratorConfig, MasterConfig
from soc.config.models import SocConfig, WorkloadConfig
from soc.config.quantities import (
    MAX_TIME_PS,
    Count,
    CyclesPer,
    FrameRate,
    Natural,
    SizeBytes,
    TimePs,
)
from soc.units import echoed


class StageCost(Block):
    """CPU cost of a pre- or post-processing stage over a buffer in DRAM."""

    cycles_per_byte: CyclesPer = 0.0
    bytes: SizeBytes | None = Field(None, description="default: the network input/output")


class DriverConfig(Block):
    """The program the host CPU runs."""

    frames: Count = Field(1, description="frames it runs")
    fps: FrameRate | None = Field(None, description="frames per second (Hz); none = back to back")
    deadline_ps: TimePs | None = Field(None, description="per-frame latency budget")
    preprocess: StageCost = StageCost(cycles_per_byte=0.5)
    postprocess: StageCost = StageCost(cycles_per_byte=0.5)

    @model_validator(mode="after")
    def _span(self) -> DriverConfig:
        """The frames start within 1e6 s (picosecond times stay int64)."""
        if self.fps is not None and (self.frames - 1) / self.fps > MAX_TIME_PS / 10**12:
            raise KeyPathError(
                ("frames",),
                f"{self.frames} frames at {self.fps:g} fps start over "
                f"{(self.frames - 1) / self.fps:.3g} s, beyond 1e6 s",
            )
        return self

    def driver(self) -> DriverConfig:
        """Only the driver's own settings (of a pipeline, say)."""
        return DriverConfig(**{key: getattr(self, key) for key in DriverConfig.model_fields})


PIPELINE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,39}")


class PipelineConfig(DriverConfig):
    """A use case the host runs periodically: per frame, pre-processing, its models in
    order, post-processing (the driver's settings, each pipeline its own). Pipelines
    share the CPU, the NPU (granted at layer boundaries, most urgent priority first),
    DMA, SRAM, NoC and DRAM."""

    name: str = Field(description="letters, digits, '_' and '-'; names its frames and layers")
    models: list[WorkloadConfig] = Field(min_length=1, description="run in order, each frame")
    priority: Natural = Field(0, description="for the NPU and the CPU (0 = most urgent)")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not PIPELINE_NAME.fullmatch(name):
            raise ValueError(
                f"{echoed(name)} is not a pipeline name (a letter or '_', then letters, digits, "
                "'_' and '-', at most 40 characters)"
            )
        return name


MAIN_PIPELINE = "main"  # the pipeline of a scenario given as workload + driver


class RunConfig(Block):
    """Run settings."""

    trace_level: Literal["layer", "phase", "request"] = "phase"
    chrome_trace: bool = Field(True, description="trace.json: Chrome trace-event JSON")
    perfetto_trace: bool = Field(True, description="trace.pftrace: native Perfetto protobuf")
    native_trace: bool = Field(True, description="trace/: the native trace, Parquet tables")
    record_requests: bool = Field(
        False,
        description="trace/requests.parquet: every request the DRAM serves, for soc replay "
        "(whatever the trace level and native_trace)",
    )
    plots: bool = Field(True, description="PNG plots in the run folder's plots/")
    timeline_window_ps: TimePs = Field(
        10_000_000, gt=0, description="window of the DRAM bandwidth and power timelines"
    )
    mapping_cache: bool = Field(
        True,
        description="reuse layer mappings kept under the user's cache directory "
        "($FLEXSOC_CACHE_DIR, else $XDG_CACHE_HOME/flexsoc or ~/.cache/flexsoc)",
    )


BUILT_IN_MASTERS = ("cpu", "dma")
NOC_ENDPOINTS = ("cpu", "dma", "dram", "sram")  # as soc.assemble wires them, masters besides
RUN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")


class ScenarioConfig(Block):
    """A whole scenario: SoC, workload, driver, run settings."""

    name: str = Field(
        description="names the default run folder runs/<name>/: letters, digits, '-', '_' "
        "and '.', not starting with '.'; at most 100 characters",
    )
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seeds every random choice")
    soc: SocConfig = SocConfig()
    workload: WorkloadConfig | None = Field(
        None, description="what the SoC runs (or give pipelines)"
    )
    pipelines: list[PipelineConfig] | None = Field(
        None, min_length=1, description="use cases sharing the SoC (instead of workload)"
    )
    masters: list[MasterConfig] = Field(default_factory=list)
    driver: DriverConfig = DriverConfig()
    run: RunConfig = RunConfig()

    @model_validator(mode="after")
    def _one_program(self) -> ScenarioConfig:
        if (self.workload is None) == (self.pipelines is None):
            raise ValueError("give exactly one of 'workload' (with 'driver') or 'pipelines'")
        if self.pipelines is not None:
            if "driver" in self.model_fields_set:
                raise KeyPathError(
                    ("driver",),
                    "with pipelines, each pipeline has its own frames, fps, "
                    "deadline and stages; remove 'driver'",
                )
            names = [p.name for p in self.pipelines]
            clash = next((n for n in names if names.count(n) > 1), None)
            if clash is not None:
                raise KeyPathError(("pipelines",), f"pipeline name {clash!r} is used twice")
        return self

    @property
    def pipeline_list(self) -> list[PipelineConfig]:
        """The pipelines, or the one a workload and its driver make ('main')."""
        if self.pipelines is not None:
            return list(self.pipelines)
        driver = {key: getattr(self.driver, key) for key in DriverConfig.model_fields}
        return [PipelineConfig(name=MAIN_PIPELINE, models=[self.workload], **driver)]

    @property
    def workloads(self) -> list[WorkloadConfig]:
        """Every model of every pipeline, in order."""
        return [model for p in self.pipeline_list for model in p.models]

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        """The name becomes a folder name: one plain path component, never '.' or '..'."""
        if not RUN_NAME.fullmatch(name):
            raise ValueError(
                f"{echoed(name)} is not a safe run folder name (letters, digits, '-', '_' and "
                "'.', not starting with '.', at most 100 characters)"
            )
        return name

    @model_validator(mode="after")
    def _masters_named_once(self) -> ScenarioConfig:
        names = [m.name for m in self.masters]
        clash = next((n for n in names if names.count(n) > 1 or n in BUILT_IN_MASTERS), None)
        if clash is not None:
            raise ValueError(f"master name {clash!r} is used twice or is built in")
        known = {*names, *BUILT_IN_MASTERS}
        dram = self.soc.dram
        for table, what in ((dram.regulators, "regulators"), (dram.weights, "weights")):
            unknown = sorted(set(table) - known)
            if unknown:
                raise ValueError(
                    f"soc.dram.{what} names {echoed(unknown[0])}, which is no master "
                    f"(masters: {', '.join(sorted(known))})"
                )
        for i, master in enumerate(self.masters):
            key, need = (
                ("region_bytes", master.region_bytes)
                if isinstance(master, GeneratorConfig)
                else ("height", master.width * master.height * master.bytes_per_pixel)
            )
            if need > dram.size_bytes:
                raise KeyPathError(
                    ("masters", i, key),
                    f"its buffer of {need} B is larger than the DRAM "
                    f"(soc.dram.size_bytes: {dram.size_bytes} B)",
                )
        endpoints = sorted({*NOC_ENDPOINTS, *names})
        for endpoint in self.soc.noc.placement:
            if endpoint not in endpoints:
                raise KeyPathError(
                    ("soc", "noc", "placement", endpoint),
                    f"no such endpoint (endpoints: {', '.join(endpoints)})",
                )
        return self
