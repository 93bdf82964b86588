"""Sparse runs end to end: zero-skipping speed-up, compression, conservation, refusals."""

import json

import numpy as np
import pytest

from .conftest import ROOT, soc

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
SCENARIO = """\
name: s
seed: 3
soc: {{base: {base}}}
workload:
  model: zoo:edge_cnn
  sparsity: {sparsity}
driver: {{frames: 1}}
run: {{trace_level: layer, chrome_trace: false, native_trace: false, plots: false}}
"""


def run(tmp_path, name, sparsity):
    path = tmp_path / f"{name}.yaml"
    path.write_text(SCENARIO.format(base=BASE, sparsity=sparsity))
    result = soc("run", str(path), "--out", str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    return json.loads((tmp_path / name / "summary.json").read_text()), result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sparse")
    half = "{activations: 0.5, weights: 0.5"
    return {
        "dense": run(tmp, "dense", "{}")[0],
        "sparse": run(tmp, "sparse", half + "}")[0],
        "compressed": run(tmp, "compressed", half + ", compression: true}")[0],
    }


def test_zero_skipping_speeds_layers_up_within_bounds(runs):
    for row in runs["sparse"]["layers"]:
        assert 1.0 <= row["speedup"] <= 4.0, row["layer"]
        assert row["sparse_cycles"] < row["dense_cycles"]
        assert row["imbalance_cycles"] >= 0
        assert row["ideal_speedup"] == pytest.approx(1 / (row["if_density"] * row["fl_density"]))
    assert runs["sparse"]["total_ps"] < runs["dense"]["total_ps"]


def test_performed_plus_skipped_macs_are_the_dense_macs(runs):
    for name in ("dense", "sparse"):
        macs = runs[name]["macs"]
        assert macs["executed"] + macs["gated"] == macs["expected"]
    # half the activations and half the weights: about a quarter of the pairs remain
    sparse = runs["sparse"]["macs"]
    assert sparse["executed"] / sparse["expected"] == pytest.approx(0.25, abs=0.03)


def test_compression_cuts_dram_bytes_and_energy_and_shows_where(runs):
    plain, packed = runs["sparse"], runs["compressed"]
    assert packed["dram"]["read_bytes"] < plain["dram"]["read_bytes"]
    assert packed["dram"]["write_bytes"] < plain["dram"]["write_bytes"]
    assert packed["energy"]["total_pj"] < plain["energy"]["total_pj"]
    for action in ("dram_read_byte", "noc_byte_hop", "sram_read_byte"):
        assert packed["energy"]["by_action"][action] < plain["energy"]["by_action"][action]
    # half-dense INT8 data compresses to 1/2 + 1/8 (bitmap) of its size, at best
    ratio = (
        packed["dram"]["by_master"]["dma"]["dram_read_byte"]
        / (plain["dram"]["by_master"]["dma"]["dram_read_byte"])
    )
    assert 0.6 < ratio < 0.7


def test_skip_zeros_off_runs_dense_timing(tmp_path, runs):
    summary, _ = run(tmp_path, "noskip", "{activations: 0.5, weights: 0.5, skip_zeros: false}")
    assert summary["total_ps"] == runs["dense"]["total_ps"]


def test_arrays_with_a_wrong_shape_are_refused(tmp_path):
    np.savez(
        tmp_path / "t.npz", **{"conv1.IF": np.ones((3, 64, 64)), "conv1.FL": np.ones((16, 3, 3))}
    )
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.format(base=BASE, sparsity="{arrays: t.npz}"))
    result = soc("validate", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {path}:6: workload.sparsity.arrays: layer conv1: FL has shape (16, 3, 3), "
        "the layer needs (16, 3, 3, 3)\n"
    )


def test_real_arrays_drive_the_sparse_model(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "conv1.IF": rng.integers(0, 2, (3, 64, 64)),
        "conv1.FL": np.zeros((16, 3, 3, 3)),
    }  # all-zero weights: nothing to compute
    np.savez(tmp_path / "t.npz", **arrays)
    summary, _ = run(tmp_path, "real", "{arrays: t.npz}")
    conv1 = summary["layers"][0]
    assert conv1["performed_macs"] == 0 and conv1["fl_density"] == 0.0
    assert conv1["ideal_speedup"] is None


@pytest.mark.slow
def test_resnet50_sparse_runs_end_to_end(tmp_path):
    out = tmp_path / "r50"
    outputs_off = ("plots", "chrome_trace", "perfetto_trace", "native_trace")  # none read here
    sets = [arg for key in outputs_off for arg in ("--set", f"run.{key}=false")]
    result = soc("run", str(ROOT / "scenarios" / "resnet50_sparse.yaml"), "--out", str(out), *sets)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["layers"]) == 54
    for row in summary["layers"]:
        assert 1.0 <= row["speedup"] <= 4.0, row["layer"]
        assert row["imbalance_cycles"] >= 0
    assert "Sparsity, per frame" in result.stdout
