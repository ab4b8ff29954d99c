"""Batches: resuming without regrading, duplicates graded once, concurrency, CPU placement."""

from __future__ import annotations

from pathlib import Path

import pytest

from challenges.data import prepare_data
from challenges.loader import Challenge
from harness import pipeline
from harness.result import ResultStatus
from harness.scheduler import PhaseScheduler, auto_jobs
from sandbox.base import PhaseLimits, PhaseRequest
from tests.fakes import FakeSandbox

COMPLETE = {
    "train.py": "print('train')\n",
    "predict.py": "def load(d): ...\ndef predict(m, f): ...\n",
}


def make_submission(root: Path, marker: str) -> str:
    root.mkdir(parents=True)
    for name, text in {**COMPLETE, "marker.txt": marker}.items():
        (root / name).write_text(text)
    return str(root)


@pytest.fixture()
def session(churn_challenge: Challenge, tmp_path: Path) -> pipeline.GradingSession:
    return pipeline.GradingSession(
        churn_challenge, prepare_data(churn_challenge), FakeSandbox(), "fake", tmp_path / "work"
    )


def test_rerunning_a_batch_skips_finished_submissions(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    sources = [make_submission(tmp_path / f"s{index}", str(index)) for index in range(3)]
    out = tmp_path / "out"
    first = pipeline.grade_batch(session, sources, out)
    phases_run = len(session.sandbox.requests)  # type: ignore[attr-defined]
    before = {path: path.read_bytes() for path in out.glob("*/result.json")}
    second = pipeline.grade_batch(session, sources, out)
    assert len(session.sandbox.requests) == phases_run  # type: ignore[attr-defined]
    assert [result.submission.id for result in second] == [result.submission.id for result in first]
    assert {path: path.read_bytes() for path in out.glob("*/result.json")} == before


def test_harness_errors_are_graded_again_on_resume(
    session: pipeline.GradingSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_submission(tmp_path / "flaky", "x")
    out = tmp_path / "out"
    original = pipeline.run_phases
    monkeypatch.setattr(
        pipeline, "run_phases", lambda *args: (_ for _ in ()).throw(RuntimeError("engine hiccup"))
    )
    assert pipeline.grade_batch(session, [source], out)[0].status is ResultStatus.harness_error
    monkeypatch.setattr(pipeline, "run_phases", original)
    assert pipeline.grade_batch(session, [source], out)[0].status is ResultStatus.graded


def test_a_changed_challenge_version_regrades(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    source = make_submission(tmp_path / "s", "x")
    out = tmp_path / "out"
    pipeline.grade_batch(session, [source], out)
    runs = len(session.sandbox.requests)  # type: ignore[attr-defined]
    spec = session.challenge.spec.model_copy(update={"version": "9.9.9"})
    session.challenge = session.challenge.model_copy(update={"spec": spec})
    pipeline.grade_batch(session, [source], out)
    assert len(session.sandbox.requests) > runs  # type: ignore[attr-defined]


def test_the_same_content_twice_is_graded_once(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    first = make_submission(tmp_path / "a", "same")
    second = make_submission(tmp_path / "b", "same")
    results = pipeline.grade_batch(session, [first, second], tmp_path / "out")
    assert results[0].submission.id == results[1].submission.id
    names = [request.name for request in session.sandbox.requests]  # type: ignore[attr-defined]
    assert names.count("train") == 1 and names.count("predict") == 1


def test_concurrent_grading_keeps_the_source_order(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    sources = [make_submission(tmp_path / f"s{index}", str(index)) for index in range(6)]
    sequential = pipeline.grade_batch(session, sources, tmp_path / "one")
    parallel = pipeline.grade_batch(session, sources, tmp_path / "three", jobs=3)
    assert [result.submission.id for result in parallel] == [
        result.submission.id for result in sequential
    ]
    assert all(result.status is ResultStatus.graded for result in parallel)
    assert len(list((tmp_path / "three").glob("*/result.json"))) == 6


def request(name: str) -> PhaseRequest:
    return PhaseRequest(name=name, image="x", command=["true"])


def test_measured_phases_get_a_dedicated_cpu_when_workers_run_in_parallel() -> None:
    scheduler = PhaseScheduler(FakeSandbox, jobs=2, cpus=[0, 1, 2, 3])
    assert scheduler.placement(request("predict")) == "3"
    assert scheduler.placement(request("repeat-predict")) == "3"
    assert scheduler.placement(request("train")) == "0,1,2"
    assert scheduler.placement(request("tests")) == "0,1,2"


def test_a_single_worker_is_not_pinned() -> None:
    scheduler = PhaseScheduler(FakeSandbox, jobs=1, cpus=[0, 1])
    assert scheduler.placement(request("predict")) is None


@pytest.mark.parametrize(
    ("cpus", "memory_mb", "expected"),
    [(2, 24_000, 2), (8, 24_000, 8), (8, 3_000, 1), (8, 6_000, 3), (1, 24_000, 1)],
)
def test_auto_jobs_fits_the_limits_into_the_host(cpus: int, memory_mb: int, expected: int) -> None:
    limits = [PhaseLimits(cpus=1.0, memory_mb=1536), PhaseLimits(cpus=1.0, memory_mb=1024)]
    assert auto_jobs(limits, cpus=cpus, memory_mb=memory_mb) == expected
