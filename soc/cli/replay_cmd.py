"""`soc replay`: re-drive a memory system with recorded request streams."""

from __future__ import annotations

from pathlib import Path

import typer

from soc.cli.main import SET_OPTION, app, run_limits


@app.command()
def replay(
    source: str = typer.Argument(
        ..., help="a run folder (recorded with run.record_requests) or a memory trace file"
    ),
    soc_file: str = typer.Option(
        ..., "--soc", help="the SoC to replay on: a scenario or a SoC block YAML"
    ),
    mode: str = typer.Option("timed", "--mode", help="timed | elastic"),
    fmt: str = typer.Option(
        "dramsim3", "--format", help="the trace's format: dramsim3 | ramulator | ramulator2"
    ),
    master: str = typer.Option("trace", "--master", help="a trace file's master name"),
    masters: str | None = typer.Option(
        None, "--masters", help="a run folder: replay only these masters (a,b)"
    ),
    request_bytes: int | None = typer.Option(
        None, "--request-bytes", help="bytes per trace line (default: the DRAM's burst)"
    ),
    cycle_ps: float | None = typer.Option(
        None, "--cycle-ps", help="DRAMsim3: ps per cycle (default: the DRAM preset's tCK)"
    ),
    out: str | None = typer.Option(None, "--out", help="run folder (default runs/replay)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a run folder of ours"),
    overrides: list[str] | None = SET_OPTION,
    max_wall: str | None = typer.Option(
        None, "--max-wall", help="stop after this much wall-clock time simulating: 90s, 10m"
    ),
    max_sim: str | None = typer.Option(
        None, "--max-sim", help="stop at this simulated time: 2 s, 500 us"
    ),
) -> None:
    """Replay recorded memory requests on an SoC's NoC, SRAM and DRAM (nothing else runs).

    A replay stopped by --max-wall or --max-sim is written all the
    same, its summary marked incomplete ("complete": false); processes
    blocked forever end with "stalled at t=...", a line per blocked
    process and exit code 3."""
    from rich.console import Console

    from soc.config.loader import load_soc
    from soc.hw.replay import MODES
    from soc.report.replay import render_replay
    from soc.report.summary import incomplete_line
    from soc.runner.replay import replay as run_replay
    from soc.runner.replay import run_source, trace_source

    if mode not in MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(MODES)}")
    if request_bytes is not None and request_bytes <= 0:
        raise typer.BadParameter("--request-bytes must be positive")
    if cycle_ps is not None and not 0 < cycle_ps < float("inf"):
        raise typer.BadParameter("--cycle-ps must be a positive number")
    limits = run_limits(max_wall, max_sim)
    soc = load_soc(Path(soc_file), overrides or ())
    if Path(source).is_dir():
        chosen = None if masters is None else [m.strip() for m in masters.split(",")]
        loaded = run_source(Path(source), chosen)
    else:
        loaded = trace_source(Path(source), fmt, soc, master, request_bytes, cycle_ps)
    out_dir = Path(out) if out else Path("runs") / "replay"
    result = run_replay(soc, loaded, mode, out_dir, overwrite=overwrite, limits=limits)
    console = Console()
    render_replay(result.summary, console)
    console.print(f"run folder: {out_dir}  ({result.wall_s:.2f} s wall)", soft_wrap=True)
    incomplete = incomplete_line(result.summary)
    if incomplete:
        console.print(incomplete, soft_wrap=True)
