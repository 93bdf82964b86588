"""The summary a user sees after `soc run`: rich tables from the summary dict."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from soc.units import format_bytes, format_time_ps


def _us(ps: float) -> str:
    return f"{ps / 1e6:,.2f}"


def _uj(pj: float) -> str:
    return f"{pj / 1e6:,.3f}"


def _table(title: str, columns: tuple[str, ...], left: int = 1) -> Table:
    """A compact table whose first `left` columns are text, the rest numbers."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right")
    return table


def _render_sparsity(rows: list[dict], console: Console) -> None:
    table = _table(
        "Sparsity, per frame (cycles in thousands; speed-up = dense / sparse cycles; "
        "imbalance = cycles lost to the slowest lane and PE)",
        ("layer", "d_IF", "d_FL", "dense", "sparse", "speed-up", "ideal", "min-d", "imbalance"),
    )

    def x(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    for row in rows:
        table.add_row(
            row["layer"],
            f"{row['if_density']:.2f}",
            f"{row['fl_density']:.2f}",
            f"{row['dense_cycles'] / 1e3:,.1f}",
            f"{row['sparse_cycles'] / 1e3:,.1f}",
            x(row["speedup"]),
            x(row["ideal_speedup"]),
            x(row["min_density_speedup"]),
            f"{row['imbalance_cycles'] / 1e3:,.1f}",
        )
    console.print(table)


def render_summary(summary: dict, console: Console) -> None:
    """Print latency, per-layer phases, DRAM traffic and energy."""
    frames = summary["frames"]
    head = f"[bold]{summary['scenario']}[/bold]: {len(frames)} frame(s) in "
    head += format_time_ps(summary["total_ps"])
    if frames:
        mean = sum(f["latency_ps"] for f in frames) / len(frames)
        head += f", mean frame latency {format_time_ps(mean)}"
    head += f", deadline misses {summary['deadline_misses']}"
    console.print(head)

    layers = _table(
        "Layers, per frame (times in us; stall = compute waiting, by its dominant cause; "
        "energy in uJ: the engine's and DMA's, and their requests' elsewhere)",
        (
            "layer",
            "op",
            "dataflow",
            "MACs",
            "time",
            "load",
            "compute",
            "drain",
            "stall",
            "bound",
            "util",
            "energy",
        ),
        left=3,
    )
    layer_energy = summary["energy"]["by_layer"]
    for row in summary["layers"]:
        layers.add_row(
            row["layer"],
            row["op"],
            row["dataflow"],
            f"{row['macs']:,}",
            _us(row["elapsed_ps"]),
            _us(row["load_ps"]),
            _us(row["compute_ps"]),
            _us(row["drain_ps"]),
            _us(sum(row["stall_ps"].values())),
            row["bound"],
            f"{100 * row['mac_utilisation']:.1f}%",
            _uj(layer_energy[row["layer"]]["total_pj"]) if row["layer"] in layer_energy else "",
        )
    console.print(layers)
    if any(row["if_density"] < 1 or row["fl_density"] < 1 for row in summary["layers"]):
        _render_sparsity(summary["layers"], console)

    dram = summary["dram"]
    traffic = _table(
        "DRAM traffic (latency from arrival at the DRAM to completion; peak over "
        f"{dram['bandwidth_over_time']['window_ps'] / 1e6:g} µs windows)",
        ("master", "read", "written", "GB/s", "peak GB/s", "mean ns", "p99 ns", "max ns"),
    )
    timeline = dram["bandwidth_over_time"]
    for master, row in dram["by_master"].items():
        lat = dram["latency_ps"].get(master)
        peak = max(timeline["bytes_per_s"].get(master) or [0.0])
        traffic.add_row(
            master,
            format_bytes(row.get("dram_read_byte", 0)),
            format_bytes(row.get("dram_write_byte", 0)),
            f"{row['bandwidth_bytes_per_s'] / 1e9:.3f}",
            f"{peak / 1e9:.3f}",
            *((f"{lat[k] / 1e3:,.1f}" for k in ("mean", "p99", "max")) if lat else ("",) * 3),
        )
    traffic.add_row(
        "total",
        format_bytes(dram["read_bytes"]),
        format_bytes(dram["write_bytes"]),
        f"{dram['bandwidth_bytes_per_s'] / 1e9:.3f}",
        "",
        "",
        "",
        "",
    )
    console.print(traffic)
    for name, master in summary["masters"].items():
        if master["kind"] == "display":
            console.print(
                f"display {name}: {master['underflows']} underflow(s), "
                f"{format_bytes(master['underflow_bytes_short'])} short"
            )
        elif master["kind"] == "camera":
            console.print(f"camera {name}: {master['late_lines']} late line(s)")

    energy = summary["energy"]
    total = energy["total_pj"]
    table = _table(
        f"Energy in uJ ({energy['table']})", ("component", "dynamic", "static", "total", "share")
    )
    for name, row in energy["by_component"].items():
        share = f"{100 * row['total_pj'] / total:.1f}%" if total else "-"
        table.add_row(
            name, _uj(row["dynamic_pj"]), _uj(row["static_pj"]), _uj(row["total_pj"]), share
        )
    table.add_row("total", "", "", _uj(total), "100%")
    console.print(table)

    sram = summary["sram"]
    console.print(
        f"MACs performed {summary['macs']['executed']:,}, skipped {summary['macs']['gated']:,}, "
        f"dense {summary['macs']['expected']:,}; "
        f"SRAM bank conflicts {sram['bank_conflicts']:,} ({sram['conflict_cycles']:,} cycles); "
        f"DMA requests {summary['dma']['requests']:,}"
    )
