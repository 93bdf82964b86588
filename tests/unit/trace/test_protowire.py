"""The wire-format pieces, and the Perfetto sink's assembled packets, against what
Perfetto's generated classes serialise (protobuf's own encoder)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from soc.kernel.vocab import SpanKind
from soc.trace.events import CounterEvent, InstantEvent, SpanEvent
from soc.trace.perfetto import write_perfetto
from soc.trace.protowire import MASK64, delimited, double, fixed64, tag, varint


@given(st.integers(0, MASK64))
def test_varint_is_protobufs(value):
    # a uint64 field of a message: its serialisation is the tag (one byte) and the varint
    assert varint(value) == pb.TrackEvent(track_uuid=value).SerializeToString()[1:]


def test_varint_lengths_and_range():
    # 7 bits a byte, the high bit set on every byte but the last
    assert [len(varint(v)) for v in (0, 127, 128, 2**14 - 1, 2**14, 2**21, 2**28, MASK64)] == [
        1,
        1,
        2,
        2,
        3,
        4,
        5,
        10,
    ]
    assert varint(300) == b"\xac\x02"  # the example of protobuf's encoding guide
    for bad in (-1, MASK64 + 1):
        with pytest.raises(ValueError):
            varint(bad)


def test_tags_and_fields():
    # field 8 varint -> 0x40; field 44 fixed64 -> (44 << 3 | 1) = 353 -> e1 02
    assert tag(pb.TracePacket, "timestamp") == b"\x40"
    assert tag(pb.TrackEvent, "double_counter_value") == b"\xe1\x02"
    assert delimited(b"\x0a", b"abc") == b"\x0a\x03abc"
    event = pb.TrackEvent(double_counter_value=2.5, flow_ids=[7])
    assert event.SerializeToString() == (
        tag(pb.TrackEvent, "double_counter_value")
        + double(2.5)
        + tag(pb.TrackEvent, "flow_ids")
        + fixed64(7)
    )


FIELD_VALUES = st.one_of(
    st.integers(-(2**70), 2**70),  # beyond int64 too: written as text
    st.text(max_size=6),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from("ab"), st.integers(0, 9), max_size=2),
)
KINDS = [SpanKind.MMIO, SpanKind.DMA_TRANSFER, SpanKind.LOAD, SpanKind.LAYER]


@st.composite
def event_streams(draw):
    events = []
    for i in range(draw(st.integers(0, 30))):
        start = draw(st.integers(0, 10**9))
        fields = draw(st.dictionaries(st.sampled_from(["layer", "tensor", "n", "x"]), FIELD_VALUES))
        choice = draw(st.integers(0, 2))
        if choice == 0:
            kind = draw(st.sampled_from(KINDS))
            track = draw(st.sampled_from(["cpu", "npu.load", "dma.ch0"]))
            events.append(SpanEvent(start, start + i, track, kind, fields, draw(st.booleans())))
        elif choice == 1:
            events.append(InstantEvent(start, "npu", draw(st.sampled_from("ab")), fields))
        else:
            value = draw(st.floats(allow_nan=False) | st.integers(-(10**6), 10**6))
            events.append(CounterEvent(start, "power", draw(st.sampled_from("pq")), value))
    return events


@settings(max_examples=80, deadline=None)
@given(event_streams(), st.sampled_from([3, 1 << 16]))
def test_sink_bytes_are_protobufs_serialisation(tmp_path_factory, events, limit):
    # The file parses, and the generated classes serialise what they parsed to the
    # very same bytes: the assembled packets are in canonical form (field order,
    # shortest varints, lengths), whatever the values, interning clears included.
    path = tmp_path_factory.mktemp("wire") / "t.pftrace"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("soc.trace.perfetto.INTERN_LIMIT", limit)
        write_perfetto(events, path)
    data = path.read_bytes()
    trace = pb.Trace.FromString(data)
    assert trace.SerializeToString(deterministic=True) == data
    track_events = [p.track_event for p in trace.packet if p.HasField("track_event")]
    spans = sum(isinstance(e, SpanEvent) for e in events)
    assert len(track_events) == len(events) + spans  # a span is a begin and an end
    counters = [e.value for e in events if isinstance(e, CounterEvent)]
    written = [t.double_counter_value for t in track_events if t.type == t.TYPE_COUNTER]
    assert written == [float(v) for v in counters]
    assert all(not math.isnan(v) for v in written)
