"""The vectorised sparse-latency model equals the cycle-by-cycle reference PE."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.config import FlexNNConfig
from soc.flexnn import Descriptor
from soc.flexnn.plan import round_table
from soc.flexnn.problem import DIMS, layer_sizes
from soc.flexnn.reference_pe import find_first_cycles, layer_round_cycles
from soc.flexnn.sparsity import sparse_rounds
from soc.workloads import Layer
from soc.workloads.tensors import LayerTensors, fl_shape, if_shape

DENSITIES = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])


@st.composite
def layers(draw):
    op = draw(st.sampled_from(["conv", "dwconv", "fc"]))
    c = draw(st.integers(1, 6))
    if op == "fc":
        return Layer("x", "fc", c=c * 3, k=draw(st.integers(1, 6)))
    r = draw(st.sampled_from([1, 2, 3]))
    stride = draw(st.integers(1, 2))
    padding = draw(st.integers(0, r // 2 + 1))
    h = draw(st.integers(r, 7))
    w = draw(st.integers(r, 7))
    k = c if op == "dwconv" else draw(st.integers(1, 6))
    return Layer("x", op, c=c, k=k, h=h, w=w, r=r, s=r, stride=stride, padding=padding)


@st.composite
def descriptors(draw, layer):
    """Any split of every dimension over the levels; products may overshoot (edges)."""
    levels = {lv: [] for lv in ("dram", "sram", "rows", "cols", "rf", "lanes")}
    budget = {"rows": 3, "cols": 3, "lanes": 4, "rf": 4}
    for dim, size in layer_sizes(layer).items():
        rest = size
        for level in draw(st.permutations(["rows", "cols", "lanes", "rf", "dram"])):
            if rest == 1:
                break
            cap = min(rest, budget.get(level, rest))
            f = draw(st.integers(1, max(1, cap)))
            if f > 1:
                levels[level].append(f"{dim}{f}")
                budget[level] = budget.get(level, rest) // f if level in budget else rest
                rest = -(-rest // f)
        if rest > 1:
            levels["sram"].append(f"{dim}{rest}")
    for level in ("dram", "sram", "rf"):
        levels[level] = draw(st.permutations(levels[level]))
    return Descriptor.parse({lv: " ".join(v) for lv, v in levels.items()})


@st.composite
def cases(draw):
    layer = draw(layers())
    d = draw(descriptors(layer))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    tensors = LayerTensors(
        rng.random(if_shape(layer)) < draw(DENSITIES),
        rng.random(fl_shape(layer)) < draw(DENSITIES),
    )
    return layer, d, tensors


@settings(max_examples=220, deadline=None)
@given(case=cases())
def test_vectorised_equals_reference(case):
    layer, d, tensors = case
    vectorised = sparse_rounds(layer, d, tensors)
    assert vectorised.cycles.tolist() == layer_round_cycles(layer, d, tensors).tolist()
    # never slower than dense, never faster than one cycle per round
    dense = round_table(layer, FlexNNConfig(), d).compute_cycles
    assert (vectorised.cycles <= dense).all() and (vectorised.cycles >= 1).all()
    # performed MACs are the pairs of non-zeros, counted independently
    padded_if = np.pad(tensors.ifmap, ((0, 0), (layer.padding,) * 2, (layer.padding,) * 2))
    pairs = 0
    g_k, g_c = layer.k_per_group, layer.c_per_group
    for k in range(layer.k):
        g = k // g_k
        for c in range(g_c):
            for r in range(layer.r):
                for s in range(layer.s):
                    if tensors.weights[k, c, r, s]:
                        rows = padded_if[
                            g * g_c + c, r : r + (layer.p - 1) * layer.stride + 1 : layer.stride
                        ]
                        pairs += int(
                            rows[:, s : s + (layer.q - 1) * layer.stride + 1 : layer.stride].sum()
                        )
    assert int(vectorised.performed.sum()) == pairs


def test_find_first_takes_one_pair_per_cycle():
    assert find_first_cycles([False, True, False, True, True]) == 3
    assert find_first_cycles([False, False]) == 1  # a lane with work takes a cycle
    assert find_first_cycles([]) == 0  # a lane with no MAC at all


def test_all_dense_masks_give_dense_cycles_without_padding():
    layer = Layer("x", "conv", c=8, k=8, h=6, w=6, r=3, s=3)  # no padding: no zero reads
    d = Descriptor.parse(
        {"sram": "P4 Q2", "rows": "K4", "cols": "Q2", "rf": "K2 R3 S3", "lanes": "C8"}
    )
    ones = LayerTensors(np.ones(if_shape(layer), bool), np.ones(fl_shape(layer), bool))
    dense = round_table(layer, FlexNNConfig(), d).compute_cycles
    assert sparse_rounds(layer, d, ones).cycles.tolist() == dense.tolist()


def _column_reference(layer, d, tensors):
    """Per-column lockstep from the reference PE, with the double-buffer skew rule
    written out round by round."""
    import itertools

    from soc.flexnn.descriptor import INNER
    from soc.flexnn.reference_pe import pe_round_cycles
    from soc.flexnn.sparsity import splits
    from soc.flexnn.walk import walk

    sp = splits(layer, d)
    cols = d.extents(("cols",))
    w = walk((*d.dram, *d.sram), d.extents(INNER), layer_sizes(layer))
    col_ids = list(itertools.product(*(range(cols.get(x, 1)) for x in DIMS)))
    end = {c: [0, 0] for c in col_ids}  # finish times of rounds r - 2 and r - 1
    done_before, out = 0, []
    for i in range(len(w)):
        block = {x: int(w.start[x][i]) // sp[x].block for x in DIMS}
        all_before = max(e[0] for e in end.values())
        new = {}
        for col in col_ids:
            rows = [range(sp[x].pes // cols.get(x, 1)) for x in DIMS]
            cycles = 0
            for row in itertools.product(*rows):
                pe = {x: row[j] * cols.get(x, 1) + col[j] for j, x in enumerate(DIMS)}
                cycles = max(cycles, pe_round_cycles(layer, d, tensors, block, pe))
            new[col] = max(end[col][1], all_before) + cycles
        for col in col_ids:
            end[col] = [end[col][1], new[col]]
        done = max(new.values())
        out.append(done - done_before)
        done_before = done
    return out


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_column_lockstep_equals_reference_and_is_never_slower(case):
    layer, d, tensors = case
    column = sparse_rounds(layer, d, tensors, "column")
    assert column.cycles.tolist() == _column_reference(layer, d, tensors)
    assert column.cycles.sum() <= sparse_rounds(layer, d, tensors).cycles.sum()
