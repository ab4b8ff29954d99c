"""Self-contained HTML reports: one page per submission and an index per batch.

The pages are single files with inline CSS, no JavaScript and no external
resources, so they can be mailed, archived and printed as they are. Everything
that comes from a candidate (labels, log tails, messages, notes, evidence) is
escaped by Jinja's autoescaping; templates never mark such text ``|safe``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe

from harness.fsutil import atomic_write_text
from harness.result import ResultStatus, SubmissionResult

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REPORT_TEMPLATE = "report.html.j2"
INDEX_TEMPLATE = "index.html.j2"
REPORT_FILE = "report.html"
MISSING = "\u2014"  # em dash, shown for values that are absent

# Terminal escape sequences (colours, cursor moves) that progress bars leave in logs.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
# Control characters that HTML cannot carry, and bidirectional overrides that could make
# candidate text display differently from what it is ("trojan source").
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def clean_text(value: object) -> str:
    """Text safe to display: terminal escapes removed, carriage returns made newlines,
    other control and bidi-override characters shown as U+FFFD. Escaping for HTML is
    left to the template engine."""
    text = "" if value is None else str(value)
    text = _ANSI_ESCAPE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNPRINTABLE.sub("\ufffd", text)


def _real(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def format_number(value: object, digits: int = 2) -> str:
    """A number with ``digits`` decimals and thousands separators; None is an em dash,
    non-finite values are spelled out, anything else is shown as text."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "\u221e" if value > 0 else "\u2212\u221e"
        return f"{value:,.{digits}f}"
    return clean_text(value)


def metric_credit(value: float | None, baseline: float, target: float) -> float | None:
    """Credit 0..1 for a metric value: 0 at ``baseline``, 1 at ``target``, linear between
    and clamped. Works for lower-is-better metrics (``target < baseline``) too. This is
    the mapping challenge.yaml documents for ``thresholds``."""
    number = _real(value)
    if number is None or baseline == target:
        return None
    return min(1.0, max(0.0, (number - baseline) / (target - baseline)))


@dataclass(frozen=True)
class MetricRow:
    name: str
    value: float | None
    baseline: float | None
    target: float | None
    credit: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TimingRow:
    name: str
    value: str


@dataclass(frozen=True)
class IndexRow:
    result: SubmissionResult
    href: str
    metric_value: float | None


def _grader_figures(result: SubmissionResult, metric: str) -> Mapping[str, Any]:
    """The ``details`` of the grade that computed ``metric`` (graders report it as
    ``details["metric"]``, with ``baseline``, ``target`` and ``credit`` beside it)."""
    for grade in result.grades:
        if grade.details.get("metric") == metric:
            return grade.details
    return {}


def metric_rows(result: SubmissionResult) -> list[MetricRow]:
    """The challenge's metric, then its value on each hidden slice, with 95% intervals.
    Thresholds and credit are the grader's figures when it reported them, else the
    challenge's thresholds and the same linear mapping. Other measurements (latency,
    resources, cost) have their own sections."""
    challenge = result.challenge
    metric = challenge.metric
    names = [metric, *sorted(name for name in result.metrics if name.startswith(f"{metric}["))]
    figures = _grader_figures(result, metric)  # slices are judged by the same thresholds
    slices = figures.get("slices")
    slices = slices if isinstance(slices, dict) else {}
    rows = []
    for name in names:
        value = result.metrics.get(name)
        baseline, target = _real(figures.get("baseline")), _real(figures.get("target"))
        baseline = challenge.baseline if baseline is None else baseline
        target = challenge.target if target is None else target
        credit = _real(figures.get("credit")) if name == metric else None
        if credit is None:
            credit = metric_credit(value, baseline, target)
        if name == metric:
            low, high = (
                _real(result.metrics.get(f"{metric}_ci_low")),
                _real(result.metrics.get(f"{metric}_ci_high")),
            )
        else:
            interval = slices.get(name[len(metric) + 1 : -1], {})
            interval = interval if isinstance(interval, dict) else {}
            low, high = _real(interval.get("ci_low")), _real(interval.get("ci_high"))
        rows.append(MetricRow(name, value, baseline, target, credit, low, high))
    return rows


COST_ROWS = (
    ("Training run", "training_cost_usd"),
    ("A million single-record predictions", "cost_per_million_predictions_usd"),
)


def cost_rows(result: SubmissionResult) -> list[TimingRow]:
    """Costs under the challenge's cost model, when they could be measured."""
    rows = []
    for label, key in COST_ROWS:
        value = _real(result.metrics.get(key))
        if value is not None:
            rows.append(TimingRow(label, f"${value:.6f}" if value < 0.01 else f"${value:,.4f}"))
    return rows


def timing_rows(timings: Mapping[str, Any]) -> list[TimingRow]:
    """Rows for the figures the predict driver reported (``import_s``, ``load_s``,
    ``batch_s``, ``batch_rows``, ``throughput_rows_per_s``, ``latency_ms``), skipping any
    that are missing or not numbers: the driver runs next to candidate code, so nothing
    about the file's shape is assumed."""
    rows: list[TimingRow] = []

    def seconds(label: str, key: str) -> None:
        number = _real(timings.get(key))
        if number is not None:
            rows.append(TimingRow(label, f"{format_number(number, 3)} s"))

    seconds("Import of the predict module", "import_s")
    seconds("Model load", "load_s")
    batch_s = _real(timings.get("batch_s"))
    batch_rows = _real(timings.get("batch_rows"))
    if batch_s is not None:
        rows_text = f" for {format_number(int(batch_rows))} rows" if batch_rows is not None else ""
        rows.append(TimingRow("Batch prediction", f"{format_number(batch_s, 3)} s{rows_text}"))
    elif batch_rows is not None:
        rows.append(TimingRow("Batch rows", format_number(int(batch_rows))))
    throughput = _real(timings.get("throughput_rows_per_s"))
    if throughput is None and batch_s and batch_rows is not None:
        throughput = batch_rows / batch_s
    if throughput is not None:
        rows.append(TimingRow("Throughput", f"{format_number(throughput, 0)} rows/s"))
    latency = timings.get("latency_ms")
    if isinstance(latency, Mapping):
        for key in ("p50", "p95", "p99", "mean", "max"):
            number = _real(latency.get(key))
            if number is not None:
                rows.append(TimingRow(f"Single-row latency {key}", f"{format_number(number)} ms"))
        samples = _real(latency.get("n"))
        if samples is not None:
            rows.append(TimingRow("Latency samples", format_number(int(samples))))
    cpu = timings.get("latency_cpu_ms")
    if isinstance(cpu, Mapping):
        for key in ("p50", "p95"):
            number = _real(cpu.get(key))
            if number is not None:
                rows.append(TimingRow(f"Single-row CPU time {key}", f"{format_number(number)} ms"))
    load = _real(timings.get("host_load_average"))
    if load is not None and load >= 0:
        rows.append(TimingRow("Host load average while timing", format_number(load, 2)))
    return rows


def status_counts(results: list[SubmissionResult]) -> list[tuple[str, int]]:
    """(status, count) for each status present, in the order ResultStatus lists them."""
    counts = Counter(result.status for result in results)
    return [(status.value, counts[status]) for status in ResultStatus if counts[status]]


def report_href(result: SubmissionResult) -> str:
    """Relative link from a batch index to a submission's report."""
    return f"{quote(result.submission.id, safe='')}/{REPORT_FILE}"


def index_rows(results: list[SubmissionResult]) -> list[IndexRow]:
    """Submissions by total score, best first; ties by label, then id, so order is stable."""
    ordered = sorted(results, key=lambda r: (-r.total_score, r.submission.label, r.submission.id))
    return [
        IndexRow(result, report_href(result), result.metrics.get(result.challenge.metric))
        for result in ordered
    ]


# One stylesheet for both pages, inlined into each. Static text: the only string the
# templates receive as Markup (so that CSS selectors such as ``>`` stay unescaped).
STYLESHEET = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1f2328; background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { margin: 0.1rem 0 0.5rem; font-size: 1.6rem; line-height: 1.25; }
h2 { margin: 2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid #d0d7de;
  font-size: 1.2rem; }
.kicker { margin: 0; color: #57606a; font-size: 0.85rem; text-transform: uppercase;
  letter-spacing: 0.05em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 0.85em; }
.wrap { overflow-wrap: anywhere; }
pre { margin: 0.4rem 0 0; padding: 0.6rem 0.8rem; max-height: 32rem; overflow: auto;
  background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; margin: 0.4rem 0; }
table.narrow { width: auto; min-width: 24rem; }
th, td { padding: 0.35rem 0.6rem; border-bottom: 1px solid #d0d7de; text-align: left;
  vertical-align: top; }
thead th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.meta { width: auto; }
table.meta th { color: #57606a; font-weight: 500; }
table.meta th, table.meta td { border: 0; padding: 0.1rem 1rem 0.1rem 0; }
tr.phase td { border-bottom: 0; }
tr.log td { padding-top: 0; }
td p { margin: 0 0 0.3rem; }
ul { margin: 0.2rem 0; padding-left: 1.2rem; }
.status-line { display: flex; align-items: baseline; gap: 1rem; margin: 0.4rem 0 0.8rem; }
.score { font-size: 1.3rem; }
.message { font-size: 1.05rem; }
.empty { color: #57606a; font-style: italic; }
.criterion { font-weight: 600; }
.evidence { color: #424a53; font-size: 0.92em; }
.evidence-kind { color: #57606a; font-variant: small-caps; }
.truncated { color: #9a6700; }
.counts { display: flex; flex-wrap: wrap; gap: 0.6rem; padding: 0; list-style: none; }
summary { cursor: pointer; color: #424a53; }
.badge { display: inline-block; padding: 0.05rem 0.55rem; border: 1px solid; border-radius: 999px;
  font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.status-graded, .phase-ok { color: #116329; background: #dafbe1; border-color: #4ac26b; }
.status-failed, .phase-error, .phase-timeout, .phase-oom, .phase-output_limit, .grade-other {
  color: #7d4e00; background: #fff8c5; border-color: #d4a72c; }
.status-rejected, .status-unsupported {
  color: #424a53; background: #eaeef2; border-color: #afb8c1; }
.status-harness_error, .phase-sandbox_error, .grade-error {
  color: #a40e26; background: #ffebe9; border-color: #ff8182; }
footer { margin-top: 2.5rem; padding-top: 0.6rem; border-top: 1px solid #d0d7de; color: #57606a;
  font-size: 0.85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  pre { max-height: none; overflow: visible; }
  tr, li { break-inside: avoid; }
  details::details-content { content-visibility: visible; display: block; }
  h2 { break-after: avoid; }
  .badge { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
@page { margin: 1.5cm; }
"""


@cache
@functools.cache
def environment() -> jinja2.Environment:
    """The template environment. Autoescaping is on for every template whatever its file
    name (``select_autoescape`` would match ``.html`` but not ``.html.j2``), and an
    undefined name is an error rather than an empty string."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = format_number
    env.filters["text"] = clean_text
    env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    return env


def render_report(result: SubmissionResult, statement_title: str | None = None) -> str:
    """The HTML report of one submission.

    Args:
        result: The graded submission.
        statement_title: Title of the challenge statement, shown instead of the
            challenge's own title when given.
    """
    template = environment().get_template(REPORT_TEMPLATE)
    return template.render(
        stylesheet=markupsafe.Markup(STYLESHEET),
        result=result,
        title=statement_title or result.challenge.title,
        metrics=metric_rows(result),
        timings=timing_rows(result.timings),
        costs=cost_rows(result),
    )


def render_index(
    results: list[SubmissionResult], title: str, similar_pairs: list[dict[str, Any]] | None = None
) -> str:
    """The HTML overview of a batch: one row per submission, linking ``<id>/report.html``,
    and the most similar pairs of the cohort (``harness.integrity.similar_pairs``)."""
    template = environment().get_template(INDEX_TEMPLATE)
    metric_names = sorted({result.challenge.metric for result in results})
    return template.render(
        stylesheet=markupsafe.Markup(STYLESHEET),
        title=title,
        rows=index_rows(results),
        counts=status_counts(results),
        total=len(results),
        metric_name=metric_names[0] if len(metric_names) == 1 else None,
        similar_pairs=similar_pairs or [],
    )


def default_index_title(results: list[SubmissionResult]) -> str:
    """``<challenge title>: submissions`` for a single-challenge batch, else ``Submissions``."""
    titles = {result.challenge.title for result in results}
    return f"{titles.pop()}: submissions" if len(titles) == 1 else "Submissions"


def write_report(result: SubmissionResult, path: Path, statement_title: str | None = None) -> None:
    """Render the report of ``result`` and write it to ``path`` atomically."""
    atomic_write_text(path, render_report(result, statement_title))


def write_index(
    results: list[SubmissionResult],
    path: Path,
    title: str | None = None,
    similar_pairs: list[dict[str, Any]] | None = None,
) -> None:
    """Render the batch index and write it to ``path`` atomically; reports are expected
    at ``<id>/report.html`` next to it."""
    atomic_write_text(
        path, render_index(results, title or default_index_title(results), similar_pairs)
    )
