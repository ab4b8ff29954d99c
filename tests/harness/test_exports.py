"""Exports: Gradescope results.json, the cohort CSV, and the result schema against its docs."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from graders.base import Criterion, Evidence, GradeResult
from harness.cli import app
from harness.exports import (
    GradescopeVisibility,
    cohort_csv,
    gradescope_results,
    write_gradescope,
)
from harness.integrity import IntegrityReport
from harness.result import ChallengeInfo, ResultStatus, SubmissionInfo, SubmissionResult
from harness.review import Verdict, read_debrief, record_review
from sandbox.base import PhaseResult
from tests.harness.test_review import make_result, write_cohort

runner = CliRunner()
REPO_ROOT = Path(__file__).resolve().parents[2]
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    not_applicable = [
        GradeResult(grader="correctness", score=0.0, weight=0.6, summary="no predictions"),
        GradeResult(grader="writeup", score=0.25, weight=0.4),
        GradeResult(grader="llm_judge", score=0.0, weight=0.2, status="not_applicable"),
    ]
    return write_cohort(
        tmp_path / "out",
        [
            make_result("aaaa11112222", label="Ada Lovelace"),
            make_result(
                "bbbb33334444",
                label='=HYPERLINK("http://evil")',
                status=ResultStatus.failed,
                message="-train phase error: exited with status 1",
                grades=not_applicable,
                total_score=10.0,
                metrics={},
            ),
        ],
    )


def check_gradescope_shape(document: dict[str, Any]) -> None:
    """The fields and types of the Gradescope autograder results specification."""
    assert isinstance(document["score"], int | float)
    assert isinstance(document["output"], str)
    assert document["visibility"] in GRADESCOPE_VISIBILITY
    assert document["stdout_visibility"] in GRADESCOPE_VISIBILITY
    assert isinstance(document["execution_time"], int)
    for test in document["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], int | float) and isinstance(test["max_score"], int | float)
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert test["visibility"] in GRADESCOPE_VISIBILITY
    for column in document["leaderboard"]:
        assert set(column) == {"name", "value", "order"}
        assert isinstance(column["value"], int | float) and column["order"] in {"asc", "desc"}
    json.dumps(document, allow_nan=False)  # strict JSON: no NaN or infinity


def test_gradescope_results_add_up_to_the_total(out: Path) -> None:
    debrief = read_debrief(out)
    document = gradescope_results(debrief.candidates[0])
    check_gradescope_shape(document)
    assert [test["name"] for test in document["tests"]] == ["correctness", "writeup"]
    assert [test["max_score"] for test in document["tests"]] == [60.0, 40.0]
    assert sum(test["score"] for test in document["tests"]) == pytest.approx(document["score"])
    assert document["score"] == 68.0
    assert "- valid predictions: 1.00" in document["tests"][0]["output"]
    assert {"name": "roc_auc", "value": 0.85, "order": "desc"} in document["leaderboard"]
    assert {"name": "latency_p95_ms", "value": 12.25, "order": "asc"} in document["leaderboard"]
    assert "writeup: no tests mentioned" not in json.dumps(document)  # flags are for assessors


def test_gradescope_applies_overrides_and_leaves_not_applicable_out(out: Path) -> None:
    record_review(
        out,
        "aaaa",
        assessor="alice",
        criterion="writeup",
        verdict=Verdict.strong_yes,
        override_score=1.0,
        reason="thorough error analysis the rubric missed",
    )
    debrief = read_debrief(out)
    reviewed = gradescope_results(debrief.candidates[0], GradescopeVisibility.hidden)
    check_gradescope_shape(reviewed)
    assert reviewed["score"] == 88.0  # 0.8 x 60 + 1.0 x 40
    assert reviewed["tests"][1]["score"] == 40.0
    assert reviewed["extra_data"]["machine_score"] == 68.0
    assert reviewed["extra_data"]["overrides"][0]["reason"].startswith("thorough")
    assert {test["visibility"] for test in reviewed["tests"]} == {"hidden"}

    failed = gradescope_results(debrief.candidates[1])
    check_gradescope_shape(failed)
    judge = failed["tests"][2]
    assert (judge["name"], judge["max_score"], judge["score"]) == ("llm_judge", 0.0, 0.0)
    assert sum(test["max_score"] for test in failed["tests"]) == pytest.approx(100.0)
    assert [column["name"] for column in failed["leaderboard"]] == ["total"]


def test_gradescope_files_are_written_per_submission(out: Path, tmp_path: Path) -> None:
    written = write_gradescope(read_debrief(out), tmp_path / "gs")
    assert [path.relative_to(tmp_path / "gs").as_posix() for path in written] == [
        "aaaa11112222/results.json",
        "bbbb33334444/results.json",
    ]
    for path in written:
        check_gradescope_shape(json.loads(path.read_text()))


def test_cohort_csv_is_blind_one_row_per_submission_with_review_summary(out: Path) -> None:
    record_review(out, "aaaa", assessor="alice", criterion="overall", verdict=Verdict.yes)
    record_review(out, "aaaa", assessor="bob", criterion="overall", verdict=Verdict.no)
    text = cohort_csv(read_debrief(out))
    assert "Ada Lovelace" not in text and "HYPERLINK" not in text and "/candidates/" not in text
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame["submission_id"]) == ["aaaa11112222", "bbbb33334444"]
    assert list(frame.columns[:6]) == [
        "submission_id",
        "status",
        "message",
        "total_score",
        "adjusted_score",
        "correctness_score",
    ]
    assert {
        "writeup_score",
        "llm_judge_score",
        "roc_auc",
        "roc_auc_ci_low",
        "roc_auc_ci_high",
    } <= set(frame.columns)
    first = frame.iloc[0]
    assert first["total_score"] == 68.0 and first["roc_auc_ci_high"] == 0.87
    assert first["latency_p95_ms"] == 12.25 and first["flags_count"] == 1
    assert first["overall_verdicts"] == "alice=yes; bob=no"
    assert first["open_disagreements"] == 1 and first["assessors"] == 2
    second = frame.iloc[1]
    assert second["status"] == "failed" and pd.isna(second["roc_auc"])
    assert second["message"].startswith("'-train")  # defused for spreadsheets
    assert pd.isna(first["llm_judge_score"]) and second["llm_judge_score"] == 0.0


def test_cohort_csv_reveals_labels_only_when_asked(out: Path) -> None:
    frame = pd.read_csv(io.StringIO(cohort_csv(read_debrief(out), reveal=True)))
    assert list(frame.columns[:3]) == ["submission_id", "label", "source"]
    assert frame.iloc[0]["label"] == "Ada Lovelace"
    assert frame.iloc[1]["label"] == '\'=HYPERLINK("http://evil")'


def test_export_command(out: Path, tmp_path: Path) -> None:
    csv_run = runner.invoke(app, ["export", str(out), "--format", "csv", "--out", "-"])
    assert csv_run.exit_code == 0, csv_run.output
    assert len(pd.read_csv(io.StringIO(csv_run.stdout))) == 2

    written = runner.invoke(app, ["export", str(out), "-f", "csv", "-o", str(tmp_path / "c.csv")])
    assert written.exit_code == 0 and "blind" in written.stdout
    assert pd.read_csv(tmp_path / "c.csv").shape[0] == 2

    gradescope = runner.invoke(app, ["export", str(out), "--format", "gradescope"])
    assert gradescope.exit_code == 0, gradescope.output
    assert (out / "gradescope" / "aaaa11112222" / "results.json").is_file()

    wrong = runner.invoke(app, ["export", str(out), "--format", "xlsx"])
    assert wrong.exit_code == 2
    assert "Error: --format 'xlsx' is not one of the choices" in wrong.stderr
    assert "Hint: Use one of: gradescope, csv, mlflow." in wrong.stderr
    reveal = runner.invoke(app, ["export", str(out), "--format", "gradescope", "--reveal"])
    assert reveal.exit_code == 2 and "--reveal applies to --format csv only" in reveal.stderr
    missing = runner.invoke(app, ["export", str(tmp_path / "none"), "--format", "csv"])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


# -- result.json: schema, model and docs agree ---------------------------------------------------

RESULT_MODELS: list[type[BaseModel]] = [
    SubmissionResult,
    SubmissionInfo,
    ChallengeInfo,
    PhaseResult,
    GradeResult,
    Criterion,
    Evidence,
    IntegrityReport,
]


def documented_tables() -> list[dict[str, str]]:
    """Each field table of docs/result-schema.md as field name -> type column."""
    tables: list[dict[str, str]] = []
    current: list[str] = []
    for line in [*(REPO_ROOT / "docs" / "result-schema.md").read_text().splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
            continue
        if current and current[0].split("|")[1].strip() == "Field":
            rows = [row.split("|") for row in current[2:]]
            tables.append({row[1].strip().strip("`"): row[2] for row in rows})
        current = []
    return tables


@pytest.mark.parametrize("model", RESULT_MODELS, ids=lambda model: model.__name__)
def test_docs_describe_every_field_of_the_result_models(model: type[BaseModel]) -> None:
    tables = documented_tables()
    fields = set(model.model_fields)
    table = max(tables, key=lambda candidate: len(fields & set(candidate)))
    assert set(table) == fields, f"docs/result-schema.md differs from {model.__name__}"
    for name, info in model.model_fields.items():
        if name == "fingerprints":
            continue  # documented as an object of lists, filled by default
        marked_required = "*required*" in table[name]
        assert marked_required == info.is_required(), f"{model.__name__}.{name}"


def test_result_schema_command_prints_the_models_schema() -> None:
    printed = runner.invoke(app, ["result", "schema"])
    assert printed.exit_code == 0
    schema = json.loads(printed.stdout)
    assert schema == SubmissionResult.model_json_schema()
    assert set(schema["properties"]) == set(SubmissionResult.model_fields)
    for model in RESULT_MODELS[1:]:
        assert model.__name__ in schema["$defs"]
    version = re.search(
        r"currently `(\d+\.\d+)`", (REPO_ROOT / "docs" / "result-schema.md").read_text()
    )
    assert version and version.group(1) == SubmissionResult.model_fields["schema_version"].default
