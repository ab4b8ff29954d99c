"""The cohort: ranks, the challenge's examples, statistics, notebooks, whole-directory
rendering and its speed (200 candidates)."""

from __future__ import annotations

import random
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import reports.plots
from challenges.loader import Challenge
from graders.base import Criterion, GradeResult
from harness.result import SubmissionResult
from reports.cohort import Cohort
from reports.html import (
    DEBRIEF_FILE,
    PLOT_CACHE_DIR,
    render_directory,
    render_index,
    render_report,
    write_all,
)
from tests.reports.test_html import make_result


def writeup_grade(noticed: dict[str, bool], rubric_score: float = 0.8) -> GradeResult:
    return GradeResult(
        grader="writeup",
        score=rubric_score,
        weight=1.0,
        criteria=[Criterion(name="evaluation", score=rubric_score)],
        details={
            "rubric": [
                {"name": "evaluation", "title": "Evaluation method", "keywords": ["holdout"]}
            ],
            "data_problems": [
                {
                    "kind": kind,
                    "label": kind.replace("_", " "),
                    "noticed": seen,
                    "evidence": "leaky column" if seen else "",
                    "source": "WRITEUP.md:3" if seen else None,
                    "columns": ["cancellation_ticket_open"],
                    "hidden_only": kind == "drift",
                }
                for kind, seen in noticed.items()
            ],
            "claims": [
                {
                    "quantity": "roc_auc",
                    "text": "AUC 0.95",
                    "claimed": 0.95,
                    "measured": 0.81,
                    "verdict": "over-claim",
                    "line": 7,
                    "quote": "we reached AUC 0.95 on holdout",
                    "tolerance": "±0.03",
                }
            ],
        },
    )


def candidate(identifier: str, score: float, metric: float, **extra: Any) -> SubmissionResult:
    return make_result(
        submission={
            "id": identifier,
            "label": f"person-{identifier}",
            "source": f"/srv/{identifier}",
        },
        total_score=score,
        metrics={
            "roc_auc": metric,
            "roc_auc_ci_low": metric - 0.02,
            "roc_auc_ci_high": metric + 0.02,
            "latency_p95_ms": 5.0 + score / 10,
            "cost_per_million_predictions_usd": 0.05 + score / 1000,
        },
        **extra,
    )


def test_ranks_names_and_the_challenges_reference(churn_challenge: Challenge) -> None:
    reference = candidate("ref", 99.0, 0.89)
    reference.submission.source = str(churn_challenge.path("solutions/reference"))
    results = [candidate("b", 50.0, 0.80), reference, candidate("a", 50.0, 0.82)]
    cohort = Cohort(results, churn_challenge)
    assert [member.id for member in cohort.members] == ["ref", "a", "b"]  # ties by id
    assert [member.rank for member in cohort.members] == [1, 2, 3]
    first = cohort.by_id["ref"]
    assert first.reference and first.name == "solutions/reference" and first.redactor is None
    assert cohort.by_id["a"].name == "Candidate a"
    assert cohort.reference() is first
    assert cohort.slice_descriptions()["drifted"].startswith("APAC customers")
    revealed = Cohort(results, churn_challenge, reveal=True)
    assert revealed.by_id["a"].name == "person-a"


def test_problem_and_criterion_statistics() -> None:
    results = [
        candidate("a", 80.0, 0.85, grades=[writeup_grade({"target_leakage": True, "drift": True})]),
        candidate(
            "b", 60.0, 0.80, grades=[writeup_grade({"target_leakage": False, "drift": True})]
        ),
        candidate("c", 40.0, 0.75, grades=[writeup_grade({"target_leakage": True}, 0.2)]),
    ]
    cohort = Cohort(results)
    problems = {stat.kind: stat for stat in cohort.problem_stats}
    assert [member.id for member in problems["target_leakage"].noticed] == ["a", "c"]
    assert problems["target_leakage"].assessed == 3
    assert problems["drift"].assessed == 2 and problems["drift"].hidden_only
    assert [stat.kind for stat in cohort.problem_stats] == ["target_leakage", "drift"]
    (stat,) = cohort.criterion_stats
    assert (stat.title, stat.assessed, stat.addressed) == ("Evaluation method", 3, 2)
    assert stat.mean == pytest.approx(0.6)

    index = render_index(results, "Cohort", cohort=cohort)
    problems_section = index[index.index('<section id="data-problems">') :]
    assert "2 of 3</td>" in problems_section and "Candidate c" in problems_section
    report = render_report(results[0], cohort=cohort)
    assert '<strong class="verdict-no">over-claim</strong>' in report
    assert "<mark>AUC 0.95</mark>" in report.split('id="writeup"')[1]  # the claim in its quote
    assert '<span class="verdict-yes">named</span>' in report


def test_notebooks_are_embedded_and_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = candidate("nb", 70.0, 0.8)
    result.submission.label = "ida-notebook-owner"
    result.submission.source = "/srv/ida-notebook-owner"
    notebooks = tmp_path / "nb" / "notebooks"
    notebooks.mkdir(parents=True)
    (notebooks / "ida-notebook-owner.ipynb").write_text("{}", encoding="utf-8")
    fake = types.ModuleType("reports.notebook")
    fake.render_notebook = lambda path: (
        f"<p>{path.name} by ida-notebook-owner</p><script>x()</script>"
    )  # type: ignore[attr-defined]
    fake.NOTEBOOK_CSS = ".notebook .cell { margin: 0 }"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "reports.notebook", fake)
    cohort = Cohort([result], out_dir=tmp_path)
    html = render_report(result, cohort=cohort)
    assert "<p>ida-notebook-owner.ipynb by [redacted]</p>" not in html
    assert "<p>[redacted].ipynb by [redacted]</p>" in html
    assert "ida-notebook-owner" not in html
    assert "<script" not in html and ".notebook .cell" in html
    assert '<section id="notebook">' in html

    monkeypatch.setitem(sys.modules, "reports.notebook", None)  # not installed
    html = render_report(result, cohort=Cohort([result], out_dir=tmp_path))
    assert "notebook rendering is not available" in html


def test_render_directory_writes_everything_and_links_the_debrief(tmp_path: Path) -> None:
    results = [candidate("a", 80.0, 0.85), candidate("b", 60.0, 0.8)]
    for result in results:
        (tmp_path / result.submission.id).mkdir()
        (tmp_path / result.submission.id / "result.json").write_text(result.model_dump_json())
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "result.json").write_text("{not json")
    rendered = render_directory(tmp_path)
    assert sorted(result.submission.id for result in rendered) == ["a", "b"]
    index = (tmp_path / "index.html").read_text()
    assert "Customer churn: grading results" in index and "debrief" not in index
    assert "person-a" not in index and "Candidate a" in index
    report = (tmp_path / "a" / "report.html").read_text()
    assert "1st of 2" in report and 'href="../index.html"' in report
    (tmp_path / DEBRIEF_FILE).write_text("<!DOCTYPE html>")
    render_directory(tmp_path, reveal=True)
    index = (tmp_path / "index.html").read_text()
    assert 'href="debrief.html"' in index and "person-a" in index
    assert 'href="../debrief.html"' in (tmp_path / "b" / "report.html").read_text()
    assert not list(tmp_path.rglob("*.tmp"))


def test_render_directory_of_nothing_is_an_error_with_a_hint(tmp_path: Path) -> None:
    from harness.errors import HarnessError

    with pytest.raises(HarnessError) as raised:
        render_directory(tmp_path)
    assert raised.value.hint


COHORT_SIZE = 200


def big_cohort() -> list[SubmissionResult]:
    rng = random.Random(7)
    base = [rng.lognormvariate(2.0, 0.4) for _ in range(200)]
    results = []
    for index in range(COHORT_SIZE):
        score = round(rng.uniform(0, 100), 2)
        result = candidate(
            f"c{index:04d}",
            score,
            rng.uniform(0.55, 0.9),
            grades=[
                writeup_grade(
                    {"target_leakage": rng.random() < 0.4, "label_noise": rng.random() < 0.2}
                )
            ],
        )
        result.challenge.id = "churn-tabular"  # the challenge the test renders with
        speed = rng.uniform(0.5, 3.0)  # every candidate has its own latency distribution
        result.timings["latency_samples_ms"] = [value * speed for value in base]
        results.append(result)
    return results


def test_a_200_candidate_cohort_renders_drawing_each_plot_once(
    tmp_path: Path, churn_challenge: Challenge, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = big_cohort()
    drawn: list[str] = []
    for name in ("_tradeoff_plot", "_distribution_plot", "_latency_svg"):
        original = getattr(reports.plots, name)

        def counting(
            *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
        ) -> Any:
            drawn.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(reports.plots, name, counting)

    # Cold: an empty output directory, nothing cached. (How long it takes is measured by
    # bench/report_render.py, not asserted on a shared machine.)
    write_all(tmp_path, results, churn_challenge, title="Churn")
    assert drawn.count("_tradeoff_plot") == 1  # once for the cohort, not once per report
    assert drawn.count("_distribution_plot") == 1
    assert drawn.count("_latency_svg") == COHORT_SIZE
    assert len(list(tmp_path.glob("c*/report.html"))) == COHORT_SIZE
    index = (tmp_path / "index.html").read_text()
    assert index.count('/report.html">Candidate c') >= COHORT_SIZE

    # Again, as at the end of every batch: everything comes from the cache.
    drawn.clear()
    write_all(tmp_path, results, churn_challenge, title="Churn")
    assert drawn == []
    cached = {path.name.split("-")[0] for path in (tmp_path / PLOT_CACHE_DIR).iterdir()}
    assert cached == {"latency", "tradeoff", "distribution"}


def test_debrief_prompts_come_from_the_evidence() -> None:
    result = candidate(
        "d",
        40.0,
        0.7,
        grades=[writeup_grade({"target_leakage": False, "drift": False}, 0.2)],
        flags=[
            "claims roc_auc 0.95 but the harness measured 0.81",
            "integrity: planted conftest.py",
        ],
    )
    result.metrics["roc_auc[drifted]"] = 0.4  # below the 0.5 baseline of make_result's challenge
    prompts = section_text(render_report(result), "prompts")
    assert "claims roc_auc 0.95 but the harness measured 0.81" in prompts
    assert "Integrity: planted conftest.py" in prompts
    assert "Evaluation method: the writeup says little (machine score 0.20)" in prompts
    assert "Data problems the writeup does not name: target leakage</li>" in prompts  # not drift
    assert "Weak on roc_auc[drifted] (0.4000 against a baseline of 0.5000)" in prompts
    quiet = section_text(render_report(candidate("e", 90.0, 0.9, flags=[])), "prompts")
    assert "Nothing stands out" in quiet


def section_text(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}">')
    return html[start : html.index("</section>", start)]
