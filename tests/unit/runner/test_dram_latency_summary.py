"""The summary's DRAM latencies per master, reads and writes apart, from a real banked
DRAM through the tracer and the statistics (timings by hand: DRAM clock 1.2 GHz,
LPDDR4-2400 x64, tRCD 15, CL 17, CWL 14 cycles, a 128 B request is one burst of 8)."""

import simpy

from soc.config import DramConfig
from soc.hw.banked_dram import BankedDram
from soc.kernel import ClockDomain, Level, MemRequest, elaborate
from soc.runner.run import _dram_summary
from soc.trace import StatsCollector, Tracer
from tests.reference import nearest_rank

CONFIG = DramConfig(fidelity="banked", size_bytes=8192 * 2**20, banked={"posted_writes": True})
CLOCK = ClockDomain(CONFIG.banked.freq_hz)


def _summary(requests):
    """requests: (arrival cycle, address, write, master); the summary's `dram`."""
    env = simpy.Environment()
    stats = StatsCollector()
    tracer = Tracer(Level.LAYER, [stats])
    dram = BankedDram(env, "dram", CONFIG, tracer)
    elaborate([dram])

    def one(cycle, addr, write, master):
        yield env.timeout(CLOCK.ps(cycle))
        yield from dram.transact(MemRequest(addr, 128, write, master))

    for request in requests:
        env.process(one(*request))
    env.run()
    tracer.close(env.now)
    return _dram_summary(stats, env.now)


def test_one_read_and_one_posted_write_apart_and_together():
    # the read: ACT at 0, its column command at tRCD, its burst CL later: 15 + 17 + 8
    # the write at cycle 100 hits the open row: done on acceptance (posted), its data
    # written CWL + a burst after its column command, issued on arrival
    dram = _summary([(0, 0, False, "cpu"), (100, 128, True, "cpu")])
    read_ps = CLOCK.ps(15 + 17 + 8)
    written_ps = CLOCK.ps(100 + 14 + 8) - CLOCK.ps(100)
    expected = {
        **nearest_rank([read_ps, 0]),  # today's figures, over both
        "read": nearest_rank([read_ps]),
        "write": nearest_rank([0]),
        "write_data": nearest_rank([written_ps]),
    }
    assert dram["latency_ps"] == {"cpu": expected}
    # nothing waited at the front end: from acceptance, the same figures
    assert dram["service_latency_ps"] == {"cpu": expected}
    assert nearest_rank([read_ps, 0]) == {
        "count": 2,
        "mean": read_ps / 2,
        "p50": 0,
        "p99": read_ps,
        "max": read_ps,
    }


def test_a_master_without_writes_has_no_write_figures():
    dram = _summary([(0, 0, False, "display"), (0, 4096, True, "cpu")])
    assert set(dram["latency_ps"]["display"]) == {"count", "mean", "p50", "p99", "max", "read"}
    assert set(dram["latency_ps"]["cpu"]) == {
        "count",
        "mean",
        "p50",
        "p99",
        "max",
        "write",
        "write_data",
    }
