"""Latency samples fold into (value, count) pairs so that a long run's memory stops
growing with its requests: the figures must be those of the whole list of samples
(count, mean, p50 and p99 by their nearest-rank definitions, max), worked out from the
sorted list by tests/reference.py, apart from the collector's code."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

import soc.trace.stats as stats_module
from soc.trace.events import SAMPLE
from soc.trace.stats import StatsCollector
from tests.reference import nearest_rank


def feed(values, batch):
    """A collector fed `values` as DRAM latency samples of master 'dma', `batch` records
    per call (folding happens at the end of each call)."""
    stats = StatsCollector()
    records = [(SAMPLE, 0, "dram", "latency_ps", v, "dma") for v in values]
    for i in range(0, len(records), batch):
        stats.on_records(records[i : i + batch])
    return stats


def test_the_figures_by_hand_after_folding(monkeypatch):
    """Samples 5, 1, 5, 3, 5, 9, 1 folded in batches of three: sorted 1 1 3 5 5 5 9;
    count 7, mean 29 / 7, p50 the 4th (index (7 - 1) // 2 = 3): 5, p99 the
    ceil(0.99 x 7) = 7th: 9, max 9."""
    monkeypatch.setattr(stats_module, "FOLD_AT", 3)
    stats = feed([5, 1, 5, 3, 5, 9, 1], batch=3)
    assert stats._folded  # something was folded
    got = stats.distribution("dram", "latency_ps")["dma"]
    assert got == {"count": 7, "mean": 29 / 7, "p50": 5, "p99": 9, "max": 9}


@settings(max_examples=150)
@given(
    values=st.lists(
        st.one_of(st.integers(0, 50), st.integers(-(2**62), 2**62)), min_size=1, max_size=60
    ),
    fold_at=st.integers(1, 8),
    batch=st.integers(1, 9),
)
def test_folded_figures_equal_those_of_the_whole_list(values, fold_at, batch):
    original = stats_module.FOLD_AT
    stats_module.FOLD_AT = fold_at
    try:
        got = feed(values, batch).distribution("dram", "latency_ps")["dma"]
    finally:
        stats_module.FOLD_AT = original
    assert got == nearest_rank(values)


def test_a_float_after_folding_keeps_every_sample(monkeypatch):
    """A value that is no int of 64 bits switches the distribution to a plain list: the
    folded samples are in it too."""
    monkeypatch.setattr(stats_module, "FOLD_AT", 2)
    stats = feed([4, 2, 4, 8], batch=2)
    stats.on_records([(SAMPLE, 0, "dram", "latency_ps", 2.5, "dma")])
    got = stats.distribution("dram", "latency_ps")["dma"]
    assert got["count"] == 5 and math.isclose(got["mean"], 20.5 / 5)
    assert (got["p50"], got["p99"], got["max"]) == (4, 8, 8)  # sorted 2 2.5 4 4 8


def test_memory_holds_distinct_values_not_samples(monkeypatch):
    """100,000 samples of 10 distinct latencies fold into 10 pairs."""
    monkeypatch.setattr(stats_module, "FOLD_AT", 1000)
    stats = feed([100 + i % 10 for i in range(100_000)], batch=5000)
    distinct, counts = stats._folded[("dram", "latency_ps", "dma")]
    assert list(distinct) == list(range(100, 110)) and list(counts) == [10_000] * 10
    assert len(stats.samples[("dram", "latency_ps", "dma")]) == 0
