"""`soc replay`: re-drive the memory system of an SoC with recorded request streams.

A source is a memory trace in DRAMsim3 or Ramulator format (soc.trace.memtrace), or a
run folder recorded with `run.record_requests` (soc.trace.requests). Only the NoC, SRAM and DRAM run
(soc.assemble.replay). The replay writes a run folder (soc.yaml, summary.json) and its
summary holds, per master, what a run reports of it: bytes, bandwidth, DRAM latency
(mean, p50, p99, max) and row-hit rate; with a run folder as source, the recorded
figures beside them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from simpy.core import EmptySchedule

from soc.assemble.replay import assemble_replay
from soc.config import SocConfig
from soc.config.quantities import MAX_TIME_PS
from soc.config.yaml_safe import load_yaml
from soc.energy import EnergyLedger, load_energy_table
from soc.errors import ConfigError, StallError, TraceFormatError
from soc.hw.replay import ReplayRequest, display_underflows
from soc.kernel import Level
from soc.kernel.blocked import blocked_waits, grouped_lines
from soc.kernel.clock import PS_PER_S
from soc.limits import check_input_file
from soc.runner.control import RunLimits, run_bounded
from soc.runner.outputs import RunOrigin, check_target, discard, publish, staging_folder
from soc.runner.run import _dram_summary, write_json
from soc.trace import StatsCollector, Tracer
from soc.trace.memtrace import FORMATS, read_dramsim3, read_ramulator, read_ramulator2
from soc.trace.native import trace_folder
from soc.trace.requests import FILE as REQUESTS_FILE
from soc.trace.requests import read_requests


@dataclass
class ReplaySource:
    """What to replay: a stream per master, and (from a run folder) what was recorded."""

    label: str
    streams: dict[str, list[ReplayRequest]]
    recorded: dict[str, dict] = field(default_factory=dict)
    at_dram: bool = False  # its times are arrivals at the DRAM controller
    displays: dict[str, tuple[int, int]] = field(default_factory=dict)  # line bytes, line ps
    end_ps: int | None = None  # when the recorded run ended


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


def streams_from_rows(
    rows: Iterable[dict], where: str = "recorded requests"
) -> dict[str, list[ReplayRequest]]:
    """Recorded requests (`soc.hw.request_log` rows as dicts) as one stream per master,
    in issue order, each naming the index of the request it waited for."""
    by_master: dict[str, list[dict]] = {}
    for row in rows:
        _check_row(row, where)
        by_master.setdefault(row["master"], []).append(row)
    streams = {}
    for master, recorded in sorted(by_master.items()):
        recorded.sort(key=lambda r: (r["issue_ps"], r["number"]))
        index = {r["number"]: i for i, r in enumerate(recorded)}
        for r in recorded:
            if r["after"] is not None and r["after"] not in index:
                raise TraceFormatError(
                    f"{where}: {master} request {r['number']} waits for request "
                    f"{r['after']}, which is not recorded"
                )
        streams[master] = [
            ReplayRequest(
                r["addr"],
                r["size_bytes"],
                r["is_write"],
                r["issue_ps"],
                r["qos"],
                None if r["after"] is None else index[r["after"]],
                r["think_ps"],
            )
            for r in recorded
        ]
    return streams


def check_addresses(soc: SocConfig, source: ReplaySource) -> None:
    """Every request within a memory of `soc`: the DRAM for a trace entering at the DRAM
    controller, the DRAM or the SRAM for one entering at the NoC. The first that is not
    is refused naming the master, its index in the stream and the ranges."""
    ranges = {"dram": (soc.dram.base_addr, soc.dram.size_bytes)}
    if not source.at_dram:
        ranges["sram"] = (soc.sram.base_addr, soc.sram.size_bytes)
    for master, stream in source.streams.items():
        for i, r in enumerate(stream):
            late = max(r.t_ps or 0, r.think_ps)
            if late > MAX_TIME_PS:  # as a scenario's times: an int64 of ps
                what = "is issued at" if late == r.t_ps else "thinks for"
                raise TraceFormatError(
                    f"{source.label}: {master} request {i} (from 0) {what} "
                    f"{late / PS_PER_S:.3g} s, past the limit of 1e6 s"
                )
            end = r.addr + r.size_bytes
            if any(base <= r.addr and end <= base + size for base, size in ranges.values()):
                continue
            known = ", ".join(
                f"{name} [{b:#x}, {b + size:#x})" for name, (b, size) in ranges.items()
            )
            raise TraceFormatError(
                f"{source.label}: {master} request {i} (from 0; {r.size_bytes} B at "
                f"{r.addr:#x}) is outside the SoC's memories ({known})"
            )


def _check_row(row: dict, where: str) -> None:
    """A recorded request as a run records it: sizes positive, times and addresses not
    negative (a hand-made table might hold anything the column types allow)."""
    bad = next(
        (
            name
            for name, low in (("size_bytes", 1), ("addr", 0), ("issue_ps", 0), ("think_ps", 0))
            if row[name] < low
        ),
        None,
    )
    if bad is not None:
        raise TraceFormatError(
            f"{where}: {row['master']} request {row['number']}: {bad} {row[bad]} "
            "is not one a run records"
        )


def recorded_metrics(summary: dict) -> dict[str, dict]:
    """Per master, what a run's summary says of its DRAM traffic (for the comparison)."""
    dram = summary["dram"]
    out = {}
    for master, row in dram["by_master"].items():
        out[master] = {
            "read_bytes": row.get("dram_read_byte", 0),
            "write_bytes": row.get("dram_write_byte", 0),
            "bandwidth_bytes_per_s": row.get("bandwidth_bytes_per_s", 0.0),
            "latency_ps": dram["latency_ps"].get(master),
            "row_hit_rate": row.get("row_hit_rate"),
        }
    return out


def run_source(folder: Path, masters: list[str] | None = None) -> ReplaySource:
    """A run folder recorded with `run.record_requests` (or its trace/ folder alone): each
    master's stream (or only `masters`), entering at its NoC endpoint at the recorded
    issue times, and what the run's summary says of each. The CPU's and the DMA's
    requests carry what they waited for (elastic replay); the traffic masters' never
    do: they issue on their own clocks."""
    import json

    rows = list(read_requests(folder))
    streams = streams_from_rows(rows, str(trace_folder(folder) / REQUESTS_FILE))
    ends: dict[str, int] = {}
    for row in rows:
        ends[row["master"]] = max(ends.get(row["master"], 0), row["done_ps"])
    summary_path = folder / "summary.json"  # a run folder's; a bare trace folder has none
    recorded: dict[str, dict] = {}
    end_ps = None
    if summary_path.is_file():
        check_input_file(summary_path, "run summary")
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            recorded, end_ps = recorded_metrics(summary), int(summary["total_ps"])
            for master, row in (summary.get("masters") or {}).items():
                if master in recorded:
                    row_of = recorded[master]
                    row_of["underflows"] = row.get("underflows")
                    row_of["underflow_bytes_short"] = row.get("underflow_bytes_short")
        except (
            OSError,
            ValueError,  # JSON and UTF-8 errors too
            KeyError,
            TypeError,
            AttributeError,
            OverflowError,
            RecursionError,  # JSON nested thousands deep
        ):
            raise TraceFormatError(f"{summary_path}: not a run's summary") from None
        for master, row in recorded.items():
            row["end_ps"] = ends.get(master)
    masters_config = _run_masters(folder)
    displays = _displays(folder / "config.yaml", masters_config)
    streams = {name: streams[name] for name in _run_order(masters_config, streams)}
    for name in streams:  # traffic masters issue on their own clock: always timed
        if name not in PACED_BY_COMPLETIONS:
            streams[name] = [replace(r, after=None, think_ps=0) for r in streams[name]]
    if masters is not None:
        unknown = sorted(set(masters) - set(streams))
        if unknown:
            known = ", ".join(sorted(streams))
            raise TraceFormatError(f"{folder}: no recorded master {unknown[0]!r} ({known})")
        streams = {m: s for m, s in streams.items() if m in masters}
    return ReplaySource(str(folder), streams, recorded, displays=displays, end_ps=end_ps)


PACED_BY_COMPLETIONS = ("cpu", "dma")  # the built-in masters; every other is a traffic master


def _run_masters(folder: Path) -> list[dict]:
    """The traffic masters of the run's resolved config (none without a config, or with
    one that is not the YAML mapping a run writes)."""
    path = folder / "config.yaml"
    if not path.is_file():
        return []
    try:  # within the YAML limits: an alias bomb is refused, not expanded
        config, _ = load_yaml(path, missing="no such run config")
        return [dict(m) for m in config.get("masters") or []]
    except (
        ConfigError,
        OSError,
        AttributeError,
        KeyError,
        TypeError,
        ValueError,
        RecursionError,  # nesting thousands deep
    ):
        return []


def _run_order(masters: list[dict], streams: dict) -> list[str]:
    """The masters in the order the run attached them to the NoC (a ring's or mesh's
    default placement follows it): its config's masters, else by name."""
    order = [*PACED_BY_COMPLETIONS, *(str(m.get("name")) for m in masters), *sorted(streams)]
    return [name for name in dict.fromkeys(order) if name in streams]


def _displays(path: Path, masters: list[dict]) -> dict[str, tuple[int, int]]:
    """Each display's line bytes and line time (as `DisplayMaster` scans out); a display
    whose figures are not positive numbers is refused naming the config and master."""
    out = {}
    for i, m in enumerate(masters):
        if m.get("kind") == "display":
            try:
                fps, height = float(m["fps"]), int(m["height"])
                line_bytes = int(m["width"]) * int(m["bytes_per_pixel"])
                if not (0 < fps < float("inf") and height > 0 and line_bytes > 0):
                    raise ValueError("not positive")
                out[str(m["name"])] = (line_bytes, round(PS_PER_S / fps / height))
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise TraceFormatError(
                    f"{path}: masters[{i}]: not a display as a run writes it ({exc})"
                ) from None
    return out


@dataclass
class ReplayResult:
    summary: dict[str, object]
    out_dir: Path | None
    wall_s: float


def simulate_replay(
    soc: SocConfig,
    source: ReplaySource,
    mode: str,
    window_ps: int = 10_000_000,
    limits: RunLimits | None = None,
) -> dict[str, object]:
    """Replay `source` on `soc`; the summary. A bound of `limits` stops it early, its
    summary then marked incomplete ("complete": false, "stopped": reason and time) as a
    run's is; processes blocked forever raise StallError naming them."""
    check_addresses(soc, source)
    table = load_energy_table(soc.energy_table)
    stats = StatsCollector(window_ps)
    ledger = EnergyLedger(table, window_ps)
    tracer = Tracer(Level.LAYER, [stats, ledger], activity_window_ps=window_ps)
    system = assemble_replay(soc, source.streams, mode, tracer, at_dram=source.at_dram)
    try:
        stopped = run_bounded(system.env, system.finished, limits or RunLimits())
    except EmptySchedule:
        waits = blocked_waits(system.env, system.components)
        raise StallError(system.env.now, len(waits), grouped_lines(waits)) from None
    end = stopped.at_ps if stopped else system.env.now
    tracer.close(end)
    dram = _dram_summary(stats, end)
    masters = {}
    ends = {m.path: m.end_ps for m in system.masters}
    reads = {m.path: m.completions for m in system.masters}
    for name, stream in source.streams.items():
        row = dict(dram["by_master"].get(name, {}))
        masters[name] = {
            "requests": len(stream),
            "end_ps": ends[name],
            "read_bytes": row.get("dram_read_byte", 0),
            "write_bytes": row.get("dram_write_byte", 0),
            "bandwidth_bytes_per_s": row.get("bandwidth_bytes_per_s", 0.0),
            "latency_ps": dram["latency_ps"].get(name),
            "row_hit_rate": row.get("row_hit_rate"),
            "read_row_hit_rate": row.get("read_row_hit_rate"),
            "write_row_hit_rate": row.get("write_row_hit_rate"),
            "recorded": source.recorded.get(name),
        }
        if name in source.displays:  # its FIFO, filled by the replayed reads
            line_bytes, line_ps = source.displays[name]
            until = source.end_ps if source.end_ps is not None else end
            count, short = display_underflows(reads[name], line_bytes, line_ps, until)
            masters[name]["underflows"], masters[name]["underflow_bytes_short"] = count, short
    return {
        "replay": {"source": source.label, "mode": mode},
        "complete": stopped is None,
        **({"stopped": {"reason": stopped.reason, "at_ps": stopped.at_ps}} if stopped else {}),
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
    limits: RunLimits | None = None,
) -> ReplayResult:
    """Replay and write `out_dir` (soc.yaml, summary.json), as a run writes its folder."""
    started = time.perf_counter()
    origin = RunOrigin("replay", source.label)
    check_target(out_dir, origin, overwrite=overwrite, default=False)
    staging = staging_folder(out_dir, origin)
    try:
        summary = simulate_replay(soc, source, mode, limits=limits)
        soc_yaml = yaml.safe_dump(soc.model_dump(mode="json"), sort_keys=False)
        (staging / "soc.yaml").write_text(soc_yaml, encoding="utf-8")
        write_json(staging / "summary.json", summary)
        publish(staging, out_dir)
    except BaseException:
        discard(staging)
        raise
    return ReplayResult(summary, out_dir, time.perf_counter() - started)
