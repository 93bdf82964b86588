"""Loop-nest analysis: per storage level and per tensor, the reads, fills and updates a
mapping implies, with Timeloop's meaning of those words. Pure, closed-form arithmetic.

Model
-----
A *problem* has named dimensions (K, C, P, R, ...) and data spaces (tensors) whose
coordinates are projections of the dimensions: Inputs along one axis may be P + R
(a sliding window). A *mapping* lists storage levels from the outermost (DRAM) to the
innermost; each level has temporal loops (outer to inner), spatial loops that fan out
to the instances of the level below, and the tensors it keeps (the others bypass it).

For a level L and a tensor d that L keeps:

- tile (capacity): the footprint of d over every loop of L and below (temporal and
  spatial), per instance of L. The footprint of an axis with terms c1*x1 + c2*x2 is its
  bounding box, sum(c_i * (extent_i - 1)) + 1.
- transfers V: elements moved into the tile while the temporal loops above L run. The
  first tile is moved whole. When loop i advances, the loops inside it (above L) wrap:
  if any of them indexes d, the tile is moved whole again; otherwise only the part of
  the new tile that the old one did not hold is moved (sliding-window reuse; a
  mapping read from Timeloop also drops it when a loop runs inside the sliding one,
  see Mapping.timeloop_deltas).
- read-only tensors: fills = V (none at the outermost level); reads = what the next
  inner keeper's instances fill, counted once per group of instances that receive the
  same data (multicast), or, at the innermost keeper, one per compute (a Timeloop
  mapping counts a fan-out's operands by their changes instead, Mapping.timeloop_deltas).
- outputs: updates = what arrives from below: one per compute at the innermost keeper,
  else the inner keeper's V per instance, summed over instances that hold different
  outputs (instances holding the same outputs are reduced spatially). With U the
  distinct outputs an instance ever holds: fills = V - U (partial sums brought back)
  and reads = updates - U (read-modify-write of existing partial sums).

Cycles are the product of all temporal factors (one compute per instance per cycle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soc.errors import MappingError

Term = tuple[int, str]  # coefficient, dimension


@dataclass(frozen=True)
class DataSpace:
    """A tensor: its axes as sums of (coefficient, dimension) terms."""

    name: str
    axes: tuple[tuple[Term, ...], ...]
    read_write: bool = False

    def dims(self) -> frozenset[str]:
        return frozenset(dim for axis in self.axes for _, dim in axis)


@dataclass(frozen=True)
class Problem:
    """Dimension sizes and the tensors they index."""

    name: str
    sizes: dict[str, int]
    dataspaces: tuple[DataSpace, ...]

    @property
    def macs(self) -> int:
        return math.prod(self.sizes.values())


@dataclass(frozen=True)
class Loop:
    dim: str
    factor: int


@dataclass(frozen=True)
class Level:
    """One storage level of a mapping: temporal loops (outer to inner), spatial loops
    fanning out below it, and the names of the tensors it keeps."""

    name: str
    temporal: tuple[Loop, ...] = ()
    spatial: tuple[Loop, ...] = ()
    keep: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mapping:
    """Levels outermost first. `timeloop_deltas` applies two rules of Timeloop's delta
    analysis that the reference outputs show (tests/validation/data/timeloop):

    - a loop that slides a window re-fetches the whole tile when another (irrelevant)
      loop runs inside it: the tile sits still between slides, and Timeloop resets its
      sliding-window state whenever the tile's stride changes;
    - an innermost keeper that fans out spatially straight to the MACs (no temporal
      loop below it) is read only when the operands the fan-out needs change, as for
      a tile of one word per MAC; without a fan-out it is read once per compute.
    """

    levels: tuple[Level, ...]  # outermost first
    timeloop_deltas: bool = False


@dataclass(frozen=True)
class TensorStats:
    """Per-instance counts of one tensor at one level (Timeloop's scalar counts)."""

    capacity: int
    reads: int
    fills: int
    updates: int


@dataclass(frozen=True)
class LevelStats:
    name: str
    instances: int
    tensors: dict[str, TensorStats]


@dataclass(frozen=True)
class NestStats:
    macs: int
    cycles: int
    levels: tuple[LevelStats, ...]  # outermost first

    def level(self, name: str) -> LevelStats:
        return next(level for level in self.levels if level.name == name)


def footprint(ds: DataSpace, extents: dict[str, int]) -> int:
    """Elements of `ds` touched when each dimension spans `extents` (default 1)."""
    size = 1
    for axis in ds.axes:
        size *= sum(c * (extents.get(dim, 1) - 1) for c, dim in axis) + 1
    return size


def _overlap_after_shift(ds: DataSpace, extents: dict[str, int], dim: str, step: int) -> int:
    """Elements two tiles share when `dim` advances by `step` (other dims fixed)."""
    shared = 1
    for axis in ds.axes:
        size = sum(c * (extents.get(d, 1) - 1) for c, d in axis) + 1
        shift = sum(c * step for c, d in axis if d == dim)
        shared *= max(0, size - shift)
    return shared


def _extents(loops: list[Loop]) -> dict[str, int]:
    out: dict[str, int] = {}
    for loop in loops:
        out[loop.dim] = out.get(loop.dim, 1) * loop.factor
    return out


def transfers(
    ds: DataSpace,
    tile_extents: dict[str, int],
    above: list[Loop],
    spatial_above: frozenset[int] = frozenset(),
    stationary_resets_window: bool = False,
) -> int:
    """Elements moved into a tile of `tile_extents` while the loops `above` (outer to
    inner; positions in `spatial_above` are spatial and do not iterate in time) run,
    under the whole-tile-on-relevant-wrap rule (module doc). A loop's step along its
    dimension is everything inside it: inner loops above the tile and the tile itself.
    With `stationary_resets_window` (Mapping.timeloop_deltas), a relevant loop with
    any other temporal loop inside it moves the whole tile."""
    relevant = ds.dims()
    tile = footprint(ds, tile_extents)
    temporal = [i for i, lp in enumerate(above) if i not in spatial_above and lp.factor > 1]
    total = tile
    outer_iterations = 1
    for n, i in enumerate(temporal):
        loop = above[i]
        advances = (loop.factor - 1) * outer_iterations
        if any(above[j].dim in relevant for j in temporal[n + 1 :]):
            delta = tile
        elif loop.dim not in relevant:
            delta = 0
        elif stationary_resets_window and temporal[n + 1 :]:
            delta = tile
        else:
            inside = math.prod(lp.factor for lp in above[i + 1 :] if lp.dim == loop.dim)
            step = inside * tile_extents.get(loop.dim, 1)
            delta = tile - _overlap_after_shift(ds, tile_extents, loop.dim, step)
        total += advances * delta
        outer_iterations *= loop.factor
    return total


def check_mapping(problem: Problem, mapping: Mapping) -> None:
    """Every dimension must be covered exactly by the product of its factors."""
    all_loops = [loop for lv in mapping.levels for loop in (*lv.temporal, *lv.spatial)]
    for loop in all_loops:
        if loop.dim not in problem.sizes:
            raise MappingError(f"{problem.name}: mapping names unknown dimension {loop.dim!r}")
    covered = _extents(all_loops)
    for dim, size in problem.sizes.items():
        if covered.get(dim, 1) != size:
            raise MappingError(
                f"{problem.name}: factors of {dim} multiply to {covered.get(dim, 1)}, "
                f"the problem has {dim} = {size}"
            )


def analyse(problem: Problem, mapping: Mapping) -> NestStats:
    """Per level and per tensor counts of `mapping` on `problem` (see the module doc)."""
    check_mapping(problem, mapping)
    levels = mapping.levels
    n = len(levels)
    temporal_all = [loop for lv in levels for loop in lv.temporal]
    cycles = math.prod(loop.factor for loop in temporal_all)
    # loops at level i and below (its tile); loops above it in nest order (each level's
    # temporal loops, then its spatial fan-out), and which positions of those are spatial
    below = [[lp for lv in levels[i:] for lp in (*lv.temporal, *lv.spatial)] for i in range(n)]
    nest = [
        (lp, spatial)
        for lv in levels
        for lp, spatial in (*((t, False) for t in lv.temporal), *((x, True) for x in lv.spatial))
    ]
    starts = [0]
    for lv in levels:
        starts.append(starts[-1] + len(lv.temporal) + len(lv.spatial))
    above = [[lp for lp, _ in nest[: starts[i]]] for i in range(n)]
    spatial_at = [
        frozenset(pos for pos, (_, spatial) in enumerate(nest[: starts[i]]) if spatial)
        for i in range(n)
    ]
    spatial_above = [[lp for lv in levels[:i] for lp in lv.spatial] for i in range(n)]

    def spatial_between(outer: int, inner: int, ds: DataSpace) -> int:
        """Instances of `inner` per instance of `outer` holding different data of ds."""
        loops = [lp for lv in levels[outer:inner] for lp in lv.spatial]
        return math.prod(lp.factor for lp in loops if lp.dim in ds.dims())

    def spatial_below(i: int, ds: DataSpace) -> int:
        return spatial_between(i, n, ds)

    def feeds_fanout(i: int) -> bool:
        """Level i fans out to the MACs with no temporal loop below it."""
        inner = levels[i + 1 :]
        return any(lp.factor > 1 for lv in levels[i:] for lp in lv.spatial) and not any(
            lp.factor > 1 for lv in inner for lp in lv.temporal
        )

    spatial_all = frozenset(pos for pos, (_, spatial) in enumerate(nest) if spatial)

    stats: list[dict[str, TensorStats]] = [{} for _ in range(n)]
    for ds in problem.dataspaces:
        keepers = [i for i in range(n) if ds.name in levels[i].keep]
        for rank, i in enumerate(keepers):
            extents = _extents(below[i])
            capacity = footprint(ds, extents)
            reset = mapping.timeloop_deltas
            moved = transfers(ds, extents, above[i], spatial_at[i], reset)
            inner = keepers[rank + 1] if rank + 1 < len(keepers) else None
            if inner is None and reset and feeds_fanout(i):
                per_mac = transfers(ds, {}, [lp for lp, _ in nest], spatial_all, reset)
                arriving = per_mac * spatial_below(i, ds)
            elif inner is None:
                arriving = cycles * spatial_below(i, ds)
            else:
                inner_extents = _extents(below[inner])
                inner_moved = transfers(ds, inner_extents, above[inner], spatial_at[inner], reset)
                arriving = inner_moved * spatial_between(i, inner, ds)
            if ds.read_write:
                over_time = [lp for lp, spatial in nest[: starts[i]] if not spatial]
                distinct = footprint(ds, _extents(below[i] + over_time))
                fills = moved - distinct
                updates = arriving
                reads = updates - distinct
            else:
                fills = 0 if rank == 0 else moved  # the outermost keeper is the backing store
                updates = 0
                reads = arriving
            stats[i][ds.name] = TensorStats(capacity, reads, fills, updates)
    return NestStats(
        macs=problem.macs,
        cycles=cycles,
        levels=tuple(
            LevelStats(
                levels[i].name,
                math.prod(lp.factor for lp in spatial_above[i]),
                stats[i],
            )
            for i in range(n)
        ),
    )
