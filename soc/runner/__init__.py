"""Running one scenario into a run folder.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
