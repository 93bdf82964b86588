"""The compile step of a run (DESIGN.md section 2, `plan`): workload graph -> where each
op runs -> mappings (cached) -> layer plans -> driver program. Pure functions; the
composition root (`soc.assemble`) builds components from what they return.

Names are imported from their modules when first used (start-up time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.plan.program import DriverProgram, HostStep, WorkloadPlan, plan_workload

_WHERE = {
    "DriverProgram": "soc.plan.program",
    "HostStep": "soc.plan.program",
    "WorkloadPlan": "soc.plan.program",
    "plan_workload": "soc.plan.program",
}

__all__ = ["DriverProgram", "HostStep", "WorkloadPlan", "plan_workload"]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
