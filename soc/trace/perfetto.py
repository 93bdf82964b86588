"""Native Perfetto traces (protobuf TrackEvent packets), written streaming.

The schema is Perfetto's own `perfetto_trace.proto`, as the generated classes of the
`perfetto` package ship it (`perfetto.protos.perfetto.trace.perfetto_trace_pb2`). A file
is a `Trace` message: each batch of records is appended as its packets, and
concatenated `Trace` messages are one `Trace` (repeated fields merge). Rare packets
(track descriptors, interned data, annotations other than ints and strings) are built
and serialised with the generated classes. The numerous ones (slice begin and end,
instants, counters) are assembled from wire-format pieces (`soc.trace.protowire`, tags
taken from the classes' descriptors) in the order deterministic serialisation writes
fields: by field number, so a packet is timestamp, trusted_packet_sequence_id,
track_event, interned_data, sequence_flags, and a track event category_iids,
debug_annotations, type, name_iid, track_uuid, double_counter_value, flow_ids. The
bytes are those the classes would serialise (a test parses and re-serialises them);
assembling costs a few bytes operations where setting fields costs dozens of calls.

Track layout, as the Chrome JSON sink draws it: one *process* per component (the part
of the track before the first dot: cpu, dma, noc, sram, dram, npu, each traffic master,
and `power`); under it one track per trace track, named by the rest of the path
(`npu.load` -> "load" in npu, `cpu.kws.frames` -> "kws.frames" in cpu; a track that is
the component itself keeps its name). Spans that may overlap (requests in flight) are
spread over lanes "name #0", "name #1", ...: spans arrive in order of their end time,
so a span goes to the first lane whose last span ended at or before its start. Spans
that should not overlap use lanes the same way, the first being the track itself and
any other "name ~1", ...; so slices on every track nest properly however the events
come. Instants go on the track itself. Each (track, name) of the counters is a counter
track of its component's process, named by the counter's name (DRAM bandwidth per
master and power per component among them).

Time: flexsoc counts integer picoseconds, Perfetto nanoseconds. A time is converted by
`ns_of_ps` (floor division by 1000), so every timestamp is at most 999 ps early and a
duration is off by less than 1 ns; flooring keeps order, so spans that did not overlap
in picoseconds do not overlap in nanoseconds.

Interning: slice and instant names, categories (the span kind), annotation names and
annotation string values are interned on the one packet sequence: a name is sent once,
in the `interned_data` of the first packet that uses it, and referred to by its iid.
The first packet clears the incremental state; every packet that uses iids says it
needs it. Once the tables hold `INTERN_LIMIT` entries they are cleared (a packet that
clears the state again), so memory stays bounded even for unbounded vocabularies.

Flows: a layer's launch (the CPU's `mmio` span programming it) starts two flows: one
through the layer's DMA transfers (a transfer's `tensor` is "<layer>.<role>"), one
through the engine's spans of that layer (the layer span and its load, compute, drain
and stall spans, by their `layer` field). Perfetto links the slices of one flow in
time order. A layer launched again (the next frame) starts new flows.

Determinism: the bytes depend only on the events and their order (ids are counters,
tables are insertion-ordered dicts, serialization is deterministic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import IO

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from soc.kernel.vocab import SpanKind
from soc.trace.columnar import feed
from soc.trace.events import (
    COUNTER,
    INSTANT,
    SPAN,
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    Record,
    SampleEvent,
    Sink,
    SpanEvent,
)
from soc.trace.protowire import MASK64, delimited, double, fixed64, tag, varint

Event = SpanEvent | InstantEvent | CounterEvent | ActivityEvent | SampleEvent

PS_PER_NS = 1000
SEQUENCE_ID = 1
"""The one packet sequence of the file (interned data is per sequence)."""
INTERN_LIMIT = 1 << 16
"""Interned entries kept before the tables are cleared."""
BATCH_RECORDS = 8192
"""Records `write_perfetto` hands to the sink at once."""

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_CLEARED = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
_NEEDS_STATE = pb.TracePacket.SEQ_NEEDS_INCREMENTAL_STATE
_BEGIN, _END = pb.TrackEvent.TYPE_SLICE_BEGIN, pb.TrackEvent.TYPE_SLICE_END
_INSTANT, _COUNTER = pb.TrackEvent.TYPE_INSTANT, pb.TrackEvent.TYPE_COUNTER
_ROUND_KINDS = frozenset(
    {SpanKind.LAYER, SpanKind.LOAD, SpanKind.COMPUTE, SpanKind.DRAIN, SpanKind.STALL}
)

# Tags, and fields whose value never changes, of the packets assembled in `on_span`,
# `on_instant` and `on_counter` (field order: see the module doc).
_PACKET = tag(pb.Trace, "packet")
_P_TIMESTAMP = tag(pb.TracePacket, "timestamp")
_P_SEQUENCE = tag(pb.TracePacket, "trusted_packet_sequence_id") + varint(SEQUENCE_ID)
_P_TRACK_EVENT = tag(pb.TracePacket, "track_event")
_P_INTERNED = tag(pb.TracePacket, "interned_data")
_P_FLAGS_NEEDS = tag(pb.TracePacket, "sequence_flags") + varint(_NEEDS_STATE)
_P_FLAGS_CLEARED = tag(pb.TracePacket, "sequence_flags") + varint(_CLEARED | _NEEDS_STATE)
_E_CATEGORY = tag(pb.TrackEvent, "category_iids")
_E_ANNOTATION = tag(pb.TrackEvent, "debug_annotations")
_E_NAME = tag(pb.TrackEvent, "name_iid")
_E_TRACK = tag(pb.TrackEvent, "track_uuid")
_E_DOUBLE = tag(pb.TrackEvent, "double_counter_value")
_E_FLOW = tag(pb.TrackEvent, "flow_ids")
_E_TYPE = tag(pb.TrackEvent, "type")
_E_TYPE_BEGIN, _E_TYPE_END = _E_TYPE + varint(_BEGIN), _E_TYPE + varint(_END)
_E_TYPE_INSTANT, _E_TYPE_COUNTER = _E_TYPE + varint(_INSTANT), _E_TYPE + varint(_COUNTER)
_A_NAME = tag(pb.DebugAnnotation, "name_iid")
_A_INT = tag(pb.DebugAnnotation, "int_value")
_A_STRING_IID = tag(pb.DebugAnnotation, "string_value_iid")


def ns_of_ps(ps: int) -> int:
    """Perfetto's nanoseconds of a flexsoc time in picoseconds (floored)."""
    return int(ps) // PS_PER_NS


def first_fit_lane(ends: list[int], start_ps: int, end_ps: int) -> int:
    """The first lane whose last span ended at or before `start_ps` (a new lane if
    none); records `end_ps` as that lane's end."""
    for lane, end in enumerate(ends):
        if end <= start_ps:
            ends[lane] = end_ps
            return lane
    ends.append(end_ps)
    return len(ends) - 1


def set_value(annotation: pb.DebugAnnotation, value: object) -> None:
    """Store `value` in `annotation`: numbers, strings, mappings (nested entries) and
    sequences (arrays); anything else as its text."""
    if isinstance(value, bool):
        annotation.bool_value = value
    elif isinstance(value, Integral) and _INT64_MIN <= value <= _INT64_MAX:
        annotation.int_value = int(value)
    elif isinstance(value, Real) and not isinstance(value, Integral):
        annotation.double_value = float(value)
    elif isinstance(value, str):
        annotation.string_value = value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            entry = annotation.dict_entries.add()
            entry.name = str(key)
            set_value(entry, item)
    elif isinstance(value, list | tuple):
        for item in value:
            set_value(annotation.array_values.add(), item)
    else:
        annotation.string_value = str(value)


class _Interner:
    """The interned tables of the sequence. `iid` adds a new entry to the interned data
    of the packet being built; `take` hands that data over, serialised."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = {}
        self.size = 0
        self._new: pb.InternedData | None = None
        self.clear()

    def clear(self) -> None:
        self.tables = {
            "event_names": {},
            "event_categories": {},
            "debug_annotation_names": {},
            "debug_annotation_string_values": {},
        }
        self.size = 0

    def iid(self, table: str, text: str) -> int:
        entries = self.tables[table]
        iid = entries.get(text)
        if iid is None:
            iid = entries[text] = len(entries) + 1
            self.size += 1
            if self._new is None:
                self._new = pb.InternedData()
            entry = getattr(self._new, table).add()
            entry.iid = iid
            if table == "debug_annotation_string_values":
                entry.str = text.encode("utf-8")
            else:
                entry.name = text
        return iid

    def take(self) -> bytes:
        """The packet's `interned_data` field (empty if nothing new was interned)."""
        new = self._new
        if new is None:
            return b""
        self._new = None
        return delimited(_P_INTERNED, new.SerializeToString(deterministic=True))


class PerfettoTraceSink(Sink):
    """Writes `path` as a Perfetto protobuf trace (see the module doc).

    Packets of one batch of records are serialized together and appended to the file
    (opened at the first batch); the file is complete once the sink is closed. Memory
    holds one batch, the track ids, the lanes' ends and the interned tables."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None
        self._packets: list[bytes] = []  # this batch's, each framed as a `Trace.packet`
        self._interner = _Interner()
        self._tracks: dict[tuple, int] = {}  # key -> track uuid
        self._processes: dict[str, tuple[int, list[int]]] = {}  # name -> (uuid, [children])
        self._lanes: dict[tuple[str, bool], list[int]] = {}
        self._launches: dict[str, tuple[int, int]] = {}  # layer -> (dma flow, round flow)
        self._flows = 0
        self._uuids = 0
        # per track uuid: the parts of its packets after the timestamp (see on_span)
        self._ends: dict[int, bytes] = {}
        self._counter_heads: dict[int, bytes] = {}
        # parts that hold iids, valid until the interned tables are cleared: per (track
        # uuid, name, kind) a span's category and its fields after the annotations; per
        # (key, value) of an int or string field its whole annotation
        self._span_parts: dict[tuple, tuple[bytes, bytes]] = {}
        self._annotation_parts: dict[tuple, bytes] = {}

    # -- packets ------------------------------------------------------------------

    def _add_packet(self, packet: pb.TracePacket) -> None:
        """Append a packet built with the generated classes (the rare ones)."""
        packet.trusted_packet_sequence_id = SEQUENCE_ID
        self._packets.append(delimited(_PACKET, packet.SerializeToString(deterministic=True)))

    def _flags(self) -> bytes:
        """The `sequence_flags` field of a packet that may use iids (which clears the
        tables first when they are full)."""
        if self._interner.size >= INTERN_LIMIT:
            self._interner.clear()
            self._span_parts.clear()
            self._annotation_parts.clear()
            return _P_FLAGS_CLEARED
        return _P_FLAGS_NEEDS

    def _write(self) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
            first = pb.Trace()
            head = first.packet.add()
            head.trusted_packet_sequence_id = SEQUENCE_ID
            head.sequence_flags = _CLEARED
            self._file.write(first.SerializeToString(deterministic=True))
        if self._packets:
            self._file.write(b"".join(self._packets))
            self._packets = []

    # -- tracks -------------------------------------------------------------------

    def _process(self, name: str) -> tuple[int, list[int]]:
        process = self._processes.get(name)
        if process is None:
            self._uuids += 1
            uuid = self._uuids
            process = self._processes[name] = (uuid, [])
            packet = pb.TracePacket()
            descriptor = packet.track_descriptor
            descriptor.uuid = uuid
            descriptor.process.pid = len(self._processes)
            descriptor.process.process_name = name
            descriptor.child_ordering = pb.TrackDescriptor.EXPLICIT
            self._add_packet(packet)
        return process

    def _child(self, key: tuple, process_name: str, name: str, counter: bool) -> int:
        parent, children = self._process(process_name)
        self._uuids += 1
        uuid = self._tracks[key] = self._uuids
        children.append(uuid)
        packet = pb.TracePacket()
        descriptor = packet.track_descriptor
        descriptor.uuid = uuid
        descriptor.parent_uuid = parent
        descriptor.name = name
        descriptor.sibling_order_rank = len(children)
        if counter:
            descriptor.counter.SetInParent()
        self._add_packet(packet)
        return uuid

    def _slice_track(self, track: str, mark: str = "", lane: int = 0) -> int:
        key = (track, mark, lane)
        uuid = self._tracks.get(key)
        if uuid is None:
            process, _, thread = track.partition(".")
            name = thread or process
            if mark:
                name = f"{name} {mark}{lane}"
            uuid = self._child(key, process, name, counter=False)
            event = _E_TYPE_END + _E_TRACK + varint(uuid)
            self._ends[uuid] = _P_SEQUENCE + delimited(_P_TRACK_EVENT, event)
        return uuid

    def _counter_track(self, track: str, name: str) -> int:
        key = (track, "counter", name)
        uuid = self._tracks.get(key)
        if uuid is None:
            uuid = self._child(key, track.partition(".")[0], name, counter=True)
            event_length = len(_E_TYPE_COUNTER + _E_TRACK + varint(uuid) + _E_DOUBLE) + 8
            self._counter_heads[uuid] = (
                _P_SEQUENCE + _P_TRACK_EVENT + varint(event_length)
                + _E_TYPE_COUNTER + _E_TRACK + varint(uuid) + _E_DOUBLE
            )  # fmt: skip
        return uuid

    # -- events -------------------------------------------------------------------

    def on_records(self, records: Sequence[Record]) -> None:
        """Spans, instants and counters; activity and samples are not drawn."""
        on_span, on_counter = self.on_span, self.on_counter
        for record in records:
            tag = record[0]
            if tag < SPAN:
                continue
            if tag == SPAN:
                on_span(record[1])
            elif tag == COUNTER:
                on_counter(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
        self._write()

    def _annotations(self, fields: Mapping) -> bytes:
        """The `debug_annotations` of a track event: one per field, names and strings
        interned. Ints and strings, nearly every field, are assembled here (and kept:
        the same values recur, a round's load, compute and drain share theirs); any
        other value is built with the generated class (`set_value`)."""
        made = self._annotation_parts
        parts = []
        for item in fields.items():
            value = item[1]
            kind = type(value)
            if kind is int or kind is str:  # exactly: 1 == True == 1.0 as keys
                part = made.get(item)
                if part is None:
                    part = self._annotation(*item)
                    if len(made) < INTERN_LIMIT:
                        made[item] = part
            else:
                part = self._annotation(*item)
            parts.append(part)
        return b"".join(parts)

    def _annotation(self, key: object, value: object) -> bytes:
        interner = self._interner
        name_iid = interner.iid("debug_annotation_names", str(key))
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            body = _A_NAME + varint(name_iid) + _A_INT + varint(value & MASK64)
        elif isinstance(value, str):
            iid = interner.iid("debug_annotation_string_values", value)
            body = _A_NAME + varint(name_iid) + _A_STRING_IID + varint(iid)
        else:
            annotation = pb.DebugAnnotation()
            annotation.name_iid = name_iid
            set_value(annotation, value)
            body = annotation.SerializeToString(deterministic=True)
        return _E_ANNOTATION + varint(len(body)) + body

    def _flow_ids(self, event: SpanEvent) -> tuple[int, ...]:
        """The flows `event` takes part in (see the module doc)."""
        kind, fields = event.kind, event.fields
        if kind == SpanKind.MMIO and "layer" in fields:
            self._flows += 2
            ids = self._launches[str(fields["layer"])] = (self._flows - 1, self._flows)
            return ids
        if kind == SpanKind.DMA_TRANSFER and "tensor" in fields:
            ids = self._launches.get(str(fields["tensor"]).rpartition(".")[0])
            return ids[:1] if ids else ()
        if kind in _ROUND_KINDS and "layer" in fields:
            ids = self._launches.get(str(fields["layer"]))
            return ids[1:] if ids else ()
        return ()

    def on_span(self, event: SpanEvent) -> None:
        # Two packets: the slice's begin (timestamp, sequence, track event, interned
        # data, flags) and its end (timestamp, then a part made once per track).
        track, start_ps, end_ps = event.track, event.start_ps, event.end_ps
        lane = first_fit_lane(self._lanes.setdefault((track, event.overlap), []), start_ps, end_ps)
        if event.overlap:
            uuid = self._slice_track(track, "#", lane)
        else:
            uuid = self._slice_track(track, "~" if lane else "", lane)
        kind = event.kind
        name = str(event.fields.get("layer", kind)) if kind == SpanKind.LAYER else str(kind)
        flags = self._flags()
        parts = self._span_parts.get((uuid, name, kind))
        if parts is None:
            name_iid = self._interner.iid("event_names", name)
            parts = self._span_parts[(uuid, name, kind)] = (
                _E_CATEGORY + varint(self._interner.iid("event_categories", str(kind))),
                _E_TYPE_BEGIN + _E_NAME + varint(name_iid) + _E_TRACK + varint(uuid),
            )
        begin = parts[0] + self._annotations(event.fields) + parts[1]
        for flow in self._flow_ids(event):
            begin += _E_FLOW + fixed64(flow)
        packet = _P_TIMESTAMP + varint(int(start_ps) // PS_PER_NS) + _P_SEQUENCE
        packet += _P_TRACK_EVENT + varint(len(begin)) + begin + self._interner.take() + flags
        end = _P_TIMESTAMP + varint(int(end_ps) // PS_PER_NS) + self._ends[uuid]
        self._packets += (
            _PACKET + varint(len(packet)) + packet,
            _PACKET + varint(len(end)) + end,
        )

    def on_instant(self, event: InstantEvent) -> None:
        uuid = self._slice_track(event.track)
        flags = self._flags()
        interner = self._interner
        name_iid = interner.iid("event_names", event.name)
        instant = self._annotations(event.fields)
        instant += _E_TYPE_INSTANT + _E_NAME + varint(name_iid) + _E_TRACK + varint(uuid)
        packet = _P_TIMESTAMP + varint(ns_of_ps(event.t_ps)) + _P_SEQUENCE
        packet += _P_TRACK_EVENT + varint(len(instant)) + instant + interner.take() + flags
        self._packets.append(_PACKET + varint(len(packet)) + packet)

    def on_counter(self, event: CounterEvent) -> None:
        uuid = self._counter_track(event.track, event.name)
        packet = _P_TIMESTAMP + varint(int(event.t_ps) // PS_PER_NS)
        packet += self._counter_heads[uuid] + double(float(event.value))
        self._packets.append(_PACKET + varint(len(packet)) + packet)

    def close(self, end_ps: int) -> None:
        self._write()
        assert self._file is not None
        self._file.close()
        self._file = None


def write_perfetto(events: Iterable[Event], path: Path | str) -> None:
    """Write the Perfetto trace of recorded `events` (in their recorded order, e.g.
    from `read_native`) to `path`, as the sink would have during the run."""
    feed(PerfettoTraceSink(path), events, batch=BATCH_RECORDS)
