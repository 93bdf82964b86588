"""Tables fit the console: split by column groups, never cut."""

import io

from rich.console import Console

from soc.report.tables import Column, print_table

COLUMNS = [
    Column("layer", "left"),
    Column("op", "left", group=1),
    Column("MACs", group=1),
    Column("time", group=2),
    Column("load", group=2),
    Column("compute", group=2),
]
ROWS = [
    ["backbone.layer1.0.conv1", "conv", "115,605,504", "1,480.31", "203.23", "49.63"],
    ["fc", "fc", "16,777,216", "57.48", "19.82", "6.30"],
    ["total", "", "132,382,720", "", "", ""],
]


def _render(width: int, columns=COLUMNS, rows=ROWS, title="Layers") -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    print_table(console, title, columns, rows)
    return console.export_text().splitlines()


def _header_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.lstrip().startswith("layer")]


def test_a_wide_console_shows_one_table():
    lines = _render(200)
    assert lines[0] == "Layers"
    (header,) = _header_lines(lines)
    assert header.split() == ["layer", "op", "MACs", "time", "load", "compute"]


def test_a_narrow_console_splits_by_group_and_repeats_the_key():
    lines = _render(60)
    assert all(len(line) <= 60 for line in lines)
    headers = [line.split() for line in _header_lines(lines)]
    assert headers == [["layer", "op", "MACs"], ["layer", "time", "load", "compute"]]
    text = "\n".join(lines)
    assert "…" not in text
    for row in ROWS:
        for cell in row:
            assert cell in text
    # the total has no times: it is left out of the timing part only
    assert sum(line.split()[0] == "total" for line in lines if line.strip()) == 1


def test_a_group_wider_than_the_console_is_packed_greedily():
    lines = _render(44)
    assert all(len(line) <= 44 for line in lines)
    headers = [line.split() for line in _header_lines(lines)]
    assert [h[0] for h in headers] == ["layer"] * len(headers)
    assert sorted(c for h in headers for c in h[1:]) == sorted(
        ["op", "MACs", "time", "load", "compute"]
    )
    assert len(headers) > 2
    assert "…" not in "\n".join(lines)


def test_long_text_wraps_at_spaces_and_titles_wrap_at_the_console():
    nest = "DRAM[P56] SRAM[K2 C3 R2] rows[K16] cols[Q16] RF[K2 P2 Q7 R4] lanes[S7]"
    title = "Per-layer dataflow " * 6
    lines = _render(40, [Column("layer", "left"), Column("nest", "left")], [["conv1", nest]], title)
    assert all(len(line) <= 40 for line in lines)
    text = "\n".join(lines)
    assert "…" not in text
    for word in nest.split():  # every loop level is printed whole: names are not markup
        assert word in text
    assert " ".join(text.split()).count("Per-layer dataflow") == 6


def _rendered_width(columns, rows) -> int:
    """Cells of the widest line of the table as rich prints it on a very wide console."""
    from rich.cells import cell_len

    from soc.report.tables import _build

    console = Console(width=500, record=True, file=io.StringIO())
    console.print(_build(columns, rows, list(range(len(columns)))))
    return max(cell_len(line) for line in console.export_text().splitlines())


def test_the_width_worked_out_for_a_split_is_the_printed_width():
    """`fits` does not build tables: its arithmetic must match what rich prints, for
    headers rich reads as markup, multi-line and double-width cells, empty columns."""
    from soc.report.tables import _content_widths, _natural_width

    columns = [Column("layer", "left"), Column("a"), Column("[b]x"), Column(""), Column("nest")]
    rows = [["conv1", "12", "", "日本", "a b"], ["fc\nlonger", "", "3", "", ""]]
    console = Console(width=500, file=io.StringIO())
    content = _content_widths(columns, rows, console)
    assert content == [6, 2, 1, 4, 4]  # "longer", "12", "x" / "3", two wide chars, "nest"
    for keep in ([0], [0, 1], [0, 2, 3], [0, 1, 2, 3, 4], [3], [1, 4]):
        picked = [columns[i] for i in keep]
        shown = [[row[i] for i in keep] for row in rows]
        assert _natural_width(content, keep) == _rendered_width(picked, shown), keep
    # by hand: an edge each side, one separator, "layer"/"conv1" padded on its inner
    # side only, "longer" 6 + 1, "12" 1 + 2
    assert _natural_width(content, [0, 1]) == 1 + 7 + 1 + 3 + 1
