"""The fluid DRAM against the banked one on a bulk copy, alone and under contention."""

import pytest
import simpy

from soc.config import DmaConfig, DramConfig, NocConfig
from soc.config.masters import GeneratorConfig
from soc.hw import BankedDram, Crossbar, DmaEngine, FluidDram
from soc.hw.masters import TrafficGenerator
from soc.kernel import NullRecorder, elaborate
from soc.kernel.ports import DmaTransfer

MIB = 2**20
COPY_MIB = 4  # read and written: 8 MiB, 440 us at peak, over 100 refresh intervals
PEAK = 19.2e9  # LPDDR4-2400 x64: 128 B per 8 cycles of 0.833 ns


def bulk_copy_ps(fidelity: str, others: int) -> int:
    """Completion time of a COPY_MIB DRAM-to-DRAM DMA copy with `others` random readers."""
    env = simpy.Environment()
    rec = NullRecorder()
    dram_cfg = DramConfig(
        fidelity=fidelity, size_bytes=2**31, bandwidth_bytes_per_s=PEAK, latency_ps=40_000
    )
    dram = (BankedDram if fidelity == "banked" else FluidDram)(env, "dram", dram_cfg, rec)
    noc = Crossbar(env, "noc", NocConfig(link_width_bytes=64), rec)
    dma = DmaEngine(env, "dma", DmaConfig(channels=1, max_outstanding=16), rec)
    dma.mem.bind(noc.initiator("dma"))
    noc.target_port("dram", 0, 2**31).bind(dram)
    parts = [dram, noc, dma]
    for i in range(others):
        gen = TrafficGenerator(
            env,
            f"gen{i}",
            GeneratorConfig(
                kind="generator",
                name=f"gen{i}",
                rate_bytes_per_s=1.5e9,
                pattern="random",
                request_bytes=128,
                region_bytes=256 * MIB,
            ),
            512 * MIB + i * 256 * MIB,
            rec,
            seed=i,
        )
        gen.mem.bind(noc.initiator(gen.path))
        parts.append(gen)
    elaborate(parts)
    done = dma.submit(DmaTransfer(0, 256 * MIB, COPY_MIB * MIB))
    env.run(until=done)
    return env.now


@pytest.mark.slow
@pytest.mark.parametrize("others", [0, 3])
def test_fluid_bulk_copy_time_is_within_10_percent_of_banked(others):
    banked = bulk_copy_ps("banked", others)
    fluid = bulk_copy_ps("fluid", others)
    assert fluid == pytest.approx(banked, rel=0.10)
    # a copy reads and writes COPY_MIB: at most peak bandwidth
    assert banked >= 2 * COPY_MIB * MIB / PEAK * 1e12
