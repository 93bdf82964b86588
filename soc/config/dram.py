"""Configuration of main memory: the DRAM fidelities, the banked organisation and
timings, presets, arbitration and regulation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator

from soc.config.block import Block
from soc.config.dram_presets import PRESETS
from soc.config.quantities import (
    MAX_DRAM_BANKS,
    BandwidthBps,
    Count,
    FreqHz,
    Natural,
    PositiveBytes,
    SizeBytes,
    TimePs,
    Units,
)


class RegulatorConfig(Block):
    """A token bucket limiting one master's DRAM bandwidth."""

    rate_bytes_per_s: BandwidthBps
    burst_bytes: PositiveBytes = Field(4096, description="bucket depth")


class JedecCycles(Block):
    """The main JEDEC timings, in DRAM clock cycles (defaults: LPDDR4-2400, DRAMsim3's
    LPDDR4_8Gb_x16_2400)."""

    cl: Count = 17
    cwl: Count = 14
    trcd: Count = 15
    trp: Count = 15
    tras: Count = 32
    trfc: Count = 392
    trefi: Count = 8660
    trrd_s: Count = 8
    trrd_l: Count = 8
    tfaw: Count = 32
    tccd_s: Count = 4
    tccd_l: Count = 6
    twtr_s: Count = 8
    twtr_l: Count = 16
    twr: Count = 30
    trtp: Count = 12
    trtrs: Natural = 1


class BankedTiming(Block):
    """Organisation, timings and controller of a banked DRAM channel."""

    freq_hz: FreqHz = Field(1_200_000_000, description="DRAM clock (tCK = 1 / freq)")
    ranks: Units = 2
    bankgroups: Units = 2
    banks_per_group: Units = 4
    rows: Count = 65536
    row_bytes: PositiveBytes = Field(8192, description="row (page) size across the bus")
    bus_bytes: Count = Field(8, description="data bus width (x64 = 8 B)")
    burst_length: Count = 16
    cycles: JedecCycles = JedecCycles()
    channels: Units = Field(1, description="independent channels, each its own controller")
    address_map: tuple[Literal["channel", "row", "rank", "bankgroup", "bank", "column"], ...] = (
        Field(
            ("row", "rank", "bank", "bankgroup", "column"),
            description="address fields, most significant first, above one burst; a list "
            "or a string such as 'row:rank:bank:bankgroup:column' (row-bank-column) or "
            "'row:column:rank:bank:bankgroup' (consecutive bursts rotate over the banks)",
        )
    )
    transaction_queue: Count = Field(32, description="read transaction queue entries")
    write_queue: Count = Field(32, description="write queue entries")
    write_drain_high: Count | None = Field(
        None, description="start draining writes at this many queued (default: full)"
    )
    write_drain_low: Natural = Field(
        0, description="stop draining at this many queued, once reads wait"
    )
    write_max_wait_cycles: Count = Field(
        4000, description="a drain also starts once the oldest queued write waited this long"
    )
    posted_writes: bool = Field(
        False,
        description="true: a write completes when the write queue takes it (DRAMsim3, gem5); "
        "false: when its data is written, as at the simple and fluid fidelities",
    )
    command_queue: Count = Field(8, description="entries per bank")
    page_policy: Literal["open", "closed"] = Field(
        "open", description="closed: precharge after the last queued hit to the row"
    )
    scheduler: Literal["frfcfs", "fcfs"] = Field(
        "frfcfs", description="frfcfs: row hits first; fcfs: strictly oldest first"
    )
    bank_order: Literal["oldest", "rotating"] = Field(
        "oldest",
        description="frfcfs: of the banks whose commands are ready at the same cycle, which "
        "goes first: oldest (QoS rank, row hit, then the oldest request) or rotating (QoS "
        "rank, then the first bank after the one that issued last, as DRAMsim3 scans its "
        "per-bank command queues round-robin)",
    )
    frontend_cycles: Natural = Field(
        0, description="controller pipeline from a burst's end to the requester"
    )
    age_limit_cycles: Count | None = Field(
        8000,
        description="starvation bound: a bank's oldest request that has waited this long "
        "since the controller took it is served first, whatever the arbitration policy "
        "and row hits say (8000: 5 us at LPDDR4-3200, a safety net above the latencies "
        "QoS aims at, not a QoS knob); at least one row cycle (tRAS + tRP); null: none",
    )

    @model_validator(mode="before")
    @classmethod
    def _split_map(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("address_map"), str):
            return {**data, "address_map": tuple(data["address_map"].split(":"))}
        return data

    @model_validator(mode="after")
    def _check(self) -> BankedTiming:
        banks = self.channels * self.ranks * self.bankgroups * self.banks_per_group
        if banks > MAX_DRAM_BANKS:
            raise ValueError(
                f"channels x ranks x bankgroups x banks_per_group is {banks} banks, more "
                f"than {MAX_DRAM_BANKS} (each is simulated as an object)"
            )
        fields = self.address_map
        repeated = sorted({f for f in fields if fields.count(f) > 1})
        if repeated:
            raise ValueError(f"address_map names {', '.join(repeated)} more than once")
        sizes = {"channel": self.channels, "rank": self.ranks, "bankgroup": self.bankgroups}
        needed = {f: n for f, n in sizes.items() if n > 1 and f not in fields}
        missing = [f for f in ("row", "bank", "column") if f not in fields] + list(needed)
        if missing:
            why = ", ".join(f"{f}s: {n}" for f, n in needed.items())
            raise ValueError(f"address_map lacks {', '.join(missing)}" + (f" ({why})" * bool(why)))
        if self.row_bytes % self.burst_bytes:
            raise ValueError(
                f"row_bytes {self.row_bytes} is not a whole number of bursts (bus_bytes x "
                f"burst_length = {self.burst_bytes} B)"
            )
        if self.bank_order == "rotating" and self.scheduler != "frfcfs":
            raise ValueError("bank_order 'rotating' needs scheduler 'frfcfs'")
        row_cycle = self.cycles.tras + self.cycles.trp
        if self.age_limit_cycles is not None and self.age_limit_cycles < row_cycle:
            raise ValueError(
                f"age_limit_cycles ({self.age_limit_cycles}) is shorter than one row cycle "
                f"(tRAS + tRP, cycles.tras + cycles.trp = {row_cycle}): every row miss would "
                "count as starving"
            )
        high = self.write_drain_high or self.write_queue
        if high > self.write_queue or self.write_drain_low >= high:
            raise ValueError(
                f"need write_drain_low ({self.write_drain_low}) < write_drain_high "
                f"({high}) <= write_queue ({self.write_queue})"
            )
        return self

    @property
    def capacity_bytes(self) -> int:
        """What the organisation addresses: channels x ranks x banks x rows x row."""
        banks = self.ranks * self.bankgroups * self.banks_per_group
        return self.channels * banks * self.rows * self.row_bytes

    @property
    def burst_bytes(self) -> int:
        return self.bus_bytes * self.burst_length

    @property
    def burst_cycles(self) -> int:
        return self.burst_length // 2  # double data rate

    @property
    def column_bursts(self) -> int:
        return self.row_bytes // self.burst_bytes


class DramConfig(Block):
    """Main memory: `simple` (peak bandwidth and a latency), `banked` (JEDEC timing) or
    `fluid` (bandwidth shared among active flows; events only when a flow starts or ends)."""

    fidelity: Literal["simple", "banked", "fluid"] = "simple"
    efficiency: float = Field(
        0.95, gt=0, le=1, description="fluid: share of peak bandwidth flows can use"
    )
    preset: (
        Literal[
            "LPDDR4-2400-x64",
            "DDR4-3200",
            "DDR4-3200-x8",
            "LPDDR4-3200",
            "LPDDR4X-4266",
            "LPDDR5-6400",
        ]
        | None
    ) = Field(None, description="banked organisation and timings (soc/config/dram_presets.py)")
    banked: BankedTiming = BankedTiming()

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: object) -> object:
        """A preset fills `banked`; keys given under `banked` override it. It also sets
        `bandwidth_bytes_per_s` and `latency_ps` from the resulting timings
        (`preset_speed`), unless those keys are given: the simple and fluid models run
        on them, and at every fidelity the mapper's cost model assumes them."""
        if not isinstance(data, dict) or data.get("preset") is None:
            return data
        preset = PRESETS.get(data["preset"]) if isinstance(data["preset"], str) else None
        if preset is None:
            return data  # the Literal check names the bad preset
        given = data.get("banked") or {}
        if not isinstance(given, dict):
            return data  # validating `banked` says it is no mapping
        merged = {**preset, **given}
        if isinstance(given.get("cycles"), dict):
            merged["cycles"] = {**preset.get("cycles", {}), **given["cycles"]}
        data = {**data, "banked": merged}
        try:
            timing = BankedTiming.model_validate(merged)
        except ValidationError:
            return data  # validating `banked` names the bad key
        bandwidth, latency = preset_speed(timing)
        data.setdefault("bandwidth_bytes_per_s", bandwidth)
        data.setdefault("latency_ps", latency)
        return data

    arbitration: Literal["fcfs", "priority", "round_robin", "weighted"] = "fcfs"
    weights: dict[str, Count] = Field(default_factory=dict, description="master -> weight")
    regulators: dict[str, RegulatorConfig] = Field(
        default_factory=dict, description="master -> token bucket"
    )
    base_addr: SizeBytes = Field(0, description="first address of DRAM")
    size_bytes: PositiveBytes = Field(4 * 2**30, description="capacity")
    bandwidth_bytes_per_s: BandwidthBps = Field(
        12.8e9,
        description="peak (LPDDR4-3200 x32; a preset sets it): the simple and fluid "
        "models' bandwidth; at every fidelity the mapper's cost model assumes it",
    )
    latency_ps: TimePs = Field(
        60_000,
        description="latency after the data transfer (a preset sets it): the simple and "
        "fluid models'; at every fidelity the mapper's cost model assumes it",
    )

    @model_validator(mode="after")
    def _fits(self) -> DramConfig:
        """A banked DRAM cannot be larger than its organisation (addresses would alias)."""
        capacity = self.banked.capacity_bytes
        if self.fidelity == "banked" and self.size_bytes > capacity:
            raise ValueError(
                f"size_bytes ({self.size_bytes}) exceeds what the banked organisation "
                f"addresses ({capacity} = channels x ranks x banks x rows x row_bytes)"
            )
        return self


REFERENCE_READ_BYTES = 64
"""The read a preset's `latency_ps` is calibrated on: one cache line."""


def unloaded_read_cycles(t: BankedTiming, size_bytes: int = REFERENCE_READ_BYTES) -> int:
    """DRAM cycles of a lone read of `size_bytes` at `banked` fidelity, from arrival to
    data back, on an idle channel whose bank has no open row (pure):

        tRCD + (bursts - 1) x step + CL + burst + frontend_cycles

    ACT at once, the first CAS tRCD later, the request's bursts `burst_step_cycles`
    apart, the last one's data CL later, lasting one burst (BL / 2 cycles at double
    data rate)."""
    bursts = -(-size_bytes // t.burst_bytes)
    c = t.cycles
    step = burst_step_cycles(t, bursts)
    return c.trcd + (bursts - 1) * step + c.cl + t.burst_cycles + t.frontend_cycles


def rotates_bankgroups(t: BankedTiming) -> bool:
    """Whether consecutive bursts of an address range fall in successive bank groups
    (the address map's lowest field is `bankgroup`)."""
    return t.bankgroups > 1 and t.address_map[-1] == "bankgroup"


def burst_step_cycles(t: BankedTiming, bursts: int) -> int:
    """Cycles between the CAS commands of one request's successive bursts (pure).

    Bursts in one bank group are no closer than tCCD_L. When the address map rotates
    consecutive bursts over the bank groups, a run of g = min(bursts, bankgroups) bursts
    visits g groups before it returns to one, so a group sees a CAS every g steps:

        step = max(BL / 2, tCCD_S, ceil(tCCD_L / g))    (rotating)
        step = max(BL / 2, tCCD_L)                      (otherwise)

    A request is still opened in the bank of its first address (one ACT), the model's
    simplification; its bursts in the other groups' banks pay no ACT of their own."""
    c = t.cycles
    if bursts > 1 and rotates_bankgroups(t):
        groups = min(bursts, t.bankgroups)
        return max(t.burst_cycles, c.tccd_s, -(-c.tccd_l // groups))
    return max(t.burst_cycles, c.tccd_l)


def preset_speed(t: BankedTiming) -> tuple[float, int]:
    """What a preset's timings give the `simple` and `fluid` models (pure):

    - peak bandwidth = channels x bus_bytes x 2 x freq_hz (two transfers per clock);
    - latency_ps = the unloaded 64 B read at `banked` fidelity (`unloaded_read_cycles`
      at tCK = 1 / freq_hz, rounded up to a ps) minus the 64 B's transfer at that peak,
      because the simple model adds its latency after the transfer: a lone 64 B read
      then takes the same time at `simple` as at `banked`.

    The read is the closed-bank case (ACT then CAS), not a row hit (CAS only) nor a row
    conflict (PRE, ACT, CAS): every bank starts closed, so a lone read at `banked` costs
    exactly this, and a stream's row hits are what the peak bandwidth stands for. When a
    64 B read is whole bursts of a bus kept busy (the LPDDR4 and DDR4 presets) the
    latency is (tRCD + CL) x tCK and a read of any whole number of bursts agrees too."""
    bandwidth = float(t.channels * t.bus_bytes * 2 * t.freq_hz)
    read_ps = -(-unloaded_read_cycles(t) * 10**12 // t.freq_hz)
    transfer_ps = -(-REFERENCE_READ_BYTES * 10**12 // round(bandwidth))
    return bandwidth, max(0, read_ps - transfer_ps)
