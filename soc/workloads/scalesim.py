"""SCALE-Sim topology CSV files as workload graphs.

A SCALE-Sim (v1 and v2) topology file is a header line and one row per layer, columns
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
Strides. Columns are found by their header name (case and spaces ignored), so extra
columns (ResNet-50's `Eh, Ew, e2`, a `#dw` note) are ignored; SCALE-Sim v2's own writer
spells the stride as `Stride height` and `Stride width`, which is read too (the two must
be equal: our layers have one stride). Blank lines, rows of empty cells, a trailing
comma, spaces or tabs around cells and a UTF-8 byte-order mark are tolerated.

What the numbers mean (read from scale-sim-v2's `topology_utils.py`, not copied):

- Every row is an independent layer. SCALE-Sim pads nothing: the output is
  `(IFMAP - Filter) // Stride + 1` and the MACs are `P x Q x R x S x Channels x Num
  Filter`. Its IFMAP sizes are those of the original network before padding (ResNet-50's
  conv1 is listed at 224, not 230), so padding is an assumption the file does not carry.
  (scale-sim-v2's topology reader rounds the output size up instead, `ceil((IFMAP -
  Filter + Stride) / Stride)`, counting one more, partial, window when the stride does not
  divide `IFMAP - Filter`: MobileNet's 112, 3x3 / 2 gives 56 there, 55 in v1 and here.)
- `padding="none"` (the default) follows SCALE-Sim v1: no padding, so every MAC count
  equals SCALE-Sim's `P x Q x R x S x C x K` with P and Q as above.
- `padding="same"` pads as the original networks do: `(k - 1) // 2` on each side for an
  odd kernel (7x7 gets 3, 3x3 gets 1, 1x1 none), so a stride-1 layer keeps its size and a
  stride-s layer gives `ceil(IFMAP / s)` (ResNet-50's conv1: 224 -> 112); an even kernel
  gets `k // 2` at the bottom and right and `(k - 1) // 2` at the top and left. With it,
  `Resnet50.csv` gives the zoo's ResNet-50 layers except where ResNet-50 v1 (the file)
  and v1.5 (the zoo) differ: which conv of a down-sampling block has the stride.
- Depthwise layers. SCALE-Sim v2 runs a row whose name contains `DP` as `Channels`
  separate one-channel layers of `Num Filter` filters each: a depthwise convolution with
  channel multiplier `Num Filter`. Its MobileNet files (`mobilenet.csv`) write a depthwise
  layer instead as `Channels = C, Num Filter = 1` with a k x k filter, which SCALE-Sim
  runs as a dense convolution to one output map: the same MACs as a depthwise layer
  (`C x P x Q x R x S`), with the next row reading all C channels. Both become a grouped
  convolution here, `groups = C`, `K = C x Num Filter` (a `dwconv` when the multiplier is
  1), so the MACs stay SCALE-Sim's and the output has the C maps the network makes.
  A row of one channel and one filter (`mobilnet_paper.csv`'s `Conv2_dw, ..., 1, 1`) is
  taken as written: one channel of the depthwise layer, as SCALE-Sim counts it.
  The rule sees only the row: a real dense k x k conv to a single map (SCALE-Sim's scaled
  `div*q` ResNet files) also becomes depthwise, with unchanged MACs.
- A row with a 1 x 1 input and a 1 x 1 filter is a fully connected layer (`fc`, C inputs,
  K outputs), as the zoo writes ResNet-50's classifier; its stride is meaningless and
  ignored.

The graph: a layer reads the previous layer's output when that has exactly the shape the
row lists (C x IFMAP, or C values for an fc); otherwise it reads a graph input of its
own, named `<layer>:input`, with the row's shape (SCALE-Sim rows need not chain: pooling
and shortcut branches are not in the file, and under `none` padding the sizes shrink).
The graph's outputs are the layer outputs no later layer reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from soc.errors import WorkloadError
from soc.limits import check_input_file
from soc.units import echoed
from soc.workloads.graph import Graph, GraphBuilder, Shape

PADDINGS = ("none", "same")

# canonical column names (as SCALE-Sim's files spell them) -> the field they fill
_COLUMNS = {
    "Layer name": "name",
    "IFMAP Height": "h",
    "IFMAP Width": "w",
    "Filter Height": "r",
    "Filter Width": "s",
    "Channels": "c",
    "Num Filter": "k",
}
_STRIDE_NAMES = ("Strides", "Stride height")  # v1 / v2 files; v2's writer
_STRIDE_WIDTH = "Stride width"
_INTEGER = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, CR, LF are text
MAX_CELLS = 1024  # a row's cells: SCALE-Sim's files have 8 to 11
MAX_SIZE = 2**31 - 1  # any one size or count in a row
MAX_NAME_CHARS = 256  # a layer name, as summaries and traces carry it


@dataclass(frozen=True)
class Row:
    """One layer as the file lists it, with the line it is on."""

    line: int
    name: str
    h: int
    w: int
    r: int
    s: int
    c: int
    k: int
    stride: int

    @property
    def is_fc(self) -> bool:
        return (self.h, self.w, self.r, self.s) == (1, 1, 1, 1)

    @property
    def groups(self) -> int:
        """C for a depthwise row (named `DP`, or k x k with one filter), else 1."""
        one_map = self.k == 1 and (self.r, self.s) != (1, 1)
        return self.c if "DP" in self.name or one_map else 1

    @property
    def out_channels(self) -> int:
        return self.k * self.groups  # a DP row: Num Filter maps per channel


def same_pads(r: int, s: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) that keep a stride-1 layer's size: k - 1 in all."""
    return ((r - 1) // 2, (s - 1) // 2, r // 2, s // 2)


def scalesim_output_size(size: int, kernel: int, stride: int) -> int:
    """SCALE-Sim's output size: no padding."""
    return (size - kernel) // stride + 1


def load_scalesim(path: Path, padding: str = "none") -> Graph:
    """The graph of a SCALE-Sim topology CSV; `padding` is "none" (SCALE-Sim's) or
    "same" (the original network's). Raises WorkloadError naming the file and line."""
    path = Path(path)
    if padding not in PADDINGS:
        raise WorkloadError(f"{path}: padding {padding!r} is not one of {', '.join(PADDINGS)}")
    rows = read_rows(path)
    return _build(path, rows, padding)


def read_rows(path: Path) -> list[Row]:
    """The file's layer rows, checked: every named column present, every size a
    positive integer, layer names unique."""
    lines = _text(path).splitlines()
    numbered = [(i, _split(path, i, text)) for i, text in enumerate(lines, start=1)]
    numbered = [(i, cells) for i, cells in numbered if any(cells)]
    if not numbered:
        raise WorkloadError(f"{path}, line 1: the file is empty (no header, no layers)")
    header_line, header = numbered[0]
    where = _columns(path, header_line, header)
    rows = [_row(path, i, cells, where) for i, cells in numbered[1:]]
    if not rows:
        raise WorkloadError(f"{path}, line {header_line}: the header is followed by no layers")
    first_line: dict[str, int] = {}
    for row in rows:
        if row.name in first_line:
            raise WorkloadError(
                f"{path}, line {row.line}: layer name {echoed(row.name)} is used twice "
                f"(first on line {first_line[row.name]})"
            )
        first_line[row.name] = row.line
    return rows


def _text(path: Path) -> str:
    """The file's text: within the size limit, UTF-8, no control characters."""
    if path.exists():
        check_input_file(path, "SCALE-Sim topology")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WorkloadError(f"{path}: cannot read the topology file ({e.strerror})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise WorkloadError(f"{path}, line 1: UTF-16 text; save the topology as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise WorkloadError(f"{path}, line {line}: the file is not UTF-8 text") from None
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise WorkloadError(
            f"{path}, line {line}: control character {bad.group()!r}: not a text topology"
        )
    return text


def _split(path: Path, line: int, text: str) -> list[str]:
    """A line's cells, refused past MAX_CELLS before any is made."""
    cells = text.count(",") + 1
    if cells > MAX_CELLS:
        raise WorkloadError(f"{path}, line {line}: {cells:,} cells (at most {MAX_CELLS:,})")
    return _cells(text)


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.split(",")]


def _norm(name: str) -> str:
    return " ".join(name.split()).lower()


def _columns(path: Path, line: int, header: list[str]) -> dict[str, int]:
    """Column name -> index; the first of a repeated name wins."""
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        found.setdefault(_norm(cell), i)
    where = {}
    missing = []
    for name in (*_COLUMNS, _STRIDE_NAMES[0]):
        candidates = _STRIDE_NAMES if name == _STRIDE_NAMES[0] else (name,)
        index = next((found[_norm(n)] for n in candidates if _norm(n) in found), None)
        if index is None:
            missing.append(name)
        else:
            where[name] = index
    if missing:
        names = ", ".join(repr(n) for n in missing)
        plural = "s" if len(missing) > 1 else ""
        raise WorkloadError(f"{path}, line {line}: the header has no {names} column{plural}")
    if _norm(_STRIDE_WIDTH) in found:
        where[_STRIDE_WIDTH] = found[_norm(_STRIDE_WIDTH)]
    return where


def _row(path: Path, line: int, cells: list[str], where: dict[str, int]) -> Row:
    def cell(column: str) -> str:
        index = where[column]
        if index >= len(cells) or not cells[index]:
            raise WorkloadError(f"{path}, line {line}: {column!r} is missing")
        return cells[index]

    def positive(column: str) -> int:
        text = cell(column)
        digits = text.lstrip("0")
        if not _INTEGER.fullmatch(text) or not digits:
            raise WorkloadError(
                f"{path}, line {line}: {column!r} is {echoed(text)}, not a positive integer"
            )
        if len(digits) > len(str(MAX_SIZE)) or int(digits) > MAX_SIZE:
            raise WorkloadError(
                f"{path}, line {line}: {column!r} is {echoed(text)}, over {MAX_SIZE:,}"
            )
        return int(digits)

    values = {field: positive(column) for column, field in _COLUMNS.items() if field != "name"}
    stride = positive(_STRIDE_NAMES[0])
    if _STRIDE_WIDTH in where and where[_STRIDE_WIDTH] < len(cells) and cells[where[_STRIDE_WIDTH]]:
        stride_w = positive(_STRIDE_WIDTH)
        if stride_w != stride:
            raise WorkloadError(
                f"{path}, line {line}: stride {stride} x {stride_w} (height x width); "
                "only equal strides are supported"
            )
    name = cell("Layer name")
    if len(name) > MAX_NAME_CHARS:
        raise WorkloadError(
            f"{path}, line {line}: layer name {echoed(name)} is over {MAX_NAME_CHARS} characters"
        )
    return Row(line, name, stride=stride, **values)


def _build(path: Path, rows: list[Row], padding: str) -> Graph:
    builder = GraphBuilder(path.stem)
    previous: Shape | None = None
    last = ""
    read: set[str] = set()
    for row in rows:
        pads = same_pads(row.r, row.s) if padding == "same" else (0, 0, 0, 0)
        top, left, bottom, right = pads
        if row.r > row.h + top + bottom or row.s > row.w + left + right:
            raise WorkloadError(
                f"{path}, line {row.line}: filter {row.r}x{row.s} is larger than the "
                f"{row.h}x{row.w} input (padding {padding})"
            )
        wanted: Shape = (row.c,) if row.is_fc else (row.c, row.h, row.w)
        fits = previous == wanted or (row.is_fc and previous == (row.c, 1, 1))
        if fits:
            source = last
            read.add(last)
        else:
            source = builder.input(f"{row.name}:input", wanted)
        try:
            if row.is_fc:
                last = builder.fc(row.name, source, row.k, op_type="scalesim")
            else:
                last = builder.conv(
                    row.name,
                    source,
                    row.out_channels,
                    kernel=(row.r, row.s),
                    stride=row.stride,
                    padding=pads,
                    groups=row.groups,
                    op_type="scalesim",
                )
        except WorkloadError as e:
            raise WorkloadError(f"{path}, line {row.line}: {e}") from None
        previous = builder.shape(last)
    outputs = [row.name for row in rows if row.name not in read]
    return builder.build(outputs)
