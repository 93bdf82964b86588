"""Timeloop mapping directives as Timeloop reads them (src/mapping/parser.cpp).

- ``type``: temporal, spatial (its ``split`` only divides X from Y and does not change
  the counts), and bypass / datatype / dataspace (``keep`` / ``bypass`` lists; a
  tensor in both is bypassed, as in Timeloop);
- ``target``: a storage level by name (``Buffer`` or ``Buffer[0..15]``), by a
  container's name (its inter_<name>_spatial level), or by number (0 = innermost);
- factors: ``C1 M8``, ``C=1 M=8``, ``C=1,M=8``, a list or a map; 0 means the whole
  dimension; dimensions not named are 1;
- levels keep every tensor unless a directive says otherwise, except the levels the
  front end inserts for a container's fan-out (class dummy_storage), which keep none;
- permutation: a string or list, innermost loop first; dimensions it leaves out go
  outermost, in the problem's dimension order (Timeloop pads the list at its end).

Refused: factors of a dimension that do not multiply to its size, residual (imperfect)
factors, skew directives, and the per-directive options no_link_transfer, no_reuse,
no_temporal_reuse, rmw_first_update, no_coalesce; a spatial directive using more
instances than the fan-out below its level; a tensor bypassing the outermost level.
"""

from __future__ import annotations

import math
import re

from soc.errors import ConfigError, MappingError
from soc.flexnn.loopnest import Level, Loop, Mapping, Problem, check_mapping
from soc.flexnn.timeloop_arch import Architecture, split_name

_FACTOR = re.compile(r"([A-Za-z]+)\s*=*\s*([0-9]+)(,([0-9]+))?")
# Mapping directive options that change Timeloop's counts in ways the model lacks.
_REFUSED_DIRECTIVE_KEYS = (
    "no_link_transfer",
    "no_reuse",
    "no_temporal_reuse",
    "no_multicast_no_reduction",
    "rmw_first_update",
    "no_coalesce",
)


def parse_factors(text: object, dims: list[str], sizes: dict[str, int], where: str):
    """``C1 M8`` / ``C=1 M=8`` / ``C=1,M=8`` / list / map -> {dim: factor}."""
    if isinstance(text, dict):
        text = " ".join(f"{k}={v}" for k, v in text.items())
    elif isinstance(text, list):
        text = " ".join(str(x) for x in text)
    text = str(text or "").split("#")[0]
    out: dict[str, int] = {}
    for match in _FACTOR.finditer(text):
        dim, end, residual = match.group(1), int(match.group(2)), match.group(4)
        if dim not in dims:
            raise ConfigError(f"{where}: dimension {dim!r} is not in the problem")
        if residual is not None and int(residual) != end:
            raise ConfigError(f"{where}: residual factor {match.group(0)!r} is not modelled")
        out[dim] = sizes[dim] if end == 0 else end
    return out


def parse_permutation(text: object, dims: list[str], where: str) -> list[str]:
    """Innermost first; dimensions left out follow (outermost) in problem order. A
    string is read letter by letter as Timeloop does (its dimension names are one
    letter); with longer names, list them or separate them by spaces or commas."""
    if isinstance(text, list):
        order = [str(x) for x in text]
    elif all(len(d) == 1 for d in dims):
        order = [c for c in str(text or "") if not c.isspace() and c != ","]
    else:
        order = str(text or "").replace(",", " ").split()
    for dim in order:
        if dim not in dims:
            raise ConfigError(f"{where}: dimension {dim!r} is not in the problem")
    return order + [d for d in dims if d not in order]


def read_mapping(entries: object, arch: Architecture, problem: Problem, where: str = "mapping"):
    """Timeloop mapping directives -> loop-nest Mapping (levels outermost first)."""
    if isinstance(entries, dict):
        entries = entries.get("targets", entries.get("mapping"))
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected a list of directives")
    names = [lv.name for lv in arch.storage]
    dims = list(problem.sizes)
    tensors = [ds.name for ds in problem.dataspaces]
    temporal: dict[str, tuple[Loop, ...]] = {}
    spatial: dict[str, tuple[Loop, ...]] = {}
    keep = {n: set() if n in arch.dummies else set(tensors) for n in names}
    for i, entry in enumerate(entries):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{at}: expected a directive mapping")
        target = _target(entry.get("target"), names, arch, at)
        kind = entry.get("type", "temporal")
        for key in _REFUSED_DIRECTIVE_KEYS:
            if entry.get(key):
                raise ConfigError(f"{at}.{key}: not modelled")
        if kind in ("temporal", "spatial"):
            factors = parse_factors(entry.get("factors", ""), dims, problem.sizes, f"{at}.factors")
            order = parse_permutation(entry.get("permutation", ""), dims, f"{at}.permutation")
            loops = tuple(Loop(d, factors[d]) for d in reversed(order) if factors.get(d, 1) > 1)
            (temporal if kind == "temporal" else spatial)[target] = loops
        elif kind in ("bypass", "datatype", "dataspace"):
            for key, flag in (("keep", True), ("bypass", False)):
                for tensor in entry.get(key) or []:
                    if tensor not in tensors:
                        raise ConfigError(f"{at}.{key}: {tensor!r} is not a data space")
                    (keep[target].add if flag else keep[target].discard)(tensor)
        elif kind == "skew":
            raise ConfigError(f"{at}.type: skew directives are not modelled")
        else:
            raise ConfigError(f"{at}.type: unknown directive type {kind!r}")
    _check_fanout(arch, spatial, where)
    for tensor in tensors:
        if tensor not in keep[names[0]]:
            raise ConfigError(f"{where}: {tensor} bypasses the outermost level {names[0]}")
    mapping = Mapping(
        tuple(Level(n, temporal.get(n, ()), spatial.get(n, ()), frozenset(keep[n])) for n in names),
        timeloop_deltas=True,
    )
    try:
        check_mapping(problem, mapping)
    except MappingError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return mapping


def _target(target: object, names: list[str], arch: Architecture, where: str) -> str:
    if isinstance(target, int) and not isinstance(target, bool):  # storage id, 0 innermost
        if not 0 <= target < len(names):
            raise ConfigError(f"{where}.target: no storage level {target}")
        return names[len(names) - 1 - target]
    base = split_name(str(target), f"{where}.target")[0]
    base = arch.aliases.get(base, base)
    if base not in names:
        raise ConfigError(f"{where}.target: unknown storage level {target!r}")
    return base


def _check_fanout(arch: Architecture, spatial: dict[str, tuple[Loop, ...]], where: str):
    levels = [*arch.storage, arch.compute]
    for outer, inner in zip(levels, levels[1:], strict=False):
        loops = spatial.get(outer.name, ())
        used = math.prod(lp.factor for lp in loops)
        fanout = inner.instances // outer.instances
        if used > fanout:
            raise ConfigError(
                f"{where}: spatial factors at {outer.name} use {used} instances, "
                f"the fan-out to {inner.name} is {fanout}"
            )
