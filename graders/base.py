"""What a grader receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from challenges.data import PreparedData
from challenges.loader import Challenge
from harness.submission import Submission
from sandbox.base import PhaseResult


class Evidence(BaseModel):
    """Something an assessor can check: a quote, a number or a location."""

    kind: str = Field(description="quote | number | location | text")
    text: str = Field(description="The evidence itself.")
    source: str | None = Field(
        None, description="Where it comes from (file:line, metric name, phase)."
    )


class Criterion(BaseModel):
    """One named criterion within a grade."""

    name: str
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(default_factory=list)


class GradeResult(BaseModel):
    """A grader's verdict with the evidence behind it."""

    grader: str = Field(description="Registered grader name.")
    score: float = Field(ge=0, le=1, description="0..1.")
    weight: float = Field(ge=0, description="Weight from the challenge spec.")
    status: str = Field("ok", description="ok | error (the grader itself failed) | not_applicable")
    summary: str = Field("", description="One line an assessor reads first.")
    criteria: list[Criterion] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict, description="Grader-specific figures.")
    flags: list[str] = Field(default_factory=list, description="Red flags and integrity notes.")


@dataclass(frozen=True, eq=False)
class GradingContext:
    """Everything a grader may look at. Hidden data is on the host; graders run on the host.
    Compared by identity, so per-submission caches (``graders.measure``) can key on it."""

    challenge: Challenge
    data: PreparedData
    submission: Submission
    phases: dict[str, PhaseResult]
    predictions_file: Any  # Path | None; Any keeps third-party graders free of harness imports
    timings: dict[str, Any]
    artifacts: dict[str, Any] = field(default_factory=dict)
    """Outputs of extra phases graders asked for: ``test_report`` (dict from the harness's
    pytest plugin), ``repeat_predictions`` (Path of the second train+predict's predictions)."""


Grader = Callable[[GradingContext], GradeResult]
"""A grader is a function of the context; graders are registered as factories taking the
spec's ``args`` and returning that function."""
GraderFactory = Callable[..., Grader]
