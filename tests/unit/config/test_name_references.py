"""References by name that match nothing are refused, naming the key path, its line
and the known names: a layer's source, per-layer settings, NoC placement."""

import textwrap
from pathlib import Path

import pytest

from soc.config import load_scenario
from soc.errors import ConfigError, WorkloadError
from soc.plan import plan_workload

LAYERS = """\
name: t
workload:
  layers:
    - {name: conv, op: conv, c: 64, k: 64, h: 8, w: 8, r: 3, s: 3, padding: 1}
    - {name: head, op: fc, c: 256, k: 10, SOURCE}
"""
ZOO = "name: t\nworkload:\n  model: zoo:edge_cnn\n"
EDGE_CNN = "conv1, dw2, pw3, conv4, fc5"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path, overrides=()) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_source_naming_no_layer_is_refused(tmp_path):
    path = write(tmp_path, LAYERS.replace("SOURCE", "source: pooled"))
    assert error_of(path) == (
        f"{path}:5: workload.layers[1].source: 'pooled' is no earlier layer (earlier "
        "layers: conv); an input made outside the accelerator is written external:pooled"
    )


def test_source_naming_a_later_layer_is_refused(tmp_path):
    path = write(tmp_path, LAYERS.replace("SOURCE", "source: head"))
    assert error_of(path) == (
        f"{path}:5: workload.layers[1].source: 'head' is this layer or a later one, "
        "not an earlier one (earlier layers: conv)"
    )


def test_first_layer_may_only_read_an_outside_tensor(tmp_path):
    text = LAYERS.replace("SOURCE", "source: conv").replace("padding: 1}", "padding: 1, source: x}")
    assert error_of(write(tmp_path, text)).startswith(
        f"{tmp_path / 's.yaml'}:4: workload.layers[0].source: 'x' is no earlier layer "
        "(earlier layers: none)"
    )


@pytest.mark.parametrize(
    ("given", "source"),
    [("source: external:pooled", "external:pooled"), ("source: conv", "conv"), ("stride: 1", None)],
)
def test_outside_tensor_earlier_layer_or_none_are_accepted(tmp_path, given, source):
    config = load_scenario(write(tmp_path, LAYERS.replace("SOURCE", given)))
    assert config.workload.layers[1].source == source


def test_external_source_needs_a_name(tmp_path):
    path = write(tmp_path, LAYERS.replace("SOURCE", 'source: "external:"'))
    assert error_of(path) == (
        f"{path}:5: workload.layers[1].source: name the outside tensor: external:<name>"
    )


@pytest.mark.parametrize(
    ("block", "line", "key"),
    [
        ("  per_layer: {conv9: ws}\n", 6, "workload.per_layer.conv9"),
        (
            "  sparsity:\n    per_layer: {conv9: {weights: 0.5}}\n",
            7,
            "workload.sparsity.per_layer.conv9",
        ),
        (
            "  sparsity:\n    onnx: m.onnx\n    onnx_names: {conv9: w}\n",
            8,
            "workload.sparsity.onnx_names.conv9",
        ),
    ],
)
def test_per_layer_setting_naming_no_inline_layer_is_refused(tmp_path, block, line, key):
    path = write(tmp_path, LAYERS.replace(", SOURCE", "") + block)
    assert error_of(path) == f"{path}:{line}: {key}: no such layer (layers: conv, head)"


def test_per_layer_setting_naming_no_zoo_layer_is_refused_at_planning(tmp_path):
    # the zoo model's layer names are known once the model is loaded
    path = write(tmp_path, ZOO + "  sparsity:\n    per_layer: {conv9: {weights: 0.5}}\n")
    config = load_scenario(path)
    with pytest.raises(WorkloadError) as info:
        plan_workload(config)
    assert str(info.value) == (
        f"workload.sparsity.per_layer.conv9: no such layer (layers: {EDGE_CNN})"
    )


def test_per_layer_naming_no_zoo_layer_is_refused_at_planning(tmp_path):
    config = load_scenario(write(tmp_path, ZOO + "  per_layer: {conv9: ws}\n"))
    with pytest.raises(WorkloadError, match=r"^workload\.per_layer\.conv9: no such layer"):
        plan_workload(config)


def test_long_layer_lists_are_shortened_to_the_closest_names():
    from soc.config.keypath import name_list

    names = [f"layer{i}" for i in range(20)]
    message = name_list(names, "layer1x")
    assert message.startswith("20 of them, layer0, layer1, ..., layer19; closest: layer1, ")
    assert name_list(names[:12], "x") == ", ".join(names[:12])  # a few: all of them


MASTERS = """\
masters:
  - {kind: camera, name: cam, width: 64, height: 64, fps: 30}
soc:
  noc: {topology: ring, routers: 4, placement: PLACEMENT}
"""


def test_placement_naming_no_endpoint_is_refused(tmp_path):
    path = write(tmp_path, ZOO + MASTERS.replace("PLACEMENT", "{dma: 0, gpu: 1}"))
    assert error_of(path) == (
        f"{path}:7: soc.noc.placement.gpu: no such endpoint (endpoints: cam, cpu, dma, dram, sram)"
    )


def test_placement_of_every_endpoint_is_accepted(tmp_path):
    placement = "{cam: 0, cpu: 1, dma: 2, dram: 3, sram: 0}"
    config = load_scenario(write(tmp_path, ZOO + MASTERS.replace("PLACEMENT", placement)))
    assert set(config.soc.noc.placement) == {"cam", "cpu", "dma", "dram", "sram"}


def test_placement_endpoints_are_what_assemble_wires(tmp_path):
    from soc.assemble import assemble
    from soc.config.scenario import NOC_ENDPOINTS
    from soc.kernel import NullRecorder

    config = load_scenario(write(tmp_path, ZOO + MASTERS.replace("PLACEMENT", "{}")))
    system = assemble(config, NullRecorder())
    assert set(system.noc._up) == {*NOC_ENDPOINTS, "cam"}


def test_unknown_name_set_on_the_command_line_names_the_override(tmp_path):
    path = write(tmp_path, LAYERS.replace(", SOURCE", ""))
    assert error_of(path, ["workload.per_layer={conv2: ws}"]) == (
        "--set workload.per_layer={conv2: ws}: workload.per_layer.conv2: no such layer "
        "(layers: conv, head)"
    )
