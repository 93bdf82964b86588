"""StatsCollector: per-run layer means and bound, frames, activity and masters."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc.kernel.vocab import Action, SpanKind
from soc.trace.events import ActivityEvent, InstantEvent, SampleEvent, SpanEvent
from soc.trace.stats import StatsCollector
from tests.reference import nearest_rank


def layer(start_ps, end_ps, name="conv1", *, stall_ps, utilisation=0.5, **sums):
    """A layer span with the fields the FlexNN engine records."""
    fields = {"layer": name, "op": "conv", "tiles": 2, "stall_ps": stall_ps}
    fields |= {"macs": 100, "rounds": 4, "compute_cycles": 40, "sparse_cycles": 40}
    fields |= {"balanced_cycles": 40, "performed_macs": 100, "if_density": 1.0}
    fields |= {"fl_density": 1.0}
    fields |= {"load_ps": 0, "compute_ps": 0, "drain_ps": 0, "mac_utilisation": utilisation}
    return SpanEvent(start_ps, end_ps, "npu", SpanKind.LAYER, fields | sums, False)


def collect(*events):
    stats = StatsCollector()
    for e in events:
        if isinstance(e, SpanEvent):
            stats.on_span(e)
        elif isinstance(e, InstantEvent):
            stats.on_instant(e)
        else:
            stats.on_activity(e)
    stats.close(99_000)
    return stats


def test_layer_means_over_two_runs():
    stats = collect(
        layer(
            0,
            1_000,
            stall_ps={"load-bound": 150, "drain-bound": 20},
            utilisation=0.5,
            load_ps=300,
            compute_ps=500,
            drain_ps=200,
        ),
        layer(
            2_000,
            3_200,
            stall_ps={"load-bound": 50, "drain-bound": 10},
            utilisation=0.25,
            load_ps=302,
            compute_ps=520,
            drain_ps=210,
            macs=300,
            rounds=6,
            performed_macs=300,
        ),
    )
    assert stats.end_ps == 99_000
    [row] = stats.layer_rows()
    assert row == {
        "layer": "conv1",
        "op": "conv",
        "dataflow": "",  # the events name no dataflow
        "loop_nest": "",
        "tiles": 2,
        "rounds": 5,  # (4 + 6) / 2
        "macs": 200,  # (100 + 300) / 2
        "elapsed_ps": 1_100,  # (1000 + 1200) / 2
        "load_ps": 301,
        "compute_ps": 510,
        "drain_ps": 205,
        "stall_ps": {"load-bound": 100, "drain-bound": 15},
        # stalls 230 ps > 10 % of 2200 ps elapsed; load dominates
        "bound": "load-bound",
        # dense: no zeros to skip
        "dense_cycles": 40,
        "sparse_cycles": 40,
        "performed_macs": 200,  # mean of the two runs' performed MACs (100 and 300)
        "if_density": 1.0,
        "fl_density": 1.0,
        "speedup": 1.0,
        "ideal_speedup": 1.0,
        "min_density_speedup": 1.0,
        "imbalance_cycles": 0,
        # MAC slots: 100 / 0.5 + 300 / 0.25 = 1400; 400 MACs in 1400 slots
        "mac_utilisation": pytest.approx(400 / 1400),
    }


@pytest.mark.parametrize(
    ("stall_ps", "bound"),
    [
        ({"dma-bound": 100}, "compute-bound"),  # exactly 10 % of 1000 ps: not exceeded
        ({"dma-bound": 101}, "dma-bound"),
        ({"dma-bound": 60, "drain-bound": 41}, "dma-bound"),  # total 101, dma dominates
        ({}, "compute-bound"),
    ],
)
def test_bound_needs_stalls_above_ten_percent(stall_ps, bound):
    [row] = collect(layer(0, 1_000, stall_ps=stall_ps)).layer_rows()
    assert row["bound"] == bound


def test_layers_keep_their_own_rows():
    stats = collect(
        layer(0, 10, "a", stall_ps={}),
        layer(10, 30, "b", stall_ps={}),
        layer(30, 40, "a", stall_ps={}),
    )
    rows = {row["layer"]: row for row in stats.layer_rows()}
    assert rows["a"]["elapsed_ps"] == 10  # (10 + 10) / 2
    assert rows["b"]["elapsed_ps"] == 20


def test_frames_and_deadline_misses():
    stats = collect(
        SpanEvent(0, 5_000, "cpu.frames", SpanKind.FRAME, {"frame": 0}, False),
        SpanEvent(8_000, 17_000, "cpu.frames", SpanKind.FRAME, {"frame": 1}, False),
        SpanEvent(0, 9, "npu.load", SpanKind.LOAD, {}, False),  # neither frame nor layer
        SpanEvent(
            1_000, 3_000, "cpu.kws.frames", SpanKind.FRAME, {"frame": 0, "pipeline": "kws"}, False
        ),
        InstantEvent(17_000, "cpu", "deadline_miss", {"frame": 1, "latency_ps": 9_000}),
        InstantEvent(17_000, "cpu", "irq", {}),
    )
    assert stats.frames == [  # a frame without a pipeline is the one pipeline's, 'main'
        {"pipeline": "main", "frame": 0, "start_ps": 0, "latency_ps": 5_000},
        {"pipeline": "main", "frame": 1, "start_ps": 8_000, "latency_ps": 9_000},
        {"pipeline": "kws", "frame": 0, "start_ps": 1_000, "latency_ps": 2_000},
    ]
    assert stats.deadline_misses == [{"frame": 1, "latency_ps": 9_000}]
    assert stats.layers == {}


def test_activity_totals_and_masters():
    read = Action.SRAM_READ_BYTE
    stats = collect(
        ActivityEvent(0, "sram.bank0", read, 64, "dma"),
        ActivityEvent(1, "sram.bank0", read, 32, "cpu"),
        ActivityEvent(2, "sram.bank0", read, 16, "dma"),
        ActivityEvent(3, "sram.bank0", read, 8, None),  # counted, not attributed
        ActivityEvent(4, "npu", Action.MAC, 1_000, None),
    )
    assert stats.count("sram.bank0", read) == 64 + 32 + 16 + 8
    assert stats.count("npu", Action.MAC) == 1_000
    assert stats.count("npu", read) == 0
    assert stats.count("dram", read) == 0
    assert stats.by_master == {"sram.bank0": {"sram_read_byte": {"dma": 80, "cpu": 32}}}


def test_sparse_layer_speedup_estimates_and_imbalance():
    sparse = {"if_density": 0.5, "fl_density": 0.5, "stall_ps": {}}
    stats = collect(
        layer(0, 100, sparse_cycles=20, balanced_cycles=10, performed_macs=25, **sparse),
        layer(200, 300, sparse_cycles=30, balanced_cycles=14, performed_macs=35, **sparse),
    )
    [row] = stats.layer_rows()
    assert row["dense_cycles"] == 40 and row["sparse_cycles"] == 25  # per run
    assert row["speedup"] == 80 / 50
    assert row["ideal_speedup"] == 4.0  # 1 / (0.5 x 0.5)
    assert row["min_density_speedup"] == 2.0  # 1 / min(0.5, 0.5)
    assert row["imbalance_cycles"] == (50 - 24) // 2
    assert row["performed_macs"] == 30


def test_distribution_by_hand():
    stats = StatsCollector()
    stats.on_records(
        [(1, t, "dram", "latency_ps", v, "dma") for t, v in enumerate([40, 10, 30, 20])]
    )
    # sorted 10 20 30 40: p50 the 2nd value, p99 the 4th (ceil(0.99 * 4) = 4)
    assert stats.distribution("dram", "latency_ps") == {
        "dma": {"count": 4, "mean": 25.0, "p50": 20, "p99": 40, "max": 40}
    }
    assert stats.distribution("dram", "other") == {}


many_ints = st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=300)
any_values = st.lists(
    st.integers(-(2**70), 2**70) | st.floats(-1e30, 1e30) | st.booleans(), min_size=1, max_size=30
)


@given(values=many_ints | any_values | st.lists(st.integers(0, 10**7), min_size=1, max_size=300))
def test_distribution_equals_that_of_the_plain_list(values):
    """Samples are kept compactly while they are 64-bit ints; every reported number
    (and its type: an int stays an int, True stays True) is what the list gives."""
    stats = StatsCollector()
    half = len(values) // 2  # through both entry points: batches and single events
    stats.on_records([(1, 0, "dram", "latency_ps", v, None) for v in values[:half]])
    for v in values[half:]:
        stats.on_sample(SampleEvent(0, "dram", "latency_ps", v, None))
    got = stats.distribution("dram", "latency_ps")["-"]
    expected = nearest_rank(values)
    assert got == expected
    assert [type(got[k]) for k in expected] == [type(expected[k]) for k in expected]
