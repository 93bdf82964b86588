"""Run one scenario: assemble, simulate, write the run folder.

The run folder is written under a hidden staging name and moved into place only when
every file is complete (`soc.runner.outputs`), so a failed or interrupted run never
leaves output that looks finished, and never replaces a folder the simulator did not
write.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from simpy.core import EmptySchedule

import soc
from soc.assemble import AssembledSoc, assemble
from soc.config import ScenarioConfig, resolved_yaml
from soc.energy import EnergyLedger, load_energy_table
from soc.errors import StallError
from soc.kernel import Action, Level
from soc.kernel.blocked import blocked_waits, grouped_lines
from soc.kernel.ports import RequestRow
from soc.plan.estimate import estimate
from soc.plan.pipelines import ScenarioPlan, plan_scenario
from soc.runner.control import ProgressLine, RunLimits, Snapshot, Stopped, run_bounded
from soc.runner.outputs import RunOrigin, check_target, discard, publish, staging_folder
from soc.runner.writers import RunWriters
from soc.trace import StatsCollector, Tracer
from soc.trace.events import Sink
from soc.trace.requests import RequestTableWriter
from soc.trace.stats import describe_values
from soc.units import format_time_ps


@dataclass
class RunResult:
    """What a run produced: the summary (also in summary.json), where it went, and its
    cost: wall time and the number of SimPy events processed (not in the summary, which
    depends only on the scenario and seed)."""

    summary: dict[str, object]
    out_dir: Path | None
    wall_s: float
    events: int = 0


def events_processed(system: AssembledSoc) -> int:
    """Events a finished simulation processed: the ids SimPy handed out (the tie-breaker
    counter of its event heap; SimPy keeps no count of its own) minus those still
    queued. Reading the counter takes one id, so call it once, after the run."""
    env = system.env
    return next(env._eid) - len(env._queue)


def _dram_summary(stats: StatsCollector, end_ps: int) -> dict[str, object]:
    read = stats.count("dram", Action.DRAM_READ_BYTE)
    write = stats.count("dram", Action.DRAM_WRITE_BYTE)
    masters: dict[str, dict[str, int]] = {}
    for action, per_master in stats.by_master.get("dram", {}).items():
        for master, amount in per_master.items():
            masters.setdefault(master, {})[action] = amount
    seconds = end_ps / 1e12
    return {
        "read_bytes": read,
        "write_bytes": write,
        "bandwidth_bytes_per_s": (read + write) / seconds if seconds else 0.0,
        "latency_ps": _latency_by_direction(stats, "latency_ps"),
        "service_latency_ps": _latency_by_direction(stats, "service_latency_ps"),
        "by_master": {m: _master_row(a, seconds) for m, a in sorted(masters.items())},
        "bandwidth_over_time": {
            "window_ps": stats.bandwidth.window_ps,
            "bytes_per_s": {
                m: [v * 1e12 for v in row] for m, row in stats.bandwidth.per_ps(end_ps).items()
            },
        },
    }


_DIRECTIONS = ("read", "write", "write_data")
"""The parts of a master's DRAM latency reported apart: its reads, its writes (to their
completion: their acceptance if posted) and its writes to their data written."""


def _latency_by_direction(stats: StatsCollector, name: str) -> dict[str, dict[str, object]]:
    """Per master, the distribution of `name` over its completed requests (as sampled),
    and under `read`, `write` and `write_data` its parts that have samples (a master
    with no request complete has no entry, even if a write's data was written)."""
    out: dict[str, dict[str, object]] = stats.distribution("dram", name)
    for direction in _DIRECTIONS:
        for master, part in stats.distribution("dram", f"{direction}_{name}").items():
            if master in out:
                out[master][direction] = part
    return out


def _masters_summary(config: ScenarioConfig, stats: StatsCollector) -> dict[str, object]:
    """Per traffic master: its kind, and its underflows or late lines."""
    out = {}
    for master in config.masters:
        events = {
            name: stats.events.get((master.name, name), []) for name in ("underflow", "late_line")
        }
        out[master.name] = {
            "kind": master.kind,
            "priority": master.priority,
            "underflows": len(events["underflow"]),
            "underflow_bytes_short": sum(int(e["bytes_short"]) for e in events["underflow"]),
            "first_underflow_ps": events["underflow"][0]["t_ps"] if events["underflow"] else None,
            "late_lines": len(events["late_line"]),
        }
    return out


def _master_row(actions: dict[str, int], seconds: float) -> dict[str, object]:
    """A master's DRAM counts, its bandwidth and (banked DRAM) its row-hit rate."""
    served = actions.get("dram_read_byte", 0) + actions.get("dram_write_byte", 0)
    row = {**actions, "bandwidth_bytes_per_s": served / seconds if seconds else 0.0}
    hits, misses = actions.get("dram_row_hit", 0), actions.get("dram_row_miss", 0)
    if hits + misses:
        row["row_hit_rate"] = hits / (hits + misses)
        w_hits, w_misses = (
            actions.get("dram_write_row_hit", 0),
            actions.get("dram_write_row_miss", 0),
        )
        r_hits, r_misses = hits - w_hits, misses - w_misses
        if r_hits + r_misses:
            row["read_row_hit_rate"] = r_hits / (r_hits + r_misses)
        if w_hits + w_misses:
            row["write_row_hit_rate"] = w_hits / (w_hits + w_misses)
    return row


def _ops_summary(system: AssembledSoc, stats: StatsCollector) -> list[dict[str, object]]:
    """Per op of the graph: its placement and, per frame, its time and traffic."""
    layers = {row["layer"]: row for row in stats.layer_rows()}
    rows = []
    for p in system.workload.placements:
        node, name = p.node, p.node.name
        host = stats.host_ops.get(name)
        elapsed = 0
        if p.unit == "npu" and name in layers:
            elapsed = layers[name]["elapsed_ps"]
        elif host is not None:
            elapsed = host["elapsed_ps"] // host["runs"]
        rows.append(
            {
                "op": name,
                "kind": node.kind,
                "op_type": node.op_type,
                "unit": p.unit,
                "reason": p.reason,
                "into": p.into,
                "macs": node.macs,
                "elapsed_ps": elapsed,
                "read_bytes": host["read_bytes"] if host else 0,
                "write_bytes": host["write_bytes"] if host else 0,
            }
        )
    return rows


def _runs_pj(ops: list[str], by_layer: dict, stats: StatsCollector) -> float:
    """The energy of every finished run of `ops` (a layer's or a host op's runs)."""
    total = 0.0
    for name in ops:
        entry = stats.layers.get(name) or stats.host_ops.get(name)
        if name in by_layer and entry is not None:
            total += by_layer[name]["total_pj"] * int(entry["runs"])
    return total


def _pipelines_summary(
    config: ScenarioConfig,
    system: AssembledSoc,
    stats: StatsCollector,
    energy: dict,
    complete: bool = True,
) -> dict[str, object]:
    """Per pipeline: frame latencies, deadline misses, achieved rate, energy per frame;
    its power over the run (an incomplete run's: of the layers and ops that finished,
    whether or not their frame did)."""
    by_layer = energy["by_layer"]
    plan = system.workload
    out = {}
    for pipeline, program in zip(config.pipeline_list, plan.programs, strict=True):
        frames = [f for f in stats.frames if f["pipeline"] == pipeline.name]
        ends = [f["start_ps"] + f["latency_ps"] for f in frames]
        misses = [m for m in stats.deadline_misses if m.get("pipeline") == pipeline.name]
        ops = [name for name, owner in plan.pipeline_of.items() if owner == pipeline.name]
        per_frame = sum(by_layer[name]["total_pj"] for name in ops if name in by_layer)
        seconds = stats.end_ps / 1e12
        fps = (len(ends) - 1) / ((ends[-1] - ends[0]) / 1e12) if len(ends) > 1 else None
        out[pipeline.name] = {
            "priority": pipeline.priority,
            "models": [m.model or "layers" for m in pipeline.models],
            "frames": len(frames),
            "period_ps": program.period_ps,
            "deadline_ps": program.deadline_ps,
            "latency_ps": describe_values([f["latency_ps"] for f in frames]),
            "deadline_misses": len(misses),
            "achieved_fps": fps if fps is None or ends[-1] > ends[0] else None,
            "energy_per_frame_pj": per_frame,
            "average_power_w": (
                (per_frame * len(frames) if complete else _runs_pj(ops, by_layer, stats))
                * 1e-12
                / seconds
                if seconds
                else 0.0
            ),
        }
    return out


def build_summary(
    config: ScenarioConfig,
    system: AssembledSoc,
    stats: StatsCollector,
    energy: dict,
    stopped: Stopped | None = None,
) -> dict[str, object]:
    """The summary of a run: plain data, deterministic for (scenario, seed). A run
    that `stopped` before its end has what it simulated so far: finished frames and
    layers only, and `complete` false with the reason and time it stopped."""
    end_ps = stats.end_ps
    expected_macs = sum(
        program.frames * sum(step.layer.macs for step in program.steps if hasattr(step, "layer"))
        for program in system.workload.programs
    )
    return {
        "scenario": config.name,
        "seed": config.seed,
        "flexsoc_version": soc.__version__,
        "complete": stopped is None,
        **({"stopped": {"reason": stopped.reason, "at_ps": stopped.at_ps}} if stopped else {}),
        "total_ps": end_ps,
        "frames": stats.frames,
        "deadline_misses": len(stats.deadline_misses),
        "pipelines": _pipelines_summary(config, system, stats, energy, stopped is None),
        "layers": stats.layer_rows(),
        "ops": _ops_summary(system, stats),
        "notes": list(system.workload.notes),
        "macs": {
            "executed": stats.count("npu", Action.MAC),
            "gated": stats.count("npu", Action.MAC_GATED),
            "expected": expected_macs,
        },
        "dram": _dram_summary(stats, end_ps),
        "sram": {
            "bank_conflicts": stats.count("sram", Action.SRAM_BANK_CONFLICT),
            "conflict_cycles": stats.count("sram", Action.SRAM_CONFLICT_CYCLE),
        },
        "dma": {"requests": stats.count("dma", Action.DMA_REQUEST)},
        "noc": {
            "link_utilisation": {
                link: busy / end_ps if end_ps else 0.0
                for link, busy in sorted(
                    stats.by_master.get("noc", {}).get("noc_link_busy_ps", {}).items()
                )
            }
        },
        "masters": _masters_summary(config, stats),
        "energy": energy,
        "activity": {c: dict(sorted(a.items())) for c, a in sorted(stats.activity.items())},
    }


def write_json(path: Path, data: object, chunk: int = 1 << 16) -> None:
    """`path.write_text(json.dumps(data, indent=2) + "\n")`, written in pieces: a long
    run's summary (its timelines) is never held as one string."""
    pieces: list[str] = []
    with path.open("w") as out:
        for piece in json.JSONEncoder(indent=2).iterencode(data):
            pieces.append(piece)
            if len(pieces) >= chunk:
                out.write("".join(pieces))
                pieces.clear()
        pieces.append("\n")
        out.write("".join(pieces))


@dataclass(frozen=True)
class RunControl:
    """How a run is bounded and watched: its limits, and a progress display called
    between slices of events (given the system and its statistics so far)."""

    limits: RunLimits = RunLimits()
    progress: Callable[[AssembledSoc, StatsCollector], Callable[[Snapshot], None]] | None = None


def progress_line(
    stream: TextIO,
) -> Callable[[AssembledSoc, StatsCollector], ProgressLine]:
    """A `RunControl.progress` writing a one-line status to `stream` (a terminal):
    simulated time, frames and accelerator layers done of the driver's total."""

    def make(system: AssembledSoc, stats: StatsCollector) -> ProgressLine:
        programs = system.workload.programs
        frames = sum(p.frames for p in programs)
        layers = sum(p.frames * sum(hasattr(s, "layer") for s in p.steps) for p in programs)

        def describe() -> str:
            layers_done = sum(int(entry["runs"]) for entry in stats.layers.values())
            return f"frames {len(stats.frames)}/{frames} | layers {layers_done}/{layers}"

        return ProgressLine(stream, describe)

    return make


STALL_PATIENCE_FRAMES = 100
"""A driver that finishes nothing (no frame, layer or host op, no DRAM byte of its
own) for this many of its
frames' estimated time (and at least ten periods, and 1 ms) is looked at for a stall."""


def stall_watch(
    config: ScenarioConfig, system: AssembledSoc, stats: StatsCollector
) -> Callable[[Snapshot], None]:
    """A check between slices for a stall the event queue cannot show: the driver blocked
    for ever while traffic masters keep the queue busy. When nothing has finished for
    the patience (no DRAM byte served to the host or the DMA either), the blocked
    processes are listed (a costly walk of the heap, so rare);
    if the host CPU's driver is among those not of a master, StallError; else the
    patience doubles and the run goes on."""
    cost = estimate(config, system.workload)
    periods = [program.period_ps or 0 for program in system.workload.programs]
    patience = max(STALL_PATIENCE_FRAMES * cost.frame_ps, 10 * max(periods, default=0), 10**9)
    masters = {master.path for master in system.masters}
    state = {"done": (-1,), "since": 0, "patience": patience}

    def done() -> tuple[int, ...]:
        """Frames, layers and host ops finished, and DRAM bytes served to the SoC's own
        requesters (a long copy of the host's is progress too)."""
        layers = sum(int(entry["runs"]) for entry in stats.layers.values())
        ops = sum(int(entry["runs"]) for entry in stats.host_ops.values())
        served = stats.by_master.get("dram", {})
        own = sum(
            amount
            for action in (Action.DRAM_READ_BYTE.value, Action.DRAM_WRITE_BYTE.value)
            for requester, amount in served.get(action, {}).items()
            if requester not in masters
        )
        return (len(stats.frames), layers, ops, own)

    def watch(snap: Snapshot) -> None:
        now = done()
        if now != state["done"]:
            state["done"], state["since"] = now, snap.now_ps
            return
        idle = snap.now_ps - state["since"]
        if idle < state["patience"]:
            return
        waits = [
            wait
            for wait in blocked_waits(system.env, system.components)
            if wait.who.split(" ", 1)[0] not in masters
        ]
        if any(wait.who.startswith(f"{system.cpu.path} ") for wait in waits):
            why = f"the driver finished nothing for {format_time_ps(idle)} simulated"
            raise StallError(snap.now_ps, len(waits), grouped_lines(waits), why)
        state["since"], state["patience"] = snap.now_ps, 2 * state["patience"]

    if not math.isfinite(patience):
        return lambda snap: None
    return watch


def simulate(
    config: ScenarioConfig,
    sinks: list[Sink],
    record_requests: Callable[[RequestRow], None] | None = None,
) -> tuple[AssembledSoc, StatsCollector, dict]:
    """Assemble and run `config` to its end with extra `sinks` (and the DRAM's requests
    written to `record_requests`); return system, stats and energy. Raises StallError
    when processes block forever."""
    system, stats, energy, _ = simulate_bounded(config, sinks, record_requests)
    return system, stats, energy


def simulate_bounded(
    config: ScenarioConfig,
    sinks: list[Sink],
    record_requests: Callable[[RequestRow], None] | None = None,
    control: RunControl | None = None,
    compiled: ScenarioPlan | None = None,
) -> tuple[AssembledSoc, StatsCollector, dict, Stopped | None]:
    """Assemble and run `config` with extra `sinks` (and the DRAM's requests written to
    `record_requests`); return system, stats, energy and, when a bound of `control`
    stopped the run before its end, why and when. Raises StallError when processes
    block forever. `compiled`: the scenario's plan, when the caller made it already."""
    control = control or RunControl()
    table = load_energy_table(config.soc.energy_table)
    window = config.run.timeline_window_ps
    stats = StatsCollector(window)
    ledger = EnergyLedger(table, window)
    tracer = Tracer(
        Level.parse(config.run.trace_level), [stats, ledger, *sinks], activity_window_ps=window
    )
    system = assemble(config, tracer, record_requests, compiled)
    show = control.progress(system, stats) if control.progress else None
    watch = stall_watch(config, system, stats)

    def on_slice(snap: Snapshot) -> None:
        watch(snap)
        if show is not None:
            show(snap)

    try:
        stopped = run_bounded(system.env, system.cpu.finished, control.limits, on_slice)
    except EmptySchedule:  # the event queue ran dry before the driver ended
        waits = blocked_waits(system.env, system.components)
        raise StallError(system.env.now, len(waits), grouped_lines(waits)) from None
    finally:
        if isinstance(show, ProgressLine):
            show.clear()
    tracer.close(stopped.at_ps if stopped else system.env.now)
    return system, stats, ledger.breakdown(), stopped


def run_scenario(
    config: ScenarioConfig,
    out_dir: Path,
    *,
    origin: RunOrigin | None = None,
    overwrite: bool = False,
    default: bool = False,
    control: RunControl | None = None,
    compiled: ScenarioPlan | None = None,
    helpers: bool = True,
) -> RunResult:
    """Simulate `config` (planned as `compiled`, when given) and write `out_dir`
    (config.yaml, summary.json, traces). `helpers`: a long run may write its traces and
    plots in processes beside it (soc.runner.writers; False when other runs already
    keep every core busy).

    `out_dir` must be new, empty, or a run folder of ours that may be replaced
    (`overwrite`, or `default` and written by the same `origin`); anything else raises
    OutputError before the simulation starts. A run stopped by a bound of `control` is
    written all the same, its summary marked incomplete (`complete`, `stopped`).
    """
    started = time.perf_counter()
    origin = origin or RunOrigin(config.name, "")
    check_target(out_dir, origin, overwrite=overwrite, default=default)
    staging = staging_folder(out_dir, origin)
    writers: RunWriters | None = None
    try:
        if compiled is None:
            compiled = plan_scenario(config)
        writers = RunWriters(config, compiled, staging, helpers)
        requests = RequestTableWriter(staging) if config.run.record_requests else None
        system, stats, energy, stopped = simulate_bounded(
            config, writers.sinks, requests and requests.write, control, compiled
        )
        if requests is not None:
            requests.close(stopped.at_ps if stopped else system.env.now)
        events = events_processed(system)
        summary = build_summary(config, system, stats, energy, stopped)
        writers.plots(summary)
        (staging / "config.yaml").write_text(resolved_yaml(config), encoding="utf-8")
        write_json(staging / "summary.json", summary)
        writers.finish()
        publish(staging, out_dir)
    except BaseException:
        if writers is not None:
            writers.abort()
        discard(staging)
        raise
    return RunResult(summary, out_dir, time.perf_counter() - started, events)
