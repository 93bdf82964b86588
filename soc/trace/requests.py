"""The native trace's `requests` table: every request the DRAM served, for replay.

Written when `run.record_requests` is on, whatever the trace level, as
`trace/requests.parquet` beside the other tables (docs/trace.md), with the same
format, version and table metadata. One row per request, in the order they completed
(`soc.hw.request_log` makes them), its columns `soc.kernel.ports.REQUEST_COLUMNS`:
master, number (the master's requests numbered in their order of arrival at the DRAM;
not the `seq` of the event tables),
addr, size_bytes, is_write, qos, issue_ps (the master issued it), arrival_ps (it
reached the DRAM), done_ps, after (the number of the master's request it waited for, or
null) and think_ps. Streamed in row groups."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from soc.errors import TraceFormatError
from soc.kernel.ports import REQUEST_COLUMNS as COLUMNS
from soc.kernel.ports import RequestRow
from soc.limits import check_input_file
from soc.trace.columnar import END_KEY, FORMAT, FORMAT_KEY, TABLE_KEY, VERSION, VERSION_KEY
from soc.trace.native import COMPRESSION, ROW_GROUP_ROWS, TRACE_FOLDER, trace_folder

TABLE = "requests"
FILE = f"{TABLE}.parquet"
_TYPES = {
    "master": "name",
    "is_write": "bool",
    "after": "nullable",
}


def _schema():
    import pyarrow as pa

    def arrow(name: str):
        kind = _TYPES.get(name)
        if kind == "name":
            return pa.field(name, pa.dictionary(pa.int32(), pa.string()), nullable=False)
        if kind == "bool":
            return pa.field(name, pa.bool_(), nullable=False)
        return pa.field(name, pa.int64(), nullable=kind == "nullable")

    metadata = {FORMAT_KEY: FORMAT, VERSION_KEY: str(VERSION), TABLE_KEY: TABLE}
    return pa.schema([arrow(name) for name in COLUMNS], metadata=metadata)


class RequestTableWriter:
    """Collects request rows and writes them to `<run>/trace/requests.parquet` in row
    groups; `close(end_ps)` finishes the file."""

    def __init__(self, run_folder: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.path = run_folder / TRACE_FOLDER / FILE
        self.row_group_rows = row_group_rows
        self._rows: list[RequestRow] = []
        self._writer = None

    def write(self, row: RequestRow) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                self.path,
                _schema(),
                compression=COMPRESSION,
                use_dictionary=["master"],
                write_page_checksum=True,
            )
        columns = list(zip(*self._rows, strict=True)) if self._rows else [[]] * len(COLUMNS)
        schema = self._writer.schema
        arrays = [pa.array(list(col), schema.field(i).type) for i, col in enumerate(columns)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        self._rows.clear()

    def close(self, end_ps: int) -> None:
        self._flush()
        self._writer.add_key_value_metadata({END_KEY: str(end_ps)})
        self._writer.close()


def read_requests(path: Path) -> Iterator[dict]:
    """The recorded requests of a run (or trace) folder, one dict per row, streamed one
    row group at a time; refused in one line when absent, truncated or of another
    version."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = trace_folder(path) / FILE
    if not file.is_file():
        raise TraceFormatError(
            f"{path}: no recorded requests (run the scenario with run.record_requests: true)"
        )
    check_input_file(file, "recorded requests")
    try:
        parquet = pq.ParquetFile(file, page_checksum_verification=True)
        metadata = {k.decode(): v.decode() for k, v in (parquet.metadata.metadata or {}).items()}
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TraceFormatError(
            f"{file}: not a Parquet file, or truncated (footer: {first[:200]})"
        ) from None
    if metadata.get(FORMAT_KEY) != FORMAT or metadata.get(TABLE_KEY) != TABLE:
        raise TraceFormatError(f"{file}: not a flexsoc requests table")
    if metadata.get(VERSION_KEY) != str(VERSION):
        raise TraceFormatError(
            f"{file}: trace version {metadata.get(VERSION_KEY)} (this reader: {VERSION})"
        )
    if END_KEY not in metadata:
        raise TraceFormatError(f"{file}: no end time (the writer did not close it)")
    if not parquet.schema_arrow.remove_metadata().equals(_schema().remove_metadata()):
        raise TraceFormatError(
            f"{file}: columns {parquet.schema_arrow.names} are not those of version {VERSION}'s"
            f" requests table ({list(COLUMNS)}) or have other types"
        )
    for group in range(parquet.num_row_groups):
        try:
            table = parquet.read_row_group(group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "corrupted"
            raise TraceFormatError(f"{file}, row group {group}: unreadable ({first})") from None
        yield from table.to_pylist()
