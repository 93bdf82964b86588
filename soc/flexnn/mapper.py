"""The mapper: per layer, search descriptors and keep the best by energy, latency or EDP.

Search space, pruned to stay fast (a ResNet-50 in seconds):

- spatial: a dimension across PE rows, one across PE columns, one across MAC lanes,
  each with a balanced factor (24 channels on 16 rows -> 2 x 12, not 16 + 8);
- register-file tile: factors per dimension that fit the IF / FL / OF register files,
  ranked by time per MAC of a round (compute vs load path), the best few kept;
- loop order above the array, which decides what stays put: the fixed dataflows are
  orders whose innermost loops do not index their stationary tensor (output-stationary:
  C, R, S innermost; weight-stationary: P, Q; input-stationary: K); row-stationary also
  fixes the spatial mapping (filter rows across PE rows, output rows across columns);
- DRAM / SRAM split: the outermost loops move to the DRAM level until the SRAM tile
  fits `prefetch_tiles + 1` times.

The fixed dataflows are searched over the same tiles and splits with their order (and,
for row-stationary, spatial) constraint; the flexible choice searches all of it, so it
can never be worse than the best fixed one on the objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn.batchcost import BatchCost, LevelLoops, evaluate_levels, loop_arrays
from soc.flexnn.choice import FIXED, OBJECTIVES, Choice, LayerMapping
from soc.flexnn.cost import Cost, CostParams, evaluate
from soc.flexnn.descriptor import Descriptor
from soc.flexnn.loopnest import Loop
from soc.flexnn.problem import DIMS, REDUCTION_DIMS, layer_sizes, tensor_elements
from soc.workloads import Layer

ORDERS: dict[str, tuple[str, ...]] = {  # outer to inner
    "os": ("G", "K", "P", "Q", "C", "R", "S"),
    "ws": ("G", "K", "C", "R", "S", "P", "Q"),
    "is": ("G", "C", "R", "S", "P", "Q", "K"),
    "rs": ("G", "K", "C", "S", "Q", "P", "R"),
}
_EXTRA_ORDERS = (
    ("G", "P", "Q", "K", "C", "R", "S"),
    ("G", "C", "K", "R", "S", "P", "Q"),
    ("G", "K", "P", "C", "R", "S", "Q"),
)
RF_TILES_KEPT = 6


def _balanced(size: int, limit: int) -> int:
    """Largest-spread factor <= limit that splits `size` into equal-as-possible blocks."""
    return -(-size // -(-size // limit)) if size > 1 else 1


SPATIAL_KEPT = 10


def _spatial_options(sizes: dict[str, int], hw: FlexNNConfig, flexible: bool, kind: str):
    """(rows, cols, lanes) loop tuples to try: for the flexible search, the best few by
    the fraction of MAC slots they can keep busy (edges included)."""
    if kind == "rs":
        if sizes["R"] <= 1 or sizes["P"] <= 1:
            return []
        lane_dim = next((d for d in ("C", "K", "G") if sizes[d] > 1), None)
        return [_spatial(sizes, hw, "R", "P", lane_dim)]
    if not flexible:
        rows = next((d for d in ("K", "G") if sizes[d] > 1), None)
        cols = next((d for d in ("Q", "P", "C") if sizes[d] > 1 and d != rows), None)
        lane = next((d for d in ("C", "S", "K") if sizes[d] > 1 and d not in (rows, cols)), None)
        return [_spatial(sizes, hw, rows, cols, lane)]
    live = [d for d in ("K", "G", "C", "Q", "P", "S", "R") if sizes[d] > 1]
    scored = {}
    for rows in [*live, None]:
        for cols in [*live, None]:
            if cols is not None and cols == rows:
                continue
            for lane in [d for d in ("C", "K", "G", "S", "R") if sizes[d] > 1] + [None]:
                option = _spatial(sizes, hw, rows, cols, lane)
                if hw.spatial_reduction or _reduces_nothing_spatially(option):
                    scored[option] = _spatial_use(sizes, hw, option)
    return sorted(scored, key=lambda o: -scored[o])[:SPATIAL_KEPT]


def _reduces_nothing_spatially(option) -> bool:
    rows, cols, _ = option
    return not any(lp.dim in REDUCTION_DIMS for lp in rows + cols)


def _spatial_use(sizes, hw, option) -> float:
    """Fraction of the array's MAC slots a spatial mapping keeps busy."""
    rows, cols, lanes = option
    use = 1.0
    for loops, limit in ((rows, hw.pe_rows), (cols, hw.pe_cols), (lanes, hw.lanes)):
        use *= math.prod(lp.factor for lp in loops) / limit
    per_dim = Descriptor(rows=rows, cols=cols, lanes=lanes).extents()
    for dim, f in per_dim.items():
        use *= sizes[dim] / (-(-sizes[dim] // f) * f)
    return use


def _spatial(sizes, hw, rows, cols, lane):
    remaining = dict(sizes)

    def take(dim, limit):
        if dim is None:
            return ()
        factor = _balanced(remaining[dim], limit)
        remaining[dim] = -(-remaining[dim] // factor)
        return (Loop(dim, factor),) if factor > 1 else ()

    r = take(rows, hw.pe_rows)
    c = take(cols, hw.pe_cols)
    lanes = take(lane, hw.lanes)
    return r, c, lanes


def _factor_choices(n: int) -> list[int]:
    out = {1, n} if n <= 16 else {1}
    out |= {f for f in (2, 3, 4, 7, 8, 14, 16) if f <= n}
    return sorted(out)


def _rf_tiles(layer, hw, sizes, rows, cols, lanes):
    """Register-file tiles that fit, best-first by time per MAC of a full round.

    Every combination of factor choices whose tile fits, in lexicographic order over
    (K, P, Q, G, C, R, S) and ascending factors, expanded one dimension at a time with
    numpy (footprints grow with every factor, so a tile that does not fit has no
    fitting extension); a stable sort keeps that order among equal scores."""
    lane_ext = Descriptor(lanes=lanes).extents()
    spatial = Descriptor(rows=rows, cols=cols, lanes=lanes).extents()
    remaining = {d: -(-sizes[d] // spatial.get(d, 1)) for d in sizes}
    dims = [d for d in ("K", "P", "Q", "G", "C", "R", "S") if remaining[d] > 1]
    caps = (
        hw.if_rf_bytes // hw.data_bytes,
        hw.fl_rf_bytes // hw.data_bytes,
        hw.of_rf_bytes // hw.acc_bytes,
    )
    rows_n = math.prod(lp.factor for lp in rows)
    cols_n = math.prod(lp.factor for lp in cols)
    lanes_n = math.prod(lp.factor for lp in lanes)

    def fits(ext: dict[str, np.ndarray]) -> np.ndarray:
        elements = tensor_elements(layer, ext)
        return (elements[0] <= caps[0]) & (elements[1] <= caps[1]) & (elements[2] <= caps[2])

    ext = np.array([[lane_ext.get(d, 1) for d in DIMS]], dtype=np.int64)  # tiles x dims
    if not fits(dict(zip(DIMS, ext.T, strict=True)))[0]:
        return []
    factors = np.ones((1, 0), dtype=np.int64)
    for dim in dims:
        choices = np.array(_factor_choices(remaining[dim]), dtype=np.int64)
        chosen = np.tile(choices, len(factors))
        ext = np.repeat(ext, len(choices), axis=0)
        ext[:, DIMS.index(dim)] *= chosen
        factors = np.column_stack([np.repeat(factors, len(choices), axis=0), chosen])
        keep = fits(dict(zip(DIMS, ext.T, strict=True)))
        ext, factors = ext[keep], factors[keep]
    i_el, f_el, _ = tensor_elements(layer, dict(zip(DIMS, ext.T, strict=True)))
    cycles = factors.prod(axis=1)
    macs = cycles * lanes_n * rows_n * cols_n
    load = (i_el * cols_n + f_el * rows_n) * hw.data_bytes / hw.load_bytes_per_cycle
    score = np.maximum(cycles.astype(np.float64), load) / macs
    best = np.lexsort((load / macs, score))[:RF_TILES_KEPT]
    return [
        tuple(Loop(dim, int(f)) for dim, f in zip(dims, factors[i], strict=True) if f > 1)
        for i in best
    ]


def _splits(layer, hw, sram, sizes, inner, order_dims):
    """Per combination of an array tile (`inner`: n x 7 extents of the loops at and below
    the PE array) and a loop order above it (`order_dims`: n x 7 dimension codes, outer
    to inner): the loops above the array split between DRAM and SRAM so that the SRAM
    tile fits, the fewest DRAM loops first, at most two.

    Walking the present (factor > 1) outer loops from the outermost: the loops before
    the split point go to DRAM, the split loop is cut into a DRAM part a (the smallest of
    1, 2, 4, ..., 2048 and its whole factor that lets the tile fit) and an SRAM part
    ceil(factor / a), and the loops after it stay in SRAM; the last option puts every
    loop in DRAM. Returns, per split found: its combination, its split point (7 = all
    in DRAM), and the DRAM and SRAM loops as arrays in order positions."""
    n = len(inner)
    size_at = np.asarray([sizes[d] for d in DIMS], dtype=np.int64)[order_dims]
    outer = -(-size_at // np.take_along_axis(inner, order_dims, axis=1))  # n x 7
    present = outer > 1
    reduction = np.isin(order_dims, [DIMS.index(d) for d in REDUCTION_DIMS])
    budget = sram.size_bytes // (hw.prefetch_tiles + 1)
    db, acc = hw.data_bytes, hw.acc_bytes
    width = len(DIMS)
    # the loops after each split point, as extents: tail[:, k, dim]
    position = np.argsort(order_dims, axis=1)  # the order position of each dimension
    outer_by_dim = np.take_along_axis(outer, position, axis=1)  # n x 7, by dimension
    after = position[:, None, :] > np.arange(width + 1)[None, :, None]
    tail = inner[:, None, :] * np.where(after, outer_by_dim[:, None, :], 1)  # n x 8 x 7
    partial_head = np.cumsum(present & reduction, axis=1) - (present & reduction) > 0
    partial_all = (present & reduction).any(axis=1)
    powers = 2 ** np.arange(12)
    cuts = np.concatenate(  # n x 7 x 13 DRAM parts to try
        [np.broadcast_to(powers, (n, width, 12)), outer[:, :, None]], axis=2
    )
    rest = -(-outer[:, :, None] // cuts)
    extents = {}  # per dimension, n x 7 x 13: the tail, the split loop's SRAM part
    for code, dim in enumerate(DIMS):
        base = tail[:, :width, code, None]
        extents[dim] = np.where(order_dims[:, :, None] == code, base * rest, base)
    partial = partial_head[:, :, None] | ((cuts > 1) & reduction[:, :, None])
    fits = (cuts <= outer[:, :, None]) & present[:, :, None]
    fits &= _tile_bytes(layer, extents, partial, db, acc) <= budget
    cut = np.where(fits, cuts, np.iinfo(np.int64).max).min(axis=2)  # the smallest that fits
    found = fits.any(axis=2)  # n x 7
    last = _tile_bytes(layer, dict(zip(DIMS, inner.T, strict=True)), partial_all, db, acc)
    last = last <= budget
    found = np.concatenate([found, last[:, None]], axis=1)  # n x 8
    taken = found & (np.cumsum(found, axis=1) <= 2)
    combo, point = np.nonzero(taken)  # combination-major, split points in order
    k = np.arange(width)[None, :]
    p = point[:, None]
    a = np.where(point < width, cut[combo, np.minimum(point, width - 1)], 1)[:, None]
    f = outer[combo]
    dram = np.where(k < p, f, np.where(k == p, a, 1))
    sram_f = np.where(k > p, f, np.where(k == p, -(-f // a), 1))
    dims = order_dims[combo]
    return combo, point, LevelLoops(dims, dram), LevelLoops(dims, sram_f)


def _tile_bytes(layer, extents, partial, db, acc):
    """Bytes of SRAM tiles of `extents` (arrays per dimension), outputs as partial sums
    where `partial` (as `descriptor.sram_bytes`)."""
    i_el, f_el, o_el = tensor_elements(layer, extents)
    return i_el * db + f_el * db + o_el * np.where(partial, acc, db)


@dataclass(frozen=True)
class _Space:
    """Candidate descriptors as loop arrays, in the search's order (spatial option, RF
    tile, loop order, split), with each one's spatial option and loop order index."""

    levels: dict[str, LevelLoops]
    spatial: np.ndarray
    order: np.ndarray

    def __len__(self) -> int:
        return len(self.spatial)

    def descriptor(self, i: int, name: str) -> Descriptor:
        loops = {
            level: tuple(
                Loop(DIMS[d], int(f))
                for d, f in zip(arrays.dims[i], arrays.factors[i], strict=True)
                if f > 1
            )
            for level, arrays in self.levels.items()
        }
        return Descriptor(**loops, name=name)


def _space(layer, hw, sram, sizes, spatials, orders) -> _Space:
    """Every candidate: per spatial option, its best RF tiles, then per loop order the
    DRAM / SRAM splits."""
    tiles = []  # (spatial index, rows, cols, rf, lanes)
    for s, (rows, cols, lanes) in enumerate(spatials):
        tiles += [
            (s, rows, cols, rf, lanes) for rf in _rf_tiles(layer, hw, sizes, rows, cols, lanes)
        ]
    array = {
        level: loop_arrays([t[i] for t in tiles])
        for i, level in ((1, "rows"), (2, "cols"), (3, "rf"), (4, "lanes"))
    }
    inner = np.ones((len(tiles), len(DIMS)), dtype=np.int64)
    for loops in array.values():
        inner *= loops.extents()
    codes = np.asarray([[DIMS.index(d) for d in order] for order in orders], dtype=np.int64)
    # combinations: tile-major, then loop order
    tile_of = np.repeat(np.arange(len(tiles)), len(orders))
    order_of = np.tile(np.arange(len(orders)), len(tiles))
    combo, _, dram, sram_loops = _splits(layer, hw, sram, sizes, inner[tile_of], codes[order_of])
    chosen = tile_of[combo]
    levels = {
        "dram": dram,
        "sram": sram_loops,
        **{
            level: LevelLoops(loops.dims[chosen], loops.factors[chosen])
            for level, loops in array.items()
        },
    }
    spatial_of = np.asarray([t[0] for t in tiles], dtype=np.int64)
    return _Space(levels, spatial_of[chosen], order_of[combo])


def _spatials(sizes, hw, kind):
    """The spatial options a search of `kind` (None = flexible) tries."""
    spatials = _spatial_options(sizes, hw, kind is None, kind or "")
    if kind is None:  # the fixed dataflows' spatial mappings are part of the space
        spatials += [s for k in FIXED for s in _spatial_options(sizes, hw, False, k)]
        spatials = list(dict.fromkeys(spatials))
    if not hw.spatial_reduction:
        spatials = [option for option in spatials if _reduces_nothing_spatially(option)]
    return spatials


def _best_index(costs: BatchCost, objective: str, among: np.ndarray) -> int | None:
    """The first candidate (in search order) among `among` with the least objective,
    then energy, then cycles."""
    if not among.any():
        return None
    index = np.flatnonzero(among)
    order = np.lexsort(
        (index, costs.cycles[index], costs.energy_pj[index], costs.objective(objective)[index])
    )
    return int(index[order[0]])


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise MappingError(f"unknown objective {objective!r} (one of {', '.join(OBJECTIVES)})")


def _choice(layer, hw, params, descriptor: Descriptor) -> Choice:
    return Choice(descriptor, evaluate(layer, hw, descriptor, params))


def search(
    layer: Layer,
    hw: FlexNNConfig,
    sram: SramConfig,
    params: CostParams,
    objective: str,
    kind: str | None = None,
) -> Choice | None:
    """Best descriptor of dataflow `kind` ('is', 'ws', 'os', 'rs'; None = flexible).

    The candidates are ranked by the batched cost model; the chosen one's cost is the
    scalar model's."""
    _check_objective(objective)
    sizes = layer_sizes(layer)
    orders = [ORDERS[kind]] if kind else [*ORDERS.values(), *_EXTRA_ORDERS]
    space = _space(layer, hw, sram, sizes, _spatials(sizes, hw, kind), orders)
    if not len(space):
        return None
    costs = evaluate_levels(layer, hw, space.levels, params)
    best = _best_index(costs, objective, np.ones(len(space), dtype=bool))
    return _choice(layer, hw, params, space.descriptor(best, kind or "flexible"))


def map_layer(
    layer: Layer, hw: FlexNNConfig, sram: SramConfig, params: CostParams, objective: str
) -> LayerMapping:
    """The flexible choice and each fixed dataflow's best for `layer`: one batch over the
    flexible space, which holds every fixed dataflow's space (its spatial option with
    its loop order), so each fixed search is a selection from the same costs."""
    _check_objective(objective)
    sizes = layer_sizes(layer)
    orders = [*ORDERS.values(), *_EXTRA_ORDERS]
    spatials = _spatials(sizes, hw, None)
    space = _space(layer, hw, sram, sizes, spatials, orders)
    if not len(space):
        raise MappingError(f"layer {layer.name}: no descriptor fits the hardware")
    costs = evaluate_levels(layer, hw, space.levels, params)
    spatial_of, order_of = space.spatial, space.order
    costed: dict[int, Cost] = {}  # the fixed dataflows often share a candidate

    def choice(index: int, name: str) -> Choice:
        descriptor = space.descriptor(index, name)
        if index not in costed:
            costed[index] = evaluate(layer, hw, descriptor, params)
        return Choice(descriptor, costed[index])

    best = _best_index(costs, objective, np.ones(len(space), dtype=bool))
    baselines: dict[str, Choice | None] = {}
    for kind in FIXED:
        own = _spatials(sizes, hw, kind)
        among = np.zeros(len(space), dtype=bool)
        if own:
            among = (spatial_of == spatials.index(own[0])) & (
                order_of == orders.index(ORDERS[kind])
            )
        index = _best_index(costs, objective, among)
        baselines[kind] = None if index is None else choice(index, kind)
    return LayerMapping(layer, choice(best, "flexible"), baselines)
