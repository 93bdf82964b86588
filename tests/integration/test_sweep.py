"""`soc sweep`: points expanded as the spec says, the same table from local processes and
a local Dask cluster, resuming runs only what is missing, bad paths and values refused
before anything runs, a failing point kept in the table with its error."""

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from soc.errors import ConfigError, OutputError
from soc.sweeps import key_metrics, run_sweep
from soc.sweeps.spec import combinations, parse_spec

from .conftest import ROOT, soc

# one small convolution on the default SoC, no trace files or plots: a point runs in
# well under a second once its worker has started
TINY = """\
name: tiny
seed: 3
workload:
  layers:
    - {name: conv, op: conv, c: 16, k: 16, h: 14, w: 14, r: 3, s: 3, padding: 1}
run: {trace_level: layer, chrome_trace: false, perfetto_trace: false,
      native_trace: false, plots: false}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def sweep_file(folder: Path, axes: str, extra: str = "") -> Path:
    path = folder / "sweep.yaml"
    path.write_text(f"base: tiny.yaml\n{extra}axes:\n{axes}")
    return path


# -- the spec, by hand ----------------------------------------------------------------


def test_grid_is_the_cartesian_product_last_axis_fastest():
    spec = parse_spec(
        {
            "base": "x.yaml",
            "axes": [
                {"path": "soc.dram.arbitration", "values": ["fcfs", "priority"]},
                {"path": "soc.flexnn.lanes", "range": {"start": 4, "stop": 12, "step": 4}},
            ],
        },
        "sweep",
    )
    values = [tuple(v for _, v in point) for point in combinations(spec)]
    assert values == [
        ("fcfs", 4),
        ("fcfs", 8),
        ("fcfs", 12),
        ("priority", 4),
        ("priority", 8),
        ("priority", 12),
    ]


def test_zip_pairs_the_ith_values_and_needs_equal_lengths():
    axes = [
        {"path": "soc.flexnn.pe_rows", "values": [8, 16, 32]},
        {"path": "soc.flexnn.pe_cols", "range": {"start": 0.5, "stop": 1.5, "step": 0.5}},
    ]
    spec = parse_spec({"base": "x.yaml", "mode": "zip", "axes": axes}, "sweep")
    assert [tuple(v for _, v in p) for p in combinations(spec)] == [(8, 0.5), (16, 1.0), (32, 1.5)]
    axes[0]["values"] = [8, 16]
    with pytest.raises(ConfigError, match="mode zip needs axes of one length"):
        parse_spec({"base": "x.yaml", "mode": "zip", "axes": axes}, "sweep")


def test_key_metrics_read_by_hand():
    summary = {
        "total_ps": 100,
        "frames": [{"latency_ps": 5}, {"latency_ps": 1}, {"latency_ps": 3}],
        "deadline_misses": 1,
        "energy": {"total_pj": 30.0, "by_component": {"npu": {"total_pj": 12.0}}},
        "dram": {
            "bandwidth_bytes_per_s": 7.0,
            "by_master": {"dma": {"bandwidth_bytes_per_s": 6.0}},
            "latency_ps": {"dma": {"count": 2, "p99": 40}, "cpu": {"count": 0}},
        },
        "masters": {
            "disp": {"kind": "display", "underflows": 2, "late_lines": 0},
            "cam": {"kind": "camera", "underflows": 0, "late_lines": 4},
        },
    }
    assert key_metrics(summary) == {
        "total_ps": 100,
        "frames": 3,
        "deadline_misses": 1,
        "frame_latency_p50_ps": 3,  # sorted 1, 3, 5: the middle one
        "frame_latency_p99_ps": 5,  # the ceil(0.99 * 3) = 3rd
        "energy_total_pj": 30.0,
        "energy_per_frame_pj": 10.0,
        "energy.npu_pj": 12.0,
        "dram.bandwidth_bytes_per_s": 7.0,
        "dram.dma.bandwidth_bytes_per_s": 6.0,
        "dram.dma.latency_p99_ps": 40,
        "master.cam.late_lines": 4,
        "camera_late_lines": 4,
        "master.disp.underflows": 2,
        "display_underflows": 2,
    }


# -- running ----------------------------------------------------------------------------

ARBITRATION_X_BANDWIDTH = """\
  - path: soc.dram.arbitration
    values: [fcfs, priority]
  - path: soc.dram.bandwidth_bytes_per_s
    values: [6.4 GB/s, 12.8 GB/s]
"""


def test_processes_and_dask_agree_and_a_rerun_runs_only_what_is_missing(tmp_path, tiny):
    spec = sweep_file(tmp_path, ARBITRATION_X_BANDWIDTH, "seed: per_point\n")
    local = run_sweep(spec, tmp_path / "local", workers=2)
    dask = run_sweep(spec, tmp_path / "dask", dask_local=2)
    assert local.drop(["wall_s"]).equals(dask.drop(["wall_s"]))
    rows = local.to_pylist()
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert [r["set.soc.dram.arbitration"] for r in rows] == ["fcfs", "fcfs", "priority", "priority"]
    assert [r["set.soc.dram.bandwidth_bytes_per_s"] for r in rows] == ["6.4 GB/s", "12.8 GB/s"] * 2
    for i, row in enumerate(rows):  # each point's own run folder, seeded base + index
        folder = tmp_path / "local" / row["run_folder"]
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["seed"] == 3 + i and summary["total_ps"] == row["total_ps"]
    # half the bandwidth: the same bytes take longer
    assert rows[0]["total_ps"] > rows[1]["total_ps"]
    assert pq.read_table(tmp_path / "local" / "results.parquet").equals(local)

    # a point lost (its folder gone), one cut short (no summary) and one damaged (its
    # summary nested deeper than JSON can be read): only those three run
    points = tmp_path / "local" / "points"
    lost, cut, damaged = rows[1]["key"], rows[2]["key"], rows[3]["key"]
    kept = {r["key"]: (points / r["key"] / "summary.json").stat().st_mtime_ns for r in rows}
    os.rename(points / lost, tmp_path / "lost")
    (points / cut / "summary.json").unlink()
    (points / damaged / "summary.json").write_text("[" * 100_000 + "]" * 100_000)
    again = run_sweep(spec, tmp_path / "local", workers=2).to_pylist()
    assert [r["reused"] for r in again] == [True, False, False, False]
    assert (points / rows[0]["key"] / "summary.json").stat().st_mtime_ns == kept[rows[0]["key"]]
    assert [r["total_ps"] for r in again] == [r["total_ps"] for r in rows]
    forced = run_sweep(spec, tmp_path / "local", workers=1, force=True).to_pylist()
    assert [r["reused"] for r in forced] == [False] * 4


def test_a_failing_point_is_a_row_with_its_error_and_the_rest_run(tmp_path, tiny):
    axes = "  - path: soc.sram.size_bytes\n    values: [1 MiB, 512 B, 2 MiB]\n"
    table = run_sweep(sweep_file(tmp_path, axes), tmp_path / "out", workers=2, csv=True)
    rows = table.to_pylist()
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert "no descriptor fits the hardware" in rows[1]["error"]
    assert "\n" not in rows[1]["error"] and rows[1]["total_ps"] is None
    assert rows[0]["error"] is None and rows[0]["total_ps"] > 0
    assert (tmp_path / "out" / "results.csv").read_text().count("\n") == 4  # header + 3


def test_an_implausible_point_fails_at_once_and_the_rest_run(tmp_path, tiny):
    """A CPU clock of 1 Hz makes the tiny scenario's frame take hours of simulated time:
    the point is refused as `soc run` refuses it, with the key, before simulating."""
    axes = "  - path: soc.cpu.freq_hz\n    values: [1 GHz, 1 Hz]\n"
    rows = run_sweep(sweep_file(tmp_path, axes), tmp_path / "out", workers=1).to_pylist()
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[1]["error"].startswith("implausible: soc.cpu.freq_hz: 1 Hz makes a frame take")
    assert rows[1]["error"].endswith("; --force or force=True runs it")
    assert rows[1]["wall_s"] < 60 and rows[1]["total_ps"] is None


@pytest.mark.parametrize(
    ("axis", "named"),
    [
        ("  - path: soc.dram.arbitratio\n    values: [fcfs]\n", "axis soc.dram.arbitratio"),
        (
            "  - path: soc.flexnn.lanes\n    values: [4, many]\n",
            "axis soc.flexnn.lanes, value many",
        ),
    ],
    ids=["unknown path", "wrong type"],
)
def test_a_bad_axis_is_refused_before_anything_runs(tmp_path, tiny, axis, named):
    spec = sweep_file(tmp_path, axis)
    with pytest.raises(ConfigError, match=named):
        run_sweep(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_names_the_axis_on_one_line_and_exits_2(tmp_path, tiny):
    spec = sweep_file(tmp_path, "  - path: soc.dram.arbitration\n    values: [fcfs, fast]\n")
    done = soc("sweep", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "axis soc.dram.arbitration, value fast" in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_an_output_folder_holding_something_else_is_refused(tmp_path, tiny):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    spec = sweep_file(tmp_path, "  - path: seed\n    values: [1]\n")
    with pytest.raises(OutputError, match="not a flexsoc sweep folder"):
        run_sweep(spec, out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_sweep_stopped_halfway_runs_only_the_rest_when_run_again(tmp_path, tiny):
    import signal
    import subprocess
    import sys
    import time

    values = ", ".join(str(i) for i in range(1, 7))
    spec = sweep_file(tmp_path, f"  - path: seed\n    values: [{values}]\n")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "soc", "sweep", str(spec), "--out", str(out)]
    child = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    table = out / "results.parquet"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if table.exists() and pq.read_table(table).num_rows >= 1:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    finished = pq.read_table(table).column("key").to_pylist()
    if child.returncode != 0:  # stopped before the end (else it won the race: all done)
        assert child.returncode == 143 and "the same command runs the rest" in stderr
    assert not list((out / "points").glob(".*"))  # no half-written point left behind
    # a point may finish after the table's last write: its folder is complete all the same
    complete = {p.name for p in (out / "points").iterdir()}
    assert set(finished) <= complete
    rows = run_sweep(spec, out, workers=2).to_pylist()
    assert [r["status"] for r in rows] == ["ok"] * 6
    assert {r["key"] for r in rows if r["reused"]} == complete


@pytest.mark.parametrize(
    ("name", "count"),
    [("dram_arbitration", 4 * 2), ("npu_size", 3 * 2 * 2)],  # the axes' lengths multiplied
)
def test_the_sweeps_in_scenarios_load_every_point(name, count):
    from soc.sweeps.spec import expand, read_spec

    path = ROOT / "scenarios" / "sweeps" / f"{name}.yaml"
    points = expand(read_spec(path), path.parent / read_spec(path).base, str(path))
    assert len(points) == count and len({p.key for p in points}) == count
