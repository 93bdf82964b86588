"""The shipped detection model, scenarios/models/yolov5n_320.onnx: its ONNX import gives
the zoo's YOLOv5n at 320 layer for layer, and the ops flexsoc does not model (the
decode's Split / Pow, the NMS's Slice and NonMaxSuppression) are 'other' ops, listed."""

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from soc.config import WorkloadConfig
from soc.workloads.models.yolo import yolov5n
from soc.workloads.onnx_import import load_onnx, unsupported_ops
from soc.workloads.zoo import load_graph

MODELS = Path(__file__).resolve().parents[3] / "scenarios" / "models"
ONNX = MODELS / "yolov5n_320.onnx"


@pytest.fixture(scope="module")
def graph():
    return load_onnx(ONNX)


def test_the_file_is_small():
    assert ONNX.stat().st_size < 300 * 1024


def test_conv_layers_are_the_zoo_yolov5n_at_320(graph):
    zoo = yolov5n(320)
    convs = [n for n in graph.nodes if n.layer is not None]
    expected = [n for n in zoo.nodes if n.layer is not None]
    assert len(convs) == len(expected) == 60
    for got, want in zip(convs, expected, strict=True):
        # names and sources differ (the exporter's scopes); everything else is the same
        assert replace(got.layer, name="", source="") == replace(want.layer, name="", source="")
        assert (got.shape, got.macs) == (want.shape, want.macs), got.name


def test_macs_and_parameters_are_the_published_ones(graph):
    # Ultralytics: 4.5 GFLOPs at 640 = 2,234,060,800 MACs x 2; a quarter at 320.
    # Fused parameters 1,867,405 (the v6.0 summary line), whatever the input size.
    assert graph.macs == 2_234_060_800 // 4 == 558_515_200
    assert graph.parameters == 1_867_405


def test_first_layer_by_hand(graph):
    first = next(n for n in graph.nodes if n.layer is not None)
    layer = first.layer
    # Conv 6x6/2, pad 2, 3 -> 16 channels: 320 -> (320 + 4 - 6) / 2 + 1 = 160
    assert (layer.c, layer.k, layer.r, layer.s, layer.stride, layer.pads) == (
        3, 16, 6, 6, 2, (2, 2, 2, 2),
    )  # fmt: skip
    assert first.shape == (16, 160, 160)
    assert first.macs == 6 * 6 * 3 * 16 * 160 * 160


def test_outputs_are_the_decoded_boxes_and_the_nms_indices(graph):
    shapes = graph.shapes()
    # 3 anchors x (40^2 + 20^2 + 10^2) cells at strides 8, 16, 32; 80 classes + 5
    boxes = 3 * ((320 // 8) ** 2 + (320 // 16) ** 2 + (320 // 32) ** 2)
    assert boxes == 6300
    assert [shapes[o] for o in graph.outputs] == [(boxes, 85), (80 * 100, 3)]


def test_ops_flexsoc_does_not_model_are_other_ops(graph):
    others = {n.op_type for n in unsupported_ops(graph)}
    assert others == {"Split", "Pow", "Slice", "NonMaxSuppression"}
    nms = next(n for n in graph.nodes if n.op_type == "NonMaxSuppression")
    assert nms.kind == "other"
    assert nms.shape == (8000, 3)


def test_the_workload_notes_list_the_nms():
    notes = load_graph(WorkloadConfig(model=f"onnx:{ONNX}")).notes
    assert len(notes) == 1
    assert str(ONNX) in notes[0]
    assert "NonMaxSuppression x1" in notes[0]
    assert "Pow x3" in notes[0]


def test_the_script_writes_the_shipped_file():
    spec = importlib.util.spec_from_file_location(
        "make_yolov5n_onnx", MODELS / "make_yolov5n_onnx.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.build(320).SerializeToString() == ONNX.read_bytes()
