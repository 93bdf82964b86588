"""Write yolov5n_320.onnx: YOLOv5n at 320 x 320 as the PyTorch exporter writes it, with a
NonMaxSuppression at the end, and its weights as ConstantOfShape nodes so the file stays
small (as the 'light' models of the onnx package's backend/test/data/light are stored).

A tool for the repository, not part of the package. Run from the repository root:

    .venv/bin/python scenarios/models/make_yolov5n_onnx.py [--size 320] [--out PATH]

The network is the zoo's graph (`soc.workloads.models.yolo.yolov5n`), op by op:
- Conv (BN folded, so with a bias), SiLU as Sigmoid + Mul, Add, Concat on channels,
  SPPF's three MaxPool 5x5/1, nearest 2x Resize (scales, 'asymmetric' / 'floor');
- the Detect head, as Ultralytics' `Detect.forward` exports (v6.0+): per level its
  1x1 conv, Reshape to 1 x 3 x 85 x ny x nx, Transpose to 1 x 3 x ny x nx x 85,
  Sigmoid, Split (2, 2, 81), xy = (xy * 2 + grid) * stride, wh = (wh * 2) ** 2 *
  anchor_grid, Concat, Reshape to 1 x 3*ny*nx x 85; the three levels concatenated
  (`output0`, 1 x 6300 x 85 at 320);
- then the post-processing many deployments append: boxes = Slice 0:4, scores =
  objectness x class scores, Transpose to 1 x 80 x boxes, NonMaxSuppression (centre
  boxes, 100 per class, IoU 0.45, score 0.25). NMS's output has a data-dependent number
  of rows; the file declares its bound (every class keeping 100 boxes: 8000 x 3) so that
  the shape is static.

Node names follow the exporter's scopes (`/model.2/m.0/cv1/conv/Conv`); weights are
named as PyTorch names them (`model.0.conv.weight`); the grids are constants too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from soc.workloads.models.yolo import ANCHORS_PER_LEVEL, yolov5n

OPSET = 17
CLASSES = 80
STRIDES = (8, 16, 32)
MAX_PER_CLASS, IOU, SCORE = 100, 0.45, 0.25
WEIGHT_VALUE = 0.02  # the light models' filler


class Writer:
    """The ONNX nodes, initializers and constants of one model, in order."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count: dict[str, int] = {}

    def node(self, scope: str, op: str, inputs: list[str], n_out: int = 1, **attrs) -> list[str]:
        """Add `op` in `scope` (named `<scope>/<op>`, `_1`, ... when repeated)."""
        base = f"{scope}/{op}"
        i = self.count.get(base, 0)
        self.count[base] = i + 1
        name = base if i == 0 else f"{base}_{i}"
        outs = [f"{name}_output_{j}" for j in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs

    def const(self, scope: str, value: np.ndarray) -> str:
        """A small constant as the exporter writes it: a Constant node."""
        return self.node(scope, "Constant", [], value=numpy_helper.from_array(value))[0]

    def filled(self, name: str, shape: tuple[int, ...]) -> str:
        """A weight-sized constant as a ConstantOfShape of an int64 shape initializer."""
        self.inits.append(numpy_helper.from_array(np.array(shape, np.int64), f"{name}__SHAPE"))
        fill = helper.make_tensor("", TensorProto.FLOAT, [1], [WEIGHT_VALUE])
        self.nodes.append(
            helper.make_node(
                "ConstantOfShape", [f"{name}__SHAPE"], [name], name=f"{name}__FILL", value=fill
            )
        )
        return name


def scope_of(name: str) -> str:
    """'model.2.m.0.cv1.conv' -> '/model.2/m.0/cv1/conv' (a module index stays with its
    parent, as PyTorch's scopes write it)."""
    parts: list[str] = []
    for part in name.split("."):
        if part.isdigit() and parts:
            parts[-1] += f".{part}"
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def backbone_and_neck(w: Writer, size: int) -> dict[str, str]:
    """Every zoo node as ONNX nodes; returns zoo tensor -> ONNX tensor."""
    graph = yolov5n(size, CLASSES)
    onnx_of = {"images": "images"}
    for n in graph.nodes:
        ins = [onnx_of[t] for t in n.inputs]
        if n.kind == "conv":
            layer = n.layer
            scope = scope_of(n.name)
            weight = w.filled(
                f"{n.name}.weight", (layer.k, layer.c // layer.groups, layer.r, layer.s)
            )
            bias = w.filled(f"{n.name}.bias", (layer.k,))
            top, left, bottom, right = layer.pads
            (out,) = w.node(scope, "Conv", [ins[0], weight, bias],
                            dilations=[layer.dilation] * 2, group=layer.groups,
                            kernel_shape=[layer.r, layer.s], pads=[top, left, bottom, right],
                            strides=[layer.stride] * 2)  # fmt: skip
        elif n.kind == "silu":
            scope = scope_of(n.name)
            (sig,) = w.node(scope, "Sigmoid", ins)
            (out,) = w.node(scope, "Mul", [ins[0], sig])
        elif n.kind == "add":
            (out,) = w.node(scope_of(n.name.removesuffix(".add")), "Add", ins)
        elif n.kind == "concat":
            (out,) = w.node(scope_of(n.name.removesuffix(".cat")), "Concat", ins, axis=1)
        elif n.kind == "maxpool":
            win = n.window
            top, left, bottom, right = win.pads
            (out,) = w.node("/model.9/m", "MaxPool", ins, ceil_mode=0,
                            kernel_shape=[win.r, win.s], pads=[top, left, bottom, right],
                            strides=[win.stride] * 2)  # fmt: skip
        elif n.kind == "resize":
            scope = scope_of(n.name)
            scales = w.const(scope, np.array([1.0, 1.0, 2.0, 2.0], np.float32))
            (out,) = w.node(scope, "Resize", [ins[0], "", scales],
                            coordinate_transformation_mode="asymmetric", cubic_coeff_a=-0.75,
                            mode="nearest", nearest_mode="floor")  # fmt: skip
        else:
            raise SystemExit(f"{n.name}: no ONNX writing for a {n.kind!r} node")
        onnx_of[n.name] = out
    return {o: onnx_of[o] for o in graph.outputs}


def detect(w: Writer, maps: list[str], size: int) -> str:
    """Ultralytics' Detect decode of the three raw maps; returns the 1 x N x 85 output."""
    no, na = CLASSES + 5, ANCHORS_PER_LEVEL
    levels = []
    for i, (raw, stride) in enumerate(zip(maps, STRIDES, strict=True)):
        ny = nx = size // stride
        s = "/model.24"
        shape5 = w.const(s, np.array([1, na, no, ny, nx], np.int64))
        (x,) = w.node(s, "Reshape", [raw, shape5])
        (x,) = w.node(s, "Transpose", [x], perm=[0, 1, 3, 4, 2])
        (x,) = w.node(s, "Sigmoid", [x])
        split = w.const(s, np.array([2, 2, no - 4], np.int64))
        xy, wh, conf = w.node(s, "Split", [x, split], n_out=3, axis=4)
        grid = w.filled(f"model.24.grid.{i}", (1, na, ny, nx, 2))
        anchor_grid = w.filled(f"model.24.anchor_grid.{i}", (1, na, ny, nx, 2))
        two = w.const(s, np.array(2.0, np.float32))
        (xy,) = w.node(s, "Mul", [xy, two])
        (xy,) = w.node(s, "Add", [xy, grid])
        (xy,) = w.node(s, "Mul", [xy, w.const(s, np.array(float(stride), np.float32))])
        (wh,) = w.node(s, "Mul", [wh, two])
        (wh,) = w.node(s, "Pow", [wh, two])
        (wh,) = w.node(s, "Mul", [wh, anchor_grid])
        (y,) = w.node(s, "Concat", [xy, wh, conf], axis=4)
        flat = w.const(s, np.array([1, na * ny * nx, no], np.int64))
        (y,) = w.node(s, "Reshape", [y, flat])
        levels.append(y)
    (out,) = w.node("/model.24", "Concat", levels, axis=1)
    return out


def nms(w: Writer, pred: str) -> str:
    """Boxes, per-class scores and NonMaxSuppression; returns the selected indices."""
    s = "/nms"

    def cols(lo: int, hi: int) -> str:
        starts, ends = (w.const(s, np.array([v], np.int64)) for v in (lo, hi))
        axes = w.const(s, np.array([2], np.int64))
        return w.node(s, "Slice", [pred, starts, ends, axes])[0]

    boxes, obj, cls = cols(0, 4), cols(4, 5), cols(5, 5 + CLASSES)
    (scores,) = w.node(s, "Mul", [cls, obj])
    (scores,) = w.node(s, "Transpose", [scores], perm=[0, 2, 1])
    limits = [
        w.const(s, np.array([MAX_PER_CLASS], np.int64)),
        w.const(s, np.array([IOU], np.float32)),
        w.const(s, np.array([SCORE], np.float32)),
    ]
    (selected,) = w.node(s, "NonMaxSuppression", [boxes, scores, *limits], center_point_box=1)
    return selected


def build(size: int) -> onnx.ModelProto:
    w = Writer()
    maps = backbone_and_neck(w, size)
    pred = detect(w, list(maps.values()), size)
    selected = nms(w, pred)
    boxes = 3 * sum((size // s) ** 2 for s in STRIDES)
    renamed = {pred: "output0", selected: "selected_indices"}  # as the exporter names them
    for node in w.nodes:
        node.output[:] = [renamed.get(t, t) for t in node.output]
        node.input[:] = [renamed.get(t, t) for t in node.input]
    graph = helper.make_graph(
        w.nodes,
        "main_graph",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [
            helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, boxes, CLASSES + 5]),
            helper.make_tensor_value_info(
                "selected_indices", TensorProto.INT64, [CLASSES * MAX_PER_CLASS, 3]
            ),
        ],
        w.inits,
    )
    model = helper.make_model(
        graph,
        producer_name="pytorch",
        producer_version="2.1.0",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or here / f"yolov5n_{args.size}.onnx"
    onnx.save(build(args.size), str(out))
    print(f"{out}: {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
