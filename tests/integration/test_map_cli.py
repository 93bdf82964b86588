"""`soc map`: per-layer dataflows against the fixed baselines, as a table and CSV."""

import csv

import pytest

from .conftest import soc


@pytest.mark.slow
def test_map_resnet50(tmp_path):
    out = tmp_path / "r50.csv"
    result = soc("map", "resnet50", "--objective", "edp", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert "54 layers mapped" in result.stdout
    assert "worse than a fixed dataflow: 0" in result.stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 54  # 53 convolutions and the classifier
    for row in rows:
        for kind in ("is", "ws", "os", "rs"):
            if row[f"{kind}_saving"]:
                assert float(row[f"{kind}_saving"]) >= 0, (row["layer"], kind)


def test_map_zoo_model_prints_one_row_per_layer():
    result = soc("map", "edge_cnn", "--objective", "energy")
    assert result.returncode == 0, result.stderr
    for name in ("conv1", "dw2", "pw3", "conv4", "fc5", "total"):
        assert f" {name} " in result.stdout


def test_map_bad_objective_is_one_line():
    result = soc("map", "edge_cnn", "--objective", "speed")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: Invalid value: --objective must be one of energy, latency, edp"
    ]


def test_map_unknown_model():
    result = soc("map", "nonet")
    assert result.returncode == 2
    assert "unknown zoo model 'nonet'" in result.stderr
