"""DRAMsim3 and Ramulator trace formats: as their READMEs write them, round trips, and
one-line refusals naming the line."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.errors import TraceFormatError
from soc.trace.memtrace import (
    TraceRequest,
    read_dramsim3,
    read_ramulator,
    read_ramulator2,
    write_trace,
)

TCK_PS = 625.0  # LPDDR4-3200: 1.6 GHz


def test_dramsim3_lines_as_its_driver_writes_them(tmp_path: Path):
    path = tmp_path / "t.trace"
    path.write_text("0x0 READ 0\n80 WRITE 3\n# a comment\n\n0x100 P_MEM_WR 3\n0x180 BOFF 9\n")
    got = read_dramsim3(path, TCK_PS, 64, "cpu")
    assert got == [
        TraceRequest(0x0, 64, False, "cpu", 0),
        TraceRequest(0x80, 64, True, "cpu", 3 * 625),
        TraceRequest(0x100, 64, True, "cpu", 3 * 625),
        TraceRequest(0x180, 64, True, "cpu", 9 * 625),
    ]


def test_ramulator_formats(tmp_path: Path):
    one = tmp_path / "r1.trace"
    one.write_text("0x40 R\n0x80 W\nc0\n")  # a missing op is a read
    assert [(r.addr, r.is_write, r.t_ps) for r in read_ramulator(one, 64)] == [
        (0x40, False, None),
        (0x80, True, None),
        (0xC0, False, None),
    ]
    two = tmp_path / "r2.trace"
    two.write_text("LD 0x40\nST 128\n")
    assert [(r.addr, r.is_write) for r in read_ramulator2(two, 64)] == [(64, False), (128, True)]


requests = st.lists(
    st.builds(
        lambda addr, w, cycles: (addr * 64, w, cycles),
        st.integers(0, 2**26),
        st.booleans(),
        st.integers(0, 50),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(requests)
def test_round_trips(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("rt")
    t, stream = 0, []
    for addr, is_write, gap in rows:
        t += gap * int(TCK_PS)  # times on cycle boundaries, in file order
        stream.append(TraceRequest(addr, 64, is_write, "dma", t))
    write_trace(stream, folder / "d.trace", "dramsim3", TCK_PS)
    assert read_dramsim3(folder / "d.trace", TCK_PS, 64, "dma") == stream
    untimed = [TraceRequest(r.addr, 64, r.is_write, "dma", None) for r in stream]
    write_trace(stream, folder / "r.trace", "ramulator")
    assert read_ramulator(folder / "r.trace", 64, "dma") == untimed
    write_trace(stream, folder / "r2.trace", "ramulator2")
    assert read_ramulator2(folder / "r2.trace", 64, "dma") == untimed


def test_a_time_between_cycles_is_written_at_the_next_cycle(tmp_path: Path):
    write_trace([TraceRequest(0, 64, False, "x", 1)], tmp_path / "d", "dramsim3", TCK_PS)
    assert (tmp_path / "d").read_text() == "0x0 READ 1\n"


@pytest.mark.parametrize(
    "text, reader, message",
    [
        ("0x0 READ 0\n0x40 READ\n", "dramsim3", r"line 2: expected '<address> <op> <cycle>'"),
        ("zz READ 0\n", "dramsim3", r"line 1: 'zz' is not a hex address"),
        ("0x0 READ 5\n0x40 READ 4\n", "dramsim3", r"line 2: cycle 4 is before"),
        ("0x0 READ 1.5\n", "dramsim3", r"line 1: cycle '1.5' is not a whole number"),
        ("0x0 X\n", "ramulator", r"line 1: expected '<address> <R\|W>'"),
        ("LOAD 0x0\n", "ramulator2", r"line 1: expected '<LD\|ST> <address>'"),
        ("LD -5\n", "ramulator2", r"line 1: negative address"),
    ],
)
def test_bad_lines_are_refused_naming_the_line(tmp_path: Path, text, reader, message):
    path = tmp_path / "bad.trace"
    path.write_text(text)
    read = {
        "dramsim3": lambda p: read_dramsim3(p, TCK_PS, 64),
        "ramulator": lambda p: read_ramulator(p, 64),
        "ramulator2": lambda p: read_ramulator2(p, 64),
    }[reader]
    with pytest.raises(TraceFormatError, match=message) as raised:
        read(path)
    assert str(raised.value).startswith(f"{path}, line ")


def test_missing_and_binary_files(tmp_path: Path):
    with pytest.raises(TraceFormatError, match="no such trace file"):
        read_ramulator(tmp_path / "none", 64)
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(TraceFormatError, match="not a text trace"):
        read_ramulator(tmp_path / "bin", 64)


def test_times_of_a_fractional_clock_round_trip(tmp_path: Path):
    tck = 1e12 / 1.2e9  # 833.33 ps: cycle times are not whole ps
    stream = [TraceRequest(64 * i, 64, False, "x", round(i * 200 * tck)) for i in range(500)]
    write_trace(stream, tmp_path / "d", "dramsim3", tck)
    assert read_dramsim3(tmp_path / "d", tck, 64, "x") == stream
    assert (tmp_path / "d").read_text().splitlines()[3] == "0xc0 READ 600"
