"""scenarios/detection_onnx.yaml end to end (one frame): the ONNX YOLOv5n's convs run on
the engine, and the ops flexsoc does not model, the NMS among them, run on the host CPU
and are listed in the summary and in its printed notes."""

import json

import pytest

from .conftest import ROOT, soc

SCENARIO = ROOT / "scenarios" / "detection_onnx.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "detection"
    result = soc(
        "run", str(SCENARIO), "--out", str(out), "--set", "driver.frames=1",
        "--set", "run.plots=false", "--no-cache",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result, json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_the_engine_runs_the_zoo_macs(run):
    _, summary = run
    # YOLOv5n at 320: a quarter of Ultralytics' 4.5 GFLOPs (2,234,060,800 MACs) at 640
    assert summary["macs"]["executed"] == 2_234_060_800 // 4
    assert len(summary["layers"]) == 60
    assert {op["unit"] for op in summary["ops"] if op["kind"] == "conv"} == {"npu"}


@pytest.mark.slow
def test_nms_and_the_other_unmodelled_ops_run_on_the_cpu(run):
    result, summary = run
    others = [op for op in summary["ops"] if op["kind"] == "other"]
    assert {op["unit"] for op in others} == {"cpu"}
    assert {op["op_type"] for op in others} == {"Split", "Pow", "Slice", "NonMaxSuppression"}
    nms = [op for op in others if op["op_type"] == "NonMaxSuppression"]
    assert [op["op"] for op in nms] == ["/nms/NonMaxSuppression"]
    assert nms[0]["elapsed_ps"] > 0
    (note,) = summary["notes"]
    assert "NonMaxSuppression x1" in note
    assert "/nms/NonMaxSuppression" in result.stdout
    assert "note: " in result.stdout
