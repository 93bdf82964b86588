"""Workloads as operator graphs: every op of a network, its tensors and their shapes.

A `Graph` lists its `Node`s in execution order (each reads only graph inputs or the
outputs of nodes before it). A node's output tensor is named after the node. Shapes
leave out the batch (batch 1): a feature map is (C, H, W), a flat vector (N,).
Convolutions and fully connected layers carry the loop-nest `Layer` the accelerator
runs; every other op carries what a host CPU needs to cost it (its elements, its
window, its MACs). Where each op runs is decided later, by the planner.

`GraphBuilder` is how the zoo and the importers write graphs: each method adds one op,
infers its output shape and refuses inputs that do not fit, naming the op.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from soc.errors import WorkloadError
from soc.workloads.layers import Layer

# what each op kind is, for placement, costing and the printed table
CONV, FC = "conv", "fc"
POOL_KINDS = frozenset({"maxpool", "avgpool", "globalavgpool", "globalmaxpool"})
ACTIVATION_KINDS = frozenset(
    {"relu", "clip", "hardswish", "hardsigmoid", "sigmoid", "silu", "leakyrelu", "tanh", "gelu"}
)
ELEMENTWISE_KINDS = frozenset({"add", "mul", "sub", "div"})
FREE_KINDS = frozenset({"reshape", "flatten", "squeeze", "unsqueeze", "identity", "dropout"})
OTHER_KINDS = frozenset({"concat", "resize", "softmax", "transpose", "matmul", "other"})
KINDS = (
    frozenset({CONV, FC})
    | POOL_KINDS
    | ACTIVATION_KINDS
    | ELEMENTWISE_KINDS
    | FREE_KINDS
    | OTHER_KINDS
)

Shape = tuple[int, ...]


def elements(shape: Shape) -> int:
    return math.prod(shape)


@dataclass(frozen=True)
class Window:
    """A pooling window: kernel, stride and padding (top, left, bottom, right)."""

    r: int
    s: int
    stride: int
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True)
class Node:
    """One op. `inputs` are the activation tensors it reads (constants such as weights
    are part of the op); `shape` is its output's."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    shape: Shape
    layer: Layer | None = None  # conv / fc: the loop nest
    window: Window | None = None  # pooling
    macs: int = 0  # matmul of two activations: its MACs; conv / fc: the layer's
    op_type: str = ""  # the op as the source wrote it (an ONNX op type, say)
    attrs: tuple[tuple[str, object], ...] = ()  # what the source said, for messages

    @property
    def elements(self) -> int:
        return elements(self.shape)

    def attr(self, key: str, default: object = None) -> object:
        return dict(self.attrs).get(key, default)


@dataclass(frozen=True)
class Graph:
    """A network: its inputs (name -> shape), its ops in order, its outputs."""

    name: str
    inputs: tuple[tuple[str, Shape], ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what a user should know of how it was read

    def shape(self, tensor: str) -> Shape:
        return self.shapes()[tensor]

    def shapes(self) -> dict[str, Shape]:
        found = dict(self.inputs)
        found.update((n.name, n.shape) for n in self.nodes)
        return found

    def consumers(self) -> dict[str, list[Node]]:
        """Tensor name -> the nodes that read it, in order."""
        readers: dict[str, list[Node]] = {}
        for node in self.nodes:
            for tensor in node.inputs:
                readers.setdefault(tensor, []).append(node)
        return readers

    @property
    def layers(self) -> list[Layer]:
        """The convolutions and fully connected layers, in order."""
        return [n.layer for n in self.nodes if n.layer is not None]

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self.nodes)

    @property
    def parameters(self) -> int:
        """Weights and biases of every conv and fc (the count papers publish)."""
        return sum(n.layer.weight_elements + n.layer.k for n in self.nodes if n.layer is not None)

    def check(self) -> Graph:
        """Every input exists before it is read; names are unique; outputs exist."""
        if not self.nodes:
            raise WorkloadError(f"model {self.name}: the graph has no ops")
        known = {name for name, _ in self.inputs}
        for node in self.nodes:
            if node.name in known:
                raise WorkloadError(f"model {self.name}: tensor name {node.name!r} is used twice")
            if node.kind not in KINDS:
                raise WorkloadError(
                    f"model {self.name}, op {node.name}: unknown kind {node.kind!r}"
                )
            for tensor in node.inputs:
                if tensor not in known:
                    raise WorkloadError(
                        f"model {self.name}, op {node.name}: reads {tensor!r}, "
                        "which no earlier op or graph input makes"
                    )
            known.add(node.name)
        for tensor in self.outputs:
            if tensor not in known:
                raise WorkloadError(f"model {self.name}: output {tensor!r} is not made by any op")
        return self


def graph_of_layers(name: str, layers: Sequence[Layer]) -> Graph:
    """A graph of accelerator layers only (an inline layer list): a layer reads its
    `source`, or the previous layer's output; a source that is no layer of the list is
    an input of the graph, made outside it (a pooling, a residual add)."""
    names = {layer.name for layer in layers}
    inputs: dict[str, Shape] = {}
    nodes = []
    previous = None
    for layer in layers:
        source = layer.source if layer.source is not None else previous
        if source is None or source not in names:
            key = source or "input"
            shape = (layer.c, layer.h, layer.w) if layer.op != FC else (layer.c,)
            inputs.setdefault(key, shape)
            source = key
        shape = (layer.k,) if layer.op == FC else (layer.k, layer.p, layer.q)
        nodes.append(
            Node(
                layer.name,
                layer.op if layer.op == FC else CONV,
                (source,),
                shape,
                layer=layer,
                macs=layer.macs,
                op_type=layer.op,
            )
        )
        previous = layer.name
    return Graph(name, tuple(inputs.items()), tuple(nodes), (nodes[-1].name,) if nodes else ())


@dataclass
class GraphBuilder:
    """Writes a graph op by op, inferring shapes. Each method returns the output
    tensor's name (the op's name)."""

    name: str
    _inputs: list[tuple[str, Shape]] = field(default_factory=list)
    _nodes: list[Node] = field(default_factory=list)
    _shapes: dict[str, Shape] = field(default_factory=dict)

    def input(self, name: str, shape: Sequence[int]) -> str:
        shape = tuple(int(x) for x in shape)
        if any(x <= 0 for x in shape):
            raise WorkloadError(f"model {self.name}: input {name} has shape {shape}")
        self._inputs.append((name, shape))
        self._shapes[name] = shape
        return name

    def shape(self, tensor: str) -> Shape:
        try:
            return self._shapes[tensor]
        except KeyError:
            raise WorkloadError(f"model {self.name}: no tensor {tensor!r} yet") from None

    def _fail(self, name: str, why: str) -> WorkloadError:
        return WorkloadError(f"model {self.name}, op {name}: {why}")

    def add_node(self, node: Node) -> str:
        if node.name in self._shapes:
            raise self._fail(node.name, "the name is used twice")
        for tensor in node.inputs:
            self.shape(tensor)
        self._nodes.append(node)
        self._shapes[node.name] = node.shape
        return node.name

    def _fmap(self, name: str, x: str) -> tuple[int, int, int]:
        shape = self.shape(x)
        if len(shape) != 3:
            raise self._fail(name, f"needs a C x H x W input, {x} is {_fmt(shape)}")
        return shape  # type: ignore[return-value]

    def conv(
        self,
        name: str,
        x: str,
        k: int,
        kernel: int | tuple[int, int] = 1,
        stride: int = 1,
        padding: int | tuple[int, int, int, int] = 0,
        groups: int = 1,
        dilation: int = 1,
        op_type: str = "Conv",
    ) -> str:
        """A convolution (grouped, dilated, padded, strided); `groups == C == K` is a
        depthwise convolution."""
        c, h, w = self._fmap(name, x)
        r, s = (kernel, kernel) if isinstance(kernel, int) else kernel
        pads = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if groups <= 0 or c % groups or k % groups:
            raise self._fail(name, f"groups {groups} must divide C = {c} and K = {k}")
        depthwise = groups == c == k and groups > 1
        layer = Layer(
            name,
            "dwconv" if depthwise else "conv",
            c=c,
            k=k,
            h=h,
            w=w,
            r=r,
            s=s,
            stride=stride,
            pads=pads,
            groups=groups,
            dilation=dilation,
            source=x,
        )
        node = Node(
            name, CONV, (x,), (k, layer.p, layer.q), layer=layer, macs=layer.macs, op_type=op_type
        )
        return self.add_node(node)

    def fc(self, name: str, x: str, k: int, op_type: str = "Gemm") -> str:
        """A fully connected layer over the flattened input."""
        c = elements(self.shape(x))
        layer = Layer(name, FC, c=c, k=k, source=x)
        return self.add_node(
            Node(name, FC, (x,), (k,), layer=layer, macs=layer.macs, op_type=op_type)
        )

    def pool(
        self,
        name: str,
        x: str,
        kind: str,
        kernel: int | tuple[int, int],
        stride: int,
        padding: int | tuple[int, int, int, int] = 0,
        ceil_mode: bool = False,
        op_type: str = "",
    ) -> str:
        """Max or average pooling over a window."""
        if kind not in ("maxpool", "avgpool"):
            raise self._fail(name, f"pooling kind {kind!r}")
        c, h, w = self._fmap(name, x)
        r, s = (kernel, kernel) if isinstance(kernel, int) else kernel
        pads = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        rnd = math.ceil if ceil_mode else math.floor
        p = int(rnd((h + pads[0] + pads[2] - r) / stride)) + 1
        q = int(rnd((w + pads[1] + pads[3] - s) / stride)) + 1
        if p <= 0 or q <= 0 or stride <= 0:
            raise self._fail(name, f"window {r}x{s} stride {stride} does not fit {h}x{w}")
        node = Node(
            name, kind, (x,), (c, p, q), window=Window(r, s, stride, pads), op_type=op_type or kind
        )
        return self.add_node(node)

    def global_pool(self, name: str, x: str, kind: str = "globalavgpool", op_type: str = "") -> str:
        if kind not in ("globalavgpool", "globalmaxpool"):
            raise self._fail(name, f"global pooling kind {kind!r}")
        c, _, _ = self._fmap(name, x)
        return self.add_node(Node(name, kind, (x,), (c, 1, 1), op_type=op_type or kind))

    def activation(self, name: str, x: str, kind: str, op_type: str = "", **attrs) -> str:
        if kind not in ACTIVATION_KINDS:
            raise self._fail(name, f"unknown activation {kind!r}")
        node = Node(
            name,
            kind,
            (x,),
            self.shape(x),
            op_type=op_type or kind,
            attrs=tuple(sorted(attrs.items())),
        )
        return self.add_node(node)

    def elementwise(self, name: str, a: str, b: str, kind: str = "add", op_type: str = "") -> str:
        """An element-wise op of two tensors, broadcasting the smaller (numpy rules)."""
        if kind not in ELEMENTWISE_KINDS:
            raise self._fail(name, f"unknown element-wise op {kind!r}")
        shape = broadcast(self.shape(a), self.shape(b))
        if shape is None:
            raise self._fail(
                name, f"cannot broadcast {_fmt(self.shape(a))} with {_fmt(self.shape(b))}"
            )
        return self.add_node(Node(name, kind, (a, b), shape, op_type=op_type or kind))

    def concat(self, name: str, xs: Sequence[str], axis: int = 0, op_type: str = "Concat") -> str:
        """Concatenation along `axis` (0 = channels of C x H x W)."""
        shapes = [self.shape(x) for x in xs]
        rank = len(shapes[0])
        axis = axis + rank if axis < 0 else axis
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank:
            raise self._fail(name, f"cannot concatenate {', '.join(map(_fmt, shapes))}")
        others = {s[:axis] + s[axis + 1 :] for s in shapes}
        if len(others) != 1:
            raise self._fail(name, f"cannot concatenate {', '.join(map(_fmt, shapes))}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return self.add_node(
            Node(name, "concat", tuple(xs), tuple(out), op_type=op_type, attrs=(("axis", axis),))
        )

    def resize(self, name: str, x: str, size: tuple[int, int], op_type: str = "Resize") -> str:
        c, _, _ = self._fmap(name, x)
        if min(size) <= 0:
            raise self._fail(name, f"resize to {size}")
        return self.add_node(Node(name, "resize", (x,), (c, *size), op_type=op_type))

    def reshape(
        self, name: str, x: str, shape: Sequence[int], kind: str = "reshape", op_type: str = ""
    ) -> str:
        """A change of shape that moves no data (reshape, flatten, squeeze, ...)."""
        shape = tuple(int(v) for v in shape)
        if elements(shape) != elements(self.shape(x)):
            raise self._fail(name, f"cannot reshape {_fmt(self.shape(x))} to {_fmt(shape)}")
        kind = kind if kind in FREE_KINDS else "reshape"
        return self.add_node(Node(name, kind, (x,), shape, op_type=op_type or kind))

    def op(
        self,
        name: str,
        kind: str,
        xs: Sequence[str],
        shape: Sequence[int],
        macs: int = 0,
        op_type: str = "",
        **attrs,
    ) -> str:
        """Any other op (softmax, transpose, matmul, or one no model here knows: 'other')."""
        if kind not in OTHER_KINDS:
            raise self._fail(name, f"unknown op kind {kind!r}")
        node = Node(
            name,
            kind,
            tuple(xs),
            tuple(int(v) for v in shape),
            macs=macs,
            op_type=op_type or kind,
            attrs=tuple(sorted(attrs.items())),
        )
        return self.add_node(node)

    def build(self, outputs: Iterable[str] | None = None) -> Graph:
        outs = tuple(outputs) if outputs is not None else (self._nodes[-1].name,)
        return Graph(self.name, tuple(self._inputs), tuple(self._nodes), outs).check()


def fold_silu(graph: Graph) -> Graph:
    """`x * sigmoid(x)` (how exporters write SiLU / Swish) as one `silu` op, when the
    sigmoid is read by nothing else: one CPU pass instead of two."""
    nodes = {n.name: n for n in graph.nodes}
    readers = graph.consumers()
    dropped: set[str] = set()
    silu: dict[str, Node] = {}
    for n in graph.nodes:
        if n.kind != "mul" or len(n.inputs) != 2:
            continue
        for x, s in (n.inputs, n.inputs[::-1]):
            sig = nodes.get(s)
            if (
                sig is not None
                and sig.kind == "sigmoid"
                and sig.inputs == (x,)
                and len(readers[s]) == 1
                and s not in graph.outputs
            ):
                dropped.add(s)
                silu[n.name] = Node(n.name, "silu", (x,), n.shape, op_type="Sigmoid*Mul")
                break
    if not dropped:
        return graph
    kept = tuple(silu.get(n.name, n) for n in graph.nodes if n.name not in dropped)
    return replace(graph, nodes=kept)


def broadcast(a: Shape, b: Shape) -> Shape | None:
    """numpy's broadcast of two shapes, or None."""
    out = []
    for x, y in zip(
        reversed((1,) * (len(b) - len(a)) + a), reversed((1,) * (len(a) - len(b)) + b), strict=True
    ):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def _fmt(shape: Shape) -> str:
    return "x".join(map(str, shape)) or "scalar"
