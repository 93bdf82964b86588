"""The operator graph and its builder: shapes inferred as the formulas give them, and
inputs that do not fit refused naming the op."""

import pytest

from soc.errors import WorkloadError
from soc.workloads.graph import GraphBuilder, broadcast, fold_silu, graph_of_layers
from soc.workloads.layers import Layer


def test_conv_output_shape_with_asymmetric_pads_and_dilation():
    g = GraphBuilder("t")
    x = g.input("x", (4, 15, 20))
    # H: 15 + 0 + 1 - 2*(3-1) - 1 = 11 -> 11 // 2 + 1 = 6; W: 20 + 2 + 2 - 4 - 1 = 19 -> 10
    y = g.conv("c", x, k=8, kernel=3, stride=2, padding=(0, 2, 1, 2), dilation=2)
    assert g.shape(y) == (8, 6, 10)
    layer = g.build().nodes[0].layer
    assert (layer.p, layer.q, layer.pads, layer.dilation) == (6, 10, (0, 2, 1, 2), 2)
    assert layer.macs == 8 * 6 * 10 * 4 * 3 * 3


def test_grouped_and_depthwise_convs():
    g = GraphBuilder("t")
    x = g.input("x", (8, 4, 4))
    grouped = g.conv("g", x, k=16, kernel=3, padding=1, groups=4)
    dw = g.conv("dw", x, k=8, kernel=3, padding=1, groups=8)
    graph = g.build([grouped, dw])
    layers = {n.name: n.layer for n in graph.nodes}
    assert layers["g"].op == "conv" and layers["g"].groups == 4
    assert layers["g"].macs == 16 * 4 * 4 * (8 // 4) * 9  # K x P x Q x C/groups x R x S
    assert layers["dw"].op == "dwconv" and layers["dw"].macs == 8 * 4 * 4 * 9
    assert graph.parameters == (16 * 2 * 9 + 16) + (8 * 9 + 8)


def test_pooling_floor_and_ceil_modes():
    g = GraphBuilder("t")
    x = g.input("x", (3, 112, 112))
    assert g.shape(g.pool("p", x, "maxpool", 3, 2, padding=1)) == (3, 56, 56)
    # (7 - 2) / 2 = 2.5: floor -> 3 outputs, ceil -> 4
    y = g.input("y", (1, 7, 7))
    assert g.shape(g.pool("f", y, "avgpool", 2, 2)) == (1, 3, 3)
    assert g.shape(g.pool("c", y, "avgpool", 2, 2, ceil_mode=True)) == (1, 4, 4)


def test_elementwise_broadcasts_and_concat_adds_channels():
    g = GraphBuilder("t")
    a, b = g.input("a", (16, 8, 8)), g.input("b", (16, 1, 1))
    assert g.shape(g.elementwise("m", a, b, "mul")) == (16, 8, 8)
    assert g.shape(g.concat("cat", [a, a], axis=0)) == (32, 8, 8)
    assert broadcast((3, 4), (2, 1, 4)) == (2, 3, 4)
    assert broadcast((3, 4), (5,)) is None


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda g, x: g.conv("c1", x, k=6, groups=4), "op c1: groups 4 must divide C = 8"),
        (lambda g, x: g.elementwise("e", x, g.input("v", (3,))), "op e: cannot broadcast 8x4x4"),
        (lambda g, x: g.reshape("r", x, (100,)), "op r: cannot reshape 8x4x4 to 100"),
        (lambda g, x: g.conv("c2", g.fc("f", x, 10), k=4), "op c2: needs a C x H x W input"),
        (lambda g, x: g.conv("c3", "nope", k=4), "no tensor 'nope'"),
        (lambda g, x: g.concat("j", [x, g.input("z", (8, 2, 2))]), "op j: cannot concatenate"),
    ],
)
def test_bad_ops_are_refused_naming_the_op(build, message):
    g = GraphBuilder("net")
    x = g.input("x", (8, 4, 4))
    with pytest.raises(WorkloadError, match=message):
        build(g, x)


def test_a_graph_reading_a_later_tensor_is_refused():
    g = GraphBuilder("net")
    x = g.input("x", (8, 4, 4))
    g.conv("a", x, k=8)
    graph = g.build()
    swapped = graph.__class__("net", graph.inputs, graph.nodes, ("missing",))
    with pytest.raises(WorkloadError, match="output 'missing' is not made by any op"):
        swapped.check()


def test_a_layer_list_becomes_a_chain_with_outside_sources_as_inputs():
    layers = [
        Layer("c1", "conv", c=3, k=8, h=8, w=8, r=3, s=3, padding=1),
        Layer("c2", "conv", c=8, k=8, h=4, w=4, source="pool"),
        Layer("fc", "fc", c=8 * 4 * 4, k=10),
    ]
    graph = graph_of_layers("t", layers)
    assert graph.inputs == (("input", (3, 8, 8)), ("pool", (8, 4, 4)))
    assert [n.inputs for n in graph.nodes] == [("input",), ("pool",), ("c2",)]
    assert graph.layers == layers and graph.outputs == ("fc",)


def test_global_pooling_takes_only_its_kinds_and_a_misfit_names_the_pads():
    g = GraphBuilder("net")
    x = g.input("x", (8, 4, 4))
    with pytest.raises(WorkloadError, match="op gp: global pooling kind 'relu'"):
        g.global_pool("gp", x, "relu")
    with pytest.raises(
        WorkloadError, match=r"padding \(top, left, bottom, right\) = \(0, 0, 1, 1\)"
    ):
        g.conv("c", x, k=4, kernel=7, padding=(0, 0, 1, 1))


def test_x_times_its_sigmoid_is_one_silu_op():
    g = GraphBuilder("t")
    x = g.input("x", (4, 2, 2))
    s = g.activation("s", x, "sigmoid")
    m = g.elementwise("m", x, s, "mul")  # SiLU as exporters write it
    t = g.activation("t", m, "sigmoid")
    kept = g.elementwise("k", t, x, "mul")  # not x * sigmoid(x): stays
    graph = fold_silu(g.build([kept]))
    assert [(n.name, n.kind, n.inputs) for n in graph.nodes] == [
        ("m", "silu", ("x",)),
        ("t", "sigmoid", ("m",)),
        ("k", "mul", ("t", "x")),
    ]
    graph.check()
