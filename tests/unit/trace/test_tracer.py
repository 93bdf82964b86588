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


def test_activity_is_summed_per_window_and_settled_before_layer_boundaries():
    log = Log()
    tracer = Tracer(Level.LAYER, [log], activity_window_ps=100)
    mac, byte = Action.MAC, Action.SRAM_READ_BYTE
    tracer.activity(10, "npu", mac, 5, None)
    tracer.activity(20, "sram", byte, 64, "npu.load")
    tracer.activity(30, "npu", mac, 7, None)
    tracer.activity(150, "npu", mac, 2, None)  # a new window: the first one's sums go out
    tracer.instant(160, "npu", "layer_start", {"layer": "fc"})  # settles window 2 so far
    tracer.activity(170, "npu", mac, 1, None)
    tracer.span(155, 180, "npu.compute", SpanKind.COMPUTE, {}, False)  # not a boundary
    tracer.activity(175, "npu", mac, 3, None)
    tracer.span(160, 180, "npu", SpanKind.LAYER, {"layer": "fc"}, False)  # the layer's end
    tracer.activity(190, "npu", mac, 4, None)
    tracer.close(200)
    compute = SpanEvent(155, 180, "npu.compute", SpanKind.COMPUTE, {}, False)
    assert log.got == [
        ActivityEvent(30, "npu", mac, 12, None),  # 5 + 7, stamped with the latest increment
        ActivityEvent(30, "sram", byte, 64, "npu.load"),
        ActivityEvent(150, "npu", mac, 2, None),
        InstantEvent(160, "npu", "layer_start", {"layer": "fc"}),
        compute,  # spans other than a layer's pass without settling
        ActivityEvent(175, "npu", mac, 4, None),  # 1 + 3, inside the layer
        SpanEvent(160, 180, "npu", SpanKind.LAYER, {"layer": "fc"}, False),
        ActivityEvent(190, "npu", mac, 4, None),  # after the layer, settled at close
    ]
