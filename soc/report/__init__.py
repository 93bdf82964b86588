"""Reports from run results: the rich summary tables, CSV rows and the summary's schema.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.report.export import layer_records, write_layers_csv
    from soc.report.mapping import render_mapping
    from soc.report.schema import Summary, summary_json_schema
    from soc.report.summary import render_summary

_WHERE = {
    "layer_records": "soc.report.export",
    "render_mapping": "soc.report.mapping",
    "render_summary": "soc.report.summary",
    "Summary": "soc.report.schema",
    "summary_json_schema": "soc.report.schema",
    "write_layers_csv": "soc.report.export",
}

__all__ = [
    "Summary",
    "layer_records",
    "render_mapping",
    "render_summary",
    "summary_json_schema",
    "write_layers_csv",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
