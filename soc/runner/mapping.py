"""Map a whole workload: the flexible dataflow of every layer and the fixed baselines.

Layers of identical shape (ResNet's repeated blocks) are searched once per run, and
mappings are kept in the persistent mapping cache (soc/plan/mappings.py).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from soc.config import ScenarioConfig
from soc.flexnn.choice import FIXED, LayerMapping
from soc.plan.dataflows import cost_params
from soc.plan.mappings import LayerMapper
from soc.runner.outputs import write_file
from soc.workloads import load_workload


@dataclass(frozen=True)
class WorkloadMapping:
    objective: str
    layers: list[LayerMapping]

    def total(self, kind: str | None, field: str) -> float | None:
        """Sum of `field` ('energy_pj' or 'cycles') over layers; None if a fixed
        dataflow does not fit some layer."""
        total = 0.0
        for m in self.layers:
            choice = m.best if kind is None else m.baselines[kind]
            if choice is None:
                return None
            total += getattr(choice.cost, field)
        return total


def map_workload(scenario: ScenarioConfig) -> WorkloadMapping:
    """Search every layer of the scenario's workload on its SoC (each distinct layer
    shape once, through the mapping cache unless the scenario turns it off)."""
    params = cost_params(scenario)
    layers = []
    for model in scenario.workloads:  # every model of every pipeline, in order
        mapper = LayerMapper(scenario.model_copy(update={"workload": model}), params)
        layers += [mapper.map(layer) for layer in load_workload(model)]
    return WorkloadMapping(scenario.workloads[0].objective, layers)


def network_objective(energy_pj: float, cycles: float, objective: str) -> float:
    """A whole network's objective: total energy, total cycles, or their product."""
    return {"energy": energy_pj, "latency": cycles, "edp": energy_pj * cycles}[objective]


def summary_rows(result: WorkloadMapping) -> tuple[list[dict], dict]:
    """Per-layer rows and the totals row for the report."""
    rows = [
        {
            "layer": m.layer.name,
            "dataflow": m.best.descriptor.describe(),
            "energy_pj": m.best.cost.energy_pj,
            "cycles": m.best.cost.cycles,
            "savings": {k: saving(m, k, result.objective) for k in FIXED},
        }
        for m in result.layers
    ]
    energy, cycles = result.total(None, "energy_pj"), result.total(None, "cycles")
    flexible = network_objective(energy, cycles, result.objective)
    savings = {}
    for kind in FIXED:
        e, c = result.total(kind, "energy_pj"), result.total(kind, "cycles")
        base = None if e is None else network_objective(e, c, result.objective)
        savings[kind] = None if base is None else (base - flexible) / base
    return rows, {"energy_pj": energy, "cycles": cycles, "savings": savings}


def saving(mapping: LayerMapping, kind: str, objective: str) -> float | None:
    """Fraction of the fixed dataflow's objective that the flexible choice saves."""
    base = mapping.baselines[kind]
    if base is None:
        return None
    b = base.cost.objective(objective)
    return (b - mapping.best.cost.objective(objective)) / b if b else 0.0


def write_csv(result: WorkloadMapping, path: Path, *, overwrite: bool = False) -> None:
    """One row per layer: the flexible choice and every fixed dataflow's best.

    An existing file is replaced only with `overwrite`; the file appears whole or not at
    all."""
    header = ["layer", "op", "macs", "dataflow", "energy_pj", "cycles"]
    for kind in FIXED:
        header += [f"{kind}_energy_pj", f"{kind}_cycles", f"{kind}_saving", f"{kind}_dataflow"]
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(header)
    for m in result.layers:
        row = [
            m.layer.name,
            m.layer.op,
            m.layer.macs,
            m.best.descriptor.describe(),
            f"{m.best.cost.energy_pj:.1f}",
            m.best.cost.cycles,
        ]
        for kind in FIXED:
            base = m.baselines[kind]
            if base is None:
                row += ["", "", "", ""]
            else:
                row += [
                    f"{base.cost.energy_pj:.1f}",
                    base.cost.cycles,
                    f"{saving(m, kind, result.objective):.4f}",
                    base.descriptor.describe(),
                ]
        writer.writerow(row)
    write_file(path, handle.getvalue(), overwrite=overwrite)
