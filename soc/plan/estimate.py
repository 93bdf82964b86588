"""Plausibility of a scenario (issue 15): what a run of it would cost, estimated from the
config and the compiled plan before anything is simulated, and the settings whose cost is
far beyond what the scenario asks for (a clock a million times too slow, a 1 ps timeline
window, 100,000 frames).

The estimate is coarse on purpose (a factor of a few either way) and pure arithmetic:

- a frame's time: the serial host work (pre- and post-processing and CPU ops at the CPU
  clock, each layer's launch: register writes and its interrupt, each transfer's DMA
  set-up) plus the slowest of the parallel resources over the frame's bytes and cycles
  (engine clock, SRAM, NoC links, DRAM bandwidth less refresh, DRAM latency over the
  requests in flight, regulators). The same at the default clocks and latencies of
  `soc.config` (no regulator) is the frame's reference time;
- the simulated span: the last frame's end, (frames - 1) x the longer of the period and
  the frame's time, plus the frame's time (pipelines run side by side: the longest);
- events: per frame, engine steps (round-table rows) and memory requests (DMA requests of
  `soc.dma.request_bytes`, the host's of its request size), and each traffic master's
  requests over the span, each times a constant calibrated on real runs;
- timeline windows: the span / `run.timeline_window_ps` (per series).

`check(config, compiled)` lists the findings: each names the key to change, the value and
the estimate, on one line. `soc validate` refuses a scenario with findings unless
`--force`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soc.config import ScenarioConfig, SocConfig
from soc.config.dram import BankedTiming, DramConfig
from soc.config.masters import GeneratorConfig, MasterConfig
from soc.errors import ImplausibleError
from soc.flexnn import LayerPlan
from soc.plan.pipelines import ScenarioPlan, plan_scenario
from soc.plan.program import DriverProgram, HostStep
from soc.units import format_bytes, format_time_ps

MAX_EVENTS = 5e7
"""Simulated events a run may be expected to take (minutes of wall time at ~30 k/s)."""
MAX_BINS = 1e6
"""Windows of the DRAM bandwidth and power timelines (each series one float a window)."""
SPAN_FACTOR = 1000
"""How far the simulated span may exceed the frames' intent: frames x their period, or
frames x their time on the default clocks when they run back to back."""

# Calibrated on real runs (soc.runner.run.events_processed; see tests/unit/plan/
# test_estimate.py): SimPy events per engine step, per memory request of the DMA or the
# host, per layer launch, and per traffic master request. Rounded up.
EVENTS_PER_ROW = 12
EVENTS_PER_REQUEST = 12
EVENTS_PER_LAYER = 40
EVENTS_PER_MASTER_REQUEST = 12

PS = 1e12


@dataclass(frozen=True)
class FrameWork:
    """What one frame of a pipeline does, in cycles, bytes and requests."""

    host_cycles: float
    host_bytes: float
    host_requests: float
    engine_cycles: float
    sram_bytes: float
    dma_bytes: float
    dma_requests: float
    transfers: int
    rows: int
    layers: int
    registers: int


@dataclass(frozen=True)
class Term:
    """A part of a frame's time: its key, the value echoed, and picoseconds."""

    key: str
    value: str
    ps: float


@dataclass(frozen=True)
class Estimate:
    """A run's estimated cost."""

    span_ps: float
    intent_ps: float
    dominant: Term  # the largest part of the slowest pipeline's frame time
    frame_ps: float
    reference_frame_ps: float
    events: dict[str, float]  # key to change -> events it accounts for
    bins: float

    @property
    def total_events(self) -> float:
        return sum(self.events.values())


def frame_work(program: DriverProgram, soc: SocConfig) -> FrameWork:
    """One frame of `program`: host steps, engine layers and their DMA transfers."""
    host = [program.preprocess, program.postprocess]
    host += [s for s in program.steps if isinstance(s, HostStep)]
    layers = [s for s in program.steps if isinstance(s, LayerPlan)]
    host_bytes = sum(size for step in host for _, size in (*step.reads, *step.writes))
    host_requests = sum(
        math.ceil(size / step.request_bytes)
        for step in host
        for _, size in (*step.reads, *step.writes)
    )
    transfers = [
        t for plan in layers for tile in plan.tiles for t in (*tile.fetches, *tile.writebacks)
    ]
    request = soc.dma.request_bytes
    dma_bytes = sum(t.size_bytes for t in transfers)
    dma_requests = sum(t.rows * t.planes * math.ceil(t.row_bytes / request) for t in transfers)
    return FrameWork(
        host_cycles=float(sum(step.cycles for step in host)),
        host_bytes=float(host_bytes),
        host_requests=float(host_requests),
        engine_cycles=float(sum(int(plan.rounds.compute_cycles.sum()) for plan in layers)),
        sram_bytes=float(sum(int(plan.rounds.load_bytes.sum()) for plan in layers) + dma_bytes),
        dma_bytes=float(dma_bytes),
        dma_requests=float(dma_requests),
        transfers=len(transfers),
        rows=sum(len(plan.rounds) for plan in layers),
        layers=len(layers),
        registers=sum(plan.register_count for plan in layers),
    )


def _hz(hz: float) -> str:
    for unit, scale in (("GHz", 1e9), ("MHz", 1e6), ("kHz", 1e3)):
        if hz >= scale:
            return f"{hz / scale:g} {unit}"
    return f"{hz:g} Hz"


def _rate(bps: float) -> str:
    return f"{format_bytes(bps)}/s"


def _dram_term(dram: DramConfig, nbytes: float) -> Term:
    """The DRAM's bandwidth over `nbytes`; at banked fidelity its peak from the clock and
    bus, less the share of time the ranks spend refreshing (tRFC every tREFI)."""
    if dram.fidelity != "banked":
        bandwidth = dram.bandwidth_bytes_per_s * (
            dram.efficiency if dram.fidelity == "fluid" else 1
        )
        return Term(
            "soc.dram.bandwidth_bytes_per_s",
            _rate(dram.bandwidth_bytes_per_s),
            _over(nbytes, bandwidth),
        )
    t: BankedTiming = dram.banked
    peak = t.channels * t.burst_bytes / t.burst_cycles * t.freq_hz
    serving = 1 - t.cycles.trfc / t.cycles.trefi
    if serving <= 0.5:
        value = f"{t.cycles.trefi} (tRFC {t.cycles.trfc})"
        return Term("soc.dram.banked.cycles.trefi", value, _over(nbytes, peak * max(serving, 0)))
    return Term("soc.dram.banked.freq_hz", _hz(t.freq_hz), _over(nbytes, peak * serving))


def _over(amount: float, rate: float) -> float:
    """Picoseconds to get through `amount` at `rate` per second (never, at no rate)."""
    if amount <= 0:
        return 0.0
    return amount / rate * PS if rate > 0 else math.inf


def frame_terms(
    work: FrameWork, soc: SocConfig, regulators: bool = True
) -> tuple[list[Term], list[Term]]:
    """A frame's serial and parallel time terms on `soc`."""
    cpu, dma, dram = soc.cpu, soc.dma, soc.dram
    launch_irq = work.layers * cpu.irq_latency_ps
    launch_mmio = work.registers * cpu.mmio_write_latency_ps
    serial = [
        Term("soc.cpu.freq_hz", _hz(cpu.freq_hz), _over(work.host_cycles, cpu.freq_hz)),
        Term("soc.cpu.irq_latency_ps", format_time_ps(cpu.irq_latency_ps), launch_irq),
        Term(
            "soc.cpu.mmio_write_latency_ps",
            format_time_ps(cpu.mmio_write_latency_ps),
            launch_mmio,
        ),
        Term(
            "soc.dma.setup_latency_ps",
            format_time_ps(dma.setup_latency_ps),
            work.transfers * dma.setup_latency_ps / dma.channels,
        ),
    ]
    sram = soc.sram.banks * soc.sram.bank_width_bytes * soc.sram.freq_hz
    noc = soc.noc.link_width_bytes * soc.noc.freq_hz
    moved = work.dma_bytes + work.host_bytes
    parallel = [
        Term(
            "soc.flexnn.freq_hz",
            _hz(soc.flexnn.freq_hz),
            _over(work.engine_cycles, soc.flexnn.freq_hz),
        ),
        Term("soc.sram.freq_hz", _hz(soc.sram.freq_hz), _over(work.sram_bytes, sram)),
        Term("soc.noc.freq_hz", _hz(soc.noc.freq_hz), _over(moved, noc)),
        _dram_term(dram, moved),
    ]
    if dram.fidelity != "banked":
        in_flight = dma.channels * dma.max_outstanding
        parallel.append(
            Term(
                "soc.dram.latency_ps",
                format_time_ps(dram.latency_ps),
                work.dma_requests * dram.latency_ps / in_flight,
            )
        )
    if regulators:
        for master, amount in (("dma", work.dma_bytes), ("cpu", work.host_bytes)):
            regulator = dram.regulators.get(master)
            if regulator is not None:
                key = f"soc.dram.regulators.{master}.rate_bytes_per_s"
                rate = regulator.rate_bytes_per_s
                parallel.append(Term(key, _rate(rate), _over(amount, rate)))
    return serial, parallel


def frame_time(work: FrameWork, soc: SocConfig, regulators: bool = True) -> tuple[float, Term]:
    """A frame's estimated time and its largest term."""
    serial, parallel = frame_terms(work, soc, regulators)
    slowest = max(parallel, key=lambda t: t.ps)
    return sum(t.ps for t in serial) + slowest.ps, max([*serial, slowest], key=lambda t: t.ps)


REFERENCE_SOC = SocConfig()
DEFAULT_DMA_REQUEST = REFERENCE_SOC.dma.request_bytes
DEFAULT_CPU_REQUEST = REFERENCE_SOC.cpu.request_bytes
DEFAULT_MASTER_REQUEST = 256  # soc.config.masters.MasterBase.request_bytes
RATES = {"cpu": "freq_hz", "noc": "freq_hz", "sram": "freq_hz", "flexnn": "freq_hz"}
LATENCIES = {"cpu": ("irq_latency_ps", "mmio_write_latency_ps"), "dma": ("setup_latency_ps",)}


def reference_soc(soc: SocConfig) -> SocConfig:
    """`soc`'s structure (sizes, widths, fidelity) with each clock and bandwidth at least
    its default, each latency at most its default, refresh at the default timing."""
    ref = REFERENCE_SOC
    update: dict[str, object] = {}
    for block, key in RATES.items():
        fast = max(getattr(getattr(soc, block), key), getattr(getattr(ref, block), key))
        update[block] = getattr(soc, block).model_copy(update={key: fast})
    for block, keys in LATENCIES.items():
        current = update.get(block, getattr(soc, block))
        short = {k: min(getattr(current, k), getattr(getattr(ref, block), k)) for k in keys}
        update[block] = current.model_copy(update=short)
    dram, default = soc.dram, ref.dram
    banked = dram.banked.model_copy(
        update={
            "freq_hz": max(dram.banked.freq_hz, default.banked.freq_hz),
            "cycles": default.banked.cycles,
        }
    )
    update["dram"] = dram.model_copy(
        update={
            "bandwidth_bytes_per_s": max(dram.bandwidth_bytes_per_s, default.bandwidth_bytes_per_s),
            "latency_ps": min(dram.latency_ps, default.latency_ps),
            "banked": banked,
            "regulators": {},
        }
    )
    return soc.model_copy(update=update)


def _frames_key(config: ScenarioConfig, index: int) -> str:
    return "driver.frames" if config.pipelines is None else f"pipelines[{index}].frames"


def _master_rate(master: MasterConfig) -> tuple[float, bool]:
    """A traffic master's requests per second, and whether they are smaller than they
    could be (a camera's or display's below one line, a generator's below its default)."""
    if isinstance(master, GeneratorConfig):
        small = master.request_bytes < DEFAULT_MASTER_REQUEST
        return master.rate_bytes_per_s / master.request_bytes, small
    per_line = math.ceil(master.line_bytes / master.request_size)
    return master.fps * master.height * per_line, per_line > 1


def estimate(config: ScenarioConfig, compiled: ScenarioPlan) -> Estimate:
    """The run's simulated span, events and timeline windows, estimated."""
    soc = config.soc
    reference = reference_soc(soc)
    span = intent = frame_ps = reference_ps = 0.0
    dominant = Term("driver.frames", "0", 0.0)
    events: dict[str, float] = {}

    def count(key: str, amount: float) -> None:
        events[key] = events.get(key, 0.0) + amount

    dma_key = "soc.dma.request_bytes" if soc.dma.request_bytes < DEFAULT_DMA_REQUEST else None
    cpu_key = "soc.cpu.request_bytes" if soc.cpu.request_bytes < DEFAULT_CPU_REQUEST else None
    longest = _frames_key(config, 0)
    for index, program in enumerate(compiled.programs):
        work = frame_work(program, soc)
        took, largest = frame_time(work, soc)
        ref_took, _ = frame_time(work, reference, regulators=False)
        period = program.period_ps or 0
        pipeline_span = (program.frames - 1) * max(period, took) + took
        if pipeline_span >= span:
            span, frame_ps, reference_ps, dominant = pipeline_span, took, ref_took, largest
            longest = _frames_key(config, index)
        intent = max(intent, (program.frames - 1) * max(period, ref_took) + ref_took)
        frames_key = _frames_key(config, index)
        steps = EVENTS_PER_ROW * work.rows + EVENTS_PER_LAYER * work.layers
        count(frames_key, steps * program.frames)
        count(dma_key or frames_key, EVENTS_PER_REQUEST * work.dma_requests * program.frames)
        count(cpu_key or frames_key, EVENTS_PER_REQUEST * work.host_requests * program.frames)
    seconds = span / PS if math.isfinite(span) else 0.0
    for index, master in enumerate(config.masters):
        per_s, small = _master_rate(master)
        key = f"masters[{index}].request_bytes" if small else longest
        count(key, EVENTS_PER_MASTER_REQUEST * per_s * seconds)
    bins = span / config.run.timeline_window_ps
    return Estimate(span, intent, dominant, frame_ps, reference_ps, events, bins)


def _e(x: float) -> str:
    return "forever" if math.isinf(x) else f"{x:.1e}"


def _span(ps: float) -> str:
    return "forever" if math.isinf(ps) else format_time_ps(ps)


@dataclass(frozen=True)
class Finding:
    """One implausible setting: the key to change and why, on one line."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def plan_checked(config: ScenarioConfig, force: bool = False) -> tuple[ScenarioPlan, list[Finding]]:
    """The scenario's plan and its implausible settings, for a run to go on with: raises
    ImplausibleError naming them unless `force` (soc run, soc.run and sweep points all
    check a scenario so before simulating it)."""
    compiled = plan_scenario(config)
    findings = check(config, compiled)
    if findings and not force:
        raise ImplausibleError([str(f) for f in findings])
    return compiled, findings


def check(config: ScenarioConfig, compiled: ScenarioPlan | None = None) -> list[Finding]:
    """The settings whose estimated cost is far beyond the scenario's intent; none for a
    plausible scenario. `compiled` is `plan_scenario(config)`, compiled here if not given
    (raises as it does on bad input)."""
    cost = estimate(config, compiled or plan_scenario(config))
    found = []
    too_long = cost.span_ps > SPAN_FACTOR * cost.intent_ps
    if too_long:
        term = cost.dominant
        if math.isinf(cost.frame_ps):
            said = "leaves the DRAM no time to serve: a frame would never end"
        else:
            said = (
                f"makes a frame take ~{_span(cost.frame_ps)} of simulated time "
                f"({_span(term.ps)} of it from this setting), over {SPAN_FACTOR}x the "
                f"~{_span(cost.reference_frame_ps)} it takes at the default clocks and "
                f"latencies (run: ~{_span(cost.span_ps)})"
            )
        found.append(Finding(term.key, f"{term.value} {said}; check the value and its unit"))
    if cost.total_events > MAX_EVENTS:
        key, part = max(cost.events.items(), key=lambda kv: kv[1])
        if not (too_long and key.startswith("masters")):  # the span is the cause
            hint = "larger requests ('line' for a camera or display)"
            found.append(
                Finding(
                    key,
                    f"{_value(config, key)} gives ~{_e(part)} of the run's "
                    f"~{_e(cost.total_events)} simulated events over ~{_span(cost.span_ps)} "
                    f"(limit {MAX_EVENTS:.0e}); "
                    f"{'fewer frames' if key.endswith('frames') else hint}",
                )
            )
    if cost.bins > MAX_BINS and not too_long:
        window = config.run.timeline_window_ps
        found.append(
            Finding(
                "run.timeline_window_ps",
                f"{format_time_ps(window)} gives ~{_e(cost.bins)} timeline windows over "
                f"~{_span(cost.span_ps)} (limit {MAX_BINS:.0e}); raise the window",
            )
        )
    return found


def _value(config: ScenarioConfig, key: str) -> str:
    """The value at a key path such as 'masters[0].request_bytes', as the user reads it."""
    node: object = config
    for part in key.replace("[", ".[").split("."):
        node = node[int(part[1:-1])] if part.startswith("[") else getattr(node, part)
    if key.endswith("request_bytes") and isinstance(node, int):
        return format_bytes(node)
    return str(node)
