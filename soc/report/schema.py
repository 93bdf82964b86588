"""What summary.json holds: one pydantic model per object, every field described.

The models document the summary that `soc run` writes (and prints with --format json);
they are not used to build it. `summary_json_schema()` renders them as the JSON schema
committed at docs/summary.schema.json (`soc schema` prints it). Every model forbids
unknown keys, so a test that validates a real summary fails on an undocumented field.
Units follow the field names (`_ps`, `_pj`, `_bytes`, `_per_s`) and are repeated in
each field's "unit" keyword; keys of open maps (layers, components, masters, actions)
are data, named in the map's description.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _field(description: str, unit: str | None = None, **kwargs: Any) -> Any:
    """pydantic's Field with a description and, as "unit" in the schema, the unit."""
    extra = {"unit": unit} if unit else None
    return Field(description=description, json_schema_extra=extra, **kwargs)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Frame(_Model):
    """One frame of the driver program, from its start to its post-processing's end."""

    pipeline: str = _field("the pipeline it belongs to ('main' for workload + driver)")
    frame: int = _field("frame index within its pipeline, from 0")
    start_ps: int = _field("simulated time the frame started", "ps")
    latency_ps: int = _field("frame start to end of its post-processing", "ps")


class LayerStalls(_Model):
    """Time the compute phase waited, per cause (per frame)."""

    load_bound: int = _field("waiting for the load phase to fill the RFs", "ps", alias="load-bound")
    drain_bound: int = _field(
        "waiting for the drain phase to free the OF RFs", "ps", alias="drain-bound"
    )
    dma_bound: int = _field("waiting for DMA to bring a tile into SRAM", "ps", alias="dma-bound")


class Layer(_Model):
    """One accelerator layer; counts and times are per run of it (one frame), the mean
    over the frames."""

    layer: str = _field("layer name, as in the workload")
    op: str = _field("operator: conv, dwconv, fc, ...")
    dataflow: str = _field("descriptor name: 'flexible' (chosen by the mapper) or a fixed one")
    loop_nest: str = _field("the descriptor's loop nest, outermost level first")
    tiles: int = _field("SRAM-level tiles (DMA transfers in and out)")
    rounds: int = _field("rounds: everything below the SRAM-level loops")
    macs: int = _field("dense MACs of the layer", "MAC")
    elapsed_ps: int = _field("layer start to its last tile written back", "ps")
    load_ps: int = _field("time the load phase was busy", "ps")
    compute_ps: int = _field("time the compute phase was busy", "ps")
    drain_ps: int = _field("time the drain phase was busy", "ps")
    stall_ps: LayerStalls = _field("compute stalls by cause", "ps")
    bound: str = _field(
        "the dominant stall cause when stalls exceed 10% of elapsed, else 'compute-bound'"
    )
    dense_cycles: int = _field("compute cycles without sparsity", "cycle")
    sparse_cycles: int = _field("compute cycles with find-first skipping zero pairs", "cycle")
    performed_macs: int = _field("MACs performed (not skipped)", "MAC")
    if_density: float = _field("fraction of non-zero input-feature elements", "fraction")
    fl_density: float = _field("fraction of non-zero filter elements", "fraction")
    speedup: float = _field("dense_cycles / sparse_cycles", "ratio")
    ideal_speedup: float | None = _field(
        "analytic estimate 1 / (if_density x fl_density); null if a density is 0", "ratio"
    )
    min_density_speedup: float | None = _field(
        "analytic estimate 1 / min(if_density, fl_density); null if a density is 0", "ratio"
    )
    imbalance_cycles: int = _field(
        "sparse cycles lost to the slowest lane and PE of each lockstep group", "cycle"
    )
    mac_utilisation: float = _field("macs / (elapsed cycles x PEs x lanes)", "fraction")


class MacCounts(_Model):
    """MACs over the whole run (all frames)."""

    executed: int = _field("MACs performed by the engine", "MAC")
    gated: int = _field("MACs skipped by find-first (clock-gated)", "MAC")
    expected: int = _field("dense MACs: frames x the workload's MACs", "MAC")


class LatencyStats(_Model):
    """A distribution of latencies (a master's requests, a pipeline's frames); with no
    sample (a run stopped before a pipeline's first frame ended) every figure but the
    count is null."""

    count: int = _field("how many")
    mean: float | None = _field("mean", "ps")
    p50: float | None = _field("median", "ps")
    p99: float | None = _field("99th percentile (nearest rank)", "ps")
    max: float | None = _field("maximum", "ps")


class DramLatency(LatencyStats):
    """A master's DRAM latencies: over all its requests (the figures above), and reads
    and writes apart, each present when the master has such requests."""

    read: LatencyStats | None = _field("its reads", "ps", default=None)
    write: LatencyStats | None = _field(
        "its writes, to their completion (with posted writes, their acceptance)",
        "ps",
        default=None,
    )
    write_data: LatencyStats | None = _field(
        "its writes, to their data written to the DRAM (the end of the write command's "
        "burst; banked DRAM, whose writes may be posted: sampled as the command issues, "
        "so a write accepted but not yet written when the run ends is not counted)",
        "ps",
        default=None,
    )


class DramMaster(_Model):
    """One master's DRAM traffic over the run; a count absent from the file is 0."""

    dram_accepted_byte: int = _field("bytes taken by the controller", "byte", default=0)
    dram_read_byte: int = _field("bytes read (served)", "byte", default=0)
    dram_write_byte: int = _field("bytes written (served)", "byte", default=0)
    dram_activate: int = _field("row activations (banked DRAM)", "activation", default=0)
    dram_row_hit: int = _field("requests that hit an open row (banked DRAM)", default=0)
    dram_row_miss: int = _field("requests that opened a row (banked DRAM)", default=0)
    dram_write_row_hit: int = _field("of the row hits, the writes (banked DRAM)", default=0)
    dram_write_row_miss: int = _field("of the row misses, the writes (banked DRAM)", default=0)
    bandwidth_bytes_per_s: float = _field("bytes read and written / simulated time", "byte/s")
    row_hit_rate: float | None = _field(
        "row hits / (hits + misses); absent when the DRAM counts no rows",
        "fraction",
        default=None,
    )
    read_row_hit_rate: float | None = _field(
        "the reads' row-hit rate; absent without reads or row counts", "fraction", default=None
    )
    write_row_hit_rate: float | None = _field(
        "the writes' row-hit rate; absent without writes or row counts", "fraction", default=None
    )


class BandwidthOverTime(_Model):
    """DRAM bandwidth per master in consecutive windows of simulated time."""

    window_ps: int = _field("window length", "ps")
    bytes_per_s: dict[str, list[float]] = _field(
        "per master: the bandwidth served in each window, from time 0", "byte/s"
    )


class Dram(_Model):
    """DRAM totals, latencies and per-master attribution over the run."""

    read_bytes: int = _field("bytes read, all masters", "byte")
    write_bytes: int = _field("bytes written, all masters", "byte")
    bandwidth_bytes_per_s: float = _field("bytes read and written / simulated time", "byte/s")
    latency_ps: dict[str, DramLatency] = _field(
        "per master: request arrival at the DRAM to completion", "ps"
    )
    service_latency_ps: dict[str, DramLatency] = _field(
        "per master: acceptance by the controller to completion", "ps"
    )
    by_master: dict[str, DramMaster] = _field("per master: its traffic")
    bandwidth_over_time: BandwidthOverTime = _field("bandwidth timeline")


class Sram(_Model):
    """Accelerator SRAM (CMX) bank conflicts over the run."""

    bank_conflicts: int = _field("accesses that waited for a busy bank")
    conflict_cycles: int = _field("bank cycles spent waiting", "cycle")


class Dma(_Model):
    """DMA engine totals over the run."""

    requests: int = _field("memory requests issued by the DMA engine")


class Noc(_Model):
    """Network-on-chip link use."""

    link_utilisation: dict[str, float] = _field(
        "per link (mesh and ring): busy time / simulated time; empty on a crossbar",
        "fraction",
    )


class Master(_Model):
    """A traffic master of the scenario (camera, display, generator)."""

    kind: str = _field("camera, display or generator")
    priority: int = _field("QoS class of its requests (0 = most urgent)")
    underflows: int = _field("display: times its FIFO ran dry")
    underflow_bytes_short: int = _field("display: bytes missing at those times", "byte")
    first_underflow_ps: int | None = _field("display: time of the first underflow", "ps")
    late_lines: int = _field("camera: lines written after the next one was due")


class ComponentEnergy(_Model):
    """One component's energy over the run."""

    dynamic_pj: float = _field("activity counts x energy per action", "pJ")
    static_pj: float = _field("static power x simulated time", "pJ")
    total_pj: float = _field("dynamic_pj + static_pj", "pJ")
    by_action: dict[str, float] = _field("dynamic energy per action", "pJ")


class LayerEnergy(_Model):
    """One layer's energy per run of it (frame): the engine's and DMA's, and the energy
    of their requests in the NoC, SRAM and DRAM."""

    dynamic_pj: float = _field("dynamic energy attributed to the layer", "pJ")
    static_pj: float = _field("static power of the layer's components x its time", "pJ")
    total_pj: float = _field("dynamic_pj + static_pj", "pJ")
    by_component: dict[str, float] = _field("dynamic energy per component", "pJ")


class PowerOverTime(_Model):
    """Power per component in consecutive windows of simulated time."""

    window_ps: int = _field("window length", "ps")
    watts: dict[str, list[float]] = _field("per component: mean power in each window", "W")


class Energy(_Model):
    """The energy ledger's breakdown of the run."""

    table: str = _field("name of the energy table used")
    total_pj: float = _field("all components, dynamic and static", "pJ")
    by_component: dict[str, ComponentEnergy] = _field("per component")
    by_action: dict[str, float] = _field(
        "per action over all components; 'static' is the static energy", "pJ"
    )
    by_master: dict[str, float] = _field("dynamic energy of each master's requests", "pJ")
    by_layer: dict[str, LayerEnergy] = _field("per accelerator layer")
    power_over_time: PowerOverTime = _field("power timeline")


class Op(_Model):
    """One op of the workload graph: where it ran and why, and what it cost per frame."""

    op: str = _field("op name (an accelerator layer's name for conv / fc)")
    kind: str = _field("op kind: conv, fc, maxpool, add, relu, softmax, other, ...")
    op_type: str = _field("the op as the model file or zoo wrote it (an ONNX op type, say)")
    unit: str = _field("npu (the engine), cpu (host fallback), fused (into `into`), free")
    reason: str = _field("why it ran there")
    into: str | None = _field("fused: the op that applies it; free: the op whose buffer it is")
    macs: int = _field("multiply-accumulates (conv, fc, matmul)")
    elapsed_ps: int = _field("npu / cpu: its time per frame; fused, free: 0", "ps")
    read_bytes: int = _field("cpu: bytes it reads per frame", "B")
    write_bytes: int = _field("cpu: bytes it writes per frame", "B")


class Pipeline(_Model):
    """One pipeline's frames: latency, deadline, rate, energy."""

    priority: int = _field("for the NPU and the CPU cores (0 = most urgent)")
    models: list[str] = _field("its models, in the order each frame runs them")
    frames: int = _field("frames it ran")
    period_ps: int | None = _field("1 / fps; null = back to back", "ps")
    deadline_ps: int | None = _field("per-frame budget; null = none", "ps")
    latency_ps: LatencyStats = _field("frame start to the end of its post-processing", "ps")
    deadline_misses: int = _field("frames longer than the deadline")
    achieved_fps: float | None = _field(
        "frames finished per second: (frames - 1) / (last end - first end); null for one", "Hz"
    )
    energy_per_frame_pj: float = _field(
        "its layers' and CPU ops' energy per frame (as energy.by_layer counts it: dynamic "
        "energy of the engine, DMA and their requests, or of the CPU and its requests, plus "
        "those components' static energy while the op runs)",
        "pJ",
    )
    average_power_w: float = _field(
        "energy_per_frame x frames / the run's time; of an incomplete run, the energy of "
        "every layer and CPU op run that finished / the run's time",
        "W",
    )


class Stop(_Model):
    """Why and when a run stopped before its driver program ended."""

    reason: str = _field(
        "max_sim (soc run --max-sim: simulated time reached) or max_wall (--max-wall: "
        "wall-clock time reached)"
    )
    at_ps: int = _field("simulated time the run stopped at; what follows was not simulated", "ps")


class Summary(_Model):
    """summary.json: the results of one `soc run`, deterministic for (scenario, seed)."""

    model_config = ConfigDict(title="flexsoc run summary")

    scenario: str = _field("scenario name")
    seed: int = _field("run seed")
    flexsoc_version: str = _field("version of the simulator that wrote the file")
    complete: bool = _field(
        "true when the driver program ran to its end; false when a bound stopped the run "
        "(see `stopped`): then frames, layers and totals cover only what was simulated; "
        "absent (true) in summaries written before runs could be bounded",
        default=True,
    )
    stopped: Stop | None = _field(
        "present when complete is false: why and when the run stopped", default=None
    )
    total_ps: int = _field(
        "simulated time until the driver program ended (or the run stopped)", "ps"
    )
    frames: list[Frame] = _field("every frame, in order")
    deadline_misses: int = _field("frames that ended after their deadline")
    pipelines: dict[str, Pipeline] = _field("per pipeline, by name")
    layers: list[Layer] = _field("accelerator layers, in execution order")
    ops: list[Op] = _field("every op of the workload graph, in execution order")
    notes: list[str] = _field("how the workload was read (conventions, ops not modelled)")
    macs: MacCounts = _field("MAC totals")
    dram: Dram = _field("DRAM traffic")
    sram: Sram = _field("SRAM bank conflicts")
    dma: Dma = _field("DMA totals")
    noc: Noc = _field("NoC links")
    masters: dict[str, Master] = _field("per traffic master, by name")
    energy: Energy = _field("energy breakdown")
    activity: dict[str, dict[str, int]] = _field(
        "per component: every activity count over the run, by action; the unit is in "
        "the action's name (_byte, _ps, _cycle; else a count of events)"
    )


def summary_json_schema() -> str:
    """The JSON schema of summary.json, as committed in docs/summary.schema.json."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Summary.model_json_schema(by_alias=True),
    }
    return json.dumps(schema, indent=2) + "\n"
