"""Perfetto protobuf traces: parsed back with Perfetto's own schema (the generated
classes of the `perfetto` package) into tracks, slices, counters, interned names, flows."""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from soc.config import load_scenario
from soc.kernel.vocab import SpanKind
from soc.runner.run import simulate
from soc.trace.events import COUNTER, INSTANT, SPAN, CounterEvent, InstantEvent, Sink, SpanEvent
from soc.trace.perfetto import PerfettoTraceSink, first_fit_lane, ns_of_ps, write_perfetto

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
CLEARED = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
NEEDS = pb.TracePacket.SEQ_NEEDS_INCREMENTAL_STATE


def span(start_ps, end_ps, track, kind=SpanKind.LOAD, overlap=False, **fields):
    return SpanEvent(start_ps, end_ps, track, kind, fields, overlap)


@dataclass
class Slice:
    track: str  # "process/track name"
    name: str
    category: str | None
    start_ns: int
    end_ns: int | None = None
    args: dict = field(default_factory=dict)
    flows: tuple = ()


@dataclass
class Parsed:
    """A Perfetto file read the way a consumer does: descriptors, incremental state
    (interned tables per sequence, cleared on SEQ_INCREMENTAL_STATE_CLEARED), slices
    matched begin to end on each track in timestamp order (file order for ties)."""

    processes: dict[int, str]  # process uuid -> name
    tracks: dict[int, tuple[str, str, bool]]  # uuid -> (process, name, is counter)
    slices: list[Slice]
    instants: list[Slice]
    counters: dict[str, list[tuple[int, float]]]  # "process/name" -> [(ns, value)]
    unresolved: int  # iids used before (or without) their interned entry


def _annotation(value: pb.DebugAnnotation, strings: dict[int, str]):
    kind = value.WhichOneof("value")
    if value.dict_entries:
        return {e.name: _annotation(e, strings) for e in value.dict_entries}
    if kind == "string_value_iid":
        return strings.get(value.string_value_iid)
    return getattr(value, kind) if kind else None


def parse(path: Path) -> Parsed:
    trace = pb.Trace()
    trace.ParseFromString(path.read_bytes())
    processes, tracks = {}, {}
    tables = {}
    events = []  # (ts, file order, track uuid, type, Slice or value)
    unresolved = 0
    for order, packet in enumerate(trace.packet):
        assert packet.trusted_packet_sequence_id == 1
        if packet.sequence_flags & CLEARED or not tables:
            assert order == 0 or packet.sequence_flags & CLEARED
            tables = {"names": {}, "cats": {}, "keys": {}, "strings": {}}
        interned = packet.interned_data
        tables["names"].update((e.iid, e.name) for e in interned.event_names)
        tables["cats"].update((e.iid, e.name) for e in interned.event_categories)
        tables["keys"].update((e.iid, e.name) for e in interned.debug_annotation_names)
        tables["strings"].update(
            (e.iid, e.str.decode()) for e in interned.debug_annotation_string_values
        )
        if packet.HasField("track_descriptor"):
            d = packet.track_descriptor
            if d.HasField("process"):
                processes[d.uuid] = d.process.process_name
            else:
                tracks[d.uuid] = (processes[d.parent_uuid], d.name, d.HasField("counter"))
        if not packet.HasField("track_event"):
            continue
        e = packet.track_event
        if e.type in (e.TYPE_SLICE_BEGIN, e.TYPE_INSTANT):
            assert packet.sequence_flags & NEEDS
            names, strings = tables["names"], tables["strings"]
            unresolved += e.name_iid not in names
            unresolved += sum(i not in tables["cats"] for i in e.category_iids)
            unresolved += sum(a.name_iid not in tables["keys"] for a in e.debug_annotations)
            args = {
                tables["keys"].get(a.name_iid): _annotation(a, strings) for a in e.debug_annotations
            }
            cats = [tables["cats"].get(i) for i in e.category_iids]
            value = Slice("", names.get(e.name_iid), cats[0] if cats else None, packet.timestamp)
            value.args, value.flows = args, tuple(e.flow_ids)
        else:
            value = e.double_counter_value
        events.append((packet.timestamp, order, e.track_uuid, e.type, value))
    slices, instants, counters, open_ = [], [], {}, {}
    for ts, _, uuid, kind, value in sorted(events, key=lambda x: x[:2]):
        process, name, _ = tracks[uuid]
        where = f"{process}/{name}"
        if kind == pb.TrackEvent.TYPE_SLICE_BEGIN:
            value.track = where
            open_.setdefault(uuid, []).append(value)
        elif kind == pb.TrackEvent.TYPE_SLICE_END:
            begun = open_[uuid].pop()
            begun.end_ns = ts
            slices.append(begun)
        elif kind == pb.TrackEvent.TYPE_INSTANT:
            value.track = where
            instants.append(value)
        else:
            counters.setdefault(where, []).append((ts, value))
    assert not any(open_.values()), "a slice began and never ended"
    return Parsed(processes, tracks, slices, instants, counters, unresolved)


def write(path: Path, events, end_ps=10**7) -> Parsed:
    write_perfetto(events, path)
    return parse(path)


def by_name(parsed: Parsed) -> dict[str, list[Slice]]:
    out = {}
    for s in parsed.slices:
        out.setdefault(s.name, []).append(s)
    return out


HAND_EVENTS = [
    # A counter at 0: DRAM bandwidth of the npu (the dram process), power of the npu.
    CounterEvent(0, "dram.bandwidth", "npu GB/s", 1.5),
    CounterEvent(0, "power", "npu mW", 120.0),
    InstantEvent(1_000_000, "npu", "layer_start", {"layer": "conv1"}),
    # npu.load: 1 us .. 3.5 us; npu.compute 2_000_500 ps .. 4_000_999 ps (sub-ns parts)
    span(1_000_000, 3_500_000, "npu.load", SpanKind.LOAD, layer="conv1", round=0),
    span(2_000_500, 4_000_999, "npu.compute", SpanKind.COMPUTE, layer="conv1", round=0),
    CounterEvent(2_000_000, "dram.bandwidth", "npu GB/s", 3.25),
    # two DRAM requests in flight at once: two lanes of the dram track
    span(1_500_000, 4_200_000, "dram", SpanKind.DRAM_ACCESS, True, master="npu", bytes=64),
    span(2_500_000, 4_300_000, "dram", SpanKind.DRAM_ACCESS, True, master="npu", bytes=64),
    # the layer span arrives last (it ends last) and is named by its layer
    span(900_000, 4_500_000, "npu", SpanKind.LAYER, layer="conv1", stall_ps={"dma-bound": 7}),
    CounterEvent(4_500_000, "power", "npu mW", 80.5),
]


def test_tracks_grouped_by_component(tmp_path):
    parsed = write(tmp_path / "t.pftrace", HAND_EVENTS)
    assert sorted(parsed.processes.values()) == ["dram", "npu", "power"]
    assert sorted(parsed.tracks.values()) == [
        ("dram", "dram #0", False),
        ("dram", "dram #1", False),
        ("dram", "npu GB/s", True),
        ("npu", "compute", False),
        ("npu", "load", False),
        ("npu", "npu", False),
        ("power", "npu mW", True),
    ]


def test_slices_in_nanoseconds(tmp_path):
    parsed = write(tmp_path / "t.pftrace", HAND_EVENTS)
    got = sorted((s.track, s.name, s.category, s.start_ns, s.end_ns) for s in parsed.slices)
    assert got == [
        ("dram/dram #0", "dram_access", "dram_access", 1500, 4200),
        ("dram/dram #1", "dram_access", "dram_access", 2500, 4300),
        ("npu/compute", "compute", "compute", 2000, 4000),  # 2_000_500 ps, 4_000_999 ps
        ("npu/load", "load", "load", 1000, 3500),
        ("npu/npu", "conv1", "layer", 900, 4500),
    ]
    layer = by_name(parsed)["conv1"][0]
    assert layer.args == {"layer": "conv1", "stall_ps": {"dma-bound": 7}}
    load = by_name(parsed)["load"][0]
    assert load.args == {"layer": "conv1", "round": 0}
    dram = by_name(parsed)["dram_access"][0]
    assert dram.args == {"master": "npu", "bytes": 64}
    (instant,) = parsed.instants
    assert (instant.track, instant.name, instant.start_ns, instant.args) == (
        "npu/npu",
        "layer_start",
        1000,
        {"layer": "conv1"},
    )


def test_counters(tmp_path):
    parsed = write(tmp_path / "t.pftrace", HAND_EVENTS)
    assert parsed.counters == {
        "dram/npu GB/s": [(0, 1.5), (2000, 3.25)],
        "power/npu mW": [(0, 120.0), (4500, 80.5)],
    }


def test_names_are_interned_once(tmp_path):
    path = tmp_path / "t.pftrace"
    events = [span(i * 1000, i * 1000 + 500, "npu.load", layer="conv1") for i in range(50)]
    parsed = write(path, events)
    assert parsed.unresolved == 0
    assert [s.name for s in parsed.slices] == ["load"] * 50
    assert all(s.args == {"layer": "conv1"} for s in parsed.slices)
    trace = pb.Trace()
    trace.ParseFromString(path.read_bytes())
    names = [e.name for p in trace.packet for e in p.interned_data.event_names]
    strings = [e.str for p in trace.packet for e in p.interned_data.debug_annotation_string_values]
    assert (names, strings) == (["load"], [b"conv1"])  # sent once, referred to 50 times


def test_interned_tables_cleared_when_full(tmp_path, monkeypatch):
    monkeypatch.setattr("soc.trace.perfetto.INTERN_LIMIT", 4)
    events = [span(i * 1000, i * 1000 + 500, "npu.load", layer=f"l{i}") for i in range(10)]
    parsed = write(tmp_path / "t.pftrace", events)
    assert parsed.unresolved == 0
    assert [s.args["layer"] for s in parsed.slices] == [f"l{i}" for i in range(10)]


def test_nested_spans_of_one_track_get_their_own_lane(tmp_path):
    # an inner span ends first, its outer span arrives after it: the outer one cannot
    # be written as a parent any more, so it goes to a second lane
    events = [
        span(2_000, 3_000, "cpu", SpanKind.MMIO),
        span(1_000, 5_000, "cpu", SpanKind.PREPROCESS),
        span(5_000, 6_000, "cpu", SpanKind.MMIO),
    ]
    parsed = write(tmp_path / "t.pftrace", events)
    got = sorted((s.track, s.name, s.start_ns, s.end_ns) for s in parsed.slices)
    assert got == [
        ("cpu/cpu", "mmio", 2, 3),
        ("cpu/cpu", "mmio", 5, 6),
        ("cpu/cpu ~1", "preprocess", 1, 5),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 50_000),  # start, ps
            st.integers(0, 20_000),  # duration, ps
            st.sampled_from(["npu.load", "cpu", "dram"]),
            st.booleans(),  # may overlap
        ),
        max_size=40,
    )
)
def test_any_span_stream_parses_back_to_its_spans(tmp_path_factory, spans):
    # spans arrive in order of their end (as the tracer hands them over); whatever
    # their nesting, each slice must end where its own span ends once a consumer
    # matches begins to ends on each track
    events = sorted(
        (span(s, s + d, t, SpanKind.LOAD, o, i=i) for i, (s, d, t, o) in enumerate(spans)),
        key=lambda e: e.end_ps,
    )
    parsed = write(tmp_path_factory.mktemp("any") / "t.pftrace", events)
    got = sorted(
        (s.args["i"], s.track.partition("/")[0], s.start_ns, s.end_ns) for s in parsed.slices
    )
    expected = [
        (i, t.partition(".")[0], s // 1000, (s + d) // 1000) for i, (s, d, t, _) in enumerate(spans)
    ]
    assert got == expected


def test_lanes_and_time_conversion():
    ends: list[int] = []
    assert [first_fit_lane(ends, s, e) for s, e in [(0, 10), (5, 8), (8, 9), (10, 12)]] == [
        0,
        1,
        1,
        0,
    ]
    assert [ns_of_ps(p) for p in (0, 999, 1000, 1_234_567)] == [0, 0, 1, 1234]


def test_flows_from_launch_to_transfers_and_rounds(tmp_path):
    events = [
        span(0, 100_000, "cpu", SpanKind.MMIO, layer="conv1", registers=22),
        span(200_000, 900_000, "dma.ch0", SpanKind.DMA_TRANSFER, tensor="conv1.IF", bytes=9),
        span(200_000, 700_000, "dma.ch1", SpanKind.DMA_TRANSFER, tensor="conv1.FL", bytes=9),
        span(900_000, 950_000, "npu.load", SpanKind.LOAD, layer="conv1", round=0),
        span(950_000, 990_000, "npu.compute", SpanKind.COMPUTE, layer="conv1", round=0),
        span(150_000, 1_000_000, "npu", SpanKind.LAYER, layer="conv1"),
        span(1_000_000, 1_100_000, "cpu", SpanKind.MMIO, layer="conv1", registers=22),
        span(1_200_000, 1_300_000, "dma.ch0", SpanKind.DMA_TRANSFER, tensor="conv1.IF"),
        span(1_100_000, 1_200_000, "dma.ch2", SpanKind.DMA_TRANSFER, tensor="other.OF"),
    ]
    parsed = write(tmp_path / "t.pftrace", events)
    flows = {(s.track, s.start_ns): s.flows for s in parsed.slices}
    (dma1, rounds1), (dma2, rounds2) = flows[("cpu/cpu", 0)], flows[("cpu/cpu", 1000)]
    assert len({dma1, rounds1, dma2, rounds2}) == 4  # a new launch starts new flows
    assert flows[("dma/ch0", 200)] == flows[("dma/ch1", 200)] == (dma1,)
    assert flows[("npu/load", 900)] == flows[("npu/compute", 950)] == (rounds1,)
    assert flows[("npu/npu", 150)] == (rounds1,)
    assert flows[("dma/ch0", 1200)] == (dma2,)
    assert flows[("dma/ch2", 1100)] == ()  # no launch of "other"


def test_same_events_same_bytes(tmp_path):
    write_perfetto(HAND_EVENTS, tmp_path / "a.pftrace")
    write_perfetto(HAND_EVENTS, tmp_path / "b.pftrace")
    assert (tmp_path / "a.pftrace").read_bytes() == (tmp_path / "b.pftrace").read_bytes()


_CHILD = """
import sys
from soc.kernel.vocab import SpanKind
from soc.trace.events import CounterEvent, SpanEvent
from soc.trace.perfetto import write_perfetto
fields = {"z": 1, "a": "x", "m": {"q": 2.5, "b": [1, "two"]}, "tags": ("p", "q")}
events = [SpanEvent(i * 10, i * 10 + 5, f"c{i % 3}.t{i % 5}", SpanKind.LOAD, fields, i % 2 == 0)
          for i in range(200)]
events += [CounterEvent(i, f"c{i % 4}", f"n{i % 7}", i / 3) for i in range(50)]
write_perfetto(events, sys.argv[1])
"""


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path):
    outputs = []
    for seed in ("0", "1", "4242"):
        out = tmp_path / f"seed{seed}.pftrace"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _CHILD, str(out)], check=True, env=env, cwd=ROOT)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(parse(tmp_path / "seed0.pftrace").slices) == 200


class _Tracks(Sink):
    """Which tracks and counters a run records, how many spans, and the events."""

    def __init__(self) -> None:
        self.spans: dict[str, int] = {}
        self.instants: set[str] = set()
        self.counters: set[tuple[str, str]] = set()
        self.events: list = []

    def on_records(self, records) -> None:
        for record in records:
            if record[0] >= SPAN:
                self.events.append(record[1])
            if record[0] == SPAN:
                track = record[1].track
                self.spans[track] = self.spans.get(track, 0) + 1
            elif record[0] == INSTANT:
                self.instants.add(record[1].track)
            elif record[0] == COUNTER:
                self.counters.add((record[1].track, record[1].name))


def test_quickstart_run_has_a_track_per_component(tmp_path):
    recorded = _Tracks()
    path = tmp_path / "trace.pftrace"
    simulate(load_scenario(QUICKSTART), [PerfettoTraceSink(path), recorded])
    parsed = parse(path)
    assert parsed.unresolved == 0
    components = {t.partition(".")[0] for t in [*recorded.spans, *recorded.instants]}
    assert {"cpu", "dma", "noc", "sram", "dram", "npu"} <= components
    counted = {t.partition(".")[0] for t, _ in recorded.counters}
    assert set(parsed.processes.values()) == components | counted
    slices_per_track: dict[str, int] = {}
    for s in parsed.slices:
        process, _, name = s.track.partition("/")
        thread = name.split(" #")[0].split(" ~")[0]
        track = process if thread == process else f"{process}.{thread}"
        slices_per_track[track] = slices_per_track.get(track, 0) + 1
    assert slices_per_track == recorded.spans
    counter_tracks = {(p, n) for p, n, is_counter in parsed.tracks.values() if is_counter}
    assert counter_tracks == {(t.partition(".")[0], n) for t, n in recorded.counters}
    # every DMA transfer and engine round follows a launch of its layer
    launches = {}
    for s in parsed.slices:
        if s.name == "mmio":
            for flow in s.flows:
                launches[flow] = s
    linked = [s for s in parsed.slices if s.flows and s.name != "mmio"]
    assert {s.category for s in linked} >= {"dma_transfer", "load", "compute", "drain", "layer"}
    for s in linked:
        launch = launches[s.flows[0]]
        assert launch.args["layer"] == s.args.get(
            "layer", str(s.args.get("tensor")).rsplit(".", 1)[0]
        )
        assert launch.end_ns <= s.start_ns
    # converting the recorded events gives the file the sink streamed during the run
    write_perfetto(recorded.events, tmp_path / "converted.pftrace")
    assert (tmp_path / "converted.pftrace").read_bytes() == path.read_bytes()
