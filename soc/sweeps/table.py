"""The results table: a row per point, written whole (Parquet, CSV on request) after
every point, so that a stopped sweep keeps what it finished."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from soc.sweeps.spec import value_text

ROW_COLUMNS = {
    "point": pa.int64(),
    "key": pa.string(),
    "status": pa.string(),
    "error": pa.string(),
    "run_folder": pa.string(),
    "wall_s": pa.float64(),
    "reused": pa.bool_(),
}
"""The columns every table starts with, in this order (then set.*, then metrics)."""

FIRST_METRICS = (
    "total_ps",
    "frames",
    "frame_latency_p50_ps",
    "frame_latency_p99_ps",
    "deadline_misses",
    "energy_total_pj",
    "energy_per_frame_pj",
    "display_underflows",
    "camera_late_lines",
    "dram.bandwidth_bytes_per_s",
)
WALL_COLUMNS = ("wall_s",)  # the columns that differ between two runs of a point


def _axis_column(values: Sequence[object]) -> tuple[list[object], pa.DataType]:
    """An axis's values as one typed column: strings, booleans, ints or floats as
    they are; blocks, lists and mixed types as their one-line YAML text."""
    kinds = {type(v) for v in values}
    if kinds == {str}:
        return list(values), pa.string()
    if kinds == {bool}:
        return list(values), pa.bool_()
    if kinds == {int}:
        return list(values), pa.int64()
    if kinds <= {int, float}:
        return [float(v) for v in values], pa.float64()
    return [value_text(v) for v in values], pa.string()


def _metric_type(values: Sequence[object]) -> pa.DataType:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    return pa.float64()


def build_table(
    rows: Sequence[dict[str, object]],
    axes: Sequence[str],
    axis_values: Sequence[Sequence[object]],
    metadata: dict[str, object],
) -> pa.Table:
    """`rows` (each: the row columns, `values` per axis and `metrics`) as a table
    sorted by point; `axis_values` are every value of each axis, so a column's type
    does not depend on which points have finished."""
    rows = sorted(rows, key=lambda r: r["point"])
    columns: dict[str, pa.Array] = {
        name: pa.array([r.get(name) for r in rows], type=kind) for name, kind in ROW_COLUMNS.items()
    }
    for i, path in enumerate(axes):
        every, kind = _axis_column(list(axis_values[i]) + [r["values"][i] for r in rows])
        columns[f"set.{path}"] = pa.array(every[len(axis_values[i]) :], type=kind)
    names = {name for r in rows for name in r.get("metrics") or {}}
    ordered = [m for m in FIRST_METRICS if m in names] + sorted(names - set(FIRST_METRICS))
    for name in ordered:
        values = [(r.get("metrics") or {}).get(name) for r in rows]
        kind = _metric_type(values)
        if kind == pa.float64():
            values = [None if v is None else float(v) for v in values]
        columns[name] = pa.array(values, type=kind)
    table = pa.table(columns)
    return table.replace_schema_metadata({"flexsoc.sweep": json.dumps(metadata)})


def write_atomic(target: Path, write: Callable[[Path], None]) -> None:
    """`write` a hidden partial file beside `target`, then rename it over `target`: a
    reader (or a killed sweep) sees the old table or the new one, never half of one."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def write_results(table: pa.Table, out: Path, csv: bool) -> None:
    """results.parquet (and results.csv) in the sweep folder `out` (ours: it carries
    the sweep marker), each replaced whole."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    write_atomic(out / "results.parquet", lambda p: pq.write_table(table, p))
    if csv:
        write_atomic(out / "results.csv", lambda p: pacsv.write_csv(table, p))
    else:  # an earlier sweep's CSV here would no longer match the table
        (out / "results.csv").unlink(missing_ok=True)
