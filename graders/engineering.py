"""Engineering signals: the habits a take-home shows besides its score.

- **tests**: the submission's own tests, run in the sandbox by the harness's pytest
  plugin; outcomes come from a report file the harness chose, never from printed
  "PASSED" lines; conftest hooks that rewrite reports are flagged.
- **reproducibility**: a second train+predict with the same inputs; predictions
  compared row by row.
- **dependencies**: declared requirements, whether the image provides them, pinned or not.
- **lint**: ruff's findings on the submission's Python files (read on the host, not run).
- **git timeline**: for git submissions, commit count and span against the time box.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.predictions import read_regular_file
from harness.submission import find_tests

NAME = "engineering"
REQUIREMENT_FILES = ("requirements.txt", "requirements.in", "pyproject.toml")
LINT_RULES = (
    "E9,F,B"  # errors, pyflakes (unused/undefined names), bugbear: real problems, not style
)
REPRODUCIBLE_TOLERANCE = 1e-9
MAX_LINT_FINDINGS_SHOWN = 5


@dataclass(frozen=True)
class _Finding:
    score: float
    evidence: list[Evidence]
    flags: list[str]


def _tests(context: GradingContext) -> _Finding | None:
    files = context.artifacts.get("test_files")
    if files is None and context.submission.root is not None:
        # The tests phase did not run because train or predict failed: judge what is there.
        files = find_tests(context.submission.root)
        if files:
            text = f"{len(files)} test file(s), not run: the submission did not train and predict"
            return _Finding(0.0, [Evidence(kind="text", text=text)], [])
    if not files:
        return _Finding(
            0.0, [Evidence(kind="text", text="no test files (test_*.py or *_test.py) found")], []
        )
    report = context.artifacts.get("test_report")
    phase = context.phases.get("tests")
    if not isinstance(report, dict):
        status = phase.status.value if phase is not None else "not run"
        text = f"{len(files)} test file(s), but the test run produced no report (tests phase: {status})"
        return _Finding(0.0, [Evidence(kind="text", text=text, source="tests phase")], [])
    outcomes: dict[str, str] = {
        str(key): str(value) for key, value in (report.get("outcomes") or {}).items()
    }
    counts = {
        outcome: sum(1 for value in outcomes.values() if value == outcome)
        for outcome in ("passed", "failed", "error", "skipped")
    }
    collection_errors = list(report.get("collection_errors") or [])
    ran = counts["passed"] + counts["failed"] + counts["error"]
    score = counts["passed"] / ran if ran else 0.0
    if collection_errors:
        score *= 0.5
    evidence = [
        Evidence(
            kind="number",
            text=f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, "
            f"{counts['skipped']} skipped in {len(files)} file(s)",
            source="harness pytest report",
        )
    ]
    failing = [nodeid for nodeid, outcome in outcomes.items() if outcome in ("failed", "error")]
    evidence.extend(Evidence(kind="location", text=f"failed: {nodeid}") for nodeid in failing[:5])
    evidence.extend(
        Evidence(kind="text", text=f"could not collect: {nodeid}")
        for nodeid in collection_errors[:3]
    )
    flags = []
    rewriting = list(report.get("rewriting_hooks") or [])
    mismatches = list(report.get("report_mismatches") or [])
    if rewriting:
        flags.append(
            f"integrity: conftest hooks that can rewrite test reports: {', '.join(rewriting[:3])}"
        )
    if mismatches:
        flags.append(
            f"integrity: {len(mismatches)} test outcome(s) were rewritten between pytest's result and its report, "
            f"e.g. {mismatches[0]}"
        )
        score = 0.0
    return _Finding(score, evidence, flags)


def _reproducibility(context: GradingContext, id_column: str) -> _Finding | None:
    if context.predictions_file is None:
        text = "not demonstrated: the submission produced no predictions to reproduce"
        return _Finding(0.0, [Evidence(kind="text", text=text)], [])
    train, predict = context.phases.get("repeat-train"), context.phases.get("repeat-predict")
    if train is None:
        return None  # the grader was not asked to repeat (or an earlier phase failed)
    again = context.artifacts.get("repeat_predictions")
    if again is None:
        failed = predict if predict is not None and predict.status.value != "ok" else train
        text = f"the second run failed: {failed.name} ended with {failed.status.value}: {failed.message}"
        return _Finding(0.0, [Evidence(kind="text", text=text, source=failed.name)], [])
    try:
        first = _read_predictions(context.predictions_file, id_column)
        second = _read_predictions(again, id_column)
    except ValueError as error:
        return _Finding(
            0.0, [Evidence(kind="text", text=f"cannot compare predictions: {error}")], []
        )
    joined = pd.merge(
        first,
        second,
        left_index=True,
        right_index=True,
        how="outer",
        suffixes=("_first", "_second"),
    )
    left, right = joined["prediction_first"], joined["prediction_second"]
    numeric_left, numeric_right = (
        pd.to_numeric(left, errors="coerce"),
        pd.to_numeric(right, errors="coerce"),
    )
    # A row left empty in both runs (e.g. a flagged row without a prediction) is identical.
    both_empty = left.isna() & right.isna()
    if (numeric_left.notna() | left.isna()).all() and (numeric_right.notna() | right.isna()).all():
        difference = (numeric_left - numeric_right).abs()
        same = int(((difference <= REPRODUCIBLE_TOLERANCE) | both_empty).sum())
        largest = difference.max()
        detail = f"largest difference {0.0 if pd.isna(largest) else largest:.3g}"
    else:
        same = int(((left.astype(str) == right.astype(str)) | both_empty).sum())
        detail = "compared as labels"
    share = same / len(joined) if len(joined) else 0.0
    text = f"{same} of {len(joined)} predictions identical after retraining ({share:.1%}; {detail})"
    score = 1.0 if share == 1.0 else 0.5 * share
    return _Finding(
        score, [Evidence(kind="number", text=text, source="repeat-train + repeat-predict")], []
    )


def _read_predictions(path: Path, id_column: str) -> pd.DataFrame:
    import io

    frame = pd.read_csv(io.BytesIO(read_regular_file(path, 64 * 2**20)), dtype={id_column: str})
    if list(frame.columns) not in ([id_column, "prediction"], [id_column, "prediction", "flagged"]):
        raise ValueError(f"unexpected columns {list(frame.columns)[:4]}")
    return frame.drop_duplicates(id_column).set_index(id_column)[["prediction"]]


def declared_requirements(root: Path) -> tuple[str | None, list[str]]:
    """(file name, requirement strings) from requirements.txt/.in or pyproject.toml."""
    for name in REQUIREMENT_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        text = read_regular_file(path, 256 * 1024).decode("utf-8", errors="replace")
        if name == "pyproject.toml":
            try:
                dependencies = tomllib.loads(text).get("project", {}).get("dependencies", [])
            except tomllib.TOMLDecodeError:
                continue
            return name, [str(item) for item in dependencies]
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        return name, [line for line in lines if line and not line.startswith("-")]
    return None, []


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dependencies(context: GradingContext) -> _Finding:
    from sandbox.images import installed_distributions

    root = context.submission.root
    assert root is not None
    source, requirements = declared_requirements(root)
    if source is None:
        return _Finding(
            0.3,
            [
                Evidence(
                    kind="text", text="no requirements.txt or pyproject.toml dependencies declared"
                )
            ],
            [],
        )
    available = installed_distributions(tuple(context.challenge.spec.sandbox.packages))
    unavailable, unpinned, evidence = [], [], []
    for requirement in requirements:
        name = _normalise(re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0])
        if name not in available:
            unavailable.append(requirement)
        if "==" not in requirement:
            unpinned.append(requirement)
    evidence.append(
        Evidence(kind="text", text=f"{len(requirements)} requirement(s) declared", source=source)
    )
    if unavailable:
        evidence.append(
            Evidence(
                kind="text",
                text=f"not provided by the sandbox image: {', '.join(unavailable[:5])}",
                source=source,
            )
        )
    if unpinned:
        evidence.append(
            Evidence(kind="text", text=f"not pinned: {', '.join(unpinned[:5])}", source=source)
        )
    share_available = 1 - len(unavailable) / len(requirements) if requirements else 1.0
    share_pinned = 1 - len(unpinned) / len(requirements) if requirements else 1.0
    return _Finding(0.5 + 0.3 * share_available + 0.2 * share_pinned, evidence, [])


def _lint(context: GradingContext) -> _Finding | None:
    root = context.submission.root
    assert root is not None
    python_files = [path for path in root.rglob("*.py") if not path.is_symlink()]
    if not python_files:
        return None
    lines = sum(len(path.read_bytes().splitlines()) for path in python_files)
    command = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        "--select",
        LINT_RULES,
        str(root),
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        findings: list[dict[str, Any]] = json.loads(completed.stdout or "[]")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        return _Finding(0.0, [Evidence(kind="text", text=f"lint could not run: {error}")], [])
    per_hundred = 100 * len(findings) / max(lines, 1)
    score = float(np.clip(1 - per_hundred / 5, 0, 1))  # 5 real problems per 100 lines earns nothing
    evidence = [
        Evidence(
            kind="number",
            text=f"{len(findings)} finding(s) in {lines} lines ({per_hundred:.1f} per 100 lines; rules {LINT_RULES})",
        )
    ]
    for finding in findings[:MAX_LINT_FINDINGS_SHOWN]:
        location = f"{Path(finding.get('filename', '?')).relative_to(root) if finding.get('filename') else '?'}:{finding.get('location', {}).get('row', '?')}"
        evidence.append(
            Evidence(
                kind="location",
                text=f"{finding.get('code')}: {finding.get('message')}",
                source=location,
            )
        )
    return _Finding(score, evidence, [])


def _git_timeline(context: GradingContext) -> _Finding | None:
    git = context.submission.git
    if git is None or not git.commits:
        return None
    times = sorted(pd.Timestamp(commit.author_time) for commit in git.commits)
    span_hours = (times[-1] - times[0]).total_seconds() / 3600
    time_box = context.challenge.spec.time_box_hours
    evidence = [
        Evidence(
            kind="number",
            text=f"{len(git.commits)} commit(s) over {span_hours:.1f} h (time box {time_box:g} h)",
            source=f"git {git.commit[:12]}",
        )
    ]
    flags = []
    score = 1.0
    if len(git.commits) == 1:
        score = 0.5
        evidence.append(
            Evidence(kind="text", text="a single commit: the history shows no working steps")
        )
    if span_hours > time_box * 3:
        flags.append(f"commits span {span_hours:.1f} h for a {time_box:g} h time box")
        score = min(score, 0.5)
    evidence.extend(
        Evidence(
            kind="quote", text=commit.subject[:120], source=f"{commit.sha[:8]} {commit.author_time}"
        )
        for commit in git.commits[:5]
    )
    return _Finding(score, evidence, flags)


@grader(NAME)
def engineering() -> Grader:
    """Score the engineering habits visible in the submission (see the module docstring)."""

    def grade(context: GradingContext) -> GradeResult:
        if context.submission.root is None:
            return GradeResult(
                grader=NAME,
                score=0.0,
                weight=0.0,
                status="not_applicable",
                summary="nothing to inspect",
            )
        id_column = context.challenge.spec.task.id_column
        findings = {
            "tests": _tests(context),
            "reproducibility": _reproducibility(context, id_column),
            "dependencies": _dependencies(context),
            "lint": _lint(context),
            "git timeline": _git_timeline(context),
        }
        criteria = [
            Criterion(name=name, score=round(finding.score, 4), evidence=finding.evidence)
            for name, finding in findings.items()
            if finding is not None
        ]
        flags = [
            flag for finding in findings.values() if finding is not None for flag in finding.flags
        ]
        score = float(np.mean([criterion.score for criterion in criteria])) if criteria else 0.0
        summary = ", ".join(f"{criterion.name} {criterion.score:.0%}" for criterion in criteria)
        skipped = [name for name, finding in findings.items() if finding is None]
        return GradeResult(
            grader=NAME,
            score=score,
            weight=0.0,
            summary=summary,
            criteria=criteria,
            flags=flags,
            details={"not_assessed": skipped, "test_files": context.artifacts.get("test_files")},
        )

    return grade


engineering.phases = ("tests", "repeat")  # type: ignore[attr-defined]
