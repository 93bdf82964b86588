"""EnergyLedger: count x pJ plus W x ps, booked to top-level components."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc.energy import EnergyLedger, EnergyTable, component_of
from soc.kernel.vocab import UNPRICED_ACTIONS, Action
from soc.trace.events import ActivityEvent

PRICED = [a for a in Action if a not in UNPRICED_ACTIONS]
# Every priced action costs 0 pJ except three; static power for two components.
PRICES_PJ = {"mac": 0.5, "sram_read_byte": 2.0, "cpu_active_ps": 0.1}
TABLE = EnergyTable.model_validate(
    {
        "name": "tiny",
        "actions": {a.value: 0.0 for a in PRICED}
        | {"mac": "0.5 pJ", "sram_read_byte": "2 pJ", "cpu_active_ps": "0.1 W"},
        "static_power": {"npu": "1 mW", "sram": "2 mW"},
    }
)


def ledger_after(events: list[tuple[str, Action, int]], end_ps: int) -> EnergyLedger:
    ledger = EnergyLedger(TABLE)
    for component, action, amount in events:
        ledger.on_activity(ActivityEvent(0, component, action, amount, None))
    ledger.close(end_ps)
    return ledger


def test_component_of():
    assert component_of("npu.load") == "npu"
    assert component_of("sram.bank0.port1") == "sram"
    assert component_of("cpu") == "cpu"


def test_hand_computed_breakdown():
    ledger = ledger_after(
        [
            ("npu.pe", Action.MAC, 1_000),  # 1000 x 0.5 pJ = 500 pJ
            ("npu.load", Action.MAC_SLOT, 999),  # unpriced: ignored
            ("sram.bank0", Action.SRAM_READ_BYTE, 64),  # (64 + 36) x 2 pJ = 200 pJ
            ("sram.bank1", Action.SRAM_READ_BYTE, 36),
            ("sram.bank1", Action.SRAM_BANK_CONFLICT, 5),  # unpriced: ignored
            ("cpu", Action.CPU_ACTIVE_PS, 2_000),  # 0.1 W x 2000 ps = 200 pJ
        ],
        end_ps=1_000_000,  # static: npu 1 mW x 1e6 ps = 1000 pJ, sram 2 mW -> 2000 pJ
    )
    result = ledger.breakdown()
    components = result["by_component"]
    assert set(components) == {"npu", "sram", "cpu"}
    assert components["npu"] == {
        "dynamic_pj": pytest.approx(500.0),
        "static_pj": pytest.approx(1_000.0),
        "total_pj": pytest.approx(1_500.0),
        "by_action": {"mac": pytest.approx(500.0)},
    }
    assert components["sram"]["by_action"] == {"sram_read_byte": pytest.approx(200.0)}
    assert components["sram"]["total_pj"] == pytest.approx(2_200.0)
    assert components["cpu"]["static_pj"] == 0.0
    assert components["cpu"]["total_pj"] == pytest.approx(200.0)
    assert result["by_action"] == {
        "cpu_active_ps": pytest.approx(200.0),
        "mac": pytest.approx(500.0),
        "sram_read_byte": pytest.approx(200.0),
        "static": pytest.approx(3_000.0),
    }
    assert result["total_pj"] == pytest.approx(3_900.0)
    assert result["table"] == "tiny"


def test_breakdown_before_close_is_an_error():
    with pytest.raises(RuntimeError, match="before the run closed"):
        EnergyLedger(TABLE).breakdown()


activity = st.lists(
    st.tuples(
        st.sampled_from(["npu.pe", "npu.load", "sram.bank0", "dram", "cpu", "noc.xbar"]),
        st.sampled_from(list(Action)),
        st.integers(0, 10**6),
    ),
    max_size=30,
)


@given(events=activity, end_ps=st.integers(0, 10**9))
def test_breakdown_sums_to_total(events, end_ps):
    result = ledger_after(events, end_ps).breakdown()
    total = result["total_pj"]
    # Independent reference: sum of count x price, plus W x ps for each static power.
    dynamic = sum(n * PRICES_PJ.get(action.value, 0.0) for _, action, n in events)
    static = (0.001 + 0.002) * end_ps
    assert total == pytest.approx(dynamic + static, rel=1e-9, abs=1e-6)
    assert sum(result["by_action"].values()) == pytest.approx(total, rel=1e-9, abs=1e-6)
    components = result["by_component"].values()
    assert sum(c["total_pj"] for c in components) == pytest.approx(total, rel=1e-9, abs=1e-6)
    for c in components:
        assert c["dynamic_pj"] >= 0 and c["static_pj"] >= 0
        assert sum(c["by_action"].values()) == pytest.approx(c["dynamic_pj"], abs=1e-6)
        assert c["dynamic_pj"] + c["static_pj"] == pytest.approx(c["total_pj"])
        assert not set(c["by_action"]) & {a.value for a in UNPRICED_ACTIONS}


def test_layers_masters_and_power_over_time_by_hand():
    from soc.kernel.vocab import LAYER_START, SpanKind
    from soc.trace.events import InstantEvent, SpanEvent

    ledger = EnergyLedger(TABLE, window_ps=1_000_000, layer_components=frozenset({"npu"}))

    def act(t, component, action, amount, master=None):
        ledger.on_activity(ActivityEvent(t, component, action, amount, master))

    act(0, "cpu", Action.CPU_ACTIVE_PS, 1_000)  # 100 pJ, before any layer
    ledger.on_instant(InstantEvent(100_000, "npu", LAYER_START, {"layer": "conv"}))
    act(200_000, "npu.pe", Action.MAC, 400)  # 200 pJ: the layer's own component
    act(300_000, "sram.bank0", Action.SRAM_READ_BYTE, 50, "npu.load")  # 100 pJ for npu
    act(1_200_000, "sram.bank1", Action.SRAM_READ_BYTE, 10, "cpu")  # 20 pJ: not npu's
    ledger.on_span(SpanEvent(100_000, 1_500_000, "npu", SpanKind.LAYER, {"layer": "conv"}, False))
    act(1_600_000, "npu.pe", Action.MAC, 100)  # 50 pJ, after the layer
    ledger.close(2_000_000)
    result = ledger.breakdown()
    # the layer: 300 pJ dynamic; npu static 1 mW over its 1.4 us = 1400 pJ
    assert result["by_layer"] == {
        "conv": {
            "dynamic_pj": pytest.approx(300.0),
            "static_pj": pytest.approx(1_400.0),
            "total_pj": pytest.approx(1_700.0),
            "by_component": {"npu": pytest.approx(200.0), "sram": pytest.approx(100.0)},
        }
    }
    # activity that names a master, by the master's component
    assert result["by_master"] == {"cpu": pytest.approx(20.0), "npu": pytest.approx(100.0)}
    # watts per 1 us window: dynamic pJ / 1e6 ps, plus static (npu 1 mW, sram 2 mW)
    watts = result["power_over_time"]["watts"]
    assert watts["cpu"] == pytest.approx([100 / 1e6, 0.0])
    assert watts["npu"] == pytest.approx([200 / 1e6 + 1e-3, 50 / 1e6 + 1e-3])
    assert watts["sram"] == pytest.approx([100 / 1e6 + 2e-3, 20 / 1e6 + 2e-3])
    # integrated over the run, the power is the total energy
    integral = sum(w * 1e6 for row in watts.values() for w in row)
    assert integral == pytest.approx(result["total_pj"])
    counters = ledger.final_counters(2_000_000)
    assert ("power", "npu mW", 1_000_000) in {(c.track, c.name, c.t_ps) for c in counters}


def test_an_engine_layer_and_a_host_op_running_at_once_each_get_their_own():
    """Two pipelines: one's engine layer runs while another's op runs on the CPU. The
    engine's activity (and its requests') goes to the layer, the CPU's to the op."""
    from soc.kernel.vocab import LAYER_START, SpanKind
    from soc.trace.events import InstantEvent, SpanEvent

    ledger = EnergyLedger(TABLE, layer_components=frozenset({"npu"}))

    def act(t, component, action, amount, master=None):
        ledger.on_activity(ActivityEvent(t, component, action, amount, master))

    ledger.on_instant(InstantEvent(0, "npu", LAYER_START, {"layer": "a.conv"}))
    ledger.on_instant(InstantEvent(100, "cpu.b", LAYER_START, {"layer": "b.add"}))
    act(200, "npu.pe", Action.MAC, 10)  # 5 pJ: the layer's
    act(300, "cpu", Action.CPU_ACTIVE_PS, 100)  # 10 pJ: the op's
    act(400, "sram.bank0", Action.SRAM_READ_BYTE, 1, "cpu")  # 2 pJ: the op's request
    ledger.on_span(SpanEvent(100, 500, "cpu.b", SpanKind.HOST_OP, {"layer": "b.add"}, False))
    act(600, "sram.bank0", Action.SRAM_READ_BYTE, 2, "npu.load")  # 4 pJ: the layer's
    act(650, "cpu", Action.CPU_ACTIVE_PS, 10)  # 1 pJ: no op runs
    ledger.on_span(SpanEvent(0, 1_000, "npu", SpanKind.LAYER, {"layer": "a.conv"}, False))
    ledger.close(1_000)
    by_layer = ledger.breakdown()["by_layer"]
    assert by_layer["a.conv"]["by_component"] == {
        "npu": pytest.approx(5.0),
        "sram": pytest.approx(4.0),
    }
    assert by_layer["b.add"]["by_component"] == {
        "cpu": pytest.approx(10.0),
        "sram": pytest.approx(2.0),
    }
    # static power over each one's own time: the npu's 1 mW over 1000 ps; the CPU has none
    assert by_layer["a.conv"]["static_pj"] == pytest.approx(1e-3 * 1_000)
    assert by_layer["b.add"]["static_pj"] == 0.0
