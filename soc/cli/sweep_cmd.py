"""`soc sweep`: run a design-space sweep (soc.sweeps) with a progress bar."""

from __future__ import annotations

import signal
from pathlib import Path

import typer

from soc.cli.main import Interrupted, _configure_logging, app


@app.command()
def sweep(
    sweep_file: str = typer.Argument(..., help="sweep YAML file (base, axes, mode, seed, set)"),
    out: str | None = typer.Option(None, "--out", help="sweep folder (default runs/sweeps/<file>)"),
    workers: int = typer.Option(1, "--workers", help="local worker processes"),
    dask_local: int | None = typer.Option(
        None, "--dask-local", help="run on a local Dask cluster of N worker processes"
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="run on an existing Dask cluster (its scheduler's address)"
    ),
    force: bool = typer.Option(False, "--force", help="re-run points already complete"),
    csv: bool = typer.Option(False, "--csv", help="also write results.csv"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug log to stderr"),
) -> None:
    """Run every point of a sweep into run folders and results.parquet.

    Exit code 1 if a point failed (its error is in the table; the others ran).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from soc.sweeps import run_sweep

    if workers < 1:
        raise typer.BadParameter("--workers must be at least 1")
    if dask_local is not None and dask_local < 1:
        raise typer.BadParameter("--dask-local must be at least 1")
    if dask_local is not None and scheduler is not None:
        raise typer.BadParameter("give --dask-local or --scheduler, not both")
    _configure_logging(verbose)
    out_dir = Path(out) if out else Path("runs") / "sweeps" / Path(sweep_file).stem
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("points"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task("sweep", total=None, failed=0)
    counts = {"done": 0, "total": 0}

    def on_point(done: int, failed: int, total: int) -> None:
        counts.update(done=done, total=total)
        progress.start()  # at the first point, once every point is checked (no-op after)
        progress.update(task, completed=done, total=total, failed=failed)

    try:
        table = run_sweep(
            sweep_file,
            out_dir,
            workers=workers,
            dask_local=dask_local,
            scheduler=scheduler,
            force=force,
            csv=csv,
            on_point=on_point,
        )
    except Interrupted as exc:
        progress.stop()
        console.print(
            f"error: interrupted by {signal.Signals(exc.signum).name}; {counts['done']} of "
            f"{counts['total']} points finished, in {out_dir / 'results.parquet'}; the same "
            "command runs the rest",
            soft_wrap=True,
        )
        raise typer.Exit(128 + exc.signum) from None
    finally:
        progress.stop()
    statuses = table.column("status").to_pylist()
    failed = statuses.count("failed")
    reused = sum(table.column("reused").to_pylist())
    console.print(
        f"{len(statuses)} points: {len(statuses) - failed} ok ({reused} reused), {failed} failed"
        f"; results: {out_dir / 'results.parquet'}",
        soft_wrap=True,
    )
    for row in table.select(["point", "error"]).to_pylist():
        if row["error"]:
            console.print(f"point {row['point']}: {row['error']}", markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
