"""Ranking metrics and row flagging, end to end on the host: predictions file -> measure ->
correctness (no Docker)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from challenges.data import GeneratedData, PreparedData, write_generated
from challenges.loader import Challenge
from challenges.spec import TaskSpec, TaskType
from graders import GradingContext, graders
from graders.measure import measure
from graders.metrics import get_metric
from harness.submission import Submission, SubmissionKind
from sandbox.base import PhaseResult, PhaseStatus

IDS = [f"R{index}" for index in range(10)]


def context_for(
    challenge: Challenge, task: TaskSpec, labels: pd.DataFrame, predictions: str, tmp: Path
) -> GradingContext:
    spec = challenge.spec.model_copy(
        update={"task": task, "slices": [], "thresholds": challenge.spec.thresholds}
    )
    if task.type is TaskType.regression:
        spec = spec.model_copy(
            update={
                "thresholds": spec.thresholds.model_copy(update={"baseline": 5.0, "target": 1.0})
            }
        )
    data = GeneratedData(
        public={"train.csv": labels},
        eval_features=labels[[task.id_column]].assign(x=1),
        eval_labels=labels,
    )
    prepared: PreparedData = write_generated(data, tmp / "data")
    path = tmp / "predictions.csv"
    path.write_text(predictions, encoding="utf-8")
    submission = Submission(
        id="abc", sha256="abc" * 20, kind=SubmissionKind.directory, source="x", label="x"
    )
    phases = {"predict": PhaseResult(name="predict", status=PhaseStatus.ok)}
    return GradingContext(
        challenge.model_copy(update={"spec": spec}), prepared, submission, phases, path, {}
    )


def test_ranking_predictions_are_scored_per_query(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    task = TaskSpec(type=TaskType.ranking, metric="mrr", target_column="relevant", id_column="qid")
    labels = pd.DataFrame({"qid": IDS, "relevant": ["D1 D2"] * 5 + ["D3"] * 5})
    # Five queries hit at rank 1, five at rank 2: MRR (5 * 1 + 5 * 0.5) / 10 = 0.75.
    rows = [f"{q},D1 D9" for q in IDS[:5]] + [f"{q},D9 D3" for q in IDS[5:]]
    context = context_for(
        churn_challenge, task, labels, "qid,prediction\n" + "\n".join(rows), tmp_path
    )
    measured = measure(context)
    assert measured.metric is not None
    assert measured.metric.overall.value == pytest.approx(0.75)
    assert get_metric("recall_at_5").compute(
        np.array(["D1 D2"]), np.array(["D2 D7 D1"])
    ) == pytest.approx(1.0)


def test_a_query_without_predictions_scores_zero_not_an_error(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    task = TaskSpec(
        type=TaskType.ranking, metric="recall_at_10", target_column="rel", id_column="qid"
    )
    labels = pd.DataFrame({"qid": IDS, "rel": ["D1"] * 10})
    rows = [f"{q},D1" for q in IDS[:8]] + [f"{q}," for q in IDS[8:]]
    measured = measure(
        context_for(churn_challenge, task, labels, "qid,prediction\n" + "\n".join(rows), tmp_path)
    )
    assert measured.metric is not None and measured.metric.overall.value == pytest.approx(0.8)


def flag_task() -> TaskSpec:
    return TaskSpec(
        type=TaskType.regression,
        metric="mae",
        target_column="y",
        id_column="rid",
        flag_column="is_corrupted",
    )


def flag_labels() -> pd.DataFrame:
    return pd.DataFrame({"rid": IDS, "y": [10.0] * 10, "is_corrupted": [0] * 7 + [1] * 3})


def test_rows_to_flag_leave_the_metric_and_flags_are_measured(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    # Valid rows are off by 2; corrupted rows carry garbage predictions that must not count.
    lines = [f"{rid},12.0,0" for rid in IDS[:6]] + [f"{IDS[6]},12.0,1"]
    lines += [f"{IDS[7]},,1", f"{IDS[8]},9999,1", f"{IDS[9]},-50,0"]
    context = context_for(
        churn_challenge,
        flag_task(),
        flag_labels(),
        "rid,prediction,flagged\n" + "\n".join(lines),
        tmp_path,
    )
    measured = measure(context)
    assert measured.metric is not None
    assert measured.metric.overall.value == pytest.approx(2.0)
    assert measured.metric.overall.rows == 7
    assert measured.flagged is not None and measured.should_flag is not None
    assert measured.flagged.tolist() == [False] * 6 + [True, True, True, False]
    figures = measure(context).figures()
    assert figures["flag_precision"] == pytest.approx(2 / 3)
    assert figures["flag_recall"] == pytest.approx(2 / 3)
    grade = graders.get("correctness")()(context)
    assert any(
        "3 rows the service should flag" in e.text for c in grade.criteria for e in c.evidence
    )


def test_a_declined_valid_row_costs_a_trivial_answer(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    lines = [f"{rid},10.0,0" for rid in IDS[:6]] + [f"{IDS[6]},,1"]
    lines += [f"{rid},,1" for rid in IDS[7:]]
    labels = flag_labels().assign(y=[10.0] * 6 + [20.0] + [0.0] * 3)
    context = context_for(
        churn_challenge,
        flag_task(),
        labels,
        "rid,prediction,flagged\n" + "\n".join(lines),
        tmp_path,
    )
    measured = measure(context)
    assert measured.declined_valid_rows == 1
    # Median of the valid truth is 10, so the declined row (truth 20) is 10 off: MAE 10 / 7.
    assert measured.metric is not None
    assert measured.metric.overall.value == pytest.approx(10 / 7)


def test_an_unflagged_row_without_a_prediction_is_rejected(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    lines = [f"{rid},10.0,0" for rid in IDS[:9]] + [f"{IDS[9]},,0"]
    measured = measure(
        context_for(
            churn_challenge,
            flag_task(),
            flag_labels(),
            "rid,prediction,flagged\n" + "\n".join(lines),
            tmp_path,
        )
    )
    assert measured.metric is None
    assert measured.prediction_problem is not None
    assert "only flagged rows may go without a prediction" in measured.prediction_problem


def test_a_metric_that_does_not_fit_the_task_is_refused() -> None:
    with pytest.raises(ValidationError, match="use one of: mae, r2, rmse"):
        TaskSpec(type=TaskType.regression, metric="roc_auc", target_column="y")
    with pytest.raises(ValidationError, match="ndcg_at_10"):
        TaskSpec(type=TaskType.ranking, metric="accuracy", target_column="y")
