"""The engine's load / compute / drain processes on hand-timed rounds.

Stubs make the SRAM and the DMA instantaneous so that every timestamp follows from the
engine's own paths: 1 GHz clock, 1 cycle = 1000 ps.
"""

import simpy

from soc.config import FlexNNConfig, SramConfig
from soc.flexnn import Descriptor, FlexNNEngine, TensorAddrs, build_plan
from soc.kernel import Level, elaborate
from soc.workloads import Layer

HW = FlexNNConfig(
    pe_rows=4,
    pe_cols=4,
    lanes=8,
    freq_hz=1_000_000_000,
    load_bytes_per_cycle=64,
    drain_bytes_per_cycle=32,
    dma_channels=3,
)
ADDRS = TensorAddrs(if_addr=0, fl_addr=1 << 20, of_addr=1 << 21)


class InstantSram:
    def __init__(self, env):
        self.env = env

    def access(self, req):
        return self.env.now


class InstantDma:
    def __init__(self, env):
        self.env = env
        self.submitted = []

    def submit(self, transfer):
        self.submitted.append((self.env.now, transfer.label))
        done = self.env.event()
        done.succeed()
        return done


class Spans:
    level = Level.PHASE

    def __init__(self):
        self.spans = []

    def span(self, start, end, track, kind, fields, overlap):
        self.spans.append((str(kind), fields.get("round"), start, end))

    def instant(self, *args):
        pass

    def counter(self, *args):
        pass

    def activity(self, *args):
        pass

    def sample(self, *args):
        pass


def run_layer(layer, descriptor, hw=HW):
    env = simpy.Environment()
    recorder = Spans()
    engine = FlexNNEngine(env, "npu", hw, recorder)
    dma = InstantDma(env)
    engine.sram.bind(InstantSram(env))
    engine.dma.bind(dma)
    elaborate([engine])
    plan = build_plan(layer, hw, SramConfig(), ADDRS, descriptor)
    done = engine.launch(plan)
    env.run(until=done)
    return env.now, recorder.spans, dma.submitted


def phases(spans, kind):
    return [(r, start, end) for k, r, start, end in spans if k == kind]


def loops(**levels):
    return Descriptor.parse(levels)


def test_one_dense_round():
    # 1x1 conv C=16 -> K=4 over 2x2: one round; K across rows, the 4 pixels across
    # columns, C over 8 lanes x 2 RF steps.
    layer = Layer("l", "conv", c=16, k=4, h=2, w=2)
    end, spans, dma = run_layer(layer, loops(rows="K4", cols="P2 Q2", lanes="C8", rf="C2"))
    # load: IF 16 B to each of 4 columns + FL 16 B to each of 4 rows = 128 B at
    # 64 B/cycle = 2 cycles
    assert phases(spans, "load") == [(0, 0, 2000)]
    # compute: each lane does 16 / 8 = 2 MACs for its PE's one output = 2 cycles
    assert phases(spans, "compute") == [(0, 2000, 4000)]
    # drain: 4 x 4 INT8 outputs = 16 B at 32 B/cycle = 1 cycle
    assert phases(spans, "drain") == [(0, 4000, 5000)]
    assert end == 5000
    assert dma == [(0, "l.IF"), (0, "l.FL"), (5000, "l.OF")]


def test_load_of_next_round_overlaps_compute():
    # Same layer, C split into two rounds of 8: load 4 x 8 + 4 x 8 = 64 B = 1 cycle,
    # compute 1 cycle (one MAC per lane).
    layer = Layer("l", "conv", c=16, k=4, h=2, w=2)
    end, spans, _ = run_layer(layer, loops(sram="C2", rows="K4", cols="P2 Q2", lanes="C8"))
    assert phases(spans, "load") == [(0, 0, 1000), (1, 1000, 2000)]
    assert phases(spans, "compute") == [(0, 1000, 2000), (1, 2000, 3000)]
    assert phases(spans, "drain") == [(1, 3000, 4000)]
    assert end == 4000


def test_compute_bound_rounds_back_load_up():
    # Four rounds whose compute (2 cycles) is longer than their load (1 cycle): with two
    # IF/FL register-file halves, load k+2 waits until compute k frees its half.
    layer = Layer("l", "conv", c=64, k=4, h=2, w=2)
    # Rounds of C16: IF 4 x 16 + FL 4 x 16 = 128 B, 1 cycle on a 128 B/cycle load path;
    # compute 16 / 8 = 2 cycles.
    wide = HW.model_copy(update={"load_bytes_per_cycle": 128})
    descriptor = loops(sram="C4", rows="K4", cols="P2 Q2", lanes="C8", rf="C2")
    _, spans, _ = run_layer(layer, descriptor, wide)
    assert phases(spans, "load") == [
        (0, 0, 1000),
        (1, 1000, 2000),
        (2, 3000, 4000),
        (3, 5000, 6000),
    ]
    assert phases(spans, "compute") == [
        (0, 1000, 3000),
        (1, 3000, 5000),
        (2, 5000, 7000),
        (3, 7000, 9000),
    ]
