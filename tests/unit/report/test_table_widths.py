"""`print_table` measures a plain cell as `rich.cells.cell_len` instead of building and
measuring a `Text`: the width must be the one rich's `Measurement` gives, for cells that
mix wide, combining and non-printing characters, markup-like brackets and spaces."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.measure import Measurement
from rich.text import Text

from soc.report.tables import _cell_width

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
cells = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(cells)
def test_a_cell_is_as_wide_as_rich_measures_it(cell):
    console = Console(width=80, legacy_windows=False)
    options = console.options.update(width=1_000_000)
    expected = Measurement.get(console, options, Text(cell)).maximum
    assert _cell_width(cell, console, options) == expected


def test_hand_counted_widths():
    console = Console(width=80, legacy_windows=False)
    options = console.options.update(width=1_000_000)
    # two columns per CJK character and emoji, none for a combining accent
    for cell, width in [("conv1", 5), ("日本", 4), ("😀 x", 4), ("e\u0301", 1), ("", 0)]:
        assert _cell_width(cell, console, options) == width
