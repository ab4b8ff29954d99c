"""Metric computation and credit mapping."""

from __future__ import annotations

import numpy as np
import pytest

from graders.metrics import credit, get_metric
from harness.errors import ChallengeError


def test_roc_auc_matches_a_hand_computed_value() -> None:
    truth = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    # Pairs (positive > negative): 0.35>0.1, 0.8>0.1, 0.8>0.4 -> 3 of 4.
    assert get_metric("roc_auc").compute(truth, scores) == pytest.approx(0.75)


def test_rmse_and_macro_f1() -> None:
    assert get_metric("rmse").compute(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == pytest.approx(
        np.sqrt(2.0)
    )
    truth = np.array(["a", "a", "b", "b"])
    assert get_metric("macro_f1").compute(truth, np.array(["a", "b", "b", "b"])) == pytest.approx(
        (2 / 3 + 0.8) / 2
    )


@pytest.mark.parametrize(
    ("score", "baseline", "target", "expected"),
    [
        (0.65, 0.65, 0.80, 0.0),
        (0.80, 0.65, 0.80, 1.0),
        (0.725, 0.65, 0.80, 0.5),
        (0.5, 0.65, 0.8, 0.0),
        (0.95, 0.65, 0.8, 1.0),
        (15.0, 20.0, 10.0, 0.5),
        (25.0, 20.0, 10.0, 0.0),
        (float("nan"), 0.6, 0.8, 0.0),
    ],
)
def test_credit_is_linear_between_baseline_and_target(
    score: float, baseline: float, target: float, expected: float
) -> None:
    assert credit(score, baseline, target) == pytest.approx(expected)


def test_unknown_metric_suggests_a_close_name() -> None:
    with pytest.raises(ChallengeError, match="did you mean 'roc_auc'"):
        get_metric("roc_auk")
