"""HTML reports, rendered from results built in memory (no Docker, no grading)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graders.base import Criterion, Evidence, GradeResult
from harness.result import ChallengeInfo, ResultStatus, SubmissionInfo, SubmissionResult
from reports import render_index, render_report, write_index, write_report
from reports.html import (
    MISSING,
    TEMPLATES_DIR,
    clean_text,
    environment,
    format_number,
    metric_credit,
    metric_rows,
    timing_rows,
)
from sandbox.base import PhaseResult, PhaseStatus

SCRIPT = "<script>alert(1)</script>"
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


def make_phase(name: str = "train", **overrides: Any) -> PhaseResult:
    fields: dict[str, Any] = {
        "name": name,
        "status": PhaseStatus.ok,
        "exit_code": 0,
        "wall_s": 12.345,
        "cpu_s": 10.5,
        "peak_memory_mb": 512.25,
        "output_bytes": 2048,
        "log_tail": f"{name}: done\n",
        "message": "exited normally",
    }
    fields.update(overrides)
    return PhaseResult(**fields)


def make_result(**overrides: Any) -> SubmissionResult:
    """A graded submission; keyword arguments replace top-level fields. ``submission`` and
    ``challenge`` may be given as dicts of fields to change."""
    submission = {
        "id": "a1b2c3d4e5f6",
        "kind": "git",
        "sha256": "0" * 64,
        "source": "/srv/submissions/alice",
        "label": "alice",
        "commit": "9f8e7d6c5b4a",
        "file_count": 7,
        "size_bytes": 12345,
        "notes": ["ignored 2 uncommitted changes"],
    }
    submission.update(overrides.pop("submission", {}))
    challenge = {
        "id": "churn",
        "version": "1.2.0",
        "title": "Customer churn",
        "metric": "roc_auc",
        "baseline": 0.5,
        "target": 0.85,
    }
    challenge.update(overrides.pop("challenge", {}))
    fields: dict[str, Any] = {
        "status": ResultStatus.graded,
        "message": "graded: roc_auc 0.8123 on the hidden set",
        "submission": SubmissionInfo(**submission),
        "challenge": ChallengeInfo(**challenge),
        "phases": [make_phase("train"), make_phase("predict", wall_s=3.0)],
        "grades": [
            GradeResult(
                grader="correctness",
                score=0.89,
                weight=3.0,
                summary="roc_auc 0.8123 between baseline and target",
                criteria=[
                    Criterion(
                        name="metric",
                        score=0.89,
                        evidence=[Evidence(kind="number", text="0.8123", source="roc_auc")],
                    )
                ],
            ),
            GradeResult(
                grader="writeup",
                score=0.5,
                weight=1.0,
                summary="mentions validation but not leakage",
                criteria=[
                    Criterion(
                        name="validation",
                        score=1.0,
                        evidence=[Evidence(kind="quote", text="5-fold CV", source="WRITEUP.md:12")],
                    )
                ],
                flags=["writeup is very short"],
            ),
        ],
        "metrics": {"roc_auc": 0.8123},
        "total_score": 79.25,
        "flags": ["writeup is very short"],
        "timings": {
            "load_s": 0.25,
            "batch_s": 1.5,
            "batch_rows": 3000,
            "latency_ms": {"p50": 1.1, "p95": 2.2, "p99": 3.3, "mean": 1.4, "n": 200},
        },
        "image": "worksample-runtime:abc123",
        "harness_version": "0.1.0",
        "started_at": "2024-05-01T10:00:00+00:00",
        "finished_at": "2024-05-01T10:02:00+00:00",
        "wall_s": 120.0,
        "overhead_s": 8.0,
    }
    fields.update(overrides)
    return SubmissionResult(**fields)


class TagChecker(HTMLParser):
    """Records tags, attributes and text, and whether every element closes in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.start_tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.pre_texts: list[tuple[str, bool]] = []  # (text, inside <details>)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "svg" not in self.stack:  # an inline plot's <title> is not the page's
            self.start_tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)
        if tag not in VOID_ELEMENTS or "svg" in self.stack:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "svg" not in self.stack:
            self.start_tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS and "svg" not in self.stack:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "pre":
            self.pre_texts.append((data, "details" in self.stack))


def parse(html: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    return checker


def assert_well_formed(html: str) -> TagChecker:
    checker = parse(html)
    assert checker.problems == []
    assert checker.stack == []
    for tag in ("html", "head", "body", "title", "style"):
        assert checker.start_tags.count(tag) == 1, tag
    return checker


SVG_NAMESPACES = re.compile(r'xmlns(?::\w+)?="http://www\.w3\.org/[^"]*"')


def assert_self_contained(html: str) -> None:
    """No scripts, no external loads: the only links are relative ones or in-page
    fragments (inline SVG refers to its own definitions by ``#id``)."""
    assert "<script" not in html.lower()
    checker = parse(html)
    assert not {"script", "img", "link", "iframe", "object", "embed"} & set(checker.start_tags)
    for tag, name, value in checker.attributes:
        assert name != "src", (tag, value)
        assert not name.startswith("on"), (tag, name)
        if name == "href":
            assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", value, re.IGNORECASE), value
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)
    without_namespaces = SVG_NAMESPACES.sub("", html)
    assert "http://" not in without_namespaces
    assert "https://" not in without_namespaces


# -- the report ---------------------------------------------------------------------------


SECTIONS = (
    "scorecard",
    "grades",
    "prompts",
    "criteria",
    "metrics",
    "performance",
    "timings",
    "tradeoff",
    "phases",
    "writeup",
    "flags",
    "integrity",
    "notes",
    "logs",
)


def section(html: str, name: str) -> str:
    """The text of ``<section id=name>`` up to the next top-level section."""
    start = html.index(f'<section id="{name}">')
    following = [
        html.index(f'<section id="{other}">')
        for other in SECTIONS
        if f'<section id="{other}">' in html and html.index(f'<section id="{other}">') > start
    ]
    return html[start : min(following, default=len(html))]


def test_report_shows_every_section() -> None:
    html = render_report(make_result(), reveal=True)
    positions = [html.index(f'<section id="{name}">') for name in SECTIONS]
    assert positions == sorted(positions)
    for text in (
        "Customer churn",
        "<code>churn</code> version 1.2.0",
        "alice",
        "a1b2c3d4e5f6",
        "/srv/submissions/alice",
        "9f8e7d6c5b4a",
        "79.2",
        "harness 0.1.0",
        "2024-05-01T10:02:00+00:00",
        "graded: roc_auc 0.8123 on the hidden set",
        "mentions validation but not leakage",
        "Assessor verdict",
        "5-fold CV",
        "WRITEUP.md:12",
        "writeup is very short",
        "ignored 2 uncommitted changes",
        "exited normally",
    ):
        assert text in html, text
    assert 'class="badge status-graded"' in html
    assert "Blind review" not in html


def test_blind_report_hides_identity() -> None:
    result = make_result(
        submission={"source": "/srv/submissions/alice-liddell", "label": "alice-liddell"},
        message="graded alice-liddell from alice.liddell@example.org",
    )
    html = render_report(result)
    assert "Blind review" in html
    assert "Candidate a1b2c3d4e5f6" in html
    for leak in ("alice", "liddell", "/srv/submissions", "9f8e7d6c5b4a"):
        assert leak not in html.lower(), leak
    assert "graded [redacted] from [redacted]" in html
    assert "alice-liddell" in render_report(result, reveal=True)


def test_report_is_well_formed_and_self_contained() -> None:
    html = render_report(make_result())
    assert html.startswith("<!DOCTYPE html>")
    assert_well_formed(html)
    assert_self_contained(html)


def test_metrics_show_thresholds_and_credit() -> None:
    html = render_report(
        make_result(
            metrics={
                "roc_auc": 0.8123,
                "roc_auc_ci_low": 0.79,
                "roc_auc_ci_high": 0.83,
                "latency_p95_ms": 12.0,
            }
        )
    )
    metrics = section(html, "metrics")
    assert "0.8123" in metrics
    assert "0.7900 to 0.8300" in metrics  # 95% interval
    assert "0.5000" in metrics  # baseline
    assert "0.8500" in metrics  # target
    assert "0.89" in metrics  # (0.8123 - 0.5) / 0.35
    assert "latency_p95_ms" not in metrics  # latency has its own section


def test_thresholds_and_credit_come_from_the_grader_and_slices_follow() -> None:
    correctness = GradeResult(
        grader="correctness",
        score=0.25,
        weight=1,
        details={
            "metric": "roc_auc",
            "value": 0.6,
            "baseline": 0.5,
            "target": 0.9,
            "credit": 0.25,
            "slices": {"drifted": {"value": 0.7, "ci_low": 0.6, "ci_high": 0.8, "rows": 100}},
        },
    )
    result = make_result(
        grades=[correctness], metrics={"roc_auc": 0.6, "roc_auc[drifted]": 0.7, "p95_ms": 2.0}
    )
    rows = {row.name: row for row in metric_rows(result)}
    assert list(rows) == ["roc_auc", "roc_auc[drifted]"]
    assert (rows["roc_auc"].baseline, rows["roc_auc"].target) == (0.5, 0.9)
    assert rows["roc_auc"].credit == 0.25
    assert (rows["roc_auc[drifted]"].low, rows["roc_auc[drifted]"].high) == (0.6, 0.8)
    assert rows["roc_auc[drifted]"].credit == pytest.approx(0.5)


def test_grades_show_score_weight_criteria_and_flags() -> None:
    html = render_report(make_result())
    grades = section(html, "grades")
    assert "<code>correctness</code>" in grades
    assert "0.89" in grades and "3.00" in grades
    assert "<li>writeup is very short</li>" in grades
    criteria = section(html, "criteria")
    assert '<span class="criterion">validation</span>' in criteria
    assert "machine score 1.00" in criteria
    assert "<q>5-fold CV</q>" in criteria
    assert criteria.count('<div class="verdict">') == 2  # one box per criterion


def test_grader_that_failed_is_marked() -> None:
    broken = GradeResult(grader="style", score=0, weight=1, status="error", summary="grader raised")
    html = render_report(make_result(grades=[broken]))
    assert '<span class="badge grade-error">error</span>' in html


def test_phase_figures_and_truncation() -> None:
    phase = make_phase(
        "train",
        status=PhaseStatus.output_limit,
        exit_code=None,
        output_bytes=1_000_000,
        output_truncated=True,
        oom_kills=2,
        message="output passed the 1000000 byte cap",
    )
    html = render_report(make_result(status=ResultStatus.failed, phases=[phase]))
    phases = section(html, "phases")
    assert 'class="badge phase-output_limit"' in phases
    assert "12.35" in phases  # wall s
    assert "10.50" in phases  # cpu s
    assert "512.2" in phases  # peak MB
    assert "1,000,000" in phases
    assert "(truncated)" in phases
    assert "output passed the 1000000 byte cap" in phases


def test_log_tails_are_collapsible_and_failed_phases_open() -> None:
    phases = [
        make_phase("train", log_tail="epoch 3 loss 0.12"),
        make_phase("predict", status=PhaseStatus.error, exit_code=1, log_tail="ValueError: shape"),
    ]
    html = render_report(make_result(status=ResultStatus.failed, phases=phases))
    checker = assert_well_formed(html)
    pre_texts = dict(checker.pre_texts)
    assert pre_texts["epoch 3 loss 0.12"] is True
    assert pre_texts["ValueError: shape"] is True
    assert "<details>\n<summary>train: log tail</summary>" in html
    assert "<details open>\n<summary>predict: log tail</summary>" in html


def test_none_values_render_as_dash() -> None:
    phase = make_phase(
        "predict", status=PhaseStatus.timeout, exit_code=None, cpu_s=None, peak_memory_mb=None
    )
    html = render_report(
        make_result(
            status=ResultStatus.failed,
            metrics={"roc_auc": None},
            phases=[phase],
            submission={"commit": None},
        )
    )
    assert f'<td class="num">{MISSING}</td>' in html
    phases = section(html, "phases")
    assert phases.count(f'<td class="num">{MISSING}</td>') == 3  # exit code, cpu s, peak memory
    metrics = section(html, "metrics")
    assert metrics.count(f'<td class="num">{MISSING}</td>') == 3  # value, interval and credit
    assert "None" not in html
    revealed = render_report(make_result(submission={"commit": None}, phases=[phase]), reveal=True)
    assert f'<th scope="row">Commit</th><td>{MISSING}</td>' in revealed


@pytest.mark.parametrize(
    ("status", "css_class"),
    [
        (ResultStatus.graded, "status-graded"),
        (ResultStatus.failed, "status-failed"),
        (ResultStatus.rejected, "status-rejected"),
        (ResultStatus.unsupported, "status-unsupported"),
        (ResultStatus.harness_error, "status-harness_error"),
    ],
)
def test_status_badge(status: ResultStatus, css_class: str) -> None:
    html = render_report(make_result(status=status))
    assert f'<span class="badge {css_class}">{status.value}</span>' in html


def test_badge_colours() -> None:
    css = render_report(make_result())
    colours = {
        "graded": "#dafbe1",
        "failed": "#fff8c5",
        "rejected": "#eaeef2",
        "harness_error": "#ffebe9",
    }
    for status, background in colours.items():
        rule = next(line for line in css.splitlines() if f".status-{status}" in line)
        block = css[css.index(rule) :].split("}", 1)[0]
        assert background in block, status


def test_harness_error_shows_the_traceback() -> None:
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "harness/pipeline.py", line 9\n'
        "RuntimeError: engine <gone>"
    )
    html = render_report(
        make_result(
            status=ResultStatus.harness_error,
            message="the harness failed",
            phases=[],
            grades=[],
            metrics={},
            timings={},
            total_score=0,
            error=traceback,
        )
    )
    section = html[html.index('<section id="harness-error">') :]
    assert "<details open>" in section
    assert "RuntimeError: engine &lt;gone&gt;" in section
    checker = assert_well_formed(html)
    assert any("RuntimeError" in text and inside for text, inside in checker.pre_texts)
    assert "No phase ran." in html
    assert "No grades." in html
    assert "No timings recorded." in html


def test_no_error_section_without_an_error() -> None:
    assert "harness-error" not in render_report(make_result())


def test_candidate_text_is_escaped() -> None:
    result = make_result(
        status=ResultStatus.failed,
        message=f"predict failed: {SCRIPT}",
        submission={
            "label": SCRIPT,
            "source": f'/tmp/"><img src=x onerror=alert(1)>{SCRIPT}',
            "notes": [SCRIPT],
            "commit": SCRIPT,
        },
        phases=[
            make_phase("train", log_tail=f"{SCRIPT}\n</pre></details><script>x()</script>"),
            make_phase(
                SCRIPT, status=PhaseStatus.error, exit_code=1, log_tail=SCRIPT, message=SCRIPT
            ),
        ],
        grades=[
            GradeResult(
                grader=SCRIPT,
                score=0.5,
                weight=1,
                status=f'"><{SCRIPT}',
                summary=SCRIPT,
                criteria=[
                    Criterion(
                        name=SCRIPT,
                        score=0.5,
                        evidence=[Evidence(kind=SCRIPT, text=SCRIPT, source=SCRIPT)],
                    )
                ],
                flags=[SCRIPT],
            )
        ],
        metrics={SCRIPT: 1.0, "roc_auc": 0.7},
        flags=[SCRIPT],
        timings={"load_s": SCRIPT, SCRIPT: 1, "latency_ms": {"p50": SCRIPT}},
        image=SCRIPT,
        error=SCRIPT,
    )
    for reveal in (False, True):
        html = render_report(result, statement_title=SCRIPT, reveal=reveal)
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert_well_formed(html)
        assert_self_contained(html)
    index = render_index([result], title=SCRIPT)
    assert "<script" not in index.lower()
    assert_well_formed(index)


def test_control_characters_and_terminal_escapes_are_neutralised() -> None:
    tail = "\x1b[31mred\x1b[0m\r\n50%\r100%\x00\x07 \u202eevil\udcff"
    html = render_report(make_result(phases=[make_phase("train", log_tail=tail)]))
    assert "\x1b" not in html and "\x00" not in html and "\x07" not in html
    assert "\u202e" not in html and "\udcff" not in html
    assert "red\n50%\n100%\ufffd\ufffd \ufffdevil\ufffd" in html


def test_statement_title_replaces_the_challenge_title() -> None:
    html = render_report(make_result(), statement_title="Predict who churns")
    assert "<h1>Predict who churns</h1>" in html
    assert "(Customer churn)" in html
    assert "<h1>Customer churn</h1>" in render_report(make_result())


def test_rendering_is_deterministic() -> None:
    assert render_report(make_result()) == render_report(make_result())


# -- timings ------------------------------------------------------------------------------


def test_timings_computed_from_batch_figures() -> None:
    html = render_report(make_result())
    timings = section(html, "timings")
    for text in (
        "0.250 s",
        "1.500 s for 3,000 rows",
        "2,000 rows/s",
        'p50</th><td class="num">1.10 ms',
        'p95</th><td class="num">2.20 ms',
        'p99</th><td class="num">3.30 ms',
        'mean</th><td class="num">1.40 ms',
        'Latency samples</th><td class="num">200',
    ):
        assert text in timings, text


def test_timings_as_the_predict_driver_writes_them() -> None:
    driver_timings = {
        "import_s": 0.4,
        "load_s": 0.25,
        "batch_s": 1.5,
        "batch_rows": 3000,
        "throughput_rows_per_s": 1999.6,
        "latency_ms": {"n": 3, "p50": 1.0, "p95": 2.0, "p99": 3.0, "mean": 1.5, "max": 9.0},
        "latency_samples_ms": [1.0, 2.0, 9.0],
    }
    rows = {row.name: row.value for row in timing_rows(driver_timings)}
    assert rows == {
        "Import of the predict module": "0.400 s",
        "Model load": "0.250 s",
        "Batch prediction": "1.500 s for 3,000 rows",
        "Throughput": "2,000 rows/s",
        "Single-row latency p50": "1.00 ms",
        "Single-row latency p95": "2.00 ms",
        "Single-row latency p99": "3.00 ms",
        "Single-row latency mean": "1.50 ms",
        "Single-row latency max": "9.00 ms",
        "Latency samples": "3",
    }


def test_partial_and_malformed_timings() -> None:
    rows = timing_rows({"latency_ms": {"p95": 4.0, "p99": "slow", "n": True}, "batch_s": 0})
    assert [(row.name, row.value) for row in rows] == [
        ("Batch prediction", "0.000 s"),
        ("Single-row latency p95", "4.00 ms"),
    ]
    assert timing_rows({"latency_ms": [1, 2], "load_s": float("nan")}) == []
    assert timing_rows({}) == []
    html = render_report(make_result(timings={"load_s": "fast"}))
    assert "No timings recorded." in html


# -- helpers ------------------------------------------------------------------------------


def test_format_number() -> None:
    assert format_number(None) == MISSING
    assert format_number(1234567) == "1,234,567"
    assert format_number(0.123456, 4) == "0.1235"
    assert format_number(float("nan")) == "NaN"
    assert format_number(True) == "true"


def test_metric_credit() -> None:
    assert metric_credit(0.675, 0.5, 0.85) == pytest.approx(0.5)
    assert metric_credit(0.3, 0.5, 0.85) == 0.0
    assert metric_credit(0.99, 0.5, 0.85) == 1.0
    assert metric_credit(15.0, 20.0, 10.0) == pytest.approx(0.5)  # lower is better (rmse)
    assert metric_credit(None, 0.5, 0.85) is None
    assert metric_credit(float("nan"), 0.5, 0.85) is None


def test_clean_text_keeps_tabs_and_newlines() -> None:
    assert clean_text("a\tb\nc") == "a\tb\nc"
    assert clean_text(None) == ""


def test_autoescape_is_on_for_every_template() -> None:
    env = environment()
    names = sorted(path.name for path in TEMPLATES_DIR.glob("*.j2"))
    assert {"_layout.html.j2", "index.html.j2", "report.html.j2"} <= set(names)
    for name in names:
        autoescape = env.autoescape
        assert autoescape is True or (callable(autoescape) and autoescape(name)), name


# -- the index ----------------------------------------------------------------------------


def make_batch() -> list[SubmissionResult]:
    return [
        make_result(
            submission={"id": "low", "label": "bob"}, total_score=10.0, metrics={"roc_auc": 0.55}
        ),
        make_result(submission={"id": "high", "label": "alice"}, total_score=95.5),
        make_result(
            submission={"id": "broken", "label": "carol"},
            status=ResultStatus.failed,
            total_score=0.0,
            metrics={"roc_auc": None},
            phases=[make_phase("train", status=PhaseStatus.timeout, exit_code=None)],
        ),
        make_result(
            submission={"id": "crash", "label": "dave"},
            status=ResultStatus.harness_error,
            total_score=0.0,
            phases=[],
            error="Traceback ...",
        ),
    ]


def test_index_sorted_by_score_with_links_and_counts() -> None:
    html = render_index(make_batch(), title="Customer churn: submissions")
    assert_well_formed(html)
    assert_self_contained(html)
    hrefs = [
        value
        for tag, name, value in parse(html).attributes
        if tag == "a" and name == "href" and not value.startswith("#")
    ]
    assert hrefs == [
        "high/report.html",
        "low/report.html",
        "broken/report.html",
        "crash/report.html",
    ]
    assert "<h1>Customer churn: submissions</h1>" in html
    assert "<strong>4</strong> submissions" in html
    assert '<span class="badge status-graded">graded</span> 2' in html
    assert '<span class="badge status-failed">failed</span> 1' in html
    assert '<span class="badge status-harness_error">harness_error</span> 1' in html
    assert "badge status-rejected" not in html
    assert "<code>roc_auc</code> (95% interval)</th>" in html
    assert "0.5500" in html and "95.5" in html
    assert '<span class="badge phase-timeout">train: timeout</span>' in html
    assert "predict: ok" not in html  # only phases that went wrong are named
    for label in ("alice", "bob", "carol", "dave"):  # blind by default
        assert label not in html
    assert "Candidate high" in html


def test_index_of_nothing() -> None:
    html = render_index([], title="Empty")
    assert "No submissions." in html
    assert "<strong>0</strong> submissions" in html
    assert_well_formed(html)


def test_index_with_mixed_metrics_names_each() -> None:
    results = [
        make_result(),
        make_result(challenge={"id": "prices", "metric": "rmse"}, metrics={"rmse": 3.0}),
    ]
    html = render_index(results, title="Mixed")
    assert "<code>rmse</code> 3.0000" in html
    assert "<code>roc_auc</code> 0.8123" in html


# -- writing ------------------------------------------------------------------------------


def test_write_report_and_index(tmp_path: Path) -> None:
    results = make_batch()
    for result in results:
        write_report(result, tmp_path / result.submission.id / "report.html")
    write_index(results, tmp_path / "index.html")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<h1>Customer churn: submissions</h1>" in index
    for tag, name, value in parse(index).attributes:
        if tag == "a" and name == "href" and not value.startswith("#"):
            assert (tmp_path / value).is_file(), value
    leftovers = [path for path in tmp_path.rglob("*") if path.name.startswith(".")]
    assert leftovers == []


def test_write_report_survives_undecodable_output(tmp_path: Path) -> None:
    result = make_result(phases=[make_phase("train", log_tail="bad byte \udcff here")])
    write_report(result, tmp_path / "report.html")
    assert "bad byte \ufffd here" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_pages_are_valid_html5() -> None:
    import html5lib

    results = make_batch()
    for html in (
        *(render_report(result) for result in results),
        render_report(results[0], reveal=True),
        render_index(results, title="Batch"),
    ):
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(html)  # raises html5lib.html5parser.ParseError on the first error


def test_a_report_that_cannot_render_leaves_the_result_and_a_plain_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import html5lib

    from reports import html as reports_html

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template exploded for alice@example.com")

    monkeypatch.setattr(reports_html, "render_report", broken)
    result = make_result()
    reports_html.write_single_report(result, tmp_path)
    page = (tmp_path / result.submission.id / "report.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(page)
    assert "could not be rendered" in page and "RuntimeError" in page
    assert "alice" not in page  # nothing from the error text, which may quote a candidate
    reports_html.write_all(tmp_path, [result])
    assert "could not be rendered" in (tmp_path / result.submission.id / "report.html").read_text()


def test_budget_table_says_when_latency_was_judged_on_undisturbed_calls() -> None:
    outcome = {"budget": 50.0, "ratio": 0.1, "score": 1.0, "weight": 1.0, "unit": "ms"}
    performance = GradeResult(
        grader="performance",
        score=1.0,
        weight=1.0,
        summary="2 of 2 budgets met",
        details={
            "results": {
                "latency_p95_ms": {
                    **outcome,
                    "measured": 5.0,
                    "basis": "undisturbed calls",
                    "all_calls": 61.5,
                },
                "latency_p50_ms": {**outcome, "measured": 4.0, "basis": "all calls"},
            }
        },
    )
    html = render_report(make_result(grades=[performance]))
    budgets = html[html.index("<h3>Budgets</h3>") :]
    budgets = budgets[: budgets.index("</table>")]
    rows = budgets.split("<tr>")[2:]
    assert "calls that did not wait for a CPU; all calls 61.5" in rows[0]
    assert "did not wait" not in rows[1]


def test_the_latency_tile_names_the_judged_figure_when_it_differs() -> None:
    busy = make_result()
    busy.metrics.update(
        latency_p95_ms=12.0, latency_undisturbed_p95_ms=5.0, latency_undisturbed_calls=150.0
    )
    html = section(render_report(busy), "scorecard")
    assert "5.00 ms over the 150 calls that did not wait for a CPU" in html
    quiet = make_result()
    quiet.metrics.update(
        latency_p95_ms=5.0, latency_undisturbed_p95_ms=5.02, latency_undisturbed_calls=190.0
    )
    assert "did not wait" not in section(render_report(quiet), "scorecard")
