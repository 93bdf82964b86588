"""A small CNN written with onnx.helper for the measured-sparsity tests, its weights
random with some exactly zero, and an independent numpy count of the non-zero
(activation, weight) pairs of a convolution.

conv1 3x3 (+ BN, one channel's gamma 0) + ReLU -> zero Pad -> dw2 3x3 depthwise, stride
2 + ReLU -> pw3 1x1 + ReLU -> Flatten -> fc4 (Gemm, transB). The real image is the
photograph matplotlib ships (`matplotlib.cbook.get_sample_data('grace_hopper.jpg')`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 32  # the model's input is 1 x 3 x SIZE x SIZE
EPS = 1e-5
# ImageNet's per-channel statistics, on 0..1 pixels
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
LAYERS = ("conv1", "dw2", "pw3", "fc4")
# each layer's input tensor in the ONNX graph (dw2 reads relu1 through the folded Pad)
INPUTS = {"conv1": "image", "dw2": "relu1", "pw3": "relu2", "fc4": "flat"}


def grace_hopper() -> Path:
    from matplotlib.cbook import get_sample_data

    return Path(get_sample_data("grace_hopper.jpg", asfileobj=False))


def _sparse(rng: np.random.Generator, shape: tuple[int, ...], zeros: float) -> np.ndarray:
    """Normal weights with a fraction `zeros` of them exactly 0."""
    w = rng.normal(0.0, 0.5, shape).astype(np.float32)
    w[rng.random(shape) < zeros] = 0.0
    return w


@dataclass(frozen=True)
class Weights:
    conv1: np.ndarray  # 8 x 3 x 3 x 3
    gamma: np.ndarray  # BN after conv1
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    dw2: np.ndarray  # 8 x 1 x 3 x 3
    pw3: np.ndarray  # 16 x 8 x 1 x 1
    fc4: np.ndarray  # 10 x 4096 (transB)


def weights(seed: int = 0) -> Weights:
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    gamma[5] = 0.0  # a pruned channel: its folded filter is all zero
    return Weights(
        conv1=_sparse(rng, (8, 3, 3, 3), 0.2),
        gamma=gamma,
        beta=rng.normal(0.0, 0.3, 8).astype(np.float32),
        mean=rng.normal(0.0, 0.2, 8).astype(np.float32),
        var=rng.uniform(0.5, 2.0, 8).astype(np.float32),
        dw2=_sparse(rng, (8, 1, 3, 3), 0.3),
        pw3=_sparse(rng, (16, 8, 1, 1), 0.5),
        fc4=_sparse(rng, (10, 16 * 16 * 16), 0.4),
    )


def model(w: Weights, outputs: tuple[str, ...] = ()) -> onnx.ModelProto:
    """The CNN; `outputs` adds intermediate tensors to the graph's outputs."""
    f = numpy_helper.from_array
    inits = [
        f(w.conv1, "conv1.weight"),
        f(np.full(8, 0.1, np.float32), "conv1.bias"),
        f(w.gamma, "bn1.scale"),
        f(w.beta, "bn1.bias"),
        f(w.mean, "bn1.mean"),
        f(w.var, "bn1.var"),
        f(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pad2.pads"),
        f(w.dw2, "dw2.weight"),
        f(w.pw3, "pw3.weight"),
        f(w.fc4, "fc4.weight"),
        f(np.zeros(10, np.float32), "fc4.bias"),
    ]
    node = helper.make_node
    nodes = [
        node("Conv", ["image", "conv1.weight", "conv1.bias"], ["conv1_out"], name="conv1",
             kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["conv1_out", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
             ["bn1_out"], name="bn1", epsilon=EPS),
        node("Relu", ["bn1_out"], ["relu1"], name="relu1"),
        node("Pad", ["relu1", "pad2.pads"], ["padded"], name="pad2", mode="constant"),
        node("Conv", ["padded", "dw2.weight"], ["dw2_out"], name="dw2", kernel_shape=[3, 3],
             strides=[2, 2], group=8),
        node("Relu", ["dw2_out"], ["relu2"], name="relu2"),
        node("Conv", ["relu2", "pw3.weight"], ["pw3_out"], name="pw3", kernel_shape=[1, 1]),
        node("Relu", ["pw3_out"], ["relu3"], name="relu3"),
        node("Flatten", ["relu3"], ["flat"], name="flatten", axis=1),
        node("Gemm", ["flat", "fc4.weight", "fc4.bias"], ["logits"], name="fc4", transB=1),
    ]  # fmt: skip
    shapes = {"relu1": (1, 8, SIZE, SIZE), "relu2": (1, 8, 16, 16), "flat": (1, 4096)}
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, (1, 10))]
    outs += [helper.make_tensor_value_info(t, TensorProto.FLOAT, shapes.get(t)) for t in outputs]
    graph = helper.make_graph(
        nodes,
        "measured",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, (1, 3, SIZE, SIZE))],
        outs,
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def save(path: Path, w: Weights) -> Path:
    onnx.save(model(w), str(path))
    return path


def image_tensor() -> np.ndarray:
    """grace_hopper.jpg as the scenario's measure block asks: Pillow's bilinear resize to
    SIZE x SIZE, 0..1, ImageNet-normalised, 1 x 3 x H x W."""
    from PIL import Image

    with Image.open(grace_hopper()) as image:
        small = image.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR)
        pixels = np.asarray(small, dtype=np.float32) / np.float32(255.0)
    x = (pixels - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def ort_values(w: Weights, x: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The tensors `names` when onnxruntime runs the model (as written, no optimisation,
    one thread)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1  # bit-exact values whatever the machine's cores
    session = ort.InferenceSession(
        model(w, names).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return dict(zip(names, session.run(list(names), {"image": x}), strict=True))


def pairs(
    ifmap: np.ndarray, filters: np.ndarray, stride: int = 1, pads: int = 0, groups: int = 1
) -> int:
    """Non-zero (activation, weight) pairs of a convolution, by explicit im2col: IF
    C x H x W, filters K x C/groups x R x S, the same zero padding on every side."""
    x = np.pad(ifmap != 0, ((0, 0), (pads, pads), (pads, pads)))
    k, cg, r, s = filters.shape
    p = (x.shape[1] - r) // stride + 1
    q = (x.shape[2] - s) // stride + 1
    total = 0
    for g in range(groups):
        # columns: one row per (c, r, s) tap of the group, one column per output pixel
        cols = np.empty((cg * r * s, p * q), dtype=np.int64)
        row = 0
        for c in range(g * cg, (g + 1) * cg):
            for i in range(r):
                for j in range(s):
                    window = x[c, i : i + stride * p : stride, j : j + stride * q : stride]
                    cols[row] = window.ravel()
                    row += 1
        kg = k // groups
        f = (filters[g * kg : (g + 1) * kg] != 0).reshape(kg, -1).astype(np.int64)
        total += int((f @ cols).sum())
    return total
