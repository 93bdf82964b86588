"""The native trace: a folder of Parquet tables, written and read streaming, lossless.

`NativeTraceSink` writes the tables of `soc.trace.columnar` (docs/trace.md) into a
folder, one row group of at most `ROW_GROUP_ROWS` rows per table in memory at a time;
`read_native` streams the events back, row group by row group, merged into the order
the tracer delivered them; `read_table` streams one table; `export_jsonl` writes the
JSON-lines text of a trace (``soc trace convert``). Every format error is a
`TraceFormatError` naming the file, and the row group where one is at fault.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO

import numpy as np

from soc.errors import TraceFormatError
from soc.limits import check_input_file
from soc.trace import compact_json
from soc.trace.columnar import (
    END_KEY,
    FORMAT,
    FORMAT_KEY,
    NAME,
    TABLE_BY_TAG,
    TABLE_KEY,
    TABLES,
    VERSION,
    VERSION_KEY,
    Event,
    Table,
    arrow_schema,
    column_values,
    record_arrays,
)
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
    Sink,
    SpanEvent,
)

NATIVE_FORMAT = FORMAT
NATIVE_VERSION = VERSION
TRACE_FOLDER = "trace"
"""The native trace's folder in a run folder."""

ROW_GROUP_ROWS = 65_536
"""Rows per row group: the most rows of one table the writer holds in memory."""
SPAN_GROUP_ROWS = 8_192
"""The spans table's: a span waiting in memory (its fields a dict) takes about 760 B, so
65,536 of them would hold about 50 MB; the other tables' rows are a few numbers."""

EVENTS_KEY = "flexsoc.events"
_TAG = itemgetter(0)
COMPRESSION = "zstd"


class NativeTraceSink(Sink):
    """Writes every event into `folder` (created on first write), one Parquet file per
    table. Records are kept as they come, per table, until a table holds
    `row_group_rows` of them; those become one row group. `close` writes the rest and
    the run's end time, and gives every table a file, empty or not. Row groups hold
    exactly `row_group_rows` rows (the last one fewer), however the records were
    batched, so the same events always give the same bytes.
    """

    def __init__(self, folder: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.folder = folder
        self.row_group_rows = max(1, row_group_rows)
        self._group_rows = {
            tag: min(self.row_group_rows, SPAN_GROUP_ROWS) if tag == SPAN else self.row_group_rows
            for tag in TABLE_BY_TAG
        }
        self._records: dict[int, list[Record]] = {tag: [] for tag in TABLE_BY_TAG}
        self._seqs: dict[int, list[np.ndarray]] = {tag: [] for tag in TABLE_BY_TAG}
        self._seq = 0
        self._writers: dict[str, object] = {}  # table name -> pyarrow.parquet.ParquetWriter

    def on_records(self, records: Sequence[Record]) -> None:
        """Sort the batch's records by table, in C: the tags as bytes, the positions of
        each tag by numpy, the records at those positions by `itemgetter`."""
        count = len(records)
        if not count:
            return
        base = self._seq
        self._seq = base + count
        tags = np.frombuffer(bytes(map(_TAG, records)), np.uint8)
        present = np.unique(tags).tolist()
        for tag in present:
            pending, seqs = self._records[tag], self._seqs[tag]
            if len(present) == 1:
                pending.extend(records)
                seqs.append(np.arange(base, base + count, dtype=np.int64))
            else:
                where = np.flatnonzero(tags == tag)
                chosen = where.tolist()
                pending.extend(
                    itemgetter(*chosen)(records) if len(chosen) > 1 else [records[chosen[0]]]
                )
                seqs.append(where.astype(np.int64) + base)
            if len(pending) >= self._group_rows[tag]:
                self._write_groups(TABLE_BY_TAG[tag], final=False)

    def on_span(self, e: SpanEvent) -> None:
        self.on_records([(SPAN, e)])

    def on_instant(self, e: InstantEvent) -> None:
        self.on_records([(INSTANT, e)])

    def on_counter(self, e: CounterEvent) -> None:
        self.on_records([(COUNTER, e)])

    def on_activity(self, e: ActivityEvent) -> None:
        self.on_records([(ACTIVITY, e.t_ps, e.component, e.action, e.amount, e.master)])

    def on_sample(self, e: SampleEvent) -> None:
        self.on_records([(SAMPLE, e.t_ps, e.component, e.name, e.value, e.master)])

    def _writer(self, table: Table):
        writer = self._writers.get(table.name)
        if writer is None:
            import pyarrow.parquet as pq

            self.folder.mkdir(parents=True, exist_ok=True)
            writer = self._writers[table.name] = pq.ParquetWriter(
                self.folder / table.file_name,
                arrow_schema(table),
                compression=COMPRESSION,
                # names only: times, numbers and fields compress better without a dictionary
                use_dictionary=[c.name for c in table.columns if c.type == NAME],
                write_page_checksum=True,  # the reader verifies them: corruption is caught
            )
        return writer

    def _write_groups(self, table: Table, final: bool) -> None:
        """Write the table's pending records as full row groups (and, if `final`, the
        rest as a last, shorter one)."""
        records = self._records[table.tag]
        seqs = np.concatenate(self._seqs[table.tag]) if records else np.empty(0, np.int64)
        n, start = self._group_rows[table.tag], 0
        while len(records) - start >= n or (final and start < len(records)):
            self._write_group(table, seqs[start : start + n], records[start : start + n])
            start += n
        del records[:start]
        self._seqs[table.tag] = [seqs[start:]] if records else []

    def _write_group(self, table: Table, seqs: np.ndarray, records: list[Record]) -> None:
        import pyarrow as pa

        writer = self._writer(table)
        try:
            arrays = record_arrays(table, records)
        except (pa.ArrowException, OverflowError) as exc:
            raise ValueError(f"native trace, table {table.name}: {exc}") from None
        group = pa.Table.from_arrays([pa.array(seqs), *arrays], schema=writer.schema)
        writer.write_table(group, row_group_size=len(seqs))

    def close(self, end_ps: int) -> None:
        for table in TABLES:
            if table.tag in self._records:
                self._write_groups(table, final=True)
            writer = self._writer(table)
            writer.add_key_value_metadata({END_KEY: str(end_ps), EVENTS_KEY: str(self._seq)})
            writer.close()


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFile:
    """One table's file, opened and checked (its footer, metadata and columns)."""

    table: Table
    path: Path
    parquet: object  # pyarrow.parquet.ParquetFile
    end_ps: int
    events: int


def trace_folder(path: Path) -> Path:
    """The trace folder of `path`: a run folder (its `trace/`) or a trace folder."""
    if (path / TRACE_FOLDER).is_dir():
        return path / TRACE_FOLDER
    if (path / "trace.native.jsonl").is_file():  # a run folder of an older flexsoc
        raise TraceFormatError(
            f"{path / 'trace.native.jsonl'}: trace version 1 (this reader: {VERSION})"
        )
    if path.is_dir():
        return path
    if path.exists():
        raise TraceFormatError(f"{path}: not a run folder or a native trace folder")
    raise TraceFormatError(f"{path}: no such run or trace folder")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_table(folder: Path, table: Table) -> TableFile | None:
    """`table`'s file in `folder`, checked; None when an optional table is absent."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / table.file_name
    if not path.is_file():
        if not table.required:
            return None
        raise TraceFormatError(f"{path}: missing (a native trace has one file per table)")
    check_input_file(path, f"native trace table {table.name}")
    try:
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        metadata = {k.decode(): v.decode() for k, v in (parquet.metadata.metadata or {}).items()}
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError) as exc:
        raise TraceFormatError(
            f"{path}: not a Parquet file, or truncated (footer: {_first_line(exc)})"
        ) from None
    if metadata.get(FORMAT_KEY) != FORMAT:
        raise TraceFormatError(f"{path}: not a flexsoc native trace table")
    if metadata.get(VERSION_KEY) != str(VERSION):
        raise TraceFormatError(
            f"{path}: trace version {metadata.get(VERSION_KEY)} (this reader: {VERSION})"
        )
    if metadata.get(TABLE_KEY) != table.name:
        raise TraceFormatError(f"{path}: holds table {metadata.get(TABLE_KEY)!r}")
    expected = arrow_schema(table).remove_metadata()
    if not schema.remove_metadata().equals(expected):
        raise TraceFormatError(
            f"{path}: columns {schema.names} are not those of version {VERSION}'s"
            f" {table.name} table ({expected.names}) or have other types"
        )
    try:
        end_ps, events = int(metadata[END_KEY]), int(metadata[EVENTS_KEY])
    except (KeyError, ValueError):
        raise TraceFormatError(f"{path}: no end time (the writer did not close it)") from None
    return TableFile(table, path, parquet, end_ps, events)


def _rows(file: TableFile) -> Iterator[tuple[int, Event]]:
    """(seq, event) of every row, one row group in memory at a time."""
    import pyarrow as pa

    parquet = file.parquet
    for group in range(parquet.num_row_groups):
        try:
            data = parquet.read_row_group(group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise TraceFormatError(
                f"{file.path}: row group {group}: corrupted ({_first_line(exc)})"
            ) from None
        columns = {name: column_values(data.column(name)) for name in data.column_names}
        del data
        seqs = columns.pop("seq")
        try:
            events = list(file.table.events(columns))
        except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
            raise TraceFormatError(
                f"{file.path}: row group {group}: malformed event ({_first_line(exc)})"
            ) from None
        yield from zip(seqs, events, strict=True)


def open_trace(path: Path) -> list[TableFile]:
    """Every table file of the trace at `path` (a run or trace folder), checked, and
    checked to come from one trace."""
    folder = trace_folder(path)
    files = [f for table in TABLES if (f := open_table(folder, table)) is not None]
    first = files[0]
    for file in files[1:]:
        if (file.end_ps, file.events) != (first.end_ps, first.events):
            raise TraceFormatError(f"{file.path}: from another trace than {first.path.name}")
    return files


def read_native(path: Path) -> Iterator[Event]:
    """Stream the events of the native trace at `path` (a run folder or its trace
    folder) in the order they were recorded. The files are checked before this returns;
    a bad row group raises `TraceFormatError` when the reading reaches it."""
    files = open_trace(path)
    return _merged(files)


def _merged(files: list[TableFile]) -> Iterator[Event]:
    expected = 0
    for seq, event in heapq.merge(*map(_rows, files), key=itemgetter(0)):
        if seq != expected:
            raise TraceFormatError(
                f"{files[0].path.parent}: event {expected} missing or repeated (found {seq})"
            )
        expected += 1
        yield event
    if expected != files[0].events:
        raise TraceFormatError(
            f"{files[0].path.parent}: {files[0].events - expected} events missing at the end"
        )


def read_table(path: Path, name: str) -> Iterator[Event]:
    """Stream the events of one table (`spans`, `samples`, ...) of the trace at `path`."""
    table = {t.name: t for t in TABLES}.get(name)
    if table is None:
        raise TraceFormatError(f"{path}: no table {name!r} in a native trace")
    file = open_table(trace_folder(path), table)
    return iter(()) if file is None else (event for _, event in _rows(file))


def end_ps(path: Path) -> int:
    """When the traced run ended."""
    return open_trace(path)[0].end_ps


# -- JSON lines ---------------------------------------------------------------------------


def event_dict(e: Event) -> dict[str, object]:
    """An event as the JSON object of its export line."""
    if isinstance(e, SpanEvent):
        return {
            "ev": "span",
            "start_ps": e.start_ps,
            "end_ps": e.end_ps,
            "track": e.track,
            "kind": e.kind.value,
            "fields": e.fields,
            "overlap": e.overlap,
        }
    if isinstance(e, InstantEvent):
        return {
            "ev": "instant",
            "t_ps": e.t_ps,
            "track": e.track,
            "name": e.name,
            "fields": e.fields,
        }
    if isinstance(e, CounterEvent):
        return {"ev": "counter", "t_ps": e.t_ps, "track": e.track, "name": e.name, "value": e.value}
    if isinstance(e, SampleEvent):
        names = {"component": e.component, "name": e.name}
        return {"ev": "sample", "t_ps": e.t_ps, **names, "value": e.value, "master": e.master}
    names = {"component": e.component, "action": e.action.value}
    return {"ev": "activity", "t_ps": e.t_ps, **names, "amount": e.amount, "master": e.master}


def export_jsonl(path: Path, out: IO[str]) -> int:
    """Write the trace at `path` as JSON lines to `out`: a header line, one compact
    JSON object per event (in recorded order), and an end line. Returns the events."""
    files = open_trace(path)
    encode = compact_json.encode
    header = {"format": FORMAT, "version": VERSION, "export": "jsonl"}
    out.write(json.dumps(header) + "\n")
    count = 0
    lines: list[str] = []
    for event in _merged(files):
        lines.append(encode(event_dict(event)) + "\n")
        count += 1
        if len(lines) >= 8192:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))
    out.write(encode({"ev": "end", "t_ps": files[0].end_ps}) + "\n")
    return count
