"""The composition root: builds and wires every component from a scenario."""

from soc.assemble.build import AssembledSoc, assemble, plan_workload

__all__ = ["AssembledSoc", "assemble", "plan_workload"]
