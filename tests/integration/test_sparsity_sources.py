"""Real sparsity sources end to end: ONNX initializers and partial .npz files set the
per-layer densities of a run; bad files and names are refused in one line."""

import json

import numpy as np
import pytest

from soc.workloads import Layer
from soc.workloads.tensors import synthetic_tensors

from .conftest import ROOT, soc

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
SEED = 4
# conv1 (8 x 4 x 3 x 3 weights) -> conv2 (8 x 8 x 1 x 1) -> pw3 (8 x 8 x 1 x 1) -> fc4 (4 x 512)
SCENARIO = """\
name: s
seed: {seed}
soc: {{base: {base}}}
workload:
  layers:
    - {{name: conv1, op: conv, c: 4, k: 8, h: 8, w: 8, r: 3, s: 3, padding: 1}}
    - {{name: conv2, op: conv, c: 8, k: 8, h: 8, w: 8}}
    - {{name: pw3, op: conv, c: 8, k: 8, h: 8, w: 8}}
    - {{name: fc4, op: fc, c: 512, k: 4}}
  dataflow: ws
  sparsity: {sparsity}
driver: {{frames: 1}}
run: {{trace_level: layer, chrome_trace: false, native_trace: false, plots: false}}
"""
CONV1 = Layer("conv1", "conv", c=4, k=8, h=8, w=8, r=3, s=3, padding=1)


def save_onnx(path, initializers):
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in initializers.items()]
    graph = helper.make_graph([], "g", [], [], initializer=inits)
    onnx.save(helper.make_model(graph), str(path))


def scenario(tmp_path, sparsity):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(seed=SEED, base=BASE, sparsity=sparsity))
    return path


def run(tmp_path, sparsity):
    result = soc("run", str(scenario(tmp_path, sparsity)), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    return {row["layer"]: row for row in summary["layers"]}


def refused(tmp_path, sparsity):
    """The one stderr line of a run the CLI refuses with exit code 2."""
    result = soc("run", str(scenario(tmp_path, sparsity)), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_onnx_initializers_set_weight_densities(tmp_path):
    conv1 = np.ones((8, 4, 3, 3))
    conv1[:2] = 0.0  # 2 of 8 filters pruned: 216 of 288 weights non-zero
    save_onnx(
        tmp_path / "model.onnx",
        {
            "conv1.weight": conv1,
            "conv2.weight": np.full((8, 8, 1, 1), 0.5),  # dense
            "classifier.weight": np.zeros((4, 512)),  # a Gemm weight, all zero
            "conv1.bias": np.ones(8),  # not a weight: ignored
        },
    )
    layers = run(
        tmp_path,
        "{activations: 0.5, weights: 0.5, onnx: model.onnx, onnx_names: {fc4: classifier.weight}}",
    )
    assert layers["conv1"]["fl_density"] == 216 / 288
    assert layers["conv2"]["fl_density"] == 1.0
    assert layers["fc4"]["fl_density"] == 0.0
    assert layers["fc4"]["performed_macs"] == 0  # nothing to multiply
    # pw3 has no initializer: synthetic, about the 0.5 asked for (64 weights)
    assert 0.2 < layers["pw3"]["fl_density"] < 0.8
    # activations stay synthetic
    expected_if = synthetic_tensors(CONV1, 0.5, 0.5, "uniform", SEED).if_density
    assert layers["conv1"]["if_density"] == expected_if


def test_npz_with_only_weights_keeps_synthetic_activations(tmp_path):
    weights = np.zeros((8, 4, 3, 3))
    weights[:, :, 1, 1] = 3.0  # only the kernel centre: 32 of 288 non-zero
    np.savez(tmp_path / "values.npz", **{"conv1.FL": weights})
    layers = run(tmp_path, "{activations: 0.5, arrays: values.npz}")
    assert layers["conv1"]["fl_density"] == 32 / 288
    expected_if = synthetic_tensors(CONV1, 0.5, 1.0, "uniform", SEED).if_density
    assert layers["conv1"]["if_density"] == expected_if
    assert 0.35 < expected_if < 0.65  # 256 IF elements at density 0.5
    assert layers["conv2"]["fl_density"] == 1.0  # synthetic weights: 1.0 by default


@pytest.mark.parametrize("what", ["missing", "directory", "text", "empty"])
def test_bad_onnx_paths_are_refused_in_one_line(tmp_path, what):
    target = {
        "missing": tmp_path / "nothing.onnx",
        "directory": tmp_path / "models",
        "text": tmp_path / "passwd",
        "empty": tmp_path / "empty.onnx",
    }[what]
    (tmp_path / "models").mkdir()
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "empty.onnx").write_bytes(b"")
    line = refused(tmp_path, f"{{onnx: {target}}}")
    assert f"workload.sparsity.onnx: {target}: " in line
    reason = {
        "missing": "no such file",
        "directory": "is a directory, not an ONNX model",
        "text": "not an ONNX model",
        "empty": "not an ONNX model",
    }[what]
    assert reason in line


def test_a_system_file_by_absolute_path_is_not_an_onnx_model(tmp_path):
    path = tmp_path / "etc" / "passwd"  # what /etc/passwd holds, where every machine has it
    path.parent.mkdir()
    path.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/false\n")
    line = refused(tmp_path, f"{{onnx: {path}}}")
    assert f"workload.sparsity.onnx: {path}: not an ONNX model" in line


def test_bad_onnx_names_and_shapes_are_refused(tmp_path):
    save_onnx(tmp_path / "m.onnx", {"conv1.weight": np.ones((8, 4, 5, 5)), "head": np.ones(3)})
    line = refused(tmp_path, "{onnx: m.onnx, onnx_names: {fc5: head}}")
    assert (
        "workload.sparsity.onnx_names.fc5: no such layer (layers: conv1, conv2, pw3, fc4)" in line
    )
    line = refused(tmp_path, "{onnx: m.onnx, onnx_names: {fc4: classifier.weight}}")
    assert line.endswith(
        "workload.sparsity.onnx_names.fc4: the ONNX model has no initializer "
        "'classifier.weight' (initializers: conv1.weight, head)\n"
    )
    line = refused(tmp_path, "{onnx: m.onnx}")
    assert line.endswith(
        "workload.sparsity.onnx: layer conv1: initializer 'conv1.weight' has shape "
        "(8, 4, 5, 5), the layer's FL needs (8, 4, 3, 3)\n"
    )


def test_onnx_names_without_onnx_is_refused(tmp_path):
    line = refused(tmp_path, "{onnx_names: {fc4: classifier.weight}}")
    assert line.endswith(
        "workload.sparsity: onnx_names names initializers of 'onnx', which is not set\n"
    )


def test_weights_from_both_npz_and_onnx_are_refused(tmp_path):
    save_onnx(tmp_path / "m.onnx", {"conv1.weight": np.ones((8, 4, 3, 3))})
    np.savez(tmp_path / "v.npz", **{"conv1.FL": np.ones((8, 4, 3, 3))})
    line = refused(tmp_path, "{arrays: v.npz, onnx: m.onnx}")
    assert line.endswith(
        "workload.sparsity: layer conv1: FL values come from both arrays ('conv1.FL') "
        "and onnx; keep one of them\n"
    )
    # IF values from the .npz and FL values from the model combine
    np.savez(tmp_path / "v.npz", **{"conv1.IF": np.zeros((4, 8, 8))})
    layers = run(tmp_path, "{arrays: v.npz, onnx: m.onnx}")
    assert layers["conv1"]["if_density"] == 0.0 and layers["conv1"]["fl_density"] == 1.0


@pytest.mark.parametrize("key", ["conv9.FL", "conv1.OF"])
def test_npz_keys_naming_no_layer_or_tensor_are_refused(tmp_path, key):
    np.savez(tmp_path / "v.npz", **{key: np.ones(3)})
    line = refused(tmp_path, "{arrays: v.npz}")
    assert f"workload.sparsity.arrays: array '{key}' names no" in line
    if key == "conv9.FL":
        assert line.endswith("(layers: conv1, conv2, pw3, fc4)\n")
