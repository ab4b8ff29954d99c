"""Assessor reviews: verdicts, notes and score overrides, kept in an append-only log.

Every review is one line of ``<out>/reviews.jsonl`` (a ``ReviewEntry``). Lines are only ever
appended, each with one ``write`` under an exclusive lock and an ``fsync``, so the log is the
full history. What an assessor thinks *now* is their latest entry for a submission and
criterion: later entries supersede earlier ones without erasing them.

From the log this module derives what a debrief needs: the current verdicts of each
assessor, overrides and the scores they imply, agreement between assessors (Cohen's kappa,
plain and linearly weighted, per criterion) and the disagreements worth discussing.
"""

from __future__ import annotations

import difflib
import fcntl
import json
import math
import os
import uuid
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import combinations
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from harness.errors import HarnessError
from harness.result import SubmissionResult

REVIEWS_FILE = "reviews.jsonl"
REVIEW_SCHEMA_VERSION = "1.0"
RESULT_FILE = "result.json"
OVERALL = "overall"
"""The criterion for a verdict on the whole submission; its override replaces the total."""
DECISION = "decision"
"""The criterion of final decisions (``harness review decide``)."""
ASSESSOR_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$"
MAX_NOTES_CHARS = 20_000
MAX_LINE_ERRORS_SHOWN = 10


class ReviewError(HarnessError):
    """A review cannot be recorded or the review log cannot be read."""


class Verdict(StrEnum):
    """An ordinal four-point scale with no middle, so every verdict leans one way."""

    strong_no = "strong_no"
    no = "no"
    yes = "yes"
    strong_yes = "strong_yes"

    @property
    def rank(self) -> int:
        """1 (strong_no) .. 4 (strong_yes)."""
        return _VERDICT_ORDER.index(self) + 1

    @property
    def positive(self) -> bool:
        return self.rank > 2


_VERDICT_ORDER = (Verdict.strong_no, Verdict.no, Verdict.yes, Verdict.strong_yes)
VERDICT_SCALE: tuple[int, ...] = tuple(range(1, len(_VERDICT_ORDER) + 1))


class Decision(StrEnum):
    """The panel's outcome for a candidate."""

    advance = "advance"
    hold = "hold"
    reject = "reject"


def parse_verdict(text: str) -> Verdict:
    """A verdict from its name (``strong-yes`` and ``strong_yes`` alike) or its rank 1..4.

    Raises:
        ReviewError: naming the accepted values.
    """
    cleaned = text.strip().lower().replace("-", "_").replace(" ", "_")
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(_VERDICT_ORDER):
        return _VERDICT_ORDER[int(cleaned) - 1]
    try:
        return Verdict(cleaned)
    except ValueError:
        scale = ", ".join(f"{verdict.value} ({verdict.rank})" for verdict in _VERDICT_ORDER)
        raise ReviewError(f"unknown verdict {text!r}", hint=f"Use one of: {scale}.") from None


def parse_decision(text: str) -> Decision:
    """Raises: ReviewError naming the accepted values."""
    try:
        return Decision(text.strip().lower())
    except ValueError:
        raise ReviewError(
            f"unknown decision {text!r}",
            hint=f"Use one of: {', '.join(decision.value for decision in Decision)}.",
        ) from None


class ReviewEntry(BaseModel):
    """One line of ``reviews.jsonl``: an assessor's verdict (or final decision) on one
    criterion of one submission, with notes and an optional score override."""

    model_config = ConfigDict(frozen=True)

    schema_version: str = Field(REVIEW_SCHEMA_VERSION, description="Format of this entry.")
    entry_id: str = Field(
        default_factory=lambda: uuid.uuid4().hex, description="Unique id of the entry."
    )
    recorded_at: str = Field(description="When it was recorded: ISO 8601, UTC, seconds.")
    assessor: str = Field(pattern=ASSESSOR_PATTERN, description="Who recorded it.")
    submission_id: str = Field(min_length=1, description="The submission's id (result.json).")
    criterion: str = Field(
        min_length=1,
        description="'overall', a grader name, 'grader:criterion name', or 'decision'.",
    )
    verdict: Verdict | None = Field(None, description="The verdict; absent for decisions.")
    decision: Decision | None = Field(None, description="Only for criterion 'decision'.")
    notes: str = Field("", max_length=MAX_NOTES_CHARS, description="Free text.")
    override_score: float | None = Field(
        None,
        description="Replaces the machine score: 0..100 for 'overall', 0..1 for a grader or "
        "a grader's criterion (the scale of the score it replaces).",
    )
    reason: str | None = Field(None, description="Why the score was overridden (required then).")

    @field_validator("recorded_at")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from None
        if parsed.utcoffset() is None:
            raise ValueError(f"needs a time zone: {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReviewEntry:
        if self.criterion == DECISION:
            if self.decision is None:
                raise ValueError("a 'decision' entry needs a decision")
            if self.verdict is not None or self.override_score is not None:
                raise ValueError("a 'decision' entry has no verdict and no override")
            return self
        if self.decision is not None:
            raise ValueError(f"decision is only recorded with criterion {DECISION!r}")
        if self.verdict is None:
            raise ValueError("a verdict is required")
        if self.override_score is not None:
            ceiling = 100.0 if self.criterion == OVERALL else 1.0
            if not (math.isfinite(self.override_score) and 0 <= self.override_score <= ceiling):
                hint = (
                    f" (for {self.override_score:g}% write {self.override_score / 100:g})"
                    if ceiling == 1.0 and 1 < self.override_score <= 100
                    else ""
                )
                raise ValueError(
                    f"override for {self.criterion!r} must be on the 0..{ceiling:g} scale of "
                    f"the score it replaces, not {self.override_score:g}{hint}"
                )
            if not (self.reason and self.reason.strip()):
                raise ValueError("an override needs a reason")
        elif self.reason is not None:
            raise ValueError("a reason is only recorded with an override")
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        """(submission, criterion, assessor): a later entry with the same key supersedes."""
        return (self.submission_id, self.criterion, self.assessor)


# -- the log -----------------------------------------------------------------------------------


class ReviewLog:
    """The append-only ``reviews.jsonl`` of an output directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ignored_tail = False
        """Set by ``read`` when the last line was cut short (a write that never finished)."""

    @classmethod
    def in_directory(cls, out: Path) -> ReviewLog:
        return cls(out / REVIEWS_FILE)

    def append(self, entry: ReviewEntry) -> None:
        """Append one entry durably: one write of the whole line under an exclusive lock,
        then fsync (and fsync of the directory when the file is new).

        A line left unfinished by a killed writer was never acknowledged; it is cut off
        before appending, so every complete line stays exactly as it was written.
        """
        line = (entry.model_dump_json() + "\n").encode("utf-8")
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            size = os.fstat(descriptor).st_size
            complete = _complete_length(descriptor, size)
            if complete != size:
                os.ftruncate(descriptor, complete)
            written = 0
            while written < len(line):
                written += os.write(descriptor, line[written:])
            os.fsync(descriptor)
        finally:
            os.close(descriptor)  # releases the lock
        if created:
            _fsync_directory(self.path.parent)

    def read(self) -> list[ReviewEntry]:
        """Every entry, in the order written; validated, with line numbers in errors.

        Raises:
            ReviewError: listing each damaged line as ``reviews.jsonl:LINE: problem``.
        """
        self.ignored_tail = False
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ReviewError(
                f"cannot read {self.path}: {error.strerror}",
                hint="Check the file's permissions.",
            ) from error
        lines = data.split(b"\n")
        if lines[-1].strip():
            self.ignored_tail = True  # an append that never finished: not an entry
        entries: list[ReviewEntry] = []
        problems: list[str] = []
        for number, raw in enumerate(lines[:-1], start=1):
            if not raw.strip():
                continue
            try:
                entries.append(_parse_line(raw))
            except ValueError as error:
                problems.append(f"{self.path}:{number}: {error}")
        if problems:
            shown = problems[:MAX_LINE_ERRORS_SHOWN]
            if len(problems) > len(shown):
                shown.append(f"... and {len(problems) - len(shown)} more damaged line(s)")
            raise ReviewError(
                "\n".join(shown),
                hint="The review log is append-only and written by `harness review`; restore "
                "the damaged line(s) from a backup, or move them to another file to go on "
                "without them.",
            )
        return entries


def _parse_line(raw: bytes) -> ReviewEntry:
    try:
        loaded = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"expected a JSON object, found {type(loaded).__name__}")
    version = str(loaded.get("schema_version", REVIEW_SCHEMA_VERSION))
    if version.split(".")[0] != REVIEW_SCHEMA_VERSION.split(".")[0]:
        raise ValueError(
            f"schema_version {version} is not readable by this harness "
            f"(reads {REVIEW_SCHEMA_VERSION.split('.')[0]}.x)"
        )
    try:
        return ReviewEntry.model_validate(loaded)
    except ValidationError as error:
        raise ValueError(_describe_validation(error)) from None


def _describe_validation(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        location = ".".join(str(item) for item in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def _complete_length(descriptor: int, size: int) -> int:
    """Length of the file up to and including its last newline."""
    position = size
    while position > 0:
        start = max(0, position - 4096)
        chunk = os.pread(descriptor, position - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- results of an output directory -------------------------------------------------------------


def load_cohort(
    out: Path, challenge_id: str | None = None, mixed: bool = False
) -> list[SubmissionResult]:
    """The results in ``out`` (``<out>/<id>/result.json``), sorted by submission id.

    Args:
        out: An output directory of ``harness grade``.
        challenge_id: Keep only this challenge's results.
        mixed: Accept results of several challenges (a cohort is one challenge; looking up
            a single submission does not need that).

    Raises:
        ReviewError: no output directory or no results, results of several challenges
            without ``challenge_id`` or ``mixed``, or an unreadable result.
    """
    if not out.is_dir():
        raise ReviewError(
            f"output directory {str(out)!r} does not exist",
            hint="Pass the --out directory of `harness grade` (default: harness-out).",
        )
    results: list[SubmissionResult] = []
    for path in sorted(out.glob(f"*/{RESULT_FILE}")):
        try:
            results.append(SubmissionResult.model_validate_json(path.read_bytes()))
        except (ValueError, OSError) as error:
            raise ReviewError(
                f"{path}: not a readable result ({str(error).splitlines()[0]})",
                hint="Grade the submission again to rewrite it, or move the directory away.",
            ) from error
    challenges = sorted({result.challenge.id for result in results})
    if challenge_id is not None:
        results = [result for result in results if result.challenge.id == challenge_id]
        if not results:
            raise ReviewError(
                f"no results of challenge {challenge_id!r} in {out}",
                hint=f"Challenges graded there: {', '.join(challenges) or 'none'}.",
            )
    elif len(challenges) > 1 and not mixed:
        raise ReviewError(
            f"{out} holds results of several challenges: {', '.join(challenges)}",
            hint="Choose one with --challenge ID.",
        )
    if not results:
        raise ReviewError(
            f"no graded submissions in {out}",
            hint="Grade first: harness grade SUBMISSION... --challenge ID --out " + str(out),
        )
    return sorted(results, key=lambda result: result.submission.id)


def resolve_submission(results: Sequence[SubmissionResult], given: str) -> SubmissionResult:
    """The result whose submission id is ``given`` or starts with it (a unique prefix).

    Raises:
        ReviewError: no match (with the known ids) or an ambiguous prefix (with the matches).
    """
    wanted = given.strip()
    exact = [result for result in results if result.submission.id == wanted]
    if exact:
        return exact[0]
    matches = [result for result in results if wanted and result.submission.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ReviewError(
            f"submission prefix {given!r} is ambiguous: "
            + ", ".join(result.submission.id for result in matches),
            hint="Give more characters of the id.",
        )
    known = [result.submission.id for result in results]
    raise ReviewError(
        f"no submission {given!r} in this output directory",
        hint="Known submissions: " + ", ".join(known[:20]) + (" ..." if len(known) > 20 else ""),
    )


def criteria_of(result: SubmissionResult) -> list[str]:
    """The criteria a review of ``result`` may name: 'overall', each grader, and each
    grader's criteria as 'grader:criterion'."""
    names = [OVERALL]
    for grade in result.grades:
        names.append(grade.grader)
        names.extend(f"{grade.grader}:{criterion.name}" for criterion in grade.criteria)
    return list(dict.fromkeys(names))


def check_criterion(result: SubmissionResult, criterion: str) -> str:
    """``criterion`` if ``result`` has it.

    Raises:
        ReviewError: with a close match and the list of valid names.
    """
    valid = criteria_of(result)
    if criterion in valid:
        return criterion
    if criterion == DECISION:
        raise ReviewError(
            "a final decision is recorded with `harness review decide`",
            hint="harness review decide OUT SUBMISSION --assessor ID --decision advance|hold|reject",
        )
    close = difflib.get_close_matches(criterion, valid, n=1)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    raise ReviewError(
        f"submission {result.submission.id} has no criterion {criterion!r}.{suggestion}",
        hint="Valid criteria: " + ", ".join(repr(name) for name in valid),
    )


def machine_score(result: SubmissionResult, criterion: str) -> float | None:
    """The machine's score for a criterion: the total (0..100) for 'overall', the grade's
    score for a grader, the criterion's score for 'grader:criterion' (both 0..1)."""
    if criterion == OVERALL:
        return result.total_score
    grader, _, name = criterion.partition(":")
    for grade in result.grades:
        if grade.grader != grader:
            continue
        if not name:
            return grade.score
        for item in grade.criteria:
            if item.name == name:
                return item.score
    return None


# -- recording ---------------------------------------------------------------------------------


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_review(
    out: Path,
    submission: str,
    *,
    assessor: str,
    criterion: str,
    verdict: Verdict,
    notes: str = "",
    override_score: float | None = None,
    reason: str | None = None,
) -> ReviewEntry:
    """Validate a review against the graded result and append it to ``<out>/reviews.jsonl``.

    Raises:
        ReviewError: unknown submission or criterion, an override without a reason or on
            the wrong scale, an invalid assessor id.
    """
    result = resolve_submission(load_cohort(out, mixed=True), submission)
    check_criterion(result, criterion)
    entry = _make_entry(
        assessor=assessor,
        submission_id=result.submission.id,
        criterion=criterion,
        verdict=verdict,
        notes=notes,
        override_score=override_score,
        reason=reason or None,
    )
    ReviewLog.in_directory(out).append(entry)
    return entry


def record_decision(
    out: Path, submission: str, *, assessor: str, decision: Decision, notes: str = ""
) -> ReviewEntry:
    """Append the final decision on a submission (the latest decision is the final one).

    Raises:
        ReviewError: unknown submission or invalid assessor id.
    """
    result = resolve_submission(load_cohort(out, mixed=True), submission)
    entry = _make_entry(
        assessor=assessor,
        submission_id=result.submission.id,
        criterion=DECISION,
        decision=decision,
        notes=notes,
    )
    ReviewLog.in_directory(out).append(entry)
    return entry


def _make_entry(**fields: object) -> ReviewEntry:
    try:
        return ReviewEntry.model_validate({"recorded_at": now(), **fields})
    except ValidationError as error:
        problems = _describe_validation(error)
        hint = (
            "Assessor ids are 1-64 letters, digits and . _ @ + - (e.g. an e-mail address)."
            if "assessor" in problems
            else "An override needs --reason, on the 0..100 scale for 'overall' and 0..1 for "
            "a grader or a grader's criterion."
        )
        raise ReviewError(f"invalid review: {problems}", hint=hint) from None


# -- what the log says now --------------------------------------------------------------------


def current_entries(entries: Iterable[ReviewEntry]) -> list[ReviewEntry]:
    """The latest entry for each (submission, criterion, assessor), in the order written."""
    latest: dict[tuple[str, str, str], ReviewEntry] = {}
    for entry in entries:
        latest.pop(entry.key, None)
        latest[entry.key] = entry
    return list(latest.values())


@dataclass(frozen=True)
class Override:
    """A current override of a machine score."""

    assessor: str
    criterion: str
    machine_score: float | None
    override_score: float
    reason: str
    recorded_at: str


def overrides_of(result: SubmissionResult, current: Iterable[ReviewEntry]) -> list[Override]:
    """The current overrides on ``result``, in the order written."""
    return [
        Override(
            assessor=entry.assessor,
            criterion=entry.criterion,
            machine_score=machine_score(result, entry.criterion),
            override_score=entry.override_score,
            reason=entry.reason or "",
            recorded_at=entry.recorded_at,
        )
        for entry in current
        if entry.submission_id == result.submission.id and entry.override_score is not None
    ]


def adjusted_total(result: SubmissionResult, overrides: Sequence[Override]) -> float | None:
    """The total after overrides, or None when no override changes it.

    The most recent override of a criterion wins. An 'overall' override is the total; grader
    overrides replace those graders' scores in the weighted mean (the formula of
    ``harness.pipeline.total_score``). Overrides of a grader's criterion are shown, but do
    not change the total: a grade's score is the grader's own, not a sum of its criteria.
    """
    latest = {override.criterion: override.override_score for override in overrides}
    if OVERALL in latest:
        return round(latest[OVERALL], 2)
    if not any(grade.grader in latest for grade in result.grades):
        return None
    counted = [grade for grade in result.grades if grade.status != "not_applicable"]
    weight = sum(grade.weight for grade in counted)
    if weight <= 0:
        return None
    total = sum(latest.get(grade.grader, grade.score) * grade.weight for grade in counted)
    return round(100.0 * total / weight, 2)


def effective_grade_scores(
    result: SubmissionResult, overrides: Sequence[Override]
) -> dict[str, float]:
    """Each grader's score after the most recent override of it (0..1)."""
    latest = {override.criterion: override.override_score for override in overrides}
    return {grade.grader: latest.get(grade.grader, grade.score) for grade in result.grades}


# -- agreement -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairAgreement:
    """How two assessors agree on one criterion, over the submissions both rated."""

    criterion: str
    assessor_a: str
    assessor_b: str
    items: int
    percent_agreement: float
    """Share of those submissions with the same verdict, 0..100."""
    kappa: float | None
    """Cohen's kappa; None with fewer than two shared submissions or no variation at all."""
    weighted_kappa: float | None
    """Cohen's kappa with linear weights: near misses on the ordinal scale count partly."""


@dataclass(frozen=True)
class CriterionAgreement:
    """Agreement on one criterion across every pair of assessors."""

    criterion: str
    assessors: tuple[str, ...]
    items: int
    """Submissions rated on this criterion by at least two assessors."""
    pairs: tuple[PairAgreement, ...]

    @property
    def percent_agreement(self) -> float | None:
        """Pooled over the pairs' shared submissions, 0..100."""
        shared = sum(pair.items for pair in self.pairs)
        if not shared:
            return None
        return sum(pair.percent_agreement * pair.items for pair in self.pairs) / shared

    @property
    def mean_kappa(self) -> float | None:
        return _mean(pair.kappa for pair in self.pairs)

    @property
    def mean_weighted_kappa(self) -> float | None:
        return _mean(pair.weighted_kappa for pair in self.pairs)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def cohen_kappa(
    first: Sequence[Verdict], second: Sequence[Verdict], weights: str | None = None
) -> float | None:
    """Cohen's kappa of two assessors' verdicts on the same items (scikit-learn), or None
    when it is undefined: fewer than two items, or both always gave one and the same verdict."""
    if len(first) != len(second):
        raise ValueError("both assessors must rate the same items")
    if len(first) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa: reported as None below
        value = float(
            cohen_kappa_score(
                [verdict.rank for verdict in first],
                [verdict.rank for verdict in second],
                labels=list(VERDICT_SCALE),
                weights=weights,
            )
        )
    return value if math.isfinite(value) else None


def agreement(current: Iterable[ReviewEntry]) -> list[CriterionAgreement]:
    """Pairwise agreement per criterion, over current verdicts (decisions excluded)."""
    verdicts: dict[str, dict[str, dict[str, Verdict]]] = defaultdict(lambda: defaultdict(dict))
    for entry in current:
        if entry.verdict is not None:
            verdicts[entry.criterion][entry.assessor][entry.submission_id] = entry.verdict
    summaries = []
    for criterion in sorted(verdicts, key=_criterion_order):
        by_assessor = verdicts[criterion]
        assessors = tuple(sorted(by_assessor))
        pairs = []
        for first, second in combinations(assessors, 2):
            shared = sorted(set(by_assessor[first]) & set(by_assessor[second]))
            if not shared:
                continue
            a = [by_assessor[first][submission] for submission in shared]
            b = [by_assessor[second][submission] for submission in shared]
            same = sum(x is y for x, y in zip(a, b, strict=True))
            pairs.append(
                PairAgreement(
                    criterion=criterion,
                    assessor_a=first,
                    assessor_b=second,
                    items=len(shared),
                    percent_agreement=100.0 * same / len(shared),
                    kappa=cohen_kappa(a, b),
                    weighted_kappa=cohen_kappa(a, b, weights="linear"),
                )
            )
        rated_twice = {
            submission
            for submission in {s for ratings in by_assessor.values() for s in ratings}
            if sum(submission in ratings for ratings in by_assessor.values()) >= 2
        }
        summaries.append(
            CriterionAgreement(
                criterion=criterion,
                assessors=assessors,
                items=len(rated_twice),
                pairs=tuple(pairs),
            )
        )
    return summaries


def _criterion_order(criterion: str) -> tuple[int, str]:
    return (0 if criterion == OVERALL else 1 + criterion.count(":"), criterion)


@dataclass(frozen=True)
class Disagreement:
    """Assessors whose current verdicts on a submission's criterion differ by two or more
    steps, or fall on opposite sides (one yes, one no)."""

    submission_id: str
    criterion: str
    verdicts: Mapping[str, Verdict]
    settled: bool
    """A final decision was recorded after the last of these verdicts."""

    @property
    def spread(self) -> int:
        ranks = [verdict.rank for verdict in self.verdicts.values()]
        return max(ranks) - min(ranks)


def disagreements(current: Sequence[ReviewEntry]) -> list[Disagreement]:
    """Disagreements among current verdicts, by submission then criterion."""
    grouped: dict[tuple[str, str], list[ReviewEntry]] = defaultdict(list)
    decided_at: dict[str, int] = {}
    for position, entry in enumerate(current):
        if entry.verdict is not None:
            grouped[(entry.submission_id, entry.criterion)].append(entry)
        elif entry.decision is not None:
            decided_at[entry.submission_id] = position
    positions = {entry.entry_id: position for position, entry in enumerate(current)}
    found = []
    for (submission, criterion), entries in sorted(
        grouped.items(), key=lambda item: (item[0][0], _criterion_order(item[0][1]))
    ):
        if len(entries) < 2:
            continue
        verdicts = {entry.assessor: entry.verdict for entry in entries if entry.verdict}
        ranks = [verdict.rank for verdict in verdicts.values()]
        opposite = len({verdict.positive for verdict in verdicts.values()}) > 1
        if max(ranks) - min(ranks) < 2 and not opposite:
            continue
        last = max(positions[entry.entry_id] for entry in entries)
        found.append(
            Disagreement(
                submission_id=submission,
                criterion=criterion,
                verdicts=dict(sorted(verdicts.items())),
                settled=decided_at.get(submission, -1) > last,
            )
        )
    return found


# -- the debrief -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateDebrief:
    """Everything assessors said about one submission, next to what the machine measured."""

    result: SubmissionResult
    overrides: tuple[Override, ...]
    adjusted_total: float | None
    verdicts: Mapping[str, tuple[ReviewEntry, ...]]
    """Each assessor's current entries (decisions excluded), in criterion order."""
    disagreements: tuple[Disagreement, ...]
    decision: ReviewEntry | None
    """The latest final decision, by whoever recorded it."""
    superseded: int
    """Earlier entries on this submission that later ones replaced (kept in the log)."""

    @property
    def submission_id(self) -> str:
        return self.result.submission.id

    @property
    def open_disagreements(self) -> tuple[Disagreement, ...]:
        return tuple(item for item in self.disagreements if not item.settled)

    def overall_verdicts(self) -> dict[str, Verdict]:
        return {
            assessor: entry.verdict
            for assessor, entries in self.verdicts.items()
            for entry in entries
            if entry.criterion == OVERALL and entry.verdict is not None
        }


@dataclass(frozen=True)
class Debrief:
    """The review state of a cohort: per candidate, agreement, and what needs talking about."""

    challenge_id: str
    challenge_title: str
    challenge_version: str
    generated_at: str
    candidates: tuple[CandidateDebrief, ...]
    agreement: tuple[CriterionAgreement, ...]
    assessors: tuple[str, ...]
    entries: int
    unknown_submissions: tuple[str, ...] = field(default=())
    """Ids reviewed in the log but without a result in the output directory."""

    @property
    def open_disagreements(self) -> list[Disagreement]:
        return [item for candidate in self.candidates for item in candidate.open_disagreements]


def build_debrief(results: Sequence[SubmissionResult], entries: Sequence[ReviewEntry]) -> Debrief:
    """Combine results and the review log into a debrief.

    Raises:
        ValueError: when ``results`` is empty.
    """
    if not results:
        raise ValueError("a debrief needs at least one result")
    current = current_entries(entries)
    conflicts = disagreements(current)
    known = {result.submission.id for result in results}
    candidates = []
    for result in results:
        submission = result.submission.id
        mine = [entry for entry in current if entry.submission_id == submission]
        by_assessor: dict[str, list[ReviewEntry]] = defaultdict(list)
        for entry in mine:
            if entry.criterion != DECISION:
                by_assessor[entry.assessor].append(entry)
        decisions = [entry for entry in mine if entry.criterion == DECISION]
        overrides = overrides_of(result, mine)
        candidates.append(
            CandidateDebrief(
                result=result,
                overrides=tuple(overrides),
                adjusted_total=adjusted_total(result, overrides),
                verdicts={
                    assessor: tuple(
                        sorted(by_assessor[assessor], key=lambda e: _criterion_order(e.criterion))
                    )
                    for assessor in sorted(by_assessor)
                },
                disagreements=tuple(item for item in conflicts if item.submission_id == submission),
                decision=decisions[-1] if decisions else None,
                superseded=sum(entry.submission_id == submission for entry in entries) - len(mine),
            )
        )
    first = results[0].challenge
    return Debrief(
        challenge_id=first.id,
        challenge_title=first.title,
        challenge_version=first.version,
        generated_at=now(),
        candidates=tuple(candidates),
        agreement=tuple(agreement(current)),
        assessors=tuple(sorted({entry.assessor for entry in entries})),
        entries=len(entries),
        unknown_submissions=tuple(sorted({entry.submission_id for entry in entries} - known)),
    )


def read_debrief(out: Path, challenge_id: str | None = None) -> Debrief:
    """The debrief of an output directory: its results and its review log.

    Raises:
        ReviewError: no results, or a damaged review log.
    """
    results = load_cohort(out, challenge_id)
    return build_debrief(results, ReviewLog.in_directory(out).read())
