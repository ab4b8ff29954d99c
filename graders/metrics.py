"""The metric catalogue: name -> how to compute it and which direction is better."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn import metrics as sk

from harness.errors import ChallengeError

PredictionKind = Literal["probability", "label", "value"]


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    prediction: PredictionKind
    compute: Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], float]
    description: str


def _rmse(truth: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]) -> float:
    return float(np.sqrt(sk.mean_squared_error(truth, predicted)))


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric(
            "roc_auc",
            True,
            "probability",
            lambda t, p: float(sk.roc_auc_score(t, p)),
            "Area under the ROC curve of the positive-class probability.",
        ),
        Metric(
            "average_precision",
            True,
            "probability",
            lambda t, p: float(sk.average_precision_score(t, p)),
            "Average precision (area under the precision-recall curve).",
        ),
        Metric(
            "log_loss",
            False,
            "probability",
            lambda t, p: float(sk.log_loss(t, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
            "Binary cross-entropy of the positive-class probability.",
        ),
        Metric(
            "accuracy",
            True,
            "label",
            lambda t, p: float(sk.accuracy_score(t, p)),
            "Share of correct labels.",
        ),
        Metric(
            "f1", True, "label", lambda t, p: float(sk.f1_score(t, p)), "F1 of the positive class."
        ),
        Metric(
            "macro_f1",
            True,
            "label",
            lambda t, p: float(sk.f1_score(t, p, average="macro")),
            "Unweighted mean F1 over classes.",
        ),
        Metric("rmse", False, "value", _rmse, "Root mean squared error."),
        Metric(
            "mae",
            False,
            "value",
            lambda t, p: float(sk.mean_absolute_error(t, p)),
            "Mean absolute error.",
        ),
        Metric(
            "r2",
            True,
            "value",
            lambda t, p: float(sk.r2_score(t, p)),
            "Coefficient of determination.",
        ),
    )
}


def get_metric(name: str) -> Metric:
    """Raises:
    ChallengeError: unknown metric, naming the known ones.
    """
    if name not in METRICS:
        import difflib

        close = difflib.get_close_matches(name, list(METRICS), n=1)
        raise ChallengeError(
            f"unknown metric {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
            hint=f"Known metrics: {', '.join(sorted(METRICS))}.",
        )
    return METRICS[name]


def credit(score: float, baseline: float, target: float) -> float:
    """Linear credit: 0 at ``baseline``, 1 at ``target``, clipped; works for lower-is-better
    metrics too (then ``baseline > target``)."""
    if not np.isfinite(score):
        return 0.0
    return float(np.clip((score - baseline) / (target - baseline), 0.0, 1.0))
