"""The debrief page: what assessors said about each candidate, next to the machine's scores.

``<out>/debrief.html`` is one self-contained file (inline CSS, no JavaScript, no external
resources), written by ``harness review summary``. It is blind unless asked otherwise:
candidates appear by submission id, not by label or source path. Assessors' notes and
everything from candidates is escaped by Jinja's autoescaping.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

from harness.fsutil import atomic_write_text
from harness.review import OVERALL, Debrief
from reports.html import clean_text

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEBRIEF_TEMPLATE = "debrief.html.j2"
DEBRIEF_FILE = "debrief.html"
MISSING = "\u2014"


def _number(value: object, digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING
    if not math.isfinite(float(value)):
        return MISSING
    return f"{float(value):.{digits}f}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # the template is .html.j2, which select_autoescape would miss
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["text"] = clean_text
    return env


def render_debrief(debrief: Debrief, reveal: bool = False) -> str:
    """The debrief as HTML; candidate labels only with ``reveal``."""
    template = _environment().get_template(DEBRIEF_TEMPLATE)
    return template.render(
        debrief=debrief,
        reveal=reveal,
        overall=OVERALL,
        missing=MISSING,
    )


def write_debrief(debrief: Debrief, path: Path, reveal: bool = False) -> Path:
    """Render and write the debrief atomically."""
    atomic_write_text(path, render_debrief(debrief, reveal))
    return path
