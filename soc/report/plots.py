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

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

PS_PER_US = 1e6
DPI = 100
PAD_IN = 0.06  # between the figure's edges and what is drawn
BAR_WIDTH = 0.8  # of the distance between neighbouring bars, as `ax.bar` draws them


def _figure(width: float, height: float) -> Figure:
    """A figure of `width` x `height` inches at the resolution it is saved in, with an
    Agg canvas (no pyplot) and no layout engine: `_save` lays it out once."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _fit_axes(fig: Figure) -> None:
    """Place each axes so that it and everything around it (tick labels, axis labels,
    title, a legend outside it) fill the figure, `PAD_IN` from its edges: the margins
    are measured once, as drawn at the axes' current place. Matplotlib's constrained
    layout measures twice and its tight layout re-measures at draw time; both cost
    as much as drawing the figure again."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    pad = PAD_IN * fig.dpi
    for ax in fig.axes:
        outer = ax.get_tightbbox(renderer)
        inner = ax.get_window_extent(renderer)
        left = (inner.x0 - outer.x0 + pad) / width
        right = 1 - (outer.x1 - inner.x1 + pad) / width
        bottom = (inner.y0 - outer.y0 + pad) / height
        top = 1 - (outer.y1 - inner.y1 + pad) / height
        ax.set_position((left, bottom, max(right - left, 0.05), max(top - bottom, 0.05)))


def _save(fig: Figure, path: Path) -> None:
    """Lay `fig` out (`_fit_axes`) and write it as a PNG at `DPI`. The PNG is
    compressed at zlib level 1: plots are mostly flat colour, so this costs a few
    percent of file size and saves most of the encoding time."""
    _fit_axes(fig)
    fig.savefig(path, dpi=DPI, pil_kwargs={"compress_level": 1})


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
    _save(_bar_figure(names, parts, ylabel, title), path)


def _bar_figure(names: list[str], parts: dict, ylabel: str, title: str) -> Figure:
    """One bar per name, stacked from `parts` (series label -> value per name) in order;
    series that are zero everywhere are left out. Each series is one collection of
    rectangles rather than a patch per bar (`ax.bar`), which is what makes a figure of
    50 layers cheap to build and draw."""
    fig = _figure(max(6.0, 0.5 * len(names) + 2), 4)
    ax = fig.add_subplot()
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    x = np.arange(len(names), dtype=float)
    left, right = x - BAR_WIDTH / 2, x + BAR_WIDTH / 2
    bottom = np.zeros(len(names))
    drawn = 0
    for label, values in parts.items():
        if not any(values):
            continue
        top = bottom + np.asarray(values, dtype=float)
        corners = np.stack([left, bottom, left, top, right, top, right, bottom], axis=1)
        # one rectangle per bar: its four corners, (x, y) each
        corners = corners.reshape(len(names), 4, 2)
        bars = PolyCollection(
            corners, facecolors=colors[drawn % len(colors)], edgecolors="none", label=label
        )
        bars.sticky_edges.y.append(0.0)  # like `ax.bar`: no margin below the zero line
        ax.add_collection(bars)
        bottom = top
        drawn += 1
    ax.set_xticks(x, names)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=90 if len(names) > 12 else 0)
    if drawn:
        # outside the axes, top right: it hides no bar, and matplotlib does not search
        # the plot for the emptiest corner ("best"), which costs as much as drawing it
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


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


def _layers_plot(summary: dict, path: Path) -> None:
    names, parts = layer_time_parts(summary)
    _stacked_bars(path, names, parts, "µs per frame", f"{summary['scenario']}: layer time")


def _energy_plot(summary: dict, path: Path) -> None:
    names = [row["layer"] for row in summary["layers"]]
    by_layer = summary["energy"]["by_layer"]
    components = sorted({c for row in by_layer.values() for c in row["by_component"]})
    energy = {
        c: [by_layer.get(n, {}).get("by_component", {}).get(c, 0.0) / 1e6 for n in names]
        for c in components
    }
    _stacked_bars(path, names, energy, "µJ per frame", f"{summary['scenario']}: layer energy")


def _bandwidth_plot(summary: dict, path: Path) -> None:
    bandwidth = summary["dram"]["bandwidth_over_time"]
    gbps = {m: [v / 1e9 for v in row] for m, row in bandwidth["bytes_per_s"].items()}
    title = f"{summary['scenario']}: DRAM bandwidth by master"
    _stacked_timeline(path, bandwidth["window_ps"], gbps, "GB/s", title)


def _power_plot(summary: dict, path: Path) -> None:
    power = summary["energy"]["power_over_time"]
    mw = {c: [w * 1e3 for w in row] for c, row in power["watts"].items()}
    title = f"{summary['scenario']}: power by component"
    _stacked_timeline(path, power["window_ps"], mw, "mW", title)


PLOTS = {
    "layers.png": _layers_plot,
    "energy.png": _energy_plot,
    "dram_bandwidth.png": _bandwidth_plot,
    "power.png": _power_plot,
}
"""Every plot of a run: its file name and what draws it from the summary."""


def write_plots(summary: dict, out_dir: Path, files: Sequence[str] = tuple(PLOTS)) -> list[Path]:
    """Draw the run's plots (those of `files`, by default all) into `out_dir`
    (created); return the files written. Each figure depends only on the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for file in files:
        PLOTS[file](summary, out_dir / file)
        paths.append(out_dir / file)
    return paths
