"""The per-master DRAM bandwidth timeline, by hand."""

import json

import pytest

from soc.kernel.vocab import Action
from soc.trace import ChromeTraceSink
from soc.trace.events import ActivityEvent
from soc.trace.timeline import WindowedBytes


def test_bytes_land_in_the_window_where_they_complete():
    bins = WindowedBytes(window_ps=1_000_000)  # 1 µs
    bins.add(0, "dma", 1000)
    bins.add(999_999, "dma", 1000)
    bins.add(1_000_000, "dma", 500)
    bins.add(2_500_000, "cam", 250)
    # 2,000 B in the first µs = 2 GB/s; the last window is cut at the end (0.5 µs)
    assert bins.rates(2_500_001) == {
        "cam": pytest.approx([0.0, 0.0, 250 / 0.500001e-6]),
        "dma": pytest.approx([2e9, 0.5e9, 0.0]),
    }


def test_chrome_trace_gets_one_stacked_counter_per_window(tmp_path):
    sink = ChromeTraceSink(tmp_path / "t.json", window_ps=1_000_000)
    sink.on_activity(ActivityEvent(100, "dram", Action.DRAM_READ_BYTE, 1000, "dma"))
    sink.on_activity(ActivityEvent(1_500_000, "dram", Action.DRAM_WRITE_BYTE, 3000, "cam"))
    # bytes the controller only accepted, or another component's, are not bandwidth
    sink.on_activity(ActivityEvent(200, "dram", Action.DRAM_ACCEPTED_BYTE, 64, "dma"))
    sink.on_activity(ActivityEvent(300, "sram", Action.DRAM_READ_BYTE, 64, "dma"))
    sink.close(2_000_000)
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    counters = [e for e in events if e["ph"] == "C"]
    assert [(c["ts"], c["args"]) for c in counters] == [
        (0.0, {"cam": 0.0, "dma": 1.0}),
        (1.0, {"cam": 3.0, "dma": 0.0}),
    ]
