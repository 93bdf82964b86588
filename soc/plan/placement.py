"""Where each op of a graph runs, and why: the accelerator, the host CPU, fused into the
op before it, or nowhere (a change of shape moves no data).

- conv (any groups, stride, padding, dilation) and fc run on the FlexNN engine;
- an activation the drain implements (`soc.flexnn.drain_activations`: ReLU and Clip by
  default) whose input is an engine layer's output, read by nothing else, is applied
  by that layer's drain (`fused`), at no extra pass;
- reshape-like ops (reshape, flatten, squeeze, unsqueeze, identity, dropout) are free:
  their output is their input's buffer;
- an activation whose input is made on the CPU and read by nothing else is applied in
  the same CPU pass (`fused`: its compute, no traffic of its own);
- everything else falls back to the host CPU, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from soc.workloads.graph import ACTIVATION_KINDS, CONV, FC, FREE_KINDS, POOL_KINDS, Graph, Node

NPU, CPU, FUSED, FREE = "npu", "cpu", "fused", "free"
DRAIN_ACTIVATIONS = frozenset({"relu", "clip"})  # soc.flexnn.drain_activations' default


@dataclass(frozen=True)
class Placement:
    """One op's unit and the reason; `into` names the op it is fused into (or, for a
    free op, the op whose buffer its output is)."""

    node: Node
    unit: str
    reason: str
    into: str | None = None


def _cpu_reason(node: Node, drain: frozenset[str]) -> str:
    if node.kind == "other":
        return f"{node.op_type or 'this op'} is not an op flexsoc models; costed per element"
    if node.kind in POOL_KINDS:
        return "the engine has no pooling unit"
    if node.kind in ACTIVATION_KINDS:
        known = ", ".join(sorted(drain)) or "no activation"
        return f"the engine's drain applies {known} only, to its own layer's outputs"
    return f"the engine runs conv and fc only, not {node.kind}"


def place(graph: Graph, drain: frozenset[str] = DRAIN_ACTIVATIONS) -> list[Placement]:
    """Every node's placement, in graph order; `drain`: the activations the engine's
    drain applies."""
    readers = graph.consumers()
    made_by: dict[str, Placement] = {}
    placed = []
    for node in graph.nodes:
        source = made_by.get(node.inputs[0]) if node.inputs else None
        only_reader = bool(node.inputs) and len(readers.get(node.inputs[0], ())) == 1
        if node.kind in (CONV, FC) and node.layer is not None:
            where = Placement(node, NPU, f"the engine runs {node.layer.op}")
        elif node.kind in FREE_KINDS:
            base = source.into or source.node.name if source is not None else node.inputs[0]
            where = Placement(node, FREE, "changes the shape only; no data moves", base)
        elif node.kind in ACTIVATION_KINDS and source is not None and only_reader:
            owner = source.into if source.unit == FUSED else source.node.name
            unit = source.unit if source.unit != FUSED else _unit_of(made_by, owner)
            if unit == NPU and node.kind in drain:
                where = Placement(node, FUSED, f"applied by {owner}'s drain", owner)
            elif unit == CPU:
                where = Placement(node, FUSED, f"applied in {owner}'s CPU pass", owner)
            else:
                where = Placement(node, CPU, _cpu_reason(node, drain))
        else:
            where = Placement(node, CPU, _cpu_reason(node, drain))
        made_by[node.name] = where
        placed.append(where)
    return placed


def _unit_of(made_by: dict[str, Placement], name: str) -> str:
    return made_by[name].unit


def buffer_of(placements: list[Placement]) -> dict[str, str]:
    """Tensor name -> the tensor whose buffer holds it (itself, or the op it is fused
    into, or the input of a free op, followed to the end)."""
    owner: dict[str, str] = {}
    for p in placements:
        if p.unit in (FUSED, FREE):
            owner[p.node.name] = owner.get(p.into, p.into)
        else:
            owner[p.node.name] = p.node.name
    return owner
