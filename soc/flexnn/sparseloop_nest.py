"""Where a Sparseloop design's loops meet its sparsity: the fibertree ranks of each kept
tile, and the tile a gating / skipping optimization looks at to decide.

The nest is every level's loops, outermost level first, each level's temporal loops
(outer to inner, unit loops kept) then its spatial ones. The *tile under* a loop is the
footprint of a tensor over that loop and everything inside it.

Ranks (outer to inner): a level's non-unit loops over the tensor's dimensions, from the
level down to just above the next inner level keeping the tensor, take one rank each,
outermost first. If the tile is compressed and that inner keeper's tile is more than one
element, the inner keeper's ranks are reused as the innermost ranks (Sparseloop's
pre-tiling; their formats must agree); otherwise the inner keeper's extents are folded
into each dimension's innermost loop here. A rank with ``flattened_rankIDs`` takes, from
its first loop, every loop below over the same dimension group (a rank whose groups miss
the next loop's dimension holds one coordinate). Ranks left without a loop hold one
coordinate; loops left without a rank are refused. A level without a format is one
flattened rank.

Condition tile of ``target`` conditioned on ``c`` at the level L keeping ``target``: if
no inner level keeps ``target`` (it feeds the compute), one scalar, widened along the
innermost loop's dimension to L's block size; else the tile under the innermost non-unit
loop over ``target`` between L and the inner keeper, widened by the spatial loops above
it there (their tiles stay put while it runs), narrowed to one iteration of that loop
when ``c`` shares its dimension (co-iteration), then widened to L's block size. A
spatial loop in the deciding place (innermost, or as that loop) is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soc.errors import ConfigError
from soc.flexnn.loopnest import DataSpace, footprint
from soc.flexnn.sparseloop_format import COMPRESSED, Rank
from soc.flexnn.sparseloop_input import NestLoop, SparseSpec


@dataclass(frozen=True)
class Placed:
    """A loop of the flat nest: its level (outermost 0) and position (outermost 0)."""

    level: int
    pos: int
    loop: NestLoop


def flat_nest(spec: SparseSpec) -> list[Placed]:
    out: list[Placed] = []
    for i, lv in enumerate(spec.storage):
        for loop in spec.loops[lv.name]:
            out.append(Placed(i, len(out), loop))
    return out


def _extents(loops: list[Placed]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in loops:
        out[p.loop.dim] = out.get(p.loop.dim, 1) * p.loop.factor
    return out


def tile_under(nest: list[Placed], ds: DataSpace, pos: int) -> int:
    """Elements of `ds` under the loop at `pos` (that loop included)."""
    return footprint(ds, _extents(nest[pos:]))


def keepers(spec: SparseSpec, tensor: str) -> list[int]:
    return [i for i, lv in enumerate(spec.storage) if tensor in spec.keep[lv.name]]


def inner_keeper(spec: SparseSpec, tensor: str, level: int) -> int | None:
    return next((i for i in keepers(spec, tensor) if i > level), None)


@dataclass(frozen=True)
class Fibertree:
    """Ranks outermost first; `sets[r]` is the element count of a coordinate of rank r
    (sets[R] the tile under the top rank's loop)."""

    ranks: tuple[Rank, ...]
    sets: tuple[int, ...]


def fibertree(
    spec: SparseSpec, nest: list[Placed], level: int, ds: DataSpace, shapes: dict
) -> Fibertree:
    """The ranks of `ds`'s tile at `level` (see the module doc); `shapes` maps
    (level, tensor) to tile elements."""
    name = spec.storage[level].name
    formats = spec.formats.get((name, ds.name), ())
    child = inner_keeper(spec, ds.name, level)
    compressed = bool(COMPRESSED & set(formats))
    pretile = compressed and child is not None and shapes[(child, ds.name)] > 1
    bottom = child if child is not None else len(spec.storage)
    own = [p for p in nest if level <= p.level < bottom and p.loop.dim in ds.dims()]
    where = f"sparseloop: {name}.sparse_optimizations.representation_format {ds.name}"
    inner: Fibertree | None = None
    if pretile:
        inner = fibertree(spec, nest, child, ds, shapes)
        child_formats = spec.formats.get((spec.storage[child].name, ds.name), ())
        if len(inner.ranks) > len(formats) or (
            COMPRESSED & set(child_formats)
            and tuple(formats[len(formats) - len(child_formats) :]) != child_formats
        ):
            raise ConfigError(f"{where}: inner ranks must repeat the inner level's formats")
    factors = {p.pos: p.loop.factor for p in own}
    if not pretile:  # fold the inner keeper's extents into each dimension's innermost loop
        below = _extents([p for p in nest if p.level >= bottom])
        for p in reversed(own):
            factors[p.pos] *= below.pop(p.loop.dim, 1)
    count = len(formats) if formats else 1
    floor = len(inner.ranks) if inner else 0
    rules = spec.flattening.get((name, ds.name), ((),) * count)
    groups: list[list[Placed]] = []
    queue = list(own)
    while len(groups) < count - floor:
        while queue and factors[queue[0].pos] == 1:
            queue.pop(0)
        if not queue:
            break
        rule = next((g for g in rules[len(groups)] if queue[0].loop.dim in g), None)
        if formats and rules[len(groups)] and rule is None:
            groups.append([])  # the rank flattens other dimensions: it holds one coordinate
            continue
        group = [queue.pop(0)]
        # a flattened rank (or a level without format) takes the loops below it too,
        # while they are over its dimensions (or unit loops)
        flattens = not formats or rule is not None
        while flattens and queue:
            if formats and queue[0].loop.dim not in rule and factors[queue[0].pos] > 1:
                break
            taken = queue.pop(0)
            if factors[taken.pos] > 1:
                group.append(taken)
        groups.append(group)
    queue = [p for p in queue if factors[p.pos] > 1]
    if queue:
        raise ConfigError(f"{where}: {len(own)} loops need more than {count} ranks")
    groups += [[] for _ in range(count - floor - len(groups))]
    sets = list(inner.sets) if inner else [1]
    own_ranks: list[Rank] = []
    for index in range(len(groups) - 1, -1, -1):  # innermost own rank first
        group = groups[index]
        extents: dict[str, int] = {}
        for p in group:
            extents[p.loop.dim] = extents.get(p.loop.dim, 1) * factors[p.pos]
        fmt = formats[index] if formats else "none"
        own_ranks.insert(0, Rank(fmt, footprint(ds, extents), sets[-1]))
        sets.append(tile_under(nest, ds, group[0].pos) if group else sets[-1])
    ranks = tuple(own_ranks)
    if inner:
        ranks += tuple(
            Rank(formats[len(formats) - len(inner.ranks) + i], r.fiber, r.element)
            for i, r in enumerate(inner.ranks)
        )
    return Fibertree(ranks, tuple(sets))


def condition_tile(
    spec: SparseSpec, nest: list[Placed], target: DataSpace, cond: DataSpace, level: int
) -> int:
    """Elements of `cond` whose emptiness lets `target`'s access at `level` be gated or
    skipped (see the module doc)."""
    block = spec.storage[level].block
    child = inner_keeper(spec, target.name, level)
    where = f"sparseloop: {spec.storage[level].name}.action_optimization {target.name}"
    if child is None:
        bottom = len(nest)
        while bottom and nest[bottom - 1].loop.spatial:  # the innermost spatial loops
            bottom -= 1
        if any(p.loop.factor > 1 for p in nest[bottom:]):
            raise ConfigError(f"{where}: a spatial innermost loop is not modelled")
        innermost = nest[-1] if nest else None
        dim = innermost.loop.dim if innermost else ""
        return footprint(cond, {dim: block} if block > 1 else {})
    span = [p for p in nest if level <= p.level < child]
    found = next(
        (p for p in reversed(span) if p.loop.factor > 1 and p.loop.dim in target.dims()),
        None,
    )
    chosen = found or next(p for p in nest if p.level == level)
    if chosen.loop.spatial:
        raise ConfigError(f"{where}: a spatial loop as the decision loop is not modelled")
    mold = _extents(nest[chosen.pos :])
    # spatial tiles above the decision loop stay put while it runs: they widen the tile
    for p in span:
        if p.pos < chosen.pos and p.loop.spatial:
            mold[p.loop.dim] = mold.get(p.loop.dim, 1) * p.loop.factor
    shared = chosen.loop.dim in (target.dims() & cond.dims())
    factor = chosen.loop.factor if shared else 1
    scaling = math.ceil(block / (footprint(target, mold) / factor))
    if shared:
        effective = factor / scaling
        mold[chosen.loop.dim] = math.ceil(mold[chosen.loop.dim] / effective)
        scaling = scaling / factor
    if scaling > 1:
        mold[chosen.loop.dim] = math.ceil(mold.get(chosen.loop.dim, 1) * scaling)
    return footprint(cond, mold)
