"""Measurements: the figures graders judge, computed once per submission.

Graders decide what a figure is worth; this module only measures: the
challenge metric on the hidden set (overall and per slice, with bootstrap
confidence intervals), prediction latency and throughput from the driver,
time and memory per phase from the sandbox, and the cost of training and of a
million predictions under the challenge's cost model.
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graders.base import GradingContext
from graders.metrics import Metric, get_metric
from graders.predictions import check_predictions, truth_values

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240611
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A metric value with its bootstrap confidence interval."""

    value: float
    low: float | None
    high: float | None
    rows: int


@dataclass(frozen=True)
class MetricMeasurement:
    name: str
    higher_is_better: bool
    overall: Estimate
    slices: dict[str, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurements:
    """Everything measured about one submission; ``None`` where it could not be measured."""

    metric: MetricMeasurement | None = None
    prediction_problem: str | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_mean_ms: float | None = None
    latency_disturbed_fraction: float | None = None
    """Share of the timed calls that waited for a CPU held by another task (run-queue wait
    of at least 1% of the call), where the kernel reports it."""
    latency_undisturbed_calls: float | None = None
    latency_undisturbed_p50_ms: float | None = None
    latency_undisturbed_p95_ms: float | None = None
    """Percentiles over the calls that did not wait: what the predictor costs on a free CPU."""
    throughput_rows_per_s: float | None = None
    model_load_s: float | None = None
    batch_s: float | None = None
    train_wall_s: float | None = None
    train_cpu_s: float | None = None
    train_peak_memory_mb: float | None = None
    predict_wall_s: float | None = None
    predict_cpu_s: float | None = None
    predict_peak_memory_mb: float | None = None
    training_cost_usd: float | None = None
    cost_per_million_predictions_usd: float | None = None
    flagged: np.ndarray[Any, Any] | None = field(default=None, compare=False)
    """The candidate's row flags (booleans aligned with ``hidden_ids``), for a challenge with
    a flag column; all False when the candidate flagged nothing."""
    should_flag: np.ndarray[Any, Any] | None = field(default=None, compare=False)
    """Rows the hidden labels mark for flagging (aligned with ``hidden_ids``)."""
    hidden_ids: np.ndarray[Any, Any] | None = field(default=None, compare=False)
    declined_valid_rows: int = 0
    """Valid rows the candidate flagged and left without a prediction (scored as a trivial
    answer, the median of the valid rows' truth)."""

    def figures(self) -> dict[str, float | None]:
        """Flat name -> value, e.g. ``roc_auc``, ``roc_auc[unseen_plan]``, ``latency_p95_ms``."""
        flat: dict[str, float | None] = {
            key: value
            for key, value in asdict(self).items()
            if key not in ("metric", "prediction_problem", "flagged", "should_flag", "hidden_ids")
        }
        if self.should_flag is not None and self.flagged is not None:
            hits = int((self.flagged & self.should_flag).sum())
            flagged, wanted = int(self.flagged.sum()), int(self.should_flag.sum())
            flat["flag_precision"] = hits / flagged if flagged else None
            flat["flag_recall"] = hits / wanted if wanted else None
        if self.metric is not None:
            flat[self.metric.name] = self.metric.overall.value
            flat[f"{self.metric.name}_ci_low"] = self.metric.overall.low
            flat[f"{self.metric.name}_ci_high"] = self.metric.overall.high
            for name, estimate in self.metric.slices.items():
                flat[f"{self.metric.name}[{name}]"] = estimate.value
        return flat


def bootstrap(
    metric: Metric,
    truth: np.ndarray[Any, Any],
    predicted: np.ndarray[Any, Any],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Estimate:
    """The metric with a percentile bootstrap interval. The seed is fixed, so grading the
    same predictions twice gives the same interval."""
    with warnings.catch_warnings():
        # A resample (or slice) with a single class has no AUC: sklearn warns and returns NaN
        # or raises depending on the version; either way the value is dropped.
        warnings.simplefilter("ignore")
        value = point_value(metric, truth, predicted)
        if not np.isfinite(value):
            raise ValueError(f"{metric.name} is undefined on these rows (a single class?)")
        if resamples <= 0 or len(truth) < 2:
            return Estimate(value, None, None, len(truth))
        rng = np.random.default_rng(seed)
        values = _resampled_values(metric, truth, predicted, resamples, rng)
    if len(values) < min(resamples, LOOP_RESAMPLES) // 2:
        return Estimate(value, None, None, len(truth))
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Estimate(value, float(low), float(high), len(truth))


def point_value(
    metric: Metric, truth: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]
) -> float:
    """The metric on all rows: the vectorised form with unit weights where there is one (it
    agrees with scikit-learn, see tests/graders/test_measure.py, and spares the grading
    process importing scikit-learn and SciPy, about 80 MiB), else ``metric.compute``."""
    if metric.resampled is not None:
        return float(metric.resampled(truth, predicted, np.ones((1, len(truth))))[0])
    return metric.compute(truth, predicted)


LOOP_RESAMPLES = 200  # metrics without a vectorised form: fewer, slower resamples
WEIGHT_BLOCK = 250  # resamples per block, bounding memory (block x rows weights)


def _resampled_values(
    metric: Metric,
    truth: np.ndarray[Any, Any],
    predicted: np.ndarray[Any, Any],
    resamples: int,
    rng: np.random.Generator,
) -> list[float]:
    """Metric values over bootstrap resamples; non-finite ones (a resample with one class)
    are dropped. Resamples are drawn as multinomial row weights, which is what resampling
    rows with replacement amounts to, so vectorised metrics score them all at once."""
    rows = len(truth)
    if metric.resampled is not None:
        values: list[float] = []
        for start in range(0, resamples, WEIGHT_BLOCK):
            block = min(WEIGHT_BLOCK, resamples - start)
            weights = rng.multinomial(rows, np.full(rows, 1 / rows), size=block)
            scored = metric.resampled(truth, predicted, weights)
            values.extend(float(value) for value in scored if np.isfinite(value))
        return values
    values = []
    for _ in range(min(resamples, LOOP_RESAMPLES)):
        index = rng.integers(0, rows, rows)
        try:
            value = metric.compute(truth[index], predicted[index])
        except ValueError:
            continue
        if np.isfinite(value):
            values.append(value)
    return values


@dataclass
class _Scored:
    metric: MetricMeasurement | None = None
    problem: str | None = None
    flagged: np.ndarray[Any, Any] | None = None
    should_flag: np.ndarray[Any, Any] | None = None
    ids: np.ndarray[Any, Any] | None = None
    declined_valid: int = 0


def _metric_measurement(context: GradingContext, resamples: int) -> _Scored:
    spec = context.challenge.spec
    if context.predictions_file is None:
        failed = [phase for phase in context.phases.values() if phase.status != "ok"]
        if failed:
            return _Scored(
                problem=f"no predictions: the {failed[0].name} phase ended with {failed[0].status.value}"
            )
        return _Scored(problem="no predictions were produced")
    metric = get_metric(spec.task.metric)
    labels = pd.read_csv(context.data.labels_file, dtype={spec.task.id_column: str})
    ids = labels[spec.task.id_column].astype(str)
    truth_column = labels[spec.task.target_column]
    classes = (
        sorted(truth_column.astype(str).unique().tolist()) if metric.prediction == "label" else None
    )
    check = check_predictions(context.predictions_file, ids, spec.task.id_column, metric, classes)
    if not check.ok or check.values is None:
        return _Scored(problem=f"predictions rejected: {check.reason}")
    truth = truth_values(metric, truth_column)
    predicted = check.values
    scored = _Scored(ids=ids.to_numpy(), flagged=check.flags)
    keep = np.ones(len(ids), dtype=bool)
    if spec.task.flag_column is not None:
        scored.should_flag = labels[spec.task.flag_column].astype(bool).to_numpy()
        keep = ~scored.should_flag
        if check.flags is None:
            scored.flagged = np.zeros(len(ids), dtype=bool)
        if predicted.dtype.kind == "f":
            # A valid row the candidate flagged and left without a prediction is scored as
            # the median of the valid rows' truth: declining costs what a trivial answer costs.
            declined = keep & ~np.isfinite(predicted)
            scored.declined_valid = int(declined.sum())
            if scored.declined_valid:
                predicted = predicted.copy()
                predicted[declined] = float(np.median(truth[keep].astype(float)))
    try:
        overall = bootstrap(metric, truth[keep], predicted[keep], resamples)
    except ValueError as error:
        scored.problem = f"{metric.name} cannot be computed: {error}"
        return scored
    slices: dict[str, Estimate] = {}
    position = {identifier: index for index, identifier in enumerate(ids)}
    for name, slice_ids in context.data.slices().items():
        rows = np.array(
            [position[identifier] for identifier in slice_ids if identifier in position], dtype=int
        )
        rows = rows[keep[rows]] if len(rows) else rows
        if len(rows) == 0:
            continue  # e.g. a slice of rows that should be flagged: the robustness grader's
        try:
            slices[name] = bootstrap(metric, truth[rows], predicted[rows], resamples)
        except ValueError:
            continue  # e.g. a slice with one class: reported as missing rather than wrong
    scored.metric = MetricMeasurement(metric.name, metric.higher_is_better, overall, slices)
    return scored


_CACHE: weakref.WeakKeyDictionary[GradingContext, dict[int, Measurements]] = (
    weakref.WeakKeyDictionary()
)


def measure(context: GradingContext, resamples: int = BOOTSTRAP_RESAMPLES) -> Measurements:
    """Measure a submission once per grading context: every grader judges the same figures."""
    cached = _CACHE.setdefault(context, {})
    if resamples not in cached:
        cached[resamples] = _measure(context, resamples)
    return cached[resamples]


def _measure(context: GradingContext, resamples: int) -> Measurements:
    scored = _metric_measurement(context, resamples)
    timings = context.timings or {}
    raw_latency = timings.get("latency_ms")
    latency: dict[str, Any] = raw_latency if isinstance(raw_latency, dict) else {}
    raw_undisturbed = timings.get("latency_undisturbed_ms")
    undisturbed: dict[str, Any] = raw_undisturbed if isinstance(raw_undisturbed, dict) else {}
    # Untrusted figures: a count within the calls the driver made, a share within [0, 1].
    timed = _number(latency.get("n")) or 0.0
    extra = _number(timings.get("latency_extra_calls")) or 0.0
    undisturbed_calls = _number(undisturbed.get("n"))
    if undisturbed_calls is not None and not 0 <= undisturbed_calls <= timed + extra:
        undisturbed_calls = None
    disturbed = _number(timings.get("latency_disturbed_fraction"))
    if disturbed is not None and not 0.0 <= disturbed <= 1.0:
        disturbed = None
    train, predict = context.phases.get("train"), context.phases.get("predict")
    cost = context.challenge.spec.cost_model

    training_cost = None
    if train is not None and train.cpu_s is not None:
        memory_gb_hours = (train.peak_memory_mb or 0) / 1024 * train.wall_s / 3600
        training_cost = train.cpu_s / 3600 * cost.cpu_hour_usd + memory_gb_hours * cost.gb_hour_usd
    per_million = None
    mean_ms = _number(latency.get("mean"))
    if mean_ms is not None:
        # One core busy for the mean single-record latency per call, memory held meanwhile.
        hours = mean_ms / 1000 * 1_000_000 / 3600
        memory_gb = (predict.peak_memory_mb or 0) / 1024 if predict is not None else 0
        per_million = hours * cost.cpu_hour_usd + hours * memory_gb * cost.gb_hour_usd

    return Measurements(
        metric=scored.metric,
        prediction_problem=scored.problem,
        flagged=scored.flagged,
        should_flag=scored.should_flag,
        hidden_ids=scored.ids,
        declined_valid_rows=scored.declined_valid,
        latency_p50_ms=_number(latency.get("p50")),
        latency_p95_ms=_number(latency.get("p95")),
        latency_p99_ms=_number(latency.get("p99")),
        latency_mean_ms=mean_ms,
        latency_disturbed_fraction=disturbed,
        latency_undisturbed_calls=undisturbed_calls,
        latency_undisturbed_p50_ms=_number(undisturbed.get("p50")),
        latency_undisturbed_p95_ms=_number(undisturbed.get("p95")),
        throughput_rows_per_s=_number(timings.get("throughput_rows_per_s")),
        model_load_s=_number(timings.get("load_s")),
        batch_s=_number(timings.get("batch_s")),
        train_wall_s=train.wall_s if train is not None else None,
        train_cpu_s=train.cpu_s if train is not None else None,
        train_peak_memory_mb=train.peak_memory_mb if train is not None else None,
        predict_wall_s=predict.wall_s if predict is not None else None,
        predict_cpu_s=predict.cpu_s if predict is not None else None,
        predict_peak_memory_mb=predict.peak_memory_mb if predict is not None else None,
        training_cost_usd=training_cost,
        cost_per_million_predictions_usd=per_million,
    )


def _number(value: Any) -> float | None:
    """A finite float from untrusted driver output, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if np.isfinite(number) else None
