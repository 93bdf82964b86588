"""Report sections for run folders: one run in full, and several runs side by side.

A run's sections: the summary tables `soc run` prints, per-layer time and energy, DRAM
bandwidth per master, engine phase occupancy (from the native trace), the frame-latency
distribution and power, all over the run's time. A section without data (no frames, no
masters, no trace) is a one-line note instead of an empty figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soc.report import figures
from soc.report.html import Document, console_html, figure_or_note, note, table
from soc.report.run_data import engine_occupancy, frame_latencies_ms, read_summary
from soc.report.summary import render_summary
from soc.units import format_bytes, format_time_ps


@dataclass(frozen=True)
class Run:
    """A run folder, its summary and the name it goes by in the report."""

    folder: Path
    summary: dict
    label: str


def load_runs(folders: list[Path]) -> list[Run]:
    """Read each folder's summary; label runs by scenario, and by folder as well when
    two runs share a scenario name; a run stopped by a bound is labelled incomplete
    wherever it is named."""
    summaries = [read_summary(folder) for folder in folders]
    names = [s["scenario"] for s in summaries]

    def label(folder: Path, summary: dict) -> str:
        name = summary["scenario"]
        text = name if names.count(name) == 1 else f"{name} ({folder})"
        return text if summary.get("complete", True) else f"{text} [incomplete]"

    return [Run(f, s, label(f, s)) for f, s in zip(folders, summaries, strict=True)]


def _deadlines_ms(summary: dict) -> dict[str, float]:
    pipelines = summary.get("pipelines") or {}
    return {
        name: row["deadline_ps"] / 1e9
        for name, row in pipelines.items()
        if row.get("deadline_ps") is not None
    }


def run_sections(doc: Document, run: Run, level: int = 2) -> None:
    """Append `run`'s sections to `doc` at `level`."""
    summary, name = run.summary, run.summary["scenario"]
    prefix = f"{run.label}: " if level > 2 else ""
    doc.add(f"{prefix}Summary tables", console_html(lambda c: render_summary(summary, c)), level)
    doc.add(
        f"{prefix}Layer time",
        figure_or_note(figures.layer_time(summary), "layer time", "No accelerator layers."),
        level,
    )
    doc.add(
        f"{prefix}Layer energy",
        figure_or_note(
            figures.layer_energy(summary), "layer energy", "No energy per layer recorded."
        ),
        level,
    )
    bandwidth = summary["dram"]["bandwidth_over_time"]
    gbps = {m: [v / 1e9 for v in row] for m, row in bandwidth["bytes_per_s"].items()}
    doc.add(
        f"{prefix}DRAM bandwidth per master",
        figure_or_note(
            figures.timeline(
                bandwidth["window_ps"], gbps, "GB/s", f"{name}: DRAM bandwidth by master", True
            ),
            "DRAM bandwidth per master",
            "No DRAM traffic from any master.",
        ),
        level,
    )
    doc.add(f"{prefix}Engine occupancy", _occupancy(run), level)
    doc.add(
        f"{prefix}Frame latency",
        figure_or_note(
            figures.latency_distribution(
                frame_latencies_ms(summary), _deadlines_ms(summary), f"{name}: frame latency"
            ),
            "frame latency distribution",
            "No frame completed in this run.",
        ),
        level,
    )
    power = summary["energy"]["power_over_time"]
    mw = {c: [w * 1e3 for w in row] for c, row in power["watts"].items()}
    doc.add(
        f"{prefix}Power",
        figure_or_note(
            figures.timeline(power["window_ps"], mw, "mW", f"{name}: power by component", True),
            "power by component",
            "No power recorded over time.",
        ),
        level,
    )


def _occupancy(run: Run) -> str:
    occupancy = engine_occupancy(run.folder, run.summary["total_ps"])
    if occupancy is None:
        return note("No engine spans: the run has no native trace or no accelerator layers.")
    title = (
        f"{run.summary['scenario']}: engine busy fraction per {occupancy.window_ps / 1e6:.3g} µs"
    )
    drawn = figures.occupancy(occupancy.window_ps, occupancy.series, title)
    text = (
        note("The trace holds whole layers only (run.trace_level: layer), not phases.")
        if occupancy.level == "layer"
        else ""
    )
    return text + figure_or_note(drawn, "engine occupancy", "The engine was never busy.")


def key_metrics(summary: dict) -> dict[str, str]:
    """The metrics compared across runs, formatted, in the order shown."""
    out = {
        "scenario": summary["scenario"],
        "simulated time": format_time_ps(summary["total_ps"]),
        "frames": f"{len(summary.get('frames', []))}",
        "deadline misses": f"{summary.get('deadline_misses', 0)}",
    }
    for name, row in (summary.get("pipelines") or {}).items():
        if row.get("frames"):
            for q in ("p50", "p99"):
                out[f"{name}: latency {q} (ms)"] = f"{row['latency_ps'][q] / 1e9:,.3f}"
        out[f"{name}: energy per frame (µJ)"] = f"{row['energy_per_frame_pj'] / 1e6:,.3f}"
        if row.get("achieved_fps") is not None:
            out[f"{name}: fps"] = f"{row['achieved_fps']:,.2f}"
    energy = summary["energy"]
    out["energy (µJ)"] = f"{energy['total_pj'] / 1e6:,.3f}"
    for component, row in energy["by_component"].items():
        out[f"energy {component} (µJ)"] = f"{row['total_pj'] / 1e6:,.3f}"
    seconds = summary["total_ps"] / 1e12
    if seconds:
        out["average power (mW)"] = f"{energy['total_pj'] / 1e12 / seconds * 1e3:,.2f}"
    dram = summary["dram"]
    out["DRAM read"] = format_bytes(dram["read_bytes"])
    out["DRAM written"] = format_bytes(dram["write_bytes"])
    out["DRAM GB/s"] = f"{dram['bandwidth_bytes_per_s'] / 1e9:.3f}"
    for master, row in dram["by_master"].items():
        out[f"DRAM {master} GB/s"] = f"{row['bandwidth_bytes_per_s'] / 1e9:.3f}"
        latency = dram["latency_ps"].get(master)
        if latency:
            out[f"DRAM {master} p99 latency (ns)"] = f"{latency['p99'] / 1e3:,.1f}"
    for master, row in (summary.get("masters") or {}).items():
        if row.get("kind") == "display":
            out[f"{master} underflows"] = f"{row['underflows']}"
    out["MACs performed"] = f"{summary['macs']['executed']:,}"
    return out


def comparison_sections(doc: Document, runs: list[Run]) -> None:
    """Key metrics side by side, and the figures where overlaying runs means something."""
    metrics = [key_metrics(run.summary) for run in runs]
    names: list[str] = []  # every run's metrics, each run's order kept
    for run_metrics in metrics:
        at = -1
        for name in run_metrics:
            if name in names:
                at = names.index(name)
            else:
                at += 1
                names.insert(at, name)
    rows = [[name, *(m.get(name, "-") for m in metrics)] for name in names]
    doc.add("Key metrics", table(["metric", *(run.label for run in runs)], rows))
    components = sorted({c for r in runs for c in r.summary["energy"]["by_component"]})
    energy = {
        run.label: [
            run.summary["energy"]["by_component"].get(c, {}).get("total_pj", 0.0) / 1e6
            for c in components
        ]
        for run in runs
    }
    doc.add(
        "Energy by component",
        figure_or_note(
            figures.grouped_bars(components, energy, "µJ", "energy by component"),
            "energy by component",
            "No energy recorded in any run.",
        ),
    )
    latencies = {
        f"{run.label}: {p}" if len(frame_latencies_ms(run.summary)) > 1 else run.label: v
        for run in runs
        for p, v in frame_latencies_ms(run.summary).items()
    }
    doc.add(
        "Frame latency, all runs",
        figure_or_note(
            figures.latency_distribution(latencies, {}, "frame latency"),
            "frame latency of every run",
            "No frame completed in any run.",
        ),
    )
    doc.add("DRAM bandwidth, all runs", _overlaid(runs, "dram", "GB/s"))
    doc.add("Power, all runs", _overlaid(runs, "power", "mW"))


def _overlaid(runs: list[Run], what: str, unit: str) -> str:
    """Each run's total DRAM bandwidth or power over time, one line per run."""
    totals = {}
    for run in runs:
        if what == "dram":
            timeline = run.summary["dram"]["bandwidth_over_time"]
            rows, scale, window = timeline["bytes_per_s"], 1e-9, timeline["window_ps"]
        else:
            timeline = run.summary["energy"]["power_over_time"]
            rows, scale, window = timeline["watts"], 1e3, timeline["window_ps"]
        length = max((len(v) for v in rows.values()), default=0)
        total = [sum(v[k] for v in rows.values() if k < len(v)) * scale for k in range(length)]
        totals[run.label] = (window, total)
    label = "DRAM bandwidth (all masters)" if what == "dram" else "power (all components)"
    return figure_or_note(
        figures.overlaid_timelines(totals, unit, label), label, f"No {label} in any run."
    )
