"""Timeloop architectures (format v0.4) as Timeloop reads them
(src/model/topology.cpp, src/model/buffer.cpp).

Two forms: Timeloop's ``subtree`` / ``local`` tree (what timeloop-model reads, e.g.
parsed-processed-input.yaml; one subtree per level, ``Name[1..N]`` instance ranges
multiplied down the tree) and the front end's ``nodes`` list (``!Container``,
``!Component``, ``!Hierarchical``, ``!Parallel``, ``!Nothing``, ``spatial: {meshX,
meshY}``). A container with a spatial fan-out becomes a storage level
``inter_<name>_spatial`` that keeps nothing, as the front end makes it, and a mapping
may target it by the container's name.

A component's class decides its kind by substring, as Timeloop does: DRAM, SRAM,
regfile, smartbuffer, storage -> storage; mac, compute -> arithmetic; XY_NoC, Legacy,
ReductionTree, SimpleMulticast -> an explicit network (refused); any other class is
skipped by Timeloop and here. Word bits, block size and cluster size follow
buffer.cpp: width = datawidth * block_size * cluster_size, the missing one derived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soc.errors import ConfigError
from soc.flexnn.timeloop_yaml import number, whole

_NAME = re.compile(r"^(?P<base>[^\[]+)(\[(?P<lo>\d+)\.\.(?P<hi>\d+)\])?$")
_STORAGE = ("DRAM", "SRAM", "regfile", "smartbuffer", "storage")
_COMPUTE = ("mac", "compute")
_NETWORK = ("XY_NoC", "Legacy", "ReductionTree", "SimpleMulticast")
_DUMMY = {"width": 1, "depth": 1, "datawidth": 1}  # the front end's inter_*_spatial level


@dataclass(frozen=True)
class ArchLevel:
    """A storage (or the compute) level: instances, words per vector access (block) and
    vector accesses per cluster, with what changes cycles (bandwidth, words/cycle per
    instance) or which mappings fit (size in words, multiple buffering, overbooking, the
    least fraction a mapping must use)."""

    name: str
    instances: int
    block: int
    cluster_size: int = 1
    word_bits: int = 16
    size_words: int | None = None
    multiple_buffering: float = 1.0
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    shared_bandwidth: float | None = None
    allow_overbooking: bool = False
    min_utilization: float = 0.0


@dataclass(frozen=True)
class Architecture:
    storage: tuple[ArchLevel, ...]  # outermost first
    compute: ArchLevel
    aliases: dict[str, str]  # a container's name -> its inter_<name>_spatial level
    dummies: frozenset[str]  # levels the front end inserted (keep nothing by default)


def _kind(cls: str) -> str:
    if any(s in cls for s in _STORAGE):
        return "storage"
    if any(s in cls for s in _COMPUTE):
        return "compute"
    if any(s in cls for s in _NETWORK):
        return "network"
    return "other"


def split_name(name: str, where: str) -> tuple[str, int]:
    match = _NAME.match(str(name))
    if match is None:
        raise ConfigError(f"{where}: cannot read component name {name!r}")
    lo, hi = match.group("lo"), match.group("hi")
    return match.group("base"), 1 if lo is None else int(hi) - int(lo) + 1


Part = tuple[str, str, int, dict, str]  # name, class, instances, attributes, key path


def _subtree_parts(tree: dict, where: str, multiplier: int = 1) -> list[Part]:
    """Timeloop's tree: each level's local components, then its one subtree."""
    out = []
    for i, node in enumerate(tree.get("local") or []):
        name, count = split_name(node.get("name", ""), f"{where}.local[{i}].name")
        attrs = node.get("attributes") or {}
        at = f"{where}.local[{i}] ({name})"
        out.append((name, str(node.get("class", "")), multiplier * count, attrs, at))
    subtrees = tree.get("subtree") or []
    if len(subtrees) > 1:
        raise ConfigError(f"{where}.subtree: Timeloop reads one subtree per level")
    for sub in subtrees:
        _, count = split_name(sub.get("name", "x"), f"{where}.subtree[0].name")
        out.extend(_subtree_parts(sub, f"{where}.subtree[0]", multiplier * count))
    return out


def _mesh(node: dict, where: str) -> int:
    spatial = node.get("spatial") or {}
    return whole(spatial.get("meshX", 1), f"{where}.spatial.meshX") * whole(
        spatial.get("meshY", 1), f"{where}.spatial.meshY"
    )


def _node_parts(
    nodes: list,
    where: str,
    count: int,
    parts: list[Part],
    aliases: dict[str, str],
    inherited: dict | None = None,
) -> int:
    """The front end's node list, flattened outermost first; a container's attributes
    pass down to the nodes after it (a node's own win). Returns the instance count
    below the last node."""
    inherited = dict(inherited or {})
    for i, node in enumerate(nodes):
        at = f"{where}[{i}]"
        if not isinstance(node, dict):
            raise ConfigError(f"{at}: expected a node")
        tag = node.get("!", "Component" if "class" in node else "")
        if tag == "Nothing":
            continue
        if tag in ("Hierarchical", "Parallel"):
            inner = node.get("nodes") or []
            if tag == "Hierarchical":
                count = _node_parts(inner, f"{at}.nodes", count, parts, aliases, inherited)
                continue
            for k, branch in enumerate(inner):
                branch_at = f"{at}.nodes[{k}]"
                if _node_parts([branch], branch_at, count, parts, aliases, inherited) != count:
                    raise ConfigError(f"{branch_at}: a fan-out inside !Parallel is not modelled")
            continue
        name = str(node.get("name", ""))
        fanout = _mesh(node, at)
        attrs = {**inherited, **(node.get("attributes") or {})}
        if tag == "Container":
            inherited = attrs
            if fanout > 1:
                dummy = f"inter_{name}_spatial"
                aliases[name] = dummy
                parts.append((dummy, "dummy_storage", count, _DUMMY, f"{at} ({name})"))
            count *= fanout
            continue
        if tag != "Component":
            raise ConfigError(f"{at}: unknown architecture node !{tag}")
        count *= fanout
        parts.append((name, str(node.get("class", "")), count, attrs, f"{at} ({name})"))
    return count


def _storage_level(name: str, count: int, attrs: dict, where: str, sparse: bool) -> ArchLevel:
    """Word bits, block and cluster size from width as Timeloop's buffer.cpp derives
    them: width = word_bits * block_size * cluster_size."""
    at = f"{where}.attributes"

    def first(*keys: str) -> object:
        return next((attrs[k] for k in keys if attrs.get(k) is not None), None)

    for key in ("reduction_supported",):
        if attrs.get(key) is False:
            raise ConfigError(f"{at}.{key}: storage without reduction is not modelled")
    if attrs.get("has_power_gating") or attrs.get("power_gated_at"):
        raise ConfigError(f"{at}.power_gated_at: power gating is not modelled")
    for key in attrs:
        if (key.startswith("metadata_") and not sparse) or key.startswith("network_"):
            raise ConfigError(f"{at}.{key}: not modelled (sparse metadata / explicit networks)")
    if "per_dataspace_bandwidth_consumption_scale" in attrs:
        raise ConfigError(f"{at}.per_dataspace_bandwidth_consumption_scale: not modelled")
    word = first("word_bits", "word_width", "datawidth")
    word_bits = 16 if word is None else whole(word, f"{at}.datawidth")
    block_raw, cluster_raw = first("block_size", "n_words"), first("cluster_size")
    block = 1 if block_raw is None else whole(block_raw, f"{at}.block_size")
    cluster = 1 if cluster_raw is None else whole(cluster_raw, f"{at}.cluster_size")
    width_raw = first("width", "memory_width", "data_storage_width")
    if width_raw is not None:
        width = whole(width_raw, f"{at}.width")
        if block_raw is not None and cluster_raw is not None:
            if block * word_bits * cluster != width:
                raise ConfigError(f"{at}: block_size * datawidth * cluster_size != width")
        elif cluster_raw is not None:
            block = width // cluster // word_bits
        elif block_raw is not None:
            cluster = width // (word_bits * block)
        else:
            block, cluster = width // word_bits, 1
        if block < 1 or cluster < 1 or width % (word_bits * block):
            raise ConfigError(f"{at}.width: {width} is not a multiple of datawidth * block_size")
    size = _size_words(attrs, block, word_bits, at)
    bandwidth = first("bandwidth")
    read_bw, write_bw = first("read_bandwidth"), first("write_bandwidth")
    if bandwidth is not None:  # Timeloop: deprecated, half to reads and half to writes
        read_bw = write_bw = number(bandwidth, f"{at}.bandwidth") / 2
    shared_bw = first("shared_bandwidth")
    return ArchLevel(
        name,
        count,
        block,
        cluster,
        word_bits,
        size,
        number(attrs.get("multiple_buffering", 1), f"{at}.multiple_buffering"),
        None if read_bw is None else number(read_bw, f"{at}.read_bandwidth"),
        None if write_bw is None else number(write_bw, f"{at}.write_bandwidth"),
        None if shared_bw is None else number(shared_bw, f"{at}.shared_bandwidth"),
        bool(attrs.get("allow_overbooking", False)),
        number(attrs.get("min_utilization", 0), f"{at}.min_utilization"),
    )


def _size_words(attrs: dict, block: int, word_bits: int, at: str) -> int | None:
    """Words a level holds (buffer.cpp): entries, else depth in blocks, else sizeKB."""
    if attrs.get("entries") is not None:
        return whole(attrs["entries"], f"{at}.entries")
    for key in ("depth", "memory_depth", "data_storage_depth"):
        if attrs.get(key) is not None:
            return whole(attrs[key], f"{at}.{key}") * block
    if attrs.get("sizeKB") is not None:
        return whole(attrs["sizeKB"], f"{at}.sizeKB") * 1024 * 8 // word_bits
    return None


def read_architecture(doc: dict, where: str = "architecture", sparse: bool = False) -> Architecture:
    """The ``architecture`` section, either form (module doc). `sparse` lets metadata
    attributes through (Sparseloop's reader prices them itself)."""
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: expected a mapping")
    aliases: dict[str, str] = {}
    if "subtree" in doc:
        parts = _subtree_parts(doc, where)
    elif "nodes" in doc:
        parts = []
        _node_parts(doc["nodes"] or [], f"{where}.nodes", 1, parts, aliases)
    else:
        raise ConfigError(f"{where}: expected 'subtree' (Timeloop) or 'nodes' (v0.4 front end)")
    storage, compute = [], []
    for name, cls, count, attrs, at in parts:
        kind = _kind(cls)
        if attrs.get("instances") is not None:  # Timeloop: overrides the name's range
            count = whole(attrs["instances"], f"{at}.attributes.instances")
        if kind == "network":
            raise ConfigError(f"{at}.class: explicit network {name} ({cls}) is not modelled")
        if kind == "storage":
            storage.append(_storage_level(name, count, attrs, at, sparse))
        elif kind == "compute":
            compute.append(ArchLevel(name, count, 1))
    if not storage or not compute:
        raise ConfigError(f"{where}: needs at least one storage level and one compute level")
    if len(compute) > 1:
        raise ConfigError(f"{where}: {compute[1].name}: one compute level is modelled")
    dummies = frozenset(aliases.values()) | {
        name for name, cls, *_ in parts if cls == "dummy_storage"
    }
    return Architecture(tuple(storage), compute[0], aliases, dummies)
