"""Chrome trace JSON: microsecond timestamps, process/thread ids and names, lanes."""

import json

from soc.kernel.vocab import SpanKind
from soc.trace.chrome import ChromeTraceSink
from soc.trace.events import CounterEvent, InstantEvent, SpanEvent


def span(start_ps, end_ps, track, kind=SpanKind.LOAD, overlap=False, **fields):
    return SpanEvent(start_ps, end_ps, track, kind, fields, overlap)


def write(tmp_path, events, end_ps=10**7):
    """Feed `events` to a sink, close it, and return (metadata, other records)."""
    sink = ChromeTraceSink(tmp_path / "trace.json")
    for e in events:
        if isinstance(e, SpanEvent):
            sink.on_span(e)
        elif isinstance(e, InstantEvent):
            sink.on_instant(e)
        else:
            sink.on_counter(e)
    sink.close(end_ps)
    with (tmp_path / "trace.json").open() as f:
        records = json.load(f)["traceEvents"]
    return [r for r in records if r["ph"] == "M"], [r for r in records if r["ph"] != "M"]


def names(meta, kind):
    """{id: name} of the process_name ("pid") or thread_name ("tid") records."""
    key, record = ("pid", "process_name") if kind == "pid" else ("tid", "thread_name")
    return {m[key]: m["args"]["name"] for m in meta if m["name"] == record}


def test_span_instant_counter_records(tmp_path):
    meta, (load, layer, irq, level) = write(
        tmp_path,
        [
            span(1_000_000, 3_500_000, "npu.load", bytes=64),  # 1 us .. 3.5 us
            span(0, 4_000_000, "npu.engine", SpanKind.LAYER, layer="conv1"),
            InstantEvent(2_000_500, "cpu.core", "irq", {"line": 3}),
            CounterEvent(500_000, "sram.bank0", "occupancy", 0.75),
        ],
    )
    # ps / 1e6 = us: 1_000_000 ps -> 1.0, 2_500_000 ps -> 2.5.
    assert (load["ph"], load["name"], load["cat"], load["ts"], load["dur"]) == (
        "X",
        "load",
        "load",
        1.0,
        2.5,
    )
    assert (load["pid"], load["tid"], load["args"]) == (1, 1, {"bytes": 64})
    # A layer span is named after its layer.
    assert (layer["name"], layer["cat"], layer["ts"], layer["dur"]) == ("conv1", "layer", 0, 4)
    assert (layer["pid"], layer["tid"]) == (1, 2)
    assert (irq["ph"], irq["s"], irq["name"], irq["ts"]) == ("i", "t", "irq", 2.0005)
    assert (irq["pid"], irq["tid"], irq["args"]) == (2, 3, {"line": 3})
    assert (level["ph"], level["name"], level["ts"], level["pid"]) == ("C", "occupancy", 0.5, 3)
    assert level["args"] == {"occupancy": 0.75}
    # One process per component, one thread per track, numbered in order of appearance.
    assert names(meta, "pid") == {1: "npu", 2: "cpu", 3: "sram"}
    assert names(meta, "tid") == {1: "load", 2: "engine", 3: "core", 4: "bank0"}
    sort_index = {
        m["pid"]: m["args"]["sort_index"] for m in meta if m["name"] == "process_sort_index"
    }
    assert sort_index == {1: 1, 2: 2, 3: 3}


def test_track_without_a_thread_part_names_the_thread_after_the_process(tmp_path):
    meta, _ = write(tmp_path, [span(0, 1, "cpu")])
    assert names(meta, "pid") == {1: "cpu"}
    assert names(meta, "tid") == {1: "cpu"}


def test_overlapping_spans_are_spread_over_lanes(tmp_path):
    # Spans arrive in order of their end time.
    meta, (a, b, c) = write(
        tmp_path,
        [
            span(0, 100_000, "dma.req", overlap=True),  # lane 0
            span(50_000, 200_000, "dma.req", overlap=True),  # lane 0 busy until 100k: lane 1
            span(100_000, 250_000, "dma.req", overlap=True),  # lane 0 free at 100k: reuse
        ],
    )
    threads = names(meta, "tid")
    assert threads[a["tid"]] == "req #0"
    assert threads[b["tid"]] == "req #1"
    assert c["tid"] == a["tid"]
    assert len(threads) == 2
    assert {a["pid"], b["pid"], c["pid"]} == {1}


def test_empty_trace_is_valid_json(tmp_path):
    meta, others = write(tmp_path, [])
    assert others == []
    assert all(m["ph"] == "M" for m in meta)


def test_lanes_of_a_track_without_a_thread_part_stay_in_its_process(tmp_path):
    meta, (a, b) = write(
        tmp_path, [span(0, 10, "cpu", overlap=True), span(5, 20, "cpu", overlap=True)]
    )
    assert names(meta, "pid") == {1: "cpu"}
    assert (a["pid"], b["pid"]) == (1, 1)
    assert names(meta, "tid") == {a["tid"]: "cpu #0", b["tid"]: "cpu #1"}


def test_lines_are_compact_json_for_any_numbers(tmp_path):
    """Times are written as their float in µs whether the ps are ints or not, and
    counter values as json.dumps writes them (infinity included); batches go through
    `on_records` and the file holds one event per line."""
    events = [
        span(1_000_001, 3_500_000, "npu.load", bytes=64),
        span(2.5, 7.25, "npu.load", bytes=1),
        CounterEvent(500_000, "npu.load", "occupancy", 0.75),
        CounterEvent(600_000, "npu.load", "occupancy", float("inf")),
        CounterEvent(700_000, "npu.load", "occupancy", 3),
    ]
    sink = ChromeTraceSink(tmp_path / "trace.json")
    sink.on_records([(2, e) if isinstance(e, SpanEvent) else (4, e) for e in events])
    sink.close(0)
    lines = (tmp_path / "trace.json").read_text().splitlines()
    compact = {"separators": (",", ":")}
    head = {"ph": "X", "name": "load", "cat": "load"}
    ids = {"pid": 1, "tid": 1}
    expected = [
        head | {"ts": 1.000001, "dur": 2.499999} | ids | {"args": {"bytes": 64}},
        head | {"ts": 2.5e-6, "dur": 4.75e-6} | ids | {"args": {"bytes": 1}},
        {"ph": "C", "name": "occupancy", "ts": 0.5, "pid": 1, "args": {"occupancy": 0.75}},
        {"ph": "C", "name": "occupancy", "ts": 0.6, "pid": 1, "args": {"occupancy": float("inf")}},
        {"ph": "C", "name": "occupancy", "ts": 0.7, "pid": 1, "args": {"occupancy": 3}},
    ]
    assert lines[0] == '{"displayTimeUnit": "ns", "traceEvents": ['  # then 3 metadata lines
    assert lines[4:-1] == [json.dumps(e, **compact) + "," for e in expected[:-1]] + [
        json.dumps(expected[-1], **compact)
    ]
    assert lines[-1] == "]}"
