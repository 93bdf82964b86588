"""The quickstart scenario end to end: run folder, trace, conservation, determinism."""

import json
import math
import os
import subprocess
import sys
from collections import defaultdict

import pytest

from soc.config import load_scenario
from soc.plan import plan_workload

from .conftest import QUICKSTART, ROOT

NATIVE_TABLES = ("activity", "counters", "instants", "samples", "spans")

# edge_cnn MACs per frame, by hand: K x P x Q x (C / groups) x R x S
HAND_MACS = (
    16 * 32 * 32 * 3 * 9  # conv1: 3 -> 16, 3x3 stride 2 over 64x64
    + 16 * 32 * 32 * 9  # dw2: depthwise 3x3 over 32x32
    + 32 * 32 * 32 * 16  # pw3: 16 -> 32, 1x1
    + 64 * 16 * 16 * 32 * 9  # conv4: 32 -> 64, 3x3 stride 2
    + 64 * 16384  # fc5: 16384 -> 64
)


def test_run_folder_is_complete(quickstart_run):
    names = sorted(p.name for p in quickstart_run.iterdir())
    assert names == [
        ".flexsoc-run",
        "config.yaml",
        "plots",
        "summary.json",
        "trace",
        "trace.json",
        "trace.pftrace",
    ]
    tables = sorted(p.name for p in (quickstart_run / "trace").iterdir())
    assert tables == [f"{t}.parquet" for t in NATIVE_TABLES]
    plots = sorted(p.name for p in (quickstart_run / "plots").iterdir())
    assert plots == ["dram_bandwidth.png", "energy.png", "layers.png", "power.png"]
    for plot in (quickstart_run / "plots").iterdir():
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot.name
    assert not list(quickstart_run.parent.glob(".*partial"))


def test_summary_is_printed(quickstart_process):
    result, _ = quickstart_process  # the run of quickstart_run: the same command
    assert result.returncode == 0
    for heading in ("Layers, per frame", "DRAM traffic", "Energy", "MACs performed"):
        assert heading in result.stdout


def test_trace_has_every_component_and_phase(quickstart_run):
    trace = json.loads((quickstart_run / "trace.json").read_text())
    events = trace["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    threads = {
        (e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"
    }
    spans_by_process = defaultdict(set)
    for e in events:
        if e["ph"] == "X":
            spans_by_process[processes[e["pid"]]].add(threads[(e["pid"], e["tid"])])
    for component in ("cpu", "dma", "noc", "sram", "dram", "npu"):
        assert spans_by_process[component], f"no spans from {component}"
    assert {"load", "compute", "drain"} <= spans_by_process["npu"]


def test_load_of_round_k_plus_1_overlaps_compute_of_round_k(quickstart_run):
    events = json.loads((quickstart_run / "trace.json").read_text())["traceEvents"]
    by_round = defaultdict(dict)
    for e in events:
        if e["ph"] == "X" and e["name"] in ("load", "compute"):
            by_round[(e["args"]["layer"], e["args"]["round"])].setdefault(e["name"], e)
    overlaps = 0
    for (layer, r), phases in by_round.items():
        nxt = by_round.get((layer, r + 1), {}).get("load")
        comp = phases.get("compute")
        if (
            nxt
            and comp
            and nxt["ts"] < comp["ts"] + comp["dur"]
            and comp["ts"] < nxt["ts"] + nxt["dur"]
        ):
            overlaps += 1
    assert overlaps > 0


def test_macs_executed_equal_the_network_macs(summary):
    frames = len(summary["frames"])
    assert frames == 2
    assert summary["macs"]["executed"] == frames * HAND_MACS == summary["macs"]["expected"]


def test_dma_bytes_requested_equal_dram_bytes_served(summary):
    # What the DMA was asked to move between DRAM and SRAM, from the plans' transfers.
    plans = plan_workload(load_scenario(QUICKSTART)).plans
    fetched = sum(t.size_bytes for p in plans for tile in p.tiles for t in tile.fetches)
    written = sum(t.size_bytes for p in plans for tile in p.tiles for t in tile.writebacks)
    frames = len(summary["frames"])
    dma = summary["dram"]["by_master"]["dma"]
    assert dma["dram_read_byte"] == frames * fetched
    assert dma["dram_write_byte"] == frames * written
    # the CPU streams its pre/post-processing buffers: 64x64x3 input and 64 outputs
    cpu = summary["dram"]["by_master"]["cpu"]
    assert cpu["dram_read_byte"] == cpu["dram_write_byte"] == frames * (64 * 64 * 3 + 64)
    assert summary["dram"]["read_bytes"] == dma["dram_read_byte"] + cpu["dram_read_byte"]


def test_energy_breakdown_sums_to_total(summary):
    energy = summary["energy"]
    by_component = sum(c["total_pj"] for c in energy["by_component"].values())
    by_action = sum(energy["by_action"].values())
    assert abs(by_component - energy["total_pj"]) <= 1e-9 * energy["total_pj"]
    assert abs(by_action - energy["total_pj"]) <= 1e-9 * energy["total_pj"]
    for component in energy["by_component"].values():
        assert math.fsum(component["by_action"].values()) == pytest.approx(
            component["dynamic_pj"], rel=1e-12
        )
        assert component["dynamic_pj"] >= 0 and component["static_pj"] >= 0
    # MAC energy = executed MACs x 0.23 pJ (the default table)
    assert energy["by_component"]["npu"]["by_action"]["mac"] == (summary["macs"]["executed"] * 0.23)


def test_energy_per_layer_and_over_time_add_up(summary):
    energy = summary["energy"]
    frames = len(summary["frames"])
    components = energy["by_component"]
    # every NPU and DMA action happens inside a layer: the layers' dynamic energy is the
    # engine's and DMA's own plus what their requests cost elsewhere (by master)
    layers = frames * math.fsum(row["dynamic_pj"] for row in energy["by_layer"].values())
    own = components["npu"]["dynamic_pj"] + components["dma"]["dynamic_pj"]
    requested = energy["by_master"]["npu"] + energy["by_master"]["dma"]
    assert layers == pytest.approx(own + requested, rel=1e-9)
    assert list(energy["by_layer"]) == [layer["layer"] for layer in summary["layers"]]
    # the power timeline integrates to the total energy
    timeline = energy["power_over_time"]
    window, end = timeline["window_ps"], summary["total_ps"]
    spans = [min(window, end - k * window) for k in range(-(-end // window))]
    integral = math.fsum(
        w * span for row in timeline["watts"].values() for w, span in zip(row, spans, strict=True)
    )
    assert integral == pytest.approx(energy["total_pj"], rel=1e-9)


def test_same_seed_gives_identical_outputs(quickstart_run, tmp_path):
    """In another process, with another string hash seed: the same bytes."""
    again = tmp_path / "again"
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not the first run's
    env = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, "-m", "soc", "run", str(QUICKSTART), "--out", str(again)]
    assert subprocess.run(command, capture_output=True, cwd=ROOT, env=env).returncode == 0
    names = ["summary.json", "trace.json", "config.yaml"]
    names += [f"trace/{table}.parquet" for table in NATIVE_TABLES]
    for name in names:
        assert (again / name).read_bytes() == (quickstart_run / name).read_bytes(), name
