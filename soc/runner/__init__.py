"""Running one scenario into a run folder."""

from soc.runner.mapping import WorkloadMapping, map_workload, summary_rows, write_csv
from soc.runner.run import RunResult, run_scenario, simulate

__all__ = [
    "RunResult",
    "WorkloadMapping",
    "map_workload",
    "run_scenario",
    "simulate",
    "summary_rows",
    "write_csv",
]
