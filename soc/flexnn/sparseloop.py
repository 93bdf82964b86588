"""Sparseloop's counts for a design: per level and tensor the algorithmic, actual, gated
and skipped reads, fills and updates (and metadata words per rank), computes actual /
gated / skipped, and cycles, with Sparseloop's meaning of those words.

Meaning (Wu et al., MICRO 2022; Timeloop's sparse model):

- *Algorithmic* counts are the dense loop-nest counts (`soc.flexnn.loopnest`).
- A representation format on a tile stores only its non-zeros: its reads, fills and
  updates become x - floor(x (1 - density)), density being the tile's expected
  occupancy over its elements. Those removed accesses are neither gated nor skipped:
  they do not exist. Metadata words per rank move in proportion (`sparseloop_format`).
- A *gating* or *skipping* optimization on ``target`` at a level, conditioned on tensors
  C, stops an access when the C tile it depends on is empty (`sparseloop_nest`), with
  probability p = 1 - prod(1 - P(C tile empty)). Of what is left: ceil(reads x p)
  (floor for read-only tensors) and floor(updates x p) become gated (the access is
  still spent: cycles, not energy) or skipped (no cycle either). Fills are not
  touched; the levels inside lose floor(x p) of every action, and so do the computes
  when no inner level has its own optimization for a read-only tensor.
- Computes of two operands are then split by their operands' states (exists and
  non-zero / exists and zero / not stored): both not stored -> not a compute at all;
  one zero -> *gated* if the compute unit gates on zero operands; one not stored ->
  *skipped* if it skips unaligned operands; the rest are *actual*.
- Cycles: the computes unit needs ceil((actual + gated) / instances) cycles; a level
  slows that by the worst of read, write and shared bandwidth against the words it
  moves (actual and gated data, metadata bits / word bits); the design takes the maximum.

Fractions are IEEE doubles combined in Sparseloop's order, and rounded where it rounds,
so that every count agrees to the unit.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from soc.errors import ConfigError, FlexsocError
from soc.flexnn.loopnest import analyse, footprint
from soc.flexnn.sparseloop_density import (
    expected_occupancy,
    max_occupancy,
    occupancy_distribution,
)
from soc.flexnn.sparseloop_format import expected_rank_words, rank_words, scaled_words
from soc.flexnn.sparseloop_input import SparseSpec, StorageSpec, read_sparseloop
from soc.flexnn.sparseloop_nest import condition_tile, fibertree, flat_nest, inner_keeper, keepers

ACTIONS = ("reads", "fills", "updates")
Words = tuple[tuple[int, int], ...]  # (metadata, payload) per rank, outermost first


@dataclass(frozen=True)
class Counts:
    algorithmic: int
    actual: int
    gated: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class TensorSparseStats:
    """Per instance. `shape`: elements of the tile; `partition`: elements the instance
    holds over the whole run; `capacity`: most non-zeros (or elements, uncompressed) it
    holds at once. `format_*` map "actual" / "gated" / "skipped" to words per rank."""

    shape: int
    partition: int
    capacity: int
    reads: Counts
    fills: Counts
    updates: Counts
    format_capacity: Words
    format_reads: dict[str, Words]
    format_fills: dict[str, Words]
    format_updates: dict[str, Words]
    temporal_reductions: int
    address_generations: int


@dataclass(frozen=True)
class LevelSparseStats:
    name: str
    instances: int  # utilised: the spatial fan-out above the level
    cycles: int
    tensors: dict[str, TensorSparseStats]


@dataclass(frozen=True)
class ComputeSparseStats:
    """Totals over the utilised compute `instances`."""

    instances: int
    algorithmic: int
    actual: int
    gated: int
    skipped: int
    cycles: int


@dataclass(frozen=True)
class SparseStats:
    compute: ComputeSparseStats
    levels: tuple[LevelSparseStats, ...]  # outermost first
    cycles: int

    def level(self, name: str) -> LevelSparseStats:
        return next(lv for lv in self.levels if lv.name == name)


def _floor(x: float) -> int:
    return math.floor(x)


def _ceil(x: float) -> int:
    return math.ceil(x)


def _round6(x: float) -> float:
    """C's round(x x 1e6) / 1e6 (halves away from zero, unlike Python's round)."""
    return math.floor(x * 1000000 + 0.5) / 1000000


@dataclass
class _Cell:
    """Mutable working counts of one (level, tensor) during the combination."""

    alg: dict[str, int]
    random: dict[str, int]
    gated: dict[str, int]
    skipped: dict[str, int]
    fmt: dict[str, list[list[int]]]  # action -> per rank [metadata, payload], random
    fmt_opt: dict[str, dict[str, list[list[int]]]]  # gated / skipped -> action -> ranks
    reductions: int


def _check(spec: SparseSpec) -> None:
    sparse = spec.safs or spec.formats or spec.compute_optimizations
    operands = [ds for ds in spec.problem.dataspaces if not ds.read_write]
    if sparse and len(operands) != 2:
        raise ConfigError("sparseloop: problem: computes are modelled for two operands only")
    names = [lv.name for lv in spec.storage]
    for saf in spec.safs:
        if not any(k <= names.index(saf.level) for k in keepers(spec, saf.target)):
            raise ConfigError(
                f"sparseloop: {saf.level}.action_optimization: no level at or above "
                f"{saf.level} keeps {saf.target!r}"
            )


def analyse_sparse(spec: SparseSpec) -> SparseStats:
    """Sparseloop's counts for `spec` (see the module doc)."""
    _check(spec)
    dense = analyse(spec.problem, spec.mapping())
    nest = flat_nest(spec)
    names = [lv.name for lv in spec.storage]
    spaces = {ds.name: ds for ds in spec.problem.dataspaces}
    shapes = {
        (i, t): ts.capacity for i, lv in enumerate(dense.levels) for t, ts in lv.tensors.items()
    }
    cells: dict[tuple[int, str], _Cell] = {}
    extra: dict[tuple[int, str], tuple[int, int, Words]] = {}
    for (i, t), shape in shapes.items():
        ds, dens = spaces[t], spec.densities[t]
        counts = dense.levels[i].tensors[t]
        alg = {"reads": counts.reads, "fills": counts.fills, "updates": counts.updates}
        dist = occupancy_distribution(dens, shape)
        parent = next((k for k in reversed(keepers(spec, t)) if k < i), None)
        if parent is not None and (names[parent], t) in spec.formats and dist.get(0, 0) > 0:
            nonempty = 1 - dist[0]
            dist = {k: p / nonempty for k, p in dist.items() if k}
        has_format = (names[i], t) in spec.formats
        density = sum(k * p for k, p in dist.items()) / shape
        random = dict(alg)
        words: list = []
        capacity_words: Words = ()
        if has_format:
            for action in ACTIONS if ds.read_write else ("reads", "fills"):
                random[action] = alg[action] - _floor(alg[action] * (1 - density))
            tree = fibertree(spec, nest, i, ds, shapes)
            words = expected_rank_words(tree.ranks, dens, shape, dist)
            top = max_occupancy(dens, shape)
            capacity_words = tuple(
                (_ceil(m), _ceil(p)) for m, p in rank_words(tree.ranks, dens, shape, top)
            )
        fmt = {a: [list(w) for w in scaled_words(words, alg[a], shape)] for a in ACTIONS}
        cells[(i, t)] = _Cell(
            alg,
            random,
            dict.fromkeys(ACTIONS, 0),
            dict.fromkeys(ACTIONS, 0),
            fmt,
            {k: {a: [[0, 0] for _ in words] for a in ACTIONS} for k in ("gated", "skipped")},
            counts.reads if ds.read_write else 0,
        )
        capacity = max_occupancy(dens, shape) if has_format else shape
        extra[(i, t)] = (shape, capacity, capacity_words)
    computes = dense.macs
    computes, saf_prob = _apply_safs(spec, nest, cells, computes)
    compute = _computes(spec, computes, saf_prob)
    return _finish(spec, dense, cells, extra, compute)


def _safs_by_level(spec: SparseSpec, nest: list) -> dict[tuple[int, str], tuple[str, float]]:
    """(level keeping the target, target) -> (kind, probability); gating first, then
    skipping; a later optimization replaces an earlier one only if more likely."""
    names = [lv.name for lv in spec.storage]
    spaces = {ds.name: ds for ds in spec.problem.dataspaces}
    chosen: dict[tuple[int, str], tuple[str, float]] = {}
    ordered = sorted(spec.safs, key=lambda s: (s.kind != "gating", -names.index(s.level)))
    for saf in ordered:
        at = names.index(saf.level)
        level = max(k for k in keepers(spec, saf.target) if k <= at)
        effectual = 1.0
        for c in saf.condition_on:
            dens = spec.densities[c]
            size = condition_tile(spec, nest, spaces[saf.target], spaces[c], level)
            effectual *= 1 - occupancy_distribution(dens, size).get(0, 0.0)
        p = 1 - effectual
        key = (level, saf.target)
        if key not in chosen or chosen[key][1] < p:
            chosen[key] = (saf.kind, p)
    return chosen


def _local(cell: _Cell, kind: str, p: float, read_write: bool, ranks: int) -> None:
    """Move the optimized share of reads and updates (and metadata) to gated / skipped."""
    target = cell.gated if kind == "gating" else cell.skipped
    delta = _ceil(cell.random["reads"] * p) if read_write else _floor(cell.random["reads"] * p)
    target["reads"] += delta
    cell.random["reads"] -= delta
    delta = _floor(cell.random["updates"] * p)
    target["updates"] += delta
    cell.random["updates"] -= delta
    key = "gated" if kind == "gating" else "skipped"
    for action in ("reads", "updates"):
        rows = cell.fmt[action]
        for r in range(max(0, len(rows) - ranks), len(rows)):
            for j in (0, 1):
                moved = _floor(rows[r][j] * p)
                rows[r][j] -= moved
                cell.fmt_opt[key][action][r][j] += moved


def _apply_safs(spec: SparseSpec, nest: list, cells: dict, computes: int) -> tuple[int, dict]:
    chosen = _safs_by_level(spec, nest)
    names = [lv.name for lv in spec.storage]
    saf_prob: dict[str, float] = {}
    for ds in spec.problem.dataspaces:
        t = ds.name
        done: set[int] = set()
        for level in range(len(names)):
            if (level, t) not in chosen or level in done:
                continue
            kind, p = chosen[(level, t)]
            reached_compute = True
            for inner in range(level + 1, len(names)):
                cell = cells.get((inner, t))
                if cell is not None:
                    for action in ACTIONS:
                        cell.random[action] -= _floor(cell.random[action] * p)
                    for rows in cell.fmt.values():
                        for row in rows:
                            row[0] -= _floor(row[0] * p)
                            row[1] -= _floor(row[1] * p)
                if (inner, t) in chosen:
                    inner_kind, inner_p = chosen[(inner, t)]
                    effective = 1 - (1 - inner_p) / (1 - p) if p < 1 else 1.0
                    _local(cell, inner_kind, effective, ds.read_write, _ranks(spec, inner, t))
                    done.add(inner)
                    reached_compute = False
                    break
            _local(cells[(level, t)], kind, p, ds.read_write, _ranks(spec, level, t))
            if reached_compute and not ds.read_write:
                computes -= _floor(computes * p)
                saf_prob[t] = _round6(p)
    return computes, saf_prob


def _ranks(spec: SparseSpec, level: int, tensor: str) -> int:
    """Metadata ranks an optimization at `level` acts on: the inner keeper's, else own."""
    child = inner_keeper(spec, tensor, level)
    at = child if child is not None else level
    return len(spec.formats.get((spec.storage[at].name, tensor), ()))


def _computes(spec: SparseSpec, total: int, saf_prob: dict) -> tuple[int, int, int]:
    """(actual, gated, skipped) computes from the two operands' states (module doc)."""
    operands = [ds.name for ds in spec.problem.dataspaces if not ds.read_write]
    if len(operands) != 2:
        return total, 0, 0
    states = {}
    for t in operands:
        innermost = keepers(spec, t)[-1]
        stored = (spec.storage[innermost].name, t) in spec.formats
        d = _round6(_round6(expected_occupancy(spec.densities[t], 1)))
        other = operands[1 - operands.index(t)]
        if other in saf_prob:  # only computes whose other operand was non-empty remain
            d = d / (1 - saf_prob[other])
        # (exists non-zero, exists zero, not stored), clamped against rounding
        state = (d, 0.0, 1 - d) if stored else (d, 1 - d, 0.0)
        states[t] = tuple(min(1.0, max(0.0, x)) for x in state)
    a, b = (states[t] for t in operands)
    gate = "gate_on_zero_operand" in spec.compute_optimizations
    skip = "skip_on_not_aligned_operands" in spec.compute_optimizations
    gated = skipped = 0.0
    # Sparseloop's order of accumulation: one zero, one missing, both zero, zero+missing
    for share, missing in (
        (a[0] * b[1] + a[1] * b[0], False),
        (a[0] * b[2] + a[2] * b[0], True),
        (a[1] * b[1], False),
        (a[1] * b[2] + a[2] * b[1], True),
    ):
        if missing and skip:
            skipped += total * share
        elif gate:
            gated += total * share
    nonexistent = total * (a[2] * b[2])
    actual = total - _floor(skipped) - _floor(gated) - _floor(nonexistent)
    return actual, _floor(gated), _floor(skipped)


def _finish(spec: SparseSpec, dense, cells: dict, extra: dict, compute) -> SparseStats:
    actual, gated, skipped = compute
    instances = spec.compute_instances if spec.compute_instances else 1
    utilized = math.prod(x.factor for loops in spec.loops.values() for x in loops if x.spatial)
    compute_cycles = math.ceil(float(actual + gated) / min(instances, utilized))
    levels = []
    for i, lv in enumerate(spec.storage):
        if lv.dummy:
            continue
        tensors = {}
        reads: list[int] = []
        writes: list[int] = []
        for t in dense.levels[i].tensors:
            cell = cells[(i, t)]
            shape, capacity, capacity_words = extra[(i, t)]
            rw = next(ds for ds in spec.problem.dataspaces if ds.name == t).read_write
            counts = {
                a: Counts(cell.alg[a], cell.random[a], cell.gated[a], cell.skipped[a])
                for a in ACTIONS
            }
            fmt = {
                a: {
                    "actual": tuple(tuple(r) for r in cell.fmt[a]),
                    "gated": tuple(tuple(r) for r in cell.fmt_opt["gated"][a]),
                    "skipped": tuple(tuple(r) for r in cell.fmt_opt["skipped"][a]),
                }
                for a in ACTIONS
            }
            spent = {a: counts[a].actual + counts[a].gated for a in ACTIONS}
            reductions = cell.reductions
            if cell.alg["updates"]:
                reductions = _ceil(reductions * cell.random["updates"] / cell.alg["updates"])
            generations = spent["fills"] + (spent["updates"] if rw else spent["reads"])
            reads.append(spent["reads"] + _words_moved(fmt, ("reads",), lv))
            writes.append(
                spent["fills"] + spent["updates"] + _words_moved(fmt, ("fills", "updates"), lv)
            )
            tensors[t] = TensorSparseStats(
                shape,
                _partition(spec, i, t),
                capacity,
                counts["reads"],
                counts["fills"],
                counts["updates"],
                capacity_words,
                fmt["reads"],
                fmt["fills"],
                fmt["updates"],
                reductions,
                generations,
            )
        slowdown = _slowdown(lv, reads, writes, compute_cycles)
        cycles = math.ceil(compute_cycles / slowdown) if compute_cycles else 0
        levels.append(LevelSparseStats(lv.name, dense.levels[i].instances, cycles, tensors))
    stats_compute = ComputeSparseStats(
        min(instances, utilized), dense.macs, actual, gated, skipped, compute_cycles
    )
    total = max([compute_cycles, *(lv.cycles for lv in levels)])
    return SparseStats(stats_compute, tuple(levels), total)


def _words_moved(fmt: dict, actions: tuple[str, ...], lv: StorageSpec) -> int:
    """Data words the metadata bits of `actions` take (actual and gated; each metadata
    and payload word is the level's metadata datawidth; none without a metadata store),
    by whole words as Sparseloop divides them."""
    if not lv.metadata_width:
        return 0
    rows = [r for a in actions for kind in ("actual", "gated") for r in fmt[a][kind]]
    return sum(m + p for m, p in rows) * lv.metadata_word_bits // lv.word_bits


def _partition(spec: SparseSpec, level: int, tensor: str) -> int:
    """Elements of `tensor` one instance of `level` holds over the run: its tile
    widened by the temporal loops above."""
    extents: dict[str, int] = {}
    for i, lv in enumerate(spec.storage):
        for x in spec.loops[lv.name]:
            if i >= level or not x.spatial:
                extents[x.dim] = extents.get(x.dim, 1) * x.factor
    return footprint(next(d for d in spec.problem.dataspaces if d.name == tensor), extents)


def _slowdown(lv: StorageSpec, reads: list[int], writes: list[int], cycles: int) -> float:
    """The fraction of full speed a level's bandwidths allow (1 when unlimited), from
    per-tensor words, in Sparseloop's double arithmetic."""
    if not cycles:
        return 1.0
    need_r = sum((float(r) / cycles for r in reads), 0.0)
    need_w = sum((float(w) / cycles for w in writes), 0.0)
    slowdown = 1.0
    if lv.read_bw is not None and lv.read_bw < need_r:
        slowdown = min(slowdown, lv.read_bw / need_r)
    if lv.write_bw is not None and lv.write_bw < need_w:
        slowdown = min(slowdown, lv.write_bw / need_w)
    if lv.shared_bw is not None and lv.shared_bw < need_w + need_r:
        slowdown = min(slowdown, lv.shared_bw / (need_w + need_r))
    return slowdown


def main(argv: list[str] | None = None) -> int:
    """Print a Sparseloop design's counts (exit 2 on a user error). ``--flexnn`` also
    refuses a design asking the FlexNN engine for a feature it does not have."""
    from soc.flexnn.sparseloop_flexnn import require_engine_features

    args = sys.argv[1:] if argv is None else argv
    files = [a for a in args if a != "--flexnn"]
    if not files:
        print("usage: python -m soc.flexnn.sparseloop [--flexnn] FILE.yaml...", file=sys.stderr)
        return 2
    try:
        spec = read_sparseloop(*map(Path, files))
        if "--flexnn" in args:
            require_engine_features(spec)
        stats = analyse_sparse(spec)
    except FlexsocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    c = stats.compute
    print(
        f"computes algorithmic {c.algorithmic} actual {c.actual} gated {c.gated} "
        f"skipped {c.skipped} cycles {stats.cycles}"
    )
    for level in stats.levels:
        print(f"{level.name} instances {level.instances} cycles {level.cycles}")
        for tensor, t in level.tensors.items():
            print(
                f"  {tensor} capacity {t.capacity} "
                + " ".join(
                    f"{a} {x.algorithmic}/{x.actual}/{x.gated}/{x.skipped}"
                    for a, x in (("reads", t.reads), ("fills", t.fills), ("updates", t.updates))
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
