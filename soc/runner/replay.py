"""`soc replay`: re-drive the memory system of an SoC with recorded request streams.

A source is a memory trace in DRAMsim3 or Ramulator format (soc.trace.memtrace), or a
run folder recorded with `run.record_requests`. Only the NoC, SRAM and DRAM run
(soc.assemble.replay). The replay writes a run folder (soc.yaml, summary.json) and its
summary holds, per master, what a run reports of it: bytes, bandwidth, DRAM latency
(mean, p50, p99, max) and row-hit rate; with a run folder as source, the recorded
figures beside them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from soc.assemble.replay import assemble_replay
from soc.config import SocConfig
from soc.energy import EnergyLedger, load_energy_table
from soc.errors import SimulationError, TraceFormatError
from soc.hw.replay import ReplayRequest
from soc.kernel import Level
from soc.runner.outputs import RunOrigin, check_target, discard, publish, staging_folder
from soc.runner.run import _dram_summary, write_json
from soc.trace import StatsCollector, Tracer
from soc.trace.memtrace import FORMATS, read_dramsim3, read_ramulator, read_ramulator2


@dataclass
class ReplaySource:
    """What to replay: a stream per master, and (from a run folder) what was recorded."""

    label: str
    streams: dict[str, list[ReplayRequest]]
    recorded: dict[str, dict] = field(default_factory=dict)
    at_dram: bool = False  # its times are arrivals at the DRAM controller


def trace_source(
    path: Path,
    fmt: str,
    soc: SocConfig,
    master: str = "trace",
    request_bytes: int | None = None,
    cycle_ps: float | None = None,
) -> ReplaySource:
    """A DRAMsim3 or Ramulator trace as one master's stream, entering at the DRAM
    controller as those tools' traces do. Its requests are one DRAM access each
    (`request_bytes`, default the DRAM's burst: bus width x burst length); DRAMsim3
    cycles are DRAM clocks (`cycle_ps`, default tCK of the SoC's DRAM preset)."""
    timing = soc.dram.banked
    size = request_bytes or timing.burst_bytes
    if fmt == "dramsim3":
        tck = cycle_ps or 1e12 / timing.freq_hz
        requests = read_dramsim3(path, tck, size, master)
    elif fmt == "ramulator":
        requests = read_ramulator(path, size, master)
    elif fmt == "ramulator2":
        requests = read_ramulator2(path, size, master)
    else:
        raise TraceFormatError(f"{path}: unknown trace format {fmt!r} ({', '.join(FORMATS)})")
    stream = [ReplayRequest(r.addr, r.size_bytes, r.is_write, r.t_ps) for r in requests]
    return ReplaySource(f"{path} ({fmt})", {master: stream}, at_dram=True)


@dataclass
class ReplayResult:
    summary: dict[str, object]
    out_dir: Path | None
    wall_s: float


def simulate_replay(
    soc: SocConfig, source: ReplaySource, mode: str, window_ps: int = 10_000_000
) -> dict[str, object]:
    """Replay `source` on `soc`; the summary."""
    table = load_energy_table(soc.energy_table)
    stats = StatsCollector(window_ps)
    ledger = EnergyLedger(table, window_ps)
    tracer = Tracer(Level.LAYER, [stats, ledger], activity_window_ps=window_ps)
    system = assemble_replay(soc, source.streams, mode, tracer, at_dram=source.at_dram)
    try:
        system.env.run(until=system.finished)
    except RuntimeError as exc:
        raise SimulationError(f"replay stalled at {system.env.now} ps: {exc}") from None
    end = system.env.now
    tracer.close(end)
    dram = _dram_summary(stats, end)
    masters = {}
    for name, stream in source.streams.items():
        row = dict(dram["by_master"].get(name, {}))
        masters[name] = {
            "requests": len(stream),
            "read_bytes": row.get("dram_read_byte", 0),
            "write_bytes": row.get("dram_write_byte", 0),
            "bandwidth_bytes_per_s": row.get("bandwidth_bytes_per_s", 0.0),
            "latency_ps": dram["latency_ps"].get(name),
            "row_hit_rate": row.get("row_hit_rate"),
            "recorded": source.recorded.get(name),
        }
    return {
        "replay": {"source": source.label, "mode": mode},
        "total_ps": end,
        "masters": masters,
        "dram": dram,
        "energy": ledger.breakdown(),
    }


def replay(
    soc: SocConfig,
    source: ReplaySource,
    mode: str,
    out_dir: Path,
    *,
    overwrite: bool = False,
) -> ReplayResult:
    """Replay and write `out_dir` (soc.yaml, summary.json), as a run writes its folder."""
    started = time.perf_counter()
    origin = RunOrigin("replay", source.label)
    check_target(out_dir, origin, overwrite=overwrite, default=False)
    staging = staging_folder(out_dir, origin)
    try:
        summary = simulate_replay(soc, source, mode)
        soc_yaml = yaml.safe_dump(soc.model_dump(mode="json"), sort_keys=False)
        (staging / "soc.yaml").write_text(soc_yaml, encoding="utf-8")
        write_json(staging / "summary.json", summary)
        publish(staging, out_dir)
    except BaseException:
        discard(staging)
        raise
    return ReplayResult(summary, out_dir, time.perf_counter() - started)
