"""Correctness: the challenge metric on the hidden evaluation set, mapped to credit."""

from __future__ import annotations

import pandas as pd

from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.metrics import credit, get_metric
from graders.predictions import check_predictions

NAME = "correctness"


@grader(NAME)
def correctness() -> Grader:
    """Score predictions against the hidden labels (read on the host only)."""

    def grade(context: GradingContext) -> GradeResult:
        spec = context.challenge.spec
        metric = get_metric(spec.task.metric)
        baseline, target = spec.thresholds.baseline, spec.thresholds.target
        details: dict[str, object] = {
            "metric": metric.name,
            "baseline": baseline,
            "target": target,
            "value": None,
        }
        if context.predictions_file is None:
            failed = [phase for phase in context.phases.values() if phase.status != "ok"]
            reason = (
                f"no predictions: the {failed[0].name} phase ended with {failed[0].status.value}"
                if failed
                else "no predictions were produced"
            )
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
        labels = pd.read_csv(context.data.labels_file, dtype={spec.task.id_column: str})
        truth = labels[spec.task.target_column]
        classes = (
            sorted(truth.astype(str).unique().tolist()) if metric.prediction == "label" else None
        )
        check = check_predictions(
            context.predictions_file,
            labels[spec.task.id_column],
            spec.task.id_column,
            metric,
            classes,
        )
        if not check.ok or check.values is None:
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                summary=f"predictions rejected: {check.reason}",
                details={**details, "rejected": check.reason},
                criteria=[
                    Criterion(
                        name="valid predictions",
                        score=0.0,
                        evidence=[Evidence(kind="text", text=check.reason)],
                    )
                ],
            )
        truth_values = (
            truth.astype(str).to_numpy() if metric.prediction == "label" else truth.to_numpy()
        )
        try:
            value = metric.compute(truth_values, check.values)
        except ValueError as error:
            reason = f"{metric.name} cannot be computed: {error}"
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                summary=reason,
                details={**details, "rejected": reason},
            )
        earned = credit(value, baseline, target)
        details.update(value=value, credit=earned, rows=len(truth))
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
                text=f"{metric.name} = {value:.4f} on {len(truth)} hidden rows",
                source="hidden evaluation set",
            ),
            Evidence(
                kind="number",
                text=f"baseline {baseline:g} -> 0 credit, target {target:g} -> full credit",
            ),
        ]
        return GradeResult(
            grader=NAME,
            score=earned,
            weight=0.0,
            summary=f"{metric.name} {value:.4f}: {position} ({earned:.0%} credit)",
            criteria=[
                Criterion(
                    name="valid predictions",
                    score=1.0,
                    evidence=[Evidence(kind="text", text="ids, row count and values check out")],
                ),
                Criterion(name=f"{metric.name} vs thresholds", score=earned, evidence=evidence),
            ],
            details=details,
        )

    return grade
