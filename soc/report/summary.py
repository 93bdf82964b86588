"""The summary a user sees after `soc run`: rich tables from the summary dict.

Every table goes through `print_table`, so it fits the console (80 columns when piped)
by splitting into narrower tables, and no number or name is ever cut.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from soc.report.tables import Column, print_table
from soc.units import format_bytes, format_time_ps


def _us(ps: float) -> str:
    return f"{ps / 1e6:,.2f}"


def _uj(pj: float) -> str:
    return f"{pj / 1e6:,.3f}"


def _columns(*headers: str, group: int = 0, left: bool = False) -> list[Column]:
    justify = "left" if left else "right"
    return [Column(header, justify, group) for header in headers]


def _render_sparsity(rows: list[dict], console: Console) -> None:
    def x(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    cells = [
        [
            row["layer"],
            f"{row['if_density']:.2f}",
            f"{row['fl_density']:.2f}",
            f"{row['dense_cycles'] / 1e3:,.1f}",
            f"{row['sparse_cycles'] / 1e3:,.1f}",
            x(row["speedup"]),
            x(row["ideal_speedup"]),
            x(row["min_density_speedup"]),
            f"{row['imbalance_cycles'] / 1e3:,.1f}",
        ]
        for row in rows
    ]
    print_table(
        console,
        "Sparsity, per frame (cycles in thousands; speed-up = dense / sparse cycles; "
        "ideal = 1 / (d_IF x d_FL); min-d = 1 / min(d_IF, d_FL); imbalance = cycles "
        "lost to the slowest lane and PE)",
        [
            *_columns("layer", left=True),
            *_columns("d_IF", "d_FL", group=1),
            *_columns("dense", "sparse", "speed-up", group=2),
            *_columns("ideal", "min-d", group=1),
            *_columns("imbalance", group=2),
        ],
        cells,
    )


def _render_ops(ops: list[dict], console: Console) -> None:
    """The ops that did not run on the engine: one row per CPU op, one line per kind of
    fused or free op."""
    host = [op for op in ops if op["unit"] == "cpu"]
    if host:
        cells = [
            [
                op["op"],
                op["op_type"] or op["kind"],
                _us(op["elapsed_ps"]),
                format_bytes(op["read_bytes"] + op["write_bytes"]),
                op["reason"],
            ]
            for op in host
        ]
        print_table(
            console,
            "Ops on the host CPU, per frame (times in us; traffic read + written)",
            [
                *_columns("op", left=True),
                *_columns("type", left=True, group=1),
                *_columns("time", "traffic", group=1),
                *_columns("why", left=True, group=2),
            ],
            cells,
        )
    groups: dict[tuple[str, str], list[str]] = {}
    for op in ops:
        if op["unit"] in ("fused", "free"):
            where = "engine drains" if "drain" in op["reason"] else "CPU passes"
            key = (op["unit"], where if op["unit"] == "fused" else "")
            groups.setdefault(key, []).append(op["op_type"] or op["kind"])
    for (unit, where), kinds in sorted(groups.items()):
        counted = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
        if unit == "fused":
            console.print(f"fused into {where} (no pass of their own): {escape(counted)}")
        else:
            console.print(f"free (a change of shape, no data moved): {escape(counted)}")


def _render_pipelines(pipelines: dict, console: Console) -> None:
    def ms(ps: float) -> str:
        return f"{ps / 1e9:,.3f}"

    cells = [
        [
            name,
            f"{row['frames']}",
            ms(row["latency_ps"]["p50"]) if row["frames"] else "-",
            ms(row["latency_ps"]["p99"]) if row["frames"] else "-",
            ms(row["latency_ps"]["max"]) if row["frames"] else "-",
            "-" if row["deadline_ps"] is None else f"{row['deadline_misses']}",
            "-" if row["achieved_fps"] is None else f"{row['achieved_fps']:,.2f}",
            _uj(row["energy_per_frame_pj"]),
            f"{row['average_power_w'] * 1e3:,.2f}",
        ]
        for name, row in pipelines.items()
    ]
    print_table(
        console,
        "Pipelines (frame latency in ms; misses of the deadline; frames per second "
        "achieved; energy per frame in uJ; average power in mW)",
        [
            *_columns("pipeline", left=True),
            *_columns("frames", "p50", "p99", "max", group=1),
            *_columns("misses", "fps", group=2),
            *_columns("energy", "power", group=2),
        ],
        cells,
    )


_DIRECTIONS = (("read", "read"), ("write", "write"), ("write_data", "written"))
"""A master's DRAM latency parts (summary.json keys) and their names in the table."""


def dram_direction_rows(latency: dict[str, dict]) -> list[list[str]]:
    """Per master, one row per part of its DRAM latency it has (reads, writes, writes'
    data written): master, part, count, mean, p50, p99 and max in ns."""
    rows = []
    for master, stats in latency.items():
        for key, name in _DIRECTIONS:
            part = stats.get(key)
            if part:
                ns = (f"{part[k] / 1e3:,.1f}" for k in ("mean", "p50", "p99", "max"))
                rows.append([master, name, f"{part['count']:,}", *ns])
    return rows


def _render_dram_directions(latency: dict[str, dict], console: Console) -> None:
    rows = dram_direction_rows(latency)
    if not rows:  # a summary written before reads and writes were reported apart
        return
    print_table(
        console,
        "DRAM latency in ns, reads and writes apart (from arrival at the DRAM; write: to "
        "its completion, its acceptance if writes are posted; written: to its data "
        "written to the DRAM)",
        [
            *_columns("master", left=True),
            *_columns("kind", left=True, group=1),
            *_columns("count", "mean ns", "p50 ns", "p99 ns", "max ns", group=1),
        ],
        rows,
    )


_STOP_CAUSES = {"max_sim": "--max-sim", "max_wall": "--max-wall"}


def incomplete_line(summary: dict) -> str | None:
    """One line saying that a run stopped before its end, and where; None if it ran to
    its end (summaries without `complete` are of complete runs)."""
    stopped = summary.get("stopped")
    if summary.get("complete", True) or not isinstance(stopped, dict):
        return None
    cause = _STOP_CAUSES.get(stopped["reason"], stopped["reason"])
    return (
        f"INCOMPLETE: stopped by {cause} at {format_time_ps(stopped['at_ps'])} simulated; "
        "the figures cover only that"
    )


def render_summary(summary: dict, console: Console) -> None:
    """Print latency, per-layer phases, DRAM traffic and energy."""
    frames = summary["frames"]
    head = f"[bold]{escape(summary['scenario'])}[/bold]: {len(frames)} frame(s) in "
    head += format_time_ps(summary["total_ps"])
    if frames:
        mean = sum(f["latency_ps"] for f in frames) / len(frames)
        head += f", mean frame latency {format_time_ps(mean)}"
    head += f", deadline misses {summary['deadline_misses']}"
    console.print(head)
    incomplete = incomplete_line(summary)
    if incomplete:
        console.print(f"[bold red]{incomplete}[/bold red]", soft_wrap=True)
    if summary.get("pipelines"):
        _render_pipelines(summary["pipelines"], console)

    layer_energy = summary["energy"]["by_layer"]
    cells = [
        [
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
        ]
        for row in summary["layers"]
    ]
    # split in two when narrow: what the layer is and costs, and where its time goes
    print_table(
        console,
        "Layers, per frame (times in us; stall = compute waiting, by its dominant cause; "
        "energy in uJ: the engine's and DMA's, and their requests' elsewhere)",
        [
            *_columns("layer", left=True),
            *_columns("op", "dataflow", left=True, group=1),
            *_columns("MACs", group=1),
            *_columns("time", "load", "compute", "drain", "stall", group=2),
            *_columns("bound", left=True, group=2),
            *_columns("util", "energy", group=1),
        ],
        cells,
    )
    if any(row["if_density"] < 1 or row["fl_density"] < 1 for row in summary["layers"]):
        _render_sparsity(summary["layers"], console)
    _render_ops(summary.get("ops", []), console)
    for note in summary.get("notes", []):
        console.print(f"note: {escape(note)}")

    dram = summary["dram"]
    timeline = dram["bandwidth_over_time"]
    traffic = []
    for master, row in dram["by_master"].items():
        lat = dram["latency_ps"].get(master)
        peak = max(timeline["bytes_per_s"].get(master) or [0.0])
        traffic.append(
            [
                master,
                format_bytes(row.get("dram_read_byte", 0)),
                format_bytes(row.get("dram_write_byte", 0)),
                f"{row['bandwidth_bytes_per_s'] / 1e9:.3f}",
                f"{peak / 1e9:.3f}",
                *((f"{lat[k] / 1e3:,.1f}" for k in ("mean", "p99", "max")) if lat else ("",) * 3),
            ]
        )
    traffic.append(
        [
            "total",
            format_bytes(dram["read_bytes"]),
            format_bytes(dram["write_bytes"]),
            f"{dram['bandwidth_bytes_per_s'] / 1e9:.3f}",
            *("",) * 4,
        ]
    )
    print_table(
        console,
        "DRAM traffic (latency from arrival at the DRAM to completion; peak over "
        f"{dram['bandwidth_over_time']['window_ps'] / 1e6:g} µs windows)",
        [
            *_columns("master", left=True),
            *_columns("read", "written", "GB/s", "peak GB/s", group=1),
            *_columns("mean ns", "p99 ns", "max ns", group=2),
        ],
        traffic,
    )
    _render_dram_directions(dram["latency_ps"], console)
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
    cells = [
        [
            name,
            _uj(row["dynamic_pj"]),
            _uj(row["static_pj"]),
            _uj(row["total_pj"]),
            f"{100 * row['total_pj'] / total:.1f}%" if total else "-",
        ]
        for name, row in energy["by_component"].items()
    ]
    cells.append(["total", "", "", _uj(total), "100%"])
    print_table(
        console,
        f"Energy in uJ ({energy['table']})",
        [*_columns("component", left=True), *_columns("dynamic", "static", "total", "share")],
        cells,
    )

    sram = summary["sram"]
    console.print(
        f"MACs performed {summary['macs']['executed']:,}, skipped {summary['macs']['gated']:,}, "
        f"dense {summary['macs']['expected']:,}; "
        f"SRAM bank conflicts {sram['bank_conflicts']:,} ({sram['conflict_cycles']:,} cycles); "
        f"DMA requests {summary['dma']['requests']:,}"
    )
