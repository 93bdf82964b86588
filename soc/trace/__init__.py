"""Trace events, the tracer that fans them out, sinks and readers."""

from soc.trace.chrome import ChromeTraceSink
from soc.trace.events import ActivityEvent, CounterEvent, InstantEvent, Sink, SpanEvent
from soc.trace.native import NATIVE_FORMAT, NATIVE_VERSION, NativeTraceSink, read_native
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
    "read_native",
]
