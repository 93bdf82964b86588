"""The memory system alone, driven by recorded request streams (`soc replay`).

The NoC, the SRAM and the DRAM are built from an SoC block exactly as for a run; each
recorded master becomes a `ReplayMaster` at the NoC endpoint of the same name (so a
ring's or a mesh's `placement` applies), or, for a trace whose times are arrivals at
the memory controller (DRAMsim3, Ramulator), at the DRAM itself. Nothing else runs: no
CPU, DMA or engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import simpy

from soc.assemble.build import bind_memory, memory_system
from soc.config import SocConfig
from soc.hw.replay import ReplayMaster, ReplayRequest
from soc.kernel import Component, Recorder, elaborate


@dataclass
class ReplaySystem:
    env: simpy.Environment
    masters: list[ReplayMaster]
    components: list[Component]

    @property
    def finished(self) -> simpy.Event:
        return self.env.all_of([m.finished for m in self.masters])


def assemble_replay(
    soc: SocConfig,
    streams: Mapping[str, Sequence[ReplayRequest]],
    mode: str,
    recorder: Recorder,
    max_outstanding: int = 32,
    seed: int = 0,
    at_dram: bool = False,
) -> ReplaySystem:
    """A replay master per stream (by master name) on the memory system of `soc`, at
    its NoC endpoint or (`at_dram`) at the DRAM controller."""
    env = simpy.Environment()
    noc, sram, dram = memory_system(env, soc, recorder, seed)
    masters = {
        name: ReplayMaster(env, name, requests, mode, recorder, max_outstanding, seed)
        for name, requests in streams.items()
    }
    # endpoints in a run's order (bind_memory): the CPU and the DMA, the memories, the rest
    built_in = [name for name in ("cpu", "dma") if name in masters]
    for name in built_in:
        masters[name].mem.bind(dram if at_dram else noc.initiator(name))
    bind_memory(noc, sram, dram, soc)
    for name, master in masters.items():
        if name not in built_in:
            master.mem.bind(dram if at_dram else noc.initiator(name))
    components: list[Component] = [noc, sram, dram, *masters.values()]
    elaborate(components)
    return ReplaySystem(env, list(masters.values()), components)
