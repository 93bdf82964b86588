"""`soc replay` as a user runs it: a DRAMsim3 trace on two SoCs, and bad input."""

import json

from .conftest import ROOT, soc

SOC = str(ROOT / "scenarios" / "dram_contention.yaml")  # LPDDR4-3200: tCK 625 ps, 64 B


def write_trace(path, lines):
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def test_replay_writes_a_run_folder_and_prints_per_master_figures(tmp_path):
    trace = write_trace(tmp_path / "t.trace", [f"0x{i * 64:x} READ {i * 8}" for i in range(200)])
    out = tmp_path / "rep"
    result = soc("replay", trace, "--soc", SOC, "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    trace_row = summary["masters"]["trace"]
    assert trace_row["requests"] == 200 and trace_row["read_bytes"] == 200 * 64
    # the last request arrives at cycle 199 x 8 = 995 ns and takes at least the unloaded
    # read latency; the replay ends when it completes
    assert summary["total_ps"] > 199 * 8 * 625
    assert (out / "soc.yaml").is_file()
    assert "Per master" in result.stdout and "trace" in result.stdout


def test_a_faster_clock_for_the_same_cycles_finishes_sooner(tmp_path):
    trace = write_trace(tmp_path / "t.trace", [f"0x{i * 64:x} READ {i * 8}" for i in range(200)])
    ends = []
    for cycle_ps in ("625", "1250"):
        out = tmp_path / f"rep{cycle_ps}"
        result = soc("replay", trace, "--soc", SOC, "--out", str(out), "--cycle-ps", cycle_ps)
        assert result.returncode == 0, result.stderr
        ends.append(json.loads((out / "summary.json").read_text())["total_ps"])
    assert ends[0] < ends[1]


def test_bad_input_is_one_line_and_no_folder(tmp_path):
    bad = write_trace(tmp_path / "bad.trace", ["0x0 READ 0", "0x40 READ"])
    cases = [
        ([bad, "--soc", SOC], "bad.trace, line 2: expected '<address> <op> <cycle>'"),
        ([str(tmp_path / "none.trace"), "--soc", SOC], "none.trace: no such trace file"),
        ([bad, "--soc", SOC, "--mode", "fast"], "--mode must be one of timed, elastic"),
        ([bad, "--soc", SOC, "--format", "vcd"], "unknown trace format 'vcd'"),
    ]
    for args, message in cases:
        out = tmp_path / "out"
        result = soc("replay", *args, "--out", str(out))
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
        assert not out.exists()


def test_a_request_past_the_time_limit_is_refused_before_simulating(tmp_path):
    """Cycle 10**18 at 625 ps is 6.25e8 s: past the 1e6 s every simulated time is held to
    (a scenario's times likewise); simulating the refreshes up to it would never end."""
    trace = write_trace(tmp_path / "far.trace", ["0x0 READ 0", f"0x40 READ {10**18}"])
    out = tmp_path / "out"
    result = soc("replay", trace, "--soc", SOC, "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {trace} (dramsim3): trace request 1 (from 0) is issued at 6.25e+08 s, "
        "past the limit of 1e6 s"
    ]
    assert not out.exists()


def test_max_sim_stops_a_replay_and_marks_it_incomplete(tmp_path):
    """200 reads issued every 8 cycles of 625 ps (5 ns): by 500 ns at most the first 101
    are issued, so fewer than 200 x 64 bytes are read; the summary ends at the bound."""
    trace = write_trace(tmp_path / "t.trace", [f"0x{i * 64:x} READ {i * 8}" for i in range(200)])
    out = tmp_path / "rep"
    result = soc("replay", trace, "--soc", SOC, "--out", str(out), "--max-sim", "500 ns")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["stopped"] == {"reason": "max_sim", "at_ps": 500_000}
    assert summary["total_ps"] == 500_000
    assert 0 < summary["masters"]["trace"]["read_bytes"] <= 101 * 64
    assert "INCOMPLETE: stopped by --max-sim at 500.000 ns" in result.stdout.replace("\n", " ")


def test_a_complete_replay_says_so(tmp_path):
    trace = write_trace(tmp_path / "t.trace", [f"0x{i * 64:x} READ {i * 8}" for i in range(20)])
    out = tmp_path / "rep"
    result = soc("replay", trace, "--soc", SOC, "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is True and "stopped" not in summary
    assert "INCOMPLETE" not in result.stdout
