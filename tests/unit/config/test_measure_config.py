"""`workload.sparsity.measure`: its keys, their refusals, and its input path relative to
the scenario file."""

import pytest
import yaml

from soc.config import load_scenario
from soc.config.measure import MeasureConfig
from soc.errors import ConfigError

SCENARIO = {"name": "m", "workload": {"model": "onnx:net.onnx", "sparsity": {}}}


def write(folder, measure):
    data = {**SCENARIO, "workload": {**SCENARIO["workload"], "sparsity": {"measure": measure}}}
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_input_is_relative_to_the_scenario_and_an_override_to_the_current_folder(
    tmp_path, monkeypatch
):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    path = write(folder, {"input": "images/cat.png"})
    assert load_scenario(path).workload.sparsity.measure.input == folder / "images" / "cat.png"
    monkeypatch.chdir(tmp_path)
    config = load_scenario(path, ["workload.sparsity.measure.input=dog.jpg"])
    assert config.workload.sparsity.measure.input == tmp_path / "dog.jpg"


def test_measure_makes_sparsity_active(tmp_path):
    config = load_scenario(write(tmp_path, {"input": "x.npy"}))
    assert config.workload.sparsity.active


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ({"input": "x.npy", "mean": [0.5]}, "mean does not apply to a .npy input"),
        ({"input": "x.txt"}, "input 'x.txt' is neither a .npy file nor an image"),
        ({"input": "x.png", "std": [1.0, 0.0, 1.0]}, "std [1.0, 0.0, 1.0] must be non-zero"),
        ({"input": "x.png", "resize": [0, 8]}, "resize [0, 8] must be two positive sizes"),
        ({"input": "x.png", "channels": "L", "mean": [1, 2]}, "channels L has one channel"),
        ({"input": "x.png", "layout": "CHW"}, "layout: Input should be 'NCHW' or 'NHWC'"),
        ({"resize": [8, 8]}, "measure.input: required key is missing"),
    ],
)
def test_a_bad_measure_block_is_one_line_naming_the_key(tmp_path, measure, message):
    path = write(tmp_path, measure)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    text = str(info.value)
    assert text.startswith(f"{path}:") and "workload.sparsity.measure" in text
    assert message in text and "\n" not in text


def test_the_defaults_of_a_resolved_npy_config_are_accepted():
    """A run folder's config.yaml writes every key: defaults must not count as given."""
    dumped = MeasureConfig(input="x.npy").model_dump(mode="json")
    assert MeasureConfig(**dumped).input.name == "x.npy"
