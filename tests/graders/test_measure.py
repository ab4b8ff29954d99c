"""Bootstrap intervals: vectorised metrics agree with scikit-learn, and are deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from graders.measure import bootstrap
from graders.metrics import METRICS, get_metric

RNG = np.random.default_rng(7)
TRUTH = RNG.integers(0, 2, 500)
SCORES = np.round(RNG.random(500), 2)  # rounded: plenty of ties
VALUES = RNG.normal(size=500)
INDEXES = RNG.integers(0, 500, (6, 500))
WEIGHTS = np.stack([np.bincount(index, minlength=500) for index in INDEXES])


def inputs(name: str) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    metric = get_metric(name)
    if metric.prediction == "label":
        return TRUTH, (SCORES > 0.5).astype(int)
    if metric.prediction == "value":
        return VALUES, VALUES + RNG.normal(scale=0.5, size=500)
    if metric.prediction == "ranking":
        relevant = np.array([f"D{i % 50} D{(i * 7) % 50}" for i in range(500)], dtype=object)
        ranked = np.array(
            [" ".join(f"D{j}" for j in RNG.permutation(50)[:12]) for _ in range(500)], dtype=object
        )
        return relevant, ranked
    return TRUTH, SCORES


@pytest.mark.parametrize(
    "name", sorted(name for name, metric in METRICS.items() if metric.resampled)
)
def test_vectorised_resampling_matches_scikit_learn(name: str) -> None:
    metric = get_metric(name)
    truth, predicted = inputs(name)
    assert metric.resampled is not None
    vectorised = metric.resampled(truth, predicted, WEIGHTS)
    looped = [metric.compute(truth[index], predicted[index]) for index in INDEXES]
    assert np.allclose(vectorised, looped)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_intervals_are_deterministic_and_contain_the_value(name: str) -> None:
    truth, predicted = inputs(name)
    first = bootstrap(get_metric(name), truth, predicted, resamples=300)
    second = bootstrap(get_metric(name), truth, predicted, resamples=300)
    assert first == second
    assert first.low is not None and first.high is not None
    assert first.low <= first.value <= first.high


def test_a_single_class_has_no_auc() -> None:
    with pytest.raises(ValueError, match="undefined"):
        bootstrap(get_metric("roc_auc"), np.zeros(10), np.linspace(0, 1, 10))


def test_intervals_narrow_with_more_rows() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 4000)
    scores = truth * 0.3 + rng.random(4000)
    small = bootstrap(get_metric("roc_auc"), truth[:400], scores[:400])
    large = bootstrap(get_metric("roc_auc"), truth, scores)
    assert (large.high - large.low) < (small.high - small.low)  # type: ignore[operator]


@pytest.mark.parametrize(
    "name", sorted(name for name, metric in METRICS.items() if metric.resampled)
)
def test_the_point_value_is_the_catalogue_metric(name: str) -> None:
    from graders.measure import point_value

    metric = get_metric(name)
    truth, predicted = inputs(name)
    assert point_value(metric, truth, predicted) == pytest.approx(metric.compute(truth, predicted))
