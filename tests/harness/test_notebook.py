"""Notebook submissions without Docker: validation at ingestion, the generated repository,
the train-phase request, reading the driver's report, and the reproducibility signal."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from challenges.data import prepare_data
from challenges.loader import Challenge
from graders.writeup import read_writeup
from harness import notebook, pipeline
from harness.ingest import IngestLimits, ingest
from harness.notebook import (
    NOTEBOOK_FILE,
    NotebookSettings,
    check_notebook,
    compare_outputs,
    copy_submitted_notebooks,
    finish_phase,
    prepare_repository,
    prepared_notebook,
)
from harness.result import ResultStatus
from harness.submission import IngestStatus, Submission, SubmissionKind
from sandbox.base import Mount, PhaseRequest, PhaseResult, PhaseStatus
from tests.fakes import FakeSandbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
PYTHON = {"name": "python3", "display_name": "Python 3", "language": "python"}


def make_notebook(cells: list[Any], kernelspec: dict[str, str] | None = PYTHON) -> Any:
    document = new_notebook(cells=cells)
    if kernelspec is not None:
        document.metadata["kernelspec"] = kernelspec
    return document


def raw(document: Any) -> bytes:
    return nbformat.writes(document).encode()


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture()
def session(churn_challenge: Challenge, tmp_path: Path) -> Iterator[pipeline.GradingSession]:
    opened = pipeline.GradingSession(
        churn_challenge, prepare_data(churn_challenge), FakeSandbox(), "fake:image", tmp_path / "w"
    )
    yield opened
    pipeline.close_session(opened)


# -- validation ------------------------------------------------------------------------------


def test_invalid_json_is_rejected_with_the_position() -> None:
    checked = check_notebook((FIXTURES / "invalid.ipynb").read_bytes(), "invalid.ipynb")
    assert checked.status == "rejected"
    assert checked.message.startswith("invalid.ipynb: not a notebook: invalid JSON at line 2")
    assert "save it again from Jupyter" in checked.message


def test_an_old_nbformat_is_rejected_with_the_fix() -> None:
    old = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []})
    checked = check_notebook(old.encode(), "old.ipynb")
    assert checked.status == "rejected"
    assert "nbformat 3 is not accepted, only nbformat 4" in checked.message
    assert "save it" in checked.message


def test_a_schema_violation_names_the_path() -> None:
    document = json.loads(raw(make_notebook([new_code_cell("x = 1")])))
    document["cells"][0]["outputs"] = "printed text"
    checked = check_notebook(json.dumps(document).encode(), "bad.ipynb")
    assert checked.status == "rejected"
    assert checked.message.startswith("bad.ipynb: not a valid nbformat 4 notebook: cells/0")


def test_a_missing_kernelspec_is_rejected_unless_the_language_is_known() -> None:
    bare = make_notebook([new_code_cell("x = 1")], kernelspec=None)
    checked = check_notebook(raw(bare), "bare.ipynb")
    assert checked.status == "rejected"
    assert "no metadata.kernelspec" in checked.message and "Python 3 kernel" in checked.message

    bare.metadata["language_info"] = {"name": "python"}
    checked = check_notebook(raw(bare), "bare.ipynb")
    assert checked.status == "ok"
    assert "declares no kernelspec" in checked.notes[0]


def test_a_bash_kernel_is_unsupported_not_run_with_python() -> None:
    checked = check_notebook((FIXTURES / "bash_kernel.ipynb").read_bytes(), "bash_kernel.ipynb")
    assert checked.status == "unsupported"
    assert "declares the 'bash' kernel (language 'bash')" in checked.message
    assert "Python 3.11 kernel only" in checked.message


def test_another_python_kernel_name_runs_on_the_challenges_kernel() -> None:
    spec = {"name": "conda-env-churn-py", "display_name": "churn", "language": "python"}
    checked = check_notebook(raw(make_notebook([], kernelspec=spec)), "n.ipynb")
    assert checked.status == "ok"
    assert "'conda-env-churn-py'" in checked.notes[0] and "python3 kernel" in checked.notes[0]


def test_ingest_caps_the_size_before_parsing(tmp_path: Path, workspace: Path) -> None:
    huge = tmp_path / "huge.ipynb"
    with huge.open("wb") as handle:  # sparse: 200 MB of nothing, never valid JSON
        handle.truncate(200 * 1024 * 1024)
    submission = ingest(str(huge), workspace)
    assert submission.status is IngestStatus.rejected
    assert submission.message == (
        f"the notebook is {200 * 1024 * 1024} bytes, more than {50 * 1024 * 1024} "
        "(max_notebook_bytes)"
    )
    assert not [path for path in workspace.iterdir() if not path.name.startswith(".")]


@pytest.mark.parametrize(
    ("fixture", "status", "expected"),
    [
        ("invalid.ipynb", IngestStatus.rejected, "not a notebook: invalid JSON"),
        ("bash_kernel.ipynb", IngestStatus.unsupported, "declares the 'bash' kernel"),
    ],
)
def test_ingest_refuses_unusable_notebooks_without_a_workspace(
    workspace: Path, fixture: str, status: IngestStatus, expected: str
) -> None:
    submission = ingest(str(FIXTURES / fixture), workspace)
    assert submission.status is status and expected in submission.message
    assert submission.kind is SubmissionKind.notebook and submission.root is None
    assert list(workspace.iterdir()) == []


def test_ingest_keeps_a_valid_notebook_as_submitted(workspace: Path) -> None:
    submission = ingest(str(FIXTURES / "churn_solid.ipynb"), workspace, limits=IngestLimits())
    assert submission.status is IngestStatus.ok and submission.root is not None
    assert (submission.root / NOTEBOOK_FILE).read_bytes() == (
        FIXTURES / "churn_solid.ipynb"
    ).read_bytes()


# -- the generated repository ------------------------------------------------------------------


def ingested(workspace: Path, document: Any, tmp_path: Path, name: str = "nb") -> Submission:
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(raw(document))
    submission = ingest(str(path), workspace)
    assert submission.status is IngestStatus.ok, submission.message
    return submission


def test_predict_cells_become_the_predict_module(workspace: Path) -> None:
    submission = ingest(str(FIXTURES / "churn_solid.ipynb"), workspace)
    assert submission.root is not None
    assert prepared_notebook(submission.root) is None  # not before it is prepared

    assert prepare_repository(submission.root, "predict.py") is None

    module = (submission.root / "predict.py").read_text()
    assert module.startswith("# Generated by worksample-harness from the cells tagged 'predict'")
    assert "(cells 5, 11)" in module and "def prepare(df):" in module
    assert module.index("def prepare(df):") < module.index("def predict(model, frame):")
    assert "cross_val_score" not in module  # training cells stay out
    compile(module, "predict.py", "exec")
    assert prepared_notebook(submission.root) == NOTEBOOK_FILE
    # The writeup grader finds the markdown cells of the generated repository.
    writeup = read_writeup(submission.root)
    assert writeup is not None and "## Data problems" in writeup.text
    assert writeup.notes == ["no WRITEUP.md: graded the markdown cells of submission.ipynb"]


def test_a_repository_cannot_opt_into_notebook_execution(workspace: Path, tmp_path: Path) -> None:
    submission = ingest(str(FIXTURES / "tiny_constant.ipynb"), workspace)
    assert submission.root is not None and prepare_repository(submission.root, "predict.py") is None
    copy = tmp_path / "repository"
    shutil.copytree(submission.root, copy)  # the marker and the notebook, byte for byte
    assert prepared_notebook(copy) is None
    marker = copy / ".harness-notebook.json"
    marker.write_text(json.dumps({"seal": "0" * 64, "sha256": "0" * 64}))
    assert prepared_notebook(copy) is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            [new_code_cell("def load(d): ...\ndef predict(m, f): ...")],
            "no cell is tagged 'predict': tag the cell(s) that define load(model_dir)",
        ),
        (
            [new_markdown_cell("x"), new_code_cell("%time x = 1\ndef load(d): ...")],
            "cell 2 is tagged 'predict' but is not plain Python (line 1: '%time x = 1'",
        ),
        (
            [new_code_cell("import os\n\ndef load(model_dir):\n    return 1")],
            "the cells tagged 'predict' do not define predict(): they must define",
        ),
    ],
)
def test_a_notebook_without_a_usable_predict_interface_is_named(
    workspace: Path, tmp_path: Path, cells: list[Any], expected: str
) -> None:
    if len(cells) > 1 or "load(model_dir)" in cells[-1].source:
        cells[-1].metadata["tags"] = ["predict"]
    submission = ingested(workspace, make_notebook(cells), tmp_path)
    assert submission.root is not None
    problem = prepare_repository(submission.root, "predict.py")
    assert problem is not None and problem.startswith(expected)
    assert not (submission.root / "predict.py").exists()
    assert prepared_notebook(submission.root) is None


def test_a_notebook_without_predict_cells_fails_without_running(
    session: pipeline.GradingSession, tmp_path: Path
) -> None:
    path = tmp_path / "no_predict.ipynb"
    path.write_bytes(raw(make_notebook([new_markdown_cell("# Hi"), new_code_cell("x = 1")])))
    result = pipeline.grade_submission(session, str(path))
    assert result.status is ResultStatus.failed
    assert result.message.startswith("no cell is tagged 'predict'")
    assert session.sandbox.requests == []  # type: ignore[attr-defined]


# -- the train phase ---------------------------------------------------------------------------


def test_a_notebook_trains_through_the_driver_with_the_repository_limits(
    session: pipeline.GradingSession, workspace: Path, tmp_path: Path
) -> None:
    submission = ingest(str(FIXTURES / "churn_solid.ipynb"), workspace)
    assert submission.root is not None and prepare_repository(submission.root, "predict.py") is None
    session.notebook = NotebookSettings(cell_timeout_s=30, max_output_bytes=1_000_000)
    model_dir = tmp_path / "run" / "model"
    repository = pipeline.train_request(session, tmp_path, model_dir)
    request = pipeline.train_request(session, submission.root, model_dir)

    assert repository.command == ["python3", "train.py"]
    assert request.command[:2] == ["python3", "/harness/notebook_driver.py"]
    arguments = dict(zip(request.command[2::2], request.command[3::2], strict=True))
    limits = session.challenge.spec.limits.train
    assert arguments["--notebook"] == "/submission/submission.ipynb"
    assert arguments["--kernel"] == "python3"
    assert arguments["--cell-timeout"] == "30"
    assert float(arguments["--time-budget"]) == limits.wall_time_s - 30
    assert arguments["--max-output-bytes"] == "1000000"
    assert json.loads(arguments["--parameters"]) == {
        "DATA_DIR": "/data/public",
        "MODEL_DIR": "/model",
    }
    assert request.limits == repository.limits and request.image == repository.image
    assert request.name == "train" and request.workdir == "/submission"
    assert {key: request.env[key] for key in repository.env} == repository.env
    mounts = {mount.target: mount for mount in request.mounts}
    assert {mount.target for mount in repository.mounts} < set(mounts)
    assert mounts["/harness"].read_only and mounts["/submission"].read_only
    output = mounts["/output"]
    assert (
        not output.read_only
        and output.max_mb
        and output.source == tmp_path / "run" / "model-notebook"
    )
    assert output.source.is_dir()


def phase_request(output_dir: Path) -> PhaseRequest:
    return PhaseRequest(
        name="train",
        image="x",
        command=["python3", "/harness/notebook_driver.py"],
        mounts=[Mount(source=output_dir, target="/output", read_only=False, max_mb=64)],
        labels={"notebook-output": "/output"},
    )


def write_report(output_dir: Path, **fields: Any) -> None:
    base: dict[str, Any] = {"cells_total": 5, "code_cells_run": 1, "max_output_bytes": 1000}
    (output_dir / "notebook_report.json").write_text(json.dumps({**base, **fields}))


@pytest.mark.parametrize(
    ("report", "status", "message"),
    [
        (
            {"status": "error", "cell": 3, "source": "share = rows / 0\nprint(share)",
             "ename": "ZeroDivisionError", "evalue": "division by zero", "not_run": [4, 5]},
            PhaseStatus.error,
            "cell 3 (`share = rows / 0`) failed: ZeroDivisionError: division by zero; "
            "not run: cells 4, 5",
        ),
        (
            {"status": "timeout", "cell": 2, "source": "while True: pass", "timeout_s": 5,
             "timeout_kind": "cell", "not_run": [3]},
            PhaseStatus.timeout,
            "cell 2 (`while True: pass`) did not finish within 5 s (the per-cell limit); "
            "not run: cell 3",
        ),
        (
            {"status": "output_limit", "cell": 2, "source": "print(x)", "not_run": []},
            PhaseStatus.output_limit,
            "cell 2 (`print(x)`) produced more than 1000 bytes of output; the kernel was stopped",
        ),
    ],
)  # fmt: skip
def test_the_report_names_the_cell_in_the_phase_status(
    tmp_path: Path, report: dict[str, Any], status: PhaseStatus, message: str
) -> None:
    write_report(tmp_path, **report)
    result = PhaseResult(name="train", status=PhaseStatus.error, exit_code=3)
    finished = finish_phase(phase_request(tmp_path), result)
    assert (finished.status, finished.message) == (status, message)


def test_a_container_kill_names_the_running_cell(tmp_path: Path) -> None:
    (tmp_path / "progress.json").write_text(json.dumps({"cell": 4}))
    killed = PhaseResult(
        name="train", status=PhaseStatus.oom, message="out of memory: the OOM killer ended 1"
    )
    finished = finish_phase(phase_request(tmp_path), killed)
    assert finished.status is PhaseStatus.oom
    assert finished.message == "out of memory: the OOM killer ended 1 (while cell 4 was running)"


def test_a_clean_exit_without_a_report_is_not_trusted(tmp_path: Path) -> None:
    result = PhaseResult(name="train", status=PhaseStatus.ok, exit_code=0)
    finished = finish_phase(phase_request(tmp_path), result)
    assert finished.status is PhaseStatus.error
    assert "without a report" in finished.message


def test_other_phases_pass_through(tmp_path: Path) -> None:
    request = PhaseRequest(name="predict", image="x", command=["python3"])
    result = PhaseResult(name="predict", status=PhaseStatus.error, message="load failed")
    assert finish_phase(request, result).message == "load failed"


# -- reproducibility and copies for the report --------------------------------------------------


def executed_cell(source: str, outputs: list[Any], position: int, status: str = "ok") -> Any:
    cell = new_code_cell(source)
    cell.outputs = outputs
    cell.metadata["worksample_harness"] = {"cell": position, "status": status}
    return cell


def stdout(text: str) -> Any:
    return new_output("stream", name="stdout", text=text)


def result(text: str, count: int) -> Any:
    return new_output("execute_result", data={"text/plain": text}, execution_count=count)


def test_volatile_output_matches_and_a_changed_figure_does_not() -> None:
    submitted = make_notebook(
        [
            new_markdown_cell("# T"),
            new_code_cell("a"),
            new_code_cell("b"),
            new_code_cell("c"),
            new_code_cell("d"),
        ]
    )
    submitted.cells[1].outputs = [
        stdout("fit in 3.2 s at 2024-05-01 10:00:01\n<Model at 0x7f00aa11bb22>\n")
    ]
    submitted.cells[2].outputs = [result("0.83412345", 2)]
    submitted.cells[3].outputs = [stdout("AUC 0.9990\n")]
    submitted.cells[4].outputs = [stdout("skipped: failed on re-run\n")]
    for count, cell in enumerate(submitted.cells[1:], start=1):
        cell.execution_count = count
    injected = new_code_cell("DATA_DIR = '/data'")
    injected.metadata["worksample_harness"] = {"injected": True, "status": "ok"}
    executed = make_notebook(
        [
            injected,
            new_markdown_cell("# T"),
            executed_cell("a", [stdout("fit in 0.4 s at 2026-11-22 01:02:03\n<Model at 0x7fee00001234>\n")], 2),
            executed_cell("b", [result("0.83412346", 2)], 3),
            executed_cell("c", [stdout("AUC 0.8269\n")], 4),
            executed_cell("d", [], 5, status="failed"),
        ]
    )  # fmt: skip

    comparison = compare_outputs(submitted, executed)

    assert (comparison.compared, comparison.matched) == (3, 2)
    assert [mismatch.cell for mismatch in comparison.mismatches] == [4]
    assert comparison.notes() == [
        "notebook: 2 of 3 cells with deterministic text output match the submitted outputs on "
        "re-execution",
        "notebook: cell 4 output differs from the submitted one: submitted 'AUC 0.9990', "
        "re-run 'AUC 0.8269'",
    ]


def test_out_of_order_and_missing_outputs_are_noted() -> None:
    submitted = make_notebook([new_code_cell("a"), new_code_cell("b")])
    assert compare_outputs(submitted, submitted).notes() == [
        "notebook: submitted without outputs; nothing to compare with the re-run"
    ]
    submitted.cells[0].outputs = [stdout("1\n")]
    submitted.cells[0].execution_count, submitted.cells[1].execution_count = 7, 2
    executed = make_notebook([executed_cell("a", [stdout("1\n")], 1), executed_cell("b", [], 2)])
    notes = compare_outputs(submitted, executed).notes()
    assert notes[0].startswith("notebook: 1 of 1 cells")
    assert "execution counts are out of order" in notes[1]


def test_repository_notebooks_are_copied_as_submitted(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "analysis" / ".ipynb_checkpoints").mkdir(parents=True)
    document = raw(make_notebook([new_markdown_cell("# EDA")]))
    (root / "analysis" / "EDA v2.ipynb").write_bytes(document)
    (root / "analysis" / ".ipynb_checkpoints" / "EDA v2-checkpoint.ipynb").write_bytes(document)
    os.symlink("/etc/passwd", root / "linked.ipynb")
    submission = Submission(
        id="abc", sha256="abc", kind=SubmissionKind.directory, source="x", label="x", root=root
    )
    copied = copy_submitted_notebooks(submission, tmp_path / "notebooks")
    assert [path.name for path in copied] == ["analysis__EDA_v2.ipynb"]
    assert copied[0].read_bytes() == document


def test_notebook_names_are_safe_file_names() -> None:
    assert notebook.safe_notebook_name("../../etc/x y.ipynb") == "etc_x_y.ipynb"
    assert notebook.safe_notebook_name("...") == "notebook.ipynb"


# -- the driver's preparation (runs in the sandbox; its pure part is tested here) ---------------


def load_driver() -> Any:
    import importlib
    import sys

    driver_dir = str(Path(pipeline.DRIVER_DIR))
    if driver_dir not in sys.path:
        sys.path.insert(0, driver_dir)
    return importlib.import_module("notebook_driver")


@pytest.mark.parametrize("with_parameters_cell", [True, False])
def test_the_driver_clears_outputs_and_injects_the_paths(with_parameters_cell: bool) -> None:
    driver = load_driver()
    parameters = new_code_cell("DATA_DIR = 'data'")
    if with_parameters_cell:
        parameters.metadata["tags"] = ["parameters"]
    trained = new_code_cell("model = fit()")
    trained.outputs, trained.execution_count = [stdout("AUC 0.99\n")], 7
    document = make_notebook(
        [new_markdown_cell("# T"), parameters, trained],
        kernelspec={"name": "bash", "display_name": "B", "language": "bash"},
    )

    driver.prepare(document, {"DATA_DIR": "/data/public", "MODEL_DIR": "/model"})

    sources = [cell.source for cell in document.cells]
    injected_at = 2 if with_parameters_cell else 0
    injected = document.cells[injected_at]
    assert injected.source.splitlines()[1:] == ["DATA_DIR = '/data/public'", "MODEL_DIR = '/model'"]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert injected.metadata["worksample_harness"] == {"injected": True}
    assert sources.count(injected.source) == 1 and len(document.cells) == 4
    positions = [cell.metadata["worksample_harness"].get("cell") for cell in document.cells]
    assert [position for position in positions if position is not None] == [1, 2, 3]
    assert trained.outputs == [] and trained.execution_count is None
    assert document.metadata["kernelspec"]["name"] == "python3"
