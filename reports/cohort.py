"""A cohort: every result of one challenge in an output directory, prepared once for all
of its pages.

Each report places its submission against the others (rank, the accuracy / latency /
cost tradeoff), and the batch index summarises everyone, so a cohort computes
everything shared exactly once: ranks, blind names and redacted copies of the results,
the tradeoff plot and the per-criterion statistics. Rendering a page is then a
template pass over data that is already there.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from challenges.loader import Challenge
from harness.result import ResultStatus, SubmissionResult
from reports.blind import Redactor, blind_result, display_name, read_identity
from reports.plots import PlotCache, TradeoffPlot, TradeoffPoint, distribution_plot, tradeoff_plot

ADDRESSED = 0.5
"""A criterion scoring at least this counts as addressed (as the writeup grader says)."""
LATENCY = "latency_p95_ms"
COST = "cost_per_million_predictions_usd"


def _real(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Example:
    """A challenge's bundled example, recognised among the results by its path."""

    path: str
    label: str
    reference: bool


def challenge_examples(challenge: Challenge | None) -> dict[str, Example]:
    """The challenge's examples by resolved directory. An example counts as the reference
    solution when its path or label says "reference"."""
    if challenge is None:
        return {}
    found = {}
    for example in challenge.spec.examples:
        try:
            directory = challenge.path(example.path)
        except Exception:  # a broken example path is the validator's business, not ours
            continue
        reference = "reference" in f"{example.path} {example.label}".lower()
        found[str(directory)] = Example(example.path, example.label, reference)
    return found


@dataclass
class Member:
    """One submission of the cohort, as its pages show it."""

    result: SubmissionResult
    """What grading wrote."""
    shown: SubmissionResult
    """What pages show: in blind review a redacted copy, otherwise ``result`` itself."""
    name: str
    redactor: Redactor | None
    """The redactor of blind review, None when identities are shown."""
    example: Example | None = None
    rank: int = 0
    directory: Path | None = None

    @property
    def id(self) -> str:
        return self.result.submission.id

    @property
    def reference(self) -> bool:
        return self.example is not None and self.example.reference

    def metric(self) -> float | None:
        return _real(self.result.metrics.get(self.result.challenge.metric))

    def figure(self, name: str) -> float | None:
        return _real(self.result.metrics.get(name))

    def interval(self) -> tuple[float | None, float | None]:
        metric = self.result.challenge.metric
        return (
            _real(self.result.metrics.get(f"{metric}_ci_low")),
            _real(self.result.metrics.get(f"{metric}_ci_high")),
        )

    def grade_scores(self) -> dict[str, float]:
        return {grade.grader: grade.score for grade in self.result.grades}


@dataclass(frozen=True)
class CriterionStat:
    grader: str
    name: str
    title: str
    assessed: int
    addressed: int
    mean: float


@dataclass(frozen=True)
class ProblemStat:
    kind: str
    label: str
    noticed: list[Member]
    assessed: int
    hidden_only: bool
    columns: list[str]


@dataclass
class Cohort:
    """Results prepared for rendering; see the module docstring."""

    results: Sequence[SubmissionResult]
    challenge: Challenge | None = None
    reveal: bool = False
    out_dir: Path | None = None
    """The output directory: identities kept there are redacted, and plots cached."""
    plot_cache: PlotCache = field(default_factory=PlotCache)
    members: list[Member] = field(init=False)
    by_id: dict[str, Member] = field(init=False)

    def __post_init__(self) -> None:
        examples = challenge_examples(self.challenge)
        members = []
        for result in self.results:
            directory = self.out_dir / result.submission.id if self.out_dir else None
            example = examples.get(_resolved(result.submission.source))
            if example is not None:
                # The challenge's own examples are nobody's work: named by their path.
                members.append(Member(result, result, example.path, None, example))
            elif self.reveal:
                members.append(Member(result, result, display_name(result, True), None))
            else:
                redactor = Redactor(read_identity(result, directory))
                members.append(
                    Member(
                        result,
                        blind_result(result, redactor),
                        display_name(result, False),
                        redactor,
                    )
                )
            members[-1].directory = directory
        members.sort(key=lambda member: (-member.result.total_score, member.id))
        for rank, member in enumerate(members, start=1):
            member.rank = rank
        self.members = members
        self.by_id = {member.id: member for member in members}

    # -- what the challenge says ------------------------------------------------------------

    @property
    def single_challenge(self) -> bool:
        return len({member.result.challenge.id for member in self.members}) == 1

    @property
    def metric_name(self) -> str | None:
        names = {member.result.challenge.metric for member in self.members}
        return names.pop() if len(names) == 1 else None

    @property
    def higher_is_better(self) -> bool:
        if not self.members:
            return True
        challenge = self.members[0].result.challenge
        return challenge.target >= challenge.baseline

    def reference(self) -> Member | None:
        return next((member for member in self.members if member.reference), None)

    @cached_property
    def rubric_titles(self) -> dict[str, str]:
        if self.challenge is not None and self.challenge.spec.rubric:
            return {item.name: item.title for item in self.challenge.spec.rubric}
        titles: dict[str, str] = {}
        for member in self.members:
            for grade in member.result.grades:
                for item in grade.details.get("rubric") or []:
                    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                        titles.setdefault(item["name"], str(item.get("title") or item["name"]))
        return titles

    def slice_descriptions(self) -> dict[str, str]:
        if self.challenge is None:
            return {}
        return {item.name: item.description for item in self.challenge.spec.slices}

    # -- plots, each drawn once -------------------------------------------------------------

    @cached_property
    def tradeoff(self) -> TradeoffPlot | None:
        if len(self.members) < 2 or not self.single_challenge or self.metric_name is None:
            return None  # a lone submission has nothing to be compared with
        points = []
        for member in self.members:
            metric = member.metric()
            if metric is None:
                continue
            label = "reference" if member.reference else f"#{member.rank}"
            points.append(
                TradeoffPoint(
                    member.id,
                    label,
                    metric,
                    member.figure(LATENCY),
                    member.figure(COST),
                    member.reference,
                )
            )
        return tradeoff_plot(points, self.metric_name, self.higher_is_better, self.plot_cache)

    def tradeoff_for(self, member: Member) -> str | None:
        plot = self.tradeoff
        if plot is None:
            return None
        return plot.highlighted(member.id, "this submission")

    def front_position(self, member: Member) -> list[str]:
        """Which panels of the tradeoff plot have ``member`` on the Pareto front."""
        plot = self.tradeoff
        if plot is None:
            return []
        names = {LATENCY: "accuracy vs latency", "cost_per_million_usd": "accuracy vs cost"}
        return [names[panel] for panel, ids in plot.fronts.items() if member.id in ids]

    @cached_property
    def distribution(self) -> str | None:
        if not self.single_challenge or not self.members or self.metric_name is None:
            return None
        challenge = self.members[0].result.challenge
        reference = self.reference()
        metrics = [value for member in self.members if (value := member.metric()) is not None]
        return distribution_plot(
            [member.result.total_score for member in self.members],
            metrics,
            self.metric_name,
            challenge.baseline,
            challenge.target,
            reference.result.total_score if reference else None,
            reference.metric() if reference else None,
            self.plot_cache,
        )

    # -- statistics -------------------------------------------------------------------------

    @cached_property
    def criterion_stats(self) -> list[CriterionStat]:
        """Per grader and criterion: how many were assessed, how many addressed it
        (score >= 0.5), and the mean score."""
        titles = self.rubric_titles
        scores: dict[tuple[str, str], list[float]] = {}
        for member in self.members:
            for grade in member.result.grades:
                if grade.status != "ok":
                    continue
                for criterion in grade.criteria:
                    scores.setdefault((grade.grader, criterion.name), []).append(criterion.score)
        return [
            CriterionStat(
                grader,
                name,
                titles.get(name, name) if grader == "writeup" else name,
                len(values),
                sum(1 for value in values if value >= ADDRESSED),
                statistics.fmean(values),
            )
            for (grader, name), values in scores.items()
        ]

    @cached_property
    def problem_stats(self) -> list[ProblemStat]:
        """Per injected data problem (the writeup grader's data card check): who named it."""
        found: dict[str, ProblemStat] = {}
        assessed: dict[str, int] = {}
        for member in self.members:
            problems = writeup_details(member.result).get("data_problems")
            for problem in problems if isinstance(problems, list) else []:
                if not isinstance(problem, Mapping) or not isinstance(problem.get("kind"), str):
                    continue
                kind = problem["kind"]
                if kind not in found:
                    columns = problem.get("columns")
                    found[kind] = ProblemStat(
                        kind,
                        str(problem.get("label") or kind),
                        [],
                        0,
                        bool(problem.get("hidden_only")),
                        [str(item) for item in columns] if isinstance(columns, list) else [],
                    )
                assessed[kind] = assessed.get(kind, 0) + 1
                if problem.get("noticed") is True:
                    found[kind].noticed.append(member)
        stats = [
            ProblemStat(
                stat.kind, stat.label, stat.noticed, assessed[kind], stat.hidden_only, stat.columns
            )
            for kind, stat in found.items()
        ]
        return sorted(stats, key=lambda stat: (stat.hidden_only, -len(stat.noticed), stat.label))

    def metric_scale(self) -> tuple[float, float] | None:
        """A shared axis for the leaderboard's interval bars: every value, interval,
        baseline and target fits."""
        values: list[float] = []
        for member in self.members:
            low, high = member.interval()
            values += [value for value in (member.metric(), low, high) if value is not None]
            values += [member.result.challenge.baseline, member.result.challenge.target]
        if not values:
            return None
        low, high = min(values), max(values)
        if high <= low:
            return low - 0.5, high + 0.5
        margin = (high - low) * 0.04
        return low - margin, high + margin

    def counted(self) -> list[Member]:
        """Members that were graded (the others could not run)."""
        return [
            member
            for member in self.members
            if member.result.status in (ResultStatus.graded, ResultStatus.failed)
        ]


def _resolved(source: str) -> str:
    if "://" in source:
        return source
    try:
        return str(Path(source).resolve())
    except (OSError, RuntimeError):
        return source


def writeup_details(result: SubmissionResult) -> Mapping[str, Any]:
    for grade in result.grades:
        if grade.grader == "writeup":
            return grade.details
    return {}
