"""The mapper: the flexible choice is never worse than a fixed dataflow, the fixed
dataflows keep what they promise, and the analytic compute cycles match the rounds."""

import pytest

from soc.config import FlexNNConfig, SramConfig
from soc.energy import load_energy_table
from soc.errors import MappingError
from soc.flexnn import TensorAddrs, build_plan
from soc.flexnn.cost import CostParams, compute_cycles
from soc.flexnn.mapper import FIXED, map_layer, search
from soc.flexnn.problem import REDUCTION_DIMS
from soc.workloads import Layer

HW, SRAM = FlexNNConfig(), SramConfig()
PARAMS = CostParams(dict(load_energy_table().actions), dram_bytes_per_cycle=9.8)
ADDRS = TensorAddrs(0, 1 << 26, 1 << 28)
LAYERS = [
    Layer("conv3x3", "conv", c=64, k=64, h=28, w=28, r=3, s=3, padding=1),
    Layer("stem", "conv", c=3, k=32, h=64, w=64, r=3, s=3, stride=2, padding=1),
    Layer("pointwise", "conv", c=96, k=24, h=14, w=14),
    Layer("depthwise", "dwconv", c=48, k=48, h=28, w=28, r=3, s=3, padding=1),
    Layer("fc", "fc", c=1024, k=100),
]


@pytest.mark.parametrize("objective", ["energy", "latency", "edp"])
@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_flexible_is_never_worse_than_a_fixed_dataflow(layer, objective):
    result = map_layer(layer, HW, SRAM, PARAMS, objective)
    best = result.best.cost.objective(objective)
    fitted = [c for c in result.baselines.values() if c is not None]
    assert fitted, "at least one fixed dataflow fits every layer"
    assert all(best <= c.cost.objective(objective) for c in fitted)
    assert result.best.descriptor.name == "flexible"


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_chosen_descriptors_run_and_their_cycles_match_the_rounds(layer):
    for kind in (None, *FIXED):
        choice = search(layer, HW, SRAM, PARAMS, "edp", kind)
        if choice is None:
            assert kind == "rs" and (layer.r == 1 or layer.p == 1)
            continue
        plan = build_plan(layer, HW, SRAM, ADDRS, choice.descriptor)
        assert int(plan.rounds.macs.sum()) == layer.macs
        # the closed form factorises the sum over rounds per dimension
        assert compute_cycles(layer, choice.descriptor) == int(plan.rounds.compute_cycles.sum())


def test_output_stationary_keeps_partial_sums_in_the_pes():
    choice = search(LAYERS[0], HW, SRAM, PARAMS, "edp", "os")
    rounds = build_plan(LAYERS[0], HW, SRAM, ADDRS, choice.descriptor).rounds
    assert int(rounds.psum_bytes.sum()) == 0
    assert int(rounds.of_bytes.sum()) == LAYERS[0].output_elements


def test_without_spatial_reduction_no_reduction_dimension_is_spread_over_pes():
    hw = HW.model_copy(update={"spatial_reduction": False})
    for layer in LAYERS:
        choice = search(layer, hw, SRAM, PARAMS, "edp")
        spread = {lp.dim for lp in choice.descriptor.rows + choice.descriptor.cols}
        assert not spread & REDUCTION_DIMS
    assert search(LAYERS[0], hw, SRAM, PARAMS, "edp", "rs") is None


def test_unknown_objective():
    with pytest.raises(MappingError, match="unknown objective 'speed'"):
        search(LAYERS[0], HW, SRAM, PARAMS, "speed")
