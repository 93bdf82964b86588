"""Record a run's DRAM requests, then replay them on the memory system alone.

Timed replay under the recording's own SoC gives every master's DRAM bytes exactly and
its mean DRAM latency within 2 %; elastic replay lets the CPU's and DMA's requests
follow the memory: a faster DRAM finishes the DMA's stream sooner, a slower one later.
"""

import json

import pytest

from soc.config import load_scenario
from soc.config.loader import load_soc
from soc.runner import run_scenario
from soc.runner.replay import run_source, simulate_replay
from soc.trace.requests import read_requests

from .conftest import ROOT

SCENARIO = ROOT / "scenarios" / "dram_contention.yaml"
QUIET = ["run.plots=false", "run.chrome_trace=false", "run.perfetto_trace=false"]


def record(tmp_path, *sets):
    config = load_scenario(SCENARIO, [*QUIET, "run.record_requests=true", *sets])
    out = tmp_path / "recorded"
    run_scenario(config, out)
    return out


@pytest.mark.slow
def test_timed_replay_reproduces_the_recording(tmp_path):
    folder = record(tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    rows = list(read_requests(folder))
    by_master = summary["dram"]["by_master"]
    assert {r["master"] for r in rows} == set(by_master)  # every master's requests
    assert (
        sum(r["size_bytes"] for r in rows)
        == summary["dram"]["read_bytes"] + summary["dram"]["write_bytes"]
    )
    replayed = simulate_replay(load_soc(SCENARIO), run_source(folder), "timed")
    for master, row in replayed["masters"].items():
        assert row["read_bytes"] == by_master[master].get("dram_read_byte", 0), master
        assert row["write_bytes"] == by_master[master].get("dram_write_byte", 0), master
        recorded = summary["dram"]["latency_ps"][master]["mean"]
        assert row["latency_ps"]["mean"] == pytest.approx(recorded, rel=0.02), master
    # the display's FIFO, refilled by the replayed reads under the display's own scan-out
    # rule, underflows as it did in the run (dram_contention's display starves)
    display = replayed["masters"]["display"]
    assert summary["masters"]["display"]["underflows"] > 0
    assert display["underflows"] == summary["masters"]["display"]["underflows"]
    assert (
        display["underflow_bytes_short"] == summary["masters"]["display"]["underflow_bytes_short"]
    )


@pytest.mark.slow
def test_elastic_replay_follows_a_faster_or_slower_dram(tmp_path):
    folder = record(tmp_path, "soc.dram.preset=LPDDR4X-4266")  # 17.1 GB/s
    source = run_source(folder)
    recorded_end = source.recorded["dma"]["end_ps"]
    ends = {}
    for preset in ("DDR4-3200", "LPDDR4-3200"):  # 25.6 GB/s, 12.8 GB/s
        soc = load_soc(SCENARIO, [f"soc.dram.preset={preset}"])
        ends[preset] = simulate_replay(soc, source, "elastic")["masters"]["dma"]["end_ps"]
    assert ends["DDR4-3200"] < recorded_end < ends["LPDDR4-3200"]
