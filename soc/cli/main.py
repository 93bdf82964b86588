"""`soc`: run or validate scenarios. Every user error is one line on stderr and exit 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog
import typer
from rich.console import Console

from soc.assemble import plan_workload
from soc.config import ScenarioConfig, load_scenario
from soc.errors import FlexsocError, MappingError, WorkloadError
from soc.report import render_summary
from soc.runner import run_scenario
from soc.units import format_time_ps

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="flexsoc: discrete-event SoC simulator for edge AI around a FlexNN accelerator.",
)

USER_ERROR = 2


def _configure_logging(verbose: bool) -> None:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbose else logging.WARNING
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def _load(scenario: str) -> ScenarioConfig:
    return load_scenario(Path(scenario))


def _in_scenario(scenario: str, exc: WorkloadError | MappingError) -> FlexsocError:
    """Workload and mapping errors name layers; prefix the file they came from."""
    return type(exc)(f"{scenario}: {exc}")


@app.command()
def run(
    scenario: str = typer.Argument(..., help="scenario YAML file"),
    out: str | None = typer.Option(None, "--out", help="run folder (default runs/<name>)"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug log to stderr"),
) -> None:
    """Simulate a scenario; write the run folder and print its summary."""
    _configure_logging(verbose)
    config = _load(scenario)
    out_dir = Path(out) if out else Path("runs") / config.name
    try:
        result = run_scenario(config, out_dir)
    except (WorkloadError, MappingError) as exc:
        raise _in_scenario(scenario, exc) from None
    console = Console(width=None if sys.stdout.isatty() else 120)
    render_summary(result.summary, console)
    console.print(
        f"run folder: {out_dir}  (simulated {format_time_ps(result.summary['total_ps'])} "
        f"in {result.wall_s:.2f} s wall)"
    )


@app.command()
def validate(scenario: str = typer.Argument(..., help="scenario YAML file")) -> None:
    """Check a scenario (config, workload, mapping) without simulating it."""
    config = _load(scenario)
    try:
        plans, _ = plan_workload(config)
    except (WorkloadError, MappingError) as exc:
        raise _in_scenario(scenario, exc) from None
    rounds = sum(len(plan.rounds) for plan in plans)
    Console().print(f"ok: {config.name}: {len(plans)} layers, {rounds:,} rounds per frame")


def main() -> None:
    """Console entry point: one line per error, exit code 2 for anything the user gave."""
    try:
        code = app(standalone_mode=False)
    except FlexsocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(USER_ERROR)
    except typer.Abort:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(USER_ERROR)
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        sys.exit(USER_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
