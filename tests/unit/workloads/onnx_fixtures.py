"""ONNX graphs for the importer's tests, written with onnx.helper the way real exporters
write them (PyTorch, Paddle2ONNX, TF2ONNX), and an exporter-style ResNet-50 / any zoo
graph. Weights are zeros of the right shapes: only shapes matter to the importer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from soc.workloads.graph import Graph
from soc.workloads.layers import Layer

FLOAT = TensorProto.FLOAT


def zeros(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def ints(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def floats(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.float32), name)


def const(name: str, value: np.ndarray) -> onnx.NodeProto:
    """A Constant node, as PyTorch writes small tensors."""
    return helper.make_node(
        "Constant", [], [name], name=f"/{name}/Constant", value=numpy_helper.from_array(value)
    )


def save(
    path: Path,
    nodes,
    inputs,
    outputs,
    inits=(),
    opset: int = 13,
    inits_as_inputs: bool = False,
) -> Path:
    graph_inputs = list(inputs)
    if inits_as_inputs:  # old exporters list every initializer as a graph input too
        graph_inputs += [
            helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits
        ]
    graph = helper.make_graph(list(nodes), path.stem, graph_inputs, list(outputs), list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def value(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, FLOAT, list(shape))


def pytorch_style(path: Path) -> Path:
    """torch.onnx.export of a small CNN: BN folded into the convs (they have biases),
    ReLU, ReLU6 as Clip with min / max inputs, `x.view(x.size(0), -1)` as
    Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Gemm(transB=1), Flatten.
    Input 3 x 32 x 32 with a symbolic batch."""
    n = helper.make_node
    nodes = [
        n("Conv", ["input", "conv1.weight", "conv1.bias"], ["/conv1/Conv_output_0"],
          name="/conv1/Conv", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        n("Relu", ["/conv1/Conv_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
        n("Conv", ["/relu/Relu_output_0", "conv2.weight", "conv2.bias"],
          ["/conv2/Conv_output_0"], name="/conv2/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        const("min", np.array(0.0, np.float32)),
        const("max", np.array(6.0, np.float32)),
        n("Clip", ["/conv2/Conv_output_0", "min", "max"], ["/act/Clip_output_0"],
          name="/act/Clip"),
        n("MaxPool", ["/act/Clip_output_0"], ["/pool/MaxPool_output_0"], name="/pool/MaxPool",
          kernel_shape=[2, 2], strides=[2, 2]),
        n("Shape", ["/pool/MaxPool_output_0"], ["/Shape_output_0"], name="/Shape"),
        const("zero", np.array(0, np.int64)),
        n("Gather", ["/Shape_output_0", "zero"], ["/Gather_output_0"], name="/Gather", axis=0),
        const("axes0", np.array([0], np.int64)),
        n("Unsqueeze", ["/Gather_output_0", "axes0"], ["/Unsqueeze_output_0"],
          name="/Unsqueeze"),
        const("minus1", np.array([-1], np.int64)),
        n("Concat", ["/Unsqueeze_output_0", "minus1"], ["/Concat_output_0"], name="/Concat",
          axis=0),
        n("Reshape", ["/pool/MaxPool_output_0", "/Concat_output_0"], ["/Reshape_output_0"],
          name="/Reshape"),
        n("Gemm", ["/Reshape_output_0", "fc1.weight", "fc1.bias"], ["/fc1/Gemm_output_0"],
          name="/fc1/Gemm", alpha=1.0, beta=1.0, transB=1),
        n("Relu", ["/fc1/Gemm_output_0"], ["/relu_1/Relu_output_0"], name="/relu_1/Relu"),
        n("Flatten", ["/relu_1/Relu_output_0"], ["/Flatten_output_0"], name="/Flatten", axis=1),
        n("Gemm", ["/Flatten_output_0", "fc2.weight", "fc2.bias"], ["output"],
          name="/fc2/Gemm", alpha=1.0, beta=1.0, transB=1),
    ]  # fmt: skip
    inits = [
        zeros("conv1.weight", 16, 3, 3, 3),
        zeros("conv1.bias", 16),
        zeros("conv2.weight", 32, 16, 3, 3),
        zeros("conv2.bias", 32),
        zeros("fc1.weight", 64, 2048),
        zeros("fc1.bias", 64),
        zeros("fc2.weight", 10, 64),
        zeros("fc2.bias", 10),
    ]
    inputs = [value("input", ["batch_size", 3, 32, 32])]
    return save(path, nodes, inputs, [value("output", ["batch_size", 10])], inits, opset=13)


def paddle_style(path: Path) -> Path:
    """Paddle2ONNX (opset 11) of a small CNN: Conv + a separate BatchNormalization,
    HardSwish decomposed as x * Clip(x + 3, 0, 6) / 6, pools with explicit pads, a
    BatchNormalization after a pool (not foldable), Reshape with a constant shape, FC as
    MatMul + Add; every initializer is also listed as a graph input. Input 3 x 64 x 64."""
    n = helper.make_node
    bn = ["scale", "bias", "mean", "var"]
    nodes = [
        n("Conv", ["x", "conv2d_0.w_0"], ["conv2d_0.tmp_0"], name="p2o.Conv.0",
          kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], dilations=[1, 1], group=1),
        n("BatchNormalization", ["conv2d_0.tmp_0", *(f"bn0.{p}" for p in bn)],
          ["batch_norm_0.tmp_2"], name="p2o.BatchNormalization.0", epsilon=1e-5),
        n("Add", ["batch_norm_0.tmp_2", "three"], ["hs.add"], name="p2o.Add.0"),
        n("Clip", ["hs.add", "zero", "six"], ["hs.clip"], name="p2o.Clip.0"),
        n("Mul", ["batch_norm_0.tmp_2", "hs.clip"], ["hs.mul"], name="p2o.Mul.0"),
        n("Div", ["hs.mul", "six"], ["hardswish_0.tmp_0"], name="p2o.Div.0"),
        n("MaxPool", ["hardswish_0.tmp_0"], ["pool2d_0.tmp_0"], name="p2o.MaxPool.0",
          kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        n("Conv", ["pool2d_0.tmp_0", "depthwise_conv2d_0.w_0"], ["depthwise_conv2d_0.tmp_0"],
          name="p2o.Conv.1", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], group=8),
        n("BatchNormalization", ["depthwise_conv2d_0.tmp_0", *(f"bn1.{p}" for p in bn)],
          ["batch_norm_1.tmp_2"], name="p2o.BatchNormalization.1", epsilon=1e-5),
        n("Relu", ["batch_norm_1.tmp_2"], ["relu_0.tmp_0"], name="p2o.Relu.0"),
        n("AveragePool", ["relu_0.tmp_0"], ["pool2d_1.tmp_0"], name="p2o.AveragePool.0",
          kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["pool2d_1.tmp_0", *(f"bn2.{p}" for p in bn)],
          ["batch_norm_2.tmp_2"], name="p2o.BatchNormalization.2", epsilon=1e-5),
        n("Reshape", ["batch_norm_2.tmp_2", "shape_512"], ["reshape2_0.tmp_0"],
          name="p2o.Reshape.0"),
        n("MatMul", ["reshape2_0.tmp_0", "linear_0.w_0"], ["linear_0.tmp_0"],
          name="p2o.MatMul.0"),
        n("Add", ["linear_0.tmp_0", "linear_0.b_0"], ["linear_0.tmp_1"], name="p2o.Add.1"),
    ]  # fmt: skip
    inits = [
        zeros("conv2d_0.w_0", 8, 3, 3, 3),
        *(zeros(f"bn0.{p}", 8) for p in bn),
        floats("three", 3.0),
        floats("zero", 0.0),
        floats("six", 6.0),
        zeros("depthwise_conv2d_0.w_0", 8, 1, 3, 3),
        *(zeros(f"bn1.{p}", 8) for p in bn),
        *(zeros(f"bn2.{p}", 8) for p in bn),
        ints("shape_512", [1, 512]),
        zeros("linear_0.w_0", 512, 10),
        zeros("linear_0.b_0", 10),
    ]
    return save(
        path,
        nodes,
        [value("x", [1, 3, 64, 64])],
        [value("linear_0.tmp_1", [1, 10])],
        inits,
        opset=11,
        inits_as_inputs=True,
    )


def tf2onnx_style(path: Path) -> Path:
    """tf2onnx (opset 13) of a Keras CNN: an NHWC input and a Transpose to NCHW; TF's
    'SAME' padding of a stride-2 conv on an even input as an explicit Pad (0 top / left,
    1 bottom / right) before the conv; ReLU6 as Clip; a depthwise conv with
    auto_pad SAME_UPPER; global pooling as ReduceMean over H, W; Dense as MatMul + Add;
    Softmax. Input 96 x 96 x 3 with a symbolic batch."""
    n = helper.make_node
    p = "StatefulPartitionedCall/model"
    nodes = [
        n("Transpose", ["input_1"], ["input_1_nchw"], name=f"{p}/conv1/Conv2D__6",
          perm=[0, 3, 1, 2]),
        n("Pad", ["input_1_nchw", "pads", "pad_value"], ["padded"], name=f"{p}/zero_pad/Pad",
          mode="constant"),
        n("Conv", ["padded", "conv1_w", "conv1_b"], ["conv1"], name=f"{p}/conv1/Conv2D",
          kernel_shape=[3, 3], strides=[2, 2], dilations=[1, 1], group=1),
        n("Clip", ["conv1", "clip_min", "clip_max"], ["relu6_1"], name=f"{p}/relu6_1/Relu6"),
        n("Conv", ["relu6_1", "dw_w", "dw_b"], ["dw"], name=f"{p}/dw/depthwise",
          kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER", group=16),
        n("Clip", ["dw", "clip_min", "clip_max"], ["relu6_2"], name=f"{p}/relu6_2/Relu6"),
        n("ReduceMean", ["relu6_2"], ["gap"], name=f"{p}/gap/Mean", axes=[2, 3], keepdims=0),
        n("MatMul", ["gap", "dense_w"], ["dense_mm"], name=f"{p}/dense/MatMul"),
        n("Add", ["dense_mm", "dense_b"], ["dense"], name=f"{p}/dense/BiasAdd"),
        n("Softmax", ["dense"], ["probs"], name=f"{p}/dense/Softmax", axis=-1),
    ]  # fmt: skip
    inits = [
        ints("pads", [0, 0, 0, 0, 0, 0, 1, 1]),
        floats("pad_value", 0.0),
        zeros("conv1_w", 16, 3, 3, 3),
        zeros("conv1_b", 16),
        floats("clip_min", 0.0),
        floats("clip_max", 6.0),
        zeros("dw_w", 16, 1, 3, 3),
        zeros("dw_b", 16),
        zeros("dense_w", 16, 10),
        zeros("dense_b", 10),
    ]
    inputs = [value("input_1", ["unk__12", 96, 96, 3])]
    return save(path, nodes, inputs, [value("probs", ["unk__12", 10])], inits, opset=13)


def resnet50_export(path: Path, layers: list[Layer]) -> Path:
    """torch.onnx.export of torchvision's ResNet-50 (BN folded, as the exporter's
    do_constant_folding leaves it), written from a zoo layer list: the stem conv + ReLU +
    MaxPool 3x3/2 pad 1, bottleneck blocks (conv1 / conv2 / conv3 + ReLU, the
    downsample conv where the list has one, Add, ReLU), GlobalAveragePool, Flatten,
    Gemm. Node names are the exporter's ('/layer1/layer1.0/conv1/Conv')."""
    n = helper.make_node
    nodes, inits = [], []

    def conv(layer: Layer, x: str, scope: str) -> str:
        inits.extend(
            [
                zeros(f"{scope}.weight", layer.k, layer.c // layer.groups, layer.r, layer.s),
                zeros(f"{scope}.bias", layer.k),
            ]
        )
        out = f"/{scope.replace('.', '/')}/Conv_output_0"
        nodes.append(
            n("Conv", [x, f"{scope}.weight", f"{scope}.bias"], [out],
              name=_torch_name(scope, "Conv"), kernel_shape=[layer.r, layer.s],
              strides=[layer.stride] * 2, pads=list(layer.pads), group=layer.groups)
        )  # fmt: skip
        return out

    def relu(x: str, scope: str) -> str:
        out = f"{x}_relu"
        nodes.append(n("Relu", [x], [out], name=_torch_name(scope, "Relu")))
        return out

    x = "input"
    block_in = residual = ""
    for layer in layers:
        if layer.name == "conv1":
            x = relu(conv(layer, x, "conv1"), "relu")
            nodes.append(
                n("MaxPool", [x], ["pool"], name="/maxpool/MaxPool", kernel_shape=[3, 3],
                  strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=0)
            )  # fmt: skip
            x = block_in = "pool"
        elif layer.op == "fc":
            nodes.append(n("GlobalAveragePool", [x], ["gap"], name="/avgpool/GlobalAveragePool"))
            nodes.append(n("Flatten", ["gap"], ["flat"], name="/Flatten", axis=1))
            inits += [zeros("fc.weight", layer.k, layer.c), zeros("fc.bias", layer.k)]
            nodes.append(
                n("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], name="/fc/Gemm",
                  alpha=1.0, beta=1.0, transB=1)
            )  # fmt: skip
        else:
            stage, block, part = layer.name.split(".")  # 'layer1', '0', 'conv1'
            scope = f"{stage}.{stage}.{block}"
            if part == "conv1":
                block_in = residual = x
                x = relu(conv(layer, x, f"{scope}.conv1"), f"{scope}.relu")
            elif part == "conv2":
                x = relu(conv(layer, x, f"{scope}.conv2"), f"{scope}.relu_1")
            elif part == "conv3":
                x = conv(layer, x, f"{scope}.conv3")
            else:
                residual = conv(layer, block_in, f"{scope}.downsample.downsample.0")
            if part in ("conv3", "downsample"):
                is_last = part == "downsample" or not any(
                    other.name == f"{stage}.{block}.downsample" for other in layers
                )
                if is_last:
                    add = f"/{scope.replace('.', '/')}/Add_output_0"
                    nodes.append(n("Add", [x, residual], [add], name=_torch_name(scope, "Add")))
                    x = relu(add, f"{scope}.relu_2")
    first = layers[0]
    inputs = [value("input", [1, first.c, first.h, first.w])]
    return save(path, nodes, inputs, [value("output", [1, layers[-1].k])], inits)


def _torch_name(scope: str, op: str) -> str:
    """'layer1.layer1.0.conv1' -> '/layer1/layer1.0/conv1/Conv', as torch.onnx names."""
    parts: list[str] = []
    for part in scope.split("."):
        if part.isdigit():
            parts[-1] += f".{part}"
        else:
            parts.append(part)
    return "/" + "/".join(parts) + f"/{op}"


def graph_export(path: Path, graph: Graph) -> Path:
    """An ONNX of a zoo operator graph, op for op, as torch.onnx writes it (BN folded,
    ReLU6 as Clip with min / max inputs, Flatten + Gemm): convs, fcs, activations,
    element-wise adds, pools, reshapes and softmax; node names '/' + the graph's
    (dots as slashes) + '/' + the ONNX op."""
    n = helper.make_node
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = [floats("relu6.min", 0.0), floats("relu6.max", 6.0)]
    ops = {"relu": "Relu", "sigmoid": "Sigmoid", "hardswish": "HardSwish", "add": "Add"}
    ops |= {"mul": "Mul", "hardsigmoid": "HardSigmoid", "softmax": "Softmax"}
    shapes = graph.shapes()
    for node in graph.nodes:
        name = "/" + node.name.replace(".", "/")
        xs, out = list(node.inputs), node.name
        if node.layer is not None and node.kind == "conv":
            lay = node.layer
            inits += [zeros(f"{out}.w", lay.k, lay.c // lay.groups, lay.r, lay.s)]
            inits += [zeros(f"{out}.b", lay.k)]
            nodes.append(
                n("Conv", [xs[0], f"{out}.w", f"{out}.b"], [out], name=f"{name}/Conv",
                  kernel_shape=[lay.r, lay.s], strides=[lay.stride] * 2, pads=list(lay.pads),
                  group=lay.groups, dilations=[lay.dilation] * 2)
            )  # fmt: skip
        elif node.kind == "fc":
            inits += [
                zeros(f"{out}.w", node.layer.k, node.layer.c),
                zeros(f"{out}.b", node.layer.k),
            ]
            nodes.append(
                n("Gemm", [xs[0], f"{out}.w", f"{out}.b"], [out], name=f"{name}/Gemm", transB=1)
            )
        elif node.kind == "clip":
            nodes.append(n("Clip", [xs[0], "relu6.min", "relu6.max"], [out], name=f"{name}/Clip"))
        elif node.kind in ("globalavgpool", "globalmaxpool"):
            op = "GlobalAveragePool" if node.kind == "globalavgpool" else "GlobalMaxPool"
            nodes.append(n(op, xs, [out], name=f"{name}/{op}"))
        elif node.kind in ("flatten", "reshape"):
            nodes.append(n("Flatten", xs, [out], name=f"{name}/Flatten", axis=1))
        elif node.kind in ops:
            nodes.append(n(ops[node.kind], xs, [out], name=f"{name}/{ops[node.kind]}"))
        else:
            raise ValueError(f"graph_export: no ONNX op for {node.kind} ({node.name})")
    (inp, shape), *_ = graph.inputs
    inputs = [value(inp, [1, *shape])]
    outs = [value(o, [1, *shapes[o]]) for o in graph.outputs]
    return save(path, nodes, inputs, outs, inits)
