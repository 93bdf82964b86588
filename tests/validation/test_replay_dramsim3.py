"""A DRAMsim3-format trace replayed on the LPDDR4-2400-x64 preset gives what driving the
banked DRAM model directly gives (tests/validation/test_dram_reference.py's driver):
the same bandwidth, mean read latency and read row-hit rate. A DRAMsim3 trace's cycles
are arrivals at the controller, so its requests enter at the DRAM, as in that driver."""

import numpy as np
import pytest

from soc.config.loader import load_soc
from soc.runner.replay import simulate_replay, trace_source
from soc.trace.memtrace import TraceRequest, write_trace
from tests.validation.test_dram_reference import BURST, SIZE, drive

N = 8_000
STREAMS = {
    "seq_read": (np.arange(N) * BURST, 0),
    "rand_read": (np.random.default_rng(12345).integers(0, SIZE // BURST, size=N) * BURST, 0),
    "seq_read_paced": (np.arange(N // 4) * BURST, 200),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_replayed_trace_equals_driving_the_model(tmp_path, name):
    addresses, every = STREAMS[name]
    soc = load_soc(
        "scenarios/soc/edge_npu.yaml",
        [
            "soc.dram.fidelity=banked",
            "soc.dram.preset=LPDDR4-2400-x64",
            f"soc.dram.size_bytes={SIZE}",
            f"soc.sram.base_addr={2 * SIZE}",  # above the 8 GiB of DRAM
        ],
    )
    tck_ps = 1e12 / soc.dram.banked.freq_hz
    trace = tmp_path / "t.trace"
    requests = [
        TraceRequest(int(a), BURST, False, "trace", round(i * every * tck_ps))
        for i, a in enumerate(addresses)
    ]
    write_trace(requests, trace, "dramsim3", tck_ps)
    summary = simulate_replay(soc, trace_source(trace, "dramsim3", soc), "timed")
    direct = drive(addresses, every)
    dram = summary["dram"]
    bandwidth = (dram["read_bytes"] + dram["write_bytes"]) / (summary["total_ps"] * 1e-12)
    latency = dram["service_latency_ps"]["trace"]["mean"] / tck_ps
    row = dram["by_master"]["trace"]
    assert dram["read_bytes"] == len(addresses) * BURST
    assert bandwidth == pytest.approx(direct["bandwidth"], rel=1e-9)
    assert latency == pytest.approx(direct["latency_cycles"], rel=1e-9)
    assert row["read_row_hit_rate"] == pytest.approx(direct["hit_rate"], abs=1e-12)
    assert "write_row_hit_rate" not in row  # no writes
