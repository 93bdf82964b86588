"""Constant folding for the ONNX importer: the shape subgraphs exporters write
(Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ...) and the weights some models
make with ConstantOfShape or Constant nodes, evaluated with numpy.

`Constants` holds every constant tensor by its ONNX name. Initializers stay protobufs
until a value is asked for, so weights that are only ever measured (a conv's kernel)
are never copied. A tensor filled with one value (ConstantOfShape) is a zero-stride
numpy view, and the shape-only ops below keep it one, so a 400 MB weight of VGG-19
made by ConstantOfShape costs nothing.

`fold` evaluates one op whose inputs are all constants; it raises `Unfoldable` for an
op it does not know. Pure functions: no graph, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Attrs = dict[str, object]
Value = np.ndarray | None  # None: an optional input left out ('')


class Unfoldable(Exception):
    """The op is not one `fold` evaluates (or its inputs do not fit it)."""


class Constants:
    """Constant tensors by name: initializer protos (read on first use) and values."""

    def __init__(self) -> None:
        self._protos: dict[str, object] = {}
        self._values: dict[str, np.ndarray] = {}

    def add_proto(self, proto) -> None:  # onnx.TensorProto
        self._protos[proto.name] = proto
        self._values.pop(proto.name, None)

    def add(self, name: str, value: np.ndarray) -> None:
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._values or name in self._protos

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self._values:
            return tuple(self._values[name].shape)
        return tuple(int(d) for d in self._protos[name].dims)

    def elem_type(self, name: str) -> int:
        """The ONNX element type (TensorProto.FLOAT = 1, ...)."""
        if name in self._values:
            from onnx import helper

            return helper.np_dtype_to_tensor_dtype(self._values[name].dtype)
        return int(self._protos[name].data_type)

    def value(self, name: str) -> np.ndarray:
        """The tensor's values (raises ValueError if they are not stored in the file)."""
        if name not in self._values:
            from onnx import numpy_helper

            proto = self._protos[name]
            if proto.data_location == 1:  # EXTERNAL
                raise ValueError(f"{name!r} is stored outside the file (external data)")
            self._values[name] = numpy_helper.to_array(proto)
        return self._values[name]


def uniform(x: np.ndarray) -> bool:
    """Every element is the same stored value (a broadcast view of one scalar)."""
    return x.size > 1 and all(s == 0 for s in x.strides)


def relayout(x: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """`x`'s elements in a new shape; a uniform tensor stays a free view."""
    shape = tuple(int(v) for v in shape)
    if uniform(x):
        return np.broadcast_to(x.reshape(-1)[:1].reshape(()), shape)
    return x.reshape(shape)


def reshape_target(shape: Sequence[int], target: Sequence[int], allowzero: bool = False) -> tuple:
    """Reshape's output shape: 0 copies the input's dim (unless allowzero), -1 is inferred."""
    target = [int(v) for v in target]
    shape = [int(v) for v in shape]
    out = target
    for i, v in enumerate(out):
        if v == 0 and not allowzero:
            if i >= len(shape):
                raise ValueError(f"shape {target} copies dim {i} of a rank-{len(shape)} input")
            out[i] = shape[i]
    total = math.prod(shape)
    if out.count(-1) > 1:
        raise ValueError(f"shape {target} has more than one -1")
    if -1 in out:
        known = math.prod(v for v in out if v != -1)
        if known == 0 or total % known:
            raise ValueError(f"cannot reshape {shape} to {target}")
        out[out.index(-1)] = total // known
    if math.prod(out) != total or min(out, default=0) < 0:
        raise ValueError(f"cannot reshape {shape} to {target}")
    return tuple(out)


def axes_of(attrs: Attrs, inputs: Sequence[Value], index: int) -> list[int] | None:
    """An `axes` list: the attribute (older opsets) or the input at `index` (newer)."""
    if "axes" in attrs:
        return [int(a) for a in attrs["axes"]]
    if len(inputs) > index and inputs[index] is not None:
        return [int(a) for a in np.asarray(inputs[index]).reshape(-1)]
    return None


def squeeze_shape(shape: Sequence[int], axes: list[int] | None) -> tuple:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    drop = {a % len(shape) for a in axes}
    if any(shape[a] != 1 for a in drop):
        raise ValueError(f"cannot squeeze axes {axes} of {shape}")
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def unsqueeze_shape(shape: Sequence[int], axes: list[int]) -> tuple:
    rank = len(shape) + len(axes)
    put = sorted(a % rank for a in axes)
    out, rest = [], iter(shape)
    for i in range(rank):
        out.append(1 if i in put else next(rest))
    return tuple(out)


def flatten_shape(shape: Sequence[int], axis: int) -> tuple:
    axis = axis % len(shape) if axis < 0 else axis
    return (math.prod(shape[:axis]), math.prod(shape[axis:]))


def _np_dtype(onnx_type: int) -> np.dtype:
    from onnx import helper

    return np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type))


def _constant(attrs: Attrs) -> np.ndarray:
    from onnx import numpy_helper

    if "value" in attrs:
        return numpy_helper.to_array(attrs["value"])
    for key, dtype in (
        ("value_float", np.float32),
        ("value_floats", np.float32),
        ("value_int", np.int64),
        ("value_ints", np.int64),
    ):
        if key in attrs:
            return np.array(attrs[key], dtype=dtype)
    raise Unfoldable("a Constant without a dense value")


def _constant_of_shape(x: np.ndarray, attrs: Attrs) -> np.ndarray:
    from onnx import numpy_helper

    fill = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(1, np.float32)
    shape = tuple(int(v) for v in x.reshape(-1))
    return np.broadcast_to(fill.reshape(-1)[:1].reshape(()), shape)


def _slice(x: np.ndarray, attrs: Attrs, inputs: Sequence[Value], opset: int) -> np.ndarray:
    if opset < 10:
        starts, ends = list(attrs["starts"]), list(attrs["ends"])
        axes = list(attrs.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts, ends = [list(np.asarray(v).reshape(-1)) for v in inputs[1:3]]
        axes = axes_of({}, inputs, 3) or list(range(len(starts)))
        has_steps = len(inputs) > 4 and inputs[4] is not None
        steps = list(np.asarray(inputs[4]).reshape(-1)) if has_steps else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for a, b, e, s in zip(axes, starts, ends, steps, strict=True):
        index[int(a)] = slice(int(b), int(e), int(s))
    return x[tuple(index)]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / b).astype(a.dtype)  # C-style integer division
    return a / b


def _reduce(fn: Callable, x: np.ndarray, attrs: Attrs, inputs: Sequence[Value]) -> np.ndarray:
    axes = axes_of(attrs, inputs, 1)
    if axes is None and attrs.get("noop_with_empty_axes", 0):
        return x
    keep = bool(attrs.get("keepdims", 1))
    return np.asarray(fn(x, axis=None if axes is None else tuple(axes), keepdims=keep))


_BINARY: dict[str, Callable] = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": _div,
    "Pow": np.power,
    "Equal": np.equal,
    "Less": np.less,
    "Greater": np.greater,
    "LessOrEqual": np.less_equal,
    "GreaterOrEqual": np.greater_equal,
    "And": np.logical_and,
    "Or": np.logical_or,
}
_UNARY: dict[str, Callable] = {
    "Neg": np.negative,
    "Abs": np.abs,
    "Sqrt": np.sqrt,
    "Floor": np.floor,
    "Ceil": np.ceil,
    "Not": np.logical_not,
    "Reciprocal": np.reciprocal,
}
_REDUCE: dict[str, Callable] = {
    "ReduceProd": np.prod,
    "ReduceSum": np.sum,
    "ReduceMin": np.min,
    "ReduceMax": np.max,
    "ReduceMean": np.mean,
}


def fold(op: str, inputs: Sequence[Value], attrs: Attrs, opset: int, outputs: int) -> list:
    """The outputs of op `op` over constant `inputs` (numpy arrays, None for '')."""
    x = inputs[0] if inputs else None
    if op == "Constant":
        return [_constant(attrs)]
    if x is None:
        raise Unfoldable(f"{op} without its first input")
    if op in _BINARY and len(inputs) == 2:
        return [np.asarray(_BINARY[op](x, inputs[1]))]
    if op in _UNARY:
        return [np.asarray(_UNARY[op](x))]
    if op in _REDUCE:
        return [_reduce(_REDUCE[op], x, attrs, inputs)]
    if op in ("Min", "Max", "Sum"):
        fn = {"Min": np.minimum, "Max": np.maximum, "Sum": np.add}[op]
        out = x
        for y in inputs[1:]:
            out = fn(out, y)
        return [np.asarray(out)]
    if op in ("Identity", "Dropout"):
        return [x] + [np.ones(x.shape, bool)] * (outputs - 1)
    if op == "ConstantOfShape":
        return [_constant_of_shape(x, attrs)]
    if op in ("Shape", "Size"):
        shape = np.array(x.shape, np.int64)
        if op == "Size":
            return [np.array(x.size, np.int64)]
        return [shape[int(attrs.get("start", 0)) : attrs.get("end")]]
    if op == "Cast":
        dtype = _np_dtype(int(attrs["to"]))
        if uniform(x):
            return [np.broadcast_to(x.reshape(-1)[:1].reshape(()).astype(dtype), x.shape)]
        return [x.astype(dtype)]
    if op == "Reshape":
        target = reshape_target(x.shape, inputs[1].reshape(-1), bool(attrs.get("allowzero", 0)))
        return [relayout(x, target)]
    if op == "Flatten":
        return [relayout(x, flatten_shape(x.shape, int(attrs.get("axis", 1))))]
    if op == "Squeeze":
        return [relayout(x, squeeze_shape(x.shape, axes_of(attrs, inputs, 1)))]
    if op == "Unsqueeze":
        return [relayout(x, unsqueeze_shape(x.shape, axes_of(attrs, inputs, 1) or []))]
    if op == "Transpose":
        perm = attrs.get("perm", list(range(x.ndim))[::-1])
        if uniform(x):
            return [relayout(x, [x.shape[int(p)] for p in perm])]
        return [np.transpose(x, perm)]
    if op == "Expand":
        shape = np.broadcast_shapes(x.shape, tuple(int(v) for v in inputs[1].reshape(-1)))
        return [np.broadcast_to(x, shape)]
    if op == "Gather":
        return [np.take(x, inputs[1], axis=int(attrs.get("axis", 0)))]
    if op == "Slice":
        return [_slice(x, attrs, inputs, opset)]
    if op == "Concat":
        return [np.concatenate(list(inputs), axis=int(attrs["axis"]))]
    if op == "Range":
        return [np.arange(x, inputs[1], inputs[2]).astype(x.dtype)]
    if op == "Where":
        return [np.where(x, inputs[1], inputs[2])]
    if op == "Tile":
        return [np.tile(x, tuple(int(v) for v in inputs[1].reshape(-1)))]
    raise Unfoldable(op)
