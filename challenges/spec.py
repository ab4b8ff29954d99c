"""The schema of ``challenges/<id>/challenge.yaml``.

These pydantic models are the single source of truth: ``harness challenge
schema`` prints their JSON Schema, and loading reports errors as
``<file>: <field path>: <problem>``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from sandbox.base import PhaseLimits

SCHEMA_VERSION: Literal[1] = 1
_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
_PIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskType(StrEnum):
    binary_classification = "binary_classification"
    multiclass_classification = "multiclass_classification"
    regression = "regression"
    ranking = "ranking"


# Which prediction kinds (graders.metrics.PredictionKind) each task type's metric may use.
TASK_PREDICTIONS: dict[TaskType, tuple[str, ...]] = {
    TaskType.binary_classification: ("probability", "label"),
    TaskType.multiclass_classification: ("label",),
    TaskType.regression: ("value",),
    TaskType.ranking: ("ranking",),
}


class TaskSpec(_Spec):
    """What candidates predict and how it is scored."""

    type: TaskType = Field(description="Kind of prediction task.")
    metric: str = Field(
        description="Metric name from the metric catalogue (e.g. roc_auc, macro_f1, rmse)."
    )
    target_column: str = Field(
        description="Label column in the public training data and hidden labels."
    )
    id_column: str = Field(
        "id", description="Row identifier column; predictions are matched on it."
    )
    positive_label: str | int | None = Field(
        None, description="Positive class for binary metrics that need one (e.g. f1)."
    )
    flag_column: str | None = Field(
        None,
        description="Column of the hidden labels that is 1 for rows a service should flag "
        "(e.g. corrupted input) and 0 otherwise. Predictions may then carry a 'flagged' "
        "column; rows marked 1 are left out of the metric and judged on flagging instead.",
    )

    @model_validator(mode="after")
    def _metric_fits_task(self) -> TaskSpec:
        from graders.metrics import METRICS

        metric = METRICS.get(self.metric)
        if metric is None:
            return self  # unknown names are reported with the catalogue when graders start
        allowed = TASK_PREDICTIONS[self.type]
        if metric.prediction not in allowed:
            fitting = sorted(name for name, item in METRICS.items() if item.prediction in allowed)
            raise ValueError(
                f"metric {self.metric!r} scores {metric.prediction} predictions, which a "
                f"{self.type.value} task does not produce; use one of: {', '.join(fitting)}"
            )
        if self.flag_column in (self.id_column, self.target_column):
            raise ValueError("flag_column must differ from the id and target columns")
        return self


class ThresholdsSpec(_Spec):
    """Credit mapping: a score at ``baseline`` earns 0, at ``target`` full credit, linear between."""

    baseline: float = Field(description="Metric value a trivial solution reaches (0 credit).")
    target: float = Field(description="Metric value that earns full credit.")

    @model_validator(mode="after")
    def _distinct(self) -> ThresholdsSpec:
        if self.baseline == self.target:
            raise ValueError("baseline and target must differ")
        return self


class LimitsSpec(_Spec):
    """Resource limits per phase."""

    train: PhaseLimits = Field(
        default_factory=PhaseLimits, description="Limits of the training phase."
    )
    predict: PhaseLimits = Field(
        default_factory=lambda: PhaseLimits(wall_time_s=300, memory_mb=1024),
        description="Limits of the prediction phase.",
    )
    tests: PhaseLimits = Field(
        default_factory=lambda: PhaseLimits(wall_time_s=300, memory_mb=1024),
        description="Limits of the phase running the candidate's own tests (when a grader asks for it).",
    )


class ContractSpec(_Spec):
    """The submission contract candidates implement (see docs/contract.md)."""

    train_entrypoint: str = Field(
        "train.py", description="Script run in the train phase, relative to the repo root."
    )
    predict_module: str = Field(
        "predict.py", description="Module defining load(model_dir) and predict(model, frame)."
    )
    writeup: str = Field("WRITEUP.md", description="The candidate's writeup file.")
    required_files: list[str] = Field(
        default_factory=lambda: ["train.py", "predict.py"],
        description="Files that must exist in the submission.",
    )
    model_dir_mb: PositiveInt = Field(
        256, description="Size of the model directory carried from train to predict."
    )
    latency_samples: PositiveInt = Field(
        200, description="Single-record predict calls timed after warm-up."
    )
    warmup_calls: int = Field(5, ge=0, description="Untimed single-record calls before timing.")

    @field_validator("train_entrypoint", "predict_module", "writeup")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a path relative to the submission root, without '..'")
        return value


class NotebookSpec(_Spec):
    """How notebook submissions run (docs/notebooks.md); the train phase's limits apply too."""

    cell_timeout_s: PositiveFloat | None = Field(
        None,
        description="Longest a single cell may run; unset: only the train phase's wall time.",
    )
    max_output_mb: PositiveFloat = Field(
        16, description="Cell output kept during execution; past it the kernel is stopped."
    )


class SandboxSpec(_Spec):
    """The runtime image a challenge's phases run in."""

    python: Literal["3.11"] = Field("3.11", description="Python version of the image.")
    packages: list[str] = Field(
        default_factory=list,
        description="Exactly pinned requirements (name==version) installed from wheels.",
    )
    base_image: str | None = Field(
        None,
        description="Base image to pull (e.g. python:3.11-slim). Default: a locally built Debian base.",
    )

    @field_validator("packages")
    @classmethod
    def _pinned(cls, packages: list[str]) -> list[str]:
        for package in packages:
            if not _PIN_PATTERN.match(package):
                raise ValueError(f"{package!r} must be pinned exactly, e.g. 'pandas==2.3.3'")
        return packages


class DataSpec(_Spec):
    """How the challenge's data is generated (reproducibly, from a seed)."""

    generator: str = Field(
        "generate.py", description="Python file in the challenge directory defining generate()."
    )
    seed: int = Field(description="Seed: the same seed gives byte-identical files.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Extra arguments passed to generate()."
    )


class BudgetSpec(_Spec):
    """Operational budgets. The performance grader scores each one that is set: full credit
    within budget, then credit falling with the log of the overrun (5% over keeps most of
    it, 10x over earns none)."""

    latency_p95_ms: PositiveFloat | None = Field(
        None, description="Single-record prediction latency, 95th percentile."
    )
    latency_p50_ms: PositiveFloat | None = Field(
        None, description="Single-record prediction latency, median."
    )
    model_load_s: PositiveFloat | None = Field(None, description="Time for load(model_dir).")
    predict_peak_memory_mb: PositiveFloat | None = Field(
        None, description="Peak memory of the predict phase."
    )
    train_wall_s: PositiveFloat | None = Field(None, description="Wall time of the train phase.")
    train_peak_memory_mb: PositiveFloat | None = Field(
        None, description="Peak memory of the train phase."
    )
    training_cost_usd: PositiveFloat | None = Field(
        None, description="Cost of one training run under the cost model."
    )
    cost_per_million_predictions_usd: PositiveFloat | None = Field(
        None, description="Cost of a million single-record predictions under the cost model."
    )
    blowup_factor: float = Field(
        10.0, gt=1, description="Overrun factor at which a budget earns no credit."
    )


class CostModelSpec(_Spec):
    """Prices that turn measured resources into money."""

    cpu_hour_usd: float = Field(0.048, ge=0, description="Price of one CPU core for one hour.")
    gb_hour_usd: float = Field(0.006, ge=0, description="Price of one GiB of memory for one hour.")


class RubricCriterionSpec(_Spec):
    """A criterion of the writeup rubric, fixed before anyone reads a writeup."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Stable identifier, e.g. 'evaluation'.")
    title: str = Field(description="What an assessor reads, e.g. 'Evaluation method'.")
    description: str = Field("", description="What a good answer covers.")
    keywords: list[str] = Field(
        default_factory=list, description="Words and phrases that show the criterion is addressed."
    )
    weight: float = Field(1.0, ge=0, description="Relative weight within the writeup grade.")


class SliceSpec(_Spec):
    """A named slice of the hidden evaluation set; metrics are reported per slice."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Identifier used by the generator.")
    description: str = Field(description="What the rows in the slice have in common.")


class GraderSpec(_Spec):
    """A grader the challenge uses, with its weight in the total."""

    name: str = Field(description="Registered grader name (entry point group harness.graders).")
    weight: float = Field(1.0, ge=0, description="Relative weight in the total score.")
    args: dict[str, Any] = Field(default_factory=dict, description="Arguments for the grader.")


class ExampleSpec(_Spec):
    """A bundled example submission, used by the demo and by validation."""

    path: str = Field(description="Directory relative to the challenge directory.")
    label: str = Field(description="Short description shown in the demo.")
    expect: Literal[
        "clears_target", "below_baseline", "between", "train_error", "predict_error", "any"
    ] = Field("any", description="What grading this example should show.")


class ChallengeSpec(_Spec):
    """A work-sample challenge."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Version of this file format.")
    id: str = Field(
        pattern=_ID_PATTERN, description="Stable identifier: lowercase, digits, dashes."
    )
    version: str = Field(
        description="Challenge version; bump it when data, thresholds or rubric change."
    )
    title: str = Field(min_length=3, description="Human title.")
    role: str = Field("ml-engineer", description="Role the challenge assesses.")
    statement: str = Field(
        "statement.md", description="Candidate-facing markdown file, relative to the challenge."
    )
    time_box_hours: float = Field(
        4.0, gt=0, le=24, description="Suggested time box for candidates."
    )
    task: TaskSpec
    thresholds: ThresholdsSpec
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    contract: ContractSpec = Field(default_factory=ContractSpec)
    sandbox: SandboxSpec = Field(default_factory=SandboxSpec)
    data: DataSpec
    budgets: BudgetSpec = Field(
        default_factory=BudgetSpec, description="Latency, memory and cost budgets."
    )
    cost_model: CostModelSpec = Field(
        default_factory=CostModelSpec, description="Prices for the cost figures."
    )
    rubric: list[RubricCriterionSpec] = Field(
        default_factory=list,
        description="Writeup rubric; empty means the default rubric (approach, data problems, "
        "evaluation, tradeoffs, limitations, next steps).",
    )
    slices: list[SliceSpec] = Field(
        default_factory=list, description="Named slices of the hidden set."
    )
    graders: list[GraderSpec] = Field(min_length=1, description="Graders and their weights.")
    examples: list[ExampleSpec] = Field(
        default_factory=list, description="Bundled example submissions."
    )
    notebook: NotebookSpec = Field(
        default_factory=NotebookSpec, description="Settings for notebook submissions."
    )

    @model_validator(mode="after")
    def _graders_unique_and_weighted(self) -> ChallengeSpec:
        names = [grader.name for grader in self.graders]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"graders listed twice: {', '.join(duplicates)}")
        if sum(grader.weight for grader in self.graders) <= 0:
            raise ValueError("grader weights must not all be zero")
        return self
