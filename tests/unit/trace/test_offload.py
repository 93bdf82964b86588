"""The trace worker: sinks run in a child process see exactly the records, in the order,
that they would see in the simulating process, and a failure there reaches the parent."""

import errno
import os
import signal

import pytest

from soc.kernel.vocab import Action, SpanKind
from soc.trace.events import (
    ACTIVITY,
    COUNTER,
    INSTANT,
    SAMPLE,
    SPAN,
    CounterEvent,
    InstantEvent,
    Sink,
    SpanEvent,
)
from soc.trace.offload import TraceWorker, flatten, rebuild

SPAN_EVENT = SpanEvent(10, 30, "npu.load", SpanKind.LOAD, {"layer": "conv1", "round": 2}, False)
RECORDS = [
    (ACTIVITY, 5, "dram", Action.DRAM_READ_BYTE, 64, "dma"),
    (SAMPLE, 7, "dram", "latency_ps", 60_000, "dma"),
    (SPAN, SPAN_EVENT),
    (INSTANT, InstantEvent(31, "npu", "layer start", {"layer": "conv2"})),
    (COUNTER, CounterEvent(40, "sram", "bank conflicts", 3.0)),
]


def test_flatten_makes_plain_tuples_and_rebuild_restores_the_events():
    flat = flatten(RECORDS)
    assert flat == [
        (ACTIVITY, 5, "dram", Action.DRAM_READ_BYTE, 64, "dma"),
        (SAMPLE, 7, "dram", "latency_ps", 60_000, "dma"),
        (SPAN, 10, 30, "npu.load", SpanKind.LOAD, {"layer": "conv1", "round": 2}, False),
        (INSTANT, 31, "npu", "layer start", {"layer": "conv2"}),
        (COUNTER, 40, "sram", "bank conflicts", 3.0),
    ]
    assert rebuild(flat) == RECORDS


class LineSink(Sink):
    """Writes one line per record and, at close, the run's end (module level: the
    child imports it by name)."""

    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close

    def on_records(self, records):
        for record in records:
            body = record[1:] if record[0] < SPAN else (record[1],)
            self.file.write(f"{record[0]} {body!r}\n")

    def close(self, end_ps):
        self.file.write(f"end {end_ps}\n")
        self.file.close()


class FullDiskSink(LineSink):
    def close(self, end_ps):
        raise OSError(errno.ENOSPC, "No space left on device", "trace.json")


class DyingSink(LineSink):
    def on_records(self, records):
        os._exit(3)


def test_a_worker_writes_what_the_sink_writes_in_process(tmp_path):
    inline = LineSink(tmp_path / "inline.txt")
    worker = TraceWorker([(LineSink, tmp_path / "child.txt")])
    for batch in (RECORDS[:2], RECORDS[2:]):
        inline.on_records(batch)
        worker.on_records(batch)
    inline.close(99)
    worker.close(99)
    worker.finish()
    expected = (tmp_path / "inline.txt").read_text()
    assert expected.count("\n") == len(RECORDS) + 1
    assert (tmp_path / "child.txt").read_text() == expected


def test_an_error_in_the_child_is_raised_by_finish(tmp_path):
    worker = TraceWorker([(FullDiskSink, tmp_path / "t.txt")])
    worker.on_records(RECORDS)
    worker.close(1)
    with pytest.raises(OSError) as caught:
        worker.finish()
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == "trace.json"


def test_a_child_that_dies_is_reported_with_its_exit_code(tmp_path):
    worker = TraceWorker([(DyingSink, tmp_path / "t.txt")])
    with pytest.raises(OSError, match=r"exit code 3\) before its files were complete"):
        for _ in range(1000):  # the pipe breaks once the child is gone
            worker.on_records(RECORDS)
        worker.close(1)
        worker.finish()


def test_abort_stops_the_child(tmp_path):
    worker = TraceWorker([(LineSink, tmp_path / "t.txt")])
    worker.on_records(RECORDS)
    worker.abort()
    assert worker._process.returncode == -signal.SIGKILL  # killed, and waited for
