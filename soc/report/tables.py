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
from rich._ratio import ratio_reduce
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
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


class _PlainTable(Table):
    """The rich `Table` of `_build`: a SIMPLE_HEAD box, no padding at its edges, plain
    text cells. Rich lays out a table cell by cell (measure, pad, wrap, crop, shape),
    about 0.1 s for `soc map`'s 54 x 8 (start-up time, issue 10); when every cell is
    plain (`_plain`), its body lines are laid out here instead, as strings, with rich's
    rules for column widths and `Text.wrap` for a cell wider than its column. Rich
    still lays out the header and the top edge (in their styles). The lines are the
    bytes rich prints (tests/unit/report/test_tables_layout.py)."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
        super().__init__(box=box.SIMPLE_HEAD, pad_edge=False)
        self._spec = list(columns)
        self._text = [list(row) for row in rows]
        for column in columns:
            self.add_column(column.header, justify=column.justify, overflow="fold")
        for row in rows:
            self.add_row(*(Text(cell) for cell in row))  # names are data, never markup

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        content = self._content_here(console, options)
        if content is None:
            yield from super().__rich_console__(console, options)
            return
        last = len(content) - 1
        header = Table(box=self.box, pad_edge=False)
        for column, width in zip(self._spec, content, strict=True):
            header.add_column(column.header, justify=column.justify, overflow="fold", width=width)
        # the header table's lines but its bottom edge: top edge, header, rule (all of
        # them, as rich's table renders with no height limit)
        unbounded = options.update(height=None)
        yield from (
            seg
            for line in console.render_lines(header, unbounded, pad=False, new_lines=True)[:-1]
            for seg in line
        )
        edges = self.box.substitute(options, safe=console.safe_box)
        for index, row in enumerate(self._text):
            final = index == len(self._text) - 1
            left, divider, right = (
                (edges.foot_left, edges.foot_vertical, edges.foot_right)
                if final
                else (edges.mid_left, edges.mid_vertical, edges.mid_right)
            )
            cells = [
                _cell_lines(console, text, content[n], self._spec[n].justify)
                for n, text in enumerate(row)
            ]
            for line in range(max(len(lines) for lines in cells)):
                parts = (
                    " " * (n > 0)
                    + (lines[line] if line < len(lines) else " " * content[n])
                    + " " * (n < last)
                    for n, lines in enumerate(cells)
                )
                # the body has no style: a line as one segment prints as rich's per-cell ones
                yield Segment(left + divider.join(parts) + right)
                yield Segment.line()
        widths = [w + (n > 0) + (n < last) for n, w in enumerate(content)]
        yield Segment(edges.get_bottom(widths))
        yield Segment.line()

    def _content_here(self, console: Console, options: ConsoleOptions) -> list[int] | None:
        """Columns' widths without padding if this table is laid out here, else None:
        every cell plain, every column at least one cell wide. Rich's rules (its
        `Table._calculate_column_widths` for these settings): a column is as wide as its
        widest cell, padding included; if the table is wider than the console, the
        widest columns shrink to the next widest in turn, then all evenly."""
        if not (self._spec and all(_plain(cell) for row in self._text for cell in row)):
            return None
        last = len(self._spec) - 1
        pads = [(n > 0) + (n < last) for n in range(last + 1)]
        content = _content_widths(self._spec, self._text, console)
        natural = [w + pads[n] for n, w in enumerate(content)]
        room = options.max_width - self._extra_width
        if room < 1:
            return None
        widths = [min(w, room) for w in natural]
        if sum(widths) > room:  # rich's own functions (private), pinned by the test
            widths = self._collapse_widths(widths, [True] * len(widths), room)
            if sum(widths) > room:
                widths = ratio_reduce(sum(widths) - room, [1] * len(widths), widths, widths)
            widths = [min(w, natural[n]) for n, w in enumerate(widths)]
        content = [w - pads[n] for n, w in enumerate(widths)]
        return content if min(content) > 0 else None


def _cell_lines(console: Console, text: str, width: int, justify: str) -> list[str]:
    """A plain cell's lines in a column `width` wide: justified, or as `Text.wrap`
    wraps it at spaces and folds it when it is wider."""
    pad = width - cell_len(text)
    if pad >= 0:
        return [text + " " * pad if justify == "left" else " " * pad + text]
    wrapped = Text(text).wrap(console, width, justify=justify, overflow="fold")
    return [line.plain + " " * (width - cell_len(line.plain)) for line in wrapped]


def _build(columns: Sequence[Column], rows: Sequence[Sequence[str]], keep: list[int]) -> Table:
    return _PlainTable([columns[i] for i in keep], [[row[i] for i in keep] for row in rows])


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
