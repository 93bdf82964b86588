"""Analytic cost of a descriptor: energy from the loop-nest counts, cycles from the
slowest of compute, the load path, the drain path and DRAM bandwidth. Pure arithmetic;
the mapper evaluates thousands of these per layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soc.config import FlexNNConfig
from soc.flexnn.descriptor import INNER, Descriptor
from soc.flexnn.loopnest import analyse
from soc.flexnn.problem import (
    FL,
    IF,
    OF,
    REDUCTION_DIMS,
    conv_problem,
    layer_sizes,
    tensor_elements,
)
from soc.workloads import Layer


@dataclass(frozen=True)
class CostParams:
    """Prices (pJ per unit of the energy table's actions), the DRAM bandwidth the layer
    can count on and the narrowest link of the DMA path, in bytes per engine cycle."""

    prices: dict[str, float]
    dram_bytes_per_cycle: float
    stream_bytes_per_cycle: float | None = None  # DRAM -> SRAM path (NoC); None = DRAM
    transfer_overhead_cycles: float = 0.0  # fixed cost of one DMA transfer (setup, latency)

    @property
    def stream(self) -> float:
        """Bytes per cycle of the DMA path: the narrower of DRAM and the NoC."""
        return min(self.dram_bytes_per_cycle, self.stream_bytes_per_cycle or math.inf)


@dataclass(frozen=True)
class Cost:
    energy_pj: float
    cycles: int
    compute_cycles: int
    load_cycles: int
    drain_cycles: int
    dram_cycles: int
    fill_cycles: int
    dram_bytes: int
    sram_read_bytes: int
    macs: int
    utilisation: float
    energy_by_action: dict[str, float]

    @property
    def edp(self) -> float:
        return self.energy_pj * self.cycles

    def objective(self, name: str) -> float:
        return {"energy": self.energy_pj, "latency": float(self.cycles), "edp": self.edp}[name]


def compute_cycles(layer: Layer, d: Descriptor) -> int:
    """Dense cycles over all rounds, edges included. The rounds are the product of every
    dimension's blocks, so the sum over rounds factorises per dimension."""
    block = d.extents(INNER)
    rf, lanes = d.extents(("rf",)), d.extents(("lanes",))
    total = 1
    for dim, size in layer_sizes(layer).items():
        b, pe, lane = block.get(dim, 1), rf.get(dim, 1) * lanes.get(dim, 1), lanes.get(dim, 1)
        full, rest = divmod(size, b)
        per_dim = full * -(-min(pe, b) // lane)
        if rest:
            per_dim += -(-min(pe, rest) // lane)
        total *= per_dim
    return total


def reloaded_once(of_fills: int, of_reads: int, d: Descriptor) -> tuple[int, int]:
    """The OF register files' fills and accumulator reads when reloaded partial sums go
    to one PE only: (fills, reads) from the loop nest's counts.

    With a reduction dimension (C, R, S) spread over the array, `holders` PEs each
    accumulate part of the same outputs, and the drain sums their parts. A reloaded
    partial sum may enter only one of them (in every PE it would be added `holders`
    times); the others start from zero, as on the tile's first pass. The loop nest
    (Timeloop's count) fills every holder and reads the fill in each: per holder but
    one, a fill and a read fewer here.
    """
    spatial = d.extents(("rows", "cols"))
    holders = math.prod(f for dim, f in spatial.items() if dim in REDUCTION_DIMS)
    once = of_fills // holders
    return once, of_reads - (of_fills - once)


def pipeline_cycles(compute, operand_bytes, psum_bytes, final_bytes, partial_bytes, visits, hw):  # noqa: PLR0913
    """Cycles of the load / compute / drain pipeline over all rounds (scalars, or numpy
    arrays over candidates).

    An output tile is visited `visits` times (once per pass of the reduction loops above
    the register files): the first visit starts from zero, later ones reload the
    partial sums, the last drains final outputs (`data_bytes` each) and the others
    partial sums (`acc_bytes`). The rounds of last visits therefore balance the phases
    differently from the rest (reloading four-byte partial sums to drain one-byte
    outputs can make them load-bound while the rest are drain-bound), so the pipeline
    is bounded per class: the slowest phase of the last visits plus the slowest phase
    of the others. With one visit this is the slowest phase of the layer.
    """
    # imported here: a mapping read from the cache needs `Cost`, not numpy (issue 10)
    import numpy as np

    last_share = 1 / visits
    reloads = np.maximum(visits - 1, 1)
    last_psum = np.where(visits > 1, psum_bytes / reloads, 0)
    load_bw, drain_bw = hw.load_bytes_per_cycle, hw.drain_bytes_per_cycle
    last = np.maximum(
        np.maximum(compute * last_share, (operand_bytes * last_share + last_psum) / load_bw),
        final_bytes / drain_bw,
    )
    rest = np.maximum(
        np.maximum(
            compute - compute * last_share,
            (operand_bytes - operand_bytes * last_share + psum_bytes - last_psum) / load_bw,
        ),
        partial_bytes / drain_bw,
    )
    return np.ceil(last + rest).astype(np.int64)


def _fill_and_flush(
    layer: Layer, hw: FlexNNConfig, d: Descriptor, params: CostParams
) -> tuple[int, int]:
    """Cycles before the pipeline runs (the first SRAM tile's fetch, the first round's
    load) and after it (the last round's drain, the last tile's write-back)."""
    stream = params.stream
    db = hw.data_bytes
    if_t, fl_t, of_t = tensor_elements(layer, d.extents(("sram", *INNER)))
    if_r, fl_r, _ = tensor_elements(layer, d.extents(("rf", "lanes")))
    spatial = d.extents(("rows", "cols"))
    _, _, of_round = tensor_elements(layer, d.extents(INNER))
    groups_if = math.prod(f for dim, f in spatial.items() if dim in "GCPQRS")
    groups_fl = math.prod(f for dim, f in spatial.items() if dim in "GKCRS")
    first_load = (if_r * groups_if + fl_r * groups_fl) * db
    fill = math.ceil((if_t + fl_t) * db / stream) + -(-first_load // hw.load_bytes_per_cycle)
    flush = -(-of_round * db // hw.drain_bytes_per_cycle) + math.ceil(of_t * db / stream)
    return fill, flush


def evaluate(layer: Layer, hw: FlexNNConfig, d: Descriptor, params: CostParams) -> Cost:
    """Energy and cycles of `layer` under `d` (counts on the padded problem)."""
    padded = d.extents()
    sizes = {dim: max(padded.get(dim, 1), n) for dim, n in layer_sizes(layer).items()}
    stats = analyse(conv_problem(layer, sizes), d.to_mapping())
    dram, sram, rf = (stats.level(name) for name in ("DRAM", "SRAM", "RF"))
    db, acc = hw.data_bytes, hw.acc_bytes
    p = params.prices

    def count(level, tensor: str, field: str) -> int:
        return getattr(level.tensors[tensor], field) * level.instances

    rf_operand_reads = (count(rf, IF, "reads") + count(rf, FL, "reads")) * db
    of_fills, of_reads = reloaded_once(count(rf, OF, "fills"), count(rf, OF, "reads"), d)
    rf_fills = (count(rf, IF, "fills") + count(rf, FL, "fills")) * db + of_fills * acc
    # the OF accumulator: a read-modify-write per accumulation after an output's first
    of_rmw_reads = of_reads * acc
    of_updates = count(rf, OF, "updates") * acc
    operand_reads = (count(sram, IF, "reads") + count(sram, FL, "reads")) * db
    psum_reads = count(sram, OF, "reads") * acc
    sram_reads = operand_reads + psum_reads
    outputs = math.prod(sizes[dim] for dim in "GKPQ")

    def written(level) -> int:
        """Output bytes arriving at a level: each output once final (INT8), every other
        arrival a partial sum (INT32)."""
        arrivals = count(level, OF, "updates")
        return min(arrivals, outputs) * db + max(0, arrivals - outputs) * acc

    drained = written(sram)
    dram_reads = (count(dram, IF, "reads") + count(dram, FL, "reads")) * db
    dram_reads += count(dram, OF, "reads") * acc
    dram_writes = written(dram)
    # the DMA writes into the SRAM what it reads from DRAM (partial sums included), and
    # reads from the SRAM what it writes to DRAM (priced below, not on the load path)
    sram_writes = (count(sram, IF, "fills") + count(sram, FL, "fills")) * db + drained
    sram_writes += count(dram, OF, "reads") * acc
    energy = {
        "mac": layer.macs * p["mac"],
        "rf_read_byte": (rf_operand_reads + of_rmw_reads + drained) * p["rf_read_byte"],
        "rf_write_byte": (rf_fills + of_updates) * p["rf_write_byte"],
        "array_delivery_byte": rf_fills * p["array_delivery_byte"],
        "sram_read_byte": (sram_reads + dram_writes) * p["sram_read_byte"],
        "sram_write_byte": sram_writes * p["sram_write_byte"],
        "noc_byte_hop": 2 * (dram_reads + dram_writes) * p["noc_byte_hop"],
        "dram_read_byte": dram_reads * p["dram_read_byte"],
        "dram_write_byte": dram_writes * p["dram_write_byte"],
    }
    compute = compute_cycles(layer, d)
    load = -(-sram_reads // hw.load_bytes_per_cycle)
    drain = -(-drained // hw.drain_bytes_per_cycle)
    dram_cycles = math.ceil((dram_reads + dram_writes) / params.dram_bytes_per_cycle)
    fill, flush = _fill_and_flush(layer, hw, d, params)
    # Either the engine is the bottleneck, and the first tile's fetch and the last
    # tile's write-back stick out; or the DMA path is, and the last tile's work does.
    # Each tensor has its own DMA channel; a transfer per tile (at most) pays a fixed cost.
    tiles = math.prod(lp.factor for lp in d.dram)
    channel_bytes = (
        count(dram, IF, "reads") * db,
        count(dram, FL, "reads") * db,
        count(dram, OF, "reads") * acc + dram_writes,
    )
    channels = max(
        tiles * params.transfer_overhead_cycles + b / params.stream for b in channel_bytes if b
    )
    arrivals = count(sram, OF, "updates")
    engine = int(
        pipeline_cycles(
            compute,
            operand_reads,
            psum_reads,
            min(arrivals, outputs) * db,
            max(0, arrivals - outputs) * acc,
            max(1, arrivals) / outputs,
            hw,
        )
    )
    stream = max(dram_cycles, math.ceil(channels))
    cycles = max(fill + engine + flush, stream + -(-engine // tiles))
    energy_pj = 0.0
    for pj in energy.values():  # left to right, as the batched model adds them
        energy_pj += pj
    return Cost(
        energy_pj=energy_pj,
        cycles=cycles,
        compute_cycles=compute,
        load_cycles=load,
        drain_cycles=drain,
        dram_cycles=dram_cycles,
        fill_cycles=fill + flush,
        dram_bytes=dram_reads + dram_writes,
        sram_read_bytes=sram_reads,
        macs=layer.macs,
        utilisation=layer.macs / (cycles * hw.pe_rows * hw.pe_cols * hw.lanes),
        energy_by_action=energy,
    )
