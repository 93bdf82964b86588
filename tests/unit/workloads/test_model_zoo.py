"""The model-zoo graphs against published MAC and parameter totals and their structure.

Expected values come from outside the code: torchvision's model docs (exact parameter
counts, GFLOPS = multiply-adds), the papers' tables, Ultralytics' model summary, and
hand arithmetic written out here. Our parameters fold batch norm into a conv bias (one
per channel); torchvision and Ultralytics count BN's gamma and beta instead (two per
channel), so their count = ours + one per BN channel, the BN term computed separately.
"""

from __future__ import annotations

import pytest

from soc.errors import WorkloadError
from soc.workloads import zoo
from soc.workloads.graph import Graph
from soc.workloads.models import GRAPHS, ds_cnn, mobilenetv2, mobilenetv3_small, resnet50, yolov5n


def _convs(graph: Graph):
    return [layer for layer in graph.layers if layer.op != "fc"]


def _kinds(graph: Graph, kind: str) -> int:
    return sum(node.kind == kind for node in graph.nodes)


def _within(value: float, published: float, tolerance: float) -> bool:
    return abs(value - published) <= tolerance


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_graph_checks(name):
    graph = GRAPHS[name]()
    assert graph.check() is graph
    assert graph.name == name
    assert all(node.layer is None or node.macs == node.layer.macs for node in graph.nodes)


# ResNet-50 -------------------------------------------------------------------------


def test_resnet50_layers_are_the_flat_zoo_layers():
    fields = ("name", "op", "c", "k", "h", "w", "r", "s", "stride", "pads", "groups", "dilation")
    ours, flat = resnet50().layers, zoo.resnet50()
    assert len(ours) == len(flat) == 54  # 53 convs + fc
    for a, b in zip(ours, flat, strict=True):
        assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}


def test_resnet50_published_totals():
    graph = resnet50()
    # BN channels by hand: conv1 64; each bottleneck w + w + 4w; each downsample 4w
    bn = 64 + sum(blocks * 6 * w + 4 * w for w, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)))
    assert bn == 26_560 == sum(layer.k for layer in _convs(graph))
    assert graph.parameters + bn == 25_557_032  # torchvision resnet50 num_params
    assert round(graph.parameters / 1e6, 1) == 25.5  # folded; the 25.6 M is with BN
    assert round((graph.parameters + bn) / 1e6, 1) == 25.6
    assert _within(graph.macs, 4.09e9, 0.005e9)  # torchvision: 4.09 GFLOPS (MACs)
    assert round(graph.macs / 1e9, 1) == 4.1
    assert graph.shape("fc") == (1000,) and graph.layers[-1].macs == 2048 * 1000


def test_resnet50_structure():
    graph = resnet50()
    assert graph.shape("input") == (3, 224, 224)
    assert graph.shape("pool1") == (64, 56, 56)
    assert graph.shape("layer4.2.relu") == (2048, 7, 7)
    assert graph.outputs == ("fc",) and graph.shape("fc") == (1000,)
    assert _kinds(graph, "add") == 16 and _kinds(graph, "relu") == 1 + 16 * 3
    assert resnet50(softmax=True).shape("softmax") == (1000,)


# MobileNetV2 -----------------------------------------------------------------------


def test_mobilenetv2_published_totals():
    graph = mobilenetv2()
    bn = sum(layer.k for layer in _convs(graph))  # every conv has a BN
    assert graph.parameters + bn == 3_504_872  # torchvision mobilenet_v2 num_params
    assert int(graph.parameters / 1e5) == 34  # the paper's 3.4 M, truncated
    assert _within(graph.macs, 300e6, 0.005 * 300e6)  # the paper: 300 M multiply-adds
    assert round(graph.macs / 1e9, 2) == 0.30  # torchvision: 0.30 GFLOPS


def test_mobilenetv2_structure():
    graph = mobilenetv2()
    layers = graph.layers
    assert sum(layer.op == "dwconv" for layer in layers) == 17
    # adds where stride 1 and channels repeat: 24 x1, 32 x2, 64 x3, 96 x2, 160 x2
    assert _kinds(graph, "add") == 1 + 2 + 3 + 2 + 2
    clips = [n for n in graph.nodes if n.kind == "clip"]
    assert len(clips) == 1 + 17 + 16 + 1  # first conv, dw, expansions, last conv
    assert all(n.attr("min") == 0.0 and n.attr("max") == 6.0 for n in clips)
    assert graph.shape("features.18.2") == (1280, 7, 7)
    assert graph.outputs == ("classifier.1",) and graph.shape("classifier.1") == (1000,)


# MobileNetV3-Small -----------------------------------------------------------------


def test_mobilenetv3_small_published_totals():
    graph = mobilenetv3_small()
    se = [layer for layer in graph.layers if ".fc" in layer.name]
    bn = sum(layer.k for layer in _convs(graph) if layer not in se)  # SE convs: no BN
    assert graph.parameters + bn == 2_542_856  # torchvision mobilenet_v3_small num_params
    assert round(graph.parameters / 1e6, 1) == 2.5  # the paper: 2.5 M
    assert round(graph.macs / 1e9, 2) == 0.06  # torchvision: 0.06 GFLOPS
    # the paper's 56 M MAdds: ours is 0.9 % above; without the SE convs it rounds to 56
    assert _within(graph.macs, 56e6, 0.01 * 56e6)
    assert round((graph.macs - sum(layer.macs for layer in se)) / 1e6) == 56


def test_mobilenetv3_small_structure():
    graph = mobilenetv3_small()
    assert sum(layer.op == "dwconv" for layer in graph.layers) == 11
    assert _kinds(graph, "mul") == 9 == _kinds(graph, "hardsigmoid")  # SE in 9 of 11 bnecks
    # squeeze widths: make_divisible(expanded / 4, 8)
    squeeze = [layer.k for layer in graph.layers if layer.name.endswith(".fc1")]
    assert squeeze == [8, 24, 64, 64, 32, 40, 72, 144, 144]
    assert _kinds(graph, "add") == 6  # blocks 3, 5, 6, 8, 10, 11
    assert graph.shape("features.12.2") == (576, 7, 7)
    assert graph.shape("classifier.0") == (1024,)
    assert graph.outputs == ("classifier.3",) and graph.shape("classifier.3") == (1000,)


# YOLOv5n ---------------------------------------------------------------------------


def test_yolov5n_published_totals():
    graph = yolov5n()
    assert graph.parameters == 1_867_405  # Ultralytics' fused summary line
    bn = sum(layer.k for layer in _convs(graph) if not layer.name.startswith("model.24"))
    assert graph.parameters + bn == 1_872_157  # unfused (BN gamma and beta)
    assert round(graph.parameters / 1e6, 1) == 1.9  # README: 1.9 M
    assert round(2 * graph.macs / 1e9, 1) == 4.5  # README: 4.5 GFLOPs = 2 x thop MACs
    assert yolov5n(320).macs * 4 == graph.macs  # every map scales with the input


def test_yolov5n_structure():
    graph = yolov5n()
    assert [graph.shape(o) for o in graph.outputs] == [
        (255, 80, 80),
        (255, 40, 40),
        (255, 20, 20),
    ]
    small = yolov5n(320)
    assert [small.shape(o) for o in small.outputs] == [
        (255, 40, 40),
        (255, 20, 20),
        (255, 10, 10),
    ]
    one_class = yolov5n(classes=1)
    assert one_class.shape(one_class.outputs[0]) == (3 * (1 + 5), 80, 80)
    assert _kinds(graph, "silu") == len(graph.layers) - 3  # all but the Detect convs
    assert _kinds(graph, "maxpool") == 3 and _kinds(graph, "resize") == 2
    assert _kinds(graph, "add") == 1 + 2 + 3 + 1  # the backbone C3s' bottlenecks
    assert graph.shape("model.9.cat") == (4 * 128, 20, 20)
    with pytest.raises(WorkloadError, match="multiple of 32"):
        yolov5n(300)


# DS-CNN ----------------------------------------------------------------------------


def test_ds_cnn_published_totals():
    published = ds_cnn(12)  # Hello Edge's DS-CNN S has the 12 Speech Commands labels
    assert published.parameters == 2_624 + 4 * 4_800 + 780 == 22_604
    assert published.macs == 320_000 + 4 * 584_000 + 768 == 2_656_768
    # 38.6 KB: 8-bit weights + biases and two 8-bit 64 x 25 x 5 activation buffers
    assert round((published.parameters + 2 * 64 * 25 * 5) / 1e3, 1) == 38.6
    # 5.4 M ops: a multiply and an add per MAC, a bias add per output
    assert round((2 * published.macs + 9 * 64 * 25 * 5 + 12) / 1e6, 1) == 5.4
    ours = ds_cnn()  # the 10 classes: fc 64 x 10 + 10
    assert ours.parameters == 22_604 - 2 * (64 + 1) == 22_474
    assert ours.macs == 2_656_768 - 2 * 64 == 2_656_640


def test_ds_cnn_structure():
    graph = ds_cnn()
    first = graph.layers[0]
    # TF 'SAME' at stride 2: out ceil(49/2) = 25, ceil(10/2) = 5; padding 9 rows
    # (4 top, 5 bottom) and 2 columns (1 left, 1 right)
    assert first.pads == (4, 1, 5, 1) and (first.p, first.q) == (25, 5)
    assert graph.shape("mfcc") == (1, 49, 10)
    assert sum(layer.op == "dwconv" for layer in graph.layers) == 4
    assert all(graph.shape(layer.name) == (64, 25, 5) for layer in graph.layers[:-1])
    assert graph.shape("avgpool") == (64, 1, 1)
    assert graph.outputs == ("fc",) and graph.shape("fc") == (10,)


def test_resnet50_v1_totals():
    """He et al., CVPR 2016, Table 1: ResNet-50 (v1) "3.8 x 10^9 FLOPs" (multiply-adds,
    to one decimal, cut); v1 and v1.5 have the same parameters."""
    graph = GRAPHS["resnet50_v1"]()
    assert graph.macs == 3_857_973_248  # v1.5's 4,089,184,256 minus 3 x 77,070,336
    assert 3.8e9 <= graph.macs < 3.9e9
    assert graph.parameters == resnet50().parameters
