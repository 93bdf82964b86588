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

from soc.config import FlexNNConfig, SramConfig
from soc.errors import MappingError
from soc.flexnn.cost import Cost, CostParams, evaluate
from soc.flexnn.descriptor import Descriptor, sram_bytes
from soc.flexnn.loopnest import Loop
from soc.flexnn.problem import REDUCTION_DIMS, layer_sizes, tensor_elements
from soc.workloads import Layer

OBJECTIVES = ("energy", "latency", "edp")
ORDERS: dict[str, tuple[str, ...]] = {  # outer to inner
    "os": ("G", "K", "P", "Q", "C", "R", "S"),
    "ws": ("G", "K", "C", "R", "S", "P", "Q"),
    "is": ("G", "C", "R", "S", "P", "Q", "K"),
    "rs": ("G", "K", "C", "S", "Q", "P", "R"),
}
FIXED = ("is", "ws", "os", "rs")
_EXTRA_ORDERS = (
    ("G", "P", "Q", "K", "C", "R", "S"),
    ("G", "C", "K", "R", "S", "P", "Q"),
    ("G", "K", "P", "C", "R", "S", "Q"),
)
RF_TILES_KEPT = 6


@dataclass(frozen=True)
class Choice:
    descriptor: Descriptor
    cost: Cost


@dataclass(frozen=True)
class LayerMapping:
    """The flexible choice for a layer and the best of each fixed dataflow (None where
    the dataflow does not fit the layer)."""

    layer: Layer
    best: Choice
    baselines: dict[str, Choice | None]


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
    """Register-file tiles that fit, best-first by time per MAC of a full round."""
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
    scored = []

    def fits(ext):
        return all(n <= cap for n, cap in zip(tensor_elements(layer, ext), caps, strict=True))

    def grow(i, ext, rf):
        if i == len(dims):
            i_el, f_el, _ = tensor_elements(layer, ext)
            cycles = math.prod(lp.factor for lp in rf)
            macs = cycles * lanes_n * rows_n * cols_n
            load = (i_el * cols_n + f_el * rows_n) * hw.data_bytes / hw.load_bytes_per_cycle
            scored.append((max(cycles, load) / macs, load / macs, tuple(rf)))
            return
        dim = dims[i]
        for f in _factor_choices(remaining[dim]):
            trial = {**ext, dim: ext.get(dim, 1) * f}
            if not fits(trial):
                break  # footprints grow with the factor
            grow(i + 1, trial, rf + ([Loop(dim, f)] if f > 1 else []))

    if fits(lane_ext):
        grow(0, dict(lane_ext), [])
    scored.sort(key=lambda item: item[:2])
    return [rf for *_, rf in scored[:RF_TILES_KEPT]]


def _splits(layer, hw, sram, sizes, rows, cols, rf, lanes, order):
    """Descriptors with the loops above the array split between DRAM and SRAM so that
    the SRAM tile fits; the fewest DRAM loops first."""
    inner = Descriptor(rows=rows, cols=cols, rf=rf, lanes=lanes).extents()
    outer = [Loop(d, -(-sizes[d] // inner.get(d, 1))) for d in order]
    outer = [lp for lp in outer if lp.factor > 1]
    budget = sram.size_bytes // (hw.prefetch_tiles + 1)
    found = []
    for i in range(len(outer) + 1):
        head, loop, tail = outer[:i], (outer[i] if i < len(outer) else None), outer[i + 1 :]
        choices = [1] if loop is None else sorted({1, *(2**k for k in range(1, 12)), loop.factor})
        for a in (c for c in choices if loop is None or c <= loop.factor):
            dram = list(head)
            sram_loops = list(tail)
            if loop is not None:
                b = -(-loop.factor // a)
                dram += [Loop(loop.dim, a)] if a > 1 else []
                sram_loops = ([Loop(loop.dim, b)] if b > 1 else []) + sram_loops
            d = Descriptor(tuple(dram), tuple(sram_loops), rows, cols, rf, lanes)
            if sum(sram_bytes(layer, hw, d).values()) <= budget:
                found.append(d)
                break
        if len(found) >= 2:
            break
    return found


def search(
    layer: Layer,
    hw: FlexNNConfig,
    sram: SramConfig,
    params: CostParams,
    objective: str,
    kind: str | None = None,
) -> Choice | None:
    """Best descriptor of dataflow `kind` ('is', 'ws', 'os', 'rs'; None = flexible)."""
    if objective not in OBJECTIVES:
        raise MappingError(f"unknown objective {objective!r} (one of {', '.join(OBJECTIVES)})")
    sizes = layer_sizes(layer)
    orders = [ORDERS[kind]] if kind else [*ORDERS.values(), *_EXTRA_ORDERS]
    spatials = _spatial_options(sizes, hw, kind is None, kind or "")
    if kind is None:  # the fixed dataflows' spatial mappings are part of the space
        spatials += [s for k in FIXED for s in _spatial_options(sizes, hw, False, k)]
        spatials = list(dict.fromkeys(spatials))
    if not hw.spatial_reduction:
        spatials = [option for option in spatials if _reduces_nothing_spatially(option)]
    best: tuple[tuple, Choice] | None = None
    for rows, cols, lanes in spatials:
        for rf in _rf_tiles(layer, hw, sizes, rows, cols, lanes):
            for order in orders:
                for d in _splits(layer, hw, sram, sizes, rows, cols, rf, lanes, order):
                    cost = evaluate(layer, hw, d, params)
                    key = (cost.objective(objective), cost.energy_pj, cost.cycles)
                    if best is None or key < best[0]:
                        best = (key, Choice(d, cost))
    if best is None:
        return None
    choice = best[1]
    name = kind or "flexible"
    return Choice(Descriptor(**{**choice.descriptor.__dict__, "name": name}), choice.cost)


def map_layer(
    layer: Layer, hw: FlexNNConfig, sram: SramConfig, params: CostParams, objective: str
) -> LayerMapping:
    """The flexible choice and each fixed dataflow's best for `layer`."""
    baselines = {kind: search(layer, hw, sram, params, objective, kind) for kind in FIXED}
    best = search(layer, hw, sram, params, objective)
    if best is None:
        raise MappingError(f"layer {layer.name}: no descriptor fits the hardware")
    return LayerMapping(layer, best, baselines)
