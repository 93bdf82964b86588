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
