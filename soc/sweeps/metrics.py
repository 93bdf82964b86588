"""A run's key metrics, read from its summary (summary.json): one flat mapping of column
name to number, the columns of the sweep's results table (listed in `soc.sweeps`).

Pure: plain data in, plain data out. A metric the run does not have (no frames, no
display) is left out; the table holds null there.
"""

from __future__ import annotations

from collections.abc import Mapping

from soc.trace.stats import describe_values

Metrics = dict[str, int | float]


def key_metrics(summary: Mapping[str, object]) -> Metrics:
    """The metric columns of one run (see the module docstring of `soc.sweeps`)."""
    out: Metrics = {"total_ps": summary["total_ps"]}
    out.update(_frames(summary))
    out.update(_energy(summary))
    out.update(_dram(summary))
    out.update(_masters(summary))
    return out


def _frames(summary: Mapping[str, object]) -> Metrics:
    frames = summary.get("frames") or []
    out: Metrics = {"frames": len(frames), "deadline_misses": summary.get("deadline_misses", 0)}
    if frames:
        latency = describe_values([f["latency_ps"] for f in frames])
        out["frame_latency_p50_ps"] = latency["p50"]
        out["frame_latency_p99_ps"] = latency["p99"]
    for name, pipeline in (summary.get("pipelines") or {}).items():
        at = f"pipeline.{name}."
        if pipeline["frames"]:
            out[at + "latency_p50_ps"] = pipeline["latency_ps"]["p50"]
            out[at + "latency_p99_ps"] = pipeline["latency_ps"]["p99"]
        out[at + "deadline_misses"] = pipeline["deadline_misses"]
        out[at + "energy_per_frame_pj"] = pipeline["energy_per_frame_pj"]
    return out


def _energy(summary: Mapping[str, object]) -> Metrics:
    energy = summary.get("energy") or {}
    if "total_pj" not in energy:
        return {}
    out: Metrics = {"energy_total_pj": energy["total_pj"]}
    frames = len(summary.get("frames") or [])
    if frames:
        out["energy_per_frame_pj"] = energy["total_pj"] / frames
    for component, part in sorted((energy.get("by_component") or {}).items()):
        out[f"energy.{component}_pj"] = part["total_pj"]
    return out


def _dram(summary: Mapping[str, object]) -> Metrics:
    dram = summary.get("dram") or {}
    out: Metrics = {}
    if "bandwidth_bytes_per_s" in dram:
        out["dram.bandwidth_bytes_per_s"] = dram["bandwidth_bytes_per_s"]
    for master, row in sorted((dram.get("by_master") or {}).items()):
        out[f"dram.{master}.bandwidth_bytes_per_s"] = row["bandwidth_bytes_per_s"]
    for master, latency in sorted((dram.get("latency_ps") or {}).items()):
        if isinstance(latency, Mapping) and latency.get("count"):
            out[f"dram.{master}.latency_p99_ps"] = latency["p99"]
    return out


_MASTER_METRIC = {"display": "underflows", "camera": "late_lines"}


def _masters(summary: Mapping[str, object]) -> Metrics:
    """Underflows of every display and late lines of every camera, and their sums."""
    out: Metrics = {}
    for name, master in sorted((summary.get("masters") or {}).items()):
        metric = _MASTER_METRIC.get(master.get("kind"))
        if metric is None:
            continue
        out[f"master.{name}.{metric}"] = master[metric]
        total = f"{master['kind']}_{metric}"
        out[total] = out.get(total, 0) + master[metric]
    return out
