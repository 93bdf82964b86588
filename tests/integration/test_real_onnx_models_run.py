"""Published ONNX models, as the `onnx` package ships them (the ONNX model zoo's, with
their weights replaced by ConstantOfShape nodes), imported and simulated end to end:
every frame executes exactly the MACs that ONNX's own shape inference gives."""

import json
from pathlib import Path

import onnx
import pytest

from tests.unit.workloads.test_onnx_import import independent_macs

from .conftest import soc

LIGHT = Path(onnx.__file__).parent / "backend/test/data/light"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["light_squeezenet", "light_shufflenet", "light_inception_v1"])
def test_published_onnx_model_runs_end_to_end(tmp_path, name):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"name: {name}\n"
        f"workload: {{model: 'onnx:{LIGHT / (name + '.onnx')}'}}\n"
        "soc: {dram: {fidelity: fluid}}\n"
        "run: {trace_level: layer, plots: false, chrome_trace: false, native_trace: false}\n"
    )
    out = tmp_path / "run"
    result = soc("run", str(scenario), "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    macs, convs, gemms = independent_macs(LIGHT / f"{name}.onnx")
    assert summary["macs"]["executed"] == summary["macs"]["expected"] == macs
    assert len(summary["layers"]) == convs + gemms
    units = {op["unit"] for op in summary["ops"]}
    assert {"npu", "cpu"} <= units  # pooling, concat or adds run on the CPU
    others = [op for op in summary["ops"] if op["kind"] == "other"]
    if name == "light_inception_v1":  # local response normalisation: not modelled
        assert [op["op_type"] for op in others] == ["LRN", "LRN"]
        assert all(op["unit"] == "cpu" for op in others)
        assert any("LRN x2" in note for note in summary["notes"])
    else:
        assert others == []
