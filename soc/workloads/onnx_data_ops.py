"""ONNX converters that move data or that flexsoc does not model (see onnx_import):
concat, resize, transpose, the free reshapes, pad, and 'other' (any op it does not know,
its output shape from ONNX shape inference)."""

from __future__ import annotations

import math

import numpy as np

from soc.workloads.graph import Node
from soc.workloads.onnx_fold import (
    axes_of,
    flatten_shape,
    reshape_target,
    squeeze_shape,
    unsqueeze_shape,
)
from soc.workloads.onnx_import import OnnxImporter, Shape, batchless, fmt_shape

# --- data movement ---------------------------------------------------------------------


def concat(ctx: OnnxImporter, node) -> None:
    ins = [t for t in node.input if t]
    shapes = [ctx.full[t] if t in ctx.tensor else ctx.consts.shape(t) for t in ins]
    rank = len(shapes[0])
    axis = int(ctx.attr("axis", 0)) % rank
    rest = {s[:axis] + s[axis + 1 :] for s in shapes}
    if len(rest) != 1 or any(len(s) != rank for s in shapes):
        raise ctx.fail(f"cannot concatenate {', '.join(map(fmt_shape, shapes))} on axis {axis}")
    full = list(shapes[0])
    full[axis] = sum(s[axis] for s in shapes)
    xs = [ctx.tensor[t] for t in ins if t in ctx.tensor]
    if len(xs) == len(ins):
        offset = rank - len(ctx.builder.shape(xs[0]))
        if axis < offset:
            raise ctx.fail("concatenates along the batch axis (flexsoc imports batch 1)")
        ctx.builder.concat(ctx.name, xs, axis - offset, op_type=node.op_type)
    else:  # some inputs are constants: a copy on the CPU all the same
        ctx.builder.op(ctx.name, "concat", xs, batchless(tuple(full)), op_type=node.op_type)
    ctx.emit(node.output[0], ctx.name, tuple(full))


def resize(ctx: OnnxImporter, node) -> None:
    """Resize / Upsample of a C x H x W map: the output size from `sizes` or `scales`."""
    x, full = ctx.act(0)
    if len(full) != 4:
        raise ctx.fail(f"resizes a {fmt_shape(full)} tensor; flexsoc resizes C x H x W maps")
    scales = sizes = None
    if node.op_type == "Upsample" and ctx.attr("scales") is not None:
        scales = np.array(ctx.attr("scales"), np.float64)
    elif node.op_type == "Upsample" or ctx.opset == 10:
        scales = ctx.value(1, "scales")
    else:
        if ctx.has(3):
            sizes = ctx.value(3, "sizes")
        if ctx.has(2) and (sizes is None or not sizes.size):
            scales = ctx.value(2, "scales")
    if ctx.attr("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise ctx.fail("keep_aspect_ratio_policy other than 'stretch'")
    axes = [int(a) % 4 for a in ctx.attr("axes", range(4))]
    out = list(full)
    if sizes is not None and sizes.size:
        for a, v in zip(axes, sizes.reshape(-1), strict=True):
            out[a] = int(v)
    elif scales is not None and scales.size:
        for a, v in zip(axes, scales.reshape(-1), strict=True):
            out[a] = math.floor(full[a] * float(v))
    else:
        raise ctx.fail("neither scales nor sizes is given")
    if out[:2] != list(full[:2]) or min(out) <= 0:
        raise ctx.fail(
            f"resizes {fmt_shape(full)} to {fmt_shape(tuple(out))}; flexsoc resizes H and W only"
        )
    mode = str(ctx.attr("mode", "nearest"))
    attrs = (("mode", mode),)
    node_ = Node(ctx.name, "resize", (x,), tuple(out[1:]), op_type=node.op_type, attrs=attrs)
    ctx.add(node_, tuple(out))


def transpose(ctx: OnnxImporter, node) -> None:
    """A transpose that keeps the order of the axes longer than 1 moves no data (free);
    any other is a real transpose on the CPU."""
    x, full = ctx.act(0)
    perm = [int(p) for p in ctx.attr("perm", range(len(full) - 1, -1, -1))]
    if sorted(perm) != list(range(len(full))):
        raise ctx.fail(f"perm {perm} is not a permutation of {len(full)} axes")
    out = tuple(full[p] for p in perm)
    moved = [p for p in perm if full[p] != 1]
    if moved == sorted(moved):
        ctx.builder.reshape(ctx.name, x, batchless(out), op_type=node.op_type)
    else:
        shape = batchless(out)
        ctx.builder.op(ctx.name, "transpose", [x], shape, op_type=node.op_type, perm=tuple(perm))
    ctx.emit(node.output[0], ctx.name, out)


FREE = {
    "Reshape": "reshape",
    "Flatten": "flatten",
    "Squeeze": "squeeze",
    "Unsqueeze": "unsqueeze",
    "Identity": "identity",
    "Dropout": "dropout",
}


def reshape(ctx: OnnxImporter, node) -> None:
    """Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout: free."""
    x, full = ctx.act(0)
    op = node.op_type
    if op == "Dropout" and len(node.output) > 1 and ctx.readers[node.output[1]]:
        raise ctx.fail("Dropout's mask output is read; flexsoc does not model it")
    try:
        if op == "Reshape":
            target = ctx.value(1, "the target shape").reshape(-1)
            out = reshape_target(full, target, bool(ctx.attr("allowzero", 0)))
        elif op == "Flatten":
            out = flatten_shape(full, int(ctx.attr("axis", 1)))
        elif op in ("Squeeze", "Unsqueeze"):
            given = [ctx.value(1, "axes")] if ctx.has(1) else []
            axes = axes_of(ctx.attrs_raw(), [None, *given], 1)
            out = (
                squeeze_shape(full, axes) if op == "Squeeze" else unsqueeze_shape(full, axes or [])
            )
        else:
            out = full
    except ValueError as e:
        raise ctx.fail(str(e)) from None
    y = ctx.builder.reshape(ctx.name, x, batchless(out), kind=FREE[op], op_type=op)
    ctx.emit(node.output[0], y, out)


def pad(ctx: OnnxImporter, node) -> None:
    """A constant zero Pad of H and W that only convs read becomes their padding;
    any other Pad is an 'other' op."""
    src, full = ctx.act(0)
    mode = ctx.attr("mode", "constant")
    if ctx.opset < 11:
        pads, value = list(ctx.attr("pads", ())), float(ctx.attr("value", 0.0))
    elif ctx.is_const(1) and (not ctx.has(2) or ctx.is_const(2)) and not ctx.has(3):
        pads = [int(p) for p in ctx.value(1, "pads").reshape(-1)]
        value = float(ctx.value(2, "value").reshape(-1)[0]) if ctx.has(2) else 0.0
    else:
        other(ctx, node)
        return
    out = node.output[0]
    readers = [n for n in ctx.graph.node if out in n.input]
    by_convs = all(n.op_type == "Conv" and list(n.input).index(out) == 0 for n in readers)
    rank = len(full)
    zero_pad = mode == "constant" and value == 0.0 and rank == 4 and len(pads) == 8
    if zero_pad and by_convs and readers and out not in ctx.graph_outputs:
        spatial = (pads[2], pads[3], pads[6], pads[7])
        if pads[0] == pads[1] == pads[4] == pads[5] == 0 and min(spatial) >= 0:
            ctx.folded_pads[out] = (node.input[0], spatial)
            return
    other(ctx, node)


# --- anything else -------------------------------------------------------------------


def _infer_outputs(ctx: OnnxImporter, node) -> list[Shape | None]:
    """The node's output shapes: ONNX's inference of this one node over the shapes
    flexsoc knows, else the whole model's inference."""
    from onnx import defs, helper, numpy_helper, shape_inference
    from onnx.defs import SchemaError

    types, data = {}, {}
    for t in node.input:
        if t in ctx.tensor:
            elem = ctx.inferred.get(t, (0, None))[0] or 1
            types[t] = helper.make_tensor_type_proto(elem, ctx.full[t])
        elif t in ctx.consts:
            elem = ctx.consts.elem_type(t)
            types[t] = helper.make_tensor_type_proto(elem, ctx.consts.shape(t))
            if math.prod(ctx.consts.shape(t)) <= 4096:
                data[t] = numpy_helper.from_array(np.ascontiguousarray(ctx.consts.value(t)), t)
    found: dict = {}
    try:
        schema = defs.get_schema(node.op_type, ctx.opset, node.domain)
        found = shape_inference.infer_node_outputs(
            schema, node, types, data, opset_imports=list(ctx.model.opset_import)
        )
    except (SchemaError, shape_inference.InferenceError, RuntimeError, ValueError):
        found = {}  # no schema (a custom op) or inference refused: use the model's
    shapes: list[Shape | None] = []
    for out in node.output:
        dims = None
        ttype = found[out].tensor_type if out in found else None
        if ttype is not None and ttype.HasField("shape"):
            values = [d.dim_value if d.HasField("dim_value") else -1 for d in ttype.shape.dim]
            dims = tuple(values) if min(values, default=0) >= 0 else None
            ctx.inferred.setdefault(out, (ttype.elem_type, None))
        shapes.append(dims if dims is not None else ctx.inferred.get(out, (0, None))[1])
    return shapes


def other(ctx: OnnxImporter, node, macs: int = 0) -> None:
    """An op flexsoc does not model: kind 'other' on the CPU, one node per output read."""
    xs = tuple(dict.fromkeys(ctx.tensor[t] for t in node.input if t in ctx.tensor))
    attrs = tuple(sorted(ctx.attrs().items()))
    first = True
    for i, (out, full) in enumerate(zip(node.output, _infer_outputs(ctx, node), strict=True)):
        if not out or (not first and not ctx.readers[out]):
            continue
        if full is None:
            raise ctx.fail(
                f"cannot infer the shape of output {out!r} (flexsoc needs static shapes)"
            )
        name = ctx.name if first else ctx.fresh(f"{ctx.name}:{i}")
        op = Node(
            name,
            "other",
            xs,
            batchless(full),
            macs=macs if first else 0,
            op_type=ctx.op_type(),
            attrs=attrs,
        )
        ctx.builder.add_node(op)
        ctx.emit(out, name, full)
        first = False


def conv_transpose(ctx: OnnxImporter, node) -> None:
    """ConvTranspose runs on the CPU ('other'); its MACs: every input element times its
    K/groups x R x S taps."""
    macs = 0
    if node.input[0] in ctx.tensor and ctx.is_const(1):
        macs = math.prod(ctx.full[node.input[0]][1:]) * math.prod(
            ctx.consts.shape(node.input[1])[1:]
        )
    other(ctx, node, macs)
