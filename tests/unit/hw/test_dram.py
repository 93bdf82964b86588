"""SimpleDram: FCFS on one data bus, latency pipelined, bytes counted per master."""

import math

import pytest

from soc.config import DramConfig
from soc.hw import SimpleDram
from soc.kernel import Action, MemRequest, elaborate

# 16 GB/s = 16 bytes per ns: 1024 B occupy the bus for 64 ns = 64,000 ps.
CFG = DramConfig(base_addr=0, size_bytes=2**20, bandwidth_bytes_per_s=16e9, latency_ps=100_000)


def transfer_ps(size_bytes: int) -> int:
    """Bus time at 16 B/ns, 1000 ps per ns."""
    return math.ceil(size_bytes * 1000 / 16)


def _dram(env, recorder):
    dram = SimpleDram(env, "dram", CFG, recorder)
    elaborate([dram])
    return dram


def test_single_request_takes_transfer_plus_latency(env, recorder, finish_times):
    dram = _dram(env, recorder)
    ends = finish_times({"r": dram.transact(MemRequest(0, 1024, False, "a"))})
    assert ends == {"r": 64_000 + 100_000}  # 1024 B / 16 B/ns + 100 ns


def test_back_to_back_requests_pipeline_latency(env, recorder, finish_times):
    dram = _dram(env, recorder)
    # three 1 KiB requests at t = 0, served FCFS: the k-th (1-based) leaves the bus after
    # k transfers and completes one latency later
    ends = finish_times(
        {f"r{k}": dram.transact(MemRequest(k * 1024, 1024, False, "a")) for k in (1, 2, 3)}
    )
    assert ends == {f"r{k}": CFG.latency_ps + k * transfer_ps(1024) for k in (1, 2, 3)}
    assert ends == {"r1": 164_000, "r2": 228_000, "r3": 292_000}


def test_mixed_sizes_queue_behind_each_other(env, recorder, finish_times):
    dram = _dram(env, recorder)
    # 256 B (16 ns) then 2 KiB (128 ns): the second waits for the first's transfer only
    ends = finish_times(
        {
            "small": dram.transact(MemRequest(0, 256, True, "a")),
            "large": dram.transact(MemRequest(4096, 2048, False, "b")),
        }
    )
    assert ends == {
        "small": transfer_ps(256) + CFG.latency_ps,
        "large": transfer_ps(256) + transfer_ps(2048) + CFG.latency_ps,
    }


def test_request_arriving_after_idle_starts_at_arrival(env, recorder, finish_times):
    dram = _dram(env, recorder)

    def late():
        yield env.timeout(500_000)
        yield from dram.transact(MemRequest(0, 1024, False, "a"))

    ends = finish_times({"first": dram.transact(MemRequest(0, 1024, False, "a")), "late": late()})
    assert ends == {"first": 64_000 + 100_000, "late": 500_000 + 64_000 + 100_000}


def test_bytes_served_per_master_equal_bytes_requested(env, recorder, finish_times):
    dram = _dram(env, recorder)
    requests = [
        MemRequest(0, 1024, False, "cpu"),
        MemRequest(8192, 512, True, "cpu"),
        MemRequest(4096, 2048, False, "dma"),
        MemRequest(16384, 100, True, "dma"),
        MemRequest(20000, 300, True, "dma"),
    ]
    finish_times({str(i): dram.transact(req) for i, req in enumerate(requests)})
    assert recorder.total(Action.DRAM_READ_BYTE, "cpu") == 1024
    assert recorder.total(Action.DRAM_WRITE_BYTE, "cpu") == 512
    assert recorder.total(Action.DRAM_READ_BYTE, "dma") == 2048
    assert recorder.total(Action.DRAM_WRITE_BYTE, "dma") == 100 + 300


def test_address_outside_dram_is_rejected(env, recorder):
    dram = _dram(env, recorder)
    env.process(dram.transact(MemRequest(CFG.size_bytes, 64, False, "a")))
    with pytest.raises(ValueError, match="outside dram"):
        env.run()


def test_request_running_past_the_end_is_rejected(env, recorder):
    dram = _dram(env, recorder)
    # starts 512 B before the end and runs 512 B past it (SramBanks rejects this case)
    env.process(dram.transact(MemRequest(CFG.size_bytes - 512, 1024, False, "a")))
    with pytest.raises(ValueError, match="outside dram"):
        env.run()
