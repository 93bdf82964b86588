"""The same scenario and seed give byte-identical run folders across processes and
`PYTHONHASHSEED` values (issue 15): summary, resolved config, Chrome trace, Perfetto
trace, the native Parquet tables and the recorded requests, every file compared."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUICKSTART, ROOT

ALL_OUTPUTS = [
    "run.chrome_trace=true",
    "run.perfetto_trace=true",
    "run.native_trace=true",
    "run.record_requests=true",
    "run.trace_level=request",
    "run.plots=false",
]

# Two pipelines (dicts keyed by pipeline, layer and master names), a camera and a
# display, on banked DRAM with round-robin arbitration: every part of the run's state
# that is named or ordered.
TWO_PIPELINES = f"""\
name: determinism
seed: 4
soc:
  base: {ROOT / "scenarios" / "soc" / "edge_npu.yaml"}
  dram: {{fidelity: banked, preset: LPDDR4-3200, arbitration: round_robin, size_bytes: 2 GiB}}
masters:
  - {{kind: camera, name: cam, width: 320, height: 240, fps: 120, request_bytes: line}}
  - {{kind: display, name: panel, width: 320, height: 240, fps: 120, request_bytes: 512 B}}
pipelines:
  - name: spotter
    fps: 500
    frames: 3
    priority: 0
    models: [{{layers: [{{name: fc, op: fc, c: 256, k: 64}}]}}]
  - name: vision
    fps: 250
    frames: 2
    models:
      - layers:
          - {{name: conv, op: conv, c: 8, k: 16, h: 16, w: 16, r: 3, s: 3, padding: 1}}
          - {{name: pw, op: conv, c: 16, k: 16, h: 16, w: 16}}
"""

EXPECTED = {
    "summary.json",
    "config.yaml",
    "trace.json",
    "trace.pftrace",
    "trace/spans.parquet",
    "trace/requests.parquet",
}


def _run(scenario: Path, out: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    argv = [sys.executable, "-m", "soc", "run", str(scenario), "--out", str(out)]
    argv += [arg for item in ALL_OUTPUTS for arg in ("--set", item)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("scenario", ["quickstart", "two_pipelines"])
def test_run_folders_are_byte_identical_across_hash_seeds(scenario: str, tmp_path: Path):
    path = QUICKSTART
    if scenario == "two_pipelines":
        path = tmp_path / "determinism.yaml"
        path.write_text(TWO_PIPELINES)
    _run(path, tmp_path / "a", "0")
    _run(path, tmp_path / "b", "12345")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(first) >= EXPECTED, sorted(first)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [], f"differ between PYTHONHASHSEED 0 and 12345: {differ}"
