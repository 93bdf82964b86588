"""Where each op runs, and what a CPU op costs: hand-derived from the cost model."""

import math

from soc.config import ScenarioConfig, WorkloadConfig
from soc.plan.placement import buffer_of, place
from soc.plan.program import HostStep, host_work, plan_workload
from soc.workloads.graph import GraphBuilder


def small_net():
    g = GraphBuilder("small")
    x = g.input("x", (8, 8, 8))
    c1 = g.conv("conv1", x, k=16, kernel=3, padding=1)
    r1 = g.activation("relu1", c1, "relu")
    pool = g.pool("pool", r1, "maxpool", 2, 2)
    c2 = g.conv("conv2", pool, k=16)
    add = g.elementwise("add", pool, c2)
    r2 = g.activation("relu2", add, "relu")
    flat = g.reshape("flat", r2, (256,), kind="flatten")
    sig = g.activation("sig", g.fc("fc", flat, 10), "sigmoid")
    return g.build([sig])


def test_placement_rules():
    placed = {p.node.name: (p.unit, p.into) for p in place(small_net())}
    assert placed == {
        "conv1": ("npu", None),
        "relu1": ("fused", "conv1"),  # the drain applies it
        "pool": ("cpu", None),
        "conv2": ("npu", None),
        "add": ("cpu", None),
        "relu2": ("fused", "add"),  # in the add's CPU pass
        "flat": ("free", "add"),
        "fc": ("npu", None),
        "sig": ("cpu", None),  # the drain does ReLU and Clip only
    }
    owner = buffer_of(place(small_net()))
    assert owner["relu1"] == "conv1" and owner["flat"] == "add" and owner["relu2"] == "add"


def test_an_activation_whose_input_has_two_readers_is_not_fused():
    g = GraphBuilder("t")
    x = g.input("x", (4, 4, 4))
    c = g.conv("c", x, k=4)
    r = g.activation("r", c, "relu")
    g.elementwise("a", r, c)
    placed = {p.node.name: p.unit for p in place(g.build())}
    assert placed["r"] == "cpu"


def test_cpu_work_units():
    nodes = {n.name: n for n in small_net().nodes}
    shapes = small_net().shapes()
    assert host_work(nodes["pool"], shapes) == 16 * 4 * 4 * 2 * 2  # outputs x window taps
    assert host_work(nodes["add"], shapes) == 16 * 4 * 4


def test_program_of_a_zoo_model_costs_its_cpu_ops_by_hand():
    """ResNet-50's first residual add, on the default CPU cost model (0.25 cycles per
    element for the add and for the ReLU fused into it; 1 B elements)."""
    config = ScenarioConfig(name="t", workload=WorkloadConfig(model="zoo:resnet50"))
    plan = plan_workload(config)
    steps = {s.name: s for s in plan.program.steps if isinstance(s, HostStep)}
    add = steps["layer1.0.add"]
    elements = 256 * 56 * 56
    assert add.cycles == math.ceil(elements * 0.25 + elements * 0.25)
    assert [size for _, size in add.reads] == [elements, elements]  # conv3 and downsample
    assert [size for _, size in add.writes] == [elements]
    assert add.request_bytes == 1024
    pool = steps["pool1"]  # 3x3 max pool: 64 x 56 x 56 outputs, 9 taps each
    assert pool.cycles == math.ceil(64 * 56 * 56 * 9 * 0.25)
    assert [size for _, size in pool.reads] == [64 * 112 * 112]
    kinds = [s.kind for s in plan.program.steps if isinstance(s, HostStep)]
    assert kinds == ["maxpool"] + ["add"] * 16 + ["globalavgpool"]
    # the classifier reads the pooled vector's buffer, behind a free flatten
    fc = next(p for p in plan.plans if p.name == "fc")
    assert fc.layer.source == "avgpool"
