"""Layer shapes and chaining."""

import pytest

from soc.config import WorkloadConfig
from soc.errors import WorkloadError
from soc.workloads import Layer, check_chain, load_workload


def test_output_size_and_macs_by_hand():
    # 224x224, 7x7, stride 2, pad 3: P = (224 + 6 - 7) // 2 + 1 = 112
    layer = Layer("conv1", "conv", c=3, k=64, h=224, w=224, r=7, s=7, stride=2, padding=3)
    assert (layer.p, layer.q) == (112, 112)
    assert layer.macs == 64 * 112 * 112 * 3 * 7 * 7 == 118_013_952
    assert layer.weight_elements == 64 * 3 * 49


def test_depthwise_has_one_channel_per_group():
    layer = Layer("dw", "dwconv", c=32, k=32, h=8, w=8, r=3, s=3, padding=1)
    assert layer.groups == 32 and layer.reduction == 9
    assert layer.macs == 32 * 8 * 8 * 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"op": "conv", "c": 3, "k": 0}, "layer x: k must be positive"),
        ({"op": "dwconv", "c": 8, "k": 4}, "layer x: dwconv needs k == c (4 != 8)"),
        (
            {"op": "conv", "c": 3, "k": 4, "h": 2, "w": 2, "r": 5, "s": 5},
            "layer x: kernel 5x5 does not fit input 2x2 with padding 0",
        ),
        ({"op": "fc", "c": 3, "k": 4, "h": 2}, "layer x: fc takes a flat input"),
    ],
)
def test_bad_layers_name_the_layer(kwargs, message):
    with pytest.raises(WorkloadError) as info:
        Layer("x", **kwargs)
    assert str(info.value).startswith(message)


def test_chain_mismatch_names_both_layers():
    a = Layer("a", "conv", c=3, k=8, h=8, w=8)
    b = Layer("b", "conv", c=16, k=8, h=8, w=8)
    with pytest.raises(WorkloadError) as info:
        check_chain([a, b])
    assert str(info.value) == "layer b: expects 16x8x8 but a produces 8x8x8 (CxHxW)"


def test_fc_flattens_the_previous_output():
    a = Layer("a", "conv", c=3, k=8, h=4, w=4)
    check_chain([a, Layer("fc", "fc", c=8 * 4 * 4, k=10)])
    with pytest.raises(WorkloadError, match="fc: expects c = 100"):
        check_chain([a, Layer("fc", "fc", c=100, k=10)])


def test_zoo_and_inline_layers():
    zoo = load_workload(WorkloadConfig(model="zoo:edge_cnn"))
    assert [layer.op for layer in zoo] == ["conv", "dwconv", "conv", "conv", "fc"]
    inline = load_workload(
        WorkloadConfig(
            layers=[
                {"name": "c", "op": "conv", "c": 3, "k": 8, "h": 8, "w": 8},
                {"name": "d", "op": "dwconv", "c": 8, "h": 8, "w": 8},
            ]
        )
    )
    assert inline[1].k == 8
    with pytest.raises(WorkloadError, match="unknown zoo model 'nope'"):
        load_workload(WorkloadConfig(model="zoo:nope"))
