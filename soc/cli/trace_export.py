"""`soc trace export`: a recorded run in another tool's format."""

from __future__ import annotations

from pathlib import Path

import typer

from soc.cli.main import trace_app, write_new_file

EVENT_FORMATS = ("perfetto", "chrome")
REQUEST_FORMATS = ("dramsim3", "ramulator", "ramulator2")


@trace_app.command("export")
def trace_export(
    source: str = typer.Argument(..., help="a run folder"),
    fmt: str = typer.Option(
        ...,
        "--format",
        help="perfetto | chrome (its trace) or dramsim3 | ramulator | "
        "ramulator2 (its recorded DRAM requests)",
    ),
    out: str = typer.Option(..., "--out", help="the file to write"),
    masters: str | None = typer.Option(
        None, "--masters", help="request formats: only these masters (a,b); default all, merged"
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing --out file"),
) -> None:
    """Convert a recorded run: its native trace to Perfetto or Chrome JSON, or its
    recorded DRAM requests (run.record_requests) to a DRAMsim3 or Ramulator trace,
    in the order they reached the DRAM, times as DRAM cycles of its preset."""
    if fmt in EVENT_FORMATS:
        if masters is not None:
            raise typer.BadParameter("--masters applies to the request formats only")
        write_new_file(Path(out), overwrite, lambda partial: _events(Path(source), fmt, partial))
    elif fmt in REQUEST_FORMATS:
        chosen = None if masters is None else {m.strip() for m in masters.split(",")}
        write_new_file(
            Path(out), overwrite, lambda partial: _requests(Path(source), fmt, chosen, partial)
        )
    else:
        known = ", ".join((*EVENT_FORMATS, *REQUEST_FORMATS))
        raise typer.BadParameter(f"--format must be one of {known}")


def _events(source: Path, fmt: str, partial: Path) -> None:
    from soc.trace.chrome import ChromeTraceSink
    from soc.trace.columnar import feed
    from soc.trace.native import end_ps, read_native
    from soc.trace.perfetto import PerfettoTraceSink

    sink = PerfettoTraceSink(partial) if fmt == "perfetto" else ChromeTraceSink(partial)
    feed(sink, read_native(source), end_ps(source))


def _requests(source: Path, fmt: str, masters: set[str] | None, partial: Path) -> None:
    from soc.config.loader import load_soc
    from soc.errors import TraceFormatError
    from soc.trace.memtrace import TraceRequest, write_trace
    from soc.trace.requests import read_requests

    rows = [r for r in read_requests(source) if masters is None or r["master"] in masters]
    if masters is not None and not rows:
        raise TraceFormatError(f"{source}: no recorded requests of {', '.join(sorted(masters))}")
    rows.sort(key=lambda r: (r["arrival_ps"], r["master"], r["number"]))
    soc = load_soc(source / "config.yaml")
    requests = [
        TraceRequest(r["addr"], r["size_bytes"], r["is_write"], r["master"], r["arrival_ps"])
        for r in rows
    ]
    write_trace(requests, partial, fmt, 1e12 / soc.dram.banked.freq_hz)
