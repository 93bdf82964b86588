"""Timelines by hand: windowed sums, and the DRAM bandwidth handed to every sink as
counters at the end of the run."""

import json

import pytest

from soc.kernel.vocab import Action, Level
from soc.trace import ChromeTraceSink, StatsCollector, Tracer
from soc.trace.timeline import WindowedSums


def test_amounts_land_in_the_window_of_their_time_stamp():
    bins = WindowedSums(window_ps=1_000_000)  # 1 µs
    bins.add(0, "dma", 1000)
    bins.add(999_999, "dma", 1000)
    bins.add(1_000_000, "dma", 500)
    bins.add(2_500_000, "cam", 250)
    # the last window is cut at the end: 0.5 µs + 1 ps
    assert bins.spans(2_500_001) == [1_000_000, 1_000_000, 500_001]
    assert bins.per_ps(2_500_001) == {
        "cam": pytest.approx([0.0, 0.0, 250 / 500_001]),
        "dma": pytest.approx([2000 / 1e6, 500 / 1e6, 0.0]),
    }


def test_dram_bandwidth_reaches_the_chrome_trace_as_counters(tmp_path):
    stats = StatsCollector(window_ps=1_000_000)
    chrome = ChromeTraceSink(tmp_path / "t.json")
    tracer = Tracer(Level.PHASE, [stats, chrome])
    tracer.activity(100, "dram", Action.DRAM_READ_BYTE, 1000, "dma")
    tracer.activity(1_500_000, "dram", Action.DRAM_WRITE_BYTE, 3000, "cam")
    # bytes only accepted, or another component's, are not bandwidth
    tracer.activity(200, "dram", Action.DRAM_ACCEPTED_BYTE, 64, "dma")
    tracer.activity(300, "sram", Action.DRAM_READ_BYTE, 64, "dma")
    tracer.close(2_000_000)
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    counters = sorted((c["ts"], c["name"], c["args"][c["name"]]) for c in events if c["ph"] == "C")
    # 1000 B in 1 µs = 1 GB/s; 3000 B in the second µs = 3 GB/s
    assert counters == [
        (0.0, "cam GB/s", 0.0),
        (0.0, "dma GB/s", pytest.approx(1.0)),
        (1.0, "cam GB/s", pytest.approx(3.0)),
        (1.0, "dma GB/s", 0.0),
    ]
