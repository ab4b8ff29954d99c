"""Correctness: the challenge metric on the hidden evaluation set, mapped to credit.

The metric, its bootstrap confidence interval and the per-slice values come
from ``graders.measure``; this grader turns them into credit between the
challenge's baseline (0) and target (1) and lays out the evidence.
"""

from __future__ import annotations

from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.measure import BOOTSTRAP_RESAMPLES, Estimate, measure
from graders.metrics import credit

NAME = "correctness"


def _interval(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return ""
    return f" (95% CI {estimate.low:.4f} to {estimate.high:.4f})"


@grader(NAME)
def correctness(bootstrap: int = BOOTSTRAP_RESAMPLES) -> Grader:
    """Score predictions against the hidden labels (read on the host only).

    Args:
        bootstrap: bootstrap resamples for confidence intervals (0 turns them off).
    """

    def grade(context: GradingContext) -> GradeResult:
        spec = context.challenge.spec
        baseline, target = spec.thresholds.baseline, spec.thresholds.target
        measured = measure(context, bootstrap)
        details: dict[str, object] = {
            "metric": spec.task.metric,
            "baseline": baseline,
            "target": target,
            "value": None,
        }
        if measured.metric is None:
            reason = measured.prediction_problem or "no predictions"
            if reason.startswith("predictions rejected: "):
                details["rejected"] = reason.removeprefix("predictions rejected: ")
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                summary=reason,
                details=details,
                criteria=[
                    Criterion(
                        name="valid predictions",
                        score=0.0,
                        evidence=[Evidence(kind="text", text=reason)],
                    )
                ],
            )
        metric = measured.metric
        overall = metric.overall
        earned = credit(overall.value, baseline, target)
        details.update(
            value=overall.value,
            ci_low=overall.low,
            ci_high=overall.high,
            credit=earned,
            rows=overall.rows,
            slices={
                name: {
                    "value": estimate.value,
                    "ci_low": estimate.low,
                    "ci_high": estimate.high,
                    "rows": estimate.rows,
                }
                for name, estimate in metric.slices.items()
            },
        )
        position = (
            "clears the target"
            if earned >= 1.0
            else "does not beat the baseline"
            if earned <= 0.0
            else "between baseline and target"
        )
        evidence = [
            Evidence(
                kind="number",
                text=f"{metric.name} = {overall.value:.4f}{_interval(overall)} on {overall.rows} hidden rows",
                source="hidden evaluation set",
            ),
            Evidence(
                kind="number",
                text=f"baseline {baseline:g} -> 0 credit, target {target:g} -> full credit",
            ),
        ]
        if measured.should_flag is not None:
            left_out = int(measured.should_flag.sum())
            evidence.append(
                Evidence(
                    kind="number",
                    text=f"{left_out} rows the service should flag ({spec.task.flag_column}) are "
                    "left out of the metric; flagging is judged separately",
                )
            )
        if measured.declined_valid_rows:
            evidence.append(
                Evidence(
                    kind="number",
                    text=f"{measured.declined_valid_rows} valid rows were flagged without a "
                    "prediction; each is scored as a trivial answer (the median of the truth)",
                )
            )
            details["declined_valid_rows"] = measured.declined_valid_rows
        criteria = [
            Criterion(
                name="valid predictions",
                score=1.0,
                evidence=[Evidence(kind="text", text="ids, row count and values check out")],
            ),
            Criterion(name=f"{metric.name} vs thresholds", score=earned, evidence=evidence),
        ]
        descriptions = {slice_spec.name: slice_spec.description for slice_spec in spec.slices}
        for name, estimate in metric.slices.items():
            criteria.append(
                Criterion(
                    name=f"slice: {name}",
                    score=credit(estimate.value, baseline, target),
                    evidence=[
                        Evidence(
                            kind="number",
                            text=f"{metric.name} = {estimate.value:.4f}{_interval(estimate)} on {estimate.rows} rows",
                            source=descriptions.get(name, name),
                        )
                    ],
                )
            )
        return GradeResult(
            grader=NAME,
            score=earned,
            weight=0.0,
            summary=f"{metric.name} {overall.value:.4f}{_interval(overall)}: {position} ({earned:.0%} credit)",
            criteria=criteria,
            details=details,
        )

    return grade
