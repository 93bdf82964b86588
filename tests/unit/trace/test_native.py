"""Native trace: lossless write -> read round trip; format errors name the line."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc.errors import TraceFormatError
from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace import Tracer
from soc.trace.events import ActivityEvent, CounterEvent, InstantEvent, SampleEvent, SpanEvent
from soc.trace.native import NativeTraceSink, read_native

HEADER = '{"format": "flexsoc-trace", "version": 1}\n'
SPAN = (
    json.dumps(
        {"ev": "span", "start_ps": 0, "end_ps": 5, "track": "npu", "kind": "load"}
        | {"fields": {}, "overlap": False}
    )
    + "\n"
)
END = '{"ev":"end","t_ps":9}\n'

ps = st.integers(0, 2**62)
text = st.text(max_size=12)
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
fields = st.dictionaries(text, scalar | st.lists(scalar, max_size=3), max_size=4)
events = st.lists(
    st.one_of(
        st.builds(SpanEvent, ps, ps, text, st.sampled_from(SpanKind), fields, st.booleans()),
        st.builds(InstantEvent, ps, text, text, fields),
        st.builds(CounterEvent, ps, text, text, st.floats(allow_nan=False)),
        st.builds(ActivityEvent, ps, text, st.sampled_from(Action), ps, st.none() | text),
    ),
    max_size=20,
)


def write(path, events, end_ps=0):
    sink = NativeTraceSink(path)
    for e in events:
        handler = {
            SpanEvent: sink.on_span,
            InstantEvent: sink.on_instant,
            CounterEvent: sink.on_counter,
            ActivityEvent: sink.on_activity,
        }[type(e)]
        handler(e)
    sink.close(end_ps)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events)
def test_round_trip_is_lossless(tmp_path, events):
    path = tmp_path / "trace.jsonl"
    write(path, events)
    back = list(read_native(path))
    assert back == events  # dataclass equality also compares the classes


def test_file_layout(tmp_path):
    path = tmp_path / "trace.jsonl"
    write(path, [CounterEvent(3, "sram", "occupancy", 0.5)], end_ps=7)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {"format": "flexsoc-trace", "version": 1},
        {"ev": "counter", "t_ps": 3, "track": "sram", "name": "occupancy", "value": 0.5},
        {"ev": "end", "t_ps": 7},
    ]


def read(tmp_path, content: str) -> list:
    path = tmp_path / "trace.jsonl"
    path.write_text(content, encoding="utf-8")
    return list(read_native(path))


@pytest.mark.parametrize(
    "header",
    ["", "hello\n", "[1, 2]\n", '{"format": "chrome", "version": 1}\n'],
)
def test_bad_header(tmp_path, header):
    with pytest.raises(TraceFormatError, match=r"trace\.jsonl:1: not a flexsoc native trace"):
        read(tmp_path, header + END)


def test_wrong_version(tmp_path):
    with pytest.raises(TraceFormatError, match=r":1: trace version 2 \(this reader: 1\)"):
        read(tmp_path, '{"format": "flexsoc-trace", "version": 2}\n' + END)


@pytest.mark.parametrize(
    "bad",
    [
        "{not json\n",
        '{"ev": "teleport", "t_ps": 1}\n',  # unknown event type
        '{"t_ps": 1}\n',  # no "ev"
        '{"ev": "counter", "t_ps": 1}\n',  # missing fields
        '{"ev": "span", "start_ps": 0, "end_ps": 5, "track": "npu", "kind": "warp",'
        ' "fields": {}, "overlap": false}\n',  # unknown span kind
        '["ev", "end"]\n',
    ],
)
def test_malformed_line_is_named(tmp_path, bad):
    # Header is line 1, a good span line 2, the bad record line 3.
    with pytest.raises(TraceFormatError, match=r"trace\.jsonl:3: malformed event"):
        read(tmp_path, HEADER + SPAN + bad + END)


def test_truncated_file(tmp_path):
    path = tmp_path / "trace.jsonl"
    path.write_text(HEADER + SPAN, encoding="utf-8")
    reader = read_native(path)
    assert next(reader) == SpanEvent(0, 5, "npu", SpanKind.LOAD, {}, False)
    with pytest.raises(TraceFormatError, match=r"trace\.jsonl: truncated \(no end record\)"):
        next(reader)


def test_file_cut_inside_a_line(tmp_path):
    with pytest.raises(TraceFormatError, match=r"trace\.jsonl:3: malformed event"):
        read(tmp_path, HEADER + SPAN + SPAN[:20])


def _record(e) -> dict:
    """The dict a native line encodes, built independently of the sink."""
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
        return {
            "ev": "sample",
            "t_ps": e.t_ps,
            "component": e.component,
            "name": e.name,
            "value": e.value,
            "master": e.master,
        }
    return {
        "ev": "activity",
        "t_ps": e.t_ps,
        "component": e.component,
        "action": e.action.value,
        "amount": e.amount,
        "master": e.master,
    }


samples = st.builds(
    SampleEvent, ps, text, text, st.integers() | st.floats(allow_nan=False), st.none() | text
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(events | st.lists(samples, max_size=3), max_size=4))
def test_every_line_is_compact_json_of_its_record(tmp_path, events):
    """Lines assembled in batches, from cached pieces, are byte for byte what
    json.dumps writes for each record, in the order the tracer received them."""
    flat = [e for group in events for e in group]
    path = tmp_path / "trace.jsonl"
    sink = NativeTraceSink(path)
    tracer = Tracer(Level.REQUEST, [sink], batch_records=3)
    for e in flat:
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
    tracer.close(11)
    expected = [HEADER]
    expected += [json.dumps(_record(e), separators=(",", ":")) + "\n" for e in flat]
    expected.append('{"ev":"end","t_ps":11}\n')
    assert path.read_text(encoding="utf-8") == "".join(expected)
    assert list(read_native(path)) == flat


numbers = st.integers() | st.floats(allow_nan=False) | st.booleans()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(numbers, numbers, numbers, st.sampled_from(Action), st.none() | text, text),
        min_size=1,
        max_size=6,
    )
)
def test_numbers_that_are_not_plain_ints_are_written_as_json_writes_them(tmp_path, rows):
    """Times and amounts are formatted directly only when they are ints; floats,
    infinities and bools (an int subclass) still give json.dumps's text."""
    path = tmp_path / "trace.jsonl"
    sink = NativeTraceSink(path)
    flat = []
    for t, amount, end, action, master, name in rows:
        flat += [
            ActivityEvent(t, name, action, amount, master),
            SampleEvent(t, name, "latency_ps", amount, master),
            SpanEvent(t, end, name, SpanKind.LOAD, {"x": amount}, bool(amount)),
        ]
    records = [
        (2, e)
        if isinstance(e, SpanEvent)
        else (0 if isinstance(e, ActivityEvent) else 1, *vars_of(e))
        for e in flat
    ]
    sink.on_records(records)
    sink.close(0)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[1:-1]
    assert lines == [json.dumps(_record(e), separators=(",", ":")) + "\n" for e in flat]


def vars_of(e):
    return (e.t_ps, e.component, e.action if isinstance(e, ActivityEvent) else e.name) + (
        (e.amount, e.master) if isinstance(e, ActivityEvent) else (e.value, e.master)
    )
