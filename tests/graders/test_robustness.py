"""The robustness grader on hand-made predictions (no Docker): survival, valid rows,
flagging quality and drift slices."""

from __future__ import annotations

import math
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest

from challenges.data import GeneratedData, write_generated
from challenges.loader import Challenge
from challenges.spec import GraderSpec, SliceSpec, TaskSpec, TaskType, ThresholdsSpec
from graders import GradeResult, GradingContext, graders
from graders.robustness import flag_counts, slice_credit
from harness.errors import ChallengeError
from harness.submission import Submission, SubmissionKind
from sandbox.base import PhaseResult, PhaseStatus

IDS = [f"R{index}" for index in range(10)]
TRUTH = [10, 12, 8, 20, 15, 9, 11, 14, 30, 5]
BAD = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
"""R8 and R9 are corrupted: they should be flagged and are left out of the metric."""
SLICES = {"moved_source": ["R0", "R1", "R2"], "bad_rows": ["R8", "R9"]}


def make_challenge(churn_challenge: Challenge, flag_column: str | None = "bad") -> Challenge:
    task = TaskSpec(
        type=TaskType.regression,
        metric="mae",
        target_column="units",
        id_column="rid",
        flag_column=flag_column,
    )
    spec = churn_challenge.spec.model_copy(
        update={
            "task": task,
            "thresholds": ThresholdsSpec(baseline=5.0, target=1.0),
            "slices": [
                SliceSpec(name="moved_source", description="Rows from the moved source."),
                SliceSpec(name="bad_rows", description="Corrupted rows."),
            ],
            "graders": [GraderSpec(name="robustness")],
        }
    )
    return churn_challenge.model_copy(update={"spec": spec})


def make_context(
    challenge: Challenge,
    tmp_path: Path,
    predictions: str | None,
    predict_status: PhaseStatus = PhaseStatus.ok,
    message: str = "",
) -> GradingContext:
    labels = pd.DataFrame({"rid": IDS, "units": TRUTH})
    if challenge.spec.task.flag_column is not None:
        labels["bad"] = BAD
    data = GeneratedData(
        public={"train.csv": labels},
        eval_features=labels[["rid"]].assign(x=1),
        eval_labels=labels,
        eval_slices=SLICES,
    )
    prepared = write_generated(data, tmp_path / "data")
    path = None
    if predictions is not None:
        path = tmp_path / "predictions.csv"
        path.write_text(predictions, encoding="utf-8")
    submission = Submission(
        id="abc", sha256="abc" * 20, kind=SubmissionKind.directory, source="x", label="x"
    )
    phases = {
        "train": PhaseResult(name="train", status=PhaseStatus.ok),
        "predict": PhaseResult(name="predict", status=predict_status, message=message),
    }
    return GradingContext(challenge, prepared, submission, phases, path, {})


def predictions_csv(
    values: list[float | None], flagged: list[int] | None = None, id_column: str = "rid"
) -> str:
    header = f"{id_column},prediction" + (",flagged" if flagged is not None else "")
    rows = []
    for index, value in enumerate(values):
        shown = "" if value is None else repr(float(value))
        rows.append(f"{IDS[index]},{shown}" + (f",{flagged[index]}" if flagged is not None else ""))
    return header + "\n" + "\n".join(rows) + "\n"


def grade(context: GradingContext, **args: object) -> GradeResult:
    return graders.get("robustness")(**args)(context)


def criteria(result: GradeResult) -> dict[str, float]:
    return {criterion.name: criterion.score for criterion in result.criteria}


def evidence_text(result: GradeResult, name: str) -> str:
    criterion = next(criterion for criterion in result.criteria if criterion.name == name)
    return " | ".join(evidence.text for evidence in criterion.evidence)


# Every valid row off by exactly 1: MAE 1 overall and on every slice.
OFF_BY_ONE: list[float | None] = [value + 1 for value in TRUTH[:8]] + [None, None]


def test_a_service_that_predicts_valid_rows_and_flags_bad_ones_earns_full_credit(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    context = make_context(
        make_challenge(churn_challenge), tmp_path, predictions_csv(OFF_BY_ONE, BAD)
    )
    result = grade(context)
    assert result.status == "ok"
    assert criteria(result) == {
        "survives drifted input": 1.0,
        "valid rows predicted": 1.0,
        "flagging": 1.0,
        "drift slices": 1.0,
    }
    assert result.score == 1.0
    assert result.flags == []
    assert "8 of 8 valid rows" in evidence_text(result, "valid rows predicted")
    assert "2 of 2 bad rows flagged" in evidence_text(result, "flagging")
    assert result.details["flagging"] == {
        "hits": 2,
        "false_flags": 0,
        "missed": 0,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
    }


def test_never_flagging_scores_zero_on_flagging_and_raises_a_red_flag(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    values: list[float | None] = [value + 1 for value in TRUTH]
    context = make_context(make_challenge(churn_challenge), tmp_path, predictions_csv(values))
    result = grade(context)
    scores = criteria(result)
    assert scores["flagging"] == 0.0
    assert scores["survives drifted input"] == scores["valid rows predicted"] == 1.0
    assert result.score == pytest.approx(0.7)  # 0.3 + 0.2 + 0.2 of the default weights
    assert result.flags == ["no bad row was flagged (2 should have been)"]
    missed = evidence_text(result, "flagging")
    assert "2 bad rows not flagged (e.g. R8, R9)" in missed


def test_flagging_mistakes_are_counted_with_example_ids(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    # R9 missed (predicted instead), R0 and R1 flagged although valid (and declined).
    values: list[float | None] = [None, None, *OFF_BY_ONE[2:8], None, 5.0]
    flagged = [1, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    context = make_context(
        make_challenge(churn_challenge), tmp_path, predictions_csv(values, flagged)
    )
    result = grade(context)
    counts = result.details["flagging"]
    assert (counts["hits"], counts["false_flags"], counts["missed"]) == (1, 2, 1)
    assert counts["precision"] == pytest.approx(1 / 3)
    assert counts["recall"] == pytest.approx(0.5)
    assert criteria(result)["flagging"] == pytest.approx(0.4)
    text = evidence_text(result, "flagging")
    assert "1 bad rows not flagged (e.g. R9)" in text
    assert "2 valid rows flagged (e.g. R0, R1)" in text
    # Two of the eight valid rows went without a forecast.
    assert criteria(result)["valid rows predicted"] == pytest.approx(6 / 8)
    assert "2 valid rows were flagged and left without one" in evidence_text(
        result, "valid rows predicted"
    )
    assert result.details["declined_valid_rows"] == 2


def test_a_nan_on_an_unflagged_valid_row_rejects_the_predictions(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    values: list[float | None] = [None, *OFF_BY_ONE[1:]]
    context = make_context(
        make_challenge(churn_challenge), tmp_path, predictions_csv(values, [0] * 8 + [1, 1])
    )
    result = grade(context)
    scores = criteria(result)
    # The phase ran to the end, but its output cannot be used.
    assert scores["survives drifted input"] == 1.0
    assert scores["valid rows predicted"] == scores["flagging"] == scores["drift slices"] == 0.0
    assert "missing or not numeric" in evidence_text(result, "valid rows predicted")


def test_a_crash_on_the_drifted_feed_scores_zero_and_names_the_step(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    context = make_context(
        make_challenge(churn_challenge),
        tmp_path,
        None,
        PhaseStatus.error,
        "predict failed in step predict: KeyError: 'promo'",
    )
    result = grade(context)
    assert result.score == 0.0
    assert set(criteria(result).values()) == {0.0}
    assert "KeyError: 'promo'" in result.summary
    assert result.summary.startswith("the predict phase ended with error")
    assert result.flags and "did not survive" in result.flags[0]


def test_a_drift_slice_much_worse_than_overall_loses_credit(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    # Off by 3 on the moved source (R0-R2), exact elsewhere: overall MAE 9/8, slice MAE 3.
    values: list[float | None] = [
        *(value + 3 for value in TRUTH[:3]),
        *TRUTH[3:8],
        None,
        None,
    ]
    context = make_context(make_challenge(churn_challenge), tmp_path, predictions_csv(values, BAD))
    result = grade(context, drift_slices=["moved_source"], tolerance=1.5, blowup=3.0)
    ratio = 3 / (9 / 8)
    expected = slice_credit(ratio, 1.5, 3.0)
    assert expected == pytest.approx(1 - math.log(ratio / 1.5) / math.log(2))
    assert criteria(result)["drift slices"] == pytest.approx(expected)
    outcome = result.details["drift_slices"]["slices"]["moved_source"]
    assert outcome["ratio"] == pytest.approx(ratio)
    assert "moved_source: mae 3.0000 on 3 rows vs 1.1250 overall (2.67x" in evidence_text(
        result, "drift slices"
    )
    # A slice made only of bad rows has no valid rows to measure: named, not averaged in.
    both = grade(context, drift_slices=["moved_source", "bad_rows"])
    assert "bad_rows: not measured" in evidence_text(both, "drift slices")
    assert criteria(both)["drift slices"] == pytest.approx(expected)
    # By default every measured slice is compared, which leaves the bad rows out.
    assert set(grade(context).details["drift_slices"]["slices"]) == {"moved_source"}


def test_slice_credit_is_full_within_tolerance_and_zero_at_blowup() -> None:
    assert slice_credit(1.0, 1.5, 3.0) == 1.0
    assert slice_credit(1.5, 1.5, 3.0) == 1.0
    assert 0.0 < slice_credit(2.0, 1.5, 3.0) < 1.0
    assert slice_credit(3.0, 1.5, 3.0) == pytest.approx(0.0)
    assert slice_credit(10.0, 1.5, 3.0) == 0.0
    assert slice_credit(math.inf, 1.5, 3.0) == 0.0


def test_flag_counts_of_flagging_everything() -> None:
    import numpy as np

    should = np.array(BAD, dtype=bool)
    counts = flag_counts(np.ones(10, dtype=bool), should)
    assert (counts["hits"], counts["false_flags"], counts["missed"]) == (2, 8, 0)
    assert counts["f1"] == pytest.approx(2 * 0.2 * 1.0 / 1.2)


def test_not_applicable_without_a_flag_column(churn_challenge: Challenge, tmp_path: Path) -> None:
    challenge = make_challenge(churn_challenge, flag_column=None)
    context = make_context(challenge, tmp_path, predictions_csv([float(v) for v in TRUTH]))
    result = grade(context)
    assert result.status == "not_applicable"
    assert result.score == 0.0
    assert "no flag column" in result.summary


def test_arguments_are_checked_with_a_hint(churn_challenge: Challenge, tmp_path: Path) -> None:
    factory = graders.get("robustness")
    with pytest.raises(ChallengeError, match="did you mean 'flagging'"):
        factory(weights={"flaging": 1})
    with pytest.raises(ChallengeError, match="tolerance"):
        factory(tolerance=0.5)
    with pytest.raises(ChallengeError, match="blowup"):
        factory(tolerance=2.0, blowup=1.5)
    context = make_context(
        make_challenge(churn_challenge), tmp_path, predictions_csv(OFF_BY_ONE, BAD)
    )
    with pytest.raises(ChallengeError, match="not slices of the challenge: new_stores"):
        factory(drift_slices=["new_stores"])(context)


def test_weights_change_the_total(churn_challenge: Challenge, tmp_path: Path) -> None:
    values: list[float | None] = [value + 1 for value in TRUTH]
    context = make_context(make_challenge(churn_challenge), tmp_path, predictions_csv(values))
    only_flags = grade(
        context,
        weights={
            "survives drifted input": 0,
            "valid rows predicted": 0,
            "flagging": 1,
            "drift slices": 0,
        },
    )
    assert only_flags.score == 0.0


def test_registered_through_the_entry_point_group() -> None:
    names = {entry.name: entry.value for entry in entry_points(group="harness.graders")}
    assert names.get("robustness") == "graders.robustness:robustness"
