"""Hostile data files through the `soc` command: one stderr line naming the file and the
line, entry or key at fault, exit code 2, no traceback and no run folder left behind."""

import json
import os
import subprocess
import zipfile

import numpy as np

from .conftest import ROOT
from .conftest import soc as run_soc

EDGE_NPU = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
SCENARIO = f"""\
name: s
soc: {{base: {EDGE_NPU}}}
workload:
  layers:
    - {{name: conv1, op: conv, c: 4, k: 8, h: 8, w: 8, r: 3, s: 3, padding: 1}}
  dataflow: ws
  sparsity: {{arrays: values.npz}}
driver: {{frames: 1}}
run: {{trace_level: layer, chrome_trace: false, native_trace: false, plots: false}}
"""


def soc(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run_soc(*args, cwd=ROOT, env={**os.environ, **env})


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line a refusal prints (exit code 2, nothing else on stderr)."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_run_with_a_corrupt_npz_is_refused_and_leaves_no_folder(tmp_path):
    np.savez(tmp_path / "values.npz", **{"conv1.IF": np.ones((4, 8, 8), np.float32)})
    data = bytearray((tmp_path / "values.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "values.npz") as archive:
        info = archive.getinfo("conv1.IF.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # inside its data
    (tmp_path / "values.npz").write_bytes(bytes(data))
    (tmp_path / "s.yaml").write_text(SCENARIO)
    out = tmp_path / "out"
    line = refused(soc("run", str(tmp_path / "s.yaml"), "--out", str(out)))
    assert "values.npz, entry 'conv1.IF.npy': corrupted (Bad CRC-32" in line
    assert not out.exists()


def test_map_of_a_utf16_topology_names_the_line(tmp_path):
    path = tmp_path / "topo.csv"
    path.write_text("Layer name,IFMAP Height\n", encoding="utf-16")
    line = refused(soc("map", f"scalesim:{path}"))
    assert line.endswith(f"{path}, line 1: UTF-16 text; save the topology as UTF-8")


def test_map_of_a_model_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.onnx"
    path.write_bytes(b"\x08" * 5000)  # a protobuf varint tag that never ends: not read
    line = refused(soc("map", f"onnx:{path}", FLEXSOC_MAX_INPUT_MB="0.001"))
    assert line.endswith(
        f"{path}: ONNX model: 5,000 bytes is over the limit of 1,048 "
        "(set FLEXSOC_MAX_INPUT_MB to raise it)"
    )


def test_replay_of_a_bad_trace_line_leaves_no_folder(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("0x40 READ 0\n0x80 READ 4\n0xc0 READ soon\n")
    out = tmp_path / "replay"
    soc_file = ROOT / "scenarios" / "dram_contention.yaml"
    line = refused(soc("replay", str(trace), "--soc", str(soc_file), "--out", str(out)))
    assert line == f"error: {trace}, line 3: cycle 'soon' is not a whole number"
    assert not out.exists()


def test_report_of_a_summary_that_is_not_json(tmp_path):
    (tmp_path / "summary.json").write_text("[" * 100_000)
    line = refused(soc("report", str(tmp_path)))
    assert line.startswith(f"error: {tmp_path / 'summary.json'}: not JSON")
    assert not (tmp_path / "report.html").exists()


def test_report_of_an_edited_summary_names_the_key(quickstart_run, tmp_path):
    summary = json.loads((quickstart_run / "summary.json").read_text())
    summary["frames"][1]["latency_ps"] = "soon"
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    line = refused(soc("report", str(tmp_path)))
    assert line == (
        f"error: {tmp_path / 'summary.json'}: frames.1.latency_ps: Input should be a valid integer"
    )
