"""Fluid bandwidth shares by hand: max-min fairness, weights, priority classes and
regulator caps."""

import pytest

from soc.hw.fluid_dram import fluid_rates, water_fill
from soc.kernel import MemRequest

GB = 1e9


def flow(master, qos=1):
    return MemRequest(0, 64, False, master, qos)


def test_equal_shares_split_again_among_a_masters_flows():
    rates = fluid_rates([flow("a"), flow("a"), flow("b")], 12 * GB, "fcfs", {})
    assert rates == pytest.approx([3 * GB, 3 * GB, 6 * GB])


def test_weights_divide_bandwidth_in_proportion():
    rates = fluid_rates([flow("a"), flow("b")], 12 * GB, "weighted", {"a": 3, "b": 1})
    assert rates == pytest.approx([9 * GB, 3 * GB])


def test_a_capped_master_leaves_its_unused_share_to_the_others():
    # fair share would be 4 each; `a` may take only 1, so b and c get 5.5 each
    shares = water_fill(12 * GB, {"a": 1, "b": 1, "c": 1}, {"a": 1 * GB})
    assert shares == pytest.approx({"a": 1 * GB, "b": 5.5 * GB, "c": 5.5 * GB})


def test_water_filling_caps_in_rounds():
    # a capped at 1 -> 11 for b, c, d (3.67 each) -> b capped at 3 -> 8 for c, d
    caps = {"a": 1 * GB, "b": 3 * GB}
    shares = water_fill(12 * GB, dict.fromkeys("abcd", 1.0), caps)
    assert shares == pytest.approx({"a": 1 * GB, "b": 3 * GB, "c": 4 * GB, "d": 4 * GB})


def test_a_cap_above_the_fair_share_changes_nothing():
    shares = water_fill(12 * GB, {"a": 1, "b": 1}, {"a": 100 * GB})
    assert shares == pytest.approx({"a": 6 * GB, "b": 6 * GB})


def test_priority_gives_the_urgent_class_everything_it_can_take():
    flows = [flow("npu", 0), flow("disp", 1), flow("cam", 1)]
    assert fluid_rates(flows, 12 * GB, "priority", {}) == pytest.approx([12 * GB, 0, 0])
    # regulated to 4 GB/s, the urgent master leaves 8 GB/s to the next class
    rates = fluid_rates(flows, 12 * GB, "priority", {}, caps={"npu": 4 * GB})
    assert rates == pytest.approx([4 * GB, 4 * GB, 4 * GB])


def test_rates_always_sum_to_the_bandwidth_unless_every_master_is_capped():
    flows = [flow("a"), flow("b")]
    assert sum(fluid_rates(flows, 12 * GB, "fcfs", {}, {"a": 2 * GB})) == pytest.approx(12 * GB)
    capped = fluid_rates(flows, 12 * GB, "fcfs", {}, {"a": 2 * GB, "b": 3 * GB})
    assert capped == pytest.approx([2 * GB, 3 * GB])
