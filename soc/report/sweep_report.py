"""Report sections for a sweep folder (`soc sweep`): its points, each key metric against
each parameter, and the energy-latency Pareto front as an inline SVG scatter whose
points show their overrides on hover (an SVG <title> each: no script).

The results table has a row per point: `point`, `key`, `status`, `error`, `run_dir`,
`wall_s`, one `set.<dotted path>` column per axis, then metrics. Metric columns are
picked by name, not by a fixed list, so that new metrics need no change here: the
latency is a column naming `latency` and `p99` (one naming `frame` first), the energy a
column naming `energy` and `frame` (the shortest name: the total, not a component's).
"""

from __future__ import annotations

import math
from pathlib import Path

from soc.report import figures
from soc.report.html import Document, esc, figure_or_note, note, paragraph, table
from soc.report.pareto import pareto_front
from soc.report.run_data import read_results

META = ("point", "key", "status", "error", "run_folder", "run_dir", "wall_s", "reused")
PARAMETER_PREFIX = "set."
MAX_METRICS = 9  # small plots per parameter
_PRIORITY = (("latency", "p99"), ("latency", "p50"), ("energy", "frame"), ("underflow",),
             ("deadline",), ("late",))  # fmt: skip
"""Words of the key metrics, in the order plotted; whole-run metrics (no dot in the
name) before those of one master, component or pipeline."""
_FAILED = {"failed", "error", "err", "fail"}


_UNITS = (("_bytes_per_s", "GB/s", 1e-9), ("_ps", "µs", 1e-6), ("_pj", "µJ", 1e-6))
"""Column name endings and how a report shows them: times in µs, energies in µJ."""


def shown_as(column: str) -> tuple[str, float]:
    """A metric column's label in the report (its unit) and the factor to it."""
    for ending, unit, factor in _UNITS:
        if column.endswith(ending):
            return f"{column.removesuffix(ending)} ({unit})", factor
    return column, 1.0


def _scaled(value: object, factor: float) -> object:
    number = _number(value)
    return value if number is None or isinstance(value, bool) else number * factor


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def metric_columns(columns: dict[str, list]) -> list[str]:
    """Columns of numbers (or nulls) that are neither bookkeeping nor parameters."""
    return [
        name
        for name, values in columns.items()
        if name not in META
        and not name.startswith(PARAMETER_PREFIX)
        and "wall" not in name
        and any(v is not None for v in values)
        and all(v is None or _number(v) is not None for v in values)
    ]


def _pick(metrics: list[str], words: tuple[str, ...], prefer: str) -> str | None:
    found = [m for m in metrics if all(w in m.lower() for w in words)]
    found = [m for m in found if not any(w in m.lower() for w in ("dram", "bandwidth"))]
    found.sort(key=lambda m: (prefer not in m.lower(), len(m), m))
    return found[0] if found else None


def latency_column(metrics: list[str]) -> str | None:
    """The frame latency p99 column."""
    return _pick(metrics, ("latency", "p99"), "frame")


def energy_column(metrics: list[str]) -> str | None:
    """The energy-per-frame column (the total: the shortest name)."""
    return _pick(metrics, ("energy", "frame"), "per_frame")


def ordered_metrics(metrics: list[str], columns: dict[str, list]) -> list[str]:
    """Up to MAX_METRICS metrics that vary across points, the key ones first."""

    def rank(name: str) -> tuple[bool, bool, int, str]:
        low = name.lower()
        hits = [k for k, words in enumerate(_PRIORITY) if all(w in low for w in words)]
        return ("." in name, low.startswith("pipeline."), hits[0] if hits else len(_PRIORITY), name)

    varying = [m for m in metrics if len({v for v in columns[m] if v is not None}) > 1]
    return sorted(varying or metrics, key=rank)[:MAX_METRICS]


def _ok(columns: dict[str, list], i: int) -> bool:
    error = columns.get("error", [None] * (i + 1))[i]
    status = str(columns.get("status", [""] * (i + 1))[i] or "").lower()
    return not error and status not in _FAILED


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def overrides(columns: dict[str, list], parameters: list[str], i: int) -> str:
    """A point's overrides: `path=value` per axis."""
    return ", ".join(
        f"{p.removeprefix(PARAMETER_PREFIX)}={_cell(columns[p][i])}" for p in parameters
    )


def sweep_sections(doc: Document, folder: Path) -> None:
    """Append the sweep's sections to `doc`."""
    columns = read_results(folder)
    count = len(next(iter(columns.values()), []))
    parameters = [c for c in columns if c.startswith(PARAMETER_PREFIX)]
    metrics = metric_columns(columns)
    ok = [i for i in range(count) if _ok(columns, i)]
    latency, energy = latency_column(metrics), energy_column(metrics)
    shown = [m for m in (latency, energy) if m]
    points = columns.get("point", list(range(count)))
    rows = [
        [points[i], _cell(columns.get("status", ["-"] * count)[i]),
         *(_cell(columns[p][i]) for p in parameters),
         *(_cell(_scaled(columns[m][i], shown_as(m)[1])) for m in shown),
         _cell(columns.get("wall_s", [None] * count)[i]),
         _cell(columns.get("error", [None] * count)[i])]
        for i in range(count)
    ]  # fmt: skip
    headers = ["point", "status", *parameters, *(shown_as(m)[0] for m in shown), "wall s", "error"]
    summary = f"{count} point(s), {len(ok)} completed, {count - len(ok)} failed; "
    summary += f"parameters: {', '.join(parameters) or 'none'}"
    doc.add("Points", paragraph(summary) + table(headers, rows))
    chosen = ordered_metrics(metrics, columns)
    for parameter in parameters:
        xs = [columns[parameter][i] for i in ok]
        ys = {
            shown_as(m)[0]: [_number(_scaled(columns[m][i], shown_as(m)[1])) for i in ok]
            for m in chosen
        }
        drawn = figures.metric_grid(
            parameter.removeprefix(PARAMETER_PREFIX), [_hashable(x) for x in xs], ys,
            f"metrics against {parameter.removeprefix(PARAMETER_PREFIX)}",
        )  # fmt: skip
        doc.add(
            f"Against {parameter.removeprefix(PARAMETER_PREFIX)}",
            figure_or_note(drawn, f"metrics against {parameter}", "No completed point."),
        )
    if not parameters:
        doc.add("Against each parameter", note("The sweep has no parameter column (set.*)."))
    doc.add("Pareto front", _pareto(columns, parameters, ok, latency, energy))


def _hashable(value: object) -> object:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def _pareto(
    columns: dict[str, list],
    parameters: list[str],
    ok: list[int],
    latency: str | None,
    energy: str | None,
) -> str:
    if latency is None or energy is None:
        return note("The results have no frame latency p99 or energy per frame column.")
    usable = [
        i
        for i in ok
        if _number(columns[latency][i]) is not None and _number(columns[energy][i]) is not None
    ]
    (xlabel, xscale), (ylabel, yscale) = shown_as(latency), shown_as(energy)
    xy = [(float(columns[latency][i]), float(columns[energy][i])) for i in usable]
    xy_ok = [k for k, (x, y) in enumerate(xy) if math.isfinite(x) and math.isfinite(y)]
    usable, xy = [usable[k] for k in xy_ok], [xy[k] for k in xy_ok]
    if not usable:
        return note("No completed point has both a frame latency p99 and an energy per frame.")
    front = [usable[k] for k in pareto_front(xy)]
    points = columns.get("point", list(range(len(columns[latency]))))
    labels = {i: f"point {points[i]}: {overrides(columns, parameters, i)}" for i in usable}
    svg = pareto_svg(
        [
            (x * xscale, y * yscale, labels[i], i in front)
            for i, (x, y) in zip(usable, xy, strict=True)
        ],
        xlabel,
        ylabel,
    )
    front.sort(key=lambda i: (columns[latency][i], columns[energy][i]))
    rows = [
        [points[i], overrides(columns, parameters, i),
         _cell(_scaled(columns[latency][i], xscale)), _cell(_scaled(columns[energy][i], yscale))]
        for i in front
    ]  # fmt: skip
    text = paragraph(
        f"{len(front)} of {len(usable)} points are not dominated (both {latency} and "
        f"{energy} minimised); hover over a point for its overrides."
    )
    attrs = [f'data-point="{esc(points[i])}"' for i in front]
    return text + svg + table(["point", "overrides", xlabel, ylabel], rows, row_attrs=attrs)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def pareto_svg(points: list[tuple[float, float, str, bool]], xlabel: str, ylabel: str) -> str:
    """An inline SVG scatter of (x, y, hover text, on the front): front points red and
    joined by a staircase, the others blue; each circle's <title> is its hover text."""
    width, height, left, right, top, bottom = 760, 420, 80, 20, 20, 50
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    padx, pady = (x1 - x0) * 0.05 or abs(x0) * 0.05 or 1, (y1 - y0) * 0.05 or abs(y0) * 0.05 or 1
    x0, x1, y0, y1 = x0 - padx, x1 + padx, y0 - pady, y1 + pady

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'role="img" aria-label="energy-latency Pareto front">',
           f'<rect x="{left}" y="{top}" width="{width - left - right}" '
           f'height="{height - top - bottom}" fill="none" stroke="#999"/>']  # fmt: skip
    for t in _ticks(x0, x1):
        out.append(f'<text x="{sx(t):.1f}" y="{height - bottom + 15}" text-anchor="middle">'
                   f"{t:.4g}</text>")  # fmt: skip
    for t in _ticks(y0, y1):
        out.append(f'<text x="{left - 5}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:.4g}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" '
               f'text-anchor="middle">{esc(xlabel)}</text>')  # fmt: skip
    out.append(f'<text transform="translate(15 {(top + height - bottom) / 2}) rotate(-90)" '
               f'text-anchor="middle">{esc(ylabel)}</text>')  # fmt: skip
    front = sorted((x, y) for x, y, _, on in points if on)
    stairs = []
    for k, (x, y) in enumerate(front):
        if k:
            stairs.append(f"{sx(x):.1f},{sy(front[k - 1][1]):.1f}")
        stairs.append(f"{sx(x):.1f},{sy(y):.1f}")
    if len(front) > 1:
        out.append(f'<polyline points="{" ".join(stairs)}" fill="none" stroke="#d62728"/>')
    for x, y, text, on in sorted(points, key=lambda p: p[3]):  # front drawn on top
        kind = "front" if on else "other"
        hover = esc(f"{text}; {xlabel}={x:.6g}; {ylabel}={y:.6g}")
        out.append(f'<circle class="{kind}" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="5">'
                   f"<title>{hover}</title></circle>")  # fmt: skip
    out.append("</svg>")
    return "".join(out)
