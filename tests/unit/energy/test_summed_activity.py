"""Activity summed per window by the tracer prices exactly as the single increments."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.energy import EnergyLedger
from soc.kernel.vocab import LAYER_START, Action, Level, SpanKind
from soc.trace import Tracer

from .test_ledger import TABLE

WINDOW_PS = 1_000

step = st.one_of(
    st.tuples(
        st.just("act"),
        st.integers(0, 700),  # time since the previous step
        st.sampled_from(["npu.pe", "sram", "dram", "cpu", "noc"]),
        st.sampled_from([Action.MAC, Action.SRAM_READ_BYTE, Action.CPU_ACTIVE_PS]),
        st.integers(1, 10**6),
        st.sampled_from([None, "npu.load", "dma", "cpu"]),
    ),
    st.tuples(st.just("layer"), st.integers(0, 3_000)),
)


def breakdown(steps, window):
    ledger = EnergyLedger(TABLE, window_ps=WINDOW_PS, layer_components=frozenset({"npu"}))
    tracer = Tracer(Level.LAYER, [ledger], batch_records=5, activity_window_ps=window)
    t, layer = 0, 0
    for s in steps:
        t += s[1]
        if s[0] == "act":
            tracer.activity(t, *s[2:])
        else:  # a layer of s[1] ps starts now and ends later
            name = f"l{layer % 3}"
            tracer.instant(t, "npu", LAYER_START, {"layer": name})
            tracer.activity(t, "npu.pe", Action.MAC, 7, None)
            start, t = t, t + s[1]
            tracer.span(start, t, "npu", SpanKind.LAYER, {"layer": name}, False)
            layer += 1
    tracer.close(t + 1)
    return ledger.breakdown()


def approx(value):
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9, abs=1e-9)
    return value


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, max_size=40))
def test_windowed_sums_give_the_breakdown_of_single_increments(steps):
    assert breakdown(steps, WINDOW_PS) == approx(breakdown(steps, None))
