"""The summary table of DRAM latencies per master, reads and writes apart."""

import io

from rich.console import Console

from soc.report.summary import _render_dram_directions, dram_direction_rows

LATENCY = {
    "cpu": {
        "count": 3,
        "mean": 40_000.0,
        "p50": 30_000,
        "p99": 60_000,
        "max": 60_000,
        "read": {"count": 2, "mean": 45_000.0, "p50": 30_000, "p99": 60_000, "max": 60_000},
        "write": {"count": 1, "mean": 30_000.0, "p50": 30_000, "p99": 30_000, "max": 30_000},
        "write_data": {
            "count": 1,
            "mean": 1_234_560.0,
            "p50": 1_234_560,
            "p99": 1_234_560,
            "max": 1_234_560,
        },
    },
    "display": {
        "count": 1,
        "mean": 5_000.0,
        "p50": 5_000,
        "p99": 5_000,
        "max": 5_000,
        "read": {"count": 1, "mean": 5_000.0, "p50": 5_000, "p99": 5_000, "max": 5_000},
    },
}


def test_one_row_per_part_a_master_has_in_ns():
    assert dram_direction_rows(LATENCY) == [
        ["cpu", "read", "2", "45.0", "30.0", "60.0", "60.0"],
        ["cpu", "write", "1", "30.0", "30.0", "30.0", "30.0"],
        ["cpu", "written", "1", "1,234.6", "1,234.6", "1,234.6", "1,234.6"],
        ["display", "read", "1", "5.0", "5.0", "5.0", "5.0"],
    ]


def test_the_table_fits_80_columns_and_a_summary_without_parts_prints_none():
    out = io.StringIO()
    console = Console(width=80, file=out, record=True)
    _render_dram_directions(LATENCY, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert ["cpu", "written", "1", "1,234.6", "1,234.6", "1,234.6", "1,234.6"] in [
        line.split() for line in lines
    ]
    older = {m: {k: v for k, v in s.items() if k in ("count", "mean")} for m, s in LATENCY.items()}
    quiet = Console(width=80, file=io.StringIO(), record=True)
    _render_dram_directions(older, quiet)
    assert quiet.export_text() == ""
