"""Results in other systems' formats: Gradescope's ``results.json`` and a cohort CSV.

Both read the output directory (``result.json`` of each submission and the review log),
never the candidates' code. Both are blind by default: submission ids, no candidate
labels or source paths, unless asked to reveal them.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import HarnessError
from harness.fsutil import atomic_write_text
from harness.result import SubmissionResult
from harness.review import CandidateDebrief, Debrief, effective_grade_scores

GRADESCOPE_FILE = "results.json"
ChoiceT = TypeVar("ChoiceT", bound=StrEnum)


class ExportFormat(StrEnum):
    """What ``harness export`` writes."""

    gradescope = "gradescope"
    csv = "csv"
    mlflow = "mlflow"


class GradescopeVisibility(StrEnum):
    """When students see a result on Gradescope."""

    hidden = "hidden"
    after_due_date = "after_due_date"
    after_published = "after_published"
    visible = "visible"


def parse_choice(choices: type[ChoiceT], given: str, option: str) -> ChoiceT:
    """``given`` as a member of ``choices``.

    Raises:
        HarnessError: naming the option and the accepted values.
    """
    try:
        return choices(given.strip().lower().replace("-", "_"))
    except ValueError:
        raise HarnessError(
            f"{option} {given!r} is not one of the choices",
            hint=f"Use one of: {', '.join(choice.value for choice in choices)}.",
        ) from None


# -- Gradescope -------------------------------------------------------------------------------


def gradescope_results(
    candidate: CandidateDebrief,
    visibility: GradescopeVisibility = GradescopeVisibility.after_published,
) -> dict[str, Any]:
    """The Gradescope autograder ``results.json`` of one submission.

    One test per grader; its ``max_score`` is the grader's share of 100 (its weight over
    the weights that count), so the tests add up to the total. Assessors' overrides are
    applied (the machine score stays in ``extra_data``). Red flags, notes and override
    reasons are for assessors and stay out of the text students may see.
    """
    result = candidate.result
    scores = effective_grade_scores(result, candidate.overrides)
    counted = [grade for grade in result.grades if grade.status != "not_applicable"]
    total_weight = sum(grade.weight for grade in counted)
    tests = []
    for number, grade in enumerate(result.grades, start=1):
        share = (
            100.0 * grade.weight / total_weight
            if total_weight > 0 and grade.status != "not_applicable"
            else 0.0
        )
        lines = [grade.summary or grade.grader]
        if grade.status != "ok":
            lines.append(f"status: {grade.status}")
        lines.extend(f"- {item.name}: {item.score:.2f}" for item in grade.criteria)
        tests.append(
            {
                "name": grade.grader,
                "number": str(number),
                "score": round(scores[grade.grader] * share, 4),
                "max_score": round(share, 4),
                "output": "\n".join(lines),
                "output_format": "text",
                "visibility": visibility.value,
                "tags": [grade.status],
            }
        )
    score = candidate.adjusted_total if candidate.adjusted_total is not None else result.total_score
    header = f"{result.challenge.title}: {result.status.value}"
    if result.message:
        header += f" ({result.message})"
    return {
        "score": round(score, 2),
        "execution_time": round(result.wall_s),
        "output": header,
        "output_format": "text",
        "visibility": visibility.value,
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": _leaderboard(result, score),
        "extra_data": {
            "submission_id": result.submission.id,
            "challenge_id": result.challenge.id,
            "challenge_version": result.challenge.version,
            "status": result.status.value,
            "machine_score": result.total_score,
            "overrides": [
                {
                    "assessor": override.assessor,
                    "criterion": override.criterion,
                    "machine_score": override.machine_score,
                    "override_score": override.override_score,
                    "reason": override.reason,
                }
                for override in candidate.overrides
            ],
        },
    }


def _leaderboard(result: SubmissionResult, score: float) -> list[dict[str, Any]]:
    higher_is_better = result.challenge.target >= result.challenge.baseline
    board: list[dict[str, Any]] = [{"name": "total", "value": round(score, 2), "order": "desc"}]
    value = result.metrics.get(result.challenge.metric)
    if value is not None:
        board.append(
            {
                "name": result.challenge.metric,
                "value": round(value, 6),
                "order": "desc" if higher_is_better else "asc",
            }
        )
    latency = result.metrics.get("latency_p95_ms")
    if latency is not None:
        board.append({"name": "latency_p95_ms", "value": round(latency, 3), "order": "asc"})
    return board


def write_gradescope(
    debrief: Debrief,
    destination: Path,
    visibility: GradescopeVisibility = GradescopeVisibility.after_published,
) -> list[Path]:
    """Write ``<destination>/<submission-id>/results.json`` for every submission."""
    written = []
    for candidate in debrief.candidates:
        path = destination / candidate.submission_id / GRADESCOPE_FILE
        atomic_write_text(
            path, json.dumps(gradescope_results(candidate, visibility), indent=2) + "\n"
        )
        written.append(path)
    return written


# -- cohort CSV -------------------------------------------------------------------------------


def cohort_table(debrief: Debrief, reveal: bool = False) -> tuple[list[str], list[list[Any]]]:
    """Columns and one row per submission, for spreadsheets and applicant-tracking systems.

    Blind unless ``reveal``: no label or source columns. Text that a candidate controls is
    defused for spreadsheets (a leading ``=``, ``+``, ``-`` or ``@`` gets a ``'``)."""
    graders = list(
        dict.fromkeys(
            grade.grader for candidate in debrief.candidates for grade in candidate.result.grades
        )
    )
    metric = debrief.candidates[0].result.challenge.metric
    columns = ["submission_id"]
    if reveal:
        columns += ["label", "source"]
    columns += ["status", "message", "total_score", "adjusted_score"]
    columns += [f"{grader}_score" for grader in graders]
    columns += [metric, f"{metric}_ci_low", f"{metric}_ci_high", "latency_p95_ms"]
    columns += [
        "flags_count",
        "reviews",
        "assessors",
        "overall_verdicts",
        "open_disagreements",
        "decision",
        "graded_at",
    ]
    rows = []
    for candidate in debrief.candidates:
        result = candidate.result
        scores = {grade.grader: grade.score for grade in result.grades}
        row: list[Any] = [result.submission.id]
        if reveal:
            row += [_defused(result.submission.label), _defused(result.submission.source)]
        row += [
            result.status.value,
            _defused(result.message),
            result.total_score,
            candidate.adjusted_total,
        ]
        row += [scores.get(grader) for grader in graders]
        row += [
            result.metrics.get(metric),
            result.metrics.get(f"{metric}_ci_low"),
            result.metrics.get(f"{metric}_ci_high"),
            result.metrics.get("latency_p95_ms"),
        ]
        verdicts = candidate.overall_verdicts()
        row += [
            len(result.flags),
            sum(len(entries) for entries in candidate.verdicts.values()),
            len(candidate.verdicts),
            "; ".join(f"{assessor}={verdict.value}" for assessor, verdict in verdicts.items()),
            len(candidate.open_disagreements),
            candidate.decision.decision.value
            if candidate.decision and candidate.decision.decision
            else None,
            result.finished_at,
        ]
        rows.append(row)
    return columns, rows


def _defused(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cohort_csv(debrief: Debrief, reveal: bool = False) -> str:
    """The cohort table as CSV text (empty cells for missing values)."""
    columns, rows = cohort_table(debrief, reveal)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def write_cohort_csv(debrief: Debrief, destination: Path, reveal: bool = False) -> Path:
    atomic_write_text(destination, cohort_csv(debrief, reveal))
    return destination
