"""DRAM contention: who stalls, whether the display underflows, and what fixes it."""

import json

import pytest

from .conftest import ROOT, soc

# Outputs no check here reads: one run (dram_contention's) still writes them all, with
# its masters' plots and traces; the others leave them out and run sooner.
OUTPUTS_OFF = (
    "run.plots=false",
    "run.chrome_trace=false",
    "run.perfetto_trace=false",
    "run.native_trace=false",
)


def run(tmp_path, name, *overrides):
    out = tmp_path / name
    sets = [arg for o in overrides for arg in ("--set", o)]
    result = soc("run", str(ROOT / "scenarios" / f"{name}.yaml"), "--out", str(out), *sets)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "summary.json").read_text()), result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "underflows"),
    [
        ("dram_contention", "some"),  # the NPU's DMA most urgent: the display starves
        ("dram_contention_display_priority", "none"),
        ("dram_contention_npu_regulated", "none"),
    ],
)
def test_display_underflows_only_when_the_npu_starves_it(tmp_path, scenario, underflows):
    summary, stdout = run(
        tmp_path, scenario, *(() if scenario == "dram_contention" else OUTPUTS_OFF)
    )
    display = summary["masters"]["display"]
    if underflows == "some":
        assert display["underflows"] >= 1 and display["underflow_bytes_short"] > 0
    else:
        assert display["underflows"] == 0
    assert f"display display: {display['underflows']} underflow(s)" in stdout
    # per-master bandwidths add up to the DRAM's total
    dram = summary["dram"]
    total = sum(m["bandwidth_bytes_per_s"] for m in dram["by_master"].values())
    assert total == pytest.approx(dram["bandwidth_bytes_per_s"], rel=1e-9)
    assert set(dram["by_master"]) == {"camera", "display", "cpu", "dma"}
    # the bandwidth timeline integrates back to each master's bytes served
    timeline = dram["bandwidth_over_time"]
    window, end = timeline["window_ps"], summary["total_ps"]
    spans = [min(window, end - k * window) for k in range(-(-end // window))]
    for master, rates in timeline["bytes_per_s"].items():
        row = dram["by_master"][master]
        served = row.get("dram_read_byte", 0) + row.get("dram_write_byte", 0)
        assert sum(r * s / 1e12 for r, s in zip(rates, spans, strict=True)) == pytest.approx(
            served, rel=1e-9
        ), master
    for master, lat in dram["latency_ps"].items():
        assert 0 < lat["p50"] <= lat["p99"] <= lat["max"], master
    # bytes the controller took equal the bytes it served, for the masters that stop
    # (the CPU and the NPU's DMA); the camera and display still have requests in flight
    # when the run ends: at most their outstanding requests
    for master, row in dram["by_master"].items():
        served = row.get("dram_read_byte", 0) + row.get("dram_write_byte", 0)
        in_flight = row["dram_accepted_byte"] - served
        if master in ("cpu", "dma"):
            assert in_flight == 0, master
        else:
            assert 0 <= in_flight <= 8 * 256, master


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "underflows"),
    [("dram_contention", "some"), ("dram_contention_npu_regulated", "none")],
)
def test_the_fluid_dram_reaches_the_same_verdicts(tmp_path, scenario, underflows):
    summary, _ = run(tmp_path, scenario, "soc.dram.fidelity=fluid", *OUTPUTS_OFF)
    display = summary["masters"]["display"]
    assert (display["underflows"] > 0) == (underflows == "some")


def test_regulator_for_an_unknown_master_is_refused(tmp_path):
    text = (ROOT / "scenarios" / "dram_contention_npu_regulated.yaml").read_text()
    text = text.replace("soc/edge_npu.yaml", str(ROOT / "scenarios/soc/edge_npu.yaml"))
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("regulators: {dma:", "regulators: {npu:"))
    result = soc("validate", str(path))
    assert result.returncode == 2
    assert "soc.dram.regulators names 'npu', which is no master" in result.stderr
