"""Notebook submissions through the real pipeline and the real Docker engine: a notebook
port of the solid example scores like the repository, and every broken notebook gets a
precise status and message while the batch goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import pipeline
from harness.notebook import NotebookSettings
from harness.result import ResultStatus, SubmissionResult
from reports.notebook import render_notebook
from sandbox.base import PhaseStatus

pytestmark = pytest.mark.docker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
BROKEN = ["fails_in_cell_3", "output_200mb", "invalid", "bash_kernel", "never_finishes"]
CELL_TIMEOUT_S = 20.0
"""Short enough for never_finishes, long enough for tiny_constant's imports on a busy host."""


@pytest.fixture(scope="module")
def session(docker_sandbox, runtime_image: str) -> Iterator[pipeline.GradingSession]:  # type: ignore[no-untyped-def]
    opened = pipeline.open_session("churn-tabular")
    yield opened
    pipeline.close_session(opened)


def by_label(results: list[SubmissionResult]) -> dict[str, SubmissionResult]:
    return {result.submission.label: result for result in results}


@pytest.fixture(scope="module")
def broken(
    session: pipeline.GradingSession, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, SubmissionResult], Path]:
    """One batch: every broken notebook, then a small working one (the batch goes on)."""
    session.notebook = NotebookSettings(cell_timeout_s=CELL_TIMEOUT_S)
    out = tmp_path_factory.mktemp("broken")
    sources = [str(FIXTURES / f"{name}.ipynb") for name in [*BROKEN, "tiny_constant"]]
    try:
        results = pipeline.grade_batch(session, sources, out)
    finally:
        session.notebook = NotebookSettings()
    return by_label(results), out


@pytest.fixture(scope="module")
def solid(
    session: pipeline.GradingSession, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, SubmissionResult], Path]:
    out = tmp_path_factory.mktemp("solid")
    sources = [
        str(FIXTURES / "churn_solid.ipynb"),
        str(session.challenge.path("examples/solid")),
    ]
    return by_label(pipeline.grade_batch(session, sources, out)), out


def test_a_notebook_failing_in_cell_3_is_a_failed_train_phase(
    broken: tuple[dict[str, SubmissionResult], Path],
) -> None:
    results, out = broken
    result = results["fails_in_cell_3"]
    assert result.status is ResultStatus.failed
    assert [phase.name for phase in result.phases] == ["train"]
    train = result.phases[0]
    assert train.status is PhaseStatus.error and train.exit_code == 3
    assert train.message == (
        "cell 3 (`share = rows / 0  # the bug`) failed: ZeroDivisionError: division by zero; "
        "not run: cells 4, 5"
    )
    assert result.message == f"train phase error: {train.message}"
    # Evidence: the cell's source and the traceback tail are in the log.
    assert "[harness] cell 3 source:\nshare = rows / 0  # the bug" in train.log_tail
    assert "ZeroDivisionError" in train.log_tail and "----> 1 share = rows / 0" in train.log_tail
    assert next(grade for grade in result.grades if grade.grader == "correctness").score == 0.0
    executed = json.loads(
        (out / result.submission.id / "notebooks" / "fails_in_cell_3.ipynb").read_text()
    )
    statuses = [cell["metadata"]["worksample_harness"].get("status") for cell in executed["cells"]]
    assert statuses == ["ok", None, "ok", "failed", "not_run", "not_run"]  # injected cell first
    assert "".join(executed["cells"][2]["outputs"][0]["text"]) == "ready\n"


def test_a_notebook_printing_200_mb_stops_at_the_output_cap(
    broken: tuple[dict[str, SubmissionResult], Path],
) -> None:
    result = broken[0]["output_200mb"]
    assert result.status is ResultStatus.failed
    train = result.phases[0]
    assert train.status is PhaseStatus.output_limit
    assert train.message == (
        f'cell 2 (`chunk = "x" * 1_000_000`) produced more than {16 * 1024 * 1024} bytes of '
        "output; the kernel was stopped; not run: cells 3, 4"
    )
    assert train.wall_s < CELL_TIMEOUT_S + 30


def test_an_invalid_notebook_is_rejected_before_anything_runs(
    broken: tuple[dict[str, SubmissionResult], Path],
) -> None:
    result = broken[0]["invalid"]
    assert result.status is ResultStatus.rejected and result.phases == []
    assert result.message.startswith("invalid.ipynb: not a notebook: invalid JSON at line 2")


def test_a_bash_notebook_is_unsupported(broken: tuple[dict[str, SubmissionResult], Path]) -> None:
    result = broken[0]["bash_kernel"]
    assert result.status is ResultStatus.unsupported and result.phases == []
    assert "declares the 'bash' kernel" in result.message


def test_a_notebook_that_never_finishes_hits_the_cell_timeout(
    broken: tuple[dict[str, SubmissionResult], Path],
) -> None:
    result = broken[0]["never_finishes"]
    train = result.phases[0]
    assert train.status is PhaseStatus.timeout
    assert train.message == (
        f"cell 2 (`import time`) did not finish within {CELL_TIMEOUT_S:g} s (the per-cell "
        "limit); not run: cell 3"
    )
    assert result.message == f"train phase timeout: {train.message}"


def test_the_batch_goes_on_after_broken_notebooks(
    broken: tuple[dict[str, SubmissionResult], Path],
) -> None:
    results, out = broken
    result = results["tiny_constant"]
    assert result.status is ResultStatus.graded, result.message
    assert result.phases[0].message == "all 2 code cells ran"
    assert [phase.name for phase in result.phases][:2] == ["train", "predict"]
    assert result.timings["latency_ms"]["n"] > 0
    assert sorted(results) == sorted([*BROKEN, "tiny_constant"])
    assert len(list(out.glob("*/result.json"))) == len(BROKEN) + 1


def test_a_notebook_and_the_same_repository_score_alike(
    solid: tuple[dict[str, SubmissionResult], Path],
) -> None:
    results, _ = solid
    notebook, repository = results["churn_solid"], results["solid"]
    for result in (notebook, repository):
        assert result.status is ResultStatus.graded, result.message
        assert all(phase.status is PhaseStatus.ok for phase in result.phases), result.phases
    assert notebook.metrics["roc_auc"] == pytest.approx(repository.metrics["roc_auc"], abs=1e-9)
    scores: dict[str, Any] = {
        grade.grader: (grade.score, other.score)
        for grade, other in zip(notebook.grades, repository.grades, strict=True)
    }
    assert scores["correctness"][0] == pytest.approx(scores["correctness"][1], abs=1e-9)
    assert abs(scores["writeup"][0] - scores["writeup"][1]) < 0.15
    assert abs(notebook.total_score - repository.total_score) < 6
    assert "repeat-train" in {phase.name for phase in notebook.phases}  # reproducibility, too


def test_submitted_outputs_are_compared_with_the_re_execution(
    solid: tuple[dict[str, SubmissionResult], Path],
) -> None:
    results, out = solid
    notebook = results["churn_solid"]
    notes = notebook.submission.notes
    assert "notebook: 2 of 3 cells with deterministic text output match" in notes[0]
    assert notes[1].startswith(
        "notebook: cell 8 output differs from the submitted one: submitted "
        "'5-fold CV ROC AUC: 0.9990 +/- 0.0001', re-run '5-fold CV ROC AUC: 0."
    )
    assert any(flag.startswith("notebook: 1 cell output(s) differ") for flag in notebook.flags)
    executed = out / notebook.submission.id / "notebooks" / "churn_solid.ipynb"
    fragment = render_notebook(executed)
    assert "5-fold CV ROC AUC: 0.8" in fragment and "<script" not in fragment.lower()
    assert not (out / results["solid"].submission.id / "notebooks").exists()
