"""What `soc replay` prints: per master, what the memory system did with its requests,
beside what the recording says where the source was a recorded run."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from soc.report.tables import Column, print_table
from soc.units import format_bytes, format_time_ps


def _ns(ps: float | None) -> str:
    return "-" if ps is None else f"{ps / 1e3:,.1f}"


def _change(new: float | None, old: float | None) -> str:
    if new is None or not old:
        return "-"
    return f"{100 * (new - old) / old:+.1f}%"


def render_replay(summary: dict, console: Console) -> None:
    """The replay's per-master table, and the comparison with the recording if any."""
    head = summary["replay"]
    console.print(
        f"[bold]replay[/bold] of {escape(head['source'])} ({head['mode']}): "
        f"{format_time_ps(summary['total_ps'])} simulated"
    )
    masters = summary["masters"]
    timeline = summary["dram"]["bandwidth_over_time"]["bytes_per_s"]
    cells = []
    for name, row in masters.items():
        latency = row["latency_ps"] or {}

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{100 * value:.1f}%"

        cells.append(
            [
                name,
                f"{row['requests']:,}",
                format_bytes(row["read_bytes"]),
                format_bytes(row["write_bytes"]),
                f"{row['bandwidth_bytes_per_s'] / 1e9:.3f}",
                f"{max(timeline.get(name) or [0.0]) / 1e9:.3f}",
                _ns(latency.get("mean")),
                _ns(latency.get("p50")),
                _ns(latency.get("p99")),
                _ns(latency.get("max")),
                rate(row.get("read_row_hit_rate")),
                rate(row.get("write_row_hit_rate")),
            ]
        )
    print_table(
        console,
        "Per master (GB/s over the replay, peak over a timeline window; DRAM latency in ns, "
        "from arrival to completion; row-hit rates of reads and writes)",
        [
            Column("master", "left"),
            *(Column(h, group=1) for h in ("requests", "read", "written", "GB/s", "peak")),
            *(Column(h, group=2) for h in ("mean", "p50", "p99", "max")),
            *(Column(h, group=3) for h in ("read hits", "write hits")),
        ],
        cells,
    )
    for name, row in masters.items():
        if "underflows" in row:
            was = (row.get("recorded") or {}).get("underflows")
            before = "" if was is None else f" (recorded: {was})"
            console.print(
                f"display {escape(name)}: {row['underflows']} underflow(s){before}, "
                f"{format_bytes(row['underflow_bytes_short'])} short"
            )
    recorded = {n: r["recorded"] for n, r in masters.items() if r.get("recorded")}
    if not recorded:
        return
    rows = []
    for name, old in recorded.items():
        new = masters[name]
        new_mean = (new["latency_ps"] or {}).get("mean")
        old_mean = (old.get("latency_ps") or {}).get("mean")
        rows.append(
            [
                name,
                format_bytes(old["read_bytes"] + old["write_bytes"]),
                format_bytes(new["read_bytes"] + new["write_bytes"]),
                _ns(old_mean),
                _ns(new_mean),
                _change(new_mean, old_mean),
                _change(new["bandwidth_bytes_per_s"], old.get("bandwidth_bytes_per_s")),
            ]
        )
    print_table(
        console,
        "Against the recording (bytes; mean DRAM latency in ns; bandwidth change)",
        [
            Column("master", "left"),
            *(Column(h, group=1) for h in ("recorded", "replayed")),
            *(Column(h, group=2) for h in ("rec. mean", "mean", "change", "GB/s change")),
        ],
        rows,
    )
