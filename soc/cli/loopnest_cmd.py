"""`soc timeloop` and `soc sparseloop`: a Timeloop or Sparseloop design's counts, as
those tools define them, from the files their users already have."""

from __future__ import annotations

import typer

from soc.cli.main import app

TIMELOOP_FILES = typer.Argument(
    ..., help="Timeloop v0.4 YAML: arch, problem and mapping (or one input file)"
)
SPARSELOOP_FILES = typer.Argument(
    ..., help="Sparseloop YAML: arch (with sparse_optimizations), problem, map.yaml"
)


@app.command()
def timeloop(files: list[str] = TIMELOOP_FILES) -> None:
    """Print a Timeloop design's counts per level and tensor (reads, fills, updates)."""
    from soc.flexnn.timeloop import main

    raise typer.Exit(main(files))


@app.command()
def sparseloop(
    files: list[str] = SPARSELOOP_FILES,
    flexnn: bool = typer.Option(
        False, "--flexnn", help="also refuse what the FlexNN engine cannot do"
    ),
) -> None:
    """Print a Sparseloop design's actual, gated and skipped counts and cycles."""
    from soc.flexnn.sparseloop import main

    raise typer.Exit(main([*files, *(["--flexnn"] if flexnn else [])]))
