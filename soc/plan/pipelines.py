"""Compile every pipeline of a scenario: each model planned on its own DRAM buffers, a
pipeline's models run one after the other per frame, between its pre- and
post-processing. With more than one model in the scenario, every op and layer name is
prefixed with its pipeline's name (and its model's, when the pipeline has several), so
that names stay unique across the run: 'kws.conv1', 'vision.mobilenetv2.features.0.0'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from soc.config import ScenarioConfig
from soc.errors import FlexsocError
from soc.flexnn import LayerPlan
from soc.plan.placement import Placement
from soc.plan.program import DriverProgram, WorkloadPlan, plan_workload


@dataclass(frozen=True)
class ScenarioPlan:
    """Every pipeline's program and compiled models; the first DRAM address their
    buffers leave free."""

    programs: tuple[DriverProgram, ...]
    workloads: tuple[WorkloadPlan, ...]
    pipeline_of: dict[str, str]  # op name -> its pipeline
    free_addr: int

    @property
    def plans(self) -> tuple[LayerPlan, ...]:
        return tuple(plan for w in self.workloads for plan in w.plans)

    @property
    def placements(self) -> tuple[Placement, ...]:
        return tuple(p for w in self.workloads for p in w.placements)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(note for w in self.workloads for note in w.graph.notes)


def plan_scenario(scenario: ScenarioConfig) -> ScenarioPlan:
    """Compile every model of every pipeline (raises on bad input)."""
    pipelines = scenario.pipeline_list
    several = len(scenario.workloads) > 1
    cursor = None
    programs, workloads, pipeline_of = [], [], {}
    for i, pipeline in enumerate(pipelines):
        compiled = []
        labels: list[str] = []
        for j, model in enumerate(pipeline.models):
            sub = scenario.model_copy(update={"workload": model, "driver": pipeline.driver()})
            where = None if scenario.pipelines is None else f"pipelines[{i}].models[{j}]"
            plan = _located(where, partial(plan_workload, sub, cursor, pipeline.name))
            cursor = plan.free_addr
            if several:
                label = plan.graph.name
                label = f"{label}{labels.count(label) + 1}" if label in labels else label
                labels.append(plan.graph.name)
                prefix = f"{pipeline.name}." + (f"{label}." if len(pipeline.models) > 1 else "")
                plan = prefixed(plan, prefix)
            compiled.append(plan)
            pipeline_of.update((p.node.name, pipeline.name) for p in plan.placements)
        first, last = compiled[0].program, compiled[-1].program
        programs.append(
            replace(
                first,
                priority=pipeline.priority,
                postprocess=last.postprocess,
                steps=tuple(step for plan in compiled for step in plan.program.steps),
            )
        )
        workloads += compiled
    return ScenarioPlan(tuple(programs), tuple(workloads), pipeline_of, cursor)


def _located(where: str | None, plan: Callable[[], WorkloadPlan]) -> WorkloadPlan:
    """`plan()`, its errors about `workload.<key>` said of the pipeline model's key path."""
    try:
        return plan()
    except FlexsocError as exc:
        message = str(exc)
        if where is None or not message.startswith("workload."):
            raise
        raise type(exc)(f"{where}.{message.removeprefix('workload.')}") from None


def prefixed(plan: WorkloadPlan, prefix: str) -> WorkloadPlan:
    """`plan` with `prefix` before every op, layer, tensor and DMA transfer name."""

    def name(old: str | None) -> str | None:
        return None if old is None else prefix + old

    layer_plans = {}
    for lp in plan.plans:
        for tile in lp.tiles:
            for transfer in (*tile.fetches, *tile.writebacks):
                transfer.label = name(transfer.label) if transfer.label else transfer.label
        layer = replace(lp.layer, name=name(lp.layer.name), source=name(lp.layer.source))
        layer_plans[lp.name] = replace(lp, layer=layer)
    placements = tuple(
        replace(p, node=replace(p.node, name=name(p.node.name)), into=name(p.into))
        for p in plan.placements
    )
    steps = tuple(
        layer_plans[s.name] if isinstance(s, LayerPlan) else replace(s, name=name(s.name))
        for s in plan.program.steps
    )
    program = replace(plan.program, steps=steps)
    return replace(plan, placements=placements, plans=tuple(layer_plans.values()), program=program)
