"""The compile step of a run: workload graph -> placement -> buffers -> layer plans and
the driver program. Pure: no SimPy, nothing built; `soc.assemble` builds from this.

DRAM placement bump-allocates, in graph order, each tensor that has a buffer of its own
(graph inputs, and the outputs of ops on the engine or the CPU; a fused or free op's
output is its producer's buffer), each engine layer's weights, the raw input frame
first and the result buffer last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from soc.config import DescriptorConfig, ScenarioConfig, SocConfig
from soc.config.models import Dataflow
from soc.config.scenario import MAIN_PIPELINE
from soc.errors import ConfigError, WorkloadError
from soc.flexnn import LayerPlan, TensorAddrs, build_plan
from soc.flexnn.batching import batch_rounds
from soc.flexnn.sparsity import sparse_rounds
from soc.plan.dataflows import choose_descriptor, cost_params, layer_dataflows
from soc.plan.mappings import LayerMapper
from soc.plan.placement import CPU, FUSED, NPU, Placement, buffer_of, place
from soc.plan.sparsity import compression_ratios, layer_tensors
from soc.workloads import load_graph
from soc.workloads.graph import POOL_KINDS, Graph, Node, elements

ALIGN_BYTES = 4096


@dataclass(frozen=True)
class HostStep:
    """Work on the host CPU (`soc.hw.cpu.HostWork`): a pre- or post-processing stage,
    or an op of the network that falls back to the CPU."""

    name: str
    kind: str
    cycles: int
    reads: tuple[tuple[int, int], ...]
    writes: tuple[tuple[int, int], ...]
    request_bytes: int


@dataclass(frozen=True)
class DriverProgram:
    """What one pipeline of the driver runs (`soc.hw.cpu.Program`)."""

    name: str
    priority: int
    frames: int
    period_ps: int | None
    deadline_ps: int | None
    preprocess: HostStep
    postprocess: HostStep
    steps: tuple[LayerPlan | HostStep, ...]


@dataclass(frozen=True)
class WorkloadPlan:
    """A compiled workload: its graph, where each op runs, the engine layers' plans, the
    driver program, and the first DRAM address its buffers leave free."""

    graph: Graph
    placements: tuple[Placement, ...]
    plans: tuple[LayerPlan, ...]
    program: DriverProgram
    free_addr: int


def align(addr: int) -> int:
    return -(-addr // ALIGN_BYTES) * ALIGN_BYTES


class _Dram:
    """The bump allocator of one workload's buffers."""

    def __init__(self, soc: SocConfig, start: int | None = None) -> None:
        self.soc, self.cursor = soc, soc.dram.base_addr if start is None else start
        self.tensors: dict[str, int] = {}

    def take(self, size: int) -> int:
        addr = self.cursor
        self.cursor = align(self.cursor + size)
        return addr

    def tensor(self, name: str, size: int) -> int:
        if name not in self.tensors:
            self.tensors[name] = self.take(size)
        return self.tensors[name]

    def check(self) -> None:
        soc = self.soc
        if self.cursor > soc.dram.base_addr + soc.dram.size_bytes:
            raise ConfigError(
                f"soc.dram.size_bytes: the workload needs {self.cursor - soc.dram.base_addr} B "
                f"of DRAM, the DRAM has {soc.dram.size_bytes} B"
            )


def engine_layers(graph: Graph, placements: Sequence[Placement]):
    """The engine's layers, each reading the buffer its input lives in."""
    owner = buffer_of(list(placements))
    return [
        replace(p.node.layer, source=owner.get(p.node.inputs[0], p.node.inputs[0]))
        for p in placements
        if p.unit == NPU
    ]


def host_work(node: Node, shapes: dict[str, tuple[int, ...]]) -> int:
    """Units of work of an op on the CPU: MACs for matmul / conv / fc; window taps for a
    pooling; input elements for a global pooling; output elements otherwise."""
    if node.kind in ("matmul", "conv", "fc"):
        return node.macs
    if node.window is not None and node.kind in POOL_KINDS:
        return node.elements * node.window.r * node.window.s
    if node.kind in ("globalavgpool", "globalmaxpool"):
        return elements(shapes[node.inputs[0]])
    return node.elements


def plan_workload(
    scenario: ScenarioConfig, start_addr: int | None = None, pipeline: str = MAIN_PIPELINE
) -> WorkloadPlan:
    """Compile the scenario's workload, its buffers from `start_addr` on (default: the
    DRAM's base), as the program of `pipeline` (raises on bad input)."""
    soc, driver = scenario.soc, scenario.driver
    graph = load_graph(scenario.workload)
    placements = tuple(place(graph, frozenset(soc.flexnn.drain_activations)))
    layers = engine_layers(graph, placements)
    unknown = scenario.workload.layer_name_error([layer.name for layer in layers])
    if unknown is not None:  # a model's layers are known only now
        raise WorkloadError(f"workload.{unknown.dotted()}: {unknown}")
    db, shapes, owner = soc.flexnn.data_bytes, graph.shapes(), buffer_of(list(placements))
    first_input, result = graph.inputs[0][0], owner.get(graph.outputs[0], graph.outputs[0])
    pre_bytes = driver.preprocess.bytes
    pre_bytes = elements(shapes[first_input]) * db if pre_bytes is None else pre_bytes
    post_bytes = driver.postprocess.bytes
    post_bytes = elements(shapes[result]) * db if post_bytes is None else post_bytes

    dataflows = layer_dataflows(scenario, layers)
    layouts = {  # the layout each engine layer's drain writes
        layer.name: output_layout(df, scenario.workload.layout)
        for layer, df in zip(layers, dataflows, strict=True)
    }
    dram = _Dram(soc, start_addr)
    raw = dram.take(pre_bytes)
    addrs: dict[str, TensorAddrs] = {}
    for p in placements:
        node = p.node
        if p.unit == NPU:
            source = owner.get(node.inputs[0], node.inputs[0])
            if_addr = dram.tensor(source, elements(shapes[source]) * db)
            fl = dram.take(node.layer.weight_elements * db)
            of_addr = dram.tensor(node.name, node.elements * db)
            # the CPU's ops and the input frame write the workload's layout
            if_layout = layouts.get(source, scenario.workload.layout)
            addrs[node.name] = TensorAddrs(if_addr, fl, of_addr, if_layout)
        elif p.unit == CPU:
            for tensor in dict.fromkeys(owner.get(t, t) for t in node.inputs):
                dram.tensor(tensor, elements(shapes[tensor]) * db)
            dram.tensor(node.name, node.elements * db)
    result_addr = dram.take(post_bytes)
    dram.check()

    plans = _layer_plans(scenario, layers, dataflows, layouts, addrs)
    by_name = {plan.name: plan for plan in plans}
    fallback = soc.cpu.fallback
    unit = {p.node.name: p.unit for p in placements}
    fused: dict[str, float] = {}  # a CPU op's cycles for the activations fused into it
    for p in placements:
        if p.unit == FUSED and unit[p.into] == CPU:
            fused[p.into] = fused.get(p.into, 0.0) + p.node.elements * fallback.cycles(p.node.kind)
    steps: list[LayerPlan | HostStep] = []
    for p in placements:
        node = p.node
        if p.unit == NPU:
            steps.append(by_name[node.name])
        elif p.unit == CPU:
            reads = tuple(
                (dram.tensors[t], elements(shapes[t]) * db)
                for t in dict.fromkeys(owner.get(t, t) for t in node.inputs)
            )
            work = host_work(node, shapes) * fallback.cycles(node.kind)
            cycles = math.ceil(work + fused.get(node.name, 0.0))
            writes = ((dram.tensors[node.name], node.elements * db),)
            steps.append(
                HostStep(node.name, node.kind, cycles, reads, writes, fallback.request_bytes)
            )

    def stage(name: str, cycles_per_byte: float, size: int, src: int, dst: int) -> HostStep:
        cycles = math.ceil(cycles_per_byte * size)
        request = soc.cpu.request_bytes
        return HostStep(name, name, cycles, ((src, size),), ((dst, size),), request)

    program = DriverProgram(
        name=pipeline,
        priority=0,
        frames=driver.frames,
        period_ps=None if driver.fps is None else round(1e12 / driver.fps),
        deadline_ps=driver.deadline_ps,
        preprocess=stage(
            "preprocess",
            driver.preprocess.cycles_per_byte,
            pre_bytes,
            raw,
            dram.tensors[owner.get(first_input, first_input)],
        ),
        postprocess=stage(
            "postprocess",
            driver.postprocess.cycles_per_byte,
            post_bytes,
            dram.tensors[result],
            result_addr,
        ),
        steps=tuple(steps),
    )
    return WorkloadPlan(graph, placements, tuple(plans), program, dram.cursor)


def output_layout(dataflow: Dataflow, default: str) -> str:
    """The layout a layer's drain writes: its explicit descriptor's, else `default`."""
    if isinstance(dataflow, DescriptorConfig) and dataflow.layout is not None:
        return dataflow.layout
    return default


def _layer_plans(
    scenario: ScenarioConfig,
    layers: list,
    dataflows: list[Dataflow],
    layouts: dict[str, str],
    addrs: dict[str, TensorAddrs],
) -> list[LayerPlan]:
    """Map each engine layer (each shape searched once), then plan its tiles and rounds,
    with its sparsity and compression."""
    soc = scenario.soc
    db = soc.flexnn.data_bytes
    params = cost_params(scenario)
    mapper = LayerMapper(scenario, params)
    sparsity = scenario.workload.sparsity
    tensors = layer_tensors(scenario, layers) if sparsity.active else None
    ratios = (
        compression_ratios(layers, tensors, db)
        if tensors is not None and sparsity.compression
        else [None] * len(layers)
    )
    plans = []
    for i, (layer, df) in enumerate(zip(layers, dataflows, strict=True)):
        descriptor = choose_descriptor(layer, df, scenario, params, mapper)
        descriptor = replace(descriptor, layout=layouts[layer.name])
        plan = build_plan(layer, soc.flexnn, soc.sram, addrs[layer.name], descriptor, ratios[i])
        if tensors is not None and sparsity.skip_zeros:
            t = tensors[i]
            sparse = sparse_rounds(layer, descriptor, t, soc.flexnn.lockstep)
            plan = plan.with_sparsity(sparse, (t.if_density, t.fl_density))
        plans.append(batch_rounds(plan, soc.flexnn.round_batch, soc.sram))
    return plans
