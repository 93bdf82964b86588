"""Build the SoC of a scenario: compile its workload (`soc.plan`), create and wire parts.

This is the only module that knows every component; components only see their ports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from soc.config import ScenarioConfig, SocConfig
from soc.errors import ConfigError
from soc.flexnn import FlexNNEngine, LayerPlan
from soc.hw import (
    BankedDram,
    Crossbar,
    DmaEngine,
    FluidDram,
    HostCpu,
    RoutedNoc,
    SimpleDram,
    SramBanks,
    build_master,
    master_buffer_bytes,
)
from soc.hw.request_log import RequestLog
from soc.kernel import Component, Recorder, elaborate
from soc.kernel.ports import MemTarget, RequestRow
from soc.plan.pipelines import ScenarioPlan, plan_scenario
from soc.plan.program import align


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
    workload: ScenarioPlan
    masters: list[Component]

    @property
    def plans(self) -> tuple[LayerPlan, ...]:
        return self.workload.plans

    @property
    def components(self) -> list[Component]:
        return [self.cpu, self.dma, self.noc, self.sram, self.dram, self.npu, *self.masters]


def memory_system(
    env: simpy.Environment, soc: SocConfig, recorder: Recorder, seed: int
) -> tuple[Crossbar | RoutedNoc, SramBanks, SimpleDram | BankedDram | FluidDram]:
    """The NoC, the SRAM and the DRAM, not yet wired (see `bind_memory`)."""
    noc_kind = Crossbar if soc.noc.topology == "crossbar" else RoutedNoc
    noc = noc_kind(env, "noc", soc.noc, recorder, seed)
    sram = SramBanks(env, "sram", soc.sram, recorder, seed)
    dram_kind = {"banked": BankedDram, "fluid": FluidDram}.get(soc.dram.fidelity, SimpleDram)
    dram = dram_kind(env, "dram", soc.dram, recorder, seed)
    return noc, sram, dram


def bind_memory(
    noc: Crossbar | RoutedNoc,
    sram: SramBanks,
    dram: MemTarget,
    soc: SocConfig,
    record_requests: Callable[[RequestRow], None] | None = None,
) -> MemTarget:
    """Put the DRAM and the SRAM on the NoC at their address ranges; with
    `record_requests`, every request the DRAM serves is written to it (`RequestLog`).
    Returns what stands at the DRAM's endpoint. (A ring's or mesh's endpoints take
    routers in the order they are attached, unless `placement` names them: attach the
    CPU and the DMA first, the memories next, then the traffic masters.)"""
    front = dram if record_requests is None else RequestLog(noc.env, dram, record_requests)
    noc.target_port("dram", soc.dram.base_addr, soc.dram.size_bytes).bind(front)
    noc.target_port("sram", soc.sram.base_addr, soc.sram.size_bytes).bind(sram)
    return front


def assemble(
    scenario: ScenarioConfig,
    recorder: Recorder,
    record_requests: Callable[[RequestRow], None] | None = None,
    compiled: ScenarioPlan | None = None,
) -> AssembledSoc:
    """Create every component from its own config, bind every port, elaborate; with
    `record_requests`, the DRAM's requests are written to it. `compiled` is
    `plan_scenario(scenario)` when the caller has it already."""
    workload = compiled if compiled is not None else plan_scenario(scenario)
    free_addr = workload.free_addr
    soc, seed = scenario.soc, scenario.seed
    env = simpy.Environment()
    cpu = HostCpu(env, "cpu", soc.cpu, workload.programs, recorder, seed)
    dma = DmaEngine(env, "dma", soc.dma, recorder, seed)
    noc, sram, dram = memory_system(env, soc, recorder, seed)
    npu = FlexNNEngine(env, "npu", soc.flexnn, recorder, seed)
    masters = []
    for config in scenario.masters:
        masters.append(build_master(env, config, free_addr, recorder, seed))
        free_addr = align(free_addr + master_buffer_bytes(config))
    if free_addr > soc.dram.base_addr + soc.dram.size_bytes:
        raise ConfigError(
            f"soc.dram.size_bytes: the workload and the masters' buffers need "
            f"{free_addr - soc.dram.base_addr} B of DRAM, the DRAM has {soc.dram.size_bytes} B"
        )

    cpu.mem.bind(noc.initiator("cpu"))
    dma.mem.bind(noc.initiator("dma"))
    bind_memory(noc, sram, dram, soc, record_requests)
    npu.sram.bind(sram)
    npu.dma.bind(dma)
    cpu.npu.bind(npu)
    for master in masters:
        master.mem.bind(noc.initiator(master.path))

    system = AssembledSoc(env, cpu, dma, noc, sram, dram, npu, workload, masters)
    elaborate(system.components)
    return system
