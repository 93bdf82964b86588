"""A lone 64 B read takes the same time at `simple` fidelity with a preset's derived
bandwidth and latency as at `banked` fidelity with the preset's timings."""

import pytest
import simpy

from soc.config import DramConfig
from soc.config.dram_presets import PRESETS
from soc.hw import BankedDram, FluidDram, SimpleDram
from soc.kernel import MemRequest, elaborate

MODELS = {"simple": SimpleDram, "banked": BankedDram, "fluid": FluidDram}


def lone_read_ps(env, recorder, preset: str, fidelity: str, addr: int = 0) -> int:
    """When a 64 B read issued at t = 0 to an idle DRAM completes."""
    config = DramConfig(fidelity=fidelity, preset=preset, size_bytes=2**30)
    dram = MODELS[fidelity](env, "dram", config, recorder)
    elaborate([dram])
    read = env.process(dram.transact(MemRequest(addr, 64, False, "cpu")))
    env.run(until=read)
    return env.now


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_lone_read_takes_as_long_at_simple_as_at_banked(env, recorder, preset):
    banked = lone_read_ps(env, recorder, preset, "banked")
    simple = lone_read_ps(simpy.Environment(), recorder, preset, "simple")
    # both are whole ps computed from the same cycles: no tolerance needed
    assert simple == banked


def test_lone_read_at_banked_is_the_closed_bank_case(env, recorder):
    # LPDDR4-3200: ACT at 0, CAS tRCD = 29 cycles later, data CL = 28 later for BL/2 = 8
    # cycles, at tCK = 625 ps: the value the simple model is calibrated on
    assert lone_read_ps(env, recorder, "LPDDR4-3200", "banked") == (29 + 28 + 8) * 625


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_lone_read_at_fluid_is_slower_by_the_efficiency_only(env, recorder, preset):
    config = DramConfig(fidelity="fluid", preset=preset)
    banked = lone_read_ps(env, recorder, preset, "banked")
    fluid = lone_read_ps(simpy.Environment(), recorder, preset, "fluid")
    # the fluid model moves the 64 B at efficiency x peak instead of peak
    peak_ps = 64e12 / config.bandwidth_bytes_per_s
    extra = peak_ps / config.efficiency - peak_ps
    assert fluid - banked == pytest.approx(extra, abs=2)  # ps rounding of two ceilings
