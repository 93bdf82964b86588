"""Reports from run results: the rich summary tables, CSV rows and the summary's schema."""

from soc.report.export import layer_records, write_layers_csv
from soc.report.mapping import render_mapping
from soc.report.schema import Summary, summary_json_schema
from soc.report.summary import render_summary

__all__ = [
    "Summary",
    "layer_records",
    "render_mapping",
    "render_summary",
    "summary_json_schema",
    "write_layers_csv",
]
