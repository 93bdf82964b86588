"""Trace events, the tracer that fans them out, sinks and readers."""

from soc.trace.chrome import ChromeTraceSink
from soc.trace.events import ActivityEvent, CounterEvent, InstantEvent, Sink, SpanEvent
from soc.trace.native import (
    NATIVE_FORMAT,
    NATIVE_VERSION,
    NativeTraceSink,
    export_jsonl,
    read_native,
    read_table,
)
from soc.trace.stats import StatsCollector
from soc.trace.tracer import Tracer

__all__ = [
    "NATIVE_FORMAT",
    "NATIVE_VERSION",
    "ActivityEvent",
    "ChromeTraceSink",
    "CounterEvent",
    "InstantEvent",
    "NativeTraceSink",
    "Sink",
    "SpanEvent",
    "StatsCollector",
    "Tracer",
    "export_jsonl",
    "read_native",
    "read_table",
]
