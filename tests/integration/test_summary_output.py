"""The quickstart summary as people and machines read it: 80 columns, nothing cut, and
a summary.json that its documented schema describes completely."""

import io

import pytest
from rich.console import Console

from soc.config import load_scenario
from soc.flexnn.mapper import FIXED
from soc.report import Summary, render_mapping, render_summary
from soc.runner import map_workload, summary_rows

from .conftest import QUICKSTART


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
