"""Bad model files through the `soc` command: a malformed or truncated ONNX file, an ONNX
op with an attribute flexsoc cannot take, a SCALE-Sim CSV with a missing column or a bad
cell, a missing file, a wrong `padding`: one line naming the file and the node / line,
exit code 2, no traceback, no run folder. And SCALE-Sim's no-padding note, printed only
when the topology is read without padding."""

import json

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from .conftest import ROOT, soc

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
YOLO = ROOT / "scenarios" / "models" / "yolov5n_320.onnx"
SCALESIM = ROOT / "tests" / "unit" / "workloads" / "data" / "scalesim"
HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "


def scenario_text(model: str, extra: str = "") -> str:
    """A one-frame scenario on the default SoC; `extra` lines go under `workload:`."""
    return (
        f"name: models\nseed: 1\nsoc:\n  base: {BASE}\n  dram: {{fidelity: fluid}}\n"
        f"workload:\n  model: {model}\n{extra}driver:\n  frames: 1\n"
    )


def conv_model(path, x_shape, w_shape, y_shape, **attrs) -> None:
    """An ONNX file of one Conv named 'conv' (the checker accepts it)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)
    w = numpy_helper.from_array(np.zeros(w_shape, np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    graph = helper.make_graph([node], "g", [x], [y], [w])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def truncated(path) -> None:
    path.write_bytes(YOLO.read_bytes()[:1000])


def garbage(path) -> None:
    path.write_bytes(b"not a protobuf \xff\xfe\x00 at all\n" * 20)


def conv_1d(path) -> None:
    conv_model(path, [1, 4, 16], [8, 4, 3], [1, 8, 14], kernel_shape=[3])


def unequal_strides(path) -> None:
    conv_model(path, [1, 4, 16, 16], [8, 4, 3, 3], [1, 8, 14, 7], strides=[1, 2])


def missing_column(path) -> None:
    path.write_text(HEADER + "Strides,\nConv1, 224, 224, 11, 11, 3, 4,\n")


def bad_cell(path) -> None:
    path.write_text(
        HEADER + "Num Filter, Strides,\nConv1, 224, 224, 11, 11, 3, 96, 4,\n"
        "Conv2, 27, 27, 5, five, 96, 256, 1,\n"
    )


# case -> (model file name, how to write it (None: no file), model kind, extra workload
# lines, what the one line says after naming the model file)
FILE_CASES = {
    "truncated onnx": (
        "yolo.onnx",
        truncated,
        "onnx",
        "",
        ": not an ONNX model (malformed or truncated: ",
    ),
    "garbage named .onnx": (
        "junk.onnx",
        garbage,
        "onnx",
        "",
        ": not an ONNX model (malformed or truncated: ",
    ),
    "1-D conv": (
        "conv1d.onnx",
        conv_1d,
        "onnx",
        "",
        ", node conv (Conv): a 1-D convolution (input 1x4x16); flexsoc imports 2-D "
        "convolutions only",
    ),
    "conv strides differ": (
        "strided.onnx",
        unequal_strides,
        "onnx",
        "",
        ", node conv (Conv): strides [1, 2] differ between H and W",
    ),
    "csv missing a column": (
        "topology.csv",
        missing_column,
        "scalesim",
        "",
        ", line 1: the header has no 'Num Filter' column",
    ),
    "csv non-integer cell": (
        "topology.csv",
        bad_cell,
        "scalesim",
        "",
        ", line 3: 'Filter Width' is 'five', not a positive integer",
    ),
    "missing onnx file": ("absent.onnx", None, "onnx", "", ": cannot read the file"),
    "missing csv file": ("absent.csv", None, "scalesim", "", ": cannot read the topology file"),
}

# case -> (model, extra workload lines, what the one line says after naming the scenario)
KEY_CASES = {
    "padding sideways": (
        f"scalesim:{SCALESIM / 'alexnet.csv'}",
        "  padding: sideways\n",
        ":8: workload.padding: Input should be 'none' or 'same'",
    ),
    "padding same on a zoo model": (
        "zoo:yolov5n",
        "  padding: same\n",
        ":6: workload: padding applies to a 'scalesim:' model only",
    ),
}


def refused_in_one_line(tmp_path, scenario, inputs) -> str:
    """Run `soc run`; check exit 2, one line, no traceback, no run folder; the line."""
    out = tmp_path / "out"
    result = soc("run", str(scenario), "--out", str(out), "--set", "run.plots=false")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {scenario}")
    assert not out.exists()
    assert sorted(tmp_path.iterdir()) == sorted(inputs)
    return lines[0]


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_bad_model_file_is_refused(tmp_path, case):
    name, write, kind, extra, expected = FILE_CASES[case]
    model = tmp_path / name
    if write is not None:
        write(model)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(scenario_text(f"{kind}:{name}", extra))  # relative to the scenario
    line = refused_in_one_line(tmp_path, scenario, [scenario, *([model] if write else [])])
    assert f"{model.resolve()}{expected}" in line


@pytest.mark.parametrize("case", sorted(KEY_CASES))
def test_bad_padding_is_refused(tmp_path, case):
    model, extra, expected = KEY_CASES[case]
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(scenario_text(model, extra))
    line = refused_in_one_line(tmp_path, scenario, [scenario])
    assert line == f"error: {scenario}{expected}"


NO_PADDING_NOTE = "SCALE-Sim topology without padding, as SCALE-Sim counts it"


@pytest.mark.parametrize("padding", [None, "same"])
def test_scalesim_no_padding_note(tmp_path, padding):
    # AlexNet's five convs: a run of a second or two (ResNet-50's 54 layers take ~9 s)
    extra = f"  padding: {padding}\n" if padding else ""
    scenario = tmp_path / "alexnet.yaml"
    scenario.write_text(scenario_text(f"scalesim:{SCALESIM / 'alexnet.csv'}", extra))
    out = tmp_path / "out"
    result = soc("run", str(scenario), "--out", str(out), "--set", "run.plots=false", "--no-cache")
    assert result.returncode == 0, result.stderr
    notes = json.loads((out / "summary.json").read_text())["notes"]
    printed = f"note: {NO_PADDING_NOTE}" in result.stdout
    if padding == "same":
        assert notes == []
        assert not printed
    else:
        assert len(notes) == 1 and notes[0].startswith(NO_PADDING_NOTE)
        assert printed
