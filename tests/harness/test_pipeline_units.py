"""Pipeline behaviour without Docker: a fake sandbox backend stands in for the engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from challenges.data import prepare_data
from challenges.loader import Challenge
from challenges.spec import GraderSpec
from graders import GradeResult, GradingContext, graders
from harness import pipeline
from harness.result import ResultStatus
from sandbox.base import PhaseResult
from tests.fakes import FakeSandbox


@pytest.fixture()
def session(churn_challenge: Challenge, tmp_path: Path) -> Iterator[pipeline.GradingSession]:
    opened = pipeline.GradingSession(
        churn_challenge,
        prepare_data(churn_challenge),
        FakeSandbox(),
        "fake:image",
        tmp_path / "work",
    )
    yield opened
    pipeline.close_session(opened)


def make_submission(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return str(root)


COMPLETE = {
    "train.py": "print('train')\n",
    "predict.py": "def load(d): ...\ndef predict(m, f): ...\n",
}


def test_missing_contract_files_fail_without_running(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    source = make_submission(tmp_path / "partial", {"train.py": "print(1)\n"})
    result = pipeline.grade_submission(session, source)
    assert result.status is ResultStatus.failed
    assert result.message == "required file(s) missing: predict.py (see the submission contract)"
    assert result.phases == []
    assert session.sandbox.requests == []  # type: ignore[attr-defined]


def test_a_harness_bug_is_recorded_and_the_batch_goes_on(
    session: pipeline.GradingSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = make_submission(tmp_path / "broken", {**COMPLETE, "marker.txt": "break me"})
    fine = make_submission(tmp_path / "fine", COMPLETE)
    original = pipeline.run_phases

    def flaky(
        session: pipeline.GradingSession, root: Path, model: Path, output: Path
    ) -> list[PhaseResult]:
        if (root / "marker.txt").exists():
            raise RuntimeError("simulated harness bug")
        return original(session, root, model, output)

    monkeypatch.setattr(pipeline, "run_phases", flaky)
    out = tmp_path / "out"
    results = pipeline.grade_batch(session, [broken, fine], out)
    assert [result.status for result in results] == [
        ResultStatus.harness_error,
        ResultStatus.graded,
    ]
    assert results[0].error and "simulated harness bug" in results[0].error
    assert "Traceback" in results[0].error
    for result in results:
        assert (out / result.submission.id / "result.json").is_file()
        assert (out / result.submission.id / "report.html").is_file()
    assert results[1].metrics["roc_auc"] == pytest.approx(0.5)


def test_a_grader_that_raises_is_recorded_for_that_grader_only(
    session: pipeline.GradingSession, churn_challenge: Challenge, tmp_path: Path
) -> None:
    def exploding() -> object:
        def grade(context: GradingContext) -> GradeResult:
            raise ZeroDivisionError("grader bug")

        return grade

    graders.register("test-exploding", exploding)  # type: ignore[arg-type]
    spec = churn_challenge.spec.model_copy(
        update={
            "graders": [
                *churn_challenge.spec.graders,
                GraderSpec(name="test-exploding", weight=1.0),
            ]
        }
    )
    session.challenge = churn_challenge.model_copy(update={"spec": spec})
    result = pipeline.grade_submission(session, make_submission(tmp_path / "ok", COMPLETE))
    by_name = {grade.grader: grade for grade in result.grades}
    assert by_name["test-exploding"].status == "error"
    assert "ZeroDivisionError: grader bug" in by_name["test-exploding"].summary
    assert by_name["correctness"].status == "ok"
    assert result.status is ResultStatus.graded


def test_total_score_uses_the_challenge_weights() -> None:
    grades = [
        GradeResult(grader="a", score=1.0, weight=3.0),
        GradeResult(grader="b", score=0.0, weight=1.0),
    ]
    assert pipeline.total_score(grades) == 75.0
    assert pipeline.total_score([]) == 0.0


def test_rejected_archives_are_results_not_errors(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    import tarfile

    archive = tmp_path / "evil.tar.gz"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(payload, arcname="../evil.txt")
    result = pipeline.grade_submission(session, str(archive))
    assert result.status is ResultStatus.rejected
    assert "evil.txt" in result.message
    assert not (tmp_path.parent / "evil.txt").exists()


def test_not_applicable_grades_are_left_out_of_the_total() -> None:
    grades = [
        GradeResult(grader="a", score=0.8, weight=1.0),
        GradeResult(grader="b", score=0.0, weight=1.0, status="not_applicable"),
        GradeResult(grader="c", score=0.0, weight=1.0, status="error"),
    ]
    assert pipeline.total_score(grades) == 40.0


def test_bad_grader_arguments_fail_before_any_submission(churn_challenge: Challenge) -> None:
    from harness.errors import ChallengeError

    spec = churn_challenge.spec.model_copy(
        update={"graders": [GraderSpec(name="correctness", weight=1.0, args={"bootstrapp": 10})]}
    )
    with pytest.raises(
        ChallengeError, match=r"graders\[0\]\.args: correctness does not accept these arguments"
    ):
        pipeline.check_graders(churn_challenge.model_copy(update={"spec": spec}))
