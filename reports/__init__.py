"""Reports: render graded submissions as self-contained HTML pages."""

from __future__ import annotations

from reports.html import render_index, render_report, write_index, write_report

__all__ = ["render_index", "render_report", "write_index", "write_report"]
