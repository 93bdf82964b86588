"""Every banked preset: a sequential read stream nears peak bandwidth; random reads
over 1 GiB almost never hit an open row."""

import numpy as np
import pytest
import simpy

from soc.config import DramConfig
from soc.config.dram_presets import PRESETS
from soc.hw.banked_dram import BankedDram
from soc.kernel import Action, MemRequest, elaborate

from .test_dram_reference import Measure

N = 20_000


def stream(preset, addresses_of):
    env = simpy.Environment()
    measure = Measure()
    config = DramConfig(fidelity="banked", preset=preset, size_bytes=2**30)
    timing = config.banked
    dram = BankedDram(env, "dram", config, measure)
    elaborate([dram])
    size = timing.burst_bytes

    def read(addr):
        yield from dram.transact(MemRequest(int(addr), size, False, "stream"))

    for addr in addresses_of(size):
        env.process(read(addr))
    env.run()
    peak = timing.bus_bytes * 2 * timing.freq_hz  # double data rate
    hits = measure.counts.get(Action.DRAM_ROW_HIT, 0)
    misses = measure.counts.get(Action.DRAM_ROW_MISS, 0)
    return N * size / (env.now * 1e-12) / peak, hits / (hits + misses)


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_sequential_reads_reach_85_percent_of_peak(preset):
    share, hit_rate = stream(preset, lambda size: np.arange(N) * size)
    assert share >= 0.85, f"{preset}: {share:.3f} of peak"
    assert hit_rate > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_random_reads_over_a_gibibyte_rarely_hit(preset):
    rng = np.random.default_rng(5)
    _, hit_rate = stream(preset, lambda size: rng.integers(0, 2**30 // size, N) * size)
    assert hit_rate < 0.10
