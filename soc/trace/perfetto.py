"""Native Perfetto traces (protobuf TrackEvent packets), written streaming.

The packets are built with the generated protobuf classes that the `perfetto` package
ships (`perfetto.protos.perfetto.trace.perfetto_trace_pb2`, Perfetto's own
`perfetto_trace.proto`), never by hand-made wire bytes. A file is a `Trace` message:
each batch of records becomes one serialized `Trace` with that batch's packets, and
concatenated `Trace` messages are one `Trace` (repeated fields merge).

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
    """The interned tables of the sequence; `iid` adds a new entry to the packet."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = {}
        self.size = 0
        self.clear()

    def clear(self) -> None:
        self.tables = {
            "event_names": {},
            "event_categories": {},
            "debug_annotation_names": {},
            "debug_annotation_string_values": {},
        }
        self.size = 0

    def iid(self, packet: pb.TracePacket, table: str, text: str) -> int:
        entries = self.tables[table]
        iid = entries.get(text)
        if iid is None:
            iid = entries[text] = len(entries) + 1
            self.size += 1
            entry = getattr(packet.interned_data, table).add()
            entry.iid = iid
            if table == "debug_annotation_string_values":
                entry.str = text.encode("utf-8")
            else:
                entry.name = text
        return iid


class PerfettoTraceSink(Sink):
    """Writes `path` as a Perfetto protobuf trace (see the module doc).

    Packets of one batch of records are serialized together and appended to the file
    (opened at the first batch); the file is complete once the sink is closed. Memory
    holds one batch, the track ids, the lanes' ends and the interned tables."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None
        self._trace = pb.Trace()
        self._interner = _Interner()
        self._tracks: dict[tuple, int] = {}  # key -> track uuid
        self._processes: dict[str, tuple[int, list[int]]] = {}  # name -> (uuid, [children])
        self._lanes: dict[tuple[str, bool], list[int]] = {}
        self._launches: dict[str, tuple[int, int]] = {}  # layer -> (dma flow, round flow)
        self._flows = 0
        self._uuids = 0

    # -- packets ------------------------------------------------------------------

    def _packet(self) -> pb.TracePacket:
        packet = self._trace.packet.add()
        packet.trusted_packet_sequence_id = SEQUENCE_ID
        return packet

    def _interned_packet(self) -> pb.TracePacket:
        """A packet that may use iids (and clears the tables when they are full)."""
        packet = self._packet()
        if self._interner.size >= INTERN_LIMIT:
            self._interner.clear()
            packet.sequence_flags = _CLEARED | _NEEDS_STATE
        else:
            packet.sequence_flags = _NEEDS_STATE
        return packet

    def _write(self) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
            first = pb.Trace()
            head = first.packet.add()
            head.trusted_packet_sequence_id = SEQUENCE_ID
            head.sequence_flags = _CLEARED
            self._file.write(first.SerializeToString(deterministic=True))
        if self._trace.packet:
            self._file.write(self._trace.SerializeToString(deterministic=True))
            self._trace = pb.Trace()

    # -- tracks -------------------------------------------------------------------

    def _process(self, name: str) -> tuple[int, list[int]]:
        process = self._processes.get(name)
        if process is None:
            self._uuids += 1
            uuid = self._uuids
            process = self._processes[name] = (uuid, [])
            descriptor = self._packet().track_descriptor
            descriptor.uuid = uuid
            descriptor.process.pid = len(self._processes)
            descriptor.process.process_name = name
            descriptor.child_ordering = pb.TrackDescriptor.EXPLICIT
        return process

    def _child(self, key: tuple, process_name: str, name: str, counter: bool) -> int:
        parent, children = self._process(process_name)
        self._uuids += 1
        uuid = self._tracks[key] = self._uuids
        children.append(uuid)
        descriptor = self._packet().track_descriptor
        descriptor.uuid = uuid
        descriptor.parent_uuid = parent
        descriptor.name = name
        descriptor.sibling_order_rank = len(children)
        if counter:
            descriptor.counter.SetInParent()
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
        return uuid

    def _counter_track(self, track: str, name: str) -> int:
        key = (track, "counter", name)
        uuid = self._tracks.get(key)
        if uuid is None:
            uuid = self._child(key, track.partition(".")[0], name, counter=True)
        return uuid

    # -- events -------------------------------------------------------------------

    def on_records(self, records: Sequence[Record]) -> None:
        """Spans, instants and counters; activity and samples are not drawn."""
        for record in records:
            tag = record[0]
            if tag < SPAN:
                continue
            if tag == SPAN:
                self.on_span(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
            elif tag == COUNTER:
                self.on_counter(record[1])
        self._write()

    def _annotate(self, packet: pb.TracePacket, event: pb.TrackEvent, fields: Mapping) -> None:
        """One debug annotation per field; names and strings interned (the common
        types are tested first: this runs for every span)."""
        interner = self._interner
        keys = interner.tables["debug_annotation_names"]
        strings = interner.tables["debug_annotation_string_values"]
        add = event.debug_annotations.add
        for key, value in fields.items():
            annotation = add()
            name_iid = keys.get(key)
            if name_iid is None:
                name_iid = interner.iid(packet, "debug_annotation_names", str(key))
            annotation.name_iid = name_iid
            kind = type(value)
            if kind is int and _INT64_MIN <= value <= _INT64_MAX:
                annotation.int_value = value
            elif isinstance(value, str):
                value_iid = strings.get(value)
                if value_iid is None:
                    value_iid = interner.iid(packet, "debug_annotation_string_values", value)
                annotation.string_value_iid = value_iid
            else:
                set_value(annotation, value)

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
        track, start_ps, end_ps = event.track, event.start_ps, event.end_ps
        lane = first_fit_lane(self._lanes.setdefault((track, event.overlap), []), start_ps, end_ps)
        if event.overlap:
            uuid = self._slice_track(track, "#", lane)
        else:
            uuid = self._slice_track(track, "~" if lane else "", lane)
        kind = event.kind
        name = str(event.fields.get("layer", kind)) if kind == SpanKind.LAYER else str(kind)
        packet = self._interned_packet()
        packet.timestamp = ns_of_ps(start_ps)
        begin = packet.track_event
        begin.type = _BEGIN
        begin.track_uuid = uuid
        begin.name_iid = self._interner.iid(packet, "event_names", name)
        begin.category_iids.append(self._interner.iid(packet, "event_categories", str(kind)))
        self._annotate(packet, begin, event.fields)
        flows = self._flow_ids(event)
        if flows:
            begin.flow_ids.extend(flows)
        packet = self._packet()
        packet.timestamp = ns_of_ps(end_ps)
        end = packet.track_event
        end.type = _END
        end.track_uuid = uuid

    def on_instant(self, event: InstantEvent) -> None:
        uuid = self._slice_track(event.track)
        packet = self._interned_packet()
        packet.timestamp = ns_of_ps(event.t_ps)
        instant = packet.track_event
        instant.type = _INSTANT
        instant.track_uuid = uuid
        instant.name_iid = self._interner.iid(packet, "event_names", event.name)
        self._annotate(packet, instant, event.fields)

    def on_counter(self, event: CounterEvent) -> None:
        uuid = self._counter_track(event.track, event.name)
        packet = self._packet()
        packet.timestamp = ns_of_ps(event.t_ps)
        counter = packet.track_event
        counter.type = _COUNTER
        counter.track_uuid = uuid
        counter.double_counter_value = float(event.value)

    def close(self, end_ps: int) -> None:
        self._write()
        assert self._file is not None
        self._file.close()
        self._file = None


def write_perfetto(events: Iterable[Event], path: Path | str) -> None:
    """Write the Perfetto trace of recorded `events` (in their recorded order, e.g.
    from `read_native`) to `path`, as the sink would have during the run."""
    feed(PerfettoTraceSink(path), events, batch=BATCH_RECORDS)
