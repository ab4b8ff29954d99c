"""The engineering grader on hand-made contexts (no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from challenges.data import PreparedData, prepare_data
from challenges.loader import Challenge
from graders import GradingContext, graders
from graders.engineering import declared_requirements
from harness.submission import GitCommit, GitInfo, Submission, SubmissionKind
from sandbox.base import PhaseResult, PhaseStatus


@pytest.fixture(scope="module")
def prepared(churn_challenge: Challenge) -> PreparedData:
    return prepare_data(churn_challenge)


def make_context(
    challenge: Challenge,
    data: PreparedData,
    root: Path,
    artifacts: dict[str, Any],
    phases: dict[str, PhaseResult] | None = None,
    predictions: Path | None = None,
    git: GitInfo | None = None,
) -> GradingContext:
    submission = Submission(
        id="abc",
        sha256="0" * 64,
        kind=SubmissionKind.git if git else SubmissionKind.directory,
        source=str(root),
        label="x",
        root=root,
        git=git,
    )
    return GradingContext(challenge, data, submission, phases or {}, predictions, {}, artifacts)


def criteria(context: GradingContext) -> dict[str, Any]:
    grade = graders.get("engineering")()(context)
    return {"grade": grade, **{criterion.name: criterion for criterion in grade.criteria}}


def test_test_outcomes_come_from_the_harness_report(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    report = {
        "outcomes": {
            "test_a.py::ok": "passed",
            "test_a.py::bad": "failed",
            "test_a.py::skip": "skipped",
        },
        "collection_errors": [],
        "rewriting_hooks": [],
        "report_mismatches": [],
    }
    found = criteria(
        make_context(
            churn_challenge,
            prepared,
            tmp_path,
            {"test_files": ["test_a.py"], "test_report": report},
        )
    )
    assert found["tests"].score == 0.5
    assert "1 passed, 1 failed, 0 errors, 1 skipped" in found["tests"].evidence[0].text
    assert any("failed: test_a.py::bad" in evidence.text for evidence in found["tests"].evidence)


def test_rewritten_outcomes_score_zero_and_are_flagged(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    report = {
        "outcomes": {"test_a.py::bad": "failed"},
        "collection_errors": [],
        "rewriting_hooks": ["/submission/conftest.py: pytest_runtest_makereport"],
        "report_mismatches": ["test_a.py::bad"],
    }
    found = criteria(
        make_context(
            churn_challenge,
            prepared,
            tmp_path,
            {"test_files": ["test_a.py"], "test_report": report},
        )
    )
    assert found["tests"].score == 0.0
    flags = found["grade"].flags
    assert any("conftest hooks that can rewrite test reports" in flag for flag in flags)
    assert any("1 test outcome(s) were rewritten" in flag for flag in flags)


def test_no_tests_scores_zero_with_the_reason(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    found = criteria(make_context(churn_challenge, prepared, tmp_path, {"test_files": []}))
    assert found["tests"].score == 0.0
    assert "no test files" in found["tests"].evidence[0].text


def write_predictions(path: Path, values: list[float]) -> Path:
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "prediction": values}).to_csv(
        path, index=False
    )
    return path


NAN = float("nan")


@pytest.mark.parametrize(
    ("first_values", "second", "expected"),
    [
        ([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], 1.0),
        ([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.9], 0.375),
        # Rows left empty in both runs (flagged, no prediction) are identical...
        ([0.1, NAN, 0.3, NAN], [0.1, NAN, 0.3, NAN], 1.0),
        # ...but empty in one run only is a difference.
        ([0.1, NAN, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], 0.375),
    ],
)
def test_reproducibility_compares_both_runs(
    churn_challenge: Challenge,
    prepared: PreparedData,
    tmp_path: Path,
    first_values: list[float],
    second: list[float],
    expected: float,
) -> None:
    first = write_predictions(tmp_path / "first.csv", first_values)
    again = write_predictions(tmp_path / "again.csv", second)
    phases = {
        name: PhaseResult(name=name, status=PhaseStatus.ok)
        for name in ("repeat-train", "repeat-predict")
    }
    found = criteria(
        make_context(
            churn_challenge, prepared, tmp_path, {"repeat_predictions": again}, phases, first
        )
    )
    assert found["reproducibility"].score == pytest.approx(expected)


def test_failed_repeat_is_reported(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    first = write_predictions(tmp_path / "first.csv", [0.1, 0.2, 0.3, 0.4])
    phases = {
        "repeat-train": PhaseResult(
            name="repeat-train", status=PhaseStatus.timeout, message="killed after 5 s"
        )
    }
    found = criteria(make_context(churn_challenge, prepared, tmp_path, {}, phases, first))
    assert found["reproducibility"].score == 0.0
    assert "repeat-train ended with timeout" in found["reproducibility"].evidence[0].text


def test_dependencies_declared_available_and_pinned(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    (tmp_path / "requirements.txt").write_text(
        "pandas==2.3.3\nscikit-learn\nxgboost==2.0.0  # not in the image\n-r other.txt\n"
    )
    found = criteria(make_context(churn_challenge, prepared, tmp_path, {}))
    texts = " | ".join(evidence.text for evidence in found["dependencies"].evidence)
    assert "3 requirement(s) declared" in texts
    assert "not provided by the sandbox image: xgboost==2.0.0" in texts
    assert "not pinned: scikit-learn" in texts
    assert found["dependencies"].score == pytest.approx(
        0.5 + 0.3 * (2 / 3) + 0.2 * (2 / 3), abs=1e-4
    )


def test_no_requirements_is_a_weak_signal(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    assert (
        criteria(make_context(churn_challenge, prepared, tmp_path, {}))["dependencies"].score == 0.3
    )


def test_pyproject_dependencies_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["numpy==2.3.5"]\n'
    )
    assert declared_requirements(tmp_path) == ("pyproject.toml", ["numpy==2.3.5"])


def test_lint_finds_real_problems_with_locations(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    (tmp_path / "train.py").write_text("import os\n\ndef f():\n    return undefined_name\n")
    lint = criteria(make_context(churn_challenge, prepared, tmp_path, {}))["lint"]
    assert lint.score < 1.0
    assert any(
        evidence.source == "train.py:4" and "F821" in evidence.text for evidence in lint.evidence
    )


def test_clean_code_lints_clean(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    (tmp_path / "train.py").write_text("def add(a, b):\n    return a + b\n")
    assert criteria(make_context(churn_challenge, prepared, tmp_path, {}))["lint"].score == 1.0


def test_git_timeline_against_the_time_box(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    commits = [
        GitCommit(sha="c" * 40, author_time="2026-11-03T10:00:00+00:00", subject="Tune the model"),
        GitCommit(sha="a" * 40, author_time="2026-11-01T09:00:00+00:00", subject="Start"),
    ]
    git = GitInfo(commit="c" * 40, commits=commits)
    found = criteria(make_context(churn_challenge, prepared, tmp_path, {}, git=git))
    assert found["git timeline"].score == 0.5
    assert "2 commit(s) over 49.0 h (time box 4 h)" in found["git timeline"].evidence[0].text
    assert any("commits span 49.0 h for a 4 h time box" in flag for flag in found["grade"].flags)


def test_directory_submissions_have_no_git_criterion(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    found = criteria(make_context(churn_challenge, prepared, tmp_path, {}))
    assert "git timeline" not in found
    assert "git timeline" in found["grade"].details["not_assessed"]
