"""The mapper's choices equal the recorded reference (tests/validation/data/mapper,
recorded from the one-candidate-at-a-time mapper, see generate.py there) on the
objective: for ResNet-50 and the quickstart, under each objective, every layer's
flexible choice and every fixed dataflow's best.

Equal objectives are what must hold; a tie broken towards another descriptor would
be acceptable. Today every descriptor is also the recorded one, and the last assertion
holds that too, naming any tied layer, so that a change of tie-breaking is seen."""

import json
import math
import sys
from pathlib import Path

import pytest

from soc.flexnn.mapper import FIXED
from soc.runner import map_workload

DATA = Path(__file__).parent / "data" / "mapper"
REFERENCE = json.loads((DATA / "reference.json").read_text())
sys.path.insert(0, str(DATA))
from generate import _choice, scenario  # noqa: E402

sys.path.remove(str(DATA))


@pytest.mark.parametrize("case", sorted(REFERENCE["cases"]))
def test_choices_equal_the_reference_on_the_objective(case):
    name, objective = case.rsplit(" ", 1)
    config = scenario(name, objective)  # searched, not read from the mapping cache
    run = config.run.model_copy(update={"mapping_cache": False})
    result = map_workload(config.model_copy(update={"run": run}))
    expected = REFERENCE["cases"][case]
    assert [m.layer.name for m in result.layers] == [r["layer"] for r in expected]
    other_descriptors = []
    for m, want in zip(result.layers, expected, strict=True):
        pairs = [("flexible", m.best, want["best"])]
        pairs += [(k, m.baselines[k], want["baselines"][k]) for k in FIXED]
        for kind, choice, recorded in pairs:
            got = _choice(choice, objective)
            where = f"{m.layer.name} {kind}"
            assert (got is None) == (recorded is None), where
            if got is None:
                continue
            assert math.isclose(got["objective"], recorded["objective"], rel_tol=1e-9), where
            if got["descriptor"] == recorded["descriptor"]:
                assert (got["energy_pj"], got["cycles"]) == (
                    recorded["energy_pj"],
                    recorded["cycles"],
                ), where
            else:
                other_descriptors.append(where)
    assert not other_descriptors, f"tied choices with another descriptor: {other_descriptors}"
