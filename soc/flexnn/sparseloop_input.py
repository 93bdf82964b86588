"""Reading a Sparseloop design (Timeloop v0.4 YAML plus densities and sparse
optimizations) into plain data for `soc.flexnn.sparseloop`.

Accepted: the architecture as v0.4 ``nodes`` (``!Container`` / ``!Component`` tags;
``!Hierarchical`` and ``!Parallel`` nodes read in line; a container with a ``spatial``
mesh becomes, as in Timeloop's front end, a level ``inter_<name>_spatial`` that keeps
nothing and carries the fan-out) or as the older ``subtree`` / ``local`` tree
(``dummy_storage`` levels keep nothing); the problem with ``instance.densities`` (or
``commonDensity``); the mapping as written by ``timeloop-mapper`` (``*.map.yaml``) or by
hand (factors ``K16 M1``, ``K=16 M=1``, a list or a mapping; permutation innermost first,
missing dimensions outermost); ``sparse_optimizations`` on a component or as a
top-level ``targets`` list, with ``flattened_rankIDs`` per rank. What the model cannot
express is refused with one ConfigError line that names the file and key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from soc.config.yaml_safe import SafeLimitedLoader, load_yaml
from soc.errors import ConfigError
from soc.flexnn.loopnest import DataSpace, Level, Loop, Mapping, Problem
from soc.flexnn.sparseloop_density import ALIASES, MODELS, Density

FORMATS = ("uop", "cp", "b", "rle", "ub")
_RANK_KEYS = {"format", "flattened_rankIDs"}  # per-rank word bits (bandwidth only): refused
_NAME = re.compile(r"^(?P<base>[^\[]+)(\[(?P<lo>\d+)\.\.(?P<hi>\d+)\])?$")


@dataclass(frozen=True)
class NestLoop:
    dim: str
    factor: int
    spatial: bool = False


@dataclass(frozen=True)
class StorageSpec:
    """A storage level: instances, words per access (block), bits per word and per
    metadata word, and bandwidths in words per cycle (None: unlimited)."""

    name: str
    instances: int = 1
    block: int = 1
    word_bits: int = 8
    metadata_word_bits: int = 0
    metadata_width: int = 0  # bits per metadata storage access; 0: no metadata store
    read_bw: float | None = None
    write_bw: float | None = None
    shared_bw: float | None = None
    dummy: bool = False  # a container's fan-out point ("inter_<name>_spatial"): keeps nothing


@dataclass(frozen=True)
class Saf:
    """A storage-level action optimization declared at `level`: the `target` tensor's
    accesses are gated or skipped when its `condition_on` tensors' tile is empty."""

    kind: str  # "gating" | "skipping"
    level: str
    target: str
    condition_on: tuple[str, ...]


@dataclass(frozen=True)
class SparseSpec:
    problem: Problem
    densities: dict[str, Density]
    storage: tuple[StorageSpec, ...]  # outermost first
    loops: dict[str, tuple[NestLoop, ...]]  # per level, outer to inner, trivial loops kept
    keep: dict[str, frozenset[str]]
    formats: dict[tuple[str, str], tuple[str, ...]]  # (level, tensor) -> ranks outer first
    flattening: dict[tuple[str, str], tuple[tuple[tuple[str, ...], ...], ...]] = field(
        default_factory=dict
    )  # (level, tensor) -> per rank (outer first), the dimension groups it flattens
    safs: tuple[Saf, ...] = ()
    compute: str = "mac"
    compute_instances: int = 1
    compute_optimizations: frozenset[str] = field(default_factory=frozenset)

    def mapping(self) -> Mapping:
        """The loop-nest model's mapping (unit loops dropped)."""
        return Mapping(
            tuple(
                Level(
                    lv.name,
                    tuple(Loop(x.dim, x.factor) for x in self.loops[lv.name] if not x.spatial),
                    tuple(Loop(x.dim, x.factor) for x in self.loops[lv.name] if x.spatial),
                    self.keep[lv.name],
                )
                for lv in self.storage
            ),
            timeloop_deltas=True,  # Sparseloop runs Timeloop's own delta analysis
        )


class _Loader(SafeLimitedLoader):
    """Safe loader, within the YAML limits, that reads v0.4 tags (!Component,
    !Container, ...) as plain mappings."""


def _tagged(loader: _Loader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return {"_tag": suffix, **loader.construct_mapping(node, deep=True)}
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _tagged)


def read_sparseloop(*paths: Path) -> SparseSpec:
    """Merge the design's YAML files (architecture, problem, mapping, optional
    sparse_optimizations) and read them; see the module doc."""
    doc: dict = {}
    where: dict[str, str] = {}
    for path in paths:
        loaded, _ = load_yaml(Path(path), _Loader, local_tags=True)
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a YAML mapping")
        for key, value in loaded.items():
            if key == "sparse_optimizations" and key in doc:
                continue
            doc[key] = value
            where[key] = str(path)
    for key in ("architecture", "problem", "mapping"):
        if key not in doc:
            raise ConfigError(f"sparseloop input has no {key!r} section")
    problem, densities = _problem(doc["problem"], where["problem"])
    tensors = [ds.name for ds in problem.dataspaces]
    arch = _Arch(where["architecture"], tensors, set(problem.sizes))
    arch.read(doc["architecture"])
    if "sparse_optimizations" in doc:
        src = where["sparse_optimizations"]
        for i, target in enumerate(_need(doc["sparse_optimizations"], "targets", src) or []):
            arch.optimizations(target.get("name", ""), target, f"{src}: targets[{i}]")
    if not arch.storage:
        raise ConfigError(f"{where['architecture']}: architecture has no storage level")
    loops, keep = _mapping(doc["mapping"], arch.storage, problem, where["mapping"])
    return SparseSpec(
        problem=problem,
        densities=densities,
        storage=tuple(arch.storage),
        loops=loops,
        keep=keep,
        formats=arch.formats,
        flattening=arch.flattening,
        safs=tuple(arch.safs),
        compute=arch.compute,
        compute_instances=arch.compute_instances,
        compute_optimizations=frozenset(arch.compute_opts),
    )


def _need(node: dict, key: str, where: str):
    if not isinstance(node, dict) or key not in node:
        raise ConfigError(f"{where}: missing key {key!r}")
    return node[key]


def _problem(doc: dict, where: str) -> tuple[Problem, dict[str, Density]]:
    shape, instance = _need(doc, "shape", where), _need(doc, "instance", where)
    dims = list(_need(shape, "dimensions", f"{where}: shape"))
    coefs = {c["name"]: c.get("default", 1) for c in shape.get("coefficients", []) or []}
    coefs.update({k: v for k, v in instance.items() if k in coefs})
    sizes = {d: int(_need(instance, d, f"{where}: instance")) for d in dims}
    spaces = []
    for ds in _need(shape, "data_spaces", f"{where}: shape"):
        axes = []
        for axis in ds["projection"]:
            axes.append(tuple(_term(t, dims, coefs, f"{where}: {ds['name']}") for t in axis))
        spaces.append(DataSpace(ds["name"], tuple(axes), bool(ds.get("read_write", False))))
    problem = Problem(shape.get("name", "problem"), sizes, tuple(spaces))
    return problem, _densities(instance, problem, where)


def _term(term: list, dims: list[str], coefs: dict, where: str) -> tuple[int, str]:
    """A projection term: [dim], or a dimension and a coefficient in either order."""
    if len(term) == 1 and term[0] in dims:
        return 1, term[0]
    if len(term) == 2:
        dim = next((t for t in term if t in dims), None)
        other = term[1] if term[0] == dim else term[0]
        value = coefs.get(other, other)
        if dim is not None and isinstance(value, int):
            return value, dim
    raise ConfigError(f"{where}: cannot read projection term {term!r}")


def _densities(instance: dict, problem: Problem, where: str) -> dict[str, Density]:
    from soc.flexnn.loopnest import footprint

    given = dict(instance.get("densities") or {})
    if "commonDensity" in instance:
        given = {ds.name: instance["commonDensity"] for ds in problem.dataspaces}
    out = {}
    for ds in problem.dataspaces:
        size = footprint(ds, problem.sizes)
        spec = given.pop(ds.name, 1.0)
        key = f"{where}: instance.densities.{ds.name}"
        if not isinstance(spec, dict):
            out[ds.name] = Density("fixed_structured", float(spec), size)
            continue
        unknown = set(spec) - {"distribution", "density", "workload_tensor_size", "band_width"}
        if unknown or spec.get("band_width", 0):
            bad = sorted(unknown)[0] if unknown else "band_width"
            raise ConfigError(f"{key}.{bad}: not modelled (banded densities are not supported)")
        model = ALIASES.get(spec.get("distribution", ""), spec.get("distribution", ""))
        if model not in MODELS:
            raise ConfigError(
                f"{key}.distribution: {spec.get('distribution')!r} is not one of "
                "fixed_structured, hypergeometric, uniform"
            )
        size = int(spec.get("workload_tensor_size") or size)
        out[ds.name] = Density(model, float(_need(spec, "density", key)), size)
    if given:
        raise ConfigError(f"{where}: instance.densities.{sorted(given)[0]}: no such tensor")
    return out


def _split(name: str) -> tuple[str, int]:
    match = _NAME.match(str(name))
    if match is None:
        raise ConfigError(f"cannot read component name {name!r}")
    lo, hi = match.group("lo"), match.group("hi")
    return match.group("base"), 1 if lo is None else int(hi) - int(lo) + 1


def _mesh(node: dict) -> int:
    """Instances a v0.4 node's ``spatial: {meshX, meshY}`` fans out to."""
    spatial = node.get("spatial") or {}
    return int(spatial.get("meshX", 1)) * int(spatial.get("meshY", 1))


class _Arch:
    """Collects storage levels, the compute unit and sparse optimizations."""

    def __init__(self, where: str, tensors: list[str], dims: set[str]) -> None:
        self.where, self.tensors, self.dims = where, tensors, dims
        self.storage: list[StorageSpec] = []
        self.formats: dict[tuple[str, str], tuple[str, ...]] = {}
        self.flattening: dict[tuple[str, str], tuple[tuple[tuple[str, ...], ...], ...]] = {}
        self.safs: list[Saf] = []
        self.compute, self.compute_instances = "", 0
        self.compute_opts: set[str] = set()

    def read(self, arch: dict) -> None:
        if "nodes" in arch:
            self._nodes(arch["nodes"], 1)
        else:
            self._tree(arch, 1)
        if not self.compute:
            raise ConfigError(f"{self.where}: architecture has no compute component")

    def _nodes(self, nodes: list, multiplier: int) -> None:
        """v0.4 nodes: a container's mesh multiplies everything after it; the nodes of
        a !Hierarchical or !Parallel node follow in line."""
        for node in nodes:
            tag = node.get("_tag", "Component")
            if tag == "Container":
                if _mesh(node) > 1:  # Timeloop's front end: a fan-out level keeping nothing
                    name = f"inter_{_split(node['name'])[0]}_spatial"
                    self.storage.append(StorageSpec(name, multiplier, dummy=True))
                multiplier *= _mesh(node)
            elif tag == "Component":
                self.component(node, multiplier * _mesh(node))
            elif tag in ("Hierarchical", "Parallel"):
                # Timeloop's hierarchy is linear: parallel siblings (scratchpads each
                # keeping its own tensor) become consecutive levels, in written order
                self._nodes(node.get("nodes") or [], multiplier)
            else:
                raise ConfigError(f"{self.where}: architecture node tag !{tag} not modelled")

    def _tree(self, tree: dict, multiplier: int) -> None:
        for node in tree.get("local", []) or []:
            self.component(node, multiplier)
        for sub in tree.get("subtree", []) or []:
            self._tree(sub, multiplier * _split(sub.get("name", "x"))[1])

    def component(self, node: dict, multiplier: int) -> None:
        name, count = _split(node["name"])
        count *= multiplier
        cls = str(node.get("class", ""))
        attrs = node.get("attributes") or {}
        if "mac" in cls.lower() or cls == "compute":
            self.compute, self.compute_instances = name, count
        elif cls == "dummy_storage":
            self.storage.append(StorageSpec(name, count, dummy=True))
        else:
            width = int(attrs.get("width", attrs.get("datawidth", 8)) or 8)
            bits = int(attrs.get("datawidth", attrs.get("word-bits", width)) or width)

            def bandwidth(key: str) -> float | None:
                value = attrs.get(key)
                return None if value in (None, "") else float(value)

            self.storage.append(
                StorageSpec(
                    name,
                    count,
                    int(attrs.get("block_size", attrs.get("block-size", max(1, width // bits)))),
                    bits,
                    int(attrs.get("metadata_datawidth", attrs.get("metadata_word_bits", 0))),
                    int(attrs.get("metadata_storage_width", attrs.get("metadata_width", 0))),
                    bandwidth("read_bandwidth"),
                    bandwidth("write_bandwidth"),
                    bandwidth("shared_bandwidth"),
                )
            )
            if attrs.get("tile_partition_supported"):
                raise ConfigError(f"{self.where}: {name}.tile_partition_supported not modelled")
        if node.get("sparse_optimizations"):
            self.optimizations(name, node["sparse_optimizations"], f"{self.where}: {name}")

    def optimizations(self, level: str, spec: dict, where: str) -> None:
        known = {"name", "representation_format", "action_optimization", "compute_optimization"}
        for key in spec:
            if key not in known:
                raise ConfigError(f"{where}.sparse_optimizations.{key}: not modelled")
        for i, ds in enumerate((spec.get("representation_format") or {}).get("data_spaces", [])):
            key = f"{where}.representation_format.data_spaces[{i}]"
            self._tensor(ds.get("name"), key)
            for extra in set(ds) - {"name", "ranks"}:
                raise ConfigError(f"{key}.{extra}: not modelled")
            ranks, rules = [], []
            for j, rank in enumerate(_need(ds, "ranks", key)):
                for extra in set(rank) - _RANK_KEYS:
                    raise ConfigError(f"{key}.ranks[{j}].{extra}: not modelled")
                fmt = str(_need(rank, "format", f"{key}.ranks[{j}]")).lower()
                if fmt not in FORMATS:
                    raise ConfigError(f"{key}.ranks[{j}].format: {fmt!r} is not one of {FORMATS}")
                groups = rank.get("flattened_rankIDs") or []
                if not all(isinstance(g, list) and set(g) <= self.dims for g in groups):
                    raise ConfigError(f"{key}.ranks[{j}].flattened_rankIDs: lists of dimensions")
                ranks.append(fmt)
                rules.append(tuple(tuple(g) for g in groups))
            compressed = [f in ("cp", "b", "rle") for f in ranks]
            if any(c and not below for c, below in zip(compressed, compressed[1:], strict=False)):
                raise ConfigError(f"{key}.ranks: a compressed rank above an uncompressed one")
            self.flattening[(level, ds["name"])] = tuple(rules)
            self.formats[(level, ds["name"])] = tuple(ranks)
        for i, opt in enumerate(spec.get("action_optimization") or []):
            key = f"{where}.action_optimization[{i}]"
            kind = opt.get("type")
            if kind not in ("gating", "skipping"):
                raise ConfigError(f"{key}.type: {kind!r} not modelled (gating or skipping)")
            options = opt.get("options") or [opt]
            if len(options) != 1:
                raise ConfigError(
                    f"{key}.options: a choice between options needs the energy table; "
                    "give one option per entry"
                )
            target = self._tensor(_need(options[0], "target", key), f"{key}.target")
            cond = tuple(
                self._tensor(c, f"{key}.condition_on")
                for c in _need(options[0], "condition_on", key)
            )
            self.safs.append(Saf(kind, level, target, cond))
        for i, opt in enumerate(spec.get("compute_optimization") or []):
            kind = {"gating": "gate_on_zero_operand", "skipping": "skip_on_not_aligned_operands"}
            name = kind.get(opt.get("type"), opt.get("type"))
            if name not in kind.values():
                raise ConfigError(f"{where}.compute_optimization[{i}].type: {name!r} not modelled")
            self.compute_opts.add(name)

    def _tensor(self, name: str, where: str) -> str:
        if name not in self.tensors:
            raise ConfigError(f"{where}: no tensor named {name!r}")
        return name


def _factors(value, where: str) -> dict[str, int]:
    if isinstance(value, dict):
        return {k: int(v) for k, v in value.items()}
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    out = {}
    for item in items:
        match = re.fullmatch(r"\s*([A-Za-z_]\w*?)\s*=?\s*(\d+)\s*", str(item))
        if match is None:
            raise ConfigError(f"{where}: cannot read factor {item!r}")
        out[match.group(1)] = int(match.group(2))
    return out


def _mapping(
    entries: list, storage: list[StorageSpec], problem: Problem, where: str
) -> tuple[dict[str, tuple[NestLoop, ...]], dict[str, frozenset[str]]]:
    names = [lv.name for lv in storage]
    tensors = [ds.name for ds in problem.dataspaces]
    dims = list(problem.sizes)
    temporal: dict[str, list[NestLoop]] = {}
    spatial: dict[str, list[NestLoop]] = {}
    keep = {lv.name: set() if lv.dummy else set(tensors) for lv in storage}
    if isinstance(entries, dict):
        entries = entries.get("targets") or entries.get("mapping") or []
    for i, entry in enumerate(entries):
        key = f"{where}: mapping[{i}]"
        target = _split(_need(entry, "target", key))[0]
        if target not in keep:
            raise ConfigError(f"{key}.target: {target!r} is not a storage level")
        kind = entry.get("type", "temporal")
        if kind in ("temporal", "spatial"):
            factors = _factors(entry.get("factors", ""), f"{key}.factors")
            for dim in factors:
                if dim not in dims:
                    raise ConfigError(f"{key}.factors: unknown dimension {dim!r}")
            perm = entry.get("permutation", "")
            order = list(perm) if isinstance(perm, str) else list(perm)
            order += [d for d in dims if d not in order]  # missing dims go outermost
            loops = [NestLoop(d, factors.get(d, 1), kind == "spatial") for d in reversed(order)]
            (temporal if kind == "temporal" else spatial)[target] = loops
        elif kind in ("bypass", "datatype", "dataspace"):
            if "keep" in entry:
                keep[target] = set(entry["keep"] or [])
            keep[target] -= set(entry.get("bypass", []) or [])
        else:
            raise ConfigError(f"{key}.type: {kind!r} not modelled")
    loops = {
        name: tuple(temporal.get(name, [NestLoop(d, 1) for d in dims]))
        + tuple(spatial.get(name, ()))
        for name in names
    }
    return loops, {name: frozenset(keep[name]) for name in names}
