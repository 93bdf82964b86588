"""ONNX models as operator graphs: `load_onnx(path) -> Graph`.

The importer walks the ONNX nodes in their (topological) order, keeping for every ONNX
tensor either a constant value (initializers, and everything computed from constants
alone: shape subgraphs, weights made by ConstantOfShape) or the graph tensor that holds
it and its ONNX shape (batch axis included). Each op is converted by `onnx_ops`;
constant ops are evaluated by `onnx_fold`.

What the graph gets:
- batch 1 only: a graph input's batch axis (of size 1 or symbolic) is dropped from the
  graph's shapes; a batch N > 1 or any other symbolic axis is refused;
- constants are never graph tensors: initializers listed as inputs (old exporters do
  that) are constants; a shape subgraph disappears into the constant it computes;
- a BatchNormalization directly after a conv / fc, whose output nothing else reads, is
  folded into that layer (it gets a bias); so is an Add / Sub (bias) or Mul / Div
  (scale) by a per-channel constant there. A zero `Pad` on H / W read only by convs
  becomes their padding;
- a Transpose that keeps the order of the axes longer than 1 moves no data and is
  free; any other (TF2ONNX's NHWC -> NCHW of the input, ShuffleNet's channel shuffle)
  is a real 'transpose' op on the CPU;
- every op flexsoc does not model becomes a node of kind 'other' (the host CPU runs
  it), its output shape from ONNX shape inference: `unsupported_ops(graph)` lists
  them, and they are logged. An op it models but whose attributes it cannot (a 1-D or
  3-D conv, a non-constant weight, unequal strides) is refused in one line naming the
  file and the node, as is a malformed file.

Node names: the ONNX node's name when it is non-empty and unique, else
`<op_type>_<index>`. ONNX tensor names stay internal.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from soc.errors import WorkloadError
from soc.limits import MAX_INPUT_ENV, check_input_file, max_input_bytes
from soc.workloads.graph import Graph, GraphBuilder, Node, fold_silu
from soc.workloads.onnx_fold import Constants, Unfoldable, fold, uniform

log = logging.getLogger(__name__)

MIN_OPSET = 7  # numpy-style broadcasting; older element-wise ops had `broadcast` / `axis`
DEFAULT_DOMAINS = ("", "ai.onnx")
Shape = tuple[int, ...]
# ops of constants whose result has the broadcast shape of their inputs
BROADCASTING = frozenset(
    (  # noqa: SIM905
        "Add Sub Mul Div Pow Mod Min Max Sum Mean Equal Less Greater LessOrEqual "
        "GreaterOrEqual And Or Xor Where BitShift"
    ).split()
)


def load_onnx(path: Path | str) -> Graph:
    """The operator graph of the ONNX model at `path` (batch 1)."""
    path = Path(path)
    return OnnxImporter(path, read_model(path)).run()


def unsupported_ops(graph: Graph) -> list[Node]:
    """The ops the importer did not model (kind 'other'; `op_type` says which)."""
    return [n for n in graph.nodes if n.kind == "other"]


def batchless(full: Shape) -> Shape:
    """An ONNX shape as the graph writes it: the leading batch axis of 1 dropped."""
    return tuple(full[1:]) if full and full[0] == 1 else tuple(full)


def fmt_shape(shape: Shape) -> str:
    return "x".join(map(str, shape)) or "scalar"


_CHECKER_NODE = re.compile(r"name:\s*(\S*)\s+OpType:\s*(\S+)", re.IGNORECASE)


def read_model(path: Path):
    """The ONNX model at `path`, its size checked first (`soc.limits`) and the model
    checked after; a WorkloadError naming the file (and the node, when the checker
    names one) for anything that is not a valid model."""
    import onnx  # lazily: importing soc stays fast
    from google.protobuf.message import DecodeError

    if path.exists() and check_input_file(path, "ONNX model") == 0:
        raise WorkloadError(f"{path}: not an ONNX model (the file is empty)")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except OSError as e:
        raise WorkloadError(f"{path}: cannot read the file ({e.strerror or e})") from None
    except (DecodeError, RuntimeError, ValueError, UnicodeDecodeError) as e:
        raise WorkloadError(
            f"{path}: not an ONNX model (malformed or truncated: {_first(e)})"
        ) from None
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as e:
        node = _CHECKER_NODE.search(str(e))
        where = (
            f"{path}, node {cut(node[1]) or '(unnamed)'} ({cut(node[2])})" if node else f"{path}"
        )
        raise WorkloadError(f"{where}: not a valid ONNX model ({_first(e)})") from None
    return model


def cut(name: str, limit: int = 60) -> str:
    """A name from the file as a message shows it: at most `limit` characters."""
    return name if len(name) <= limit else f"{name[:limit]}… ({len(name):,} characters)"


def _first(e: BaseException) -> str:
    """The first line of an exception's message (cut to 200 characters)."""
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


class OnnxImporter:
    """One import: the state the op converters read and write (see onnx_ops)."""

    def __init__(self, path: Path, model) -> None:
        self.file = str(path)
        self.model = model
        self.graph = model.graph
        self.opset = self._opset()
        self.builder = GraphBuilder(path.name)
        self.consts = Constants()
        self.tensor: dict[str, str] = {}  # ONNX tensor -> graph tensor
        self.full: dict[str, Shape] = {}  # ONNX tensor -> its ONNX shape (batch included)
        self.layers: dict[str, int] = {}  # conv / fc graph tensor -> its ONNX channel axis
        self.folded_pads: dict[str, tuple[str, tuple[int, int, int, int]]] = {}
        self.readers = Counter(t for n in self.graph.node for t in n.input if t)
        self.graph_outputs = {o.name for o in self.graph.output}
        self.readers.update(self.graph_outputs)
        self.inferred: dict[str, tuple[int, Shape | None]] = {}
        self.node = None  # the ONNX node being converted, and its graph name
        self.name = ""
        self.names: list[str] = []
        self.taken: set[str] = set()

    # --- messages --------------------------------------------------------------------

    def fail(self, why: str) -> WorkloadError:
        if self.node is None:
            return WorkloadError(f"{self.file}: {why}")
        node = f"node {cut(self.name)} ({cut(self.node.op_type)})"
        return WorkloadError(f"{self.file}, {node}: {why}")

    # --- what converters read ----------------------------------------------------------

    def attr(self, key: str, default: object = None) -> object:
        from onnx import helper

        for a in self.node.attribute:
            if a.name == key:
                value = helper.get_attribute_value(a)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def attrs(self) -> dict[str, object]:
        from onnx import AttributeProto, helper

        plain = (AttributeProto.FLOAT, AttributeProto.INT, AttributeProto.STRING)
        lists = (AttributeProto.FLOATS, AttributeProto.INTS)
        out: dict[str, object] = {}
        for a in self.node.attribute:
            if a.type in plain or a.type in lists:
                value = helper.get_attribute_value(a)
                value = value.decode() if isinstance(value, bytes) else value
                out[a.name] = tuple(value) if a.type in lists else value
        return out

    def has(self, i: int) -> bool:
        return len(self.node.input) > i and self.node.input[i] != ""

    def is_const(self, i: int) -> bool:
        return self.has(i) and self.node.input[i] in self.consts

    def act(self, i: int) -> tuple[str, Shape]:
        """The graph tensor and ONNX shape of input `i`, an activation."""
        t = self.node.input[i]
        if t not in self.tensor:
            if t in self.consts:
                raise self.fail(f"input {i} ({t!r}) is a constant where an activation is expected")
            raise self.fail(f"reads {t!r}, which no earlier node makes")
        return self.tensor[t], self.full[t]

    def value(self, i: int, what: str) -> np.ndarray:
        """Input `i`'s constant value (`what` names it in the message)."""
        if not self.is_const(i):
            raise self.fail(f"{what} is not a constant (flexsoc needs static shapes)")
        try:
            return self.consts.value(self.node.input[i])
        except ValueError as e:
            raise self.fail(f"{what}: {e}") from None

    def const_shape(self, i: int, what: str) -> Shape:
        if not self.is_const(i):
            raise self.fail(f"the {what} is not a constant")
        return self.consts.shape(self.node.input[i])

    def op_type(self) -> str:
        domain = self.node.domain
        return self.node.op_type if domain in DEFAULT_DOMAINS else f"{domain}:{self.node.op_type}"

    def foldable(self, t: str) -> bool:
        """ONNX tensor `t` is a conv / fc output that only the current node reads."""
        return self.tensor.get(t) in self.layers and self.readers[t] == 1

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.taken:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name

    # --- what converters write -----------------------------------------------------

    def emit(self, out: str, graph_tensor: str, full: Shape) -> None:
        """ONNX tensor `out` (of ONNX shape `full`) is held by graph tensor `graph_tensor`."""
        full = tuple(int(d) for d in full)
        known = self.inferred.get(out, (0, None))[1]
        if known is not None and known != full:
            raise self.fail(
                f"flexsoc derives {fmt_shape(full)} for {out!r} but ONNX shape inference "
                f"gives {fmt_shape(known)}"
            )
        self.tensor[out], self.full[out] = graph_tensor, full

    def add(self, node: Node, out_full: Shape) -> str:
        """Add a node made by hand; its output is the current node's first output."""
        self.builder.add_node(node)
        self.emit(self.node.output[0], node.name, out_full)
        return node.name

    # --- the walk ------------------------------------------------------------------

    def _opset(self) -> int:
        versions = [o.version for o in self.model.opset_import if o.domain in DEFAULT_DOMAINS]
        if not versions:
            raise WorkloadError(f"{self.file}: the model imports no ai.onnx opset")
        if versions[0] < MIN_OPSET:
            raise WorkloadError(
                f"{self.file}: opset {versions[0]} is older than {MIN_OPSET} (convert it with "
                "onnx.version_converter)"
            )
        return int(versions[0])

    def run(self) -> Graph:
        from soc.workloads import onnx_ops

        self._inputs()
        self._infer()
        self._name_nodes()
        for index, node in enumerate(self.graph.node):
            self.node, self.name = node, self.names[index]
            if self._fold(node):
                continue
            convert = onnx_ops.CONVERTERS.get(node.op_type)
            if node.domain not in DEFAULT_DOMAINS or convert is None:
                convert = onnx_ops.other
            try:
                convert(self, node)
            except WorkloadError as e:
                raise self._own(e) from None
        self.node = None
        return self._build()

    def _own(self, e: WorkloadError) -> WorkloadError:
        """A builder's or layer's message, reworded to name the file and the node."""
        msg = str(e)
        if msg.startswith(self.file):
            return e
        for prefix in (f"model {self.builder.name}, op {self.name}: ", f"layer {self.name}: "):
            msg = msg.removeprefix(prefix)
        return self.fail(msg)

    def _inputs(self) -> None:
        constant = {i.name for i in self.graph.initializer}
        for init in self.graph.initializer:
            self.consts.add_proto(init)
        for vi in self.graph.input:
            if vi.name in constant:
                continue
            ttype = vi.type.tensor_type
            if not vi.type.HasField("tensor_type") or not ttype.HasField("shape"):
                raise self.fail(f"input {vi.name!r} has no tensor shape")
            dims = list(ttype.shape.dim)
            full = []
            for axis, d in enumerate(dims):
                if d.HasField("dim_value") and d.dim_value > 0:
                    full.append(int(d.dim_value))
                elif axis == 0 and len(dims) >= 2:
                    full.append(1)  # a symbolic batch: batch 1
                    d.Clear()
                    d.dim_value = 1  # so ONNX's shape inference sees it too
                else:
                    label = d.dim_param or "?"
                    raise self.fail(
                        f"input {vi.name!r} has a symbolic dimension {label!r} at axis {axis} "
                        "(flexsoc needs a fixed input size)"
                    )
            if len(full) >= 2 and full[0] != 1:
                raise self.fail(
                    f"input {vi.name!r} has batch {full[0]} (shape {fmt_shape(tuple(full))}); "
                    "flexsoc imports batch 1 only"
                )
            shape = batchless(tuple(full))
            self.builder.input(vi.name, shape)
            self.tensor[vi.name], self.full[vi.name] = vi.name, tuple(full)
            self.inferred[vi.name] = (ttype.elem_type, tuple(full))
        if not self.tensor:
            raise self.fail("the model has no input besides its constants")

    def _infer(self) -> None:
        """ONNX's own shape inference: a cross-check of every shape flexsoc derives, and
        the output shapes of the ops it does not model."""
        from onnx import shape_inference

        try:
            inferred = shape_inference.infer_shapes(self.model, data_prop=True)
        except (shape_inference.InferenceError, RuntimeError, ValueError) as e:
            # inference is a cross-check and a fallback: go on without it
            log.info("%s: ONNX shape inference failed (%s)", self.file, e)
            return
        g = inferred.graph
        for vi in list(g.value_info) + list(g.output):
            if vi.name in self.inferred or not vi.type.HasField("tensor_type"):
                continue
            ttype = vi.type.tensor_type
            dims = None
            if ttype.HasField("shape"):
                values = [d.dim_value if d.HasField("dim_value") else -1 for d in ttype.shape.dim]
                dims = tuple(values) if min(values, default=0) >= 0 else None
            self.inferred[vi.name] = (ttype.elem_type, dims)

    def _name_nodes(self) -> None:
        nodes = self.graph.node
        counts = Counter(n.name for n in nodes if n.name)
        self.taken = set(self.tensor)  # the graph inputs
        kept = [bool(n.name) and counts[n.name] == 1 and n.name not in self.taken for n in nodes]
        self.taken |= {n.name for n, keep in zip(nodes, kept, strict=True) if keep}
        self.names = [
            n.name if keep else self.fresh(f"{n.op_type}_{i}")
            for i, (n, keep) in enumerate(zip(nodes, kept, strict=True))
        ]

    def _fold(self, node) -> bool:
        """Evaluate an op of constants (or the Shape of an activation); True if done."""
        if node.domain not in DEFAULT_DOMAINS:
            return False
        ins = list(node.input)
        if node.op_type in ("Shape", "Size") and ins and ins[0] in self.full:
            full = self.full[ins[0]]
            if node.op_type == "Size":
                value = np.array(math.prod(full), np.int64)
            else:
                start, end = self.attr("start", 0), self.attr("end", None)
                value = np.array(full, np.int64)[start:end]
            self.consts.add(node.output[0], value)
            return True
        constant = all(t == "" or t in self.consts for t in ins)
        if not (node.op_type == "Constant" or (constant and any(ins))):
            return False
        try:
            values = [self.consts.value(t) if t else None for t in ins]
            self._check_broadcast(node.op_type, values)
            outs = fold(node.op_type, values, self.attrs_raw(), self.opset, len(node.output))
        except Unfoldable:
            return False
        except (ValueError, IndexError, TypeError, KeyError, ArithmeticError) as e:
            raise self.fail(f"cannot evaluate this op of constants ({_first(e)})") from None
        except MemoryError:
            raise self.fail("its constant result does not fit in memory") from None
        for value in outs:
            if isinstance(value, np.ndarray) and not uniform(value):
                self._check_constant_bytes(value.nbytes)
        for out, value in zip(node.output, outs, strict=False):
            if out:
                self.consts.add(out, value)
        return True

    def _check_broadcast(self, op: str, values: list) -> None:
        """An element-wise op of constants whose broadcast result would be larger than
        the input size limit is refused before numpy allocates it."""
        if op not in BROADCASTING:
            return
        shapes = [v.shape for v in values if isinstance(v, np.ndarray)]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            return  # the fold itself says why
        self._check_constant_bytes(
            math.prod(shape) * max(v.itemsize for v in values if v is not None)
        )

    def _check_constant_bytes(self, size: int) -> None:
        limit = max_input_bytes()
        if size > limit:
            raise self.fail(
                f"its constant result would hold {size:,} bytes, over the input limit of "
                f"{limit:,} (set {MAX_INPUT_ENV} to raise it)"
            )

    def attrs_raw(self) -> dict[str, object]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in self.node.attribute}

    def _build(self) -> Graph:
        outputs = []
        for o in self.graph.output:
            if o.name in self.tensor and self.tensor[o.name] not in outputs:
                outputs.append(self.tensor[o.name])
            elif o.name in self.consts:
                log.info("%s: output %r is a constant; the graph leaves it out", self.file, o.name)
        try:
            graph = fold_silu(self.builder.build(outputs or None))
        except (WorkloadError, IndexError) as e:
            raise WorkloadError(f"{self.file}: {e}") from None
        others = Counter(n.op_type for n in unsupported_ops(graph))
        if others:
            listed = ", ".join(f"{op} x{n}" for op, n in sorted(others.items()))
            note = (
                f"{self.file}: ops flexsoc does not model run on the CPU at "
                f"soc.cpu.fallback's 'other' cost: {listed}"
            )
            graph = replace(graph, notes=(*graph.notes, note))
        return graph
