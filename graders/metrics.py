"""The metric catalogue: name -> how to compute it and which direction is better."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from harness.errors import ChallengeError

PredictionKind = Literal["probability", "label", "value", "ranking"]


Array = np.ndarray[Any, Any]


def _sk() -> Any:
    """scikit-learn's metrics, imported on first use: loading a challenge (which checks
    metric names against this catalogue) should not pay for importing scikit-learn."""
    from sklearn import metrics

    return metrics


Resampled = Callable[[Array, Array, Array], Array]
"""(truth, predicted, weights of shape resamples x rows) -> one metric value per resample."""


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    prediction: PredictionKind
    compute: Callable[[Array, Array], float]
    description: str
    resampled: Resampled | None = None
    """Vectorised form over bootstrap weights; None falls back to a loop of ``compute``."""


def _roc_auc_resampled(truth: Array, scores: Array, weights: Array) -> Array:
    """Weighted Mann-Whitney AUC for every resample at once (ties count half)."""
    positive = truth == np.max(truth)
    order = np.argsort(scores, kind="mergesort")
    sorted_scores, sorted_positive = scores[order], positive[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ordered = weights[:, order].astype(np.float64)
    positives = np.add.reduceat(ordered * sorted_positive, starts, axis=1)
    negatives = np.add.reduceat(ordered * ~sorted_positive, starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: Array = (positives * (below + 0.5 * negatives)).sum(axis=1) / pairs
    return result


def _weighted_mean(values: Array, weights: Array) -> Array:
    result: Array = weights @ values / weights.sum(axis=1)
    return result


def _r2_resampled(truth: Array, predicted: Array, weights: Array) -> Array:
    total = weights.sum(axis=1)
    mean = weights @ truth / total
    residual = weights @ (truth - predicted) ** 2
    spread = weights @ truth**2 - total * mean**2
    with np.errstate(invalid="ignore", divide="ignore"):
        result: Array = 1 - residual / spread
    return result


RANKING_CUTOFF = 10


def _ids(cell: object) -> list[str]:
    """A ranking cell (space-separated ids) as a list; missing or empty cells are empty."""
    return str(cell).split() if isinstance(cell, str) else []


def _per_query(score: Callable[[set[str], list[str]], float]) -> Callable[[Array, Array], Array]:
    """Vectorise a per-query score over truth (relevant ids) and predictions (ranked ids)."""

    def scores(truth: Array, predicted: Array) -> Array:
        result = np.empty(len(truth), dtype=np.float64)
        for index, (relevant, ranked) in enumerate(zip(truth, predicted, strict=True)):
            wanted = set(_ids(relevant))
            result[index] = score(wanted, _ids(ranked)) if wanted else np.nan
        if np.isnan(result).any():
            raise ValueError("a query has no relevant ids in the labels")
        return result

    return scores


def _reciprocal_rank(relevant: set[str], ranked: list[str]) -> float:
    for position, identifier in enumerate(ranked[:RANKING_CUTOFF], start=1):
        if identifier in relevant:
            return 1.0 / position
    return 0.0


def _recall_at(k: int) -> Callable[[set[str], list[str]], float]:
    def recall(relevant: set[str], ranked: list[str]) -> float:
        return len(relevant.intersection(ranked[:k])) / len(relevant)

    return recall


def _ndcg_at_10(relevant: set[str], ranked: list[str]) -> float:
    seen: set[str] = set()
    gain = 0.0
    for position, identifier in enumerate(ranked[:RANKING_CUTOFF], start=1):
        if identifier in relevant and identifier not in seen:  # a repeated id earns once
            gain += 1.0 / float(np.log2(position + 1))
        seen.add(identifier)
    ideal = sum(
        1.0 / float(np.log2(position + 1)) for position in range(1, min(len(relevant), 10) + 1)
    )
    return gain / ideal


def _ranking_metric(
    name: str, score: Callable[[set[str], list[str]], float], description: str
) -> Metric:
    per_query = _per_query(score)
    return Metric(
        name,
        True,
        "ranking",
        lambda t, p: float(per_query(t, p).mean()),
        description,
        lambda t, p, w: _weighted_mean(per_query(t, p), w),
    )


def _rmse(truth: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]) -> float:
    return float(np.sqrt(_sk().mean_squared_error(truth, predicted)))


def _log_loss_terms(truth: Array, probability: Array) -> Array:
    clipped = np.clip(probability.astype(float), 1e-15, 1 - 1e-15)
    positive = truth == np.max(truth)
    terms: Array = -np.where(positive, np.log(clipped), np.log(1 - clipped))
    return terms


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric(
            "roc_auc",
            True,
            "probability",
            lambda t, p: float(_sk().roc_auc_score(t, p)),
            "Area under the ROC curve of the positive-class probability.",
            _roc_auc_resampled,
        ),
        Metric(
            "average_precision",
            True,
            "probability",
            lambda t, p: float(_sk().average_precision_score(t, p)),
            "Average precision (area under the precision-recall curve).",
        ),
        Metric(
            "log_loss",
            False,
            "probability",
            lambda t, p: float(_sk().log_loss(t, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
            "Binary cross-entropy of the positive-class probability.",
            lambda t, p, w: _weighted_mean(_log_loss_terms(t, p), w),
        ),
        Metric(
            "accuracy",
            True,
            "label",
            lambda t, p: float(_sk().accuracy_score(t, p)),
            "Share of correct labels.",
            lambda t, p, w: _weighted_mean((t == p).astype(float), w),
        ),
        Metric(
            "f1",
            True,
            "label",
            lambda t, p: float(_sk().f1_score(t, p)),
            "F1 of the positive class.",
        ),
        Metric(
            "macro_f1",
            True,
            "label",
            lambda t, p: float(_sk().f1_score(t, p, average="macro")),
            "Unweighted mean F1 over classes.",
        ),
        Metric(
            "rmse",
            False,
            "value",
            _rmse,
            "Root mean squared error.",
            lambda t, p, w: np.sqrt(_weighted_mean((t - p) ** 2, w)),
        ),
        Metric(
            "mae",
            False,
            "value",
            lambda t, p: float(_sk().mean_absolute_error(t, p)),
            "Mean absolute error.",
            lambda t, p, w: _weighted_mean(np.abs(t - p), w),
        ),
        Metric(
            "r2",
            True,
            "value",
            lambda t, p: float(_sk().r2_score(t, p)),
            "Coefficient of determination.",
            _r2_resampled,
        ),
        _ranking_metric(
            "mrr",
            _reciprocal_rank,
            "Mean reciprocal rank of the first relevant id within the top 10 (0 if none).",
        ),
        _ranking_metric(
            "recall_at_5", _recall_at(5), "Share of a query's relevant ids in its top 5, averaged."
        ),
        _ranking_metric(
            "recall_at_10",
            _recall_at(10),
            "Share of a query's relevant ids in its top 10, averaged.",
        ),
        _ranking_metric(
            "ndcg_at_10",
            _ndcg_at_10,
            "Normalised discounted cumulative gain of the top 10 (binary relevance), averaged.",
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
