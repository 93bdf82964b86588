"""Plots of a finished run, from its summary: PNG files in the run folder's `plots/`.

- `layers.png`: each layer's time per frame, split into compute, the stalls by cause
  and the rest (pipeline fill and flush);
- `energy.png`: each layer's energy per frame by component;
- `dram_bandwidth.png`: every master's DRAM bandwidth over time, stacked;
- `power.png`: every component's power over time, stacked.

Figures are drawn with matplotlib's object API (no pyplot state), so plotting is safe in
any process.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PS_PER_US = 1e6
DPI = 100


def _figure(width: float, height: float) -> Figure:
    """A figure of `width` x `height` inches at the resolution it is saved in, laid out
    by matplotlib's constrained layout."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> None:
    """`fig.savefig(path, dpi=DPI)`, with the layout done once beforehand: saving a
    figure that has a layout engine first draws it without rendering, only to lay it
    out; laying it out directly gives the same figure for less."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    fig.savefig(path, dpi=DPI)


def layer_time_parts(summary: dict) -> tuple[list[str], dict[str, list[float]]]:
    """Per layer (per frame): compute µs, stall µs by cause, and the rest of its time."""
    layers = summary["layers"]
    names = [row["layer"] for row in layers]
    causes = sorted({cause for row in layers for cause in row["stall_ps"]})
    parts: dict[str, list[float]] = {"compute": [], **{f"stall: {c}": [] for c in causes}}
    parts["other"] = []
    for row in layers:
        stalls = {c: row["stall_ps"].get(c, 0) for c in causes}
        parts["compute"].append(row["compute_ps"] / PS_PER_US)
        for cause, ps in stalls.items():
            parts[f"stall: {cause}"].append(ps / PS_PER_US)
        rest = row["elapsed_ps"] - row["compute_ps"] - sum(stalls.values())
        parts["other"].append(max(0, rest) / PS_PER_US)
    return names, parts


def _stacked_bars(path: Path, names: list[str], parts: dict, ylabel: str, title: str) -> None:
    fig = _figure(max(6.0, 0.5 * len(names) + 2), 4)
    ax = fig.add_subplot()
    bottom = [0.0] * len(names)
    for label, values in parts.items():
        if any(values):
            ax.bar(names, values, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=90 if len(names) > 12 else 0)
    if parts:
        ax.legend(fontsize="small")
    _save(fig, path)


def _stacked_timeline(
    path: Path, window_ps: int, series: dict[str, list[float]], ylabel: str, title: str
) -> None:
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    if series:
        length = len(next(iter(series.values())))
        times = [k * window_ps / PS_PER_US for k in range(length)]
        ax.stackplot(times, *series.values(), labels=list(series), step="post")
        ax.legend(fontsize="small", loc="upper right")
    ax.set_xlabel("time (µs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _save(fig, path)


def write_plots(summary: dict, out_dir: Path) -> list[Path]:
    """Draw the run's plots into `out_dir` (created); return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = summary["scenario"]
    names, parts = layer_time_parts(summary)
    paths = [out_dir / f for f in ("layers.png", "energy.png", "dram_bandwidth.png", "power.png")]
    _stacked_bars(paths[0], names, parts, "µs per frame", f"{name}: layer time")
    by_layer = summary["energy"]["by_layer"]
    components = sorted({c for row in by_layer.values() for c in row["by_component"]})
    energy = {
        c: [by_layer.get(n, {}).get("by_component", {}).get(c, 0.0) / 1e6 for n in names]
        for c in components
    }
    _stacked_bars(paths[1], names, energy, "µJ per frame", f"{name}: layer energy")
    bandwidth = summary["dram"]["bandwidth_over_time"]
    gbps = {m: [v / 1e9 for v in row] for m, row in bandwidth["bytes_per_s"].items()}
    _stacked_timeline(
        paths[2], bandwidth["window_ps"], gbps, "GB/s", f"{name}: DRAM bandwidth by master"
    )
    power = summary["energy"]["power_over_time"]
    mw = {c: [w * 1e3 for w in row] for c, row in power["watts"].items()}
    _stacked_timeline(paths[3], power["window_ps"], mw, "mW", f"{name}: power by component")
    return paths
