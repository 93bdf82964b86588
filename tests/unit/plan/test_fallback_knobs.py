"""The CPU fallback's knobs and the drain's activations change the plan as the cost
model says, on a small ONNX graph: conv -> x * sigmoid(x) -> reshape -> x @ x^T."""

import math

import onnx
import pytest
from onnx import TensorProto, helper

from soc.config import ScenarioConfig, WorkloadConfig
from soc.plan import HostStep, plan_workload

MATMUL_MACS = 8 * 16 * 8  # (8 x 16) @ (16 x 8)
ELEMENTS = 8 * 4 * 4  # the conv's output


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    weight = helper.make_tensor("w", TensorProto.FLOAT, [8, 8, 1, 1], [0.5] * 64)
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [8, 16])
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Sigmoid", ["c"], ["s"], name="sig"),
        helper.make_node("Mul", ["c", "s"], ["silu"], name="silu"),
        helper.make_node("Reshape", ["silu", "shape"], ["flat"], name="flat"),
        helper.make_node("Transpose", ["flat"], ["t"], name="t", perm=[1, 0]),
        helper.make_node("MatMul", ["flat", "t"], ["y"], name="mm"),
    ]
    graph = helper.make_graph(
        nodes,
        "m",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 8])],
        initializer=[weight, shape],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def host_steps(model, **soc) -> dict[str, HostStep]:
    config = ScenarioConfig(name="t", soc=soc, workload=WorkloadConfig(model=f"onnx:{model}"))
    plan = plan_workload(config)
    return {s.name: s for s in plan.program.steps if isinstance(s, HostStep)}


def test_default_costs(model):
    steps = host_steps(model)
    assert set(steps) == {"silu", "t", "mm"}  # the conv is the engine's, the reshape free
    assert steps["silu"].cycles == math.ceil(ELEMENTS * 0.25)
    assert steps["mm"].cycles == math.ceil(MATMUL_MACS * 0.125)
    assert steps["mm"].request_bytes == 1024


def test_each_knob_changes_its_cost(model):
    fallback = {"cycles_per_mac": 1.0, "cycles_per_element": 2.0, "request_bytes": 64}
    steps = host_steps(model, cpu={"fallback": fallback})
    assert steps["mm"].cycles == MATMUL_MACS
    assert steps["silu"].cycles == ELEMENTS * 2
    assert steps["t"].cycles == 8 * 16 * 2
    assert steps["mm"].request_bytes == 64
    per_kind = host_steps(model, cpu={"fallback": {"per_kind": {"silu": 10, "matmul": 3}}})
    assert per_kind["silu"].cycles == ELEMENTS * 10
    assert per_kind["mm"].cycles == MATMUL_MACS * 3
    assert per_kind["t"].cycles == math.ceil(8 * 16 * 0.25)


def test_a_drain_that_applies_silu_fuses_it(model):
    steps = host_steps(model, flexnn={"drain_activations": ["relu", "clip", "silu"]})
    assert set(steps) == {"t", "mm"}  # the SiLU is applied as the conv's outputs drain


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown op kind 'swish'"):
        ScenarioConfig(
            name="t",
            soc={"cpu": {"fallback": {"per_kind": {"swish": 1}}}},
            workload=WorkloadConfig(model="zoo:edge_cnn"),
        )
