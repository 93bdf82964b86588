"""Memory request streams in other tools' trace formats: DRAMsim3 and Ramulator.

A stream is a list of `TraceRequest`s (address, size, read or write, master, issue time
in ps or None for "as soon as the memory accepts it"). The formats hold less than our
requests do, so each reader takes what the file lacks as arguments:

- DRAMsim3 (`<address> <op> <cycle>`, the address in hex with or without 0x): `op`
  WRITE, write, P_MEM_WR or BOFF is a write, any other token a read; `cycle` is the
  earliest issue cycle in DRAM clocks: t = cycle x tCK. Every line is one transaction of
  the configuration's access size (`size_bytes`). Reading rounds t to a whole ps;
  writing takes the first cycle whose time so rounded is not before the request's (it
  never issues earlier), so times read from a DRAMsim3 trace write back unchanged.
- Ramulator 1 DRAM mode (`<address> <R|W>`, hex): no time stamps: every request issues
  as soon as the memory takes it (`t_ps` None). A line without an op is a read.
- Ramulator 2 load/store (`<LD|ST> <address>`, decimal or 0x-hex): the same, LD a read.

Requests issue in file order. Blank lines and `#` comments are skipped; anything else
that does not parse is refused naming the file and the line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from soc.errors import TraceFormatError
from soc.limits import check_input_file
from soc.units import echoed

DRAMSIM3_WRITES = frozenset({"WRITE", "write", "P_MEM_WR", "BOFF"})
FORMATS = ("dramsim3", "ramulator", "ramulator2")
MAX_ADDRESS_CHARS = 24  # '0x' and 16 hex digits, or 20 decimal ones, with room for zeros
MAX_CYCLE_CHARS = 24


@dataclass(frozen=True, slots=True)
class TraceRequest:
    """One request of a memory trace."""

    addr: int
    size_bytes: int
    is_write: bool
    master: str
    t_ps: int | None  # None: issue as soon as the memory accepts it


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every line that is not blank or a comment; the file is
    checked against the size limit first."""
    if not path.exists():
        raise TraceFormatError(f"{path}: no such trace file")
    check_input_file(path, "memory trace")
    try:
        with path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise TraceFormatError(
                        f"{path}, line {number}: not a text trace (bytes that are not UTF-8)"
                    ) from None
                fields = line.split("#", 1)[0].split()
                if fields:
                    yield number, fields
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read the trace ({exc.strerror or exc})") from None


def _address(path: Path, number: int, text: str, base: int) -> int:
    kind = "a hex address" if base == 16 else "an address (decimal or 0x-hex)"
    if len(text) > MAX_ADDRESS_CHARS:  # before int(): a 64-bit address has at most 20 digits
        raise TraceFormatError(f"{path}, line {number}: {echoed(text)} is not {kind}")
    try:
        value = int(text, 16 if base == 16 else 0)
    except ValueError:
        raise TraceFormatError(f"{path}, line {number}: {echoed(text)} is not {kind}") from None
    if value < 0:
        raise TraceFormatError(f"{path}, line {number}: negative address {echoed(text)}")
    if value >= 2**64:
        raise TraceFormatError(f"{path}, line {number}: address {echoed(text)} is over 64 bits")
    return value


def read_dramsim3(
    path: Path, tck_ps: float, size_bytes: int, master: str = "trace"
) -> list[TraceRequest]:
    """A DRAMsim3 trace; cycles become ps with the DRAM clock period `tck_ps`."""
    out = []
    last = 0
    for number, fields in _lines(path):
        if len(fields) != 3:
            raise TraceFormatError(
                f"{path}, line {number}: expected '<address> <op> <cycle>', got "
                f"{len(fields)} field(s)"
            )
        addr = _address(path, number, fields[0], 16)
        try:
            if len(fields[2]) > MAX_CYCLE_CHARS:
                raise ValueError("too long")
            cycle = int(fields[2])
        except ValueError:
            raise TraceFormatError(
                f"{path}, line {number}: cycle {echoed(fields[2])} is not a whole number"
            ) from None
        if cycle < 0:
            raise TraceFormatError(f"{path}, line {number}: negative cycle {cycle}")
        if cycle < last:
            raise TraceFormatError(
                f"{path}, line {number}: cycle {cycle} is before the line above's {last}"
            )
        last = cycle
        t_ps = round(cycle * tck_ps)
        out.append(TraceRequest(addr, size_bytes, fields[1] in DRAMSIM3_WRITES, master, t_ps))
    return out


def read_ramulator(path: Path, size_bytes: int, master: str = "trace") -> list[TraceRequest]:
    """A Ramulator 1 DRAM-mode trace (`<address> [R|W]`)."""
    out = []
    for number, fields in _lines(path):
        op = fields[1] if len(fields) > 1 else "R"
        if len(fields) > 2 or op not in ("R", "W"):
            raise TraceFormatError(f"{path}, line {number}: expected '<address> <R|W>'")
        addr = _address(path, number, fields[0], 16)
        out.append(TraceRequest(addr, size_bytes, op == "W", master, None))
    return out


def read_ramulator2(path: Path, size_bytes: int, master: str = "trace") -> list[TraceRequest]:
    """A Ramulator 2 load/store trace (`<LD|ST> <address>`)."""
    out = []
    for number, fields in _lines(path):
        if len(fields) != 2 or fields[0] not in ("LD", "ST"):
            raise TraceFormatError(f"{path}, line {number}: expected '<LD|ST> <address>'")
        addr = _address(path, number, fields[1], 0)
        out.append(TraceRequest(addr, size_bytes, fields[0] == "ST", master, None))
    return out


def dramsim3_lines(requests: Iterable[TraceRequest], tck_ps: float) -> Iterator[str]:
    """DRAMsim3 lines; a request without a time issues at the cycle of the one before."""
    cycle = 0
    for r in requests:
        if r.t_ps is not None:
            # the first cycle whose time, rounded to a ps as reading rounds it, is not
            # before t_ps: times read from a DRAMsim3 trace come back unchanged
            cycle = max(cycle, math.ceil((r.t_ps - 0.5) / tck_ps))
        yield f"0x{r.addr:x} {'WRITE' if r.is_write else 'READ'} {cycle}\n"


def ramulator_lines(requests: Iterable[TraceRequest]) -> Iterator[str]:
    for r in requests:
        yield f"0x{r.addr:x} {'W' if r.is_write else 'R'}\n"


def ramulator2_lines(requests: Iterable[TraceRequest]) -> Iterator[str]:
    for r in requests:
        yield f"{'ST' if r.is_write else 'LD'} 0x{r.addr:x}\n"


def write_trace(
    requests: Iterable[TraceRequest], path: Path, fmt: str, tck_ps: float | None = None
) -> None:
    """Write `requests` in `fmt` (one of FORMATS); DRAMsim3 needs the clock period."""
    if fmt == "dramsim3":
        if tck_ps is None:
            raise ValueError("a DRAMsim3 trace needs the DRAM clock period")
        lines = dramsim3_lines(requests, tck_ps)
    elif fmt == "ramulator":
        lines = ramulator_lines(requests)
    elif fmt == "ramulator2":
        lines = ramulator2_lines(requests)
    else:
        raise ValueError(f"unknown trace format {fmt!r} (known: {', '.join(FORMATS)})")
    with path.open("w", encoding="utf-8") as file:
        file.writelines(lines)
