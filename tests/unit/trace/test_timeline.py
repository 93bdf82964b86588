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


def test_far_windows_and_windows_never_reached_are_zero_until_the_end():
    bins = WindowedSums(window_ps=1_000)
    bins.add(5_500, "dma", 10)
    bins.add(1_000_000 - 1, "dma", 7)  # window 999, far beyond the first
    bins.add(5_999, "dma", 2.5)
    row = bins.per_ps(1_000_000)["dma"]
    assert len(row) == 1_000
    assert row[5] == 12.5 / 1_000 and row[999] == 7 / 1_000
    assert sum(1 for v in row if v) == 2
    assert bins.per_ps(2_000_000)["dma"][1_000:] == [0.0] * 1_000


def test_final_counters_reach_every_sink_in_time_order_in_batches():
    """Counters are made as the tracer takes them, batch by batch: the other sinks see
    one counter per window and master, by time, masters in sorted order."""
    from soc.trace.events import Sink

    class Counters(Sink):
        def __init__(self):
            self.got = []

        def on_counter(self, event):
            self.got.append((event.t_ps, event.name, event.value))

    stats, log = StatsCollector(window_ps=1_000_000), Counters()
    tracer = Tracer(Level.PHASE, [stats, log], batch_records=3)
    tracer.activity(0, "dram", Action.DRAM_READ_BYTE, 2_000, "dma")
    tracer.activity(2_100_000, "dram", Action.DRAM_READ_BYTE, 4_000, "cam")
    tracer.close(3_000_000)
    gbps = [(t, name, pytest.approx(v)) for t, name, v in log.got]
    assert gbps == [
        (0, "cam GB/s", 0.0),
        (0, "dma GB/s", 2.0),
        (1_000_000, "cam GB/s", 0.0),
        (1_000_000, "dma GB/s", 0.0),
        (2_000_000, "cam GB/s", 4.0),
        (2_000_000, "dma GB/s", 0.0),
    ]
