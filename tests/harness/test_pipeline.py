"""End to end against the real Docker engine: the bundled examples, and a probe that
hunts for hidden labels from inside both phases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import pipeline
from harness.result import RESULT_SCHEMA_VERSION, ResultStatus, SubmissionResult
from sandbox.base import PhaseStatus

pytestmark = pytest.mark.docker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"


@pytest.fixture(scope="module")
def session(docker_sandbox, runtime_image: str) -> Iterator[pipeline.GradingSession]:  # type: ignore[no-untyped-def]
    opened = pipeline.open_session("churn-tabular")
    yield opened
    pipeline.close_session(opened)


@pytest.fixture(scope="module")
def graded(
    session: pipeline.GradingSession, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SubmissionResult]:
    challenge = session.challenge
    sources = {
        "reference": str(challenge.path("solutions/reference")),
        "baseline": str(challenge.path("solutions/baseline")),
        "crash": str(challenge.path("examples/crashes-in-training")),
        "solid": str(challenge.path("examples/solid")),
        "naive": str(challenge.path("examples/naive")),
        "probe": str(FIXTURES / "probe"),
    }
    out = tmp_path_factory.mktemp("out")
    results = pipeline.grade_batch(session, list(sources.values()), out)
    by_source = {result.submission.source: result for result in results}
    graded = {name: by_source[source] for name, source in sources.items()}
    graded["__out__"] = out  # type: ignore[assignment]
    return graded


def test_reference_clears_the_target(
    graded: dict[str, SubmissionResult], session: pipeline.GradingSession
) -> None:
    result = graded["reference"]
    assert result.status is ResultStatus.graded, result.message
    value = result.metrics["roc_auc"]
    assert value is not None and value >= session.challenge.spec.thresholds.target
    low, high = result.metrics["roc_auc_ci_low"], result.metrics["roc_auc_ci_high"]
    assert low is not None and high is not None and low < value < high
    assert (
        result.metrics["training_cost_usd"] and result.metrics["cost_per_million_predictions_usd"]
    )
    assert [phase.status for phase in result.phases][:2] == [PhaseStatus.ok, PhaseStatus.ok]
    assert all(phase.status is PhaseStatus.ok for phase in result.phases)
    latency = result.timings["latency_ms"]
    assert latency["n"] == session.challenge.spec.contract.latency_samples
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    cpu = result.timings["latency_cpu_ms"]
    assert 0 < cpu["p50"] <= cpu["p95"]
    assert result.timings["host_load_average"] >= 0
    for phase in result.phases:
        assert phase.peak_memory_mb and phase.peak_memory_mb > 20
        assert phase.cpu_s and phase.cpu_s > 0


def test_baseline_stays_below_the_baseline_threshold(
    graded: dict[str, SubmissionResult], session: pipeline.GradingSession
) -> None:
    result = graded["baseline"]
    assert result.status is ResultStatus.graded
    value = result.metrics["roc_auc"]
    assert value is not None and value < session.challenge.spec.thresholds.baseline
    assert next(grade for grade in result.grades if grade.grader == "correctness").score == 0.0


def test_crashing_training_is_a_graded_failure_with_its_traceback(
    graded: dict[str, SubmissionResult],
) -> None:
    result = graded["crash"]
    assert result.status is ResultStatus.failed
    assert len(result.phases) == 1
    train = result.phases[0]
    assert train.status is PhaseStatus.error and train.exit_code == 1
    assert "Traceback (most recent call last)" in train.log_tail and "KeyError" in train.log_tail
    assert next(grade for grade in result.grades if grade.grader == "correctness").score == 0.0
    assert "no predictions: the train phase ended with error" in result.grades[0].summary


def test_hidden_labels_are_absent_from_every_container(graded: dict[str, SubmissionResult]) -> None:
    result = graded["probe"]
    assert result.status is ResultStatus.graded, result.message
    probes = {}
    for phase in result.phases:
        line = next(line for line in phase.log_tail.splitlines() if line.startswith("PROBE "))
        _, name, payload = line.split(" ", 2)
        probes[name] = json.loads(payload)
    assert set(probes) == {"train", "predict"}
    for name, probe in probes.items():
        assert probe["found"] == [], f"{name} phase found hidden data: {probe['found']}"
    assert probes["predict"]["eval_header_seen"] and not probes["predict"]["eval_has_target"]
    assert not probes["train"]["eval_header_seen"], (
        "evaluation features must only be mounted for predict"
    )


def test_hidden_directory_is_never_mounted(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    hidden = session.data.hidden_dir.resolve()
    requests = [
        pipeline.train_request(session, tmp_path, tmp_path / "model"),
        pipeline.predict_request(session, tmp_path, tmp_path / "model", tmp_path / "output"),
    ]
    for request in requests:
        for mount in request.mounts:
            source = mount.source.resolve()
            assert not source.is_relative_to(hidden) and not hidden.is_relative_to(source), (
                request.name,
                source,
            )
            assert not any(
                path.name == "labels.csv" for path in source.rglob("*") if source != tmp_path
            )
    assert any(mount.target == "/data/eval" for mount in requests[1].mounts)
    assert all(mount.target != "/data/eval" for mount in requests[0].mounts)


def test_results_and_reports_are_written(graded: dict[str, SubmissionResult]) -> None:
    out: Path = graded["__out__"]  # type: ignore[assignment]
    for name in ("reference", "baseline", "crash"):
        result = graded[name]
        directory = out / result.submission.id
        document = json.loads((directory / "result.json").read_text())
        assert document["schema_version"] == RESULT_SCHEMA_VERSION
        assert document["integrity"]["fingerprints"]["code"]
        assert document["status"] == result.status.value
        assert document["submission"]["sha256"].startswith(result.submission.id)
        assert {
            "name",
            "status",
            "exit_code",
            "wall_s",
            "cpu_s",
            "peak_memory_mb",
            "log_tail",
        } <= set(document["phases"][0])
        assert "<html" in (directory / "report.html").read_text()
    assert (out / "index.html").is_file()
    similarity = json.loads((out / "similarity.json").read_text())
    assert similarity["submissions"] >= 4


def test_overhead_is_recorded(graded: dict[str, SubmissionResult]) -> None:
    result = graded["reference"]
    assert 0 < result.overhead_s < result.wall_s


def test_no_containers_are_left_behind(  # type: ignore[no-untyped-def]
    session: pipeline.GradingSession, graded: dict[str, SubmissionResult], docker_sandbox
) -> None:
    import os

    from sandbox.docker_backend import LABEL, LABEL_OWNER_PID

    # Containers of finished phases are removed in the background (and prepared ones nobody
    # used are dropped) by the time a session closes.
    session.scheduler.close()
    owned = docker_sandbox.client.containers.list(
        all=True,
        filters={"label": [LABEL, f"{LABEL_OWNER_PID}={os.getpid()}"]},
        ignore_removed=True,
    )
    assert owned == []


def test_regrading_the_same_content_gives_the_same_id(
    session: pipeline.GradingSession, graded: dict[str, SubmissionResult], tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy-of-baseline"
    shutil.copytree(session.challenge.path("solutions/baseline"), copy)
    result = pipeline.grade_submission(session, str(copy))
    assert result.submission.id == graded["baseline"].submission.id
    for key in ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"):
        assert result.metrics[key] == graded["baseline"].metrics[key]


LADDER = ["reference", "solid", "naive", "baseline", "crash"]  # excellent ... broken


def grade_of(result: SubmissionResult, name: str):  # type: ignore[no-untyped-def]
    return next(grade for grade in result.grades if grade.grader == name)


def test_the_quality_ladder_is_ranked_in_order(graded: dict[str, SubmissionResult]) -> None:
    scores = [graded[name].total_score for name in LADDER]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores), dict(
        zip(LADDER, scores, strict=True)
    )


def test_each_grader_explains_the_ranking(graded: dict[str, SubmissionResult]) -> None:
    reference, solid, naive, baseline, crash = (graded[name] for name in LADDER)
    # Correctness: measured on the hidden set, with the position against the thresholds.
    assert "clears the target" in grade_of(reference, "correctness").summary
    assert "between baseline and target" in grade_of(naive, "correctness").summary
    assert "does not beat the baseline" in grade_of(baseline, "correctness").summary
    assert "no predictions" in grade_of(crash, "correctness").summary
    # Writeup: the reference names the injected problems, the naive one over-claims.
    assert (
        grade_of(reference, "writeup").score
        > grade_of(solid, "writeup").score
        > grade_of(naive, "writeup").score
    )
    assert any("but the harness measured" in flag for flag in naive.flags)
    noticed = [
        item for item in grade_of(reference, "writeup").details["data_problems"] if item["noticed"]
    ]
    assert len(noticed) >= 8 and all(item["evidence"] for item in noticed)
    # Performance: every budget measured for the reference (time budgets depend on how busy
    # the host is, so only the memory budgets' credit is asserted); unmeasured when nothing
    # was predicted.
    results = grade_of(reference, "performance").details["results"]
    assert results and not any("unmeasured" in outcome for outcome in results.values())
    assert all(results[name]["score"] == 1.0 for name in results if name.endswith("memory_mb"))
    assert grade_of(crash, "performance").score == 0.0
    # Engineering: the reference ships tests that pass and reproduces its predictions.
    engineering = {
        criterion.name: criterion for criterion in grade_of(reference, "engineering").criteria
    }
    assert engineering["tests"].score == 1.0 and engineering["reproducibility"].score == 1.0
    assert engineering["dependencies"].score == 1.0
