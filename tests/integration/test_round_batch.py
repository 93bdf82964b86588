"""`soc.flexnn.round_batch`: fewer engine steps, the same totals."""

import json

import pytest

from .conftest import ROOT, soc

SCENARIO = ROOT / "tests" / "integration" / "data" / "knobs.yaml"


SPARSE = ("workload.sparsity.activations=0.5", "workload.sparsity.weights=0.5")


def run(tmp_path, k, *overrides):
    out = tmp_path / f"k{k}"
    sets = [arg for o in (f"soc.flexnn.round_batch={k}", *overrides) for arg in ("--set", o)]
    result = soc("run", str(SCENARIO), "--out", str(out), *sets)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("round_batch")
    return run(tmp, 1), run(tmp, 4)


@pytest.fixture(scope="module")
def sparse_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("round_batch_sparse")
    return run(tmp, 1, *SPARSE), run(tmp, 4, *SPARSE)


@pytest.mark.parametrize("which", ["runs", "sparse_runs"])
def test_batched_rounds_keep_every_count_and_the_dynamic_energy(which, request):
    one, four = request.getfixturevalue(which)
    assert four["macs"] == one["macs"]
    for a, b in zip(one["layers"], four["layers"], strict=True):
        for field in ("rounds", "macs", "dense_cycles", "sparse_cycles", "performed_macs"):
            assert b[field] == a[field], (a["layer"], field)
    # bytes, MACs and accesses of every component; only the SRAM bank conflicts differ,
    # since a batch reads one range where its rounds read several
    conflicts = {"sram_bank_conflict", "sram_conflict_cycle"}

    def counts(summary):
        return {
            component: {a: n for a, n in actions.items() if a not in conflicts}
            for component, actions in summary["activity"].items()
        }

    assert counts(four) == counts(one)
    for component, energy in one["energy"]["by_component"].items():
        assert four["energy"]["by_component"][component]["dynamic_pj"] == pytest.approx(
            energy["dynamic_pj"], rel=1e-12
        )


def test_batched_rounds_lose_the_overlap_inside_a_batch(runs):
    one, four = runs
    # conv1 is load-bound at the start of every tile; a batch's compute waits for its
    # whole load, so the layer can only get slower (never faster) than round by round
    conv1 = (one["layers"][0], four["layers"][0])
    assert conv1[1]["elapsed_ps"] > conv1[0]["elapsed_ps"]
    assert four["total_ps"] > one["total_ps"]


def test_round_batch_must_be_positive(tmp_path):
    result = soc(
        "run", str(SCENARIO), "--out", str(tmp_path / "x"), "--set", "soc.flexnn.round_batch=0"
    )
    assert result.returncode == 2
    assert "soc.flexnn.round_batch" in result.stderr
    assert "Traceback" not in result.stderr
