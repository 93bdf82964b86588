"""The native trace's tables: their columns, how records become rows and rows events.

A native trace is a folder of Apache Parquet files, one per table (docs/trace.md):
``spans``, ``instants``, ``counters``, ``samples``, ``activity``. Every row carries
``seq``, the event's place in the order the tracer delivered them, numbered from 0
across all tables, so the tables merge back into that one order. Names (tracks,
components, kinds, actions, masters) are dictionary-encoded; free-form fields are
compact JSON text. pyarrow is imported by the functions that need it, not here.

To add a table (the memory ``requests`` of replay, say): give it a `Table` in `TABLES`
with its columns, the record tag it stores and its `events` conversion (plus the
event's line in `soc.trace.native.event_dict` and its record in `event_record`); the
writer, the reader and the checks take it from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter

from soc.kernel.vocab import Action, SpanKind
from soc.trace import compact_json
from soc.trace.events import (
    ACTIVITY,
    COUNTER,
    INSTANT,
    SAMPLE,
    SPAN,
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    Record,
    SampleEvent,
    SpanEvent,
)

FORMAT = "flexsoc-trace"
VERSION = 2
"""Version 1 was JSON lines (one file); version 2 is this columnar layout."""

FORMAT_KEY, VERSION_KEY, TABLE_KEY, END_KEY = (
    "flexsoc.format",
    "flexsoc.version",
    "flexsoc.table",
    "flexsoc.end_ps",
)

Event = SpanEvent | InstantEvent | CounterEvent | ActivityEvent | SampleEvent

Columns = dict[str, list]
"""One row group as Python lists, by column name (without `seq`)."""

# Column types, by key: the Arrow type of each is made in `arrow_type`.
INT = "int64"
FLOAT = "float64"
BOOL = "bool"
NAME = "name"  # dictionary-encoded string
JSON = "json"  # compact JSON text of a free-form object


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """One file of the trace: its `columns` (after `seq`), the record `tag` it stores and
    how its rows read back as events. Records are either `flat` tuples, the tag then
    one value per column, or ``(tag, event)`` pairs whose event has an attribute per
    column (a JSON column's attribute holds the object)."""

    name: str
    tag: int
    columns: tuple[Column, ...]
    events: Callable[[Columns], Iterator[Event]]
    flat: bool = False
    required: bool = True  # a trace without this file is refused

    @property
    def file_name(self) -> str:
        return f"{self.name}.parquet"


_SCAN = json.JSONDecoder().scan_once  # the C scanner: no per-call set-up


def _object(text: str) -> dict[str, object]:
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):  # nothing JSON at 0, or a broken JSON value
        value, end = None, 0
    if end != len(text) or not isinstance(value, dict):
        raise ValueError(f"fields {text[:40]!r} are not a JSON object")
    return value


_EVENT = itemgetter(1)
_KINDS = {kind.value: kind for kind in SpanKind}
_ACTIONS = {action.value: action for action in Action}


def _members(members: dict, values: list[str], what: str) -> list:
    try:
        return list(map(members.__getitem__, values))
    except KeyError as exc:
        raise ValueError(f"unknown {what} {exc.args[0]!r}") from None


def _span_events(c: Columns) -> Iterator[Event]:
    kinds = _members(_KINDS, c["kind"], "span kind")
    fields = list(map(_object, c["fields"]))
    return map(SpanEvent, c["start_ps"], c["end_ps"], c["track"], kinds, fields, c["overlap"])


def _instant_events(c: Columns) -> Iterator[Event]:
    fields = list(map(_object, c["fields"]))
    return map(InstantEvent, c["t_ps"], c["track"], c["name"], fields)


def _counter_events(c: Columns) -> Iterator[Event]:
    return map(CounterEvent, c["t_ps"], c["track"], c["name"], c["value"])


def _sample_events(c: Columns) -> Iterator[Event]:
    return map(SampleEvent, c["t_ps"], c["component"], c["name"], c["value"], c["master"])


def _activity_events(c: Columns) -> Iterator[Event]:
    actions = _members(_ACTIONS, c["action"], "action")
    return map(ActivityEvent, c["t_ps"], c["component"], actions, c["amount"], c["master"])


TABLES: tuple[Table, ...] = (
    Table(
        "spans",
        SPAN,
        (
            Column("start_ps", INT),
            Column("end_ps", INT),
            Column("track", NAME),
            Column("kind", NAME),
            Column("overlap", BOOL),
            Column("fields", JSON),
        ),
        _span_events,
    ),
    Table(
        "instants",
        INSTANT,
        (Column("t_ps", INT), Column("track", NAME), Column("name", NAME), Column("fields", JSON)),
        _instant_events,
    ),
    Table(
        "counters",
        COUNTER,
        (Column("t_ps", INT), Column("track", NAME), Column("name", NAME), Column("value", FLOAT)),
        _counter_events,
    ),
    Table(
        "samples",
        SAMPLE,
        (
            Column("t_ps", INT),
            Column("component", NAME),
            Column("name", NAME),
            Column("value", FLOAT),
            Column("master", NAME, nullable=True),
        ),
        _sample_events,
        flat=True,
    ),
    Table(
        "activity",
        ACTIVITY,
        (
            Column("t_ps", INT),
            Column("component", NAME),
            Column("action", NAME),
            Column("amount", INT),
            Column("master", NAME, nullable=True),
        ),
        _activity_events,
        flat=True,
    ),
    # "requests" (memory requests for replay, issue 12) goes here, with required=False
    # so that traces recorded without requests still read; docs/trace.md reserves it.
)

TABLE_BY_TAG = {table.tag: table for table in TABLES}


def arrow_type(key: str):
    import pyarrow as pa

    return {
        INT: pa.int64(),
        FLOAT: pa.float64(),
        BOOL: pa.bool_(),
        NAME: pa.dictionary(pa.int32(), pa.string()),
        JSON: pa.string(),
    }[key]


def record_arrays(table: Table, records: Sequence[Record]) -> list:
    """The Arrow arrays of `table`'s columns (without `seq`) for `records`, made in C
    as far as can be: flat records convert as structs, events column by column. (No
    tuple is built per row: making millions of them would keep waking the garbage
    collector, whose passes grow with the simulation's heap.)"""
    import pyarrow as pa

    if table.flat:
        fields = [pa.field("tag", pa.int8())]
        fields += [pa.field(c.name, arrow_type(c.type), c.nullable) for c in table.columns]
        return pa.array(records, pa.struct(fields)).flatten()[1:]
    events = list(map(_EVENT, records))
    arrays = []
    for c in table.columns:
        values = list(map(attrgetter(c.name), events))
        if c.type == JSON:
            values = list(map(compact_json.encode, values))
        arrays.append(pa.array(values, arrow_type(c.type)))
    return arrays


def column_values(column) -> list:
    """A column read back (a pyarrow ChunkedArray) as Python values; dictionary columns
    through their dictionary, which is much faster than `to_pylist` on them."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        return column.to_pylist()
    values: list = []
    for chunk in column.chunks:
        lookup: dict[int | None, object] = dict(enumerate(chunk.dictionary.to_pylist()))
        lookup[None] = None
        values += map(lookup.__getitem__, chunk.indices.to_pylist())
    return values


def arrow_schema(table: Table):
    """The Arrow schema of `table`'s file, with the format's key-value metadata."""
    import pyarrow as pa

    fields = [pa.field("seq", pa.int64(), nullable=False)]
    fields += [pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.columns]
    metadata = {FORMAT_KEY: FORMAT, VERSION_KEY: str(VERSION), TABLE_KEY: table.name}
    return pa.schema(fields, metadata=metadata)


def feed(sink, events: Iterable[Event], end_ps: int | None = None, batch: int = 8192) -> None:
    """Hand recorded `events` to `sink` in batches of records, as the tracer did during
    the run, then close it at `end_ps` (default: the last event's time)."""
    records: list[Record] = []
    last = 0
    for event in events:
        records.append(event_record(event))
        last = max(last, event.end_ps if isinstance(event, SpanEvent) else event.t_ps)
        if len(records) >= batch:
            sink.on_records(records)
            records = []
    sink.on_records(records)
    sink.close(last if end_ps is None else end_ps)


def event_record(event: Event) -> Record:
    """The record the tracer hands sinks for `event` (the inverse of reading)."""
    if isinstance(event, ActivityEvent):
        return (ACTIVITY, event.t_ps, event.component, event.action, event.amount, event.master)
    if isinstance(event, SampleEvent):
        return (SAMPLE, event.t_ps, event.component, event.name, event.value, event.master)
    if isinstance(event, SpanEvent):
        return (SPAN, event)
    if isinstance(event, InstantEvent):
        return (INSTANT, event)
    return (COUNTER, event)
