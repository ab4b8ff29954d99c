"""Self-contained HTML reports: one page per submission and a cohort report per batch.

The pages are single files with inline CSS and inline SVG plots, no JavaScript and no
external resources, so they can be mailed, archived and printed as they are, and a
debrief can be run from them alone. Everything that comes from a candidate (labels, log
tails, messages, notes, evidence) is escaped by Jinja's autoescaping; the only markup
passed through is the plots (``reports.plots`` strips anything executable) and the
notebook fragment ``reports.notebook`` sanitises.

Blind review is the default: see ``reports.blind``. A report is rendered against its
cohort (``reports.cohort``); :func:`write_all` renders a whole output directory.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe

from challenges.loader import Challenge
from graders.base import Evidence
from harness.fsutil import atomic_write_text
from harness.result import ResultStatus, SubmissionResult
from reports.blind import Redactor
from reports.cohort import Cohort, Member, writeup_details
from reports.plots import PlotCache, latency_plot
from sandbox.base import PhaseResult

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REPORT_TEMPLATE = "report.html.j2"
INDEX_TEMPLATE = "index.html.j2"
REPORT_FILE = "report.html"
INDEX_FILE = "index.html"
DEBRIEF_FILE = "debrief.html"
"""Written by the review workflow (``reports.debrief``); linked when present."""
SIMILARITY_FILE = "similarity.json"
RESULT_JSON = "result.json"
PLOT_CACHE_DIR = ".report-cache"
WRITERS = 8
"""Threads that write rendered reports (the time goes into fsync, not the CPU)."""
NOTEBOOKS_DIR = "notebooks"
"""Where grading keeps a submission's notebooks, next to its report."""
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


# -- the report's sections ----------------------------------------------------------------


@dataclass(frozen=True)
class CriterionCard:
    """A criterion as the assessor judges it: the machine's score and evidence, and a box
    for the assessor's own verdict."""

    grader: str
    name: str
    title: str
    score: float
    evidence: list[Evidence]
    keywords: list[str]


@dataclass(frozen=True)
class PhaseUsage:
    phase: PhaseResult
    wall_limit_s: float | None
    memory_limit_mb: float | None
    cpus: float | None

    @property
    def memory_share(self) -> float | None:
        if self.memory_limit_mb and self.phase.peak_memory_mb is not None:
            return min(1.0, self.phase.peak_memory_mb / self.memory_limit_mb)
        return None

    @property
    def wall_share(self) -> float | None:
        if self.wall_limit_s:
            return min(1.0, self.phase.wall_s / self.wall_limit_s)
        return None


@dataclass(frozen=True)
class LogView:
    name: str
    status: str
    text: str
    shown_lines: int
    total_lines: int
    output_truncated: bool


@dataclass(frozen=True)
class NotebookView:
    name: str
    html: markupsafe.Markup | None
    problem: str | None


LOG_LINES = 200
LOG_CHARACTERS = 20_000


def criterion_cards(result: SubmissionResult, titles: Mapping[str, str]) -> list[CriterionCard]:
    """Every grader's criteria, in the challenge's grader order; writeup criteria carry the
    rubric's titles and the keywords that were found, to highlight in the quotes."""
    cards = []
    for grade in result.grades:
        keywords: dict[str, list[str]] = {}
        for item in grade.details.get("rubric") or []:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                found = item.get("keywords")
                keywords[item["name"]] = [str(word) for word in found or [] if str(word).strip()]
        for criterion in grade.criteria:
            title = titles.get(criterion.name, criterion.name) if grade.grader == "writeup" else ""
            cards.append(
                CriterionCard(
                    grade.grader,
                    criterion.name,
                    title if title != criterion.name else "",
                    criterion.score,
                    list(criterion.evidence),
                    keywords.get(criterion.name, []),
                )
            )
    return cards


def grouped(cards: list[CriterionCard]) -> list[tuple[str, list[CriterionCard]]]:
    """Cards by grader, graders in the order the challenge lists them."""
    groups: dict[str, list[CriterionCard]] = {}
    for card in cards:
        groups.setdefault(card.grader, []).append(card)
    return list(groups.items())


def phase_usage(result: SubmissionResult, challenge: Challenge | None) -> list[PhaseUsage]:
    """Each phase's resources beside the challenge's limits for it (when known)."""
    rows = []
    for phase in result.phases:
        limits = None
        if challenge is not None:
            kind = phase.name.removeprefix("repeat-")
            limits = getattr(challenge.spec.limits, kind, None)
        rows.append(
            PhaseUsage(
                phase,
                _real(getattr(limits, "wall_time_s", None)),
                _real(getattr(limits, "memory_mb", None)),
                _real(getattr(limits, "cpus", None)),
            )
        )
    return rows


def log_views(result: SubmissionResult) -> list[LogView]:
    """Each phase's log tail cut to its last ``LOG_LINES`` lines and ``LOG_CHARACTERS``."""
    views = []
    for phase in result.phases:
        text = clean_text(phase.log_tail)
        lines = text.splitlines()
        kept = lines[-LOG_LINES:]
        shown = "\n".join(kept)
        if len(shown) > LOG_CHARACTERS:
            shown = shown[-LOG_CHARACTERS:]
            kept = shown.splitlines()
        views.append(
            LogView(
                phase.name, phase.status.value, shown, len(kept), len(lines), phase.output_truncated
            )
        )
    return views


def notebook_views(
    directory: Path | None, redactor: Redactor | None
) -> tuple[list[NotebookView], str]:
    """The submission's notebooks (``<id>/notebooks/*.ipynb``) rendered by
    ``reports.notebook.render_notebook`` when that module is installed, and the CSS its
    fragments use (empty when nothing was rendered)."""
    if directory is None:
        return [], ""
    paths = sorted((directory / NOTEBOOKS_DIR).glob("*.ipynb"))
    if not paths:
        return [], ""
    try:
        module = importlib.import_module("reports.notebook")
        render_notebook = module.render_notebook
    except (ImportError, AttributeError):
        problem = "notebook rendering is not available in this installation"
        names = [redactor.text(path.name) if redactor else path.name for path in paths]
        return [NotebookView(name, None, problem) for name in names], ""
    views = []
    for path in paths:
        name = redactor.text(path.name) if redactor is not None else path.name
        try:
            fragment = str(render_notebook(path))
        except Exception as error:  # a hostile notebook must not stop the report
            problem = f"could not be rendered: {error}"
            views.append(NotebookView(name, None, redactor.text(problem) if redactor else problem))
            continue
        fragment = _SCRIPT_ELEMENT.sub("", fragment)
        if redactor is not None:
            fragment = redactor.html(fragment)
        views.append(NotebookView(name, markupsafe.Markup(fragment), None))
    rendered = any(view.html is not None for view in views)
    return views, str(getattr(module, "NOTEBOOK_CSS", "")) if rendered else ""


_SCRIPT_ELEMENT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.DOTALL | re.IGNORECASE)


def writeup_tables(
    result: SubmissionResult,
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The writeup grader's data problems and claimed-versus-measured checks."""
    details = writeup_details(result)
    problems = details.get("data_problems")
    claims = details.get("claims")
    return (
        [item for item in problems if isinstance(item, Mapping)]
        if isinstance(problems, list)
        else [],
        [item for item in claims if isinstance(item, Mapping)] if isinstance(claims, list) else [],
    )


MAX_PROMPTS = 12


def debrief_prompts(
    result: SubmissionResult, titles: Mapping[str, str], rows: list[MetricRow]
) -> list[str]:
    """Points to raise in the debrief, from the evidence: red flags, writeup criteria the
    machine found weak, data problems the writeup does not name, slices below baseline."""
    prompts = [clean_text(flag) for flag in result.flags if not flag.startswith("integrity:")]
    prompts += [
        f"Integrity: {clean_text(flag.removeprefix('integrity:').strip())}"
        for flag in result.flags
        if flag.startswith("integrity:")
    ]
    for grade in result.grades:
        if grade.grader != "writeup" or grade.status != "ok":
            continue
        for criterion in grade.criteria:
            if criterion.score < 0.5 and not criterion.name.startswith("llm:"):
                title = titles.get(criterion.name, criterion.name)
                prompts.append(
                    f"{title}: the writeup says little (machine score {criterion.score:.2f}); "
                    "ask how they thought about it"
                )
    problems, _claims = writeup_tables(result)
    missed = [
        str(problem.get("label") or problem.get("kind"))
        for problem in problems
        if problem.get("noticed") is not True and not problem.get("hidden_only")
    ]
    if missed:
        prompts.append(f"Data problems the writeup does not name: {', '.join(missed)}")
    metric = result.challenge.metric
    for row in rows:
        if row.name != metric and row.credit is not None and row.credit <= 0:
            prompts.append(
                f"Weak on {row.name} ({format_number(row.value, 4)} against a baseline of "
                f"{format_number(row.baseline, 4)}): ask what they would change for it"
            )
    return prompts[:MAX_PROMPTS]


def judged_latency(result: SubmissionResult) -> tuple[float, float] | None:
    """The undisturbed p95 and its call count when the performance grader's rule judges
    it and it differs from the all-calls p95 by more than 2% (worth a line of its own)."""
    from graders.performance import MIN_UNDISTURBED_CALLS

    metrics = result.metrics
    judged, calls = (
        metrics.get("latency_undisturbed_p95_ms"),
        metrics.get("latency_undisturbed_calls"),
    )
    every = metrics.get("latency_p95_ms")
    if judged is None or calls is None or every is None or calls < MIN_UNDISTURBED_CALLS:
        return None
    return (judged, calls) if abs(judged - every) > 0.02 * every else None


def budget_rows(result: SubmissionResult) -> list[tuple[str, Mapping[str, Any]]]:
    for grade in result.grades:
        outcomes = grade.details.get("results") if grade.grader == "performance" else None
        if isinstance(outcomes, Mapping):
            return [
                (str(name), item) for name, item in outcomes.items() if isinstance(item, Mapping)
            ]
    return []


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def position(value: float | None, scale: tuple[float, float] | None) -> float | None:
    """Where ``value`` falls on ``scale``, in percent (for the CSS interval bars)."""
    if value is None or scale is None:
        return None
    low, high = scale
    return round(100.0 * min(1.0, max(0.0, (value - low) / (high - low))), 2)


VERDICT_BOX = markupsafe.Markup(
    '<div class="verdict">\n<div class="choices"><strong>Assessor verdict</strong> '
    '<span><span class="box"></span>agree</span> <span><span class="box"></span>disagree</span> '
    '<span><span class="box"></span>discuss in debrief</span> <span>score: ______</span></div>\n'
    '<span class="line"></span>\n<span class="line"></span>\n</div>'
)
"""Where the assessor writes a verdict on a criterion; printable (empty boxes and lines)."""


def meter(share: float | None) -> markupsafe.Markup:
    """A bar filled to ``share`` (0..1); the number beside it carries the value, so the bar
    is decoration for screen readers."""
    number = _real(share)
    if number is None:
        return markupsafe.Markup("")
    width = round(100.0 * min(1.0, max(0.0, number)), 1)
    return markupsafe.Markup(
        f'<span class="meter" aria-hidden="true"><span style="width: {width}%"></span></span>'
    )


def interval_bar(
    value: float | None,
    low: float | None,
    high: float | None,
    scale: tuple[float, float] | None,
    baseline: float | None = None,
    target: float | None = None,
) -> markupsafe.Markup:
    """A value (circle) with its interval (bracket) on ``scale``, and the baseline (dashed)
    and target (solid) lines; the figures are printed beside it."""
    point = position(_real(value), scale)
    if point is None or scale is None:
        return markupsafe.Markup("")
    parts = ['<span class="interval" aria-hidden="true">']
    for kind, mark in (("mark", baseline), ("mark target", target)):
        where = position(_real(mark), scale)
        if where is not None:
            parts.append(f'<span class="{kind}" style="left: {where}%"></span>')
    start, end = position(_real(low), scale), position(_real(high), scale)
    if start is not None and end is not None:
        width = max(end - start, 0.5)
        parts.append(f'<span class="range" style="left: {start}%; width: {width:.2f}%"></span>')
    parts.append(f'<span class="point" style="left: {point}%"></span></span>')
    return markupsafe.Markup("".join(parts))


def highlight(text: object, terms: list[str]) -> markupsafe.Markup:
    """``text`` escaped, with each of ``terms`` (case-insensitive) wrapped in ``<mark>``."""
    value = clean_text(text)
    words = sorted({term for term in terms if len(term) >= 2}, key=len, reverse=True)
    if not words:
        return markupsafe.escape(value)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for found in pattern.finditer(value):
        pieces.append(str(markupsafe.escape(value[last : found.start()])))
        pieces.append(f"<mark>{markupsafe.escape(found.group(0))}</mark>")
        last = found.end()
    pieces.append(str(markupsafe.escape(value[last:])))
    return markupsafe.Markup("".join(pieces))


# One stylesheet for every page, inlined into each. Static text: the only string the
# templates receive as Markup (so that CSS selectors such as ``>`` stay unescaped).
STYLESHEET = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 76rem; padding: 1.5rem; color: #1f2328; background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { margin: 0.1rem 0 0.5rem; font-size: 1.6rem; line-height: 1.25; }
h2 { margin: 2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid #d0d7de;
  font-size: 1.2rem; }
h3 { margin: 1.2rem 0 0.4rem; font-size: 1.02rem; }
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
.scroll { overflow-x: auto; }
table.leaderboard { font-size: 0.86rem; }
table.leaderboard th, table.leaderboard td { padding: 0.3rem 0.4rem; }
table.leaderboard thead th { white-space: normal; }
th, td { padding: 0.35rem 0.6rem; border-bottom: 1px solid #d0d7de; text-align: left;
  vertical-align: top; }
thead th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.meta { width: auto; }
table.meta th { color: #57606a; font-weight: 500; }
table.meta th, table.meta td { border: 0; padding: 0.1rem 1rem 0.1rem 0; }
td p { margin: 0 0 0.3rem; }
ul { margin: 0.2rem 0; padding-left: 1.2rem; }
nav.toc { margin: 0.8rem 0 0; font-size: 0.9rem; }
nav.toc a { margin-right: 0.8rem; white-space: nowrap; }
a { color: #0550ae; }
.status-line { display: flex; align-items: baseline; gap: 1rem; margin: 0.4rem 0 0.8rem; }
.score { font-size: 1.3rem; }
.message { font-size: 1.05rem; }
.empty { color: #57606a; font-style: italic; }
.note { color: #57606a; font-size: 0.9rem; }
.criterion { font-weight: 600; }
.evidence { color: #424a53; font-size: 0.92em; }
.evidence-kind { color: #57606a; font-variant: small-caps; }
.truncated { color: #9a6700; }
.counts { display: flex; flex-wrap: wrap; gap: 0.6rem; padding: 0; list-style: none; }
summary { cursor: pointer; color: #424a53; }
mark { background: #fff8c5; color: inherit; padding: 0 0.1em; border-bottom: 2px solid #d4a72c; }
q { font-style: italic; }
.badge { display: inline-block; padding: 0.05rem 0.55rem; border: 1px solid; border-radius: 999px;
  font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.status-graded, .phase-ok { color: #116329; background: #dafbe1; border-color: #4ac26b; }
.status-failed, .phase-error, .phase-timeout, .phase-oom, .phase-output_limit, .grade-other {
  color: #7d4e00; background: #fff8c5; border-color: #d4a72c; }
.status-rejected, .status-unsupported {
  color: #424a53; background: #eaeef2; border-color: #afb8c1; }
.status-harness_error, .phase-sandbox_error, .grade-error {
  color: #a40e26; background: #ffebe9; border-color: #ff8182; }
.tag { color: #424a53; background: #eaeef2; border-color: #afb8c1; }
.verdict-yes { color: #116329; font-weight: 600; white-space: nowrap; }
.verdict-no { color: #a40e26; font-weight: 600; white-space: nowrap; }
.scorecard { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: 0.6rem; margin: 0.6rem 0; }
.tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5rem 0.7rem; }
.tile .label { color: #57606a; font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.04em; }
.tile .value { font-size: 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .sub { color: #57606a; font-size: 0.85rem; }
.meter { position: relative; display: inline-block; width: 7rem; height: 0.7rem;
  border: 1px solid #8c959f; border-radius: 2px; background: #fff; vertical-align: middle; }
.meter > span { position: absolute; top: 0; bottom: 0; left: 0; background: #8fb8de;
  print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.interval { position: relative; display: inline-block; width: 8rem; height: 1rem;
  vertical-align: middle; border-bottom: 1px solid #d0d7de; }
.interval .range { position: absolute; top: 0.45rem; height: 0.1rem; background: #1f2328; }
.interval .range::before, .interval .range::after { content: ""; position: absolute;
  top: -0.3rem; height: 0.7rem; border-left: 1px solid #1f2328; }
.interval .range::before { left: 0; }
.interval .range::after { right: 0; }
.interval .point { position: absolute; top: 0.2rem; width: 0.6rem; height: 0.6rem;
  margin-left: -0.3rem; border: 2px solid #1f2328; border-radius: 50%; background: #fff; }
.interval .mark { position: absolute; top: 0; bottom: 0; border-left: 1px dashed #57606a; }
.interval .mark.target { border-left-style: solid; }
.cards { display: grid; gap: 0.7rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6rem 0.8rem;
  break-inside: avoid; }
.card h4 { margin: 0 0 0.3rem; font-size: 0.98rem; }
.card .machine { color: #424a53; font-size: 0.9rem; }
.verdict { margin-top: 0.5rem; padding: 0.4rem 0.6rem; border: 1.5px solid #1f2328;
  border-radius: 4px; font-size: 0.88rem; }
.verdict .choices { display: flex; flex-wrap: wrap; gap: 1.2rem; }
.verdict .box { display: inline-block; width: 0.9rem; height: 0.9rem; margin-right: 0.3rem;
  border: 1.5px solid #1f2328; vertical-align: -0.15rem; }
.verdict .line { display: block; height: 1.6rem; border-bottom: 1px solid #8c959f; }
.figure { margin: 0.6rem 0; }
.figure figcaption { color: #57606a; font-size: 0.88rem; margin-top: 0.2rem; }
svg.plot { display: block; width: 100%; max-width: 60rem; height: auto; }
svg.plot * { stroke-linejoin: round; stroke-linecap: butt; }
.notebook { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6rem 0.8rem;
  overflow: auto; }
.blind-note { padding: 0.4rem 0.7rem; border-left: 4px solid #8c959f; background: #f6f8fa;
  font-size: 0.9rem; }
footer { margin-top: 2.5rem; padding-top: 0.6rem; border-top: 1px solid #d0d7de; color: #57606a;
  font-size: 0.85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.toc { display: none; }
  .scroll { overflow: visible; }
  /* A page has no horizontal scrolling: the leaderboard shrinks to the page width. */
  table.leaderboard { font-size: 7pt; width: 100%; }
  table.leaderboard th, table.leaderboard td { padding: 0.15rem 0.2rem; }
  table.leaderboard th.num { white-space: normal; }
  table.leaderboard .badge, table.leaderboard .note { font-size: 6.5pt; }
  pre { max-height: none; overflow: visible; }
  tr, li, .tile, figure { break-inside: avoid; }
  details::details-content { content-visibility: visible; display: block; }
  h2, h3 { break-after: avoid; }
  .badge, mark { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 1.5cm; }
"""


# -- rendering ------------------------------------------------------------------------------


@cache
def environment() -> jinja2.Environment:
    """The template environment, built once. Autoescaping is on for every template
    whatever its file name (``select_autoescape`` would match ``.html`` but not
    ``.html.j2``), and an undefined name is an error rather than an empty string."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["number"] = format_number
    env.filters["text"] = clean_text
    env.filters["highlight"] = highlight
    env.filters["ordinal"] = ordinal
    env.globals["meter"] = meter
    env.globals["interval_bar"] = interval_bar
    env.globals["verdict_box"] = VERDICT_BOX
    env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    return env


def _member(result: SubmissionResult, cohort: Cohort | None, reveal: bool) -> tuple[Cohort, Member]:
    if cohort is None or result.submission.id not in cohort.by_id:
        cohort = Cohort([result], reveal=reveal)
    return cohort, cohort.by_id[result.submission.id]


def render_report(
    result: SubmissionResult,
    statement_title: str | None = None,
    *,
    cohort: Cohort | None = None,
    reveal: bool = False,
) -> str:
    """The HTML report of one submission.

    Args:
        result: The graded submission.
        statement_title: Title of the challenge statement, shown instead of the
            challenge's own title when given.
        cohort: The results it is compared with (and the challenge, the output directory
            and blind or revealed names); without one the report stands alone.
        reveal: Show who made the submission (only without a cohort, which decides it
            otherwise). Blind review, the default, shows the submission id instead.
    """
    cohort, member = _member(result, cohort, reveal)
    shown = member.shown
    challenge = cohort.challenge
    budget = challenge.spec.budgets.latency_p95_ms if challenge is not None else None
    samples = result.timings.get("latency_samples_ms")
    latency_svg = (
        latency_plot(samples, budget, cohort.plot_cache) if isinstance(samples, list) else None
    )
    tradeoff_svg = cohort.tradeoff_for(member)
    problems, claims = writeup_tables(shown)
    rows = metric_rows(shown)
    notebooks, notebook_css = notebook_views(member.directory, member.redactor)
    debrief = cohort.out_dir is not None and (cohort.out_dir / DEBRIEF_FILE).is_file()
    template = environment().get_template(REPORT_TEMPLATE)
    return template.render(
        stylesheet=markupsafe.Markup(STYLESHEET + notebook_css),
        result=shown,
        member=member,
        cohort=cohort,
        blind=member.redactor is not None,
        title=clean_text(statement_title) if statement_title else shown.challenge.title,
        metrics=rows,
        metric_scale=_row_scale(rows),
        prompts=debrief_prompts(shown, cohort.rubric_titles, rows),
        slice_descriptions=cohort.slice_descriptions(),
        timings=timing_rows(shown.timings),
        costs=cost_rows(shown),
        budgets=budget_rows(shown),
        judged_latency=judged_latency(shown),
        cards=grouped(criterion_cards(shown, cohort.rubric_titles)),
        usage=phase_usage(shown, challenge),
        logs=log_views(shown),
        problems=problems,
        claims=claims,
        notebooks=notebooks,
        latency_svg=markupsafe.Markup(latency_svg) if latency_svg else None,
        tradeoff_svg=markupsafe.Markup(tradeoff_svg) if tradeoff_svg else None,
        fronts=cohort.front_position(member),
        index_href="../index.html" if cohort.out_dir is not None else None,
        debrief_href=f"../{DEBRIEF_FILE}" if debrief else None,
    )


def _row_scale(rows: list[MetricRow]) -> tuple[float, float] | None:
    values = [
        value
        for row in rows
        for value in (row.value, row.low, row.high, row.baseline, row.target)
        if value is not None
    ]
    if not values:
        return None
    low, high = min(values), max(values)
    if high <= low:
        return low - 0.5, high + 0.5
    margin = (high - low) * 0.04
    return low - margin, high + margin


def render_index(
    results: list[SubmissionResult],
    title: str,
    similar_pairs: list[dict[str, Any]] | None = None,
    *,
    cohort: Cohort | None = None,
    reveal: bool = False,
) -> str:
    """The cohort report of a batch: the leaderboard with intervals, score distributions,
    the tradeoff plot for everyone, per-criterion statistics (which data problems each
    candidate named), the most similar pairs (``harness.integrity.similar_pairs``) and a
    link to every ``<id>/report.html``."""
    if cohort is None:
        cohort = Cohort(results, reveal=reveal)
    template = environment().get_template(INDEX_TEMPLATE)
    pairs = []
    for pair in similar_pairs or []:
        first, second = pair.get("first"), pair.get("second")
        if not isinstance(first, Mapping) or not isinstance(second, Mapping):
            continue
        pairs.append(
            {
                "first": _pair_side(first, cohort),
                "second": _pair_side(second, cohort),
                "code": _real(pair.get("code")),
                "writeup": _real(pair.get("writeup")),
            }
        )
    debrief = cohort.out_dir is not None and (cohort.out_dir / DEBRIEF_FILE).is_file()
    tradeoff = cohort.tradeoff
    return template.render(
        stylesheet=markupsafe.Markup(STYLESHEET),
        title=title,
        cohort=cohort,
        members=cohort.members,
        blind=not cohort.reveal,
        counts=status_counts(list(cohort.results)),
        total=len(cohort.members),
        metric_name=cohort.metric_name,
        scale=cohort.metric_scale(),
        graders=_grader_names(cohort),
        distribution_svg=markupsafe.Markup(cohort.distribution) if cohort.distribution else None,
        tradeoff_svg=markupsafe.Markup(tradeoff.svg) if tradeoff else None,
        tradeoff_omitted=tradeoff.omitted if tradeoff else 0,
        criterion_stats=cohort.criterion_stats,
        problem_stats=cohort.problem_stats,
        reference=cohort.reference(),
        similar_pairs=pairs,
        debrief_href=DEBRIEF_FILE if debrief else None,
    )


def _pair_side(side: Mapping[str, Any], cohort: Cohort) -> dict[str, str]:
    identifier = str(side.get("id", ""))
    member = cohort.by_id.get(identifier)
    if member is not None:
        return {"id": identifier, "name": member.name, "href": report_href(member.result)}
    # Not in this cohort (another challenge's result): never show its label in blind review.
    name = clean_text(side.get("label", identifier)) if cohort.reveal else f"Candidate {identifier}"
    return {"id": identifier, "name": name, "href": f"{quote(identifier, safe='')}/{REPORT_FILE}"}


def _grader_names(cohort: Cohort) -> list[str]:
    names: list[str] = []
    for member in cohort.members:
        for grade in member.result.grades:
            if grade.grader not in names:
                names.append(grade.grader)
    return names


def default_index_title(results: list[SubmissionResult]) -> str:
    """``<challenge title>: submissions`` for a single-challenge batch, else ``Submissions``."""
    titles = {result.challenge.title for result in results}
    return f"{titles.pop()}: submissions" if len(titles) == 1 else "Submissions"


def write_report(
    result: SubmissionResult,
    path: Path,
    statement_title: str | None = None,
    *,
    cohort: Cohort | None = None,
    reveal: bool = False,
) -> None:
    """Render the report of ``result`` and write it to ``path`` atomically."""
    atomic_write_text(path, render_report(result, statement_title, cohort=cohort, reveal=reveal))


def write_index(
    results: list[SubmissionResult],
    path: Path,
    title: str | None = None,
    similar_pairs: list[dict[str, Any]] | None = None,
    *,
    cohort: Cohort | None = None,
    reveal: bool = False,
) -> None:
    """Render the batch index and write it to ``path`` atomically; reports are expected
    at ``<id>/report.html`` next to it."""
    atomic_write_text(
        path,
        render_index(
            results,
            title or default_index_title(results),
            similar_pairs,
            cohort=cohort,
            reveal=reveal,
        ),
    )


def write_all(
    out_dir: Path,
    results: list[SubmissionResult],
    challenge: Challenge | None = None,
    similar_pairs: list[dict[str, Any]] | None = None,
    title: str | None = None,
    reveal: bool = False,
) -> Cohort:
    """(Re-)render every report of ``results`` against each other, and the index.

    Each challenge's results form their own cohort (the tradeoff plot compares like with
    like); the index lists everyone. Plots are cached under ``<out>/.report-cache/``.
    """
    cache = PlotCache(out_dir / PLOT_CACHE_DIR)
    groups: dict[str, list[SubmissionResult]] = {}
    for result in results:
        groups.setdefault(result.challenge.id, []).append(result)
    cohorts = []
    for challenge_id, group in groups.items():
        known = challenge if challenge is not None and challenge.id == challenge_id else None
        cohort = Cohort(group, known, reveal, out_dir, cache)
        cohorts.append(cohort)
        # Rendering is CPU work and runs here; writing waits on the disk (each file is
        # synced), so the writes overlap in a few threads.
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="report-writer") as pool:
            pending = [
                pool.submit(
                    atomic_write_text,
                    out_dir / member.id / REPORT_FILE,
                    _rendered_or_fallback(member.result, cohort),
                )
                for member in cohort.members
            ]
            for future in pending:
                future.result()
    whole = cohorts[0] if len(cohorts) == 1 else Cohort(results, None, reveal, out_dir, cache)
    atomic_write_text(
        out_dir / INDEX_FILE,
        render_index(results, title or default_index_title(results), similar_pairs, cohort=whole),
    )
    return whole


def fallback_report(result: SubmissionResult, error: BaseException) -> str:
    """A minimal page for a result whose report could not be rendered: the grading stands
    (``result.json`` is complete), the rendering problem is named. Blind: the id, status
    and scores only, no text that could come from the candidate."""
    escape = markupsafe.escape
    rows = "".join(
        f"<tr><td>{escape(grade.grader)}</td><td>{grade.score:.2f}</td></tr>"
        for grade in result.grades
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>Submission {escape(result.submission.id)}</title>"
        f"<style>{STYLESHEET}</style></head><body><main>"
        f"<h1>Submission {escape(result.submission.id)}: {escape(result.status.value)}, "
        f"{result.total_score:.1f} / 100</h1>"
        "<p>The full report could not be rendered; the grading itself is complete in "
        "<code>result.json</code> (run <code>harness report</code> on the output directory to "
        f"try again). Rendering failed with <code>{escape(type(error).__name__)}</code>.</p>"
        f"<table><thead><tr><th>Grader</th><th>Score</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></main></body></html>\n"
    )


def _rendered_or_fallback(result: SubmissionResult, cohort: Cohort) -> str:
    try:
        return render_report(result, cohort=cohort)
    except Exception as error:  # one broken report must not stop the cohort's
        return fallback_report(result, error)


def write_single_report(
    result: SubmissionResult, out_dir: Path, challenge: Challenge | None = None
) -> None:
    """Write ``<out>/<id>/report.html`` for ``result`` alone (blind), as soon as it is
    graded; :func:`write_all` renders it again with its cohort when the batch ends. Its
    plots go to the directory's cache, so that re-render does not draw them again."""
    path = out_dir / result.submission.id / REPORT_FILE
    try:
        cohort = Cohort([result], challenge, False, out_dir, PlotCache(out_dir / PLOT_CACHE_DIR))
        page = render_report(result, cohort=cohort)
    except Exception as error:  # a report must never cost the result it describes
        page = fallback_report(result, error)
    atomic_write_text(path, page)


def load_directory(out_dir: Path) -> list[SubmissionResult]:
    """Every readable ``<out>/*/result.json`` (unreadable ones are left out)."""
    results = []
    for path in sorted(out_dir.glob(f"*/{RESULT_JSON}")):
        try:
            results.append(SubmissionResult.model_validate_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return results


def render_directory(
    out_dir: Path,
    reveal: bool = False,
    challenges_path: list[Path] | None = None,
    challenge: Challenge | None = None,
) -> list[SubmissionResult]:
    """Render every report of an output directory again, and its index, from the
    ``result.json`` files there (``harness report``). The challenge is loaded for the
    reference solution, rubric titles and limits when it can be; without it the pages
    still render. Returns the results rendered.

    Raises:
        HarnessError: ``out_dir`` holds no result.
    """
    from harness.errors import HarnessError

    results = load_directory(out_dir)
    if not results:
        raise HarnessError(
            f"{out_dir} holds no result.json to render",
            hint="Pass the --out directory of `harness grade` or `harness demo`.",
        )
    identifiers = {result.challenge.id for result in results}
    if challenge is None and len(identifiers) == 1:
        challenge = _try_load_challenge(identifiers.pop(), challenges_path)
    titles = {result.challenge.title for result in results}
    title = f"{titles.pop()}: grading results" if len(titles) == 1 else "Grading results"
    write_all(out_dir, results, challenge, read_similar_pairs(out_dir), title, reveal)
    return results


def _try_load_challenge(identifier: str, challenges_path: list[Path] | None) -> Challenge | None:
    from challenges.loader import load_challenge
    from harness.errors import HarnessError

    try:
        return load_challenge(identifier, challenges_path)
    except HarnessError:
        return None


def read_similar_pairs(out_dir: Path) -> list[dict[str, Any]]:
    """The pairs ``similarity.json`` lists, or [] when it is missing or unreadable."""
    try:
        loaded = json.loads((out_dir / SIMILARITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    pairs = loaded.get("pairs") if isinstance(loaded, dict) else None
    return [pair for pair in pairs if isinstance(pair, dict)] if isinstance(pairs, list) else []


@dataclass(frozen=True)
class LandingEntry:
    """One challenge on the demo's front page."""

    id: str
    title: str
    role: str
    metric: str
    count: int
    best: float | None
    href: str


def landing_entry(challenge_id: str, results: list[SubmissionResult], role: str) -> LandingEntry:
    """The front-page line of a challenge graded into ``<out>/<challenge_id>/``."""
    first = results[0].challenge if results else None
    return LandingEntry(
        id=challenge_id,
        title=first.title if first else challenge_id,
        role=role,
        metric=first.metric if first else "",
        count=len(results),
        best=max((result.total_score for result in results), default=None),
        href=f"{challenge_id}/{INDEX_FILE}",
    )


def write_landing(path: Path, entries: list[LandingEntry], title: str) -> None:
    """Write the front page linking each challenge's cohort report, atomically."""
    page = (
        environment()
        .get_template("landing.html.j2")
        .render(title=title, entries=entries, stylesheet=markupsafe.Markup(STYLESHEET))
    )
    atomic_write_text(path, page)
