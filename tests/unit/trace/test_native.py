"""Native trace (Parquet tables): lossless, byte-stable round trip; bad files are named."""

import io
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc.errors import TraceFormatError
from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace import Tracer
from soc.trace.events import ActivityEvent, CounterEvent, InstantEvent, SampleEvent, SpanEvent
from soc.trace.native import NativeTraceSink, end_ps, export_jsonl, read_native, read_table

TABLE_FILES = [
    "activity.parquet",
    "counters.parquet",
    "instants.parquet",
    "samples.parquet",
    "spans.parquet",
]

# The schema's domain: times and amounts are int64, values float64, fields JSON objects.
ps = st.integers(0, 2**62)
int64 = st.integers(-(2**63), 2**63 - 1)
text = st.text(max_size=12)
json_scalar = st.none() | st.booleans() | int64 | st.floats(allow_nan=False) | text
fields = st.dictionaries(text, json_scalar | st.lists(json_scalar, max_size=3), max_size=4)
value = st.floats(allow_nan=False) | st.integers(-(2**53), 2**53)  # exact in a double
names = st.sampled_from(["dram", "npu.load", "dma0", "cpu", "é"]) | text
events = st.lists(
    st.one_of(
        st.builds(SpanEvent, ps, ps, names, st.sampled_from(SpanKind), fields, st.booleans()),
        st.builds(InstantEvent, ps, names, names, fields),
        st.builds(CounterEvent, ps, names, names, value),
        st.builds(ActivityEvent, ps, names, st.sampled_from(Action), int64, st.none() | names),
        st.builds(SampleEvent, ps, names, names, value, st.none() | names),
    ),
    max_size=40,
)


def write(folder, events, end=0, batch=3, row_group_rows=5):
    """Feed `events` through a tracer (batches of `batch` records) into a sink."""
    sink = NativeTraceSink(folder, row_group_rows=row_group_rows)
    tracer = Tracer(Level.REQUEST, [sink], batch_records=batch)
    for e in events:
        if isinstance(e, SpanEvent):
            tracer.span(e.start_ps, e.end_ps, e.track, e.kind, e.fields, e.overlap)
        elif isinstance(e, InstantEvent):
            tracer.instant(e.t_ps, e.track, e.name, e.fields)
        elif isinstance(e, CounterEvent):
            tracer.counter(e.t_ps, e.track, e.name, e.value)
        elif isinstance(e, SampleEvent):
            tracer.sample(e.t_ps, e.component, e.name, e.value, e.master)
        else:
            tracer.activity(e.t_ps, e.component, e.action, e.amount, e.master)
    tracer.close(end)


def file_bytes(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(events=events, batch=st.integers(1, 50), end=ps)
def test_write_read_write_gives_the_same_events_and_bytes(tmp_path_factory, events, batch, end):
    first, second = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    write(first, events, end, batch=batch)
    back = list(read_native(first))
    assert back == events  # dataclass equality also compares the classes
    assert [type(e) for e in back] == [type(e) for e in events]
    write(second, back, end_ps(first), batch=7)  # other batches: same row groups
    assert file_bytes(second) == file_bytes(first)
    assert sorted(file_bytes(first)) == TABLE_FILES


def test_tables_read_with_pyarrow_alone(tmp_path):
    """The files are plain Parquet: columns as the schema documents them."""
    write(
        tmp_path,
        [
            SpanEvent(0, 5, "npu.load", SpanKind.LOAD, {"layer": "conv1", "round": 2}, False),
            SampleEvent(3, "dram", "latency_ps", 120, "dma"),
            ActivityEvent(4, "npu", Action.MAC, 64, None),
            SampleEvent(6, "dram", "latency_ps", 80.5, None),
        ],
        end=9,
    )
    spans = pq.read_table(tmp_path / "spans.parquet").to_pylist()
    assert spans == [
        {
            "seq": 0,
            "start_ps": 0,
            "end_ps": 5,
            "track": "npu.load",
            "kind": "load",
            "overlap": False,
            "fields": '{"layer":"conv1","round":2}',
        }
    ]
    samples = pq.read_table(tmp_path / "samples.parquet")
    assert samples.column("seq").to_pylist() == [1, 3]
    assert samples.column("value").to_pylist() == [120.0, 80.5]
    assert samples.column("master").to_pylist() == ["dma", None]
    assert pa.types.is_dictionary(samples.schema.field("component").type)
    activity = pq.read_table(tmp_path / "activity.parquet").to_pylist()
    assert activity == [
        {"seq": 2, "t_ps": 4, "component": "npu", "action": "mac", "amount": 64, "master": None}
    ]
    assert pq.read_table(tmp_path / "counters.parquet").num_rows == 0
    metadata = pq.ParquetFile(tmp_path / "spans.parquet").metadata.metadata
    assert metadata[b"flexsoc.format"] == b"flexsoc-trace"
    assert metadata[b"flexsoc.version"] == b"2"
    assert metadata[b"flexsoc.table"] == b"spans"
    assert metadata[b"flexsoc.end_ps"] == b"9"
    assert metadata[b"flexsoc.events"] == b"4"


def test_spans_are_written_in_groups_of_at_most_8192(tmp_path):
    """A span waits in memory with its fields (a dict): the spans table flushes every
    8,192 rows while the other tables hold up to the sink's row_group_rows."""
    n = 8_192 + 100
    spans = [SpanEvent(t, t + 1, "npu", SpanKind.COMPUTE, {"i": t}, False) for t in range(n)]
    write(tmp_path, spans + [CounterEvent(t, "sram", "occupancy", t) for t in range(n)],
          batch=1000, row_group_rows=20_000)  # fmt: skip
    for table, groups in (("spans", [8_192, 100]), ("counters", [n])):
        meta = pq.ParquetFile(tmp_path / f"{table}.parquet").metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == groups


def test_row_groups_hold_at_most_the_row_group_rows(tmp_path):
    write(tmp_path, [CounterEvent(t, "sram", "occupancy", t) for t in range(11)], batch=2)
    meta = pq.ParquetFile(tmp_path / "counters.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5, 5, 1]


def test_read_table_and_run_folder(tmp_path):
    trace = tmp_path / "trace"
    write(trace, [CounterEvent(1, "a", "b", 1.5), InstantEvent(2, "cpu", "start", {"x": [1]})])
    assert list(read_table(tmp_path, "instants")) == [InstantEvent(2, "cpu", "start", {"x": [1]})]
    assert len(list(read_native(tmp_path))) == 2  # a run folder: its trace/ folder
    with pytest.raises(TraceFormatError, match=r"no table 'requests'"):
        read_table(tmp_path, "requests")


# -- JSON-lines export ---------------------------------------------------------------------


def test_jsonl_export_lines_are_the_documented_objects(tmp_path):
    # docs/trace.md (soc trace convert): one compact object per event, written out here
    events = [
        SpanEvent(0, 5, "npu.load", SpanKind.LOAD, {"layer": "conv1"}, False),
        InstantEvent(1, "npu", "layer_start", {"layer": "conv1"}),
        CounterEvent(2, "dram", "dma GB/s", 3),
        SampleEvent(3, "dram", "latency_ps", 40, "dma"),
        ActivityEvent(4, "npu", Action.MAC, 64, None),
    ]
    write(tmp_path, events, end=9)
    out = io.StringIO()
    assert export_jsonl(tmp_path, out) == 5
    assert out.getvalue().splitlines() == [
        '{"format": "flexsoc-trace", "version": 2, "export": "jsonl"}',
        '{"ev":"span","start_ps":0,"end_ps":5,"track":"npu.load","kind":"load",'
        '"fields":{"layer":"conv1"},"overlap":false}',
        '{"ev":"instant","t_ps":1,"track":"npu","name":"layer_start","fields":{"layer":"conv1"}}',
        '{"ev":"counter","t_ps":2,"track":"dram","name":"dma GB/s","value":3.0}',
        '{"ev":"sample","t_ps":3,"component":"dram","name":"latency_ps","value":40.0,'
        '"master":"dma"}',
        '{"ev":"activity","t_ps":4,"component":"npu","action":"mac","amount":64,"master":null}',
        '{"ev":"end","t_ps":9}',
    ]


_TIME = {"span": "start_ps"}  # the other kinds are stamped with t_ps


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(events=events)
def test_jsonl_export_has_a_line_per_event_in_order(tmp_path_factory, events):
    folder = tmp_path_factory.mktemp("t")
    write(folder, events, end=11)
    out = io.StringIO()
    assert export_jsonl(folder, out) == len(events)
    header, *lines, last = (json.loads(line) for line in out.getvalue().splitlines())
    assert header == {"format": "flexsoc-trace", "version": 2, "export": "jsonl"}
    assert last == {"ev": "end", "t_ps": 11}
    kinds = {SpanEvent: "span", InstantEvent: "instant", CounterEvent: "counter",
             SampleEvent: "sample", ActivityEvent: "activity"}  # fmt: skip
    assert [line["ev"] for line in lines] == [kinds[type(e)] for e in events]
    times = [e.start_ps if isinstance(e, SpanEvent) else e.t_ps for e in events]
    assert [line[_TIME.get(line["ev"], "t_ps")] for line in lines] == times


# -- bad files -----------------------------------------------------------------------------


@pytest.fixture
def trace(tmp_path):
    folder = tmp_path / "trace"
    spans = [SpanEvent(t, t + 1, "npu", SpanKind.LOAD, {"round": t}, False) for t in range(200)]
    write(folder, spans, end=300, batch=64, row_group_rows=100)
    return folder


def test_a_good_trace_reads(trace):
    assert len(list(read_native(trace))) == 200


def test_missing_folder_or_table(tmp_path, trace):
    with pytest.raises(TraceFormatError, match=r"nowhere: no such run or trace folder"):
        read_native(tmp_path / "nowhere")
    (trace / "samples.parquet").unlink()
    with pytest.raises(TraceFormatError, match=r"samples\.parquet: missing"):
        read_native(trace)


def test_version_1_run_folder(tmp_path):
    (tmp_path / "trace.native.jsonl").write_text('{"format": "flexsoc-trace", "version": 1}\n')
    with pytest.raises(TraceFormatError, match=r"jsonl: trace version 1 \(this reader: 2\)"):
        read_native(tmp_path)


@pytest.mark.parametrize("cut", [0, 4, 0.5, -1])
def test_truncated_file(trace, cut):
    path = trace / "spans.parquet"
    data = path.read_bytes()
    keep = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path.write_bytes(data[:keep])
    with pytest.raises(TraceFormatError, match=r"spans\.parquet: not a Parquet file, or truncated"):
        read_native(trace)


def test_not_parquet(trace):
    (trace / "counters.parquet").write_text('{"format": "flexsoc-trace", "version": 1}\n')
    with pytest.raises(TraceFormatError, match=r"counters\.parquet: not a Parquet file"):
        read_native(trace)


def test_corrupted_page_names_the_row_group(trace):
    path = trace / "spans.parquet"
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(1).column(1)  # start_ps of the second row group
    data = bytearray(path.read_bytes())
    data[column.data_page_offset + column.total_compressed_size - 3] ^= 0xFF
    path.write_bytes(bytes(data))
    reader = read_native(trace)  # footers are fine: the fault shows when reading it
    with pytest.raises(TraceFormatError, match=r"spans\.parquet: row group 1: corrupted"):
        list(reader)


def rewrite(path, table=None, metadata=None):
    """Write `path` again with pyarrow directly: `table` rows, `metadata` changes."""
    original = pq.ParquetFile(path)
    kv = {k.decode(): v.decode() for k, v in original.metadata.metadata.items()}
    kv.pop("ARROW:schema")
    kv.update(metadata or {})
    table = table if table is not None else original.read()
    pq.write_table(table.replace_schema_metadata(kv), path, row_group_size=100)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"flexsoc.version": "3"}, r"spans\.parquet: trace version 3 \(this reader: 2\)"),
        ({"flexsoc.format": "chrome"}, r"spans\.parquet: not a flexsoc native trace table"),
        ({"flexsoc.table": "samples"}, r"spans\.parquet: holds table 'samples'"),
        ({"flexsoc.end_ps": "soon"}, r"spans\.parquet: no end time"),
        ({"flexsoc.events": "7"}, r"instants\.parquet: from another trace than spans\.parquet"),
    ],
)
def test_wrong_metadata(trace, changes, message):
    rewrite(trace / "spans.parquet", metadata=changes)
    with pytest.raises(TraceFormatError, match=message):
        read_native(trace)


def test_wrong_columns(trace):
    path = trace / "spans.parquet"
    table = pq.read_table(path).drop_columns(["overlap"])
    rewrite(path, table)
    with pytest.raises(TraceFormatError, match=r"spans\.parquet: columns .* are not those"):
        read_native(trace)


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("kind", "warp", r"unknown span kind 'warp'"),
        ("fields", "{not json", r"fields '\{not json' are not a JSON object"),
        ("fields", "[1, 2]", r"are not a JSON object"),
    ],
)
def test_malformed_event_names_the_row_group(trace, column, bad, message):
    path = trace / "spans.parquet"
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[150] = bad  # the second row group (rows 100..199)
    index = table.schema.get_field_index(column)
    array = pa.array(values, table.schema.field(column).type)
    rewrite(path, table.set_column(index, table.schema.field(column), array))
    with pytest.raises(
        TraceFormatError, match=rf"spans\.parquet: row group 1: malformed .*{message}"
    ):
        list(read_native(trace))


def test_missing_event_is_found(trace):
    path = trace / "spans.parquet"
    rewrite(path, pq.read_table(path).slice(0, 199))  # the last span gone
    with pytest.raises(TraceFormatError, match=r"trace: 1 events missing at the end"):
        list(read_native(trace))


def soc(*args):
    command = [sys.executable, "-m", "soc", *args]
    return subprocess.run(command, capture_output=True, text=True)


def test_cli_convert_to_jsonl(tmp_path, trace):
    out = tmp_path / "trace.jsonl"
    result = soc("trace", "convert", str(trace.parent), "--to", "jsonl", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 200 + 1  # header, the spans, the end
    assert json.loads(lines[1])["fields"] == {"round": 0}
    assert lines[-1] == '{"ev":"end","t_ps":300}'


def test_cli_refuses_a_bad_trace_in_one_line(tmp_path, trace):
    path = trace / "spans.parquet"
    path.write_bytes(path.read_bytes()[:-100])
    out = tmp_path / "trace.jsonl"
    result = soc("trace", "convert", str(trace), "--to", "jsonl", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {path}: not a Parquet file, or truncated")
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
