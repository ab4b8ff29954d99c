"""``result.json``: the versioned record of one submission's grading.

The JSON Schema of this document is printed by ``harness result schema`` and
described in docs/result-schema.md. Bump ``RESULT_SCHEMA_VERSION`` on any
incompatible change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from graders.base import GradeResult
from harness.integrity import IntegrityReport
from sandbox.base import PhaseResult

RESULT_SCHEMA_VERSION = "1.1"  # 1.1: integrity section added


class ResultStatus(StrEnum):
    """``graded``: every phase ran and grading finished; ``failed``: the candidate's code
    failed in a phase (still a result, graded as such); ``rejected``/``unsupported``: the
    submission could not be run; ``harness_error``: the harness or the engine failed."""

    graded = "graded"
    failed = "failed"
    rejected = "rejected"
    unsupported = "unsupported"
    harness_error = "harness_error"


class SubmissionInfo(BaseModel):
    id: str
    kind: str
    sha256: str
    source: str
    label: str
    commit: str | None = None
    file_count: int = 0
    size_bytes: int = 0
    notes: list[str] = Field(default_factory=list)


class ChallengeInfo(BaseModel):
    id: str
    version: str
    title: str
    metric: str
    baseline: float
    target: float


class SubmissionResult(BaseModel):
    """The whole result of grading one submission."""

    schema_version: str = RESULT_SCHEMA_VERSION
    status: ResultStatus
    message: str = Field("", description="One line explaining the status.")
    submission: SubmissionInfo
    challenge: ChallengeInfo
    phases: list[PhaseResult] = Field(default_factory=list)
    grades: list[GradeResult] = Field(default_factory=list)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    total_score: float = Field(0.0, ge=0, le=100, description="Weighted total, 0..100.")
    flags: list[str] = Field(
        default_factory=list, description="Red flags from all graders and the integrity checks."
    )
    integrity: IntegrityReport = Field(
        default_factory=IntegrityReport,
        description="What the submission tried, and fingerprints for cohort similarity.",
    )
    timings: dict[str, Any] = Field(
        default_factory=dict, description="Figures from the predict driver."
    )
    image: str = Field("", description="Runtime image reference (content-digest tag).")
    harness_version: str
    started_at: str
    finished_at: str
    wall_s: float = Field(0.0, description="Total grading time of this submission.")
    overhead_s: float = Field(0.0, description="wall_s minus the candidate's own phase wall time.")
    error: str | None = Field(None, description="Traceback tail for harness_error.")
