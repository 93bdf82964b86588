"""Build the SoC of a scenario: plan the workload, place buffers, create and wire parts.

This is the only module that knows every component; components only see their ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import simpy

from soc.assemble.dataflows import choose_descriptor, cost_params, layer_dataflows
from soc.assemble.mappings import LayerMapper
from soc.assemble.sparsity import compression_ratios, layer_tensors
from soc.config import ScenarioConfig, SocConfig
from soc.errors import ConfigError, WorkloadError
from soc.flexnn import FlexNNEngine, LayerPlan, TensorAddrs, build_plan
from soc.flexnn.batching import batch_rounds
from soc.flexnn.sparsity import sparse_rounds
from soc.hw import (
    BankedDram,
    Crossbar,
    DmaEngine,
    DriverProgram,
    FluidDram,
    HostCpu,
    RoutedNoc,
    SimpleDram,
    SramBanks,
    StagePlan,
    build_master,
    master_buffer_bytes,
)
from soc.kernel import Component, Recorder, elaborate
from soc.workloads import Layer, load_workload

ALIGN_BYTES = 4096


@dataclass(frozen=True)
class Buffers:
    """DRAM placement: the raw input frame, each layer's tensors, the result buffer."""

    raw_input: int
    layers: tuple[TensorAddrs, ...]
    result: int
    end: int


def _align(addr: int) -> int:
    return -(-addr // ALIGN_BYTES) * ALIGN_BYTES


def place_buffers(layers: Sequence[Layer], soc: SocConfig, raw_bytes: int, result_bytes: int):
    """Bump-allocate every tensor in DRAM. A layer reads its source layer's output; an
    input made by an operation outside the accelerator (or the network input) gets a
    buffer of its own, shared by the layers that name it."""
    db = soc.flexnn.data_bytes
    cursor = soc.dram.base_addr

    def take(size: int) -> int:
        nonlocal cursor
        addr = cursor
        cursor = _align(cursor + size)
        return addr

    raw = take(raw_bytes)
    outputs: dict[str, int] = {}
    external: dict[str, int] = {}
    placed = []
    previous = None
    for layer in layers:
        source = layer.source if layer.source is not None else previous
        if source in outputs:
            if_addr = outputs[source]
        else:
            key = source or "input"
            if key not in external:
                external[key] = take(layer.input_elements * db)
            if_addr = external[key]
        fl = take(layer.weight_elements * db)
        outputs[layer.name] = take(layer.output_elements * db)
        placed.append(TensorAddrs(if_addr, fl, outputs[layer.name]))
        previous = layer.name
    result = take(result_bytes)
    if cursor > soc.dram.base_addr + soc.dram.size_bytes:
        raise ConfigError(
            f"soc.dram.size_bytes: the workload needs {cursor - soc.dram.base_addr} B of DRAM, "
            f"the DRAM has {soc.dram.size_bytes} B"
        )
    return Buffers(raw, tuple(placed), result, cursor)


def plan_workload(scenario: ScenarioConfig) -> tuple[list[LayerPlan], DriverProgram]:
    plans, program, _ = _plan(scenario)
    return plans, program


def _plan(scenario: ScenarioConfig) -> tuple[list[LayerPlan], DriverProgram, int]:
    """Layers -> per-layer plans and the driver program (pure; raises on bad input)."""
    soc, driver = scenario.soc, scenario.driver
    layers = load_workload(scenario.workload)
    unknown = scenario.workload.layer_name_error([layer.name for layer in layers])
    if unknown is not None:  # a zoo model's layers are known only now
        raise WorkloadError(f"workload.{unknown.dotted()}: {unknown}")
    db = soc.flexnn.data_bytes
    pre_bytes = driver.preprocess.bytes
    pre_bytes = layers[0].input_elements * db if pre_bytes is None else pre_bytes
    post_bytes = driver.postprocess.bytes
    post_bytes = layers[-1].output_elements * db if post_bytes is None else post_bytes
    buffers = place_buffers(layers, soc, pre_bytes, post_bytes)
    params = cost_params(scenario)
    dataflows = layer_dataflows(scenario, layers)
    mapper = LayerMapper(scenario, params)  # each layer shape searched once per run
    sparsity = scenario.workload.sparsity
    tensors = layer_tensors(scenario, layers) if sparsity.active else None
    ratios = (
        compression_ratios(layers, tensors, db)
        if tensors is not None and sparsity.compression
        else [None] * len(layers)
    )
    plans = []
    for i, (layer, addrs, df) in enumerate(zip(layers, buffers.layers, dataflows, strict=True)):
        descriptor = choose_descriptor(layer, df, scenario, params, mapper)
        plan = build_plan(layer, soc.flexnn, soc.sram, addrs, descriptor, ratios[i])
        if tensors is not None and sparsity.skip_zeros:
            t = tensors[i]
            sparse = sparse_rounds(layer, descriptor, t, soc.flexnn.lockstep)
            plan = plan.with_sparsity(sparse, (t.if_density, t.fl_density))
        plans.append(batch_rounds(plan, soc.flexnn.round_batch, soc.sram))
    program = DriverProgram(
        frames=driver.frames,
        period_ps=None if driver.fps is None else round(1e12 / driver.fps),
        deadline_ps=driver.deadline_ps,
        preprocess=StagePlan(
            driver.preprocess.cycles_per_byte,
            pre_bytes,
            buffers.raw_input,
            buffers.layers[0].if_addr,
        ),
        postprocess=StagePlan(
            driver.postprocess.cycles_per_byte,
            post_bytes,
            buffers.layers[-1].of_addr,
            buffers.result,
        ),
        jobs=plans,
    )
    return plans, program, buffers.end


@dataclass
class AssembledSoc:
    """The wired, elaborated system, ready for `env.run(until=cpu.finished)`."""

    env: simpy.Environment
    cpu: HostCpu
    dma: DmaEngine
    noc: Crossbar
    sram: SramBanks
    dram: SimpleDram | BankedDram | FluidDram
    npu: FlexNNEngine
    plans: list[LayerPlan]
    masters: list[Component]

    @property
    def components(self) -> list[Component]:
        return [self.cpu, self.dma, self.noc, self.sram, self.dram, self.npu, *self.masters]


def assemble(scenario: ScenarioConfig, recorder: Recorder) -> AssembledSoc:
    """Create every component from its own config, bind every port, elaborate."""
    plans, program, free_addr = _plan(scenario)
    soc, seed = scenario.soc, scenario.seed
    env = simpy.Environment()
    cpu = HostCpu(env, "cpu", soc.cpu, program, recorder, seed)
    dma = DmaEngine(env, "dma", soc.dma, recorder, seed)
    noc_kind = Crossbar if soc.noc.topology == "crossbar" else RoutedNoc
    noc = noc_kind(env, "noc", soc.noc, recorder, seed)
    sram = SramBanks(env, "sram", soc.sram, recorder, seed)
    dram_kind = {"banked": BankedDram, "fluid": FluidDram}.get(soc.dram.fidelity, SimpleDram)
    dram = dram_kind(env, "dram", soc.dram, recorder, seed)
    npu = FlexNNEngine(env, "npu", soc.flexnn, recorder, seed)
    masters = []
    for config in scenario.masters:
        masters.append(build_master(env, config, free_addr, recorder, seed))
        free_addr = _align(free_addr + master_buffer_bytes(config))
    if free_addr > soc.dram.base_addr + soc.dram.size_bytes:
        raise ConfigError(
            f"soc.dram.size_bytes: the workload and the masters' buffers need "
            f"{free_addr - soc.dram.base_addr} B of DRAM, the DRAM has {soc.dram.size_bytes} B"
        )

    cpu.mem.bind(noc.initiator("cpu"))
    dma.mem.bind(noc.initiator("dma"))
    noc.target_port("dram", soc.dram.base_addr, soc.dram.size_bytes).bind(dram)
    noc.target_port("sram", soc.sram.base_addr, soc.sram.size_bytes).bind(sram)
    npu.sram.bind(sram)
    npu.dma.bind(dma)
    cpu.npu.bind(npu)
    for master in masters:
        master.mem.bind(noc.initiator(master.path))

    system = AssembledSoc(env, cpu, dma, noc, sram, dram, npu, plans, masters)
    elaborate(system.components)
    return system
