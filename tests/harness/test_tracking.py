"""MLflow tracking: runs read back with the MLflow client, no duplicates, failures are warnings.

The last test grades real submissions in the Docker sandbox through the command line, then
reads the runs back, reviews the real results and exports them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from harness.cli import app
from harness.result import ResultStatus, SubmissionResult
from harness.tracking import (
    TAG_COMPLETE,
    TAG_GRADED_AT,
    TAG_SUBMISSION,
    TRACKING_URI_ENV,
    Tracker,
    TrackingTarget,
    metric_name,
    resolve_target,
)
from sandbox.base import PhaseResult, PhaseStatus
from tests.harness.test_exports import check_gradescope_shape
from tests.harness.test_review import make_result, write_cohort

runner = CliRunner()


def test_the_default_store_lives_in_the_output_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TRACKING_URI_ENV, raising=False)
    target = resolve_target(tmp_path / "out")
    assert target is not None
    assert target.uri == f"sqlite:///{(tmp_path / 'out').resolve()}/mlruns.db"
    assert target.artifact_root == (tmp_path / "out").resolve() / "mlartifacts"
    monkeypatch.setenv(TRACKING_URI_ENV, "http://mlflow.internal:5000")
    assert resolve_target(tmp_path) == TrackingTarget("http://mlflow.internal:5000", None)
    assert resolve_target(tmp_path, "sqlite:///x.db") == TrackingTarget("sqlite:///x.db", None)
    assert resolve_target(tmp_path, "sqlite:///x.db", enabled=False) is None


def test_metric_names_are_ones_mlflow_accepts() -> None:
    assert metric_name("roc_auc[unseen_category]") == "roc_auc/unseen_category"
    assert metric_name("f1@k=5 (macro)") == "f1_k_5 _macro_"
    assert metric_name("latency_p95_ms") == "latency_p95_ms"


def test_importing_the_harness_does_not_import_mlflow() -> None:
    code = "import sys, harness.cli, harness.tracking; print('mlflow' in sys.modules)"
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert printed.stdout.strip() == "False"


# -- logging results and reading them back --------------------------------------------------------


def with_phases(result: SubmissionResult) -> SubmissionResult:
    result.phases = [
        PhaseResult(
            name="train",
            status=PhaseStatus.ok,
            wall_s=12.5,
            peak_memory_mb=150.0,
            log_tail="epoch 1 done\n",
        ),
        PhaseResult(name="predict", status=PhaseStatus.ok, wall_s=3.0, peak_memory_mb=90.0),
    ]
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tracker, MlflowClient]:
    """One SQLite store for the module: creating its tables takes seconds."""
    out = tmp_path_factory.mktemp("tracked") / "out"
    out.mkdir(parents=True)
    target = TrackingTarget(f"sqlite:///{out.resolve()}/mlruns.db", out.resolve() / "mlartifacts")
    warnings: list[str] = []
    tracker = Tracker(target, warn=warnings.append)
    return out, tracker, MlflowClient(tracking_uri=target.uri)


def runs_of(client: MlflowClient, submission: str) -> list[Any]:
    experiment = client.get_experiment_by_name("churn-tabular")
    assert experiment is not None
    return list(
        client.search_runs(
            [experiment.experiment_id], filter_string=f"tags.`{TAG_SUBMISSION}` = '{submission}'"
        )
    )


def test_a_result_is_logged_once_with_params_metrics_and_artifacts(
    store: tuple[Path, Tracker, MlflowClient],
) -> None:
    out, tracker, client = store
    result = with_phases(make_result("d00d00d00d00"))
    write_cohort(out, [result])
    (out / "d00d00d00d00" / "report.html").write_text("<html></html>")
    (out / "d00d00d00d00" / "predictions.csv").write_text("customer_id,prediction\n1,0.5\n")

    run_id = tracker.log(result, out / "d00d00d00d00")
    assert run_id is not None
    assert tracker.log(result, out / "d00d00d00d00") == run_id  # found, not logged again
    (run,) = runs_of(client, "d00d00d00d00")
    assert run.info.run_name == "d00d00d00d00" and run.info.status == "FINISHED"
    assert run.data.params["challenge_version"] == "1.1.0"
    assert run.data.params["image_digest"] == "0123456789abcdef"
    assert run.data.params["status"] == "graded"
    assert "label" not in run.data.params and "source" not in run.data.params  # blind
    metrics = run.data.metrics
    assert metrics["total_score"] == result.total_score
    assert metrics["grade/correctness"] == 0.8 and metrics["grade/writeup"] == 0.5
    assert (metrics["roc_auc"], metrics["roc_auc_ci_low"], metrics["roc_auc_ci_high"]) == (
        0.85,
        0.83,
        0.87,
    )
    assert metrics["roc_auc/drifted"] == 0.8
    assert (metrics["latency_p50_ms"], metrics["latency_p95_ms"]) == (7.5, 12.25)
    assert metrics["train_peak_memory_mb"] == 180.0 and metrics["training_cost_usd"] == 0.0001
    assert metrics["phase/train/peak_memory_mb"] == 150.0
    assert run.data.tags[TAG_GRADED_AT] == result.finished_at
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert artifacts == {"report.html", "result.json", "predictions.csv", "logs"}
    assert [item.path for item in client.list_artifacts(run.info.run_id, "logs")] == [
        "logs/train.log"
    ]
    downloaded = client.download_artifacts(run.info.run_id, "result.json")
    assert SubmissionResult.model_validate_json(Path(downloaded).read_text()) == result
    assert tracker.logged == ["d00d00d00d00"] and tracker.skipped == ["d00d00d00d00"]


def test_a_new_grading_is_a_new_run_and_a_cut_short_run_is_replaced(
    store: tuple[Path, Tracker, MlflowClient],
) -> None:
    out, tracker, client = store
    first = make_result("feedfeedfeed")
    write_cohort(out, [first])
    tracker.log(first, out / "feedfeedfeed")
    regraded = make_result(
        "feedfeedfeed",
        status=ResultStatus.harness_error,
        finished_at="2024-06-12T08:00:00+00:00",
    )
    tracker.log(regraded, out / "feedfeedfeed")
    runs = runs_of(client, "feedfeedfeed")
    assert sorted(run.info.status for run in runs) == ["FAILED", "FINISHED"]

    # A logger killed before it finished leaves a run without the completion tag.
    latest = next(run for run in runs if run.info.status == "FAILED")
    client.delete_tag(latest.info.run_id, TAG_COMPLETE)
    replacement = tracker.log(regraded, out / "feedfeedfeed")
    assert replacement not in {None, latest.info.run_id}
    assert len(runs_of(client, "feedfeedfeed")) == 2
    assert client.get_run(latest.info.run_id).info.lifecycle_stage == "deleted"


def test_tracking_failures_are_warnings_and_it_gives_up_on_a_dead_store(tmp_path: Path) -> None:
    warnings: list[str] = []
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    tracker = Tracker(TrackingTarget(f"sqlite:///{blocker}/mlruns.db", None), warn=warnings.append)
    results = [make_result(f"{index:012d}") for index in range(4)]
    for result in results:
        tracker.submit(result, tmp_path)  # the background path: must not raise either
    tracker.close()
    assert tracker.failed == [result.submission.id for result in results]
    assert tracker.logged == [] and tracker.gave_up
    assert len(warnings) == 3
    assert warnings[0].startswith(
        f"could not log {results[0].submission.id} to MLflow at sqlite:///"
    )
    assert warnings[-1].endswith("tracking stopped for this run")


def test_export_to_mlflow_logs_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TRACKING_URI_ENV, raising=False)
    out = write_cohort(tmp_path / "out", [make_result("abcabcabcabc"), make_result("defdefdefdef")])
    first = runner.invoke(app, ["export", str(out), "--format", "mlflow"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "2 new run(s)" in first.stdout
    again = runner.invoke(app, ["export", str(out), "--format", "mlflow"], env={"COLUMNS": "200"})
    assert "0 new run(s), 2 already logged" in again.stdout
    dead = runner.invoke(
        app,
        [
            "export",
            str(out),
            "--format",
            "mlflow",
            "--tracking-uri",
            f"sqlite:///{out}/abcabcabcabc/result.json/x.db",
        ],
    )
    assert dead.exit_code == 1
    assert "Warning: 2 result(s) were not logged to MLflow" in dead.stderr


# -- tracking from `harness grade` (fake sandbox) -------------------------------------------------


@pytest.fixture
def fake_grading(
    churn_challenge: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """`harness grade` with phases answered by a fake sandbox; returns two sources."""
    from challenges.data import prepare_data
    from harness import pipeline
    from tests.fakes import FakeSandbox

    def open_session(*args: Any, **kwargs: Any) -> pipeline.GradingSession:
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        return pipeline.GradingSession(
            churn_challenge, prepare_data(churn_challenge), FakeSandbox(), "fake", work
        )

    monkeypatch.setattr(pipeline, "open_session", open_session)
    monkeypatch.delenv(TRACKING_URI_ENV, raising=False)
    sources = []
    for name in ("first", "second"):
        root = tmp_path / name
        root.mkdir()
        (root / "train.py").write_text(f"print('{name}')\n")
        (root / "predict.py").write_text("def load(d): ...\ndef predict(m, f): ...\n")
        sources.append(str(root))
    return sources


def test_grading_goes_on_when_tracking_fails(fake_grading: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = tmp_path / "blocker"
    dead.write_text("")
    graded = runner.invoke(
        app,
        [
            "grade",
            *fake_grading,
            "-c",
            "churn-tabular",
            "-o",
            str(out),
            "--tracking-uri",
            f"sqlite:///{dead}/mlruns.db",
        ],
    )
    assert graded.exit_code == 0, graded.output
    assert len(list(out.glob("*/result.json"))) == 2
    assert "Warning: 2 result(s) were not logged to MLflow (their grading is complete" in (
        graded.stderr
    )


def test_grading_logs_each_result_once_and_not_at_all_with_no_tracking(
    fake_grading: list[str], tmp_path: Path
) -> None:
    untracked = tmp_path / "untracked"
    command = ["grade", *fake_grading, "-c", "churn-tabular", "--jobs", "2"]
    assert runner.invoke(app, [*command, "-o", str(untracked), "--no-tracking"]).exit_code == 0
    assert len(list(untracked.glob("*/result.json"))) == 2
    assert not (untracked / "mlruns.db").exists() and not (untracked / "mlartifacts").exists()

    out = tmp_path / "out"
    first = runner.invoke(app, [*command, "-o", str(out)])
    assert first.exit_code == 0, first.output
    # The report logged is the final one, placed in the cohort, not the first draft.
    client = MlflowClient(tracking_uri=f"sqlite:///{out.resolve()}/mlruns.db")
    for run in client.search_runs([client.get_experiment_by_name("churn-tabular").experiment_id]):
        logged = client.download_artifacts(run.info.run_id, "report.html", str(tmp_path))
        final = out / run.info.run_name / "report.html"
        assert Path(logged).read_bytes() == final.read_bytes(), run.info.run_name
    again = runner.invoke(app, [*command, "-o", str(out)], env={"COLUMNS": "200"})
    assert "0 new run(s), 2 already logged" in again.stdout
    client = MlflowClient(tracking_uri=f"sqlite:///{out.resolve()}/mlruns.db")
    experiment = client.get_experiment_by_name("churn-tabular")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    ids = {path.parent.name for path in out.glob("*/result.json")}
    assert sorted(run.info.run_name for run in runs) == sorted(ids)


# -- a real batch ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_batch(
    docker_sandbox: Any,
    runtime_image: str,
    churn_challenge: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[str], Any]:
    """The baseline (graded) and a candidate whose training crashes (failed), graded through
    the command line with the default tracking store."""
    out = tmp_path_factory.mktemp("real") / "out"
    sources = [
        str(churn_challenge.path("solutions/baseline")),
        str(churn_challenge.path("examples/crashes-in-training")),
    ]
    graded = runner.invoke(
        app,
        ["grade", *sources, "--challenge", "churn-tabular", "--out", str(out)],
        env={TRACKING_URI_ENV: "", "COLUMNS": "200"},
    )
    assert graded.exit_code == 0, graded.output
    return out, sources, graded


@pytest.mark.docker
def test_a_real_batch_is_tracked_once_reviewed_and_exported(
    real_batch: tuple[Path, list[str], Any],
) -> None:
    out, sources, graded = real_batch
    assert "MLflow (sqlite:///" in graded.stdout and "2 new run(s)" in graded.stdout
    results = {
        result.status: result
        for result in (
            SubmissionResult.model_validate_json(path.read_text())
            for path in out.glob("*/result.json")
        )
    }
    baseline, crashed = results[ResultStatus.graded], results[ResultStatus.failed]

    client = MlflowClient(tracking_uri=f"sqlite:///{out.resolve()}/mlruns.db")
    experiment = client.get_experiment_by_name("churn-tabular")
    assert experiment is not None
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {baseline.submission.id, crashed.submission.id}
    run = runs[baseline.submission.id]
    assert run.data.metrics["total_score"] == baseline.total_score
    for name in (
        "roc_auc",
        "roc_auc_ci_low",
        "roc_auc_ci_high",
        "latency_p50_ms",
        "latency_p95_ms",
    ):
        assert run.data.metrics[name] == baseline.metrics[name]
    assert {f"grade/{grade.grader}" for grade in baseline.grades} <= set(run.data.metrics)
    assert run.data.params["image"] == baseline.image
    assert {"report.html", "result.json", "predictions.csv", "logs"} <= {
        item.path for item in client.list_artifacts(run.info.run_id)
    }
    assert runs[crashed.submission.id].data.params["status"] == "failed"
    assert "logs/train.log" in {
        item.path for item in client.list_artifacts(runs[crashed.submission.id].info.run_id, "logs")
    }

    # Rerunning the finished batch grades nothing and logs nothing twice.
    again = runner.invoke(
        app,
        ["grade", *sources, "--challenge", "churn-tabular", "--out", str(out)],
        env={TRACKING_URI_ENV: "", "COLUMNS": "200"},
    )
    assert again.exit_code == 0, again.output
    assert "0 new run(s), 2 already logged" in again.stdout
    assert len(client.search_runs([experiment.experiment_id])) == 2

    # Two assessors review the real results; one overrides a grader's score.
    for assessor, verdicts in {"alice": ("yes", "strong_no"), "bob": ("strong_yes", "no")}.items():
        for result, verdict in zip((baseline, crashed), verdicts, strict=True):
            added = runner.invoke(
                app,
                [
                    "review",
                    "add",
                    str(out),
                    result.submission.id[:6],
                    "-a",
                    assessor,
                    "--verdict",
                    verdict,
                ],
            )
            assert added.exit_code == 0, added.output
    grader = baseline.grades[0].grader
    override = runner.invoke(
        app,
        [
            "review",
            "add",
            str(out),
            baseline.submission.id,
            "-a",
            "alice",
            "-c",
            grader,
            "--verdict",
            "yes",
            "--override",
            "1",
            "--reason",
            "a constant is the honest answer to this task",
        ],
    )
    assert override.exit_code == 0, override.output
    summary = runner.invoke(app, ["review", "summary", str(out)], env={"COLUMNS": "200"})
    assert summary.exit_code == 0, summary.output
    page = (out / "debrief.html").read_text()
    assert "a constant is the honest answer to this task" in page
    assert baseline.submission.source not in page and "solutions/baseline" not in page  # blind

    exported = runner.invoke(app, ["export", str(out), "--format", "csv", "--out", "-"])
    frame = pd.read_csv(io.StringIO(exported.stdout)).set_index("submission_id")
    assert frame.loc[baseline.submission.id, "roc_auc"] == pytest.approx(
        baseline.metrics["roc_auc"]
    )
    assert frame.loc[baseline.submission.id, "overall_verdicts"] == "alice=yes; bob=strong_yes"
    assert frame.loc[baseline.submission.id, "adjusted_score"] > baseline.total_score
    assert runner.invoke(app, ["export", str(out), "--format", "gradescope"]).exit_code == 0
    document = json.loads(
        (out / "gradescope" / baseline.submission.id / "results.json").read_text()
    )
    check_gradescope_shape(document)
    assert [test["name"] for test in document["tests"]] == [
        grade.grader for grade in baseline.grades
    ]


def test_a_resumed_batch_updates_the_report_of_runs_logged_before(
    fake_grading: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    base = ["grade", "-c", "churn-tabular", "-o", str(out)]
    assert runner.invoke(app, [*base, fake_grading[0]]).exit_code == 0
    first_id = next(out.glob("*/result.json")).parent.name
    alone = (out / first_id / "report.html").read_bytes()
    # The same submission again with a second one: its run exists already, its report now
    # places it in a cohort of two, and the run must hold that version.
    again = runner.invoke(app, [*base, *fake_grading], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "1 new run(s), 1 already logged" in again.stdout
    final = (out / first_id / "report.html").read_bytes()
    assert final != alone
    client = MlflowClient(tracking_uri=f"sqlite:///{out.resolve()}/mlruns.db")
    experiment = client.get_experiment_by_name("churn-tabular")
    assert experiment is not None
    (run,) = [
        run
        for run in client.search_runs([experiment.experiment_id])
        if run.info.run_name == first_id
    ]
    logged = client.download_artifacts(run.info.run_id, "report.html", str(tmp_path))
    assert Path(logged).read_bytes() == final
