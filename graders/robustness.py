"""Robustness: does the service survive a drifted, partly corrupted production feed?

For a challenge whose hidden labels carry a flag column (``task.flag_column``: 1 for rows
a service should refuse, such as corrupted input), this grader judges four things, each a
criterion with its evidence:

- ``survives drifted input``: the predict phase ran to the end on the hidden feed (renamed,
  reordered and extra columns, garbage values) and produced a readable predictions file.
  A crash, timeout or memory kill scores 0 and names the step that failed.
- ``valid rows predicted``: the share of valid rows (flag 0) that got a finite prediction.
  Declining a valid row (flagging it without a number) costs its share; predictions the
  harness rejects (e.g. a NaN on a row that was not flagged) score 0.
- ``flagging``: F1 of the candidate's ``flagged`` column against the flag column, with
  the counts, precision, recall and example ids of missed and false flags. Flagging
  nothing scores 0; flagging everything scores the F1 of that (low when bad rows are rare).
- ``drift slices``: the metric on the slices that stress drift (``drift_slices``, default
  every measured slice) against the overall metric. A slice no worse than ``tolerance``
  times the overall value (the inverse for higher-is-better metrics) earns full credit;
  past it, credit falls with the log of the ratio and reaches 0 at ``blowup`` times::

      credit = 1                                                     if ratio <= tolerance
      credit = max(0, 1 - ln(ratio / tolerance) / ln(blowup / tolerance))   otherwise

The grade is the weighted mean of the criteria (``weights``). A challenge without a flag
column is ``not_applicable``: there is nothing to judge flags against.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.measure import Measurements, measure
from harness.errors import ChallengeError
from sandbox.base import PhaseStatus

NAME = "robustness"
SURVIVES = "survives drifted input"
VALID_ROWS = "valid rows predicted"
FLAGGING = "flagging"
DRIFT_SLICES = "drift slices"
CRITERIA = (SURVIVES, VALID_ROWS, FLAGGING, DRIFT_SLICES)
DEFAULT_WEIGHTS: dict[str, float] = {
    SURVIVES: 0.3,
    VALID_ROWS: 0.2,
    FLAGGING: 0.3,
    DRIFT_SLICES: 0.2,
}
EXAMPLE_IDS = 3
"""Ids shown per kind of flagging mistake."""


def _check_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    checked = dict(DEFAULT_WEIGHTS)
    for name, weight in (weights or {}).items():
        if name not in CRITERIA:
            close = difflib.get_close_matches(str(name), CRITERIA, n=1)
            raise ChallengeError(
                f"grader {NAME}: weights: unknown criterion {name!r}"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                hint=f"Criteria: {', '.join(CRITERIA)}.",
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ChallengeError(f"grader {NAME}: weights[{name!r}]: must be a number >= 0")
        checked[name] = float(weight)
    if sum(checked.values()) <= 0:
        raise ChallengeError(f"grader {NAME}: weights: must not all be zero")
    return checked


def slice_credit(ratio: float, tolerance: float, blowup: float) -> float:
    """Credit for a slice whose metric is ``ratio`` times worse than the overall metric."""
    if not math.isfinite(ratio):
        return 0.0
    if ratio <= tolerance:
        return 1.0
    return max(0.0, 1.0 - math.log(ratio / tolerance) / math.log(blowup / tolerance))


def _failed_phase(context: GradingContext) -> tuple[str, str] | None:
    """(phase, explanation) of the first phase that kept predictions from being made."""
    for name in ("train", "predict"):
        phase = context.phases.get(name)
        if phase is not None and phase.status is not PhaseStatus.ok:
            detail = phase.message or (phase.log_tail.strip().splitlines() or [""])[-1]
            text = f"the {name} phase ended with {phase.status.value}"
            return name, f"{text}: {detail}" if detail else text
    if "predict" not in context.phases:
        return "predict", "the predict phase did not run"
    return None


def _survives(context: GradingContext, measured: Measurements) -> Criterion:
    failed = _failed_phase(context)
    if failed is not None:
        phase, explanation = failed
        return Criterion(
            name=SURVIVES,
            score=0.0,
            evidence=[Evidence(kind="text", text=explanation, source=phase)],
        )
    if context.predictions_file is None:
        return Criterion(
            name=SURVIVES,
            score=0.0,
            evidence=[Evidence(kind="text", text="the predict phase wrote no predictions")],
        )
    text = "predict completed on the drifted hidden feed, in batch and on single rows"
    if measured.should_flag is not None:
        text = (
            f"predict completed on all {len(measured.should_flag)} rows of the drifted hidden "
            "feed, in batch and on single rows"
        )
    return Criterion(
        name=SURVIVES,
        score=1.0,
        evidence=[Evidence(kind="text", text=text, source="predict phase")],
    )


def _valid_rows(measured: Measurements) -> Criterion:
    if measured.should_flag is None or measured.flagged is None:
        reason = measured.prediction_problem or "no predictions"
        return Criterion(name=VALID_ROWS, score=0.0, evidence=[Evidence(kind="text", text=reason)])
    valid = int((~measured.should_flag).sum())
    declined = measured.declined_valid_rows
    predicted = valid - declined
    score = predicted / valid if valid else 1.0
    text = f"{predicted} of {valid} valid rows got a finite prediction"
    if declined:
        text += f"; {declined} valid rows were flagged and left without one"
    return Criterion(
        name=VALID_ROWS,
        score=score,
        evidence=[Evidence(kind="number", text=text, source="predictions")],
    )


def _examples(ids: np.ndarray[Any, Any] | None, mask: np.ndarray[Any, Any]) -> str:
    if ids is None or not mask.any():
        return ""
    shown = ", ".join(str(identifier) for identifier in ids[mask][:EXAMPLE_IDS])
    more = int(mask.sum()) - EXAMPLE_IDS
    return f" (e.g. {shown}{f' and {more} more' if more > 0 else ''})"


def flag_counts(flagged: np.ndarray[Any, Any], should_flag: np.ndarray[Any, Any]) -> dict[str, Any]:
    """Confusion counts, precision, recall and F1 of ``flagged`` against ``should_flag``."""
    hits = int((flagged & should_flag).sum())
    false_flags = int((flagged & ~should_flag).sum())
    missed = int((~flagged & should_flag).sum())
    precision = hits / (hits + false_flags) if hits + false_flags else None
    recall = hits / (hits + missed) if hits + missed else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else 0.0
    )
    return {
        "hits": hits,
        "false_flags": false_flags,
        "missed": missed,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _flagging(measured: Measurements, details: dict[str, Any]) -> Criterion:
    flagged, should_flag = measured.flagged, measured.should_flag
    if flagged is None or should_flag is None:
        reason = measured.prediction_problem or "no predictions"
        return Criterion(name=FLAGGING, score=0.0, evidence=[Evidence(kind="text", text=reason)])
    counts = flag_counts(flagged, should_flag)
    details["flagging"] = counts
    wanted = int(should_flag.sum())
    if wanted == 0:
        # Nothing to catch: only false alarms can be judged.
        score = 1.0 if counts["false_flags"] == 0 else 0.0
        text = f"no row should be flagged; {counts['false_flags']} were"
        return Criterion(name=FLAGGING, score=score, evidence=[Evidence(kind="number", text=text)])

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    evidence = [
        Evidence(
            kind="number",
            text=f"F1 {counts['f1']:.3f}: precision {share(counts['precision'])}, "
            f"recall {share(counts['recall'])}; {counts['hits']} of {wanted} bad rows flagged",
            source="flagged column vs hidden flag column",
        )
    ]
    if counts["missed"]:
        evidence.append(
            Evidence(
                kind="location",
                text=f"{counts['missed']} bad rows not flagged"
                + _examples(measured.hidden_ids, ~flagged & should_flag),
                source="missed flags",
            )
        )
    if counts["false_flags"]:
        evidence.append(
            Evidence(
                kind="location",
                text=f"{counts['false_flags']} valid rows flagged"
                + _examples(measured.hidden_ids, flagged & ~should_flag),
                source="false flags",
            )
        )
    return Criterion(name=FLAGGING, score=counts["f1"], evidence=evidence)


def _drift(
    measured: Measurements,
    drift_slices: Sequence[str] | None,
    tolerance: float,
    blowup: float,
    descriptions: Mapping[str, str],
    details: dict[str, Any],
) -> Criterion:
    metric = measured.metric
    if metric is None:
        reason = measured.prediction_problem or "no metric"
        return Criterion(
            name=DRIFT_SLICES, score=0.0, evidence=[Evidence(kind="text", text=reason)]
        )
    names = list(drift_slices) if drift_slices is not None else sorted(metric.slices)
    overall = metric.overall.value
    outcomes: dict[str, dict[str, Any]] = {}
    evidence = []
    credits = []
    for name in names:
        estimate = metric.slices.get(name)
        if estimate is None:
            outcomes[name] = {"value": None, "ratio": None, "credit": None}
            evidence.append(
                Evidence(
                    kind="text",
                    text=f"{name}: not measured (no valid rows or undefined there)",
                    source=descriptions.get(name, name),
                )
            )
            continue
        worse, better = (
            (overall, estimate.value) if metric.higher_is_better else (estimate.value, overall)
        )
        ratio = worse / better if better > 0 else (1.0 if worse <= 0 else math.inf)
        earned = slice_credit(ratio, tolerance, blowup)
        credits.append(earned)
        outcomes[name] = {"value": estimate.value, "ratio": ratio, "credit": earned}
        evidence.append(
            Evidence(
                kind="number",
                text=f"{name}: {metric.name} {estimate.value:.4f} on {estimate.rows} rows vs "
                f"{overall:.4f} overall ({ratio:.2f}x, {earned:.0%} credit)",
                source=descriptions.get(name, name),
            )
        )
    details["drift_slices"] = {
        "overall": overall,
        "tolerance": tolerance,
        "blowup": blowup,
        "slices": outcomes,
    }
    if not credits:
        evidence.append(Evidence(kind="text", text="no drift slice could be measured"))
        return Criterion(name=DRIFT_SLICES, score=0.0, evidence=evidence)
    return Criterion(name=DRIFT_SLICES, score=sum(credits) / len(credits), evidence=evidence)


@grader(NAME)
def robustness(
    drift_slices: Sequence[str] | None = None,
    tolerance: float = 1.5,
    blowup: float = 3.0,
    weights: Mapping[str, Any] | None = None,
) -> Grader:
    """Judge survival, valid predictions, flagging and drift slices on the hidden feed.

    Args:
        drift_slices: slices compared with the overall metric (default: every measured
            slice). Name only slices where the same model should do about as well.
        tolerance: ratio of slice to overall metric (worse direction) still earning full
            credit; slices of a different mix legitimately differ a little.
        blowup: ratio at which a slice earns nothing.
        weights: relative weight per criterion, e.g. ``{"flagging": 2}``.

    Raises:
        ChallengeError: ``tolerance`` < 1, ``blowup`` <= ``tolerance``, or ``weights``
            names an unknown criterion or holds a negative weight.
    """
    if not tolerance >= 1.0:
        raise ChallengeError(f"grader {NAME}: tolerance: must be >= 1, got {tolerance}")
    if not blowup > tolerance:
        raise ChallengeError(
            f"grader {NAME}: blowup: must be above tolerance ({tolerance}), got {blowup}"
        )
    criterion_weights = _check_weights(weights)

    def grade(context: GradingContext) -> GradeResult:
        spec = context.challenge.spec
        if spec.task.flag_column is None:
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                status="not_applicable",
                summary=f"{context.challenge.id} has no flag column (task.flag_column): "
                "there are no bad rows to judge flagging against",
            )
        measured = measure(context)
        details: dict[str, Any] = {
            "flag_column": spec.task.flag_column,
            "weights": criterion_weights,
            "declined_valid_rows": measured.declined_valid_rows,
        }
        descriptions = {slice_spec.name: slice_spec.description for slice_spec in spec.slices}
        unknown = [name for name in drift_slices or () if name not in descriptions]
        if unknown:
            raise ChallengeError(
                f"{context.challenge.spec_file}: graders: {NAME}: drift_slices: "
                f"not slices of the challenge: {', '.join(unknown)}",
                hint=f"Slices: {', '.join(descriptions) or 'none'}.",
            )
        criteria = [
            _survives(context, measured),
            _valid_rows(measured),
            _flagging(measured, details),
            _drift(measured, drift_slices, tolerance, blowup, descriptions, details),
        ]
        total = sum(criterion_weights.values())
        score = sum(criterion.score * criterion_weights[criterion.name] for criterion in criteria)
        score = round(score / total, 4)
        flags = []
        survived = criteria[0].score >= 1.0
        if not survived:
            flags.append(
                f"the service did not survive the drifted feed: {criteria[0].evidence[0].text}"
            )
        counts = details.get("flagging")
        if survived and isinstance(counts, dict) and counts["hits"] == 0 and counts["missed"]:
            flags.append(f"no bad row was flagged ({counts['missed']} should have been)")
        summary = (
            "; ".join(f"{criterion.name} {criterion.score:.0%}" for criterion in criteria)
            if survived
            else criteria[0].evidence[0].text
        )
        return GradeResult(
            grader=NAME,
            score=score,
            weight=0.0,
            summary=summary,
            criteria=criteria,
            details=details,
            flags=flags,
        )

    return grade
