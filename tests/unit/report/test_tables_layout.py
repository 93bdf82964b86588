"""`print_table`'s own layout of a table prints the bytes rich's Table prints.

The reference is rich itself: a `rich.table.Table` built as `soc.report.tables` built it
before it laid out rows itself (SIMPLE_HEAD box, no padding at the edges, every cell a
`Text`, columns folding), printed on the same console. Consoles are terminals (bold
headers in escape codes) or not, UTF-8 or ASCII-only (another box), of any width; cells
mix wide, combining and non-printing characters, markup-like brackets and spaces."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from soc.report.tables import Column, _build, _cell_width, _PlainTable

# pieces of cell text: plain words and numbers, markup-like brackets, double-width
# (CJK, emoji), zero-width (combining accent, variation selector, joiner) and
# characters rich strips, expands or breaks lines at (escape, tab, newline, NEL)
PIECES = [
    "conv1",
    "12.5%",
    "5,340.8",
    "-",
    " ",
    "  ",
    "DRAM[P56]",
    "[b]x[/b]",
    ":smile:",
    "日本",
    "😀",
    "e\u0301",
    "\u2764\ufe0f",
    "👍\u200d",
    "\x1b",
    "\t",
    "\n",
    "\x85",
    "\u00a0",
]
HEADERS = ["layer", "energy uJ", "is", "", "[b]x", "日本語", "a b c", "flexible dataflow"]

cells = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)
# cells laid out here: printable, no space at either end; words that wrap, long words
# that fold, wide characters that do not fit the last cell of a line, a variation
# selector (rich counts it with the character before)
plain_cells = st.lists(
    st.sampled_from(
        [
            "conv1",
            "12.5%",
            "-",
            "DRAM[P56]",
            "日本",
            "😀",
            "e\u0301",
            "\u2764\ufe0f",
            "RF[K2P2Q7R4]lanes",
        ]
    ),
    max_size=4,
).map(" ".join)


class _AsciiFile(io.StringIO):
    encoding = "ascii"  # rich then draws an ASCII box


def _console(width: int, terminal: bool, ascii_only: bool = False) -> Console:
    file = _AsciiFile() if ascii_only else io.StringIO()
    return Console(
        file=file,
        width=width,
        force_terminal=terminal,
        color_system="standard" if terminal else None,
        legacy_windows=False,
    )


def _rich_table(columns: list[Column], rows: list[list[str]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(column.header, justify=column.justify, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


@st.composite
def tables(draw, cell=cells):
    n = draw(st.integers(1, 5))
    columns = [
        Column(draw(st.sampled_from(HEADERS)), draw(st.sampled_from(["left", "right"])))
        for _ in range(n)
    ]
    rows = draw(st.lists(st.lists(cell, min_size=n, max_size=n), max_size=6))
    return columns, rows


def _printed(table: Table, width: int, terminal: bool, ascii_only: bool) -> str:
    console = _console(width, terminal, ascii_only)
    console.print(table)
    return console.file.getvalue()


def _same_as_rich(columns, rows, width, terminal, ascii_only=False) -> bool:
    """Whether the table was laid out here (not handed to rich); asserts the bytes."""
    table = _build(columns, rows, list(range(len(columns))))
    expected = _printed(_rich_table(columns, rows), width, terminal, ascii_only)
    assert _printed(table, width, terminal, ascii_only) == expected
    console = _console(width, terminal, ascii_only)
    return table._content_here(console, console.options) is not None


@settings(max_examples=150, deadline=None)
@given(tables(), st.integers(1, 90), st.booleans(), st.booleans())
def test_any_table_prints_as_rich_prints_it(table, width, terminal, ascii_only):
    columns, rows = table
    _same_as_rich(columns, rows, width, terminal, ascii_only)


@settings(max_examples=200, deadline=None)
@given(tables(plain_cells), st.integers(1, 100), st.booleans())
def test_plain_tables_laid_out_here_print_as_rich_prints_them(table, width, terminal):
    columns, rows = table
    _same_as_rich(columns, rows, width, terminal)


def test_the_layout_here_is_taken_where_the_cells_are_plain():
    """Guards the tests above: they compare this module's layout, not rich with rich."""
    columns = [Column("layer", "left"), Column("energy uJ"), Column("nest", "left")]
    rows = [
        ["conv1", "192.28", "DRAM[P56] SRAM[K2 C3]"],
        ["日本 😀", "1.0", ""],
        ["e\u0301", "", "-"],
    ]
    for terminal in (False, True):
        assert _same_as_rich(columns, rows, 60, terminal)  # fits
        assert _same_as_rich(columns, rows, 30, terminal)  # "nest" wraps
        assert _same_as_rich(columns, rows, 22, terminal)  # every column shrinks
    assert not _same_as_rich(columns, [["a\tb", "1", "x"]], 60, False)  # a tab: rich's
    assert _same_as_rich(columns, [], 60, True)  # the header alone
    printed = []
    for table in (_build(columns, rows, [0, 1, 2]), _rich_table(columns, rows)):
        console = _console(60, True)
        console.print(table, height=2)  # a table is never cut to a height
        printed.append(console.file.getvalue())
    assert printed[0] == printed[1]


@settings(max_examples=200, deadline=None)
@given(cells)
def test_a_cell_is_as_wide_as_rich_measures_it(cell):
    console = _console(80, False)
    options = console.options.update(width=1_000_000)
    assert (
        _cell_width(cell, console, options) == Measurement.get(console, options, Text(cell)).maximum
    )


def test_the_table_is_still_a_rich_table_with_its_cells():
    """The HTML report reads the columns and cells of the tables printed to it."""
    table = _build([Column("a", "left"), Column("b")], [["x", "1"], ["y", "2"]], [1])
    assert isinstance(table, _PlainTable) and isinstance(table, Table)
    assert [c.header for c in table.columns] == ["b"]
    assert [cell.plain for cell in table.columns[0].cells] == ["1", "2"]
