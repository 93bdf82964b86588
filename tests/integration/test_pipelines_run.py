"""The shipped pipeline scenarios, run as a user runs them: per-pipeline metrics printed
and in summary.json, and every frame's MACs executed (the networks' MAC counts are the
published ones, checked in tests/unit/workloads/test_model_zoo.py)."""

import json

import pytest

from soc.energy import load_energy_table

from .conftest import ROOT, soc

MOBILENETV2_MACS = 300_774_272  # Sandler et al.: 300 M
DS_CNN_MACS = 2_656_640  # DS-CNN-S with a 10-class classifier
MOBILENETV3_SMALL_MACS = 56_510_400  # Howard et al.: 56 M


def run(tmp_path, scenario: str, *sets: str) -> tuple[dict, str]:
    out = tmp_path / "run"
    args = [f"--set={s}" for s in ("run.plots=false", "run.chrome_trace=false", *sets)]
    result = soc("run", str(ROOT / "scenarios" / scenario), "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "summary.json").read_text()), result.stdout


@pytest.mark.slow
def test_mobilenetv2_camera_pipeline(tmp_path):
    # the shipped scenario runs 30 frames (about a minute); three show the same things
    summary, printed = run(tmp_path, "mobilenetv2_camera_30fps.yaml", "pipelines[0].frames=3")
    vision = summary["pipelines"]["vision"]
    assert vision["frames"] == 3 and vision["period_ps"] == round(1e12 / 30)
    latency = vision["latency_ps"]
    assert latency["p50"] <= latency["p99"] <= latency["max"] < vision["deadline_ps"]
    assert vision["deadline_misses"] == 0
    assert summary["macs"]["executed"] == 3 * MOBILENETV2_MACS
    assert summary["masters"]["camera"]["late_lines"] == 0
    assert summary["masters"]["display"]["underflows"] == 0
    ops = {op["op"]: op for op in summary["ops"]}
    on_cpu = [op for op in ops.values() if op["unit"] == "cpu"]
    assert {op["kind"] for op in on_cpu} == {"add", "globalavgpool"}  # 10 residual adds
    # a frame's energy holds at least its MACs' energy and is part of the run's total
    mac_pj = load_energy_table(None).actions["mac"]
    per_frame = vision["energy_per_frame_pj"]
    assert MOBILENETV2_MACS * mac_pj < per_frame < summary["energy"]["total_pj"] / 3
    # the pipeline table: p50, p99, misses, energy per frame and power
    assert "Pipelines" in printed and "vision" in printed and "misses" in printed


@pytest.mark.slow
def test_keyword_spotter_beside_vision(tmp_path):
    summary, _ = run(tmp_path, "kws_always_on.yaml")
    kws, vision = summary["pipelines"]["kws"], summary["pipelines"]["vision"]
    assert (kws["frames"], vision["frames"]) == (5, 8)
    assert kws["priority"] < vision["priority"]
    assert summary["macs"]["executed"] == 5 * DS_CNN_MACS + 8 * MOBILENETV3_SMALL_MACS
    assert kws["deadline_misses"] == vision["deadline_misses"] == 0
    assert kws["achieved_fps"] == pytest.approx(10, rel=0.01)
    # names stay unique across pipelines: every layer carries its pipeline's name
    assert all(row["layer"].split(".")[0] in ("kws", "vision") for row in summary["layers"])
    assert {f["pipeline"] for f in summary["frames"]} == {"kws", "vision"}
