"""One `soc run` for the benchmarks, reporting its cost on stderr.

Usage: python bench/run_case.py SCENARIO --out DIR [--set KEY=VALUE ...]

Does what `soc run SCENARIO --out DIR --overwrite` does (load the scenario, simulate,
write the run folder, print the summary tables on stdout), then writes one JSON line
on stderr: {"events": SimPy events processed, "run_s": the run's wall time after
start-up (assembly, planning, event loop, outputs), "simulated_ps": the run's end,
"helpers_rss_kib": the largest peak RSS of the processes the run started (its trace
and plot writers), 0 without}.
summary.json is unchanged: the count is a cost of the run, not one of its results.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
from pathlib import Path

import structlog
from rich.console import Console

from soc.config import load_scenario
from soc.report import render_summary
from soc.runner import run_scenario
from soc.runner.outputs import RunOrigin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    structlog.configure(  # as `soc run` without --verbose
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    config = load_scenario(args.scenario, args.overrides)
    origin = RunOrigin(config.name, str(args.scenario.resolve()))
    result = run_scenario(config, args.out, origin=origin, overwrite=True)
    render_summary(result.summary, Console())
    cost = {
        "events": result.events,
        "run_s": result.wall_s,
        "simulated_ps": result.summary["total_ps"],
        "helpers_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    print(json.dumps(cost), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
