"""Every documented scenario knob that can change a result changes it, the way the model
says it should.

Each entry of the tables below changes one key on a small base scenario (`data/knobs.yaml`,
or `data/knobs_masters.yaml` with traffic masters) and names the summary quantity that
must move, the direction it must move in (or the exact value it must reach, or that the
scenario is refused), and why the model makes it so. The baseline of an entry is the
base scenario with the entry's `base` overrides; the variant adds `key=value`. Baselines
are simulated once and shared. Keys that change no result (output switches) assert
what they do change: the files of the run folder.

`KNOWN_NO_OPS` lists the knobs that did nothing when this test was written (the DRAM
preset at simple and fluid fidelity, arbitration at banked fidelity, the ONNX weight
source), kept apart so their fixes stay visible. An entry marked `xfail(strict=True)` is a
knob found to do nothing: a defect to fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from soc.config import load_scenario
from soc.errors import FlexsocError
from soc.runner import run_scenario

DATA = Path(__file__).parent / "data"
SCENARIOS = {"knobs": DATA / "knobs.yaml", "masters": DATA / "knobs_masters.yaml"}

# Baselines shared by several entries (overrides applied to both runs of an entry).
AUTO = ("workload.per_layer={}",)  # the mapper chooses every layer's loop nest
AUTO_LATENCY = (*AUTO, "workload.objective=latency")
SPARSE = ("workload.sparsity.activations=0.5", "workload.sparsity.weights=0.5")
FLUID = ("soc.dram.fidelity=fluid",)
BANKED = ("soc.dram.fidelity=banked",)
RING = ("soc.noc.topology=ring",)
NATIVE = ("run.native_trace=true",)
WRITES = (*BANKED, "masters[2].write=true")  # the generator writes 1 GB/s
RANDOM_READS = (*BANKED, "masters[2].pattern=random")

# MACs outside conv1's zero padding: of the 16 x 3 (output row, kernel row) pairs, 2 fall
# in the padding, and as many of the column pairs; fc2 has no padding.
CONV1_UNPADDED_MACS = 32 * 16 * (16 * 3 - 2) ** 2
UNPADDED_MACS = CONV1_UNPADDED_MACS + 32 * 8192
FC2_WEIGHTS = 32 * 8192  # fc2's K x C
FC2_NONZERO = FC2_WEIGHTS // 2  # the real weight arrays written below: every other one


# -- what a run gives ------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    summary: dict
    folder: Path


class Refused(Exception):
    """The scenario was refused with a one-line error (the variant of a refusal entry)."""


def _layer(run: Run, name: str) -> dict:
    return next(row for row in run.summary["layers"] if row["layer"] == name)


def measure(label: str, read: Callable[[Run], float]) -> Callable[[Run], float]:
    read.label = label  # type: ignore[attr-defined]
    return read


TOTAL_PS = measure("total_ps", lambda r: r.summary["total_ps"])
MACS = measure("macs.executed", lambda r: r.summary["macs"]["executed"])
DEADLINE_MISSES = measure("deadline_misses", lambda r: r.summary["deadline_misses"])
DMA_REQUESTS = measure("dma.requests", lambda r: r.summary["dma"]["requests"])
SRAM_CONFLICTS = measure("sram.bank_conflicts", lambda r: r.summary["sram"]["bank_conflicts"])
SRAM_CONFLICT_CYCLES = measure(
    "sram.conflict_cycles", lambda r: r.summary["sram"]["conflict_cycles"]
)
DRAM_BYTES = measure(
    "dram read + write bytes",
    lambda r: r.summary["dram"]["read_bytes"] + r.summary["dram"]["write_bytes"],
)
ENERGY_TOTAL = measure("energy.total_pj", lambda r: r.summary["energy"]["total_pj"])


def layer_sum(field_: str) -> Callable[[Run], float]:
    return measure(
        f"sum of layers' {field_}", lambda r: sum(row[field_] for row in r.summary["layers"])
    )


def layer_field(name: str, field_: str) -> Callable[[Run], float]:
    return measure(f"{name}.{field_}", lambda r: _layer(r, name)[field_])


def activity(component: str, action: str) -> Callable[[Run], float]:
    return measure(
        f"activity.{component}.{action}",
        lambda r: r.summary["activity"].get(component, {}).get(action, 0),
    )


def energy_action(action: str) -> Callable[[Run], float]:
    return measure(
        f"energy.by_action.{action}", lambda r: r.summary["energy"]["by_action"].get(action, 0)
    )


def dram_bytes(master: str, direction: str = "") -> Callable[[Run], float]:
    def read(r: Run) -> float:
        row = r.summary["dram"]["by_master"].get(master, {})
        kinds = [direction] if direction else ["read", "write"]
        return sum(row.get(f"dram_{kind}_byte", 0) for kind in kinds)

    return measure(f"dram bytes of {master} {direction}".strip(), read)


def dram_read_bytes() -> Callable[[Run], float]:
    return measure("dram.read_bytes", lambda r: r.summary["dram"]["read_bytes"])


def latency(master: str, stat: str = "mean") -> Callable[[Run], float]:
    return measure(
        f"dram.latency_ps.{master}.{stat}", lambda r: r.summary["dram"]["latency_ps"][master][stat]
    )


def bandwidth(master: str) -> Callable[[Run], float]:
    return measure(
        f"dram bandwidth of {master}",
        lambda r: r.summary["dram"]["by_master"][master]["bandwidth_bytes_per_s"],
    )


def _row_hit_rate(r: Run) -> float:
    dram = r.summary["activity"]["dram"]
    return dram["dram_row_hit"] / (dram["dram_row_hit"] + dram["dram_row_miss"])


ROW_HIT_RATE = measure("row-hit rate of all requests", _row_hit_rate)


def requests(master: str) -> Callable[[Run], float]:
    return measure(
        f"dram requests of {master}", lambda r: r.summary["dram"]["latency_ps"][master]["count"]
    )


def row_hit_rate(master: str) -> Callable[[Run], float]:
    return measure(
        f"row-hit rate of {master}",
        lambda r: r.summary["dram"]["by_master"][master]["row_hit_rate"],
    )


def master_field(master: str, field_: str) -> Callable[[Run], float]:
    return measure(f"masters.{master}.{field_}", lambda r: r.summary["masters"][master][field_])


def dataflows() -> Callable[[Run], tuple]:
    return measure(
        "layers' dataflow", lambda r: tuple(row["dataflow"] for row in r.summary["layers"])
    )


def file_size(name: str) -> Callable[[Run], float]:
    def read(r: Run) -> float:
        path = r.folder / name
        if path.is_dir():
            return sum(p.stat().st_size for p in path.iterdir())
        return path.stat().st_size if path.exists() else 0

    return measure(f"size of {name} in the run folder", read)


TIMELINE_WINDOWS = measure(
    "windows of the dram bandwidth timeline",
    lambda r: len(r.summary["dram"]["bandwidth_over_time"]["bytes_per_s"]["dma"]),
)
NOC_BYTE_HOPS = activity("noc", "noc_byte_hop")


def spatial_reductions(r: Run) -> int:
    """How many layers split C, R or S across the PE rows or columns."""
    count = 0
    for row in r.summary["layers"]:
        spatial = row["loop_nest"].split("rows[")[1].split("RF[")[0]
        count += any(dim in spatial for dim in "CRS")
    return count


SPATIAL_REDUCTIONS = measure("layers reducing across PEs", spatial_reductions)


# -- expectations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """How the variant's quantity relates to the baseline's: `check(base, new, base_run,
    new_run)`; `text` says it in words for the failure message."""

    text: str
    check: Callable[[float, float, Run, Run], bool]


LOWER = Expect("lower", lambda b, n, *_: n < b)
HIGHER = Expect("higher", lambda b, n, *_: n > b)
DIFFERS = Expect("different", lambda b, n, *_: n != b)
REFUSED = Expect("refused", lambda *_: False)  # handled apart: the variant must not load


def times(factor: float, rel: float = 0.0) -> Expect:
    return Expect(
        f"{factor} x baseline" + (f" (within {rel:.0%})" if rel else " exactly"),
        lambda b, n, *_: n == pytest.approx(factor * b, rel=rel, abs=0),
    )


def about(text: str, value: float, rel: float) -> Expect:
    return Expect(
        f"~ {text} (within {rel:.0%})", lambda b, n, *_: n == pytest.approx(value, rel=rel)
    )


def equals(text: str, value: Callable[[Run, Run], float]) -> Expect:
    return Expect(f"== {text}", lambda b, n, br, nr: n == value(br, nr))


@dataclass(frozen=True)
class Knob:
    """One table entry: set `key` to `value` on `scenario` (after the `base` overrides
    both runs share) and `measure` must move from the baseline as `expect` says."""

    key: str
    value: str  # YAML; {data} is the folder of the generated tensor files
    measure: Callable[[Run], float]
    expect: Expect
    reason: str
    base: tuple[str, ...] = ()
    scenario: str = "knobs"
    marks: tuple = field(default=())

    @property
    def override(self) -> str:
        return f"{self.key}={self.value}"


# Clock periods that do not divide 10 ns (the SRAM and engine at 1.3 GHz) would let a
# shift of every later event by a delta change roundings; deltas below are multiples of
# 10 ns so the shift is exact.
DELTA_IRQ_PS = 1_000_000  # 2 us -> 3 us
DELTA_MMIO_PS = 50_000  # 50 ns -> 100 ns
PRE_BYTES = 16 * 16 * 16  # conv1's input: the preprocess buffer
POST_BYTES = 32  # fc2's output: the postprocess buffer


# fmt: off
KNOBS: list[Knob] = [
    # -- cpu -----------------------------------------------------------------------------
    Knob("soc.cpu.freq_hz", "8 GHz", TOTAL_PS, LOWER,
         "preprocess computes 8 cycles/B over conv1's input: 4x the clock, a quarter of "
         "the time, and that compute is longer than streaming the buffer",
         base=("driver.preprocess.cycles_per_byte=8",)),
    Knob("soc.cpu.mmio_write_latency_ps", "100 ns", TOTAL_PS,
         equals("baseline + registers written x 50 ns",
                lambda b, n: b.summary["total_ps"]
                + DELTA_MMIO_PS * b.summary["activity"]["cpu"]["mmio_write"]),
         "descriptor registers are written one after another before each launch, with "
         "nothing else running"),
    Knob("soc.cpu.irq_latency_ps", "3 us", TOTAL_PS,
         equals("baseline + 2 layers x 1 us",
                lambda b, n: b.summary["total_ps"] + 2 * DELTA_IRQ_PS),
         "the driver waits for each of the two layers' completion interrupt before the "
         "next step, with nothing else running"),
    Knob("soc.cpu.request_bytes", "256", requests("cpu"),
         equals("4096/256 + 1 reads and as many writes",
                lambda b, n: 2 * (PRE_BYTES // 256 + 1)),
         "the CPU streams the 4096 B pre- and 32 B post-processing buffers in requests "
         "of request_bytes, each a read and a write"),
    Knob("soc.cpu.max_outstanding", "1", TOTAL_PS, HIGHER,
         "one request in flight serialises the preprocess stream's 64 read/write pairs, "
         "each a DRAM latency, past the 1 us of compute"),
    Knob("soc.cpu.priority", "0", latency("cpu"), LOWER,
         "under priority arbitration the CPU's requests overtake the class-1 traffic of "
         "the masters queued at the DRAM", scenario="masters"),
    # -- dma -----------------------------------------------------------------------------
    Knob("soc.dma.channels", "2", TOTAL_PS, REFUSED,
         "the engine's sequencer uses flexnn.dma_channels = 3 channels; a DMA with fewer "
         "cannot serve it"),
    Knob("soc.dma.request_bytes", "4 KiB", DMA_REQUESTS, LOWER,
         "transfers split into requests of at most request_bytes; fc2's 32 KiB weight "
         "tiles need a quarter as many"),
    Knob("soc.dma.max_outstanding", "1", TOTAL_PS, HIGHER,
         "fc2's weight stream keeps 8 requests per channel in flight to cover the DRAM "
         "latency; one at a time leaves the data bus idle between them"),
    Knob("soc.dma.setup_latency_ps", "2 us", TOTAL_PS, HIGHER,
         "every transfer waits its setup latency before its first request"),
    Knob("soc.dma.priority", "0", latency("dma"), LOWER,
         "under priority arbitration the DMA's requests overtake the masters' class-1 "
         "requests queued at the DRAM", scenario="masters"),
    # -- noc -----------------------------------------------------------------------------
    Knob("soc.noc.topology", "ring", NOC_BYTE_HOPS, HIGHER,
         "the crossbar counts a request's bytes once; a ring of 4 routers with the CPU, "
         "DMA, DRAM and SRAM on different routers counts them once per link (>= 2)"),
    Knob("soc.noc.freq_hz", "100 MHz", TOTAL_PS, HIGHER,
         "links serialise 32 B per cycle and routers take 2 cycles: a tenth of the clock "
         "makes every request slower than the DRAM"),
    Knob("soc.noc.link_width_bytes", "2", TOTAL_PS, HIGHER,
         "a 1 KiB DMA request holds its links for 512 cycles instead of 32, below the "
         "DRAM's bandwidth"),
    Knob("soc.noc.router_latency_cycles", "200", TOTAL_PS, HIGHER,
         "every request crosses the crossbar twice, each 200 ns instead of 2 ns"),
    Knob("soc.noc.routers", "2", NOC_BYTE_HOPS, LOWER,
         "on a ring of 2 routers the DMA shares a router with the SRAM and sits next to "
         "the DRAM: fewer links per byte than on 4 routers", base=RING),
    Knob("soc.noc.mesh_cols", "2", NOC_BYTE_HOPS, LOWER,
         "DMA on router 0, DRAM on 2, SRAM on 3: 2 and 3 hops on a 1 x 4 mesh, 1 and 2 "
         "on a 2 x 2 mesh",
         base=("soc.noc.topology=mesh", "soc.noc.mesh_cols=4",
               "soc.noc.placement={dma: 0, cpu: 1}")),
    Knob("soc.noc.placement", "{sram: 1}", NOC_BYTE_HOPS, LOWER,
         "the SRAM on the DMA's router (1): every fill and write-back crosses no ring "
         "link instead of two", base=RING),
    # -- sram ----------------------------------------------------------------------------
    Knob("soc.sram.base_addr", "0x80000000", TOTAL_PS, REFUSED,
         "the SRAM would overlap the 4 GiB DRAM at address 0"),
    Knob("soc.sram.size_bytes", "64 KiB", TOTAL_PS, REFUSED,
         "fc2's explicit SRAM tile (33920 B, double-buffered) does not fit in 64 KiB"),
    Knob("soc.sram.size_bytes", "16 KiB", DMA_REQUESTS, HIGHER,
         "fc2's 2 x 33920 B weight tiles no longer fit: the mapper cuts C finer over DRAM "
         "(C64 instead of C8), so each of the 32 weight rows of a tile moves in requests "
         "of 128 B instead of 1 KiB", base=AUTO),
    Knob("soc.sram.banks", "1", SRAM_CONFLICTS, HIGHER,
         "with one bank every concurrent DMA fill and engine load collide"),
    Knob("soc.sram.bank_width_bytes", "1", layer_field("conv1", "load_ps"), HIGHER,
         "a round's IF/FL bytes take 16x the bank cycles, above the 64 B/cycle load path"),
    Knob("soc.sram.interleave_bytes", "4 KiB", SRAM_CONFLICT_CYCLES, HIGHER,
         "4 KiB granules put a whole 1 KiB DMA write in one bank, so engine loads and "
         "fills of neighbouring addresses meet in the same bank"),
    Knob("soc.sram.latency_cycles", "200", layer_field("conv1", "load_ps"), HIGHER,
         "every load waits the SRAM access latency after its last beat"),
    Knob("soc.sram.freq_hz", "100 MHz", layer_field("conv1", "load_ps"), HIGHER,
         "bank cycles take 13x as long: the banks, not the load path, bound each load"),
    # -- dram (common) -------------------------------------------------------------------
    Knob("soc.dram.bandwidth_bytes_per_s", "25.6 GB/s", TOTAL_PS, LOWER,
         "fc2 is DMA-bound on its 256 KiB of weights at 12.8 GB/s; twice the bandwidth "
         "halves the data bus time"),
    Knob("soc.dram.latency_ps", "600 ns", TOTAL_PS, HIGHER,
         "every DRAM request completes its latency after its transfer; 8 in flight per "
         "channel no longer cover 600 ns"),
    Knob("soc.dram.size_bytes", "64 KiB", TOTAL_PS, REFUSED,
         "the workload's tensors need more than 64 KiB of DRAM"),
    Knob("soc.dram.base_addr", "0xF0000000", TOTAL_PS, REFUSED,
         "a 4 GiB DRAM from 0xF0000000 overlaps the SRAM at 0x100000000"),
    Knob("soc.dram.fidelity", "banked", TOTAL_PS, LOWER,
         "the banked default (x64 LPDDR4-2400) peaks at 19.2 GB/s, above the simple "
         "model's 12.8 GB/s, and fc2 is bandwidth-bound"),
    Knob("soc.dram.fidelity", "fluid", TOTAL_PS, HIGHER,
         "the fluid model shares efficiency (0.95) x the same 12.8 GB/s the simple model "
         "gives in full"),
    Knob("soc.dram.efficiency", "0.5", TOTAL_PS, HIGHER,
         "flows share efficiency x peak bandwidth: half of it for the DMA-bound fc2",
         base=FLUID),
    Knob("soc.dram.arbitration", "fcfs", latency("gen"), HIGHER,
         "base: the generator alone in class 0; fcfs puts its requests back in arrival "
         "order behind the DMA's queued ones",
         base=("masters[2].priority=0",), scenario="masters"),
    Knob("soc.dram.arbitration", "round_robin", latency("gen"), LOWER,
         "fcfs serves the generator behind every queued DMA request; round robin serves "
         "the masters in turn, so its lone request waits for one DMA request at most",
         base=("soc.dram.arbitration=fcfs",), scenario="masters"),
    Knob("soc.dram.weights", "{gen: 16}", latency("gen"), LOWER,
         "weighted arbitration serves the master with the fewest bytes per weight; a "
         "weight of 16 puts the generator ahead of the DMA",
         base=("soc.dram.arbitration=weighted",), scenario="masters"),
    Knob("soc.dram.regulators", "{dma: {rate_bytes_per_s: 2 GB/s}}", TOTAL_PS, HIGHER,
         "a 2 GB/s token bucket on the DMA stretches fc2's 256 KiB from 20 us to 128 us"),
    Knob("soc.dram.regulators.dma.burst_bytes", "64 KiB", TOTAL_PS, LOWER,
         "a deeper bucket lets 64 KiB through at full speed before the rate applies",
         base=("soc.dram.regulators={dma: {rate_bytes_per_s: 2 GB/s}}",)),
    # -- dram at fluid fidelity --------------------------------------------------------
    Knob("soc.dram.bandwidth_bytes_per_s", "25.6 GB/s", TOTAL_PS, LOWER,
         "the fluid model shares efficiency x this bandwidth; fc2 is bandwidth-bound",
         base=FLUID),
    Knob("soc.dram.latency_ps", "600 ns", TOTAL_PS, HIGHER,
         "a flow completes latency_ps after its last byte", base=FLUID),
    Knob("soc.dram.arbitration", "priority", latency("gen"), LOWER,
         "class by class: the generator alone in class 0 takes the bandwidth it needs "
         "before the class-1 flows share the rest",
         base=(*FLUID, "soc.dram.arbitration=fcfs", "masters[2].priority=0"),
         scenario="masters"),
    Knob("soc.dram.weights", "{gen: 16}", latency("gen"), LOWER,
         "under weighted a flow's share follows its master's weight",
         base=(*FLUID, "soc.dram.arbitration=weighted"), scenario="masters"),
    Knob("soc.dram.regulators", "{dma: {rate_bytes_per_s: 2 GB/s}}", TOTAL_PS, HIGHER,
         "a regulated master's flows are capped at its token rate", base=FLUID),
    # -- dram at banked fidelity -----------------------------------------------------------
    Knob("soc.dram.banked.freq_hz", "600 MHz", TOTAL_PS, HIGHER,
         "half the DRAM clock: every timing and burst takes twice as long", base=BANKED),
    Knob("soc.dram.banked.cycles.cl", "60", latency("dma"), HIGHER,
         "every read's data comes CL cycles after its column command", base=BANKED),
    Knob("soc.dram.banked.cycles.trcd", "100", latency("dma"), HIGHER,
         "a row miss waits tRCD between activation and column command", base=BANKED),
    Knob("soc.dram.banked.cycles.trfc", "4000", TOTAL_PS, HIGHER,
         "every tREFI a rank is unavailable for tRFC", base=BANKED),
    Knob("soc.dram.banked.bus_bytes", "2", TOTAL_PS, HIGHER,
         "a quarter of the data bus width: four times the bursts per request", base=BANKED),
    Knob("soc.dram.banked.rows", "1024", TOTAL_PS, REFUSED,
         "1024 rows address 128 MiB, less than the 4 GiB size_bytes", base=BANKED),
    Knob("soc.dram.banked.page_policy", "closed", row_hit_rate("dma"), LOWER,
         "closed rows after the last queued hit: the next sequential request, arriving "
         "later, finds its row closed", base=BANKED),
    Knob("soc.dram.banked.scheduler", "fcfs", TOTAL_PS, HIGHER,
         "FR-FCFS issues row hits ahead of older misses; strict FCFS makes every bank "
         "wait for the oldest request", base=BANKED),
    Knob("soc.dram.banked.address_map", "row:column:rank:bank:bankgroup",
         activity("dram", "dram_activate"), LOWER,
         "with the row above the column and the banks below it a row spans all 16 banks "
         "(128 KiB), so a sequential stream of 1 KiB requests (each served in the bank "
         "of its first burst) opens a row every 128 KiB instead of every 8 KiB",
         base=BANKED),
    Knob("soc.dram.banked.channels", "2", TOTAL_PS, LOWER,
         "two channels, each its own controller and data bus, interleaved per burst",
         base=(*BANKED, "soc.dram.banked.address_map=row:rank:bank:bankgroup:column:channel")),
    Knob("soc.dram.banked.posted_writes", "true", latency("gen"), LOWER,
         "a posted write completes when the write queue takes it, not when written; "
         "all the generator's requests are writes", base=WRITES, scenario="masters"),
    Knob("soc.dram.banked.write_queue", "4", latency("gen"), LOWER,
         "a drain starts when the write queue is full (write_drain_high defaults to "
         "its size): 4 entries fill sooner than 32, so writes wait less",
         base=WRITES, scenario="masters"),
    Knob("soc.dram.banked.write_drain_high", "2", latency("gen"), LOWER,
         "a drain starts at 2 queued writes instead of 32", base=WRITES, scenario="masters"),
    Knob("soc.dram.banked.write_max_wait_cycles", "100", latency("gen"), LOWER,
         "a drain starts once the oldest write waited 100 cycles instead of 4000",
         base=WRITES, scenario="masters"),
    Knob("soc.dram.banked.write_drain_low", "16", latency("gen"), HIGHER,
         "with reads backed up out of the one-entry bank queues, a drain stops at 16 "
         "queued writes instead of emptying the queue: the rest wait for the next drain",
         base=(*WRITES, "masters[2].rate_bytes_per_s=4 GB/s",
               "soc.dram.banked.command_queue=1"), scenario="masters"),
    Knob("soc.dram.banked.write_drain_low", "16", latency("gen"), HIGHER,
         "a drain should stop at 16 queued writes while the DMA's reads wait at the "
         "banks, instead of emptying the write queue",
         base=(*WRITES, "masters[2].rate_bytes_per_s=4 GB/s"), scenario="masters"),
    Knob("soc.dram.banked.transaction_queue", "1", latency("gen"), HIGHER,
         "with one-entry bank queues, a one-entry transaction queue holds a DMA read "
         "whose bank is busy, and the generator's reads to other banks wait behind it",
         base=(*RANDOM_READS, "soc.dram.banked.command_queue=1"), scenario="masters"),
    Knob("soc.dram.banked.command_queue", "1", ROW_HIT_RATE, LOWER,
         "FR-FCFS picks a row hit among the requests queued at a bank; with one entry "
         "there is no choice", base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.frontend_cycles", "600", latency("dma"), HIGHER,
         "every request completes frontend_cycles after its burst ends", base=BANKED),
    Knob("soc.dram.banked.ranks", "1", TOTAL_PS, HIGHER,
         "half the banks (8 instead of 16) for the generator's random reads: more of "
         "them find their bank busy with another row", base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.bankgroups", "1", TOTAL_PS, HIGHER,
         "one-burst requests with the bank group lowest in the map alternate bank groups "
         "(tCCD_S = 4 cycles apart); in one group every burst waits tCCD_L = 16",
         base=(*BANKED, "soc.dram.banked.address_map=row:column:rank:bank:bankgroup",
               "soc.dma.request_bytes=128", "soc.dram.banked.cycles.tccd_l=16")),
    Knob("soc.dram.banked.banks_per_group", "1", TOTAL_PS, REFUSED,
         "2 ranks x 2 groups x 1 bank x 65536 rows x 8 KiB address 2 GiB, less than the "
         "4 GiB size_bytes", base=BANKED),
    Knob("soc.dram.banked.row_bytes", "4 KiB", activity("dram", "dram_activate"), HIGHER,
         "a sequential stream opens a new row every row_bytes: every 4 KiB instead of 8",
         base=BANKED),
    Knob("soc.dram.banked.burst_length", "8", TOTAL_PS, HIGHER,
         "a burst of BL8 takes 4 cycles but the bursts of a request are tCCD_L = 6 "
         "cycles apart: the bus idles a third of the time", base=BANKED),
    Knob("soc.dram.banked.cycles.cwl", "100", latency("cpu"), HIGHER,
         "a write's data goes CWL cycles after its column command; half the CPU's "
         "requests are writes", base=BANKED),
    Knob("soc.dram.banked.cycles.trp", "100", TOTAL_PS, HIGHER,
         "the generator's random reads mostly miss: each precharge holds its bank tRP "
         "before the activation", base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.tras", "200", TOTAL_PS, HIGHER,
         "a row must stay open tRAS after its activation before the next miss may "
         "precharge it", base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.trrd_s", "100", TOTAL_PS, HIGHER,
         "activations in a rank must be tRRD_S apart; random misses activate often",
         base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.trrd_l", "100", TOTAL_PS, HIGHER,
         "activations in a bank group must be tRRD_L apart", base=RANDOM_READS,
         scenario="masters"),
    Knob("soc.dram.banked.cycles.tfaw", "400", TOTAL_PS, HIGHER,
         "closed rows and bursts rotated over the banks make every 1 KiB request an "
         "activation, about one per 64 cycles: four of them per tFAW = 400 cycles slows "
         "the stream",
         base=(*BANKED, "soc.dram.banked.address_map=row:column:rank:bank:bankgroup",
               "soc.dram.banked.page_policy=closed")),
    Knob("soc.dram.banked.cycles.tccd_s", "16", TOTAL_PS, HIGHER,
         "column commands to different bank groups must be tCCD_S apart, longer than a "
         "burst", base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.tccd_l", "32", TOTAL_PS, HIGHER,
         "the bursts of a request are max(burst, tCCD_L) cycles apart: 32 instead of 8",
         base=BANKED),
    Knob("soc.dram.banked.cycles.twtr_s", "200", latency("cpu"), HIGHER,
         "a read waits tWTR_S after the last write's data in its rank; the CPU reads "
         "right after writing", base=BANKED),
    Knob("soc.dram.banked.cycles.twtr_l", "200", latency("cpu"), HIGHER,
         "a read waits tWTR_L after the last write's data in its bank group",
         base=BANKED),
    Knob("soc.dram.banked.cycles.twr", "300", TOTAL_PS, HIGHER,
         "a row written to may be precharged only tWR after the write's data; the "
         "generator's random writes mostly need their bank's row changed",
         base=(*RANDOM_READS, "masters[2].write=true"), scenario="masters"),
    Knob("soc.dram.banked.cycles.trtp", "300", TOTAL_PS, HIGHER,
         "a row read from may be precharged only tRTP after the read",
         base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.trtrs", "20", TOTAL_PS, HIGHER,
         "the data bus idles tRTRS cycles when it passes from one rank to the other",
         base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.cycles.trefi", "500", TOTAL_PS, HIGHER,
         "a refresh every 500 cycles instead of 8660: each closes the rows and holds the "
         "rank for tRFC", base=BANKED),
    Knob("soc.dram.banked.age_limit_cycles", "200", ROW_HIT_RATE, LOWER,
         "a bank's request waiting longer than 200 cycles goes first even when a row hit "
         "is queued behind it (8000 by default, never reached here): fewer hits go ahead",
         base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.bank_order", "rotating", ROW_HIT_RATE, LOWER,
         "among commands ready at the same cycle, oldest issues a row hit's column "
         "command before another bank's activate or precharge; rotating takes the bank "
         "after the last to issue, whatever its command, so rows close before their hits",
         base=BANKED),
    Knob("soc.dram.banked.bank_order", "rotating", latency("gen"), LOWER,
         "oldest keeps issuing the DMA stream's row hits while they are ready; rotating "
         "gives the banks of the generator's random reads their turn among them",
         base=RANDOM_READS, scenario="masters"),
    Knob("soc.dram.banked.bank_order", "rotating", TOTAL_PS, REFUSED,
         "the rotating scan orders the ready commands of a FR-FCFS scheduler; strict FCFS "
         "takes the oldest request whatever its bank",
         base=(*BANKED, "soc.dram.banked.scheduler=fcfs")),
    Knob("soc.dram.preset", "LPDDR4-3200", TOTAL_PS, HIGHER,
         "one x32 LPDDR4-3200 channel peaks at 12.8 GB/s, the default banked x64 "
         "LPDDR4-2400 at 19.2 GB/s; fc2 is bandwidth-bound",
         base=(*BANKED, "soc.dram.size_bytes=2 GiB")),
    Knob("soc.dram.arbitration", "priority", latency("gen"), LOWER,
         "the front end hands the generator alone in class 0 the next queue entry, and "
         "the scheduler issues its commands first among equally ready ones",
         base=(*BANKED, "soc.dram.arbitration=fcfs", "masters[2].priority=0"),
         scenario="masters"),
    Knob("soc.dram.regulators", "{dma: {rate_bytes_per_s: 2 GB/s}}", TOTAL_PS, HIGHER,
         "the front end holds the DMA's requests until its token bucket allows them",
         base=BANKED),
    # -- flexnn ----------------------------------------------------------------------------
    Knob("soc.flexnn.pe_rows", "8", TOTAL_PS, REFUSED,
         "the explicit loop nests spread K16 across the PE rows"),
    Knob("soc.flexnn.pe_rows", "32", layer_sum("dense_cycles"), LOWER,
         "twice the PE rows: the mapper spreads twice as much across them, so the "
         "busiest PE iterates half as often", base=AUTO_LATENCY),
    Knob("soc.flexnn.pe_cols", "32", layer_sum("dense_cycles"), LOWER,
         "twice the PE columns, as for rows", base=AUTO_LATENCY),
    Knob("soc.flexnn.lanes", "4", TOTAL_PS, REFUSED,
         "the explicit loop nests spread C8 across the MAC lanes"),
    Knob("soc.flexnn.lanes", "16", layer_sum("dense_cycles"), LOWER,
         "twice the MAC lanes per PE: half the RF iterations", base=AUTO_LATENCY),
    Knob("soc.flexnn.freq_hz", "650 MHz", layer_sum("compute_ps"), times(2.0, rel=1e-3),
         "the same compute cycles at half the clock"),
    Knob("soc.flexnn.data_bytes", "2", dram_bytes("dma", "read"), times(2.0),
         "the DMA fetches every IF and FL element at data_bytes each (the IF register "
         "file is doubled in both runs so conv1's explicit tile fits 2-byte data)",
         base=("soc.flexnn.if_rf_bytes=256",)),
    Knob("soc.flexnn.data_bytes", "2", TOTAL_PS, REFUSED,
         "conv1's explicit RF tile needs 160 B of IF at 2 B per element; the IF "
         "register file holds 128 B"),
    Knob("soc.flexnn.acc_bytes", "8", activity("npu", "rf_write_byte"), HIGHER,
         "every accumulation writes its partial sum of acc_bytes into the OF register "
         "file"),
    Knob("soc.flexnn.if_rf_bytes", "8", TOTAL_PS, REFUSED,
         "conv1's explicit RF tile needs more than 8 B of IF per PE"),
    Knob("soc.flexnn.fl_rf_bytes", "8", TOTAL_PS, REFUSED,
         "the explicit RF tiles need more than 8 B of FL per PE"),
    Knob("soc.flexnn.of_rf_bytes", "4", TOTAL_PS, REFUSED,
         "conv1's RF tile holds K2 x P8 outputs, more than 4 B"),
    Knob("soc.flexnn.load_bytes_per_cycle", "1", layer_sum("load_ps"), HIGHER,
         "each round's IF/FL bytes cross the load path at 1 B/cycle instead of 64"),
    Knob("soc.flexnn.drain_bytes_per_cycle", "1", layer_sum("drain_ps"), HIGHER,
         "each output tile crosses the drain path at 1 B/cycle instead of 32"),
    Knob("soc.flexnn.prefetch_tiles", "0", TOTAL_PS, HIGHER,
         "with no tile fetched ahead, fc2's 8 weight tiles are fetched only after the "
         "previous one is written back"),
    Knob("soc.flexnn.dma_channels", "1", TOTAL_PS, HIGHER,
         "IF, FL and OF transfers share one DMA channel, one transfer at a time"),
    Knob("soc.flexnn.round_batch", "4", TOTAL_PS, HIGHER,
         "conv1's rounds run 4 at a time: a batch's compute waits for the whole batch's "
         "load, where round by round the next load overlaps the compute"),
    Knob("soc.flexnn.lockstep", "column", layer_sum("sparse_cycles"), LOWER,
         "each PE column waits only for its own slowest PE, not the array's", base=SPARSE),
    Knob("soc.flexnn.spatial_reduction", "false", SPATIAL_REDUCTIONS,
         Expect("0, from at least 1", lambda b, n, *_: b >= 1 and n == 0),
         "without it no layer may split C, R or S over the PE rows or columns; the mapper "
         "reduces fc2's C over the columns otherwise", base=AUTO),
    Knob("soc.flexnn.spatial_reduction", "false", TOTAL_PS, REFUSED,
         "fc2's explicit loop nest splits C across the PE columns"),
    # -- energy table ------------------------------------------------------------------
    Knob("soc.energy_table", str(DATA / "knobs_energy.yaml"), energy_action("mac"),
         times(10.0, rel=1e-9), "the table prices a MAC at 2.3 pJ instead of 0.23 pJ"),
    # -- workload --------------------------------------------------------------------------
    Knob("workload.dataflow", "os", dataflows(), equals("os for every layer",
                                                       lambda b, n: ("os", "os")),
         "a fixed dataflow replaces the mapper's free choice (flexible)", base=AUTO),
    Knob("workload.per_layer", "{conv1: ws}", dataflows(),
         equals("ws for conv1 only", lambda b, n: ("ws", "flexible")),
         "per_layer fixes one layer's dataflow; the other stays the mapper's", base=AUTO),
    Knob("workload.objective", "energy", ENERGY_TOTAL, LOWER,
         "the mapper minimises energy instead of latency", base=AUTO_LATENCY),
    Knob("workload.layout", "nhwc", dram_bytes("dma", "read"),
         equals("1,088 B fewer", lambda b, n: dram_bytes("dma", "read")(b) - 1088),
         "padding is not stored: conv1's two DRAM tiles read the 16 x 16 x 16 B input "
         "(4,096 B) instead of their padded footprints, 16 x 10 x 18 B and, sliding, "
         "16 x 8 x 18 B (5,184 B)"),
    Knob("workload.layout", "nchw", DMA_REQUESTS, HIGHER,
         "conv1's input tile moves as one run per channel (16 of 9 x 16 B) instead of one "
         "1 KiB-request copy, and its outputs as one 128 B run per output channel"),
    Knob("workload.per_layer.conv1.layout", "nchw", DMA_REQUESTS, HIGHER,
         "conv1's drain writes NCHW: a 128 B run per output channel and tile"),
    # -- sparsity --------------------------------------------------------------------------
    Knob("workload.sparsity.weights", "0.5", MACS, about("half the unpadded MACs",
                                                          0.5 * UNPADDED_MACS, rel=0.02),
         "find-first skips the pairs with a zero weight (half of them) and, once zeros "
         "are tracked, the pairs that fall in conv1's zero padding"),
    Knob("workload.sparsity.activations", "0.5", MACS,
         about("half the unpadded MACs", 0.5 * UNPADDED_MACS, rel=0.02),
         "find-first skips the pairs with a zero activation (half of them) and those in "
         "conv1's zero padding"),
    Knob("workload.sparsity.pattern", "nm", MACS,
         equals("half the unpadded MACs", lambda b, n: UNPADDED_MACS // 2),
         "N:M weights (default 2:4) keep exactly 2 of every 4 weights along C; the "
         "padding's zero activations are skipped too"),
    Knob("workload.sparsity.n", "1", MACS, times(0.5),
         "1:4 instead of 2:4 keeps exactly half as many weights",
         base=("workload.sparsity.pattern=nm",)),
    Knob("workload.sparsity.m", "8", MACS, times(0.5),
         "2:8 instead of 2:4 keeps exactly half as many weights",
         base=("workload.sparsity.pattern=nm",)),
    Knob("workload.sparsity.pattern", "channel", layer_sum("imbalance_cycles"), HIGHER,
         "per-channel densities differ between the K channels the PE rows hold, so the "
         "array waits longer for its slowest PE", base=SPARSE),
    Knob("workload.sparsity.skip_zeros", "false", MACS, equals(
        "every dense MAC", lambda b, n: b.summary["macs"]["expected"]),
         "without find-first every MAC is performed, zero or not", base=SPARSE),
    Knob("workload.sparsity.compression", "true", dram_read_bytes(), LOWER,
         "zero-value compression moves the non-zeros plus a bitmap: half-dense tensors "
         "shrink to about 5/8", base=SPARSE),
    Knob("workload.sparsity.per_layer", "{conv1: {weights: 0.5}}",
         layer_field("conv1", "performed_macs"),
         about("half of conv1's unpadded MACs", 0.5 * CONV1_UNPADDED_MACS, rel=0.02),
         "conv1's own weight density (and its padding skipped); fc2 keeps the global "
         "(dense) one"),
    Knob("workload.sparsity.per_layer", "{conv1: {weights: 0.5}}",
         layer_field("fc2", "performed_macs"), equals(
             "fc2's dense MACs", lambda b, n: _layer(b, "fc2")["macs"]),
         "only the named layer changes"),
    Knob("workload.sparsity.arrays", "{data}/fc2_weights.npz",
         layer_field("fc2", "performed_macs"), equals(
             "the non-zero weights", lambda b, n: FC2_NONZERO),
         "fc2's real weights (every other one zero) replace the synthetic ones; an FC "
         "layer's MACs are one per weight"),
    Knob("seed", "6", MACS, DIFFERS,
         "another seed draws other synthetic masks of the same density", base=SPARSE),
    # -- masters ---------------------------------------------------------------------------
    Knob("masters[0].fps", "40000", dram_bytes("camera"), HIGHER,
         "twice the frame rate: a line every 3.1 us instead of 6.25 us", scenario="masters"),
    Knob("masters[0].width", "512", dram_bytes("camera"), times(2.0),
         "each of the same lines has twice the pixels", scenario="masters"),
    Knob("masters[0].height", "16", dram_bytes("camera"), HIGHER,
         "the same frame period over twice the lines: lines come twice as often",
         scenario="masters"),
    Knob("masters[0].bytes_per_pixel", "4", dram_bytes("camera"), times(2.0),
         "each line has twice the bytes", scenario="masters"),
    Knob("masters[0].request_bytes", "256", requests("camera"), times(0.25),
         "each 512 B line is written in 2 requests instead of 8", scenario="masters"),
    Knob("masters[0].priority", "0", latency("camera"), LOWER,
         "class 0 overtakes the queued class-1 DMA requests", scenario="masters"),
    Knob("masters[0].max_outstanding", "1", latency("camera"), LOWER,
         "one write at a time: a line's writes no longer queue behind each other at the "
         "DRAM", scenario="masters"),
    Knob("masters[1].fifo_bytes", "256", master_field("display", "underflows"), HIGHER,
         "a FIFO smaller than one 512 B line can never hold a line when the panel takes it",
         scenario="masters"),
    Knob("masters[1].fps", "40000", dram_bytes("display"), HIGHER,
         "the panel drains lines twice as often, so the FIFO is refilled twice as often",
         scenario="masters"),
    Knob("masters[1].bytes_per_pixel", "1", master_field("display", "underflows"), LOWER,
         "1 B/pixel: a 128 B line; a 256 B FIFO then holds a line",
         base=("masters[1].fifo_bytes=256",), scenario="masters"),
    Knob("masters[1].width", "256", dram_bytes("display"), HIGHER,
         "each line the panel takes is twice the bytes, so the FIFO refills twice as "
         "much per line", scenario="masters"),
    Knob("masters[1].height", "16", dram_bytes("display"), HIGHER,
         "the same frame period over twice the lines: the panel takes a line twice as "
         "often", scenario="masters"),
    Knob("masters[1].request_bytes", "256", requests("display"), times(0.25),
         "the same bytes read in requests four times the size", scenario="masters"),
    Knob("masters[1].max_outstanding", "1", latency("display"), LOWER,
         "one read at a time: the display's reads no longer queue behind each other at "
         "the DRAM", scenario="masters"),
    Knob("masters[1].priority", "0", latency("display"), LOWER,
         "class 0 overtakes the queued class-1 DMA requests", scenario="masters"),
    Knob("masters[2].rate_bytes_per_s", "2 GB/s", bandwidth("gen"), times(2.0, rel=0.02),
         "a request every 128 ns instead of 256 ns, which the DRAM keeps up with",
         scenario="masters"),
    Knob("masters[2].request_bytes", "64", requests("gen"), times(4.0, rel=0.02),
         "the same rate in requests of a quarter the size", scenario="masters"),
    Knob("masters[2].write", "true", dram_bytes("gen", "write"), HIGHER,
         "the generator writes instead of reading", scenario="masters"),
    Knob("masters[2].max_outstanding", "1", dram_bytes("gen"), LOWER,
         "one request in flight of ~0.5 us each cannot sustain 1 GB/s of 256 B requests",
         scenario="masters"),
    Knob("masters[2].priority", "0", latency("gen"), LOWER,
         "class 0 overtakes the queued class-1 DMA requests", scenario="masters"),
    Knob("masters[2].pattern", "random", row_hit_rate("gen"), LOWER,
         "random addresses over 1 MiB rarely fall in the row the last request opened",
         base=BANKED, scenario="masters"),
    Knob("masters[2].stride_bytes", "64 KiB", row_hit_rate("gen"), LOWER,
         "a 64 KiB stride lands every request in another row",
         base=(*BANKED, "masters[2].pattern=strided", "masters[2].stride_bytes=256"),
         scenario="masters"),
    Knob("masters[2].region_bytes", "256", row_hit_rate("gen"), HIGHER,
         "a region of one request: every random request hits the same open row",
         base=(*BANKED, "masters[2].pattern=random"), scenario="masters"),
    # -- driver ----------------------------------------------------------------------------
    Knob("driver.frames", "2", MACS, times(2.0), "every frame runs every layer once"),
    Knob("driver.fps", "10000", TOTAL_PS, equals(
        "(frames - 1) / fps + the last frame's latency",
        lambda b, n: 100_000_000 + n.summary["frames"][-1]["latency_ps"]),
         "frame 2 starts 1/fps = 100 us after frame 1, which takes about 33 us; back to "
         "back it would start when frame 1 ends", base=("driver.frames=2",)),
    Knob("driver.deadline_ps", "1 us", DEADLINE_MISSES, equals("frames (2)", lambda b, n: 2),
         "each frame takes about 33 us, far past 1 us", base=("driver.frames=2",)),
    Knob("driver.preprocess.cycles_per_byte", "4", activity("cpu", "cpu_active_ps"),
         equals("baseline + (4 - 0.5) x 4096 cycles at 2 GHz", lambda b, n:
                b.summary["activity"]["cpu"]["cpu_active_ps"] + 7 * PRE_BYTES // 2 * 500),
         "the CPU computes cycles_per_byte over the 4096 B input buffer"),
    Knob("driver.preprocess.bytes", "64 KiB", dram_bytes("cpu"),
         equals("2 x (64 KiB + 32 B)", lambda b, n: 2 * (64 * 1024 + POST_BYTES)),
         "the CPU reads and writes the preprocess buffer once each"),
    Knob("driver.postprocess.cycles_per_byte", "1000", activity("cpu", "cpu_active_ps"),
         equals("baseline + (1000 - 0.5) x 32 cycles at 2 GHz", lambda b, n:
                b.summary["activity"]["cpu"]["cpu_active_ps"] + 1999 * POST_BYTES // 2 * 500),
         "the CPU computes cycles_per_byte over the 32 B output buffer"),
    Knob("driver.postprocess.bytes", "64 KiB", dram_bytes("cpu"),
         equals("2 x (4096 B + 64 KiB)", lambda b, n: 2 * (PRE_BYTES + 64 * 1024)),
         "the CPU reads and writes the postprocess buffer once each"),
    # -- run -------------------------------------------------------------------------------
    Knob("run.timeline_window_ps", "1 us", TIMELINE_WINDOWS, equals(
        "ceil(total_ps / 1 us)", lambda b, n: math.ceil(n.summary["total_ps"] / 1_000_000)),
         "the bandwidth timeline has one value per window up to the run's end"),
    Knob("run.trace_level", "phase", file_size("trace"), HIGHER,
         "phase level adds every round's load, compute, drain and stall span", base=NATIVE),
    Knob("run.trace_level", "request", file_size("trace"), HIGHER,
         "request level adds every memory request's spans", base=NATIVE),
    Knob("run.native_trace", "true", file_size("trace"), HIGHER,
         "the native trace is written only when asked for"),
    Knob("run.chrome_trace", "true", file_size("trace.json"), HIGHER,
         "the Chrome trace is written only when asked for"),
    Knob("run.plots", "true", file_size("plots"), HIGHER,
         "the plots are drawn only when asked for"),
]

# Knobs that did nothing when this test was written; all fixed since.
KNOWN_NO_OPS: list[Knob] = [
    Knob("soc.dram.preset", "LPDDR4-2400-x64", TOTAL_PS, LOWER,
         "a preset sets the simple DRAM's bandwidth and latency; x64 "
         "LPDDR4-2400 peaks at 19.2 GB/s against the base's 12.8 GB/s, and fc2 is "
         "bandwidth-bound"),
    Knob("soc.dram.preset", "LPDDR4-2400-x64", TOTAL_PS, LOWER,
         "a preset sets the fluid DRAM's bandwidth and latency (19.2 GB/s "
         "peak against 12.8 GB/s)", base=FLUID),
    Knob("soc.dram.arbitration", "round_robin", latency("gen"), LOWER,
         "at banked fidelity round robin lets the generator's lone request "
         "ahead of the queued DMA requests that fcfs serves first",
         base=(*BANKED, "soc.dram.arbitration=fcfs"), scenario="masters"),
    Knob("soc.dram.weights", "{gen: 16}", latency("gen"), LOWER,
         "at banked fidelity a weight of 16 puts the generator ahead",
         base=(*BANKED, "soc.dram.arbitration=weighted"), scenario="masters"),
    Knob("workload.sparsity.onnx", "{data}/fc2_weights.onnx",
         layer_field("fc2", "performed_macs"), equals(
             "the non-zero weights", lambda b, n: FC2_NONZERO),
         "fc2's weights from the ONNX initializer 'fc2.weight' (every other "
         "one zero)"),
    Knob("workload.sparsity.onnx_names", "{fc2: classifier}",
         layer_field("fc2", "performed_macs"), equals(
             "the non-zero weights of 'classifier'", lambda b, n: FC2_NONZERO // 2),
         "onnx_names picks the initializer 'classifier' (one in four "
         "non-zero) over the dense 'fc2.weight'",
         base=("workload.sparsity.onnx={data}/fc2_named.onnx",)),
]

# fmt: on


# -- running ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tensors(tmp_path_factory) -> Path:
    """Real fc2 weights: an .npz, and ONNX models holding them as initializers."""
    folder = tmp_path_factory.mktemp("tensors")
    half = (np.arange(FC2_WEIGHTS) % 2).reshape(32, 8192).astype(np.float32)
    np.savez(folder / "fc2_weights.npz", **{"fc2.FL": half.reshape(32, 8192, 1, 1)})
    quarter = (np.arange(FC2_WEIGHTS) % 4 == 0).reshape(32, 8192).astype(np.float32)
    _onnx(folder / "fc2_weights.onnx", {"fc2.weight": half})
    _onnx(folder / "fc2_named.onnx", {"fc2.weight": np.ones_like(half), "classifier": quarter})
    return folder


def _onnx(path: Path, initializers: dict[str, np.ndarray]) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(a, name) for name, a in initializers.items()]
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 8192])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 32])
    node = helper.make_node("Gemm", ["x", next(iter(initializers))], ["y"], transB=1)
    graph = helper.make_graph([node], "knobs", [x], [y], initializer=inits)
    onnx.save(helper.make_model(graph), path)


@pytest.fixture(scope="module")
def simulate(tmp_path_factory, tensors):
    """Run (scenario, overrides) once; later calls share the result (or the refusal)."""
    runs: dict[tuple[str, tuple[str, ...]], Run | Refused] = {}
    out = tmp_path_factory.mktemp("knob_runs")

    def run(scenario: str, overrides: tuple[str, ...]) -> Run:
        overrides = tuple(o.replace("{data}", str(tensors)) for o in overrides)
        key = (scenario, overrides)
        if key not in runs:
            try:
                config = load_scenario(SCENARIOS[scenario], overrides=list(overrides))
                folder = out / f"run{len(runs)}"
                runs[key] = Run(run_scenario(config, folder).summary, folder)
            except FlexsocError as exc:
                runs[key] = Refused(str(exc))
        result = runs[key]
        if isinstance(result, Refused):
            raise result
        return result

    return run


def _ids(knobs: list[Knob]) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for knob in knobs:
        name = f"{knob.override}@{knob.scenario}" + (
            f"[{','.join(knob.base)}]" if knob.base else ""
        )
        seen[name] = seen.get(name, 0) + 1
        ids.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return ids


def _check(knob: Knob, simulate) -> None:
    base = simulate(knob.scenario, knob.base)
    if knob.expect is REFUSED:
        with pytest.raises(Refused):
            simulate(knob.scenario, (*knob.base, knob.override))
        return
    new = simulate(knob.scenario, (*knob.base, knob.override))
    before, after = knob.measure(base), knob.measure(new)
    if not knob.expect.check(before, after, base, new):
        pytest.fail(
            f"{knob.override}: {knob.measure.label} went {before!r} -> {after!r}, "
            f"expected {knob.expect.text} ({knob.reason})",
            pytrace=False,
        )


@pytest.mark.parametrize("knob", [pytest.param(k, marks=k.marks) for k in KNOBS], ids=_ids(KNOBS))
def test_knob_moves_its_quantity(knob: Knob, simulate) -> None:
    _check(knob, simulate)


@pytest.mark.parametrize("knob", KNOWN_NO_OPS, ids=_ids(KNOWN_NO_OPS))
def test_known_no_op_knob_moves_its_quantity(knob: Knob, simulate) -> None:
    _check(knob, simulate)


def test_trace_level_changes_only_the_trace(simulate) -> None:
    """A finer trace level writes more trace, and leaves every result alone."""
    layer = simulate("knobs", NATIVE)
    request = simulate("knobs", (*NATIVE, "run.trace_level=request"))
    assert request.summary == layer.summary
    on_disk = json.loads((request.folder / "summary.json").read_text())
    assert on_disk == json.loads((layer.folder / "summary.json").read_text())


def test_the_table_covers_forty_keys_and_every_block() -> None:
    keys = {_generic(k.key) for k in KNOBS + KNOWN_NO_OPS}
    assert len(keys) >= 40, sorted(keys)
    blocks = [f"soc.{b}" for b in ("cpu", "dma", "noc", "sram", "dram", "flexnn")]
    groups = [
        *blocks,
        "soc.energy_table",
        "soc.dram.banked",
        "workload.sparsity",
        "masters[camera]",
        "masters[display]",
        "masters[generator]",
        "driver",
        "run",
    ]
    for group in groups:
        assert any(key.startswith(group) for key in keys), group


MASTER_KINDS = ("camera", "display", "generator")  # masters[0..2] of knobs_masters.yaml


def _generic(key: str) -> str:
    """masters[2].rate_bytes_per_s -> masters[generator].rate_bytes_per_s"""
    if not key.startswith("masters["):
        return key
    index, rest = key.removeprefix("masters[").split("]", 1)
    return f"masters[{MASTER_KINDS[int(index)]}]{rest}"
