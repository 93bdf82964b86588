"""`soc report`'s document: one HTML page for a run folder, several run folders, or a
sweep folder (`soc.report.run_data.folder_kind` tells them apart)."""

from __future__ import annotations

from pathlib import Path

from soc.errors import OutputError
from soc.report.html import Document, paragraph
from soc.report.run_data import folder_kind
from soc.report.run_report import comparison_sections, load_runs, run_sections
from soc.report.sweep_report import sweep_sections


def build_report(folders: list[Path]) -> str:
    """The HTML text of the report on `folders`: one sweep, or one or more runs. Raises
    OutputError (one line) on a missing folder, one that is neither, or a sweep mixed
    with other folders."""
    if not folders:
        raise OutputError("soc report: name a run folder, several, or a sweep folder")
    kinds = [folder_kind(folder) for folder in folders]
    if "sweep" in kinds:
        if len(folders) > 1:
            sweep = folders[kinds.index("sweep")]
            raise OutputError(f"{sweep}: a sweep folder is reported alone, not with others")
        doc = Document(f"Sweep {folders[0].resolve().name}", f"sweep folder: {folders[0]}")
        sweep_sections(doc, folders[0])
        return doc.render()
    runs = load_runs(folders)
    if len(runs) == 1:
        doc = Document(f"Run {runs[0].label}", f"run folder: {folders[0]}")
        run_sections(doc, runs[0])
        return doc.render()
    doc = Document(f"{len(runs)} runs compared", "run folders: " + ", ".join(map(str, folders)))
    comparison_sections(doc, runs)
    for run in runs:
        doc.add(f"Run {run.label}", paragraph(f"run folder: {run.folder}"))
        run_sections(doc, run, level=3)
    return doc.render()
