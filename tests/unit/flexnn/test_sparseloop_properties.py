"""Invariants of the Sparseloop model over random densities and density models, on the
reference designs' structure: nothing is counted twice (actual + gated + skipped never
exceed the dense count), nothing is negative, and sparser operands never mean more
actual computes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from soc.flexnn.sparseloop import analyse_sparse
from soc.flexnn.sparseloop_density import Density
from soc.flexnn.sparseloop_input import SparseSpec, read_sparseloop

DATA = Path(__file__).parents[2] / "validation" / "data" / "sparseloop"


def _spec(name: str) -> SparseSpec:
    folder = DATA / name
    return read_sparseloop(
        folder / "arch.yaml", folder / "problem.yaml", folder / "timeloop-mapper.map.yaml"
    )


SPECS = {name: _spec(name) for name in ("01.2.3-SCDU-dot-product", "02.2.2-spMspM-tiled")}
density = st.integers(1, 20).map(lambda k: k / 20)
model = st.sampled_from(["fixed_structured", "hypergeometric"])


def _with(spec: SparseSpec, a: float, b: float, kind: str) -> SparseSpec:
    dens = dict(spec.densities)
    for name, d in (("A", a), ("B", b)):
        dens[name] = Density(kind, d, spec.densities[name].size)
    return replace(spec, densities=dens)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(SPECS)), density, density, model)
def test_no_access_is_counted_twice_or_negative(name, a, b, kind) -> None:
    stats = analyse_sparse(_with(SPECS[name], a, b, kind))
    for level in stats.levels:
        for tensor in level.tensors.values():
            for counts in (tensor.reads, tensor.fills, tensor.updates):
                parts = (counts.actual, counts.gated, counts.skipped)
                assert min(parts) >= 0
                assert sum(parts) <= counts.algorithmic
        assert level.cycles >= stats.compute.cycles
    c = stats.compute
    assert c.actual >= 0 and c.actual + c.gated + c.skipped <= c.algorithmic
    assert stats.cycles == max(stats.compute.cycles, *(lv.cycles for lv in stats.levels))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(SPECS)), density, density, density)
def test_a_sparser_operand_never_means_more_computes(name, a, b, lower) -> None:
    lower = min(lower, a)
    dense = analyse_sparse(_with(SPECS[name], a, b, "fixed_structured")).compute.actual
    sparse = analyse_sparse(_with(SPECS[name], lower, b, "fixed_structured")).compute.actual
    assert sparse <= dense
