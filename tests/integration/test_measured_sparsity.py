"""Measured sparsity end to end: a small ONNX CNN runs through onnxruntime on a real
photograph, its measured bitmaps drive a full simulation, and the MACs the engine
performs are the non-zero (activation, weight) pairs numpy counts on its own.
Bad measure inputs are refused in one line, exit code 2, with no run folder."""

import json

import numpy as np
import pytest

from soc.config import load_scenario
from soc.runner import run_scenario

from .conftest import ROOT, soc

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("PIL")
from tests.unit.workloads import measure_fixtures as fx  # noqa: E402

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
SCENARIO = """\
name: measured
seed: 1
soc: {{base: {base}}}
workload:
  model: {model}
  dataflow: ws
  sparsity:
    measure: {measure}
driver: {{frames: 1}}
run: {{trace_level: layer, chrome_trace: false, native_trace: false, plots: false}}
"""
MEASURE = f"{{input: {fx.grace_hopper()}, mean: {list(fx.MEAN)}, std: {list(fx.STD)}}}"


def scenario(tmp_path, measure=MEASURE, model="onnx:model.onnx"):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(base=BASE, model=model, measure=measure))
    return path


def expected_pairs(w: fx.Weights) -> dict[str, int]:
    """Per layer, the non-zero pairs: activations from onnxruntime, the folded conv1
    weight (BN's gamma / sqrt(var + eps) per filter), im2col counting in numpy."""
    x = fx.image_tensor()
    acts = fx.ort_values(w, x, ("relu1", "relu2", "flat"))
    folded = w.conv1 * (w.gamma / np.sqrt(w.var + fx.EPS)).reshape(-1, 1, 1, 1)
    return {
        "conv1": fx.pairs(x[0], folded, pads=1),
        "dw2": fx.pairs(acts["relu1"][0], w.dw2, stride=2, pads=1, groups=8),
        "pw3": fx.pairs(acts["relu2"][0], w.pw3),
        "fc4": fx.pairs(acts["flat"][0].reshape(-1, 1, 1), w.fc4.reshape(10, -1, 1, 1)),
    }


def test_performed_macs_are_the_measured_non_zero_pairs(tmp_path):
    w = fx.weights()
    fx.save(tmp_path / "model.onnx", w)
    config = load_scenario(scenario(tmp_path))
    summary = run_scenario(config, tmp_path / "out").summary
    expected = expected_pairs(w)
    assert summary["macs"]["executed"] == sum(expected.values())
    performed = {row["layer"]: row["performed_macs"] for row in summary["layers"]}
    assert performed == expected
    # the measure is not trivial: every layer skips some work, and conv1's pruned BN
    # channel (gamma 0) empties one filter of eight
    dense = 8 * 32 * 32 * 27 + 8 * 16 * 16 * 9 + 16 * 16 * 16 * 8 + 10 * 4096
    assert summary["macs"]["expected"] == dense
    assert all(performed[name] < row["macs"] for name, row in _macs(summary).items())
    conv1 = next(row for row in summary["layers"] if row["layer"] == "conv1")
    assert conv1["fl_density"] <= 7 / 8


def _macs(summary):
    return {row["op"]: row for row in summary["ops"] if row["op"] in fx.LAYERS}


def refused(tmp_path, path):
    out = tmp_path / "out"
    result = soc("run", str(path), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()
    return result.stderr


def test_a_missing_image_is_refused(tmp_path):
    fx.save(tmp_path / "model.onnx", fx.weights())
    path = scenario(tmp_path, "{input: nowhere.png}")
    stderr = refused(tmp_path, path)
    assert stderr == (
        f"error: {path}:8: workload.sparsity.measure.input: {tmp_path / 'nowhere.png'}: "
        "no such file\n"
    )


def test_a_file_that_is_no_image_is_refused(tmp_path):
    fx.save(tmp_path / "model.onnx", fx.weights())
    (tmp_path / "notes.jpg").write_text("not a JPEG\n")
    stderr = refused(tmp_path, scenario(tmp_path, "{input: notes.jpg}"))
    assert f"workload.sparsity.measure.input: {tmp_path / 'notes.jpg'}: not an image" in stderr


def test_measure_on_a_zoo_model_is_refused(tmp_path):
    path = scenario(tmp_path, MEASURE, model="zoo:edge_cnn")
    stderr = refused(tmp_path, path)
    assert stderr == (
        f"error: {path}:8: workload.sparsity.measure: needs an 'onnx:' workload.model, "
        "not 'zoo:edge_cnn'\n"
    )


def test_the_resolved_config_runs_again(tmp_path):
    """config.yaml in the run folder holds every default: it must load and measure alike."""
    w = fx.weights()
    fx.save(tmp_path / "model.onnx", w)
    out = tmp_path / "first"
    result = soc("run", str(scenario(tmp_path)), "--out", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    again = soc("run", str(out / "config.yaml"), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    first = json.loads((out / "summary.json").read_text())
    second = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert second["macs"] == first["macs"]
    assert first["macs"]["executed"] == sum(expected_pairs(w).values())
