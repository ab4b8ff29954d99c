"""`harness demo` end to end against the real engine: every bundled example of a challenge is
graded, the cohort report and the front page are written, and each grading is an MLflow run
in the local store of the output directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from challenges.loader import load_challenge
from harness.cli import app

CHALLENGE = "kb-retrieval"


@pytest.mark.docker
def test_the_demo_grades_every_example_reports_and_tracks(
    docker_sandbox: object, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--challenge", CHALLENGE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    examples = load_challenge(CHALLENGE).spec.examples
    cohort = out / CHALLENGE
    results = [json.loads(path.read_text()) for path in sorted(cohort.glob("*/result.json"))]
    assert len(results) == len(examples)
    for item in results:
        assert (cohort / item["submission"]["id"] / "report.html").is_file()
    front = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{CHALLENGE}/index.html"' in front
    assert "Leaderboard" in (cohort / "index.html").read_text(encoding="utf-8")

    client = MlflowClient(tracking_uri=f"sqlite:///{cohort.resolve()}/mlruns.db")
    experiment = client.get_experiment_by_name(CHALLENGE)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == sorted(
        item["submission"]["id"] for item in results
    )
    by_name = {run.info.run_name: run for run in runs}
    for item in results:
        run = by_name[item["submission"]["id"]]
        assert run.data.metrics["total_score"] == pytest.approx(item["total_score"])
        artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
        assert {"report.html", "result.json"} <= artifacts
