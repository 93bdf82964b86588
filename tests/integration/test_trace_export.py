"""`soc trace export`: a recorded run's trace as Perfetto or Chrome JSON, and its recorded
DRAM requests as DRAMsim3 or Ramulator traces that read back as the same stream."""

import json

import pytest

from soc.trace.memtrace import read_dramsim3, read_ramulator2
from soc.trace.requests import read_requests

from .conftest import QUICKSTART, soc

TCK_PS = 1e12 / 1.2e9  # the quickstart's DRAM: the simple model on the default timing


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "run"
    result = soc(
        "run", str(QUICKSTART), "--out", str(out),
        "--set", "run.record_requests=true", "--set", "run.plots=false",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def export(recorded, tmp_path, fmt, *args):
    out = tmp_path / f"out.{fmt}"
    result = soc("trace", "export", str(recorded), "--format", fmt, "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return out


def test_perfetto_and_chrome_exports_are_the_runs_own_files(recorded, tmp_path):
    perfetto = export(recorded, tmp_path, "perfetto")
    assert perfetto.read_bytes() == (recorded / "trace.pftrace").read_bytes()
    chrome = json.loads(export(recorded, tmp_path, "chrome").read_text())
    # equal as JSON values: the native trace keeps counters as floats (1 == 1.0)
    assert chrome == json.loads((recorded / "trace.json").read_text())


def test_dramsim3_export_reads_back_as_the_recorded_stream(recorded, tmp_path):
    rows = sorted(
        read_requests(recorded), key=lambda r: (r["arrival_ps"], r["master"], r["number"])
    )
    back = read_dramsim3(export(recorded, tmp_path, "dramsim3"), TCK_PS, 64)
    assert [(r.addr, r.is_write) for r in back] == [(r["addr"], r["is_write"]) for r in rows]
    for row, req in zip(rows, back, strict=True):  # the arrival, up to the next DRAM cycle
        assert 0 <= req.t_ps - row["arrival_ps"] < TCK_PS + 1
    cpu = read_ramulator2(export(recorded, tmp_path, "ramulator2", "--masters", "cpu"), 64)
    assert [r.addr for r in cpu] == [r["addr"] for r in rows if r["master"] == "cpu"]


def test_bad_exports_are_one_line(recorded, tmp_path):
    for args, message in [
        (["--format", "vcd"], "--format must be one of"),
        (["--format", "dramsim3", "--masters", "gpu"], "no recorded requests of gpu"),
        (["--format", "perfetto", "--masters", "cpu"], "--masters applies to the request"),
    ]:
        out = tmp_path / "x"
        result = soc("trace", "export", str(recorded), "--out", str(out), *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
