"""ONNX import: exporter-style graphs with hand-derived shapes and MACs, the ONNX model
zoo's 'light' models shipped in the onnx package (MACs against an independent count
from ONNX's own shape inference), and the zoo's ResNet-50 / MobileNetV2 round-tripped
through an exporter-style ONNX."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper, shape_inference

from soc.errors import WorkloadError
from soc.workloads.models import mobilenetv2
from soc.workloads.onnx_import import load_onnx, unsupported_ops
from soc.workloads.zoo import resnet50
from tests.unit.workloads import onnx_fixtures as fx

LIGHT = Path(onnx.__file__).parent / "backend/test/data/light"
REAL = [
    "light_resnet50",
    "light_squeezenet",
    "light_shufflenet",
    "light_inception_v1",
    "light_densenet121",
    "light_vgg19",
    "light_bvlc_alexnet",
    "light_zfnet512",
]


def kinds(graph) -> list[str]:
    return [n.kind for n in graph.nodes]


def node(graph, name: str):
    return next(n for n in graph.nodes if n.name == name)


def layer_key(layer) -> tuple:
    return (layer.c, layer.k, layer.h, layer.w, layer.r, layer.s, layer.stride, layer.pads,
            layer.groups)  # fmt: skip


# --- exporter-style graphs ---------------------------------------------------------


def test_pytorch_style(tmp_path: Path) -> None:
    g = load_onnx(fx.pytorch_style(tmp_path / "torch.onnx"))
    assert g.inputs == (("input", (3, 32, 32)),)  # the symbolic batch is dropped
    assert kinds(g) == [
        "conv",
        "relu",
        "conv",
        "clip",
        "maxpool",
        "reshape",
        "fc",
        "relu",
        "flatten",
        "fc",
    ]  # fmt: skip  (Shape -> Gather -> Unsqueeze -> Concat folded into the Reshape)
    assert node(g, "/act/Clip").attr("min") == 0.0 and node(g, "/act/Clip").attr("max") == 6.0
    assert node(g, "/Reshape").shape == (32 * 8 * 8,)
    conv1 = node(g, "/conv1/Conv").layer
    assert layer_key(conv1) == (3, 16, 32, 32, 3, 3, 2, (1, 1, 1, 1), 1)
    assert (conv1.p, conv1.q) == (16, 16)
    assert node(g, "/fc1/Gemm").layer.c == 2048 and node(g, "/fc1/Gemm").layer.k == 64
    # conv1 16*16*16 * 3*3*3; conv2 32*16*16 * 16*3*3; fc1 2048*64; fc2 64*10
    assert g.macs == 110_592 + 1_179_648 + 131_072 + 640
    assert g.outputs == ("/fc2/Gemm",)


def test_paddle_style(tmp_path: Path) -> None:
    g = load_onnx(fx.paddle_style(tmp_path / "paddle.onnx"))
    assert g.inputs == (("x", (3, 64, 64)),)  # initializers listed as inputs are constants
    assert kinds(g) == [
        "conv", "add", "clip", "mul", "div", "maxpool", "conv", "relu", "avgpool", "mul",
        "reshape", "fc",
    ]  # fmt: skip
    names = [n.name for n in g.nodes]
    # BN right after a conv is folded into it; the BN after the pool is an element-wise op
    assert "p2o.BatchNormalization.0" not in names and "p2o.BatchNormalization.1" not in names
    bn = node(g, "p2o.BatchNormalization.2")
    assert (bn.kind, bn.op_type, bn.inputs, bn.shape) == (
        "mul", "BatchNormalization", ("p2o.AveragePool.0",), (8, 8, 8),
    )  # fmt: skip
    # HardSwish decomposed: x + 3 reads the conv (its output has two readers, no fold)
    assert node(g, "p2o.Add.0").inputs == ("p2o.Conv.0",)
    assert node(g, "p2o.Mul.0").inputs == ("p2o.Conv.0", "p2o.Clip.0")
    # pools with explicit pads: (32 + 2 - 3) // 2 + 1 = 16, (16 + 2 - 3) // 2 + 1 = 8
    assert node(g, "p2o.MaxPool.0").shape == (8, 16, 16)
    assert node(g, "p2o.AveragePool.0").window.pads == (1, 1, 1, 1)
    dw = node(g, "p2o.Conv.1").layer
    assert (dw.op, dw.groups) == ("dwconv", 8)
    # MatMul + Add bias = one fc; the Add disappears
    assert "p2o.Add.1" not in names and g.outputs == ("p2o.MatMul.0",)
    # conv 8*32*32 * 27; dw 8*16*16 * 9; fc 512*10
    assert g.macs == 221_184 + 18_432 + 5_120


def test_tf2onnx_style(tmp_path: Path) -> None:
    g = load_onnx(fx.tf2onnx_style(tmp_path / "tf.onnx"))
    p = "StatefulPartitionedCall/model"
    assert g.inputs == (("input_1", (96, 96, 3)),)
    assert kinds(g) == [
        "transpose", "conv", "clip", "conv", "clip", "globalavgpool", "fc", "softmax",
    ]  # fmt: skip
    # NHWC -> NCHW is a real transpose on the CPU
    assert node(g, f"{p}/conv1/Conv2D__6").shape == (3, 96, 96)
    # the Pad (0 top/left, 1 bottom/right) is the conv's padding: TF 'SAME' at stride 2
    conv1 = node(g, f"{p}/conv1/Conv2D")
    assert conv1.inputs == (f"{p}/conv1/Conv2D__6",)
    assert layer_key(conv1.layer) == (3, 16, 96, 96, 3, 3, 2, (0, 0, 1, 1), 1)
    assert conv1.shape == (16, 48, 48)
    # SAME_UPPER on 48 at stride 2: out 24, pad (24-1)*2 + 3 - 48 = 1, at the end
    dw = node(g, f"{p}/dw/depthwise").layer
    assert (dw.pads, dw.p, dw.groups) == ((0, 0, 1, 1), 24, 16)
    assert node(g, f"{p}/gap/Mean").shape == (16,)
    assert f"{p}/dense/BiasAdd" not in [n.name for n in g.nodes]
    assert g.macs == 16 * 48 * 48 * 27 + 16 * 24 * 24 * 9 + 16 * 10


def test_resnet50_export_matches_the_zoo(tmp_path: Path) -> None:
    zoo = resnet50()
    g = load_onnx(fx.resnet50_export(tmp_path / "resnet50.onnx", zoo))
    assert [layer_key(a) for a in g.layers] == [layer_key(b) for b in zoo]
    assert g.macs == sum(layer.macs for layer in zoo)
    assert g.layers[4].name == "/layer1/layer1.0/downsample/downsample.0/Conv"
    assert kinds(g).count("add") == 16 and kinds(g).count("relu") == 49


def test_mobilenetv2_export_matches_the_zoo_graph(tmp_path: Path) -> None:
    zoo = mobilenetv2()
    g = load_onnx(fx.graph_export(tmp_path / "mobilenetv2.onnx", zoo))
    assert [layer_key(a) for a in g.layers] == [layer_key(b) for b in zoo.layers]
    assert g.macs == zoo.macs
    assert kinds(g) == kinds(zoo)


# --- the ONNX model zoo's light models ---------------------------------------------


def independent_macs(path: Path) -> tuple[int, int, int]:
    """Conv and Gemm MACs from ONNX's shape inference alone: output elements times the
    weight's per-output reduction (K x C/g x R x S -> C/g x R x S; Gemm K). Also the
    numbers of Conv and Gemm nodes."""
    model = shape_inference.infer_shapes(onnx.load(str(path)))
    shapes = {
        vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
        for vi in [*model.graph.value_info, *model.graph.output, *model.graph.input]
    }
    shapes |= {t.name: list(t.dims) for t in model.graph.initializer}
    macs = convs = gemms = 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            out, w = shapes[n.output[0]], shapes[n.input[1]]
            macs += math.prod(out[1:]) * math.prod(w[1:])
            convs += 1
        elif n.op_type == "Gemm":
            out, w = shapes[n.output[0]], shapes[n.input[1]]
            macs += math.prod(out) * math.prod(w) // out[-1]
            gemms += 1
    return macs, convs, gemms


@pytest.mark.parametrize("name", REAL)
def test_light_model_imports_with_independent_macs(name: str) -> None:
    path = LIGHT / f"{name}.onnx"
    g = load_onnx(path)
    macs, convs, gemms = independent_macs(path)
    assert g.macs == macs
    assert kinds(g).count("conv") == convs and kinds(g).count("fc") == gemms
    assert all(n.op_type in ("LRN",) for n in unsupported_ops(g))


def test_light_resnet50_is_the_zoo_resnet50() -> None:
    """The Caffe2 ResNet-50 of the ONNX zoo strides in the 3x3 (v1.5), like the zoo's."""
    g = load_onnx(LIGHT / "light_resnet50.onnx")
    assert [layer_key(a) for a in g.layers] == [layer_key(b) for b in resnet50()]
    # 53 BatchNormalizations, each right after a conv: all folded
    assert "BatchNormalization" not in {n.op_type for n in g.nodes}
    assert kinds(g).count("add") == 16  # Sum of two = one add


def test_light_vgg19_matches_the_published_count() -> None:
    """He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, Fig. 3:
    VGG-19 is 19.6 billion FLOPs (multiply-adds) at 224 x 224."""
    assert round(load_onnx(LIGHT / "light_vgg19.onnx").macs / 1e9, 1) == 19.6


def test_lrn_is_listed_as_unsupported() -> None:
    g = load_onnx(LIGHT / "light_bvlc_alexnet.onnx")
    lrn = unsupported_ops(g)
    assert [n.op_type for n in lrn] == ["LRN", "LRN"]
    assert lrn[0].shape == g.shape(lrn[0].inputs[0]) == (96, 54, 54)  # (224 - 11) // 4 + 1


# --- single ops ----------------------------------------------------------------------


def one_op(tmp_path, nodes, shape=(1, 8, 16, 16), inits=(), opset=13, name="m.onnx") -> Path:
    """A model of `nodes` over input x; its output (the last node's) typed by ONNX's
    shape inference."""
    graph = helper.make_graph(nodes, "g", [fx.value("x", shape)], [], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    inferred = shape_inference.infer_shapes(model).graph.value_info
    model.graph.output.append(next(v for v in inferred if v.name == nodes[-1].output[0]))
    onnx.save(model, str(tmp_path / name))
    return tmp_path / name


def test_unknown_op_is_other_with_inferred_shapes(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Split", ["x", "split"], ["a", "b"], name="split", axis=1),
        helper.make_node("Elu", ["a"], ["ea"], name="elu"),
        helper.make_node("Concat", ["ea", "b"], ["y"], name="cat", axis=1),
    ]
    g = load_onnx(one_op(tmp_path, nodes, inits=[fx.ints("split", [3, 5])]))
    assert [(n.name, n.kind, n.shape) for n in unsupported_ops(g)] == [
        ("split", "other", (3, 16, 16)),
        ("split:1", "other", (5, 16, 16)),
        ("elu", "other", (3, 16, 16)),
    ]
    assert node(g, "cat").inputs == ("elu", "split:1") and node(g, "cat").shape == (8, 16, 16)


def test_names_fall_back_to_op_and_index(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="act"),
        helper.make_node("Relu", ["a"], ["b"], name="act"),
        helper.make_node("Sigmoid", ["b"], ["y"]),
    ]
    g = load_onnx(one_op(tmp_path, nodes))
    assert [n.name for n in g.nodes] == ["Relu_0", "Relu_1", "Sigmoid_2"]


def test_sum_matmul_resize_and_conv_transpose(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Sum", ["x", "x", "x"], ["s"], name="sum"),
        helper.make_node("Resize", ["s", "", "scales"], ["r"], name="up", mode="nearest"),
        helper.make_node("Resize", ["r", "", "", "sizes"], ["r2"], name="down"),
        helper.make_node("ConvTranspose", ["r2", "wt"], ["ct"], name="deconv", strides=[2, 2],
                         kernel_shape=[2, 2]),
        helper.make_node("Transpose", ["ct"], ["t"], name="t", perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["ct", "t"], ["y"], name="mm"),
    ]  # fmt: skip
    inits = [
        fx.floats("scales", [1, 1, 2, 2]),
        fx.ints("sizes", [1, 8, 12, 12]),
        fx.zeros("wt", 8, 4, 2, 2),
    ]
    g = load_onnx(one_op(tmp_path, nodes, inits=inits))
    assert kinds(g) == ["add", "add", "resize", "resize", "other", "transpose", "matmul"]
    assert node(g, "up").shape == (8, 32, 32) and node(g, "down").shape == (8, 12, 12)
    # ConvTranspose 8 x 12 x 12 in, 4 x 2 x 2 taps each: 4,608 MACs; out 4 x 24 x 24
    assert (node(g, "deconv").macs, node(g, "deconv").shape) == (8 * 144 * 16, (4, 24, 24))
    # batched matmul (4, 24, 24) x (4, 24, 24): 4 * 24 * 24 * 24
    assert node(g, "mm").macs == 4 * 24**3 and node(g, "mm").inputs == ("deconv", "t")


def test_old_opset_upsample_and_clip_attributes(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Clip", ["x"], ["c"], name="relu6", min=0.0, max=6.0),
        helper.make_node("Upsample", ["c", "scales"], ["y"], name="up", mode="nearest"),
    ]
    path = one_op(tmp_path, nodes, inits=[fx.floats("scales", [1, 1, 2, 2])], opset=9)
    g = load_onnx(path)
    assert node(g, "relu6").attr("max") == 6.0 and node(g, "up").shape == (8, 32, 32)


def test_bn_after_a_conv_with_two_readers_stays(tmp_path: Path) -> None:
    bn = ["s", "b", "m", "v"]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("BatchNormalization", ["c", *bn], ["n"], name="bn"),
        helper.make_node("Add", ["c", "n"], ["y"], name="add"),
    ]
    inits = [fx.zeros("w", 8, 8, 1, 1), *(fx.zeros(p, 8) for p in bn)]
    g = load_onnx(one_op(tmp_path, nodes, inits=inits))
    assert kinds(g) == ["conv", "mul", "add"]


def test_pad_that_is_not_a_zero_pad_is_other(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="reflect"),
        helper.make_node("Conv", ["p", "w"], ["y"], name="conv", kernel_shape=[3, 3]),
    ]
    inits = [fx.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), fx.zeros("w", 8, 8, 3, 3)]
    g = load_onnx(one_op(tmp_path, nodes, inits=inits))
    assert [(n.kind, n.shape) for n in g.nodes] == [("other", (8, 18, 18)), ("conv", (8, 16, 16))]


def test_transpose_of_unit_axes_is_free(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["g"], name="gap"),
        helper.make_node("Transpose", ["g"], ["y"], name="t", perm=[0, 2, 3, 1]),
    ]
    g = load_onnx(one_op(tmp_path, nodes))
    assert [(n.kind, n.shape) for n in g.nodes] == [("globalavgpool", (8, 1, 1)),
                                                    ("reshape", (1, 1, 8))]  # fmt: skip


# --- refusals: one line naming the file and the node --------------------------------


def refusal(path: Path) -> str:
    with pytest.raises(WorkloadError) as info:
        load_onnx(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def conv_node(**attrs):
    return helper.make_node("Conv", ["x", "w"], ["y"], name="/features/0/Conv", **attrs)


def test_refuses_a_1d_conv(tmp_path: Path) -> None:
    path = one_op(tmp_path, [conv_node(kernel_shape=[3])], (1, 8, 16), [fx.zeros("w", 4, 8, 3)])
    assert "node /features/0/Conv (Conv): a 1-D convolution" in refusal(path)


def test_refuses_unequal_strides(tmp_path: Path) -> None:
    nodes = [conv_node(kernel_shape=[3, 3], strides=[1, 2])]
    path = one_op(tmp_path, nodes, inits=[fx.zeros("w", 4, 8, 3, 3)])
    assert "node /features/0/Conv (Conv): strides [1, 2] differ" in refusal(path)


def test_refuses_a_weight_that_is_not_a_constant(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Reshape", ["x", "wshape"], ["w"], name="make_w"),
        conv_node(kernel_shape=[2, 2]),
    ]
    path = one_op(tmp_path, nodes, (1, 8, 4, 4), [fx.ints("wshape", [4, 8, 2, 2])])
    assert "node /features/0/Conv (Conv): the weight is not a constant" in refusal(path)


def test_refuses_batch_2_and_symbolic_sizes(tmp_path: Path) -> None:
    relu = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    assert "batch 2" in refusal(one_op(tmp_path, relu, (2, 8, 4, 4), name="b2.onnx"))
    symbolic = one_op(tmp_path, relu, (1, 8, "height", 4), name="h.onnx")
    assert "symbolic dimension 'height'" in refusal(symbolic)


def test_refuses_truncated_and_missing_files(tmp_path: Path) -> None:
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes((LIGHT / "light_resnet50.onnx").read_bytes()[:1000])
    assert "malformed or truncated" in refusal(truncated)
    assert "cannot read" in refusal(tmp_path / "absent.onnx")


def test_refuses_an_old_opset(tmp_path: Path) -> None:
    path = one_op(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], opset=6)
    assert "opset 6 is older than 7" in refusal(path)


def test_constant_of_shape_weights_stay_unallocated(tmp_path: Path) -> None:
    """A weight made by ConstantOfShape (as in the light models) is a constant whose
    shape the conv reads; folding it allocates nothing the size of the weight."""
    nodes = [
        helper.make_node("ConstantOfShape", ["wshape"], ["w"],
                         value=numpy_helper.from_array(np.array([0.02], np.float32))),
        conv_node(kernel_shape=[1, 1]),
    ]  # fmt: skip
    g = load_onnx(one_op(tmp_path, nodes, inits=[fx.ints("wshape", [4096, 8, 1, 1])]))
    assert g.layers[0].k == 4096 and g.macs == 4096 * 8 * 16 * 16


def test_auto_pad_same_lower_and_valid(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"], name="lower", kernel_shape=[3, 3],
                         strides=[2, 2], auto_pad="SAME_LOWER"),
        helper.make_node("Conv", ["a", "w2"], ["y"], name="valid", kernel_shape=[3, 3],
                         auto_pad="VALID"),
    ]  # fmt: skip
    g = load_onnx(
        one_op(tmp_path, nodes, inits=[fx.zeros("w", 4, 8, 3, 3), fx.zeros("w2", 4, 4, 3, 3)])
    )
    # SAME_LOWER, 16 at stride 2: out 8, pad (8-1)*2 + 3 - 16 = 1, at the start
    assert g.layers[0].pads == (1, 1, 0, 0) and node(g, "lower").shape == (4, 8, 8)
    assert g.layers[1].pads == (0, 0, 0, 0) and node(g, "valid").shape == (4, 6, 6)


def test_gemm_trans_a_with_alpha_beta_is_an_fc(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="t", perm=[1, 0]),
        helper.make_node("Gemm", ["xt", "w", "b"], ["y"], name="fc", transA=1, alpha=0.5,
                         beta=2.0),
    ]  # fmt: skip
    g = load_onnx(one_op(tmp_path, nodes, (1, 16), [fx.zeros("w", 16, 4), fx.zeros("b", 4)]))
    assert kinds(g) == ["reshape", "fc"]  # a transpose of a unit axis moves no data
    assert (g.layers[0].c, g.layers[0].k, g.macs) == (16, 4, 64)
