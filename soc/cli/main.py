"""`soc`: run or validate scenarios. Every user error is one line on stderr and exit 2."""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from soc.errors import FlexsocError, MappingError, OutputError, StallError, WorkloadError

# Each command imports what it uses inside its body: a warm `soc map` (mapping cache
# hit) must not pay for the simulator's modules, simpy or structlog (issue 10).
if TYPE_CHECKING:
    from soc.config import ScenarioConfig, WorkloadConfig
    from soc.plan.pipelines import ScenarioPlan
    from soc.runner.control import RunLimits

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="flexsoc: discrete-event SoC simulator for edge AI around a FlexNN accelerator.",
)

USER_ERROR = 2
STALLED = 3


def _configure_logging(verbose: bool) -> None:
    import logging

    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbose else logging.WARNING
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def _load(scenario: str, overrides: list[str] | None = None) -> ScenarioConfig:
    from soc.config import load_scenario

    return load_scenario(Path(scenario), overrides or ())


SET_OPTION = typer.Option(
    None, "--set", help="override a scenario key, e.g. --set soc.dram.arbitration=fcfs"
)


class OutputFormat(StrEnum):
    """What `soc run` prints on stdout: tables for people, the summary for machines."""

    TABLE = "table"
    JSON = "json"  # summary.json as written in the run folder
    CSV = "csv"  # the per-layer table, raw values


FORMAT_OPTION = typer.Option(
    OutputFormat.TABLE, "--format", help="stdout: table, json (the summary) or csv (layers)"
)


NO_CACHE_OPTION = typer.Option(
    False, "--no-cache", help="neither read nor write the mapping cache (run.mapping_cache)"
)


FORCE_OPTION = typer.Option(
    False, "--force", help="accept a scenario whose estimated cost is implausible (warn)"
)


def _cache_setting(config: ScenarioConfig, no_cache: bool) -> ScenarioConfig:
    """--no-cache overrides the scenario's run.mapping_cache."""
    if not no_cache:
        return config
    return config.model_copy(update={"run": config.run.model_copy(update={"mapping_cache": False})})


_KEY_AT_START = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*): ")


def _in_scenario(scenario: str, exc: WorkloadError | MappingError) -> FlexsocError:
    """Workload and mapping errors name layers; prefix the file they came from, and the
    line of the key when the message starts with a key path of the file (a per_layer
    entry naming no layer, found once the model is read)."""
    from soc.config.loader import key_line

    text, where = str(exc), scenario
    match = _KEY_AT_START.match(text)
    if match is not None and Path(scenario).suffix in (".yaml", ".yml"):
        line = key_line(Path(scenario), match.group(1))
        where = f"{scenario}:{line}" if line is not None else scenario
    return type(exc)(f"{where}: {text}")


@app.command()
def run(
    scenario: str = typer.Argument(..., help="scenario YAML file"),
    out: str | None = typer.Option(None, "--out", help="run folder (default runs/<name>)"),
    overrides: list[str] | None = SET_OPTION,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="replace an earlier run folder at the output path"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug log to stderr"),
    no_cache: bool = NO_CACHE_OPTION,
    output_format: OutputFormat = FORMAT_OPTION,
    max_wall: str | None = typer.Option(
        None, "--max-wall", help="stop after this much wall-clock time simulating: 90s, 10m, 2h"
    ),
    max_sim: str | None = typer.Option(
        None, "--max-sim", help="stop at this simulated time: 2 s, 500 us"
    ),
    progress: bool | None = typer.Option(
        None,
        "--progress/--no-progress",
        help="a status line on stderr (default: when stderr is a terminal, after 2 s)",
    ),
    force: bool = FORCE_OPTION,
) -> None:
    """Simulate a scenario; write the run folder and print its summary.

    A scenario whose estimated cost is far beyond its intent is refused
    (as by soc validate) unless --force. A run stopped by --max-wall or
    --max-sim is written all the same, its summary marked incomplete
    ("complete": false, "stopped": reason and time), with a line saying
    so; the exit code is 0. A simulation whose processes block forever
    ends with "stalled at t=...", the blocked processes and exit code 3.
    """
    started = time.perf_counter()
    limits = run_limits(max_wall, max_sim)
    config = _cache_setting(_load(scenario, overrides), no_cache)
    # the simulator's modules only once the scenario loads: a wrong one is told at once
    from rich.console import Console

    from soc.report import render_summary, write_layers_csv
    from soc.report.summary import incomplete_line
    from soc.runner import run_scenario
    from soc.runner.outputs import RunOrigin
    from soc.runner.run import RunControl, progress_line
    from soc.units import format_time_ps

    _configure_logging(verbose)
    out_dir = Path(out) if out else Path("runs") / config.name
    origin = RunOrigin(config.name, str(Path(scenario).resolve()))
    show = sys.stderr.isatty() if progress is None else progress
    control = RunControl(limits, progress_line(sys.stderr) if show else None)
    compiled = _plan_checked(scenario, config, force)
    try:
        result = run_scenario(
            config,
            out_dir,
            origin=origin,
            overwrite=overwrite,
            default=out is None,
            control=control,
            compiled=compiled,
        )
    except (WorkloadError, MappingError) as exc:
        raise _in_scenario(scenario, exc) from None
    if output_format is OutputFormat.TABLE:
        render_summary(result.summary, Console())  # piped: $COLUMNS wide, else 80
    elif output_format is OutputFormat.JSON:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
    else:
        write_layers_csv(result.summary, sys.stdout)
    # stdout holds only the data in json and csv
    Console(stderr=output_format is not OutputFormat.TABLE).print(
        f"run folder: {out_dir}  (simulated {format_time_ps(result.summary['total_ps'])} "
        f"in {time.perf_counter() - started:.2f} s wall)",
        soft_wrap=True,
    )
    incomplete = incomplete_line(result.summary)
    if incomplete and output_format is not OutputFormat.TABLE:  # the table says it
        Console(stderr=True).print(f"warning: {incomplete}", soft_wrap=True)


def run_limits(max_wall: str | None, max_sim: str | None) -> RunLimits:
    """--max-wall and --max-sim as bounds; a malformed one is a usage error."""
    from soc.runner.control import RunLimits, parse_sim_ps, parse_wall_s

    try:
        wall = parse_wall_s(max_wall) if max_wall is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max-wall") from None
    try:
        sim = parse_sim_ps(max_sim) if max_sim is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max-sim") from None
    return RunLimits(max_sim_ps=sim, max_wall_s=wall)


MODEL_PREFIXES = ("zoo:", "onnx:", "scalesim:")


def _with_objective(config: ScenarioConfig, objective: str) -> ScenarioConfig:
    """`config` with every model's mapping objective set to `objective`."""

    def model(w: WorkloadConfig) -> WorkloadConfig:
        return w.model_copy(update={"objective": objective})

    if config.pipelines is None:
        return config.model_copy(update={"workload": model(config.workload)})
    pipelines = [
        p.model_copy(update={"models": [model(w) for w in p.models]}) for p in config.pipelines
    ]
    return config.model_copy(update={"pipelines": pipelines})


def _plan_checked(scenario: str, config: ScenarioConfig, force: bool) -> ScenarioPlan:
    """The scenario's plan (its workload and mapping errors name the file). A setting
    whose estimated cost is far beyond the scenario's intent is printed on a line of its
    own (the key to change and the estimate) and refuses the scenario (exit 2), or with
    `force` is printed as a warning."""
    from rich.console import Console

    from soc.errors import ImplausibleError
    from soc.plan.estimate import plan_checked

    errors = Console(stderr=True, soft_wrap=True)
    try:
        compiled, findings = plan_checked(config, force)
    except (WorkloadError, MappingError) as exc:
        raise _in_scenario(scenario, exc) from None
    except ImplausibleError as exc:
        for finding in exc.findings:
            errors.print(f"error: {scenario}: {finding}", markup=False)
        errors.print(
            f"{scenario}: refused: its estimated cost is far beyond its intent "
            "(change the keys above, or pass --force)",
            markup=False,
        )
        raise typer.Exit(USER_ERROR) from None
    for finding in findings:
        errors.print(f"warning: {scenario}: {finding}", markup=False)
    return compiled


@app.command()
def validate(
    scenario: str = typer.Argument(..., help="scenario YAML file"),
    overrides: list[str] | None = SET_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Check a scenario (config, workload, mapping, plausible cost) without simulating it."""
    from rich.console import Console

    config = _cache_setting(_load(scenario, overrides), no_cache)
    compiled = _plan_checked(scenario, config, force)
    plans = compiled.plans
    rounds = sum(plan.rounds.round_count for plan in plans)  # not batches (round_batch)
    console = Console()
    console.print(f"ok: {config.name}: {len(plans)} layers, {rounds:,} rounds per frame")
    for note in compiled.notes:  # how the model was read (SCALE-Sim padding, ONNX ops)
        console.print(f"note: {note}", markup=False)


@app.command("map")
def map_command(
    workload: str = typer.Argument(
        ..., help="zoo model (resnet50), onnx:FILE, scalesim:FILE or a scenario YAML"
    ),
    objective: str = typer.Option("edp", "--objective", help="energy | latency | edp"),
    csv_path: str | None = typer.Option(None, "--csv", help="also write per-layer rows"),
    scenario: str | None = typer.Option(
        None, "--scenario", help="take the SoC from here (also under a scenario YAML)"
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing --csv file"),
    no_cache: bool = NO_CACHE_OPTION,
) -> None:
    """Choose every layer's dataflow and compare it with the fixed dataflows."""
    from rich.console import Console

    from soc.config import ScenarioConfig, SocConfig, WorkloadConfig
    from soc.flexnn.choice import FIXED, OBJECTIVES
    from soc.report import render_mapping
    from soc.runner import map_workload, summary_rows, write_csv

    if objective not in OBJECTIVES:
        raise typer.BadParameter(f"--objective must be one of {', '.join(OBJECTIVES)}")
    if csv_path and Path(csv_path).exists() and not overwrite:
        raise OutputError(f"{csv_path}: exists; pass --overwrite to replace it")
    if workload.endswith((".yaml", ".yml")):
        config = _load(workload)
        if scenario:  # the workload of the file on the SoC (and its masters) of --scenario
            base = _load(scenario)
            config = config.model_copy(update={"soc": base.soc, "masters": base.masters})
    else:
        base = _load(scenario) if scenario else None
        model = workload if workload.startswith(MODEL_PREFIXES) else f"zoo:{workload}"
        config = ScenarioConfig(
            name="map",
            soc=base.soc if base else SocConfig(),
            workload=WorkloadConfig(model=model),
        )
    config = _with_objective(config, objective)
    config = _cache_setting(config, no_cache)
    started = time.perf_counter()
    try:
        result = map_workload(config)
    except (WorkloadError, MappingError) as exc:
        raise _in_scenario(workload, exc) from None
    rows, totals = summary_rows(result)
    console = Console()  # piped: $COLUMNS wide, else 80
    render_mapping(rows, totals, objective, FIXED, console)
    worse = [r["layer"] for r in rows if any((v or 0) < -1e-12 for v in r["savings"].values())]
    console.print(
        f"{len(rows)} layers mapped in {time.perf_counter() - started:.1f} s\n"  # 80 columns
        f"layers where the flexible choice is worse than a fixed dataflow: {len(worse)}"
    )
    if csv_path:
        write_csv(result, Path(csv_path), overwrite=overwrite)
        console.print(f"per-layer rows: {csv_path}")


@app.command()
def schema() -> None:
    """Print the JSON schema of summary.json (docs/summary.schema.json)."""
    from soc.report import summary_json_schema

    sys.stdout.write(summary_json_schema())


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised past click so that it cannot swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> None:
    for other in (signal.SIGINT, signal.SIGTERM):  # let the clean-up finish
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


def main() -> None:
    """Console entry point: one line per error, exit code 2 for anything the user gave,
    3 for a stalled simulation (with a line per blocked process), 128 + the signal's
    number for SIGINT (130) and SIGTERM (143)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_interrupted)
    try:
        code = app(standalone_mode=False)
    except Interrupted as exc:
        name = signal.Signals(exc.signum).name
        print(f"error: interrupted by {name}; no output was written", file=sys.stderr)
        sys.exit(128 + exc.signum)
    except StallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for line in exc.blocked:
            print(f"  {line}", file=sys.stderr)
        sys.exit(STALLED)
    except FlexsocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(USER_ERROR)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(USER_ERROR)
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        sys.exit(USER_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


trace_app = typer.Typer(
    no_args_is_help=True, help="Read recorded native traces (a run folder's trace/)."
)
app.add_typer(trace_app, name="trace")


@trace_app.command("convert")
def trace_convert(
    source: str = typer.Argument(..., help="a run folder, or its trace/ folder"),
    to: str = typer.Option(..., "--to", help="jsonl: one JSON object per event, to grep"),
    out: str | None = typer.Option(None, "--out", help="the file to write (default: stdout)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing --out file"),
) -> None:
    """Write a native trace in another format, streaming (docs/trace.md)."""
    from soc.trace.native import export_jsonl

    if to != "jsonl":
        raise typer.BadParameter("--to must be jsonl")
    if out is None:
        export_jsonl(Path(source), sys.stdout)
        return

    def write(partial: Path) -> None:
        with partial.open("w", encoding="utf-8") as file:
            export_jsonl(Path(source), file)

    write_new_file(Path(out), overwrite, write)


def write_new_file(target: Path, overwrite: bool, write: Callable[[Path], None]) -> None:
    """`write` a hidden partial file beside `target`, then rename it into place: never a
    half-written file, and an existing one only replaced with `overwrite`."""
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    partial = target.with_name(f".{target.name}.partial")
    try:
        write(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


# commands kept in modules of their own register on `app` when imported
from soc.cli import (  # noqa: E402, F401
    loopnest_cmd,
    replay_cmd,
    report_cmd,
    sweep_cmd,
    trace_export,
)
