"""Record the mapper's choices as a reference: every layer's flexible choice and each
fixed dataflow's best, for ResNet-50 (default SoC) and the quickstart scenario, under
each objective.

Run from the repository root against the code to record: the one-candidate-at-a-time
mapper of the commit before the batched one (4f16372), with today's cost model
(soc/flexnn/cost.py, which that mapper calls per candidate) copied over it::

    git worktree add /tmp/base 4f16372
    cp soc/flexnn/cost.py /tmp/base/soc/flexnn/cost.py
    PYTHONPATH=/tmp/base .venv/bin/python tests/validation/data/mapper/generate.py \\
        > tests/validation/data/mapper/reference.json

The batched mapper shares none of that mapper's search code, and of the cost model only
`cost.pipeline_cycles` (its per-class pipeline bound).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from soc.config import ScenarioConfig, SocConfig, WorkloadConfig, load_scenario
from soc.flexnn.mapper import FIXED, OBJECTIVES
from soc.runner import map_workload

ROOT = Path(__file__).resolve().parents[4]
CASES = ("zoo:resnet50", "scenarios/quickstart.yaml")


def scenario(case: str, objective: str) -> ScenarioConfig:
    """The scenario `soc map <case> --objective <objective>` maps."""
    if case.startswith("zoo:"):
        config = ScenarioConfig(name="map", soc=SocConfig(), workload=WorkloadConfig(model=case))
    else:
        config = load_scenario(ROOT / case, ())
    workload = config.workload.model_copy(update={"objective": objective})
    return config.model_copy(update={"workload": workload})


def _choice(choice, objective: str) -> dict | None:
    if choice is None:
        return None
    return {
        "descriptor": choice.descriptor.describe(),
        "energy_pj": choice.cost.energy_pj,
        "cycles": choice.cost.cycles,
        "objective": choice.cost.objective(objective),
    }


def record() -> dict:
    import soc.flexnn.mapper as mapper

    here = Path(mapper.__file__).resolve().parents[2]
    commit = subprocess.run(
        ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    out: dict = {"commit": commit, "cases": {}}
    for case in CASES:
        for objective in OBJECTIVES:
            result = map_workload(scenario(case, objective))
            out["cases"][f"{case} {objective}"] = [
                {
                    "layer": m.layer.name,
                    "best": _choice(m.best, objective),
                    "baselines": {k: _choice(m.baselines[k], objective) for k in FIXED},
                }
                for m in result.layers
            ]
    return out


def dumps(reference: dict) -> str:
    """JSON with one line per layer, so that a change shows as a readable diff."""
    lines = ["{", f' "commit": {json.dumps(reference["commit"])},', ' "cases": {']
    cases = list(reference["cases"].items())
    for i, (case, layers) in enumerate(cases):
        lines.append(f"  {json.dumps(case)}: [")
        lines += [
            f"   {json.dumps(layer)}" + ("," if j < len(layers) - 1 else "")
            for j, layer in enumerate(layers)
        ]
        lines.append("  ]" + ("," if i < len(cases) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(dumps(record()))
