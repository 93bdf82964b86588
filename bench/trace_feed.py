"""Feed a synthetic stream of trace events through the tracer into the native trace.

Usage: python bench/trace_feed.py --out DIR [--events N]

Records N events (default 5 million) as a memory-bound run would: for each request a
DRAM access span with its fields, its latency samples, a counter and an activity
count, from a few masters, with the time advancing. The native trace (Parquet tables)
goes to DIR. Then writes one JSON line on stderr, as bench/run_case.py does:
{"events": events recorded, "run_s": wall time of the feed and the writing,
"simulated_ps": the last time}. bench/run_bench.py measures the peak RSS: it must not
grow with N (the writer holds at most one row group per table).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from soc.kernel.vocab import Action, Level, SpanKind
from soc.trace import NativeTraceSink, Tracer

MASTERS = ("npu", "dma", "cpu", "camera", "display")
EVENTS_PER_REQUEST = 5  # one span, two samples, a counter, an activity count


def feed(out: Path, events: int) -> tuple[int, int]:
    """Record about `events` events into a native trace in `out`; (events, last ps)."""
    tracer = Tracer(Level.REQUEST, [NativeTraceSink(out)])
    t = 0
    requests = -(-events // EVENTS_PER_REQUEST)
    for i in range(requests):
        master = MASTERS[i % len(MASTERS)]
        latency = 40_000 + (i * 7919) % 60_000  # a spread of latencies, deterministic
        write = i % 4 == 0
        fields = {"master": master, "bytes": 64, "write": write}
        tracer.span(t, t + latency, "dram.ch0", SpanKind.DRAM_ACCESS, fields, False)
        tracer.sample(t + latency, "dram", "latency_ps", latency, master)
        tracer.sample(t + latency, "dram", "service_latency_ps", latency - 20_000, master)
        tracer.counter(t, "dram", "queue_depth", i % 17)
        action = Action.DRAM_WRITE_BYTE if write else Action.DRAM_READ_BYTE
        tracer.activity(t, "dram", action, 64, master)
        t += 1_250
    tracer.close(t)
    return requests * EVENTS_PER_REQUEST, t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--events", type=int, default=5_000_000)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.perf_counter()
    events, end_ps = feed(args.out, args.events)
    cost = {"events": events, "run_s": time.perf_counter() - started, "simulated_ps": end_ps}
    print(json.dumps(cost), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
