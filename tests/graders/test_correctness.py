"""The correctness grader on hand-made data (no Docker)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from challenges.data import GeneratedData, PreparedData, write_generated
from challenges.loader import Challenge
from graders import GradingContext, graders
from harness.submission import Submission, SubmissionKind
from sandbox.base import PhaseResult, PhaseStatus


@pytest.fixture()
def prepared(tmp_path: Path) -> PreparedData:
    ids = [f"C{index}" for index in range(8)]
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    data = GeneratedData(
        public={"train.csv": pd.DataFrame({"customer_id": ids, "churned": labels})},
        eval_features=pd.DataFrame({"customer_id": ids, "x": range(8)}),
        eval_labels=pd.DataFrame({"customer_id": ids, "churned": labels}),
    )
    return write_generated(data, tmp_path / "data")


def make_context(
    churn_challenge: Challenge, prepared: PreparedData, predictions: Path | None
) -> GradingContext:
    submission = Submission(
        id="abc", sha256="abc" * 20, kind=SubmissionKind.directory, source="x", label="x"
    )
    phases = {"train": PhaseResult(name="train", status=PhaseStatus.ok)}
    return GradingContext(churn_challenge, prepared, submission, phases, predictions, {})


def write_predictions(tmp_path: Path, scores: list[float]) -> Path:
    path = tmp_path / "predictions.csv"
    frame = pd.DataFrame({"customer_id": [f"C{index}" for index in range(8)], "prediction": scores})
    frame.to_csv(path, index=False)
    return path


def test_perfect_predictions_clear_the_target(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    path = write_predictions(tmp_path, [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    grade = graders.get("correctness")()(make_context(churn_challenge, prepared, path))
    assert grade.score == 1.0
    assert grade.details["value"] == pytest.approx(1.0)
    assert grade.summary.startswith("roc_auc 1.0000")


def test_constant_predictions_earn_nothing(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    grade = graders.get("correctness")()(
        make_context(churn_challenge, prepared, write_predictions(tmp_path, [0.3] * 8))
    )
    assert grade.details["value"] == pytest.approx(0.5)
    assert grade.score == 0.0


def test_partial_credit_between_thresholds(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    # 13 of 16 positive/negative pairs ordered correctly: AUC 0.8125 minus the ties below.
    scores = [0.1, 0.2, 0.3, 0.75, 0.6, 0.7, 0.8, 0.9]
    grade = graders.get("correctness")()(
        make_context(churn_challenge, prepared, write_predictions(tmp_path, scores))
    )
    value = grade.details["value"]
    baseline, target = (
        churn_challenge.spec.thresholds.baseline,
        churn_challenge.spec.thresholds.target,
    )
    assert value == pytest.approx(14 / 16)
    expected = min(1.0, max(0.0, (value - baseline) / (target - baseline)))
    assert grade.score == pytest.approx(expected)


def test_missing_predictions_name_the_failed_phase(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    context = make_context(churn_challenge, prepared, None)
    context.phases["train"] = PhaseResult(name="train", status=PhaseStatus.oom)
    grade = graders.get("correctness")()(context)
    assert grade.score == 0.0
    assert "train phase ended with oom" in grade.summary


def test_rejected_predictions_score_zero_with_the_reason(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("customer_id,prediction\nC0,0.5\n")
    grade = graders.get("correctness")()(make_context(churn_challenge, prepared, path))
    assert grade.score == 0.0
    assert "1 predictions for 8 evaluation rows" in grade.summary
