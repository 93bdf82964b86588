"""Tracer: sinks receive every event, in order, in batches."""

from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace import Tracer
from soc.trace.events import (
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    SampleEvent,
    Sink,
    SpanEvent,
)


class Log(Sink):
    """A sink that only overrides the per-event handlers (the default `on_records`
    dispatches to them) and logs what it gets."""

    def __init__(self):
        self.got = []

    def on_span(self, event):
        self.got.append(event)

    def on_instant(self, event):
        self.got.append(event)

    def on_counter(self, event):
        self.got.append(event)

    def on_activity(self, event):
        self.got.append(event)

    def on_sample(self, event):
        self.got.append(event)


def test_sinks_see_every_event_in_order_once_a_batch_is_full():
    log = Log()
    tracer = Tracer(Level.PHASE, [log], batch_records=4)
    tracer.activity(1, "npu", Action.MAC, 8, None)
    tracer.span(0, 2, "npu.load", SpanKind.LOAD, {"round": 0}, False)
    tracer.sample(3, "dram", "latency_ps", 60, "dma")
    assert log.got == []  # three records: the batch is not full yet
    tracer.instant(4, "npu", "layer_start", {"layer": "conv"})
    assert log.got == [
        ActivityEvent(1, "npu", Action.MAC, 8, None),
        SpanEvent(0, 2, "npu.load", SpanKind.LOAD, {"round": 0}, False),
        SampleEvent(3, "dram", "latency_ps", 60, "dma"),
        InstantEvent(4, "npu", "layer_start", {"layer": "conv"}),
    ]
    tracer.counter(5, "sram", "bank conflicts", 1)
    tracer.close(9)  # flushes the rest
    assert log.got[4:] == [CounterEvent(5, "sram", "bank conflicts", 1)]
