"""Performance: latency, memory, time and cost against the challenge's budgets.

The figures come from ``graders.measure``: single-record latency percentiles, batch
throughput and model load time from the harness-owned predict driver; wall time, CPU
time and peak memory per phase from the sandbox; training cost and the cost of a
million predictions from the challenge's cost model. This grader only judges them.

Each budget set in ``challenge.yaml`` becomes a criterion. Within budget earns full
credit; past it, credit falls with the log of the overrun and reaches zero at
``budgets.blowup_factor`` (10 by default)::

    credit = 1                                          if measured <= budget
    credit = max(0, 1 - ln(measured / budget) / ln(blowup_factor))   otherwise

so 5% over keeps 0.98, 2x over keeps 0.70, 3x keeps 0.52 and 10x over earns nothing:
missing a budget by a little is a tuning matter, blowing it by an order of magnitude is
a design problem. The grade is the weighted mean of the criteria.

A budget whose figure could not be measured, or was measured on a phase that did not
complete (a crash after two seconds says nothing about training time), scores 0 with
that reason. A budget blown by 3x or more is also a red flag naming both figures.

Latency and the host: the predict driver also reports, per timed call, how long it waited
for a CPU another task held. When at least ``MIN_UNDISTURBED_CALLS`` calls did not wait,
the latency budgets judge the percentiles of those calls (what the predictor costs on a
free CPU), so a grading does not depend on what else the host was doing; on a quiet host
the two figures agree. The evidence gives both and ``results.<budget>.basis`` says which
was judged. Two caveats, stated to the assessor by the all-calls figure beside it: a
longer call is likelier to be preempted, so on a very busy host the undisturbed p95 can
read somewhat low; and the wait is counted whoever held the CPU, so a predictor whose own
threads compete with its calls is judged on its undisturbed calls too. With fewer
undisturbed calls (or a kernel that does not report waits) all calls are judged. The
mean-latency cost figure is not adjusted.

``details`` holds ``position`` (metric, p95 latency and costs, for the accuracy /
latency / cost tradeoff plot), every ``measured`` figure, the ``budgets``, the outcome
per budget in ``results``, the ``cost_model`` and the measurement ``conditions``
(latency sample count, CPU quota per phase, a note when few calls were timed).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.measure import Measurements, measure
from harness.errors import ChallengeError
from sandbox.base import PhaseStatus

NAME = "performance"
FLAG_RATIO = 3.0
"""A budget blown by this factor or more is a red flag."""
ON_BUDGET_TOLERANCE = 1e-9
"""Relative slack so a computed figure that equals its budget up to rounding counts as met."""
FEW_LATENCY_SAMPLES = 50
"""Below this many timed calls, p95 and p99 rest on a handful of samples."""
CONTENDED_SHARE = 0.10
"""From this share of timed calls waiting for a CPU the conditions call the host busy."""
MIN_UNDISTURBED_CALLS = 30
"""Fewest calls that did not wait for their percentiles to be judged instead of all calls'."""
UNDISTURBED = {
    "latency_p95_ms": "latency_undisturbed_p95_ms",
    "latency_p50_ms": "latency_undisturbed_p50_ms",
}


@dataclass(frozen=True)
class _Budget:
    """How one ``BudgetSpec`` field is measured and shown."""

    name: str
    label: str
    unit: Literal["ms", "s", "MiB", "USD"]
    phase: Literal["train", "predict"]
    source: str
    missing: str
    """Why the figure is absent when its phase completed."""


_DRIVER = "predict driver, single-record calls after warm-up"
BUDGETS: tuple[_Budget, ...] = (
    _Budget(
        "latency_p95_ms",
        "p95 latency",
        "ms",
        "predict",
        _DRIVER,
        "the predict driver reported no latency figures",
    ),
    _Budget(
        "latency_p50_ms",
        "median latency",
        "ms",
        "predict",
        _DRIVER,
        "the predict driver reported no latency figures",
    ),
    _Budget(
        "model_load_s",
        "model load time",
        "s",
        "predict",
        "predict driver, load(model_dir)",
        "the predict driver reported no load time",
    ),
    _Budget(
        "predict_peak_memory_mb",
        "predict peak memory",
        "MiB",
        "predict",
        "sandbox, predict phase",
        "the sandbox reported no peak memory for the predict phase",
    ),
    _Budget(
        "train_wall_s",
        "training wall time",
        "s",
        "train",
        "sandbox, train phase",
        "the sandbox reported no wall time for the train phase",
    ),
    _Budget(
        "train_peak_memory_mb",
        "training peak memory",
        "MiB",
        "train",
        "sandbox, train phase",
        "the sandbox reported no peak memory for the train phase",
    ),
    _Budget(
        "training_cost_usd",
        "training cost",
        "USD",
        "train",
        "cost model: train CPU time and memory",
        "the sandbox reported no CPU time for the train phase",
    ),
    _Budget(
        "cost_per_million_predictions_usd",
        "cost per million predictions",
        "USD",
        "predict",
        "cost model: mean single-record latency and predict memory",
        "the predict driver reported no mean latency",
    ),
)
BUDGET_NAMES = tuple(budget.name for budget in BUDGETS)


def budget_credit(measured: float, budget: float, blowup_factor: float) -> float:
    """Full credit within budget, then falling with the log of the overrun; none at
    ``blowup_factor`` times the budget or beyond."""
    if measured <= budget * (1 + ON_BUDGET_TOLERANCE):
        return 1.0
    return max(0.0, 1.0 - math.log(measured / budget) / math.log(blowup_factor))


def _format(value: float, unit: str) -> str:
    """Positional notation throughout: report readers compare these by eye."""
    if unit == "USD":
        if abs(value) >= 1:
            return f"${value:,.2f}"
        return "$" + np.format_float_positional(value, precision=3, fractional=False, trim="-")
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.4g} {unit}"


def _unmeasured_reason(budget: _Budget, context: GradingContext) -> str:
    """Why ``budget`` has no usable figure, or "" when the figure can be trusted."""
    phase = context.phases.get(budget.phase)
    if phase is None:
        if budget.phase == "predict" and context.phases.get("train") is not None:
            return "no predict phase ran (training did not complete)"
        return f"no {budget.phase} phase ran"
    if phase.status is not PhaseStatus.ok:
        return (
            f"the {budget.phase} phase ended with {phase.status.value}, "
            f"so its {budget.label} is not that of a complete run"
        )
    return ""


def _latency_samples(timings: Mapping[str, Any]) -> int | None:
    latency = timings.get("latency_ms")
    count = latency.get("n") if isinstance(latency, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _check_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ChallengeError(
            f"graders[{NAME}].args.weights: expected a mapping of budget name to weight, "
            f"got {type(weights).__name__}",
            hint=f"e.g. weights: {{latency_p95_ms: 2, training_cost_usd: 1}}; budgets: "
            f"{', '.join(BUDGET_NAMES)}",
        )
    checked: dict[str, float] = {}
    for name, weight in weights.items():
        if name not in BUDGET_NAMES:
            close = difflib.get_close_matches(str(name), BUDGET_NAMES, n=1)
            suggestion = f" Did you mean {close[0]!r}?" if close else ""
            raise ChallengeError(
                f"graders[{NAME}].args.weights.{name}: not a budget.{suggestion}",
                hint=f"Budgets: {', '.join(BUDGET_NAMES)}.",
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ChallengeError(
                f"graders[{NAME}].args.weights.{name}: must be a number >= 0, got {weight!r}"
            )
        checked[name] = float(weight)
    return checked


@grader(NAME)
def performance(weights: Mapping[str, Any] | None = None) -> Grader:
    """Score latency, memory, time and cost against the challenge's budgets.

    Args:
        weights: relative weight per budget name (default 1 each), e.g.
            ``{latency_p95_ms: 2}``. Weights of budgets the challenge does not set are
            ignored.

    A challenge that lists this grader but sets no budget is a spec mistake. The grade
    is then ``not_applicable`` with score 0 and a summary that says so: a grader that
    judged nothing awards nothing. Full credit instead would hand performance points to
    a submission that crashed in training and make "no budgets" indistinguishable from
    "every budget met" in the total. The zero costs every candidate of the challenge
    the same, so rankings are unchanged; the pipeline keeps the weight from the spec.

    Raises:
        ChallengeError: ``weights`` names an unknown budget or holds a negative weight.
    """
    budget_weights = _check_weights(weights)

    def grade(context: GradingContext) -> GradeResult:
        spec = context.challenge.spec
        measured = measure(context)
        figures = measured.figures()
        budgets = spec.budgets
        timings = context.timings or {}
        samples = _latency_samples(timings)
        details: dict[str, Any] = {
            "position": _position(measured, spec.task.metric),
            "measured": figures,
            "budgets": {
                name: getattr(budgets, name)
                for name in BUDGET_NAMES
                if getattr(budgets, name) is not None
            },
            "blowup_factor": budgets.blowup_factor,
            "cost_model": spec.cost_model.model_dump(),
            "conditions": _conditions(context, samples, measured),
        }
        set_budgets = [budget for budget in BUDGETS if getattr(budgets, budget.name) is not None]
        if not set_budgets:
            details["spec_problem"] = "no budgets set"
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                status="not_applicable",
                summary=f"{context.challenge.id}: challenge.yaml lists the performance grader "
                "but sets no budgets: nothing to judge (fix the challenge: add budgets or drop "
                "the grader)",
                details=details,
            )

        criteria: list[Criterion] = []
        flags: list[str] = []
        outcomes: dict[str, dict[str, Any]] = {}
        for budget in set_budgets:
            limit: float = getattr(budgets, budget.name)
            value: float | None = getattr(measured, budget.name)
            undisturbed = _undisturbed_figure(measured, budget.name)
            all_calls = value
            if undisturbed is not None:
                value = undisturbed
            weight = budget_weights.get(budget.name, 1.0)
            reason = _unmeasured_reason(budget, context) or (
                budget.missing if value is None else ""
            )
            outcome: dict[str, Any] = {
                "budget": limit,
                "measured": value,
                "ratio": None,
                "score": 0.0,
                "weight": weight,
                "unit": budget.unit,
            }
            if budget.name in UNDISTURBED:
                outcome["basis"] = "undisturbed calls" if undisturbed is not None else "all calls"
                if undisturbed is not None:
                    outcome["all_calls"] = all_calls
            if reason or value is None:
                outcome["unmeasured"] = reason
                evidence = [Evidence(kind="text", text=reason, source=budget.source)]
                score = 0.0
            else:
                ratio = value / limit
                score = budget_credit(value, limit, budgets.blowup_factor)
                outcome.update(ratio=ratio, score=score)
                verdict = "within budget" if score >= 1.0 else f"{ratio:.2f}x the budget"
                basis = ""
                if undisturbed is not None:
                    basis = (
                        f" over the {measured.latency_undisturbed_calls:.0f} calls that did "
                        "not wait for a CPU"
                    )
                evidence = [
                    Evidence(
                        kind="number",
                        text=f"{budget.label} {_format(value, budget.unit)}{basis} vs budget "
                        f"{_format(limit, budget.unit)}: {verdict} (ratio {ratio:.3f})",
                        source=budget.source,
                    )
                ]
                if undisturbed is not None and all_calls is not None:
                    evidence.append(
                        Evidence(
                            kind="number",
                            text=f"all timed calls: {budget.label} {_format(all_calls, budget.unit)}; "
                            f"{_percent(measured.latency_disturbed_fraction)} of them waited while "
                            "another task held the CPU, so the calls that did not wait are judged",
                            source=budget.source,
                        )
                    )
                if ratio >= FLAG_RATIO:
                    flags.append(
                        f"{budget.name}: {budget.label} {_format(value, budget.unit)} is "
                        f"{ratio:.1f}x its budget of {_format(limit, budget.unit)}"
                    )
            outcomes[budget.name] = outcome
            criteria.append(
                Criterion(name=f"budget: {budget.name}", score=score, evidence=evidence)
            )

        total_weight = sum(outcome["weight"] for outcome in outcomes.values())
        if total_weight <= 0:
            raise ChallengeError(
                f"graders[{NAME}].args.weights: every budget the challenge sets has weight 0",
                hint="Give at least one of " + ", ".join(outcomes) + " a positive weight.",
            )
        score = (
            sum(outcome["score"] * outcome["weight"] for outcome in outcomes.values())
            / total_weight
        )
        details["results"] = outcomes
        return GradeResult(
            grader=NAME,
            score=min(1.0, max(0.0, score)),
            weight=0.0,
            summary=_summary(outcomes, score),
            criteria=criteria,
            details=details,
            flags=flags,
        )

    return grade


def _undisturbed_figure(measured: Measurements, name: str) -> float | None:
    """The undisturbed-call percentile to judge instead of ``name``'s all-calls figure,
    when enough calls did not wait for a CPU; else None."""
    if name not in UNDISTURBED:
        return None
    calls = measured.latency_undisturbed_calls
    if calls is None or calls < MIN_UNDISTURBED_CALLS:
        return None
    figure: float | None = getattr(measured, UNDISTURBED[name])
    return figure


def _percent(share: float | None) -> str:
    return "an unknown share" if share is None else f"{share:.0%}"


def _position(measured: Measurements, metric_name: str) -> dict[str, Any]:
    """Where the submission sits for the accuracy / latency / cost tradeoff plot."""
    return {
        "metric": measured.metric.overall.value if measured.metric is not None else None,
        "metric_name": metric_name,
        "latency_p95_ms": measured.latency_p95_ms,
        "cost_per_million_predictions_usd": measured.cost_per_million_predictions_usd,
        "training_cost_usd": measured.training_cost_usd,
    }


def _conditions(
    context: GradingContext, samples: int | None, measured: Measurements
) -> dict[str, Any]:
    """How the figures were taken, so a reader can judge how far to trust them."""
    spec = context.challenge.spec
    notes: list[str] = []
    share, calls = measured.latency_disturbed_fraction, measured.latency_undisturbed_calls
    if share is not None and share >= CONTENDED_SHARE:
        if calls is not None and calls >= MIN_UNDISTURBED_CALLS:
            notes.append(
                f"the host was busy: {share:.0%} of the timed calls waited for a CPU another "
                f"task held; latency budgets judge the {calls:.0f} calls that did not"
            )
        else:
            notes.append(
                f"the host was busy: {share:.0%} of the timed calls waited for a CPU another "
                f"task held and too few did not ({calls or 0:.0f}) to judge them alone: the "
                "latency figures include that wait"
            )
    if samples is not None and samples < FEW_LATENCY_SAMPLES:
        notes.append(
            f"only {samples} single-record calls were timed: p95 and p99 rest on a few "
            "samples and vary from run to run"
        )
    batch_rows = context.timings.get("batch_rows") if context.timings else None
    return {
        "latency_samples": samples,
        "warmup_calls": spec.contract.warmup_calls,
        "batch_rows": batch_rows if isinstance(batch_rows, int) else None,
        "train_cpus": spec.limits.train.cpus,
        "predict_cpus": spec.limits.predict.cpus,
        "latency_disturbed_fraction": share,
        "notes": notes,
    }


def _summary(outcomes: dict[str, dict[str, Any]], score: float) -> str:
    met = [name for name, outcome in outcomes.items() if outcome["score"] >= 1.0]
    unmeasured = [name for name, outcome in outcomes.items() if "unmeasured" in outcome]
    over = {
        name: outcome["ratio"]
        for name, outcome in outcomes.items()
        if outcome["ratio"] is not None and outcome["score"] < 1.0
    }
    parts = [f"{len(met)} of {len(outcomes)} budgets met"]
    if over:
        worst = max(over, key=lambda name: over[name])
        parts.append(f"worst {worst} at {over[worst]:.2f}x budget")
    if unmeasured:
        parts.append(f"{len(unmeasured)} unmeasured ({outcomes[unmeasured[0]]['unmeasured']})")
    return f"{'; '.join(parts)} ({score:.0%} credit)"
