"""The summary a user sees after `soc run`: rich tables from the summary dict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from soc.units import format_bytes, format_time_ps


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def render_summary(summary: dict, console: Console) -> None:
    """Print latency, per-layer phases, DRAM traffic and energy."""
    total = summary["total_ps"]
    frames = summary["frames"]
    head = f"[bold]{summary['scenario']}[/bold]: {len(frames)} frame(s) in {format_time_ps(total)}"
    if frames:
        mean = sum(f["latency_ps"] for f in frames) / len(frames)
        head += f", mean frame latency {format_time_ps(mean)}"
    head += f", deadline misses {summary['deadline_misses']}"
    console.print(head)

    layers = Table(title="Layers (per frame)", title_justify="left")
    for column in (
        "layer",
        "op",
        "MACs",
        "time",
        "load",
        "compute",
        "drain",
        "stall",
        "bound",
        "MAC util",
    ):
        layers.add_column(column, justify="left" if column in ("layer", "op", "bound") else "right")
    for row in summary["layers"]:
        stall = sum(row["stall_ps"].values())
        layers.add_row(
            row["layer"],
            row["op"],
            f"{row['macs']:,}",
            format_time_ps(row["elapsed_ps"]),
            format_time_ps(row["load_ps"]),
            format_time_ps(row["compute_ps"]),
            format_time_ps(row["drain_ps"]),
            format_time_ps(stall),
            row["bound"],
            f"{100 * row['mac_utilisation']:.1f} %",
        )
    console.print(layers)

    dram = summary["dram"]
    traffic = Table(title="DRAM traffic", title_justify="left")
    for column in ("master", "read", "written", "bandwidth"):
        traffic.add_column(column, justify="left" if column == "master" else "right")
    for master, row in dram["by_master"].items():
        traffic.add_row(
            master,
            format_bytes(row.get("dram_read_byte", 0)),
            format_bytes(row.get("dram_write_byte", 0)),
            f"{row['bandwidth_bytes_per_s'] / 1e9:.3f} GB/s",
        )
    traffic.add_row(
        "[bold]total[/bold]",
        format_bytes(dram["read_bytes"]),
        format_bytes(dram["write_bytes"]),
        f"{dram['bandwidth_bytes_per_s'] / 1e9:.3f} GB/s",
    )
    console.print(traffic)

    energy = summary["energy"]
    table = Table(title=f"Energy ({energy['table']})", title_justify="left")
    for column in ("component", "dynamic", "static", "total", "share"):
        table.add_column(column, justify="left" if column == "component" else "right")
    for name, row in energy["by_component"].items():
        table.add_row(
            name,
            f"{row['dynamic_pj'] / 1e6:.3f} uJ",
            f"{row['static_pj'] / 1e6:.3f} uJ",
            f"{row['total_pj'] / 1e6:.3f} uJ",
            _pct(row["total_pj"], energy["total_pj"]),
        )
    table.add_row("[bold]total[/bold]", "", "", f"{energy['total_pj'] / 1e6:.3f} uJ", "100 %")
    console.print(table)
    sram = summary["sram"]
    console.print(
        f"MACs executed {summary['macs']['executed']:,} of {summary['macs']['expected']:,}; "
        f"SRAM bank conflicts {sram['bank_conflicts']:,} ({sram['conflict_cycles']:,} cycles); "
        f"DMA requests {summary['dma']['requests']:,}"
    )
