"""Reports from run results: the rich summary tables."""

from soc.report.mapping import render_mapping
from soc.report.summary import render_summary

__all__ = ["render_mapping", "render_summary"]
