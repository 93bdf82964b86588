"""The ONNX op converters of the importer (see onnx_import): one function per op type.

Each reads the current ONNX node's inputs from the importer `ctx` (activations: their
graph tensor and ONNX shape; constants: their values or shapes), adds graph nodes
through `ctx.builder` and registers the node's outputs with `ctx.emit`. ONNX shapes
keep the batch axis; graph shapes drop it (`batchless`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from soc.workloads.graph import Node
from soc.workloads.onnx_data_ops import (
    FREE,
    concat,
    conv_transpose,
    other,
    pad,
    reshape,
    resize,
    transpose,
)
from soc.workloads.onnx_fold import axes_of
from soc.workloads.onnx_import import OnnxImporter, Shape, batchless, fmt_shape

Pads = tuple[int, int, int, int]


# --- attributes shared by convs and pools -------------------------------------------


def _square(ctx: OnnxImporter, key: str) -> int:
    """One value for H and W (a flexsoc layer has a single stride and dilation)."""
    values = [int(v) for v in ctx.attr(key, (1, 1))]
    if len(values) != 2 or values[0] != values[1]:
        raise ctx.fail(f"{key} {values} differ between H and W (flexsoc takes one value for both)")
    return values[0]


def _pads(ctx: OnnxImporter, size: Shape, kernel: Shape, stride: int, dilation: int) -> Pads:
    """(top, left, bottom, right) from `pads` or `auto_pad`."""
    auto = ctx.attr("auto_pad", "NOTSET")
    if auto == "NOTSET":
        pads = [int(p) for p in ctx.attr("pads", (0, 0, 0, 0))]
        if len(pads) != 4:
            raise ctx.fail(f"pads {pads} are not 4 values (top, left, bottom, right)")
        return (pads[0], pads[1], pads[2], pads[3])
    if auto == "VALID":
        return (0, 0, 0, 0)
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise ctx.fail(f"auto_pad {auto!r} is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
    begin, end = [], []
    for n, k in zip(size, kernel, strict=True):
        out = -(-n // stride)
        total = max(0, (out - 1) * stride + (k - 1) * dilation + 1 - n)
        small, big = total // 2, total - total // 2  # SAME_UPPER puts the odd pixel at the end
        begin.append(small if auto == "SAME_UPPER" else big)
        end.append(big if auto == "SAME_UPPER" else small)
    return (begin[0], begin[1], end[0], end[1])


def _per_channel(const: Shape, out: Shape, axis: int) -> bool:
    """A constant that broadcasts along every axis of `out` but `axis` (a bias, a scale)."""
    if len(const) > len(out):
        return False
    const = (1,) * (len(out) - len(const)) + tuple(const)
    return all(d == 1 or (i == axis and d == out[i]) for i, d in enumerate(const))


# --- accelerator layers ------------------------------------------------------------


def conv(ctx: OnnxImporter, node) -> None:
    src = node.input[0]
    extra: Pads = (0, 0, 0, 0)
    if src in ctx.folded_pads:  # a zero Pad before this conv: its padding
        src, extra = ctx.folded_pads[src]
    if src not in ctx.tensor:
        raise ctx.fail(f"input {src!r} is not an activation")
    x, full = ctx.tensor[src], ctx.full[src]
    if len(full) != 4:
        raise ctx.fail(
            f"a {len(full) - 2}-D convolution (input {fmt_shape(full)}); flexsoc imports 2-D "
            "convolutions only"
        )
    w = ctx.const_shape(1, "weight")
    if len(w) != 4:
        raise ctx.fail(f"weight {fmt_shape(w)} is not K x C/groups x R x S")
    k, c_per_group, r, s = w
    groups = int(ctx.attr("group", 1))
    if c_per_group * groups != full[1]:
        raise ctx.fail(
            f"weight {fmt_shape(w)} with group {groups} reads {c_per_group * groups} channels, "
            f"the input has {full[1]}"
        )
    kernel = tuple(int(v) for v in ctx.attr("kernel_shape", (r, s)))
    if kernel != (r, s):
        raise ctx.fail(f"kernel_shape {list(kernel)} does not match weight {fmt_shape(w)}")
    stride, dilation = _square(ctx, "strides"), _square(ctx, "dilations")
    size = (full[2] + extra[0] + extra[2], full[3] + extra[1] + extra[3])
    own = _pads(ctx, size, (r, s), stride, dilation)
    pads = tuple(a + b for a, b in zip(own, extra, strict=True))
    out = ctx.builder.conv(
        ctx.name, x, k, (r, s), stride, pads, groups, dilation, op_type=node.op_type
    )
    ctx.layers[out] = 1  # the channel axis of its ONNX output
    ctx.emit(node.output[0], out, (1, *ctx.builder.shape(out)))


def _matmul_shape(a: Shape, b: Shape) -> tuple[Shape, int] | None:
    """numpy matmul: the output shape and MACs, or None if the shapes do not fit."""
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    try:
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    except ValueError:
        return None
    m, k, n = a2[-2], a2[-1], b2[-1]
    out = (*batch, *([m] if len(a) > 1 else []), *([n] if len(b) > 1 else []))
    return tuple(int(d) for d in out), math.prod(batch) * m * k * n


def _matmul_op(ctx: OnnxImporter, node, a: Shape, b: Shape) -> None:
    """A product of two activations (or a constant and an activation) on the CPU."""
    shaped = _matmul_shape(a, b)
    if shaped is None:
        raise ctx.fail(f"cannot multiply {fmt_shape(a)} by {fmt_shape(b)}")
    out, macs = shaped
    xs = list(dict.fromkeys(ctx.tensor[t] for t in node.input if t in ctx.tensor))
    ctx.builder.op(ctx.name, "matmul", xs, batchless(out), macs=macs, op_type=node.op_type)
    ctx.emit(node.output[0], ctx.name, out)


def _fc(ctx: OnnxImporter, node, x: str, out: Shape) -> None:
    y = ctx.builder.fc(ctx.name, x, out[-1], op_type=node.op_type)
    ctx.layers[y] = len(out) - 1
    ctx.emit(node.output[0], y, out)


def _shape_of(ctx: OnnxImporter, i: int) -> Shape:
    t = ctx.node.input[i]
    return ctx.full[t] if t in ctx.tensor else ctx.const_shape(i, f"input {i}")


def gemm(ctx: OnnxImporter, node) -> None:
    """Y = alpha A' B' + beta C: an fc when A is the activation and B a weight."""
    a, b = _shape_of(ctx, 0), _shape_of(ctx, 1)
    if len(a) != 2 or len(b) != 2:
        raise ctx.fail(f"Gemm of {fmt_shape(a)} and {fmt_shape(b)}: both must be matrices")
    a = a[::-1] if ctx.attr("transA", 0) else a
    b = b[::-1] if ctx.attr("transB", 0) else b
    if a[1] != b[0]:
        raise ctx.fail(f"Gemm of {fmt_shape(a)} by {fmt_shape(b)}: inner sizes differ")
    if node.input[0] in ctx.tensor and ctx.is_const(1) and a[0] == 1:
        _fc(ctx, node, ctx.act(0)[0], (1, b[1]))
    else:
        _matmul_op(ctx, node, a, b)


def matmul(ctx: OnnxImporter, node) -> None:
    """An activation times a constant 2-D weight is an fc (one row) or a matmul op."""
    a, b = _shape_of(ctx, 0), _shape_of(ctx, 1)
    shaped = _matmul_shape(a, b)
    if shaped is None:
        raise ctx.fail(f"cannot multiply {fmt_shape(a)} by {fmt_shape(b)}")
    one_row = len(a) >= 2 and math.prod(a[:-1]) == 1
    if node.input[0] in ctx.tensor and ctx.is_const(1) and len(b) == 2 and one_row:
        _fc(ctx, node, ctx.act(0)[0], shaped[0])
    else:
        _matmul_op(ctx, node, a, b)


def batch_norm(ctx: OnnxImporter, node) -> None:
    if any(node.output[1:]):
        raise ctx.fail("a training-mode BatchNormalization (it writes running statistics)")
    x, full = ctx.act(0)
    scale = ctx.const_shape(1, "scale")
    if len(full) < 2 or math.prod(scale) != full[1]:
        raise ctx.fail(f"scale {fmt_shape(scale)} does not match the channels of {fmt_shape(full)}")
    if ctx.foldable(node.input[0]) and ctx.layers[x] == 1:
        ctx.emit(node.output[0], x, full)  # folded: the conv / fc gets a bias
        return
    eps = float(ctx.attr("epsilon", 1e-5))
    bn = Node(ctx.name, "mul", (x,), batchless(full), op_type=node.op_type, attrs=(("eps", eps),))
    ctx.add(bn, full)


# --- element-wise ------------------------------------------------------------------

ELEMENTWISE = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div"}


def elementwise(ctx: OnnxImporter, node) -> None:
    kind = ELEMENTWISE[node.op_type]
    try:
        full = tuple(int(d) for d in np.broadcast_shapes(_shape_of(ctx, 0), _shape_of(ctx, 1)))
    except ValueError:
        raise ctx.fail(
            f"cannot broadcast {fmt_shape(_shape_of(ctx, 0))} with {fmt_shape(_shape_of(ctx, 1))}"
        ) from None
    if node.input[0] in ctx.tensor and node.input[1] in ctx.tensor:
        out = ctx.builder.elementwise(ctx.name, ctx.act(0)[0], ctx.act(1)[0], kind, node.op_type)
        ctx.emit(node.output[0], out, full)
        return
    i = 0 if node.input[0] in ctx.tensor else 1
    x, xfull = ctx.act(i)
    const = ctx.const_shape(1 - i, "operand")
    order_free = i == 0 or kind in ("add", "mul")
    folds = ctx.foldable(node.input[i]) and order_free and full == xfull
    if folds and _per_channel(const, xfull, ctx.layers[x]):
        ctx.emit(node.output[0], x, xfull)  # a bias or a scale of the conv / fc
        return
    ctx.add(Node(ctx.name, kind, (x,), batchless(full), op_type=node.op_type), full)


def sum_op(ctx: OnnxImporter, node) -> None:
    """n-ary Sum of activations: a chain of adds, the last one named after the node."""
    if not all(t in ctx.tensor for t in node.input):
        other(ctx, node)
        return
    xs = [ctx.tensor[t] for t in node.input]
    shapes = [ctx.full[t] for t in node.input]
    try:
        full = tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        raise ctx.fail(f"cannot broadcast {', '.join(map(fmt_shape, shapes))}") from None
    if len(xs) == 1:
        out = ctx.builder.reshape(
            ctx.name, xs[0], batchless(full), kind="identity", op_type=node.op_type
        )
    else:
        out = xs[0]
        for j, x in enumerate(xs[1:], start=1):
            name = ctx.name if j == len(xs) - 1 else ctx.fresh(f"{ctx.name}/add{j}")
            out = ctx.builder.elementwise(name, out, x, "add", op_type=node.op_type)
    ctx.emit(node.output[0], out, full)


# --- activations ---------------------------------------------------------------------

ACTIVATIONS = {
    "Relu": "relu",
    "Clip": "clip",
    "HardSwish": "hardswish",
    "HardSigmoid": "hardsigmoid",
    "Sigmoid": "sigmoid",
    "LeakyRelu": "leakyrelu",
    "Tanh": "tanh",
    "Gelu": "gelu",
}


def activation(ctx: OnnxImporter, node) -> None:
    x, full = ctx.act(0)
    attrs: dict[str, object] = {}
    if node.op_type == "Clip":
        for i, key in ((1, "min"), (2, "max")):
            if ctx.opset < 11:
                attrs[key] = ctx.attr(key)
            elif ctx.has(i):
                attrs[key] = float(ctx.value(i, f"Clip {key}").reshape(-1)[0])
    elif node.op_type == "LeakyRelu":
        attrs["alpha"] = ctx.attr("alpha", 0.01)
    elif node.op_type == "HardSigmoid":
        attrs["alpha"], attrs["beta"] = ctx.attr("alpha", 0.2), ctx.attr("beta", 0.5)
    elif node.op_type == "Gelu":
        attrs["approximate"] = ctx.attr("approximate", "none")
    out = ctx.builder.activation(ctx.name, x, ACTIVATIONS[node.op_type], node.op_type, **attrs)
    ctx.emit(node.output[0], out, full)


def softmax(ctx: OnnxImporter, node) -> None:
    x, full = ctx.act(0)
    axis = int(ctx.attr("axis", 1 if ctx.opset < 13 else -1))
    ctx.builder.op(ctx.name, "softmax", [x], batchless(full), op_type=node.op_type, axis=axis)
    ctx.emit(node.output[0], ctx.name, full)


# --- pooling ---------------------------------------------------------------------------


def pool(ctx: OnnxImporter, node) -> None:
    x, full = ctx.act(0)
    if len(full) != 4:
        raise ctx.fail(f"a {len(full) - 2}-D pooling; flexsoc imports 2-D pooling only")
    if len(node.output) > 1 and ctx.readers[node.output[1]]:
        raise ctx.fail("MaxPool's Indices output is read; flexsoc does not model it")
    kernel = tuple(int(v) for v in ctx.attr("kernel_shape", ()))
    if len(kernel) != 2:
        raise ctx.fail(f"kernel_shape {list(kernel)} is not 2-D")
    stride = _square(ctx, "strides")
    if _square(ctx, "dilations") != 1:
        raise ctx.fail("dilated pooling; flexsoc pools with dense windows only")
    pads = _pads(ctx, full[2:], kernel, stride, 1)
    kind = "maxpool" if node.op_type == "MaxPool" else "avgpool"
    ceil = bool(ctx.attr("ceil_mode", 0))
    out = ctx.builder.pool(ctx.name, x, kind, kernel, stride, pads, ceil, op_type=node.op_type)
    ctx.emit(node.output[0], out, (1, *ctx.builder.shape(out)))


def global_pool(ctx: OnnxImporter, node) -> None:
    x, full = ctx.act(0)
    if len(full) != 4:
        raise ctx.fail(f"a global pooling of {fmt_shape(full)}; flexsoc pools C x H x W maps")
    kind = "globalmaxpool" if "Max" in node.op_type else "globalavgpool"
    out = ctx.builder.global_pool(ctx.name, x, kind, op_type=node.op_type)
    ctx.emit(node.output[0], out, (1, full[1], 1, 1))


def reduce(ctx: OnnxImporter, node) -> None:
    """ReduceMean / ReduceMax over H and W is a global pooling; any other is 'other'."""
    x, full = ctx.act(0)
    given = [ctx.value(1, "axes")] if ctx.has(1) else []
    axes = axes_of(ctx.attrs_raw(), [None, *given], 1)
    if len(full) != 4 or axes is None or sorted(a % 4 for a in axes) != [2, 3]:
        other(ctx, node)
        return
    keep = bool(ctx.attr("keepdims", 1))
    out = (1, full[1], 1, 1) if keep else (1, full[1])
    kind = "globalavgpool" if node.op_type == "ReduceMean" else "globalmaxpool"
    ctx.add(Node(ctx.name, kind, (x,), batchless(out), op_type=node.op_type), out)


CONVERTERS: dict[str, Callable[[OnnxImporter, object], None]] = {
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    "Gemm": gemm,
    "MatMul": matmul,
    "BatchNormalization": batch_norm,
    "Sum": sum_op,
    "Softmax": softmax,
    "MaxPool": pool,
    "AveragePool": pool,
    "GlobalAveragePool": global_pool,
    "GlobalMaxPool": global_pool,
    "ReduceMean": reduce,
    "ReduceMax": reduce,
    "Concat": concat,
    "Resize": resize,
    "Upsample": resize,
    "Transpose": transpose,
    "Pad": pad,
    **{op: elementwise for op in ELEMENTWISE},
    **{op: activation for op in ACTIVATIONS},
    **{op: reshape for op in FREE},
}
