"""A self-contained HTML document: sections with anchors, a table of contents, tables,
and PNG figures embedded as base64 data URIs. Nothing in it is fetched: no script,
stylesheet, font or image from anywhere else, so the file works offline and alone.

`Document` collects sections in order and renders them; the helpers turn data into
escaped HTML fragments. The rich tables that `soc run` prints are turned into HTML
tables by `console_html`, which runs the printing function on a recording console.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

GENERATOR = "flexsoc soc report"
"""The `generator` meta tag of every report: how `soc report --overwrite` recognises a
file of its own."""
TOC_MIN_SECTIONS = 4

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;
color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}p.caption{margin-bottom:0;font-weight:600}
p.note{color:#666;font-style:italic}img{max-width:100%;height:auto;display:block}
nav ul{columns:2}code,pre{font-size:.9em}
svg text{font-family:system-ui,sans-serif;font-size:11px}
svg circle.front{fill:#d62728}svg circle.other{fill:#1f77b4;opacity:.6}
svg circle:hover{stroke:#000;stroke-width:2}
""".strip()


def esc(value: object) -> str:
    """`value` as text, escaped for HTML content and attributes."""
    return html.escape(str(value), quote=True)


def slug(title: str) -> str:
    """An anchor id from a title: lower case, runs of other characters as one dash."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def note(text: str) -> str:
    """A one-line note: why a section shows nothing."""
    return f'<p class="note">{esc(text)}</p>'


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s*[%x]?", cell.strip()))


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    caption: str = "",
    row_attrs: Sequence[str] | None = None,
    right: Sequence[bool] | None = None,
) -> str:
    """An HTML table of text cells. A column aligns right when `right` says so, else
    a cell aligns right when it is a number. `row_attrs` adds attribute text to each
    row's <tr> (already escaped)."""
    out = [f'<p class="caption">{esc(caption)}</p>'] if caption else []
    out.append("<table><thead><tr>")
    out += [
        f'<th class="n">{esc(h)}</th>' if right and right[i] else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    ]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        attrs = f" {row_attrs[k]}" if row_attrs else ""
        cells = "".join(
            f'<td class="n">{esc(c)}</td>'
            if (right[i] if right else _numeric(str(c)))
            else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr{attrs}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def image(png_bytes: bytes, alt: str) -> str:
    """A PNG embedded as a data URI."""
    data = base64.b64encode(png_bytes).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def figure_or_note(png_bytes: bytes | None, alt: str, missing: str) -> str:
    """The figure, or a one-line note saying why there is none."""
    return image(png_bytes, alt) if png_bytes else note(missing)


class _HtmlConsole(Console):
    """A console that keeps what is printed as HTML: rich tables as HTML tables (their
    cells as plain text), everything else as a paragraph of its plain text."""

    def __init__(self) -> None:
        # wide enough that `print_table` never splits a table
        super().__init__(file=io.StringIO(), width=100_000, color_system=None)
        self.parts: list[str] = []

    def print(self, *objects: object, **_: object) -> None:  # type: ignore[override]
        for item in objects:
            if isinstance(item, Table):
                headers = [str(column.header) for column in item.columns]
                cells = [[_plain(c) for c in column.cells] for column in item.columns]
                rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
                right = [column.justify == "right" for column in item.columns]
                self.parts.append(table(headers, rows, right=right))
            elif isinstance(item, Text):
                self.parts.append(f'<p class="caption">{esc(item.plain)}</p>')
            else:
                self.parts.append(paragraph(Text.from_markup(str(item)).plain))


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else Text.from_markup(str(cell)).plain


def console_html(render: Callable[[Console], None]) -> str:
    """What `render` prints on a console (the `soc run` summary), as HTML."""
    console = _HtmlConsole()
    render(console)
    return "".join(console.parts)


class Document:
    """Sections in order (level 2, or 3 under the last level 2), each with a unique
    anchor; rendered with a table of contents when there are `TOC_MIN_SECTIONS` or
    more."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self._sections: list[tuple[str, str, int, str]] = []  # anchor, title, level, body
        self._anchors: set[str] = {"contents"}

    def add(self, title: str, body: str, level: int = 2) -> str:
        """Append a section; return its anchor."""
        base = anchor = slug(title)
        n = 2
        while anchor in self._anchors:
            anchor, n = f"{base}-{n}", n + 1
        self._anchors.add(anchor)
        self._sections.append((anchor, title, level, body))
        return anchor

    def _toc(self) -> str:
        if len(self._sections) < TOC_MIN_SECTIONS:
            return ""
        items = []
        for anchor, title, level, _ in self._sections:
            indent = ' style="margin-left:1.5em"' if level > 2 else ""
            items.append(f'<li{indent}><a href="#{anchor}">{esc(title)}</a></li>')
        return f'<nav id="contents"><h2>Contents</h2><ul>{"".join(items)}</ul></nav>'

    def render(self) -> str:
        body = "".join(
            f'<h{level} id="{anchor}">{esc(title)}</h{level}>{text}'
            for anchor, title, level, text in self._sections
        )
        sub = f"<p>{esc(self.subtitle)}</p>" if self.subtitle else ""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="generator" content="{GENERATOR}">'
            f"<title>{esc(self.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{esc(self.title)}</h1>{sub}{self._toc()}{body}</body></html>\n"
        )


def is_our_report(path: Path) -> bool:
    """Whether `path` is a file that `soc report` wrote (its generator tag in its head)."""
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">'.encode() in head
