"""The HTML report's figures, as PNG bytes to embed: each function returns None when it
has nothing to draw, so the report never shows an empty axis. Drawn with the object
API and the layout of `soc.report.plots` (no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib import rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from soc.report import plots

PS_PER_US = plots.PS_PER_US
CHAR_IN = 0.075  # width of a character of a small label, inches (DejaVu Sans 8 pt)
NEAR = 2.0  # a deadline is drawn when at most this many times the longest latency


def png(fig: Figure) -> bytes:
    """`fig` laid out as the run folder's plots are, as PNG bytes."""
    plots._fit_axes(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=plots.DPI)
    return buffer.getvalue()


def grid_png(fig: Figure) -> bytes:
    """A figure of several axes, placed by the caller's fixed margins, as PNG bytes:
    drawn once (`_fit_axes` measures each axes, and places one per figure)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=plots.DPI)
    return buffer.getvalue()


def _has_data(series: dict[str, Sequence[float]]) -> bool:
    return any(any(v for v in values) for values in series.values())


def stacked_bars(names: list[str], parts: dict, ylabel: str, title: str) -> bytes | None:
    """One stacked bar per name (`plots._bar_figure`), or None when all are zero."""
    if not names or not _has_data(parts):
        return None
    return png(plots._bar_figure(names, parts, ylabel, title))


def layer_time(summary: dict) -> bytes | None:
    """Each layer's time per frame: compute, stalls by cause, the rest."""
    names, parts = plots.layer_time_parts(summary)
    return stacked_bars(names, parts, "µs per frame", f"{summary['scenario']}: layer time")


def layer_energy(summary: dict) -> bytes | None:
    """Each layer's energy per frame by component."""
    names = [row["layer"] for row in summary["layers"]]
    by_layer = summary["energy"]["by_layer"]
    components = sorted({c for row in by_layer.values() for c in row["by_component"]})
    energy = {
        c: [by_layer.get(n, {}).get("by_component", {}).get(c, 0.0) / 1e6 for n in names]
        for c in components
    }
    return stacked_bars(names, energy, "µJ per frame", f"{summary['scenario']}: layer energy")


def _legend(ax, count: int) -> None:
    if count:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


def timeline(
    window_ps: int, series: dict[str, list[float]], ylabel: str, title: str, stacked: bool
) -> bytes | None:
    """Series per window over time (step), stacked or overlaid; series that are zero
    everywhere are left out; None when nothing is left."""
    kept = {k: v for k, v in series.items() if any(v)}
    if not kept:
        return None
    fig = plots._figure(9, 3.6)
    ax = fig.add_subplot()
    for label, values in kept.items():
        if not stacked:
            times = np.arange(len(values) + 1) * window_ps / PS_PER_US
            ax.stairs(values, times, label=label, linewidth=1.2)
    if stacked:
        length = max(len(v) for v in kept.values())
        times = np.arange(length) * window_ps / PS_PER_US
        padded = [list(v) + [0.0] * (length - len(v)) for v in kept.values()]
        ax.stackplot(times, *padded, labels=list(kept), step="post")
    ax.set_xlabel("time (µs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    _legend(ax, len(kept))
    return png(fig)


def occupancy(window_ps: int, series: dict[str, list[float]], title: str) -> bytes | None:
    """One strip per series (an engine phase), busy fraction 0..1 over time, sharing the
    time axis; None when the engine was never busy."""
    kept = {k: v for k, v in series.items() if any(v)}
    if not kept:
        return None
    fig = plots._figure(9, 0.8 * len(kept) + 0.9)
    axes = fig.subplots(len(kept), 1, sharex=True, squeeze=False)[:, 0]
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (ax, (label, values)) in enumerate(zip(axes, kept.items(), strict=True)):
        times = np.arange(len(values) + 1) * window_ps / PS_PER_US
        ax.stairs(values, times, fill=True, color=colors[k % len(colors)])
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 1])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
    axes[0].set_title(title)
    axes[-1].set_xlabel("time (µs)")
    width, height = fig.get_size_inches()
    label_in = 0.45 + CHAR_IN * max(len(label) for label in kept)  # label, ticks, gap
    fig.subplots_adjust(left=label_in / width, right=0.98, bottom=0.55 / height,
                        top=1 - 0.35 / height, hspace=0.15)  # fmt: skip
    return grid_png(fig)


def overlaid_timelines(
    runs: dict[str, tuple[int, list[float]]], ylabel: str, title: str
) -> bytes | None:
    """One line per run (its own window), over time; None when all are zero."""
    kept = {name: wv for name, wv in runs.items() if any(wv[1])}
    if not kept:
        return None
    fig = plots._figure(9, 3.6)
    ax = fig.add_subplot()
    for name, (window_ps, values) in kept.items():
        ax.stairs(values, np.arange(len(values) + 1) * window_ps / PS_PER_US, label=name)
    ax.set_xlabel("time (µs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    _legend(ax, len(kept))
    return png(fig)


def latency_distribution(
    latencies_ms: dict[str, list[float]], deadlines_ms: dict[str, float], title: str
) -> bytes | None:
    """Frame latency: a histogram and the cumulative fraction of frames, one series per
    pipeline (or run), each pipeline's deadline as a dashed line; None without frames."""
    kept = {k: v for k, v in latencies_ms.items() if v}
    if not kept:
        return None
    fig = plots._figure(10, 3.6)
    hist, cdf = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    every = np.concatenate([np.asarray(v) for v in kept.values()])
    low, high = float(every.min()), float(every.max())
    spread = max(high - low, 0.01 * high, 1e-6)  # latencies within 1 %: one bar 1 % wide
    middle = (low + high) / 2
    half = 0.51 * spread  # a little more than half: the extremes stay inside the bins
    bins = np.linspace(middle - half, middle + half, 21 if high - low > 0.01 * high else 2)
    for label, values in kept.items():
        hist.hist(values, bins=bins, alpha=0.6, label=label)
        ordered = np.sort(values)
        fraction = np.arange(1, len(ordered) + 1) / len(ordered)
        cdf.step(np.concatenate([[ordered[0]], ordered]), np.concatenate([[0], fraction]),
                 where="post", label=label)  # fmt: skip
    far = []
    for label, deadline in deadlines_ms.items():
        if label in kept and deadline <= NEAR * high:  # else it would squash the frames
            for ax in (hist, cdf):
                ax.axvline(deadline, linestyle="--", color="grey", label=f"{label} deadline")
        elif label in kept:
            far.append(f"{label} deadline {deadline:.4g} ms (off the axis)")
    if far:
        hist.text(0.02, 0.98, "\n".join(far), transform=hist.transAxes, va="top",
                  fontsize="small", color="grey")  # fmt: skip
    for ax in (hist, cdf):
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.set_xlim(min(bins[0], ax.get_xlim()[0]), max(bins[-1], ax.get_xlim()[1]))
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    hist.set_xlabel("frame latency (ms)")
    hist.set_ylabel("frames")
    hist.set_title(title)
    cdf.set_xlabel("frame latency (ms)")
    cdf.set_ylabel("fraction of frames")
    cdf.set_ylim(0, 1.02)
    cdf.legend(fontsize="small", loc="lower right")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.22)
    return grid_png(fig)


def grouped_bars(
    groups: list[str], series: dict[str, list[float]], ylabel: str, title: str
) -> bytes | None:
    """Bars side by side: one group per entry of `groups` (a component), one bar per
    series (a run) in each; None when all are zero."""
    if not groups or not _has_data(series):
        return None
    fig = plots._figure(max(6.0, 0.9 * len(groups) + 3), 3.8)
    ax = fig.add_subplot()
    x = np.arange(len(groups), dtype=float)
    width = 0.8 / max(1, len(series))
    for k, (label, values) in enumerate(series.items()):
        ax.bar(x + (k - (len(series) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _legend(ax, len(series))
    return png(fig)


def metric_grid(
    parameter: str, xs: list, metrics: dict[str, list[float | None]], title: str
) -> bytes | None:
    """One small plot per metric against `parameter` (a sweep axis): every point, and
    the mean at each value; numeric values on a numeric axis, others as categories."""
    kept = {m: v for m, v in metrics.items() if any(y is not None and np.isfinite(y) for y in v)}
    if not kept or not xs:
        return None
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    categories = list(dict.fromkeys(str(x) for x in xs))
    position = [float(x) if numeric else float(categories.index(str(x))) for x in xs]
    columns = min(3, len(kept))
    rows = -(-len(kept) // columns)
    fig = plots._figure(3.6 * columns, 2.7 * rows + 0.4)
    for k, (metric, ys) in enumerate(kept.items()):
        ax = fig.add_subplot(rows, columns, k + 1)
        pairs = [(p, y) for p, y in zip(position, ys, strict=True) if y is not None]
        pairs = [(p, y) for p, y in pairs if np.isfinite(y)]
        ax.scatter([p for p, _ in pairs], [y for _, y in pairs], s=14, alpha=0.7)
        at = sorted({p for p, _ in pairs})
        means = [float(np.mean([y for p, y in pairs if p == a])) for a in at]
        ax.plot(at, means, color="black", linewidth=1)
        if not numeric:
            shown = [c if len(c) <= 16 else c[:15] + "…" for c in categories]
            ax.set_xticks(range(len(categories)), shown, rotation=30, ha="right")
        ax.set_title(metric, fontsize="small")
        ax.tick_params(labelsize="small")
        if k >= len(kept) - columns:
            ax.set_xlabel(parameter, fontsize="small")
    fig.suptitle(title)
    fig.subplots_adjust(
        hspace=0.9, wspace=0.35, left=0.08, right=0.98, bottom=1.0 / (2.7 * rows + 0.4),
        top=1 - 0.55 / (2.7 * rows + 0.4),
    )  # fmt: skip
    return grid_png(fig)
