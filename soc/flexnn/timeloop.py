"""Reading Timeloop's problem / architecture / mapping YAML (format v0.4) into the
loop-nest model, and pricing its counts with an energy reference table (ERT).

Only what the loop-nest model needs is read: dimension sizes and projections, the
storage levels with their instance counts and vector widths, and the mapping's factors,
permutations (Timeloop lists loops innermost first) and bypass lists.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from soc.errors import ConfigError
from soc.flexnn.loopnest import DataSpace, Level, Loop, Mapping, NestStats, Problem

_NAME = re.compile(r"^(?P<base>[^\[]+)(\[(?P<lo>\d+)\.\.(?P<hi>\d+)\])?$")


@dataclass(frozen=True)
class ArchLevel:
    """A storage level: instances and words per vector access (width / datawidth)."""

    name: str
    instances: int
    block: int


@dataclass(frozen=True)
class TimeloopSpec:
    problem: Problem
    mapping: Mapping
    storage: tuple[ArchLevel, ...]  # outermost first
    compute: ArchLevel


def _split_name(name: str) -> tuple[str, int]:
    match = _NAME.match(name)
    if match is None:
        raise ConfigError(f"timeloop: cannot read component name {name!r}")
    lo, hi = match.group("lo"), match.group("hi")
    return match.group("base"), 1 if lo is None else int(hi) - int(lo) + 1


def _components(tree: dict, multiplier: int = 1) -> list[tuple[str, str, int, dict]]:
    """Flatten a v0.4 architecture tree into (name, class, instances, attributes)."""
    out = []
    for node in tree.get("local", []) or []:
        name, count = _split_name(node["name"])
        out.append((name, node.get("class", ""), count, node.get("attributes", {}) or {}))
    for sub in tree.get("subtree", []) or []:
        _, count = _split_name(sub.get("name", "x"))
        out.extend(_components(sub, multiplier * count))
    return out


def _problem(doc: dict) -> Problem:
    shape, instance = doc["shape"], doc["instance"]
    coefficients = {c["name"]: c.get("default", 1) for c in shape.get("coefficients", []) or []}
    coefficients.update({k: v for k, v in instance.items() if k in coefficients})
    sizes = {dim: int(instance[dim]) for dim in shape["dimensions"]}
    spaces = []
    for ds in shape["data_spaces"]:
        axes = []
        for axis in ds["projection"]:
            terms = []
            for term in axis:
                if len(term) == 1:
                    terms.append((1, term[0]))
                else:
                    coef, dim = term
                    terms.append((int(coefficients.get(coef, coef)), dim))
            axes.append(tuple(terms))
        spaces.append(DataSpace(ds["name"], tuple(axes), bool(ds.get("read_write", False))))
    return Problem(shape.get("name", "problem"), sizes, tuple(spaces))


def _factors(text: str | dict) -> dict[str, int]:
    if isinstance(text, dict):
        return {k: int(v) for k, v in text.items()}
    return {
        k: int(v)
        for k, v in (item.split("=") for item in text.replace(" ", ",").split(",") if item)
    }


def _loops(entry: dict) -> tuple[Loop, ...]:
    factors = _factors(entry.get("factors", ""))
    order = list(entry.get("permutation", "")) or list(factors)
    order += [d for d in factors if d not in order]
    # permutation is innermost first; loops are kept outer to inner, unit loops dropped
    return tuple(Loop(dim, factors[dim]) for dim in reversed(order) if factors.get(dim, 1) > 1)


def _mapping(entries: list[dict], storage: list[str], tensors: list[str]) -> Mapping:
    temporal: dict[str, tuple[Loop, ...]] = {}
    spatial: dict[str, tuple[Loop, ...]] = {}
    keep = {name: set(tensors) for name in storage}
    for entry in entries:
        target = _split_name(entry["target"])[0]
        if target not in keep:
            raise ConfigError(f"timeloop mapping: unknown target {entry['target']!r}")
        kind = entry.get("type", "temporal")
        if kind == "temporal":
            temporal[target] = _loops(entry)
        elif kind == "spatial":
            spatial[target] = _loops(entry)
        elif kind in ("bypass", "datatype", "dataspace"):
            keep[target] -= set(entry.get("bypass", []) or [])
            if "keep" in entry:
                keep[target] = set(entry["keep"])
    return Mapping(
        tuple(
            Level(name, temporal.get(name, ()), spatial.get(name, ()), frozenset(keep[name]))
            for name in storage
        )
    )


def read_timeloop(*paths: Path) -> TimeloopSpec:
    """Merge Timeloop YAML files (architecture, problem, mapping) into one spec."""
    doc: dict = {}
    for path in paths:
        loaded = yaml.safe_load(Path(path).read_text())
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a Timeloop YAML mapping")
        doc.update(loaded)
    for key in ("architecture", "problem", "mapping"):
        if key not in doc:
            raise ConfigError(f"timeloop input has no {key!r} section")
    problem = _problem(doc["problem"])
    parts = _components(doc["architecture"])
    compute = [p for p in parts if "mac" in p[1].lower() or p[1] == "compute"]
    storage = [p for p in parts if p not in compute]
    levels = tuple(
        ArchLevel(name, count, max(1, int(a.get("width", 1)) // int(a.get("datawidth", 1) or 1)))
        for name, _, count, a in storage
    )
    mapping = _mapping(
        doc["mapping"], [lv.name for lv in levels], [ds.name for ds in problem.dataspaces]
    )
    name, _, count, _ = compute[-1]
    return TimeloopSpec(problem, mapping, levels, ArchLevel(name, count, 1))


def read_ert(path: Path) -> dict[str, dict[str, float]]:
    """Energy per action of every component, keyed by base name ('GlobalBuffer')."""
    doc = yaml.safe_load(Path(path).read_text())
    out = {}
    for entry in doc["ERT_summary"]["table_summary"]:
        base = entry["name"].split("[")[0].split(".")[-1]  # System.PE.Buffer[1..16] -> Buffer
        out[base] = {a["name"]: float(a["energy"]) for a in entry["actions"]}
    return out


def energy_pj(
    stats: NestStats, spec: TimeloopSpec, ert: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Energy per level and tensor: accesses are charged per vector of `block` words
    (reads at 'read', fills at 'write', updates at 'update'), times utilised instances;
    compute energy under the compute level's name."""
    blocks = {lv.name: lv.block for lv in spec.storage}
    out: dict[str, dict[str, float]] = {}
    for level in stats.levels:
        table, block = ert.get(level.name, {}), blocks[level.name]
        out[level.name] = {
            tensor: level.instances
            * sum(
                math.ceil(count / block) * table.get(action, 0.0)
                for count, action in ((t.reads, "read"), (t.fills, "write"), (t.updates, "update"))
            )
            for tensor, t in level.tensors.items()
        }
    out[spec.compute.name] = {"compute": stats.macs * ert[spec.compute.name]["compute"]}
    return out
