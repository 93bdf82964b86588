"""Tables that fit the console: one table when it is wide enough, else split by columns.

A table is described as data (columns and rows of already-formatted cells) and printed
by `print_table`. Nothing is ever cut: a table wider than the console is split into
several tables that repeat the key column(s) (first by the columns' groups, then as many
columns as fit), and a cell that still does not fit wraps at spaces or folds. The title
is printed as a line of its own, so it wraps at the console's width, not the table's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

_UNLIMITED = 1_000_000


@dataclass(frozen=True)
class Column:
    """One column: its header, how its cells align, and the group it is split with."""

    header: str
    justify: Literal["left", "right"] = "right"
    group: int = 0


def _plain(cell: str) -> bool:
    """A cell whose width is its `cell_len` and whose lines are `Text.wrap`'s alone: no
    control or other non-printing characters (rich strips or expands them, or breaks
    lines at them), no space at either end (rich strips it when justifying)."""
    return cell.isprintable() and cell.strip(" ") == cell


def _cell_width(cell: str, console: Console, options: ConsoleOptions) -> int:
    """The widest line of `cell` as `Text(cell)` in rich's measurement."""
    if _plain(cell):
        return cell_len(cell)  # what Measurement gives, without building the Text
    return Measurement.get(console, options, Text(cell)).maximum


def _content_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], console: Console
) -> list[int]:
    """Each column's width without padding when nothing wraps: its widest cell or header,
    measured as `_build` hands them to rich (cells as Text, headers as strings)."""
    options = console.options.update(width=_UNLIMITED)
    return [
        max(
            [
                Measurement.get(console, options, column.header).maximum,
                *(_cell_width(row[i], console, options) for row in rows),
            ]
        )
        for i, column in enumerate(columns)
    ]


def _build(columns: Sequence[Column], rows: Sequence[Sequence[str]], keep: list[int]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i in keep:
        table.add_column(columns[i].header, justify=columns[i].justify, overflow="fold")
    for row in rows:
        table.add_row(*(Text(row[i]) for i in keep))  # names are data, never markup
    return table


def _natural_width(content: list[int], keep: list[int]) -> int:
    """Columns `_build`'s table of the `keep` columns takes when nothing wraps: rich's
    layout of a SIMPLE_HEAD box (an edge each side, a separator between columns) and
    cells padded by 1 each side except at the table's edges (pad_edge=False). Worked
    out from the columns' widths, not by building and measuring the table (start-up
    time of `soc map`: the split tries many column sets, issue 10)."""
    last = len(keep) - 1
    return 2 + last + sum(content[i] + 2 - (n == 0) - (n == last) for n, i in enumerate(keep))


def _parts(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], key: int, console: Console
) -> list[list[int]]:
    """Column indexes of each table: all in one if it fits, else one table per group,
    and a group too wide for the console packed greedily into several."""
    keys = list(range(key))
    rest = list(range(key, len(columns)))
    content = _content_widths(columns, rows, console)

    def fits(keep: list[int]) -> bool:
        return _natural_width(content, keys + keep) <= console.width

    if fits(rest):
        return [rest]
    parts: list[list[int]] = []
    for group in dict.fromkeys(columns[i].group for i in rest):
        current: list[int] = []
        for i in (i for i in rest if columns[i].group == group):
            if current and not fits([*current, i]):
                parts.append(current)
                current = []
            current.append(i)
        parts.append(current)
    return parts


def print_table(
    console: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    key: int = 1,
) -> None:
    """Print `rows` under `title`, split into tables that fit `console.width`; the
    first `key` columns name the row and are repeated in every part. A row whose
    cells in a part are all empty (a total without latencies) is left out there."""
    console.print(Text(title))
    keys = list(range(key))
    parts = _parts(columns, rows, key, console)
    for keep in parts:
        shown = [row for row in rows if len(parts) == 1 or any(row[i] for i in keep)]
        console.print(_build(columns, shown, keys + keep))
