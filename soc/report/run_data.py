"""What a report reads from a results folder: a run's summary and native trace, a sweep's
results table. Plain data out (dicts, lists, numpy arrays); the folders are read, never
written.

- A run folder (`soc run`) holds `summary.json` and, unless switched off, the native
  trace `trace/` (docs/trace.md): the engine's phase spans come from `spans.parquet`.
- A sweep folder (`soc sweep`) holds `results.parquet`, one row per point.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import ValidationError

from soc.errors import OutputError
from soc.limits import check_input_file
from soc.report.schema import Summary

SUMMARY = "summary.json"
RESULTS = "results.parquet"
SPANS = Path("trace") / "spans.parquet"
REQUIRED = (
    "scenario",
    "total_ps",
    "frames",
    "layers",
    "masters",
    "dram",
    "energy",
    "macs",
    "sram",
    "dma",
)
"""Keys of summary.json the report reads (docs/summary.schema.json)."""
PHASES = ("load", "compute", "drain", "stall")
"""Span kinds of the engine's load / compute / drain processes (trace level phase)."""
WINDOWS = 200
"""Windows the run's time is cut into for occupancy over time."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def folder_kind(folder: Path) -> str:
    """ "run" or "sweep"; an OutputError naming `folder` when it is neither."""
    if not folder.is_dir():
        raise OutputError(f"{folder}: no such folder")
    if (folder / RESULTS).is_file():
        return "sweep"
    if (folder / SUMMARY).is_file():
        return "run"
    raise OutputError(f"{folder}: neither a run folder ({SUMMARY}) nor a sweep ({RESULTS})")


def read_summary(folder: Path) -> dict:
    """The run's summary.json, or an OutputError naming it when it is no JSON object."""
    path = folder / SUMMARY
    check_input_file(path, "run summary")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise OutputError(f"{path}: not JSON ({_first_line(exc)})") from None
    if isinstance(summary, dict) and "replay" in summary:
        raise OutputError(f"{path}: a replay's summary; soc report reads soc run folders")
    missing = [k for k in REQUIRED if not isinstance(summary, dict) or k not in summary]
    if missing:
        raise OutputError(f"{path}: not a summary of soc run (no '{missing[0]}' key)")
    try:  # every value of the type the report expects: an edited file fails here, not later
        Summary.model_validate(summary, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise OutputError(f"{path}: {where}: {first['msg']}") from None
    return summary


@dataclass(frozen=True)
class Occupancy:
    """Busy fraction of each engine activity per window of `window_ps`: 1.0 is busy for
    the whole window. `level` is "phase" (load / compute / drain / stall spans) or
    "layer" (only whole layers were traced)."""

    window_ps: int
    series: dict[str, list[float]]
    level: str


def busy_until(starts: np.ndarray, ends: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Total span time before each of `times`: the sum over spans of clip(t - start, 0,
    end - start) = (t * #starts <= t - sum of those starts) - (same over the ends). Pure;
    sorted prefix sums, so any number of spans costs a sort."""
    s, e = np.sort(starts).astype(float), np.sort(ends).astype(float)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    ns = np.searchsorted(s, times, side="right")
    ne = np.searchsorted(e, times, side="right")
    return (times * ns - cs[ns]) - (times * ne - ce[ne])


def _series_label(track: str, kind: str) -> str:
    """ "npu load" for kind load on npu.load; "npu.compute stall" for a stall there."""
    owner, _, thread = track.rpartition(".")
    return f"{owner} {kind}" if owner and thread == kind else f"{track} {kind}"


def engine_occupancy(folder: Path, end_ps: int, windows: int = WINDOWS) -> Occupancy | None:
    """The engine's busy fraction per phase over time, from the native trace's spans;
    whole layers when the trace holds no phases; None without a trace or engine spans."""
    path = folder / SPANS
    if not path.is_file() or end_ps <= 0:
        return None
    check_input_file(path, "native trace table spans")
    wanted = pa.array([*PHASES, "layer"])
    parts = []
    columns = ["start_ps", "end_ps", "track", "kind"]
    try:
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        for group in range(parquet.num_row_groups):
            try:
                batch = parquet.read_row_group(group, columns=columns)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise OutputError(
                    f"{path}, row group {group}: corrupted ({_first_line(exc)})"
                ) from None
            kinds = batch.column("kind").cast(pa.string())
            parts.append(batch.filter(pc.is_in(kinds, value_set=wanted)))  # the engine's only
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        raise OutputError(
            f"{path}: not a native spans table, or truncated (footer: {_first_line(exc)})"
        ) from None
    spans: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    if parts:
        table = pa.concat_tables(parts)
        starts, ends = table["start_ps"].to_numpy(), table["end_ps"].to_numpy()
        tracks = np.asarray(table["track"].cast(pa.string()).to_pylist(), dtype=object)
        kinds = np.asarray(table["kind"].cast(pa.string()).to_pylist(), dtype=object)
        for track, kind in sorted(set(zip(tracks.tolist(), kinds.tolist(), strict=True))):
            mask = (tracks == track) & (kinds == kind)
            spans[(track, kind)] = (starts[mask], ends[mask])
    phase = {key: v for key, v in spans.items() if key[1] in PHASES}
    chosen, level = (phase, "phase") if phase else (spans, "layer")
    if not chosen:
        return None
    window_ps = max(1, math.ceil(end_ps / windows))
    edges = np.arange(windows + 1, dtype=float) * window_ps
    series = {}
    for (track, kind), (starts, ends) in sorted(chosen.items()):
        busy = np.diff(busy_until(starts, ends, edges)) / window_ps
        series[_series_label(track, kind)] = busy.tolist()
    return Occupancy(window_ps, series, level)


def frame_latencies_ms(summary: dict) -> dict[str, list[float]]:
    """Each pipeline's frame latencies in ms, in frame order (pipelines with frames)."""
    out: dict[str, list[float]] = {}
    for frame in summary.get("frames", []):
        out.setdefault(frame.get("pipeline", "main"), []).append(frame["latency_ps"] / 1e9)
    return out


def read_results(folder: Path) -> dict[str, list]:
    """The sweep's results table as columns of Python values."""
    path = folder / RESULTS
    check_input_file(path, "sweep results")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise OutputError(f"{path}: not a readable Parquet table ({_first_line(exc)})") from None
    return {name: table.column(name).to_pylist() for name in table.column_names}
