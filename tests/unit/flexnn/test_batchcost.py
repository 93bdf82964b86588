"""The batched cost model equals the scalar one (`cost.evaluate`, the reference) exactly,
on any descriptor that covers the layer, not only the mapper's candidates."""

from hypothesis import given, settings
from hypothesis import strategies as st

from soc.config import FlexNNConfig
from soc.energy import load_energy_table
from soc.flexnn.batchcost import evaluate_batch
from soc.flexnn.cost import CostParams, evaluate
from soc.flexnn.descriptor import Descriptor
from soc.flexnn.loopnest import Loop
from soc.flexnn.problem import layer_sizes
from soc.workloads import Layer

PRICES = dict(load_energy_table().actions)


@st.composite
def layers(draw):
    op = draw(st.sampled_from(["conv", "dwconv", "fc"]))
    c = draw(st.integers(1, 40))
    if op == "fc":
        return Layer("fc", "fc", c=c, k=draw(st.integers(1, 40)))
    r = draw(st.integers(1, 4))
    h = draw(st.integers(r, 20))
    return Layer(
        op,
        op,
        c=c,
        k=c if op == "dwconv" else draw(st.integers(1, 40)),
        h=h,
        w=draw(st.integers(r, 20)),
        r=r,
        s=r,
        stride=draw(st.integers(1, 2)),
        padding=draw(st.integers(0, r // 2)),
    )


@st.composite
def descriptors(draw, layer):
    """Every dimension split over the levels (edges allowed), loops shuffled within a
    level, a dimension sometimes twice in one level."""
    levels = {name: [] for name in ("dram", "sram", "rows", "cols", "rf", "lanes")}
    for dim, size in layer_sizes(layer).items():
        if size == 1 and draw(st.booleans()):
            continue
        covered = 1
        for level in ("lanes", "rows", "cols", "rf", "dram"):
            f = draw(st.integers(1, 4))
            if f > 1:
                levels[level].append(Loop(dim, f))
                covered *= f
        rest = -(-size // covered)
        if rest > 3 and draw(st.booleans()):  # twice in the SRAM level
            a = draw(st.integers(2, rest - 1))
            levels["sram"] += [Loop(dim, a), Loop(dim, -(-rest // a))]
        elif rest > 1:
            levels["sram"].append(Loop(dim, rest))
    shuffled = {name: tuple(draw(st.permutations(loops))) for name, loops in levels.items()}
    return Descriptor(**shuffled)


@st.composite
def cases(draw):
    layer = draw(layers())
    hw = FlexNNConfig(
        data_bytes=draw(st.sampled_from([1, 2])),
        acc_bytes=draw(st.sampled_from([2, 4])),
        load_bytes_per_cycle=draw(st.sampled_from([16, 64, 100])),
        drain_bytes_per_cycle=draw(st.sampled_from([8, 32])),
    )
    params = CostParams(
        PRICES,
        dram_bytes_per_cycle=draw(st.floats(0.5, 40)),
        stream_bytes_per_cycle=draw(st.one_of(st.none(), st.floats(0.5, 40))),
        transfer_overhead_cycles=draw(st.floats(0, 500)),
    )
    ds = draw(st.lists(descriptors(layer), min_size=1, max_size=6))
    return layer, hw, params, ds


@settings(max_examples=120, deadline=None)
@given(cases())
def test_batch_equals_scalar(case):
    layer, hw, params, ds = case
    batch = evaluate_batch(layer, hw, ds, params)
    for i, d in enumerate(ds):
        scalar = evaluate(layer, hw, d, params)
        assert batch.energy_pj[i] == scalar.energy_pj, d.describe()
        assert batch.cycles[i] == scalar.cycles, d.describe()
        for objective in ("energy", "latency", "edp"):
            assert batch.objective(objective)[i] == scalar.objective(objective)
