"""The tests phase and the repeated run, through the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from challenges.spec import GraderSpec
from harness import pipeline
from harness.result import ResultStatus, SubmissionResult

pytestmark = pytest.mark.docker
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"


@pytest.fixture(scope="module")
def results(docker_sandbox, runtime_image: str) -> Iterator[dict[str, SubmissionResult]]:  # type: ignore[no-untyped-def]
    session = pipeline.open_session("churn-tabular")
    spec = session.challenge.spec
    graders = [
        GraderSpec(name="correctness", weight=1.0),
        GraderSpec(name="engineering", weight=1.0),
    ]
    session.challenge = session.challenge.model_copy(
        update={"spec": spec.model_copy(update={"graders": graders})}
    )
    try:
        sources = [str(FIXTURES / "tested"), str(FIXTURES / "forged-tests")]
        graded = pipeline.grade_batch(session, sources, Path(session.work_root) / "out")
        yield {Path(result.submission.source).name: result for result in graded}
    finally:
        pipeline.close_session(session)


def engineering(result: SubmissionResult) -> dict[str, object]:
    grade = next(grade for grade in result.grades if grade.grader == "engineering")
    return {"grade": grade, **{criterion.name: criterion for criterion in grade.criteria}}


def test_tests_run_in_the_sandbox_and_are_counted(results: dict[str, SubmissionResult]) -> None:
    result = results["tested"]
    assert result.status is ResultStatus.graded
    assert [phase.name for phase in result.phases] == [
        "train",
        "predict",
        "tests",
        "repeat-train",
        "repeat-predict",
    ]
    found = engineering(result)
    tests = found["tests"]
    assert tests.score == pytest.approx(2 / 3, abs=1e-3)  # type: ignore[attr-defined]
    assert "2 passed, 1 failed" in tests.evidence[0].text  # type: ignore[attr-defined]


def test_retraining_reproduces_the_predictions(results: dict[str, SubmissionResult]) -> None:
    reproducibility = engineering(results["tested"])["reproducibility"]
    assert reproducibility.score == 1.0  # type: ignore[attr-defined]
    assert "3000 of 3000 predictions identical" in reproducibility.evidence[0].text  # type: ignore[attr-defined]


def test_a_conftest_that_rewrites_outcomes_is_caught(results: dict[str, SubmissionResult]) -> None:
    result = results["forged-tests"]
    found = engineering(result)
    assert found["tests"].score == 0.0  # type: ignore[attr-defined]
    assert any("rewritten" in flag for flag in found["grade"].flags)  # type: ignore[attr-defined]
    assert any("rewritten" in flag for flag in result.flags)
    tests_phase = next(phase for phase in result.phases if phase.name == "tests")
    assert "PASSED 3/3" in tests_phase.log_tail  # printed, and ignored


def test_the_tests_phase_does_not_decide_the_result(results: dict[str, SubmissionResult]) -> None:
    # pytest exits 1 (a failing test): the submission is still graded, not failed.
    assert results["tested"].status is ResultStatus.graded
