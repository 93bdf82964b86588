"""Timeloop designs (format v0.4) into the loop-nest model, and Timeloop's pricing of
the counts: energy from an energy reference table (ERT), storage leakage, and cycles
slowed by the bandwidth a level is given.

Reading follows Timeloop's own parsers; the syntax accepted and what is refused are in
soc.flexnn.timeloop_yaml (documents, problem), timeloop_arch and timeloop_mapping. Files
are merged key by key, so a design can come as arch / problem / map files, as one
input.yaml holding all three, or as a run's parsed-processed-input.yaml followed by the
mapper's timeloop-mapper.map.yaml.

`python -m soc.flexnn.timeloop FILE...` prints the counts per level and tensor; a
design the model cannot express exits with code 2 and one line naming file and key.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from soc.config.yaml_safe import load_yaml
from soc.errors import ConfigError, FlexsocError
from soc.flexnn.loopnest import Mapping, NestStats, Problem, analyse
from soc.flexnn.timeloop_arch import Architecture, ArchLevel, read_architecture
from soc.flexnn.timeloop_mapping import read_mapping
from soc.flexnn.timeloop_yaml import load_documents, read_problem

__all__ = [
    "ArchLevel",
    "TimeloopSpec",
    "check_capacity",
    "cycles",
    "energy_pj",
    "leakage_pj",
    "read_ert",
    "read_timeloop",
    "read_timeloop_parts",
]

# Top-level keys that only steer Timeloop's mapper or Accelergy: they restrict the
# search or price components, and never change the counts of a given mapping.
_MAPPER_ONLY = (
    "mapper",
    "mapspace",
    "mapspace_constraints",
    "architecture_constraints",
    "constraints",
    "compound_components",
    "components",
    "globals",
    "variables",
    "ERT",
    "ART",
    "dumped_by_timeloop_front_end",
    "model",
)


@dataclass(frozen=True)
class TimeloopSpec:
    problem: Problem
    mapping: Mapping
    storage: tuple[ArchLevel, ...]  # outermost first
    compute: ArchLevel
    mapping_file: str = ""  # where the mapping came from, for error messages


def read_timeloop_parts(
    *paths: Path, sparse: bool = False
) -> tuple[Problem, Architecture, dict, dict[str, str]]:
    """Problem and architecture of merged Timeloop files, the merged document (its
    ``mapping`` and any Sparseloop keys are left to the caller: pass ``doc["mapping"]``
    to soc.flexnn.timeloop_mapping.read_mapping) and the file each top-level key came
    from. `sparse` lets densities, metadata attributes and Sparseloop's sections through
    for a Sparseloop reader; without it they are refused."""
    doc, origin = load_documents(*paths)
    for key in ("architecture", "problem"):
        if key not in doc:
            raise ConfigError(f"{', '.join(map(str, paths))}: no {key!r} section")
    for key in doc:
        if key not in (*_MAPPER_ONLY, "architecture", "problem", "mapping") and not sparse:
            raise ConfigError(f"{origin[key]}: {key}: not a Timeloop section flexsoc models")
    problem = read_problem(doc["problem"], f"{origin['problem']}: problem", sparse)
    arch = read_architecture(doc["architecture"], f"{origin['architecture']}: architecture", sparse)
    return problem, arch, doc, origin


def read_timeloop(*paths: Path) -> TimeloopSpec:
    """Merge Timeloop YAML files (architecture, problem, mapping) into one spec."""
    problem, arch, doc, origin = read_timeloop_parts(*paths)
    if not doc.get("mapping"):
        raise ConfigError(f"{', '.join(map(str, paths))}: no 'mapping' (give the map file too)")
    mapping = read_mapping(doc["mapping"], arch, problem, f"{origin['mapping']}: mapping")
    return TimeloopSpec(problem, mapping, arch.storage, arch.compute, origin["mapping"])


def read_ert(path: Path) -> dict[str, dict[str, float]]:
    """Energy per action of every component, keyed by base name ('GlobalBuffer')."""
    doc, _ = load_yaml(Path(path))
    if not isinstance(doc, dict) or "ERT_summary" not in doc:
        raise ConfigError(f"{path}: ERT_summary: expected Accelergy's ERT summary")
    out = {}
    where = "table_summary"
    try:
        for i, entry in enumerate(doc["ERT_summary"]["table_summary"]):
            where = f"table_summary[{i}]"
            base = entry["name"].split("[")[0].split(".")[-1]  # System.PE.Buffer[1..16]
            out[base] = {a["name"]: float(a["energy"]) for a in entry["actions"]}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ConfigError(
            f"{path}: ERT_summary.{where}: expected a name and actions with a name and a "
            "numeric energy each"
        ) from None
    return out


def energy_pj(
    stats: NestStats, spec: TimeloopSpec, ert: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Energy per level and tensor: accesses are charged per vector of `block` words
    (reads at 'read', fills at 'write', updates at 'update'), times utilised instances;
    compute energy under the compute level's name. With clusters (cluster_size > 1),
    Timeloop shares a cluster's vector access among the utilised instances in it
    (buffer.cpp, FinalizeBufferEnergy)."""
    levels = {lv.name: lv for lv in spec.storage}
    out: dict[str, dict[str, float]] = {}
    for level in stats.levels:
        table, arch = ert.get(level.name, {}), levels[level.name]
        clusters = max(1, arch.instances // arch.cluster_size)
        sharing = level.instances / min(level.instances, clusters)
        out[level.name] = {
            tensor: level.instances
            / sharing
            * sum(
                math.ceil(count / arch.block) * _action(table, action)
                for count, action in ((t.reads, "read"), (t.fills, "write"), (t.updates, "update"))
            )
            for tensor, t in level.tensors.items()
        }
    table = ert.get(spec.compute.name, {})
    names = ("mac_random", "mult_random", "mac", "mult", "compute")
    per_mac = next((table[a] for a in names if a in table), 0.0)
    out[spec.compute.name] = {"compute": stats.macs * per_mac}
    return out


def _action(table: dict[str, float], action: str) -> float:
    """Timeloop's action names with its fallbacks (topology.hpp storageOperationMappings)."""
    fallbacks = {
        "read": ("random_read", "read"),
        "write": ("random_fill", "random_write", "fill", "write"),
        "update": ("random_update", "random_write", "update", "write"),
    }
    return next((table[a] for a in fallbacks[action] if a in table), 0.0)


def leakage_pj(
    stats: NestStats, spec: TimeloopSpec, ert: dict[str, dict[str, float]], total_cycles: int
) -> dict[str, float]:
    """Storage leakage per level: the ERT's 'leak' energy per cycle times the run's
    cycles times the most instances any tensor uses there (Timeloop without power
    gating, buffer.cpp ComputeLeaksPerCycle)."""
    out = {}
    for level in stats.levels:
        leak = ert.get(level.name, {}).get("leak", 0.0)
        used = level.instances if level.tensors else 1
        out[level.name] = leak * total_cycles * used
    return out


def cycles(stats: NestStats, spec: TimeloopSpec) -> int:
    """Cycles with Timeloop's bandwidth throttling (buffer.cpp, ComputePerformance):
    a level whose reads (or fills + updates, or all) per compute cycle exceed its
    read_bandwidth (write_bandwidth, shared_bandwidth) slows the run by that ratio."""
    levels = {lv.name: lv for lv in spec.storage}
    worst = stats.cycles
    for level in stats.levels:
        arch = levels[level.name]
        reads = sum(t.reads for t in level.tensors.values()) / stats.cycles
        writes = sum(t.fills + t.updates for t in level.tensors.values()) / stats.cycles
        slowdown = 1.0
        for limit, demand in (
            (arch.read_bandwidth, reads),
            (arch.write_bandwidth, writes),
            (arch.shared_bandwidth, reads + writes),
        ):
            if limit is not None and limit < demand:
                slowdown = min(slowdown, limit / demand)
        worst = max(worst, math.ceil(stats.cycles / slowdown))
    return worst


def check_capacity(stats: NestStats, spec: TimeloopSpec) -> None:
    """Refuse a mapping whose tiles overflow a level, as Timeloop does (buffer.cpp): the
    words a level's tensors hold per instance against its size divided by its
    multiple buffering, unless the level allows overbooking; or that uses less of it
    than its min_utilization."""
    levels = {lv.name: lv for lv in spec.storage}
    for level in stats.levels:
        arch = levels[level.name]
        if arch.size_words is None:
            continue
        used = sum(t.capacity for t in level.tensors.values())
        effective = math.floor(arch.size_words / arch.multiple_buffering)
        if used > effective and not arch.allow_overbooking:
            raise ConfigError(
                f"{spec.mapping_file}: mapping: {level.name}: the tiles need {used} words, "
                f"the level holds {effective} (size {arch.size_words} / multiple_buffering "
                f"{arch.multiple_buffering:g})"
            )
        if used < effective * arch.min_utilization:
            raise ConfigError(
                f"{spec.mapping_file}: mapping: {level.name}: the tiles use {used} words, "
                f"less than min_utilization {arch.min_utilization:g} of {effective}"
            )


def main(argv: list[str] | None = None) -> int:
    """Print a Timeloop design's counts per level and tensor (exit 2 on a user error)."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m soc.flexnn.timeloop FILE.yaml...", file=sys.stderr)
        return 2
    try:
        spec = read_timeloop(*map(Path, args))
        stats = analyse(spec.problem, spec.mapping)
        check_capacity(stats, spec)
    except FlexsocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"computes {stats.macs} cycles {cycles(stats, spec)}")
    for level in stats.levels:
        for tensor, t in level.tensors.items():
            print(
                f"{level.name} {tensor} instances {level.instances} capacity {t.capacity} "
                f"reads {t.reads} fills {t.fills} updates {t.updates}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
