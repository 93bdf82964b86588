"""Running one scenario into a run folder."""

from soc.runner.run import RunResult, run_scenario, simulate

__all__ = ["RunResult", "run_scenario", "simulate"]
