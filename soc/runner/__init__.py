"""Running one scenario into a run folder.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.runner.mapping import WorkloadMapping, map_workload, summary_rows, write_csv
    from soc.runner.run import RunResult, run_scenario, simulate

_WHERE = {
    "map_workload": "soc.runner.mapping",
    "run_scenario": "soc.runner.run",
    "RunResult": "soc.runner.run",
    "simulate": "soc.runner.run",
    "summary_rows": "soc.runner.mapping",
    "WorkloadMapping": "soc.runner.mapping",
    "write_csv": "soc.runner.mapping",
}

__all__ = [
    "RunResult",
    "WorkloadMapping",
    "map_workload",
    "run_scenario",
    "simulate",
    "summary_rows",
    "write_csv",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
