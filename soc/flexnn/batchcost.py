"""The analytic cost of many descriptors of one layer at once, with numpy.

Same model and the same arithmetic, operation for operation, as `cost.evaluate` (the
scalar reference) and the loop-nest analysis it calls, specialised to the descriptor's
three storage levels (DRAM, SRAM, RF), each keeping every tensor. The mapper ranks its
candidates with it; a property test holds it equal to the scalar path.

Candidates are arrays over (candidate, loop slot): each level's loops padded to the
longest list with factor-1 loops, which no count sees (a factor-1 loop neither iterates
nor extends a tile).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from soc.config import FlexNNConfig
from soc.errors import MappingError
from soc.flexnn.cost import CostParams, pipeline_cycles
from soc.flexnn.descriptor import LEVELS, Descriptor
from soc.flexnn.loopnest import DataSpace, Loop
from soc.flexnn.problem import DIMS, FL, IF, OF, conv_problem, layer_sizes
from soc.workloads import Layer

_CODE = {dim: i for i, dim in enumerate(DIMS)}
_INT = np.int64


@dataclass(frozen=True)
class BatchCost:
    """Per candidate: energy (pJ) and cycles, as `cost.evaluate` gives them."""

    energy_pj: np.ndarray  # float64
    cycles: np.ndarray  # int64

    def objective(self, name: str) -> np.ndarray:
        if name == "energy":
            return self.energy_pj
        if name == "latency":
            return self.cycles.astype(np.float64)
        return self.energy_pj * self.cycles


@dataclass(frozen=True)
class LevelLoops:
    """One level's loops for every candidate, outer to inner: dimension codes (indices
    into `problem.DIMS`) and factors, n x slots; a factor of 1 is no loop."""

    dims: np.ndarray
    factors: np.ndarray

    def extents(self) -> np.ndarray:
        """n x 7: per dimension, the product of this level's factors."""
        out = np.ones((self.dims.shape[0], len(DIMS)), dtype=_INT)
        for code in range(len(DIMS)):
            out[:, code] = np.where(self.dims == code, self.factors, 1).prod(axis=1)
        return out


def loop_arrays(loops: Sequence[Sequence[Loop]]) -> LevelLoops:
    """Candidates' loops at one level as arrays, padded with factor-1 loops."""
    width = max((len(x) for x in loops), default=0)
    dims = np.zeros((len(loops), width), dtype=_INT)
    factors = np.ones((len(loops), width), dtype=_INT)
    for i, row in enumerate(loops):
        for j, lp in enumerate(row):
            dims[i, j] = _CODE[lp.dim]
            factors[i, j] = lp.factor
    return LevelLoops(dims, factors)


def _footprint(ds: DataSpace, ext: np.ndarray) -> np.ndarray:
    size = np.ones(ext.shape[0], dtype=_INT)
    for axis in ds.axes:
        size = size * (sum(c * (ext[:, _CODE[dim]] - 1) for c, dim in axis) + 1)
    return size


def _relevant(ds: DataSpace, dims: np.ndarray) -> np.ndarray:
    indexed = np.array([dim in ds.dims() for dim in DIMS])
    return indexed[dims]


@dataclass(frozen=True)
class _Nest:
    """The loops above a tile for every candidate, and what all tensors' transfers
    share: which loops iterate in time, how often each advances, and each loop's step
    along its dimension."""

    dims: np.ndarray
    temporal: np.ndarray
    advances: np.ndarray
    step: np.ndarray


def _nest(tile_ext: np.ndarray, above: LevelLoops, spatial: np.ndarray) -> _Nest:
    """`above` holds the loops above the tile, outer to inner; `spatial` marks the slot
    columns that are spatial."""
    dims, f = above.dims, above.factors
    temporal = ~spatial[None, :] & (f > 1)
    steps = np.where(temporal, f, 1)
    outer = np.cumprod(steps, axis=1) // steps  # iterations of the temporal loops outside
    advances = np.where(temporal, (f - 1) * outer, 0)
    # a loop's step along its dimension: the same-dimension loops inside it, then the tile
    width = dims.shape[1]
    inside_of = (dims[:, :, None] == dims[:, None, :]) & np.triu(
        np.ones((width, width), dtype=bool), k=1
    )
    inside = np.where(inside_of, f[:, None, :], 1).prod(axis=2)
    step = inside * np.take_along_axis(tile_ext, dims, axis=1)
    return _Nest(dims, temporal, advances, step)


def _transfers(ds: DataSpace, tile_ext: np.ndarray, nest: _Nest) -> np.ndarray:
    """`loopnest.transfers` for every candidate."""
    tile = _footprint(ds, tile_ext)
    if nest.dims.shape[1] == 0:
        return tile
    relevant = _relevant(ds, nest.dims)
    # a relevant temporal loop further in: the tile is moved whole at each advance
    hits = (nest.temporal & relevant)[:, ::-1]
    later = (np.cumsum(hits, axis=1) - hits)[:, ::-1] > 0
    shared = np.ones_like(nest.step)
    for axis in ds.axes:
        size = sum(c * (tile_ext[:, _CODE[dim]] - 1) for c, dim in axis) + 1
        shift = sum(c * nest.step * (nest.dims == _CODE[dim]) for c, dim in axis)
        shared = shared * np.maximum(0, size[:, None] - shift)
    delta = np.where(later, tile[:, None], np.where(relevant, tile[:, None] - shared, 0))
    return tile + (nest.advances * delta).sum(axis=1)


def _spatial_product(ds: DataSpace, loops: LevelLoops) -> np.ndarray:
    """Product of the spatial factors over dimensions `ds` is indexed by."""
    return np.where(_relevant(ds, loops.dims), loops.factors, 1).prod(axis=1)


def _elements(layer: Layer, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`problem.tensor_elements` for every candidate."""
    g, k, c, p, q, r, s = (ext[:, i] for i in range(len(DIMS)))
    st, dil = layer.stride, layer.dilation
    h_in, w_in = (p - 1) * st + (r - 1) * dil + 1, (q - 1) * st + (s - 1) * dil + 1
    return g * c * h_in * w_in, g * k * c * r * s, g * k * p * q


def _ceil_div(a: np.ndarray, b: int) -> np.ndarray:
    return -(-a // b)


def evaluate_batch(
    layer: Layer, hw: FlexNNConfig, descriptors: Sequence[Descriptor], params: CostParams
) -> BatchCost:
    """Energy and cycles of `layer` under each descriptor (see `cost.evaluate`)."""
    levels = {name: loop_arrays([d.level(name) for d in descriptors]) for name in LEVELS}
    return evaluate_levels(layer, hw, levels, params)


def evaluate_levels(
    layer: Layer, hw: FlexNNConfig, lv: dict[str, LevelLoops], params: CostParams
) -> BatchCost:
    """`evaluate_batch` on descriptors given as loop arrays, one per level of `LEVELS`."""
    count = lv["dram"].dims.shape[0]
    ext = {name: lv[name].extents() for name in LEVELS}
    sizes = np.array([layer_sizes(layer)[d] for d in DIMS], dtype=_INT)
    padded = ext["dram"] * ext["sram"] * ext["rows"] * ext["cols"] * ext["rf"] * ext["lanes"]
    if (padded < sizes).any():
        raise MappingError(f"layer {layer.name}: a candidate does not cover the layer")
    round_ext = ext["rows"] * ext["cols"] * ext["rf"] * ext["lanes"]  # one round
    pe_ext = ext["rf"] * ext["lanes"]  # one PE's round
    sram_tile = ext["sram"] * round_ext
    problem = conv_problem(layer)
    spaces = {ds.name: ds for ds in problem.dataspaces}
    of_space = spaces[OF]

    # the nest above the RF tile: DRAM and SRAM temporal loops, then rows and columns
    above_rf = LevelLoops(
        np.concatenate([lv[n].dims for n in ("dram", "sram", "rows", "cols")], axis=1),
        np.concatenate([lv[n].factors for n in ("dram", "sram", "rows", "cols")], axis=1),
    )
    temporal_width = lv["dram"].dims.shape[1] + lv["sram"].dims.shape[1]
    spatial_rf = np.arange(above_rf.dims.shape[1]) >= temporal_width
    no_spatial = np.zeros(lv["dram"].dims.shape[1], dtype=bool)
    above_sram = _nest(sram_tile, lv["dram"], no_spatial)
    above_pe = _nest(pe_ext, above_rf, spatial_rf)
    into_sram = {t: _transfers(ds, sram_tile, above_sram) for t, ds in spaces.items()}
    into_rf = {t: _transfers(ds, pe_ext, above_pe) for t, ds in spaces.items()}
    array = LevelLoops(
        np.concatenate([lv["rows"].dims, lv["cols"].dims], axis=1),
        np.concatenate([lv["rows"].factors, lv["cols"].factors], axis=1),
    )
    pes = array.factors.prod(axis=1)  # RF instances
    nest_cycles = (ext["dram"] * ext["sram"] * ext["rf"]).prod(axis=1)
    distinct_all = _footprint(of_space, padded)
    distinct_pe = _footprint(of_space, pe_ext * ext["dram"] * ext["sram"])

    # per level and tensor, counts times instances, as cost.evaluate's count()
    dram_reads = {t: into_sram[t] for t in (IF, FL)}
    dram_of_updates = into_sram[OF]
    dram_of_reads = dram_of_updates - distinct_all
    sram_reads = {t: into_rf[t] * _spatial_product(spaces[t], array) for t in (IF, FL)}
    sram_fills = {t: into_sram[t] for t in (IF, FL)}
    sram_of_updates = into_rf[OF] * _spatial_product(of_space, array)
    sram_of_reads = sram_of_updates - distinct_all
    rf_reads = {t: nest_cycles * _spatial_product(spaces[t], lv["lanes"]) * pes for t in (IF, FL)}
    rf_fills = {t: into_rf[t] * pes for t in (IF, FL)}
    rf_of_updates_each = nest_cycles * _spatial_product(of_space, lv["lanes"])
    # reloaded partial sums enter one of the PEs sharing an output (cost.reloaded_once)
    reloads = into_rf[OF] - distinct_pe
    rf_of_fills = reloads * _spatial_product(of_space, array)
    rf_of_reads = (rf_of_updates_each - distinct_pe) * pes - (reloads * pes - rf_of_fills)
    rf_of_updates = rf_of_updates_each * pes

    db, acc = hw.data_bytes, hw.acc_bytes
    p = params.prices
    rf_operand_reads = (rf_reads[IF] + rf_reads[FL]) * db
    rf_fill_bytes = (rf_fills[IF] + rf_fills[FL]) * db + rf_of_fills * acc
    of_rmw_reads = rf_of_reads * acc
    of_updates = rf_of_updates * acc
    operand_read_bytes = (sram_reads[IF] + sram_reads[FL]) * db
    sram_read_bytes = operand_read_bytes + sram_of_reads * acc
    outputs = np.prod(padded[:, [_CODE[d] for d in "GKPQ"]], axis=1)

    def written(arrivals: np.ndarray) -> np.ndarray:
        return np.minimum(arrivals, outputs) * db + np.maximum(0, arrivals - outputs) * acc

    drained = written(sram_of_updates)
    dram_read_bytes = (dram_reads[IF] + dram_reads[FL]) * db + dram_of_reads * acc
    dram_writes = written(dram_of_updates)
    sram_writes = (sram_fills[IF] + sram_fills[FL]) * db + drained + dram_of_reads * acc
    terms = (
        layer.macs * p["mac"],
        (rf_operand_reads + of_rmw_reads + drained) * p["rf_read_byte"],
        (rf_fill_bytes + of_updates) * p["rf_write_byte"],
        rf_fill_bytes * p["array_delivery_byte"],
        (sram_read_bytes + dram_writes) * p["sram_read_byte"],
        sram_writes * p["sram_write_byte"],
        2 * (dram_read_bytes + dram_writes) * p["noc_byte_hop"],
        dram_read_bytes * p["dram_read_byte"],
        dram_writes * p["dram_write_byte"],
    )
    energy = np.zeros(count, dtype=np.float64)
    for term in terms:  # in cost.evaluate's order, so that the sums round alike
        energy = energy + term

    compute = _compute_cycles(layer, ext, sizes)
    dram_cycles = np.ceil((dram_read_bytes + dram_writes) / params.dram_bytes_per_cycle).astype(
        _INT
    )
    fill, flush = _fill_and_flush(layer, hw, params, ext, sram_tile, pe_ext, round_ext)
    tiles = ext["dram"].prod(axis=1)
    stream = params.stream
    channel_bytes = (
        dram_reads[IF] * db,
        dram_reads[FL] * db,
        dram_of_reads * acc + dram_writes,
    )
    channels = np.full(count, -np.inf)
    for b in channel_bytes:
        busy = tiles * params.transfer_overhead_cycles + b / stream
        channels = np.where(b != 0, np.maximum(channels, busy), channels)
    engine = pipeline_cycles(
        compute,
        operand_read_bytes,
        sram_of_reads * acc,
        np.minimum(sram_of_updates, outputs) * db,
        np.maximum(0, sram_of_updates - outputs) * acc,
        np.maximum(1, sram_of_updates) / outputs,
        hw,
    )
    streamed = np.maximum(dram_cycles, np.ceil(channels).astype(_INT))
    cycles = np.maximum(fill + engine + flush, streamed + _ceil_div(engine, tiles))
    return BatchCost(energy, cycles)


def _compute_cycles(layer: Layer, ext: dict[str, np.ndarray], sizes: np.ndarray) -> np.ndarray:
    """`cost.compute_cycles` for every candidate."""
    block = ext["rows"] * ext["cols"] * ext["rf"] * ext["lanes"]
    pe = ext["rf"] * ext["lanes"]
    lane = ext["lanes"]
    full, rest = sizes[None, :] // block, sizes[None, :] % block
    per_dim = full * _ceil_div(np.minimum(pe, block), lane)
    per_dim = per_dim + np.where(rest > 0, _ceil_div(np.minimum(pe, rest), lane), 0)
    return per_dim.prod(axis=1)


def _fill_and_flush(
    layer: Layer,
    hw: FlexNNConfig,
    params: CostParams,
    ext: dict[str, np.ndarray],
    sram_tile: np.ndarray,
    pe_ext: np.ndarray,
    round_ext: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`cost._fill_and_flush` for every candidate."""
    stream = params.stream
    db = hw.data_bytes
    if_t, fl_t, of_t = _elements(layer, sram_tile)
    if_r, fl_r, _ = _elements(layer, pe_ext)
    spatial = ext["rows"] * ext["cols"]
    _, _, of_round = _elements(layer, round_ext)
    groups_if = spatial[:, [_CODE[d] for d in "GCPQRS"]].prod(axis=1)
    groups_fl = spatial[:, [_CODE[d] for d in "GKCRS"]].prod(axis=1)
    first_load = (if_r * groups_if + fl_r * groups_fl) * db
    fill = np.ceil((if_t + fl_t) * db / stream).astype(_INT)
    fill = fill + _ceil_div(first_load, hw.load_bytes_per_cycle)
    flush = _ceil_div(of_round * db, hw.drain_bytes_per_cycle)
    flush = flush + np.ceil(of_t * db / stream).astype(_INT)
    return fill, flush
