"""The quickstart summary as people and machines read it: 80 columns, nothing cut, and
a summary.json that its documented schema describes completely."""

import csv
import io
import json
import os

import pytest
from rich.console import Console

from soc.config import load_scenario
from soc.flexnn.mapper import FIXED
from soc.report import Summary, render_mapping, render_summary
from soc.runner import map_workload, run_scenario, summary_rows

from .conftest import QUICKSTART, ROOT, soc


def _lines(render, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    render(console)
    return console.export_text().splitlines()


def test_summary_json_is_fully_documented_by_the_schema(summary):
    """extra="forbid" everywhere: a field added to the summary without a description in
    soc.report.schema fails here."""
    Summary.model_validate(summary)


@pytest.mark.parametrize("width", [80, 60])
def test_summary_fits_the_console_and_cuts_nothing(summary, width):
    lines = _lines(lambda console: render_summary(summary, console), width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "…" not in text
    cells = {cell for line in lines for cell in line.split()}
    for row in summary["layers"]:
        assert row["layer"] in cells
        assert f"{row['macs']:,}" in cells
        assert f"{row['elapsed_ps'] / 1e6:,.2f}" in cells
    for name, row in summary["energy"]["by_component"].items():
        assert name in cells
        assert f"{row['total_pj'] / 1e6:,.3f}" in cells


def test_a_wide_console_shows_the_layer_table_whole(summary):
    lines = _lines(lambda console: render_summary(summary, console), 200)
    assert any(line.split()[:4] == ["layer", "op", "dataflow", "MACs"] for line in lines)
    assert any("compute" in line.split() and "energy" in line.split() for line in lines)


def test_map_table_fits_80_columns():
    config = load_scenario(QUICKSTART)
    rows, totals = summary_rows(map_workload(config))
    lines = _lines(lambda console: render_mapping(rows, totals, "edp", FIXED, console), 80)
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "…" not in text
    for row in rows:
        for word in row["dataflow"].split():  # loop nests wrap at spaces, whole
            assert word in text
        assert f"{row['energy_pj'] / 1e6:.2f}" in text


FAST = ("--set", "run.plots=false", "--set", "run.chrome_trace=false")
FAST += ("--set", "run.native_trace=false")


def test_format_json_prints_summary_json_and_nothing_else(tmp_path):
    out = tmp_path / "json"
    result = soc("run", str(QUICKSTART), *FAST, "--out", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((out / "summary.json").read_text())
    assert result.stdout == (out / "summary.json").read_text()
    assert f"run folder: {out}" in result.stderr


def test_format_csv_prints_one_row_per_layer(tmp_path):
    out = tmp_path / "csv"
    result = soc("run", str(QUICKSTART), *FAST, "--out", str(out), "--format", "csv")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["layer"] for row in rows] == [layer["layer"] for layer in summary["layers"]]
    assert list(rows[0])[:3] == ["layer", "op", "dataflow"]
    for name in ("macs", "elapsed_ps", "stall_dma_bound_ps", "energy_total_pj"):
        assert name in rows[0]
    assert [int(row["elapsed_ps"]) for row in rows] == [
        layer["elapsed_ps"] for layer in summary["layers"]
    ]
    assert "run folder" in result.stderr


@pytest.mark.parametrize("columns", [None, "200"])
def test_piped_tables_are_80_columns_unless_columns_says_otherwise(tmp_path, columns):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    result = soc("run", str(QUICKSTART), *FAST, "--out", str(tmp_path / "p"), env=env)
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()[:-1]  # the last line, the run folder, is not wrapped
    assert max(len(line) for line in table) <= int(columns or 80)
    assert "…" not in result.stdout
    one_layer_table = any({"MACs", "compute"} <= set(line.split()) for line in table)
    assert one_layer_table == bool(columns)


def test_an_unknown_format_is_one_line(tmp_path):
    result = soc("run", str(QUICKSTART), "--out", str(tmp_path / "x"), "--format", "xml")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "'xml' is not one of 'table', 'json', 'csv'" in line
    assert not (tmp_path / "x").exists()


def test_soc_schema_prints_the_committed_schema():
    result = soc("schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "docs" / "summary.schema.json").read_text()


def _parts_add_up(latency: dict) -> None:
    """Each master's reads and writes are its requests: counts, extremes and sums."""
    for master, stats in latency.items():
        parts = [stats[k] for k in ("read", "write") if k in stats]
        assert sum(p["count"] for p in parts) == stats["count"], master
        assert max(p["max"] for p in parts) == stats["max"], master
        total = sum(p["mean"] * p["count"] for p in parts)
        assert total == pytest.approx(stats["mean"] * stats["count"], rel=1e-12), master


def test_reads_and_writes_apart_add_up_to_the_mixed_figures(summary):
    dram = summary["dram"]
    cpu = dram["latency_ps"]["cpu"]  # the CPU reads and writes its buffers
    assert cpu["read"]["count"] > 0 and cpu["write"]["count"] > 0
    for name in ("latency_ps", "service_latency_ps"):
        _parts_add_up(dram[name])
    # the simple DRAM's write completes when written: nothing sampled apart
    assert not any("write_data" in stats for stats in dram["latency_ps"].values())


def test_posted_writes_report_their_data_written_apart(tmp_path):
    config = load_scenario(
        ROOT / "tests" / "integration" / "data" / "knobs.yaml",
        overrides=["soc.dram.fidelity=banked", "soc.dram.banked.posted_writes=true"],
    )
    dram = run_scenario(config, tmp_path / "posted").summary["dram"]
    for name in ("latency_ps", "service_latency_ps"):
        _parts_add_up(dram[name])
    for master, service in dram["service_latency_ps"].items():
        if "write" not in service:
            continue
        # posted: done when the controller takes it, so nothing from there on
        assert service["write"]["max"] == 0, master
        written = service["write_data"]
        # at least the write's CWL and its burst (14 + 8 cycles at 1.2 GHz) after that;
        # a write taken but not yet written when the run ends is not counted
        assert written["p50"] >= 22 / 1.2e9 * 1e12 - 1, master
        assert 0 < written["count"] <= service["write"]["count"], master
