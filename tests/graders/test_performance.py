"""The performance grader on the real churn challenge with hand-made figures (no Docker)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from challenges.data import PreparedData, prepare_data
from challenges.loader import Challenge
from challenges.spec import BudgetSpec, CostModelSpec
from graders import GradeResult, GradingContext, graders
from graders.performance import BUDGET_NAMES, budget_credit, performance
from harness.errors import ChallengeError
from harness.submission import Submission, SubmissionKind
from sandbox.base import PhaseResult, PhaseStatus

# Round figures so the cost arithmetic can be checked by hand (see test_costs_...).
TRAIN = {"wall_s": 3600.0, "cpu_s": 1800.0, "peak_memory_mb": 2048.0}
PREDICT = {"wall_s": 12.0, "cpu_s": 10.0, "peak_memory_mb": 512.0}
LATENCY = {"n": 200, "p50": 2.0, "p95": 5.0, "p99": 8.0, "mean": 3.6, "max": 11.0}
PRICES = CostModelSpec(cpu_hour_usd=0.048, gb_hour_usd=0.006)


@pytest.fixture(scope="module")
def prepared(churn_challenge: Challenge) -> PreparedData:
    return prepare_data(churn_challenge)


def with_budgets(
    challenge: Challenge, budgets: BudgetSpec, cost_model: CostModelSpec = PRICES
) -> Challenge:
    spec = challenge.spec.model_copy(update={"budgets": budgets, "cost_model": cost_model})
    return challenge.model_copy(update={"spec": spec})


def make_timings(**latency: float) -> dict[str, Any]:
    return {
        "load_s": 0.5,
        "batch_s": 0.25,
        "batch_rows": 3000,
        "throughput_rows_per_s": 12000.0,
        "latency_ms": {**LATENCY, **latency},
    }


def make_context(
    challenge: Challenge,
    prepared: PreparedData,
    phases: dict[str, PhaseResult] | None = None,
    timings: dict[str, Any] | None = None,
    predictions: Path | None = None,
) -> GradingContext:
    submission = Submission(
        id="abc", sha256="abc" * 20, kind=SubmissionKind.directory, source="x", label="x"
    )
    if phases is None:
        phases = {
            "train": PhaseResult(name="train", status=PhaseStatus.ok, **TRAIN),
            "predict": PhaseResult(name="predict", status=PhaseStatus.ok, **PREDICT),
        }
    return GradingContext(
        challenge,
        prepared,
        submission,
        phases,
        predictions,
        make_timings() if timings is None else timings,
    )


def grade(context: GradingContext, **args: Any) -> GradeResult:
    return graders.get("performance")(**args)(context)


def test_every_budget_met_earns_full_credit(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(
        churn_challenge,
        BudgetSpec(
            latency_p95_ms=5.0,  # exactly on budget counts as within
            latency_p50_ms=10,
            model_load_s=1,
            predict_peak_memory_mb=1024,
            train_wall_s=7200,
            train_peak_memory_mb=4096,
            training_cost_usd=1,
            cost_per_million_predictions_usd=1,
        ),
    )
    result = grade(make_context(challenge, prepared))
    assert result.status == "ok"
    assert result.score == 1.0
    assert [criterion.score for criterion in result.criteria] == [1.0] * 8
    assert result.flags == []
    assert result.summary.startswith("8 of 8 budgets met")
    assert "within budget" in result.criteria[0].evidence[0].text
    assert result.details["budgets"]["latency_p95_ms"] == 5.0
    assert result.details["measured"]["throughput_rows_per_s"] == 12000.0


def test_credit_curve() -> None:
    assert budget_credit(100, 100, 10) == 1.0
    assert budget_credit(50, 100, 10) == 1.0
    assert budget_credit(105, 100, 10) == pytest.approx(1 - math.log10(1.05))  # 0.979
    assert budget_credit(200, 100, 10) == pytest.approx(0.699, abs=1e-3)
    assert budget_credit(1000, 100, 10) == pytest.approx(0.0, abs=1e-12)
    assert budget_credit(5000, 100, 10) == 0.0
    assert budget_credit(200, 100, 4) == pytest.approx(0.5)


def test_five_percent_over_keeps_most_credit(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=5.0 / 1.05))
    result = grade(make_context(challenge, prepared))
    assert result.score == pytest.approx(0.9788, abs=1e-4)
    assert result.details["results"]["latency_p95_ms"]["ratio"] == pytest.approx(1.05)
    assert "1.05x the budget" in result.criteria[0].evidence[0].text
    assert result.flags == []


def test_ten_times_over_earns_nothing_and_is_flagged(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=0.5, model_load_s=1))
    result = grade(make_context(challenge, prepared))
    latency, load = result.criteria
    assert latency.score == pytest.approx(0.0, abs=1e-12)
    assert load.score == 1.0
    assert result.score == pytest.approx(0.5)
    assert result.flags == ["latency_p95_ms: p95 latency 5 ms is 10.0x its budget of 0.5 ms"]
    assert "worst latency_p95_ms at 10.00x budget" in result.summary


def test_three_times_over_is_flagged_just_under_is_not(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    # Train peak memory 2048 MiB against 682.67 MiB (3x) and 712 MiB (2.88x).
    flagged = grade(
        make_context(
            with_budgets(churn_challenge, BudgetSpec(train_peak_memory_mb=2048 / 3)), prepared
        )
    )
    assert flagged.score == pytest.approx(1 - math.log10(3))
    assert len(flagged.flags) == 1
    assert "train_peak_memory_mb" in flagged.flags[0]
    assert "2,048 MiB" in flagged.flags[0] and "682.7 MiB" in flagged.flags[0]
    not_flagged = grade(
        make_context(with_budgets(churn_challenge, BudgetSpec(train_peak_memory_mb=712)), prepared)
    )
    assert not_flagged.flags == []


def test_failed_training_leaves_every_budget_unmeasured(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(
        churn_challenge, BudgetSpec(train_wall_s=600, latency_p95_ms=100, training_cost_usd=1)
    )
    # A crash after two seconds is well within the wall-time budget, and earns nothing for it.
    phases = {"train": PhaseResult(name="train", status=PhaseStatus.error, wall_s=2.0, cpu_s=1.5)}
    result = grade(make_context(challenge, prepared, phases=phases, timings={}))
    assert result.score == 0.0
    outcomes = result.details["results"]
    assert outcomes["train_wall_s"]["measured"] == 2.0
    assert outcomes["train_wall_s"]["unmeasured"].startswith("the train phase ended with error")
    assert outcomes["latency_p95_ms"]["unmeasured"] == (
        "no predict phase ran (training did not complete)"
    )
    assert all(criterion.score == 0.0 for criterion in result.criteria)
    assert "3 unmeasured" in result.summary
    assert result.details["position"]["latency_p95_ms"] is None


def test_missing_driver_figures_are_unmeasured(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(
        churn_challenge, BudgetSpec(latency_p50_ms=100, predict_peak_memory_mb=1024)
    )
    result = grade(make_context(challenge, prepared, timings={"load_s": 0.1}))
    latency, memory = result.criteria
    assert latency.score == 0.0
    assert latency.evidence[0].text == "the predict driver reported no latency figures"
    assert memory.score == 1.0
    assert result.details["conditions"]["latency_samples"] is None


def test_costs_come_from_the_cost_model(churn_challenge: Challenge, prepared: PreparedData) -> None:
    # Training: 1800 CPU-s = 0.5 CPU-h at $0.048 = $0.024; 2 GiB held for 1 h = 2 GB-h at
    # $0.006 = $0.012; total $0.036.
    # A million predictions at a mean 3.6 ms = 3600 s = 1 CPU-h = $0.048, with 0.5 GiB held
    # for that hour = 0.5 GB-h = $0.003; total $0.051.
    challenge = with_budgets(
        churn_challenge,
        BudgetSpec(training_cost_usd=0.018, cost_per_million_predictions_usd=0.051),
    )
    result = grade(make_context(challenge, prepared))
    position = result.details["position"]
    assert position["training_cost_usd"] == pytest.approx(0.036)
    assert position["cost_per_million_predictions_usd"] == pytest.approx(0.051)
    assert position["latency_p95_ms"] == 5.0
    assert position["metric"] is None and position["metric_name"] == "roc_auc"
    training, per_million = result.criteria
    assert training.score == pytest.approx(1 - math.log10(2))  # 2x over
    assert "training cost $0.036 vs budget $0.018" in training.evidence[0].text
    assert per_million.score == 1.0
    assert result.details["cost_model"] == {"cpu_hour_usd": 0.048, "gb_hour_usd": 0.006}


def test_position_carries_the_metric(
    churn_challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    labels = pd.read_csv(prepared.labels_file, dtype={"customer_id": str})
    path = tmp_path / "predictions.csv"
    labels.rename(columns={"churned": "prediction"}).to_csv(path, index=False)
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=100))
    result = grade(make_context(challenge, prepared, predictions=path))
    assert result.details["position"]["metric"] == pytest.approx(1.0)
    assert result.details["measured"]["roc_auc"] == pytest.approx(1.0)


def test_no_budgets_is_a_spec_mistake(churn_challenge: Challenge, prepared: PreparedData) -> None:
    result = grade(make_context(with_budgets(churn_challenge, BudgetSpec()), prepared))
    assert result.status == "not_applicable"
    assert result.score == 0.0
    assert result.criteria == []
    assert "sets no budgets" in result.summary
    assert result.details["spec_problem"] == "no budgets set"
    assert result.details["position"]["cost_per_million_predictions_usd"] == pytest.approx(0.051)


def test_weights_from_grader_args(churn_challenge: Challenge, prepared: PreparedData) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=0.5, model_load_s=1))
    result = grade(make_context(challenge, prepared), weights={"model_load_s": 3})
    assert result.score == pytest.approx(0.75)  # (0 * 1 + 1 * 3) / 4
    assert result.details["results"]["model_load_s"]["weight"] == 3.0


def test_unknown_weight_name_says_did_you_mean() -> None:
    with pytest.raises(ChallengeError, match="Did you mean 'latency_p95_ms'"):
        performance(weights={"latency_p59_ms": 1})
    with pytest.raises(ChallengeError, match="must be a number >= 0"):
        performance(weights={"model_load_s": -1})


def test_few_latency_samples_get_a_note_not_a_flag(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=100))
    result = grade(make_context(challenge, prepared, timings=make_timings(n=20)))
    conditions = result.details["conditions"]
    assert conditions["latency_samples"] == 20
    assert "only 20 single-record calls" in conditions["notes"][0]
    assert result.flags == []
    many = grade(make_context(challenge, prepared))
    assert many.details["conditions"]["notes"] == []


def contended(
    share: float, calls: Any, p50: float = 2.0, p95: float = 2.5, timed: int = 200
) -> dict[str, Any]:
    """Driver timings where ``share`` of the calls waited for a CPU another task held."""
    timings = make_timings(p95=12.0, n=timed)  # all calls, the waiting ones included
    timings["latency_disturbed_fraction"] = share
    timings["latency_undisturbed_ms"] = {"n": calls, "p50": p50, "p95": p95}
    return timings


def test_latency_is_judged_on_the_calls_that_did_not_wait(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(
        churn_challenge, BudgetSpec(latency_p95_ms=5.0, latency_p50_ms=5.0, model_load_s=1)
    )
    busy = grade(make_context(challenge, prepared, timings=contended(0.4, 150)))
    p95 = busy.details["results"]["latency_p95_ms"]
    assert (p95["measured"], p95["all_calls"], p95["basis"]) == (2.5, 12.0, "undisturbed calls")
    assert busy.score == 1.0 and busy.flags == []
    evidence = [item.text for item in busy.criteria[0].evidence]
    assert "over the 150 calls that did not wait for a CPU" in evidence[0]
    assert "12 ms" in evidence[1] and "40% of them waited" in evidence[1]
    assert busy.details["results"]["latency_p50_ms"]["measured"] == 2.0
    assert busy.details["results"]["model_load_s"].get("basis") is None
    assert "latency budgets judge the 150 calls" in busy.details["conditions"]["notes"][0]

    # A little contention is judged the same way (no cliff below the busy-host note), and
    # a quiet host needs no note.
    for share in (0.05, 0.08):
        calm = grade(make_context(challenge, prepared, timings=contended(share, 185)))
        assert calm.details["results"]["latency_p95_ms"]["measured"] == 2.5
        assert calm.score == 1.0 and calm.details["conditions"]["notes"] == []


def test_too_few_undisturbed_calls_keep_all_calls_with_a_note(
    churn_challenge: Challenge, prepared: PreparedData
) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=5.0))
    result = grade(make_context(challenge, prepared, timings=contended(0.9, 12)))
    assert result.details["results"]["latency_p95_ms"]["measured"] == 12.0
    assert result.details["results"]["latency_p95_ms"]["basis"] == "all calls"
    assert "too few did not (12)" in result.details["conditions"]["notes"][0]
    assert result.flags == []  # 2.4x: under the flag ratio


@pytest.mark.parametrize(
    ("share", "calls"),
    [(0.4, 10**400), (0.4, -5), (0.4, 5000), (0.4, True), (0.4, "150"), (7.0, 150), (-0.1, 150)],
)
def test_implausible_driver_figures_are_not_trusted(
    churn_challenge: Challenge, prepared: PreparedData, share: float, calls: Any
) -> None:
    challenge = with_budgets(churn_challenge, BudgetSpec(latency_p95_ms=5.0))
    result = grade(make_context(challenge, prepared, timings=contended(share, calls)))
    measured = result.details["measured"]
    if not 0 <= share <= 1:
        assert measured["latency_disturbed_fraction"] is None
    else:
        assert measured["latency_undisturbed_calls"] is None
        assert result.details["results"]["latency_p95_ms"]["basis"] == "all calls"
    assert all(
        value is None or (isinstance(value, float | int) and abs(value) < 1e300)
        for value in measured.values()
    )


def test_every_budget_in_the_spec_is_graded() -> None:
    assert set(BUDGET_NAMES) == set(BudgetSpec.model_fields) - {"blowup_factor"}
