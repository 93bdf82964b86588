"""`soc report`: one self-contained HTML report on run folders or a sweep folder."""

from __future__ import annotations

from pathlib import Path

import typer

from soc.cli.main import app, write_new_file
from soc.errors import OutputError

REPORT_NAME = "report.html"
FOLDERS = typer.Argument(..., help="a run folder, several, or a sweep folder")


@app.command()
def report(
    folders: list[str] = FOLDERS,
    out: str | None = typer.Option(
        None, "--out", help=f"the HTML file (default: {REPORT_NAME} in the one folder given)"
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="replace an earlier report (never another file)"
    ),
) -> None:
    """Write one offline HTML report of runs or a sweep.

    A run's tables and plots, runs side by side, or a sweep's metrics against its
    parameters and its energy-latency Pareto front.
    """
    from rich.console import Console

    from soc.report.build import build_report
    from soc.report.html import is_our_report

    paths = [Path(f) for f in folders]
    if out is None and len(paths) > 1:
        raise OutputError("soc report: several folders need --out FILE.html")
    target = Path(out) if out else paths[0] / REPORT_NAME
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; --out names the HTML file")
    if target.exists() and overwrite and not is_our_report(target):
        raise OutputError(f"{target}: exists and is not a report of ours; not replaced")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    text = build_report(paths)  # before any file is written: bad input writes nothing
    write_new_file(target, overwrite, lambda partial: partial.write_text(text, "utf-8"))
    size = target.stat().st_size
    Console().print(f"report: {target}  ({size / 1024:,.0f} KiB)", soft_wrap=True)
