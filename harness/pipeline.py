"""The grading pipeline, top to bottom:

    load challenge -> ingest submission -> run phases in the sandbox -> grade -> report

Each stage is a function over plain typed data, so a test can start anywhere.
Candidate failures become data (a phase status, a grade with a reason); only
harness misuse raises ``HarnessError``. One submission's failure, even a bug in
the harness, never stops a batch: it is recorded as ``harness_error``.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from challenges.data import PreparedData, prepare_data
from challenges.loader import Challenge, load_challenge
from graders import GradeResult, GradingContext, graders
from graders.measure import measure
from graders.predictions import MAX_PREDICTIONS_BYTES, read_regular_file
from harness import __version__
from harness.config import harness_home
from harness.fsutil import atomic_write_bytes, atomic_write_text, remove_tree
from harness.ingest import ingest
from harness.integrity import inspect_submission, write_similarity
from harness.notebook import (
    NOTEBOOKS_DIR,
    NotebookSettings,
    collect_executed_notebook,
    copy_submitted_notebooks,
    finish_phase,
    notebook_output_dir,
    prepare_repository,
    prepared_notebook,
)
from harness.notebook import train_request as notebook_train_request
from harness.result import ChallengeInfo, ResultStatus, SubmissionInfo, SubmissionResult
from harness.scheduler import PhaseScheduler
from harness.submission import IngestStatus, Submission, SubmissionKind, find_tests
from reports.blind import declared_names, write_identity
from reports.html import write_all, write_single_report
from sandbox import Mount, PhaseRequest, PhaseResult, PhaseStatus, Sandbox, sandboxes
from sandbox.docker_backend import prepare_writable_dir

Progress = Callable[[str], None]

DRIVER_DIR = Path(__file__).resolve().parent.parent / "sandbox" / "driver"
SUBMISSION_MOUNT = "/submission"
PUBLIC_DATA_MOUNT = "/data/public"
EVAL_DATA_MOUNT = "/data/eval"
MODEL_MOUNT = "/model"
OUTPUT_MOUNT = "/output"
DRIVER_MOUNT = "/harness"
OUTPUT_QUOTA_MB = 256
RESULT_FILE = "result.json"
TIMINGS_MAX_BYTES = 4 * 1024 * 1024


@dataclass
class GradingSession:
    """What a batch shares: the challenge, its data, the sandbox and the runtime image."""

    challenge: Challenge
    data: PreparedData
    sandbox: Sandbox
    image: str
    work_root: Path
    progress: Progress = field(default=lambda message: None)
    notebook: NotebookSettings = field(init=False)
    """From the challenge's ``notebook:`` settings."""
    scheduler: PhaseScheduler = field(init=False)
    declared_names: dict[str, list[str]] = field(init=False, default_factory=dict)
    """Names each graded submission declares about itself (``reports.blind``), kept from
    its files before they are dropped until its outputs are written."""

    def __post_init__(self) -> None:
        notebook = self.challenge.spec.notebook
        self.notebook = NotebookSettings(
            cell_timeout_s=notebook.cell_timeout_s,
            max_output_bytes=int(notebook.max_output_mb * 1024 * 1024),
        )
        primary = self.sandbox

        def make_sandbox() -> Sandbox:
            # Worker threads get their own backend instance; the main thread keeps the first.
            if threading.current_thread() is threading.main_thread():
                return primary
            return type(primary)()

        self.scheduler = PhaseScheduler(make_sandbox)

    def run_phase(self, request: PhaseRequest) -> PhaseResult:
        """Run a phase through the scheduler (CPU placement, measured phases one at a time)."""
        return finish_phase(request, self.scheduler.run(request))

    def prepare_phase(self, request: PhaseRequest, ahead: int = 1) -> None:
        """Get the container of the phase after the next ``run_phase`` (``ahead=2``: the one
        after that) ready while the phases before it run; ``run_phase`` must then get an
        identical request."""
        self.scheduler.prepare(request, ahead)


# -- stage 1: load the challenge -------------------------------------------------------------


def open_session(
    challenge_id: str,
    challenges_path: list[Path] | None = None,
    sandbox_name: str = "docker",
    progress: Progress = lambda message: None,
    build_images: bool = True,
) -> GradingSession:
    """Load and validate the challenge, generate its data, reach the sandbox and make
    sure the runtime image exists. Everything that can be wrong with the set-up fails
    here, before any submission runs.

    Raises:
        HarnessError: unknown or invalid challenge, engine unavailable, image build failure.
    """
    challenge = load_challenge(challenge_id, challenges_path)
    check_graders(challenge)
    progress(f"preparing data for {challenge.id}")
    data = prepare_data(challenge)
    sandbox = sandboxes.get(sandbox_name)()
    sandbox.check()
    removed = sandbox.cleanup_stale()
    if removed:
        progress(f"removed {removed} container(s) left by an interrupted run")
    image = ensure_image(sandbox, challenge, progress, build=build_images)
    remove_stale_workspaces(harness_home() / "work")
    work_root = harness_home() / "work" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work_root.mkdir(parents=True, exist_ok=True)
    return GradingSession(challenge, data, sandbox, image, work_root, progress)


def check_graders(challenge: Challenge) -> None:
    """Build each grader once with the challenge's args, so an unknown grader or a bad
    argument fails before any submission runs (not as an error on every one).

    Raises:
        HarnessError: naming the grader and the problem.
    """
    from harness.errors import ChallengeError, HarnessError

    for index, spec in enumerate(challenge.spec.graders):
        factory = graders.get(spec.name)
        try:
            factory(**spec.args)
        except HarnessError as error:
            raise ChallengeError(
                f"{challenge.spec_file}: graders[{index}] ({spec.name}): {error.message}",
                hint=error.hint,
            ) from error
        except TypeError as error:
            raise ChallengeError(
                f"{challenge.spec_file}: graders[{index}].args: {spec.name} does not accept these arguments: {error}",
                hint=f"See the docstring of the {spec.name!r} grader for its arguments.",
            ) from error


def ensure_image(
    sandbox: Sandbox, challenge: Challenge, progress: Progress, build: bool = True
) -> str:
    """The runtime image reference for ``challenge``, built when missing (Docker backend)."""
    from harness.errors import ImageError
    from sandbox.images import challenge_image

    client = getattr(sandbox, "client", None)
    if client is None:
        raise ImageError(f"sandbox backend {sandbox.name!r} does not build images")
    return challenge_image(client, challenge, progress, build=build)


def close_session(session: GradingSession) -> None:
    session.scheduler.close()
    remove_tree(session.work_root)


# -- stage 2..5 for one submission -------------------------------------------------------------


def grade_submission(
    session: GradingSession, source: str, ref: str | None = None
) -> SubmissionResult:
    """Ingest, run, grade one submission. Never raises for candidate failures."""
    started_at, started = now(), time.perf_counter()
    session.progress(f"ingesting {source}")
    submission = ingest(source, session.work_root / "submissions", ref=ref)
    return grade_ingested(session, submission, started_at, started)


def grade_ingested(
    session: GradingSession, submission: Submission, started_at: str, started: float
) -> SubmissionResult:
    """Run and grade an ingested submission, then drop its workspace copy."""
    try:
        result = _grade_ingested(session, submission, started_at)
    finally:
        if submission.root is not None:
            try:
                session.declared_names[submission.id] = declared_names(submission.root)
            finally:
                remove_tree(submission.root)
    result.wall_s = round(time.perf_counter() - started, 4)
    candidate_time = sum(phase.wall_s for phase in result.phases)
    result.overhead_s = round(max(0.0, result.wall_s - candidate_time), 4)
    result.finished_at = now()
    return result


def _grade_ingested(
    session: GradingSession, submission: Submission, started_at: str
) -> SubmissionResult:
    if submission.status is not IngestStatus.ok or submission.root is None:
        status = (
            ResultStatus.rejected
            if submission.status is IngestStatus.rejected
            else ResultStatus.unsupported
        )
        return _result(session, submission, status, submission.message, started_at)
    copy_submitted_notebooks(submission, session.work_root / "runs" / submission.id / NOTEBOOKS_DIR)
    if submission.kind is SubmissionKind.notebook:
        # The notebook is the training (no train.py); predict.py is made from its cells.
        problem = prepare_repository(
            submission.root, session.challenge.spec.contract.predict_module
        )
    else:
        missing = [
            name
            for name in session.challenge.spec.contract.required_files
            if not (submission.root / name).is_file()
        ]
        problem = (
            f"required file(s) missing: {', '.join(missing)} (see the submission contract)"
            if missing
            else None
        )
    if problem is not None:
        message = problem
        result = _result(session, submission, ResultStatus.failed, message, started_at)
        result.integrity = inspect_submission(
            submission.root, session.challenge.spec.contract.writeup, [], None
        )
        result.flags = result.integrity.notes()
        result.grades, _ = run_graders(session, submission, {}, None, {})
        result.total_score = total_score(result.grades)
        return result

    workspace = session.work_root / "runs" / submission.id
    model_dir, output_dir = (
        _fresh_writable(workspace / "model"),
        _fresh_writable(workspace / "output"),
    )
    make_readable(submission.root)
    try:
        following = first_extra_request(session, submission.root, workspace, model_dir)
        if following is not None:  # started while train runs: not while predict is timed
            session.prepare_phase(following, ahead=2)
        phases = run_phases(session, submission.root, model_dir, output_dir)
        notebook_notes, notebook_flags = (
            collect_executed_notebook(submission, model_dir, workspace / NOTEBOOKS_DIR)
            if submission.kind is SubmissionKind.notebook
            else ([], [])
        )
        predictions, timings, driver_error = collect_outputs(phases, output_dir)
        status, message = overall_status(phases, driver_error)
        artifacts: dict[str, Any] = {}
        if status is ResultStatus.graded:
            extra, artifacts = run_extra_phases(session, submission.root, workspace, model_dir)
            phases = [*phases, *extra]
        grades, context = run_graders(
            session,
            submission,
            {phase.name: phase for phase in phases},
            predictions,
            timings,
            artifacts,
        )
        result = _result(session, submission, status, message, started_at)
        result.phases, result.grades, result.timings = phases, grades, timings
        result.metrics = measure(context).figures()
        result.integrity = inspect_submission(
            submission.root, session.challenge.spec.contract.writeup, phases, output_dir
        )
        result.flags = [
            *(flag for grade in grades for flag in grade.flags),
            *result.integrity.notes(),
            *notebook_flags,
        ]
        result.submission.notes.extend(notebook_notes)
        result.total_score = total_score(grades)
        if predictions is not None:
            try:
                copy = read_regular_file(predictions, MAX_PREDICTIONS_BYTES)
            except ValueError:
                copy = None  # refused (link, fifo, oversized): correctness already said why
            if copy is not None:
                (workspace / "predictions.csv").write_bytes(copy)
        return result
    finally:
        for leftover in workspace.glob("*"):
            if leftover.name not in ("predictions.csv", NOTEBOOKS_DIR):
                remove_tree(leftover)


def _fresh_writable(directory: Path) -> Path:
    if directory.exists():
        remove_tree(directory)
    prepare_writable_dir(directory)
    return directory


# -- stage 3: the sandbox phases -----------------------------------------------------------


def _base_env(cpus: float) -> dict[str, str]:
    threads = str(max(1, int(cpus)))
    return {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "DATA_DIR": PUBLIC_DATA_MOUNT,
        "MODEL_DIR": MODEL_MOUNT,
    }


def train_request(session: GradingSession, submission_root: Path, model_dir: Path) -> PhaseRequest:
    """The train phase: the candidate's entry point, public data read-only, model dir writable.
    A notebook submission runs the notebook instead (harness/notebook.py)."""
    spec = session.challenge.spec
    limits = spec.limits.train
    request = PhaseRequest(
        name="train",
        image=session.image,
        command=["python3", spec.contract.train_entrypoint],
        workdir=SUBMISSION_MOUNT,
        env=_base_env(limits.cpus),
        mounts=[
            Mount(source=submission_root, target=SUBMISSION_MOUNT),
            Mount(source=session.data.public_dir, target=PUBLIC_DATA_MOUNT),
            Mount(
                source=model_dir,
                target=MODEL_MOUNT,
                read_only=False,
                max_mb=spec.contract.model_dir_mb,
            ),
        ],
        limits=limits,
    )
    notebook_file = prepared_notebook(submission_root)
    if notebook_file is None:
        return request
    return notebook_train_request(
        request,
        notebook_file,
        session.notebook,
        output_dir=_fresh_writable(notebook_output_dir(model_dir)),
        submission_mount=SUBMISSION_MOUNT,
        driver_dir=DRIVER_DIR,
        driver_mount=DRIVER_MOUNT,
        output_mount=OUTPUT_MOUNT,
    )


def predict_request(
    session: GradingSession, submission_root: Path, model_dir: Path, output_dir: Path
) -> PhaseRequest:
    """The predict phase: the harness driver, evaluation *features* read-only (labels stay on
    the host), the model read-only, and an output directory only the driver writes to."""
    spec = session.challenge.spec
    limits = spec.limits.predict
    return PhaseRequest(
        name="predict",
        image=session.image,
        command=[
            "python3",
            f"{DRIVER_MOUNT}/predict_driver.py",
            "--submission",
            SUBMISSION_MOUNT,
            "--predict-module",
            spec.contract.predict_module,
            "--model-dir",
            MODEL_MOUNT,
            "--features",
            f"{EVAL_DATA_MOUNT}/{session.data.eval_features_file.name}",
            "--id-column",
            spec.task.id_column,
            "--output",
            OUTPUT_MOUNT,
            "--latency-samples",
            str(spec.contract.latency_samples),
            "--warmup",
            str(spec.contract.warmup_calls),
            "--task-type",
            spec.task.type.value,
        ],
        workdir=SUBMISSION_MOUNT,
        env={**_base_env(limits.cpus), "DATA_DIR": EVAL_DATA_MOUNT},
        mounts=[
            Mount(source=submission_root, target=SUBMISSION_MOUNT),
            Mount(source=model_dir, target=MODEL_MOUNT),
            Mount(source=session.data.eval_features_dir, target=EVAL_DATA_MOUNT),
            Mount(source=DRIVER_DIR, target=DRIVER_MOUNT),
            Mount(
                source=output_dir,
                target=OUTPUT_MOUNT,
                read_only=False,
                max_mb=OUTPUT_QUOTA_MB,
                max_entries=100,
            ),
        ],
        limits=limits,
    )


def run_phases(
    session: GradingSession, submission_root: Path, model_dir: Path, output_dir: Path
) -> list[PhaseResult]:
    """Train, then (only if training succeeded) predict, each in a fresh container."""
    session.progress("train phase")
    predict_phase = predict_request(session, submission_root, model_dir, output_dir)
    session.prepare_phase(predict_phase)  # its container starts while train runs
    train = session.run_phase(train_request(session, submission_root, model_dir))
    if train.status is not PhaseStatus.ok:
        return [train]
    session.progress("predict phase")
    predict = session.run_phase(predict_phase)
    return [train, predict]


EXTRA_PHASES = {
    "tests": "run the submission's own tests with the harness's pytest plugin",
    "repeat": "train and predict a second time, to compare predictions (reproducibility)",
}


def requested_phases(challenge: Challenge) -> set[str]:
    """Extra phases the challenge's graders ask for (a grader factory's ``phases``)."""
    requested: set[str] = set()
    for spec in challenge.spec.graders:
        requested |= set(getattr(graders.get(spec.name), "phases", ()))
    return requested & set(EXTRA_PHASES)


def tests_request(
    session: GradingSession, submission_root: Path, model_dir: Path, output_dir: Path
) -> PhaseRequest:
    """The tests phase: pytest with the harness's plugin, which writes outcomes to a file the
    harness chose; the trained model and public data are readable, nothing else is writable."""
    limits = session.challenge.spec.limits.tests
    return PhaseRequest(
        name="tests",
        image=session.image,
        command=[
            "python3",
            "-m",
            "pytest",
            "-p",
            "harness_pytest_report",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rN",
            "--rootdir",
            SUBMISSION_MOUNT,
            SUBMISSION_MOUNT,
        ],
        workdir=SUBMISSION_MOUNT,
        env={
            **_base_env(limits.cpus),
            "PYTHONPATH": f"{SUBMISSION_MOUNT}:{DRIVER_MOUNT}",
            "HARNESS_TEST_REPORT": f"{OUTPUT_MOUNT}/test_report.json",
        },
        mounts=[
            Mount(source=submission_root, target=SUBMISSION_MOUNT),
            Mount(source=session.data.public_dir, target=PUBLIC_DATA_MOUNT),
            Mount(source=model_dir, target=MODEL_MOUNT),
            Mount(source=DRIVER_DIR, target=DRIVER_MOUNT),
            Mount(
                source=output_dir, target=OUTPUT_MOUNT, read_only=False, max_mb=16, max_entries=100
            ),
        ],
        limits=limits,
    )


def run_extra_phases(
    session: GradingSession, submission_root: Path, workspace: Path, model_dir: Path
) -> tuple[list[PhaseResult], dict[str, Any]]:
    """Run the extra phases graders asked for, after train and predict succeeded."""
    requested = requested_phases(session.challenge)
    phases: list[PhaseResult] = []
    artifacts: dict[str, Any] = {}
    repeat: tuple[PhaseRequest, PhaseRequest] | None = None
    if "repeat" in requested:
        model_again = _phase_dir(workspace / "repeat-model")
        output_again = _phase_dir(workspace / "repeat-output")
        repeat = (
            train_request(session, submission_root, model_again).model_copy(
                update={"name": "repeat-train"}
            ),
            predict_request(session, submission_root, model_again, output_again).model_copy(
                update={"name": "repeat-predict"}
            ),
        )
    if "tests" in requested:
        artifacts["test_files"] = find_tests(submission_root)
        if artifacts["test_files"]:
            session.progress("tests phase")
            output = _phase_dir(workspace / "tests-output")
            if repeat is not None:
                session.prepare_phase(repeat[0])  # its container starts while the tests run
            phases.append(
                session.run_phase(tests_request(session, submission_root, model_dir, output))
            )
            artifacts["test_report"] = _read_json(output / "test_report.json")
    if repeat is not None:
        session.progress("repeat phases")
        repeat_train, repeat_predict = repeat
        session.prepare_phase(repeat_predict)  # its container starts while repeat-train runs
        train = session.run_phase(repeat_train)
        phases.append(train)
        if train.status is PhaseStatus.ok:
            predict = session.run_phase(repeat_predict)
            phases.append(predict)
            if predict.status is PhaseStatus.ok:
                artifacts["repeat_predictions"] = output_again / "predictions.csv"
    return phases, artifacts


def first_extra_request(
    session: GradingSession, submission_root: Path, workspace: Path, model_dir: Path
) -> PhaseRequest | None:
    """The request of the first extra phase ``run_extra_phases`` will run if train and
    predict succeed (the tests, else repeat-train), so that its container can be started
    while train runs: nothing is started while predict is timed."""
    requested = requested_phases(session.challenge)
    if "tests" in requested and find_tests(submission_root):
        output = _phase_dir(workspace / "tests-output")
        return tests_request(session, submission_root, model_dir, output)
    if "repeat" in requested:
        model_again = _phase_dir(workspace / "repeat-model")
        return train_request(session, submission_root, model_again).model_copy(
            update={"name": "repeat-train"}
        )
    return None


def _phase_dir(directory: Path) -> Path:
    """The writable directory of one extra phase of this grading: made fresh when first
    asked for (the workspace is emptied after every grading), the same directory after
    that, so a container started ahead for the phase stays bound to it."""
    return directory if directory.is_dir() else _fresh_writable(directory)


def collect_outputs(
    phases: Sequence[PhaseResult], output_dir: Path
) -> tuple[Path | None, dict[str, Any], dict[str, Any] | None]:
    """Read what the driver wrote, after the container is gone: predictions path (checked
    later by the grader), timings and the driver's error report. Links and oversized
    files are refused; nothing the candidate produced is ever unpickled."""
    predict = next((phase for phase in phases if phase.name == "predict"), None)
    if predict is None:
        return None, {}, None
    driver_error = _read_json(output_dir / "driver_error.json")
    if driver_error is not None:
        predict.message = (
            f"{driver_error.get('stage', '?')} failed: {driver_error.get('error', '?')}"[:500]
        )
    if predict.status is not PhaseStatus.ok:
        return None, {}, driver_error
    timings = _read_json(output_dir / "timings.json") or {}
    predictions = output_dir / "predictions.csv"
    return (
        (predictions if predictions.exists() or predictions.is_symlink() else None),
        timings,
        driver_error,
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(read_regular_file(path, TIMINGS_MAX_BYTES))
    except (ValueError, UnicodeDecodeError):
        return None
    return loaded if isinstance(loaded, dict) else None


# -- stage 4: grading ------------------------------------------------------------------------


def run_graders(
    session: GradingSession,
    submission: Submission,
    phases: dict[str, PhaseResult],
    predictions: Path | None,
    timings: dict[str, Any],
    artifacts: dict[str, Any] | None = None,
) -> tuple[list[GradeResult], GradingContext]:
    """Run each grader the challenge lists on one shared context (so they judge the same
    measurements); a grader that raises is recorded as an error for that grader only."""
    context = GradingContext(
        session.challenge, session.data, submission, phases, predictions, timings, artifacts or {}
    )
    results = []
    for spec in session.challenge.spec.graders:
        try:
            grade = graders.get(spec.name)(**spec.args)(context)
        except Exception as error:
            trace = "".join(
                traceback.format_exception(type(error), error, error.__traceback__)[-3:]
            )
            grade = GradeResult(
                grader=spec.name,
                score=0.0,
                weight=spec.weight,
                status="error",
                summary=f"the grader failed: {type(error).__name__}: {error}",
                details={"traceback": trace},
            )
        grade.weight = spec.weight
        results.append(grade)
    return results, context


def total_score(grades: Sequence[GradeResult]) -> float:
    """Weighted mean of grader scores on 0..100; weights come from the challenge. A grade
    that is ``not_applicable`` judged nothing and is left out (a grader *error* counts as 0)."""
    counted = [grade for grade in grades if grade.status != "not_applicable"]
    weight = sum(grade.weight for grade in counted)
    if weight <= 0:
        return 0.0
    return round(100.0 * sum(grade.score * grade.weight for grade in counted) / weight, 2)


def overall_status(
    phases: Sequence[PhaseResult], driver_error: dict[str, Any] | None
) -> tuple[ResultStatus, str]:
    for phase in phases:
        if phase.status is PhaseStatus.sandbox_error:
            return ResultStatus.harness_error, f"{phase.name} phase: sandbox error: {phase.message}"
        if phase.status is not PhaseStatus.ok:
            return ResultStatus.failed, f"{phase.name} phase {phase.status.value}: {phase.message}"
    return ResultStatus.graded, "all phases completed"


# -- stage 5: results and reports -----------------------------------------------------------


def _result(
    session: GradingSession,
    submission: Submission,
    status: ResultStatus,
    message: str,
    started_at: str,
) -> SubmissionResult:
    spec = session.challenge.spec
    return SubmissionResult(
        status=status,
        message=message,
        submission=SubmissionInfo(
            id=submission.id,
            kind=submission.kind.value,
            sha256=submission.sha256,
            source=submission.source,
            label=submission.label,
            commit=submission.git.commit if submission.git else None,
            file_count=submission.file_count,
            size_bytes=submission.size_bytes,
            notes=list(submission.notes),
        ),
        challenge=ChallengeInfo(
            id=spec.id,
            version=spec.version,
            title=spec.title,
            metric=spec.task.metric,
            baseline=spec.thresholds.baseline,
            target=spec.thresholds.target,
        ),
        image=session.image,
        harness_version=__version__,
        started_at=started_at,
        finished_at=started_at,
    )


def harness_error_result(
    session: GradingSession, source: str, error: BaseException, started_at: str
) -> SubmissionResult:
    """A result for a submission whose grading hit a bug in the harness."""
    import hashlib

    from harness.submission import SubmissionKind

    digest = hashlib.sha256(source.encode()).hexdigest()
    submission = Submission(
        id=digest[:12],
        sha256=digest,
        kind=SubmissionKind.directory,
        source=source,
        label=Path(source).name or source,
    )
    result = _result(
        session,
        submission,
        ResultStatus.harness_error,
        f"{type(error).__name__}: {error}",
        started_at,
    )
    result.error = "".join(traceback.format_exception(type(error), error, error.__traceback__))[
        -8000:
    ]
    return result


def write_outputs(
    result: SubmissionResult, out_dir: Path, session: GradingSession | None = None
) -> Path:
    """Write ``<out>/<id>/`` atomically file by file, ``result.json`` last: its presence
    means the submission is finished (a resumed batch skips it)."""
    directory = out_dir / result.submission.id
    directory.mkdir(parents=True, exist_ok=True)
    if session is not None:
        run_dir = session.work_root / "runs" / result.submission.id
        predictions = run_dir / "predictions.csv"
        if predictions.is_file():
            atomic_write_text(
                directory / "predictions.csv",
                predictions.read_text(encoding="utf-8", errors="replace"),
            )
        for notebook in sorted((run_dir / NOTEBOOKS_DIR).glob("*.ipynb")):
            atomic_write_bytes(directory / NOTEBOOKS_DIR / notebook.name, notebook.read_bytes())
        remove_tree(run_dir)
    declared = session.declared_names.pop(result.submission.id, []) if session is not None else []
    write_identity(result, directory, declared)
    # Blind, on its own for now; the end of the batch renders it again with the cohort.
    write_single_report(result, out_dir, session.challenge if session is not None else None)
    atomic_write_text(directory / RESULT_FILE, result.model_dump_json(indent=2) + "\n")
    return directory


def finished_result(
    session: GradingSession, out_dir: Path, submission_id: str
) -> SubmissionResult | None:
    """A complete earlier result for this submission and challenge version, if any.
    Harness errors are not final: they are graded again."""
    path = out_dir / submission_id / RESULT_FILE
    if not path.is_file():
        return None
    try:
        result = SubmissionResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None  # unreadable or from an incompatible version: grade again
    spec = session.challenge.spec
    if (result.challenge.id, result.challenge.version) != (spec.id, spec.version):
        return None
    if result.status is ResultStatus.harness_error:
        return None
    return result


def grade_batch(
    session: GradingSession,
    sources: Sequence[str],
    out_dir: Path,
    ref: str | None = None,
    on_result: Callable[[SubmissionResult, Path], None] = lambda result, path: None,
    jobs: int = 1,
) -> list[SubmissionResult]:
    """Grade every source, ``jobs`` at a time, writing each result as soon as it exists.

    Resumable: a submission whose result is already in ``out_dir`` (same content, same
    challenge version) is not graded again, so rerunning an interrupted batch finishes it.
    The same content given twice is graded once. Returns results in the order of ``sources``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    session.scheduler.jobs = max(1, jobs)
    claimed: dict[str, threading.Event] = {}
    claims_lock = threading.Lock()
    cancelled = threading.Event()
    results: list[SubmissionResult | None] = [None] * len(sources)

    def one(index: int, source: str) -> None:
        if cancelled.is_set():
            return
        started_at, started = now(), time.perf_counter()
        try:
            session.progress(f"ingesting {source}")
            submission = ingest(
                source, session.work_root / "submissions" / f"slot-{index}", ref=ref
            )
            with claims_lock:
                first = submission.id not in claimed
                done = claimed.setdefault(submission.id, threading.Event())
            if not first:
                done.wait()  # the same content is being (or was) graded by another worker
            earlier = finished_result(session, out_dir, submission.id)
            if earlier is not None:
                if submission.root is not None:
                    remove_tree(submission.root)
                session.progress(f"already graded: {submission.label} ({submission.id})")
                results[index] = earlier
                on_result(earlier, out_dir / submission.id)
                done.set()
                return
            try:
                result = grade_ingested(session, submission, started_at, started)
                if cancelled.is_set():
                    return  # phases were stopped by the interruption: nothing of this is a result
                directory = write_outputs(result, out_dir, session)
            finally:
                done.set()
        except KeyboardInterrupt:
            raise
        except Exception as error:
            from harness.errors import HarnessError

            if isinstance(error, HarnessError) and not _is_candidate_specific(error):
                raise
            result = harness_error_result(session, source, error, started_at)
            directory = write_outputs(result, out_dir, session)
        results[index] = result
        on_result(result, directory)

    if session.scheduler.jobs == 1:
        for index, source in enumerate(sources):
            one(index, source)
    else:
        with ThreadPoolExecutor(
            max_workers=session.scheduler.jobs, thread_name_prefix="grader"
        ) as pool:
            for future in [pool.submit(one, index, source) for index, source in enumerate(sources)]:
                future.result()
    finished = [result for result in results if result is not None]
    cohort = load_results(out_dir, session.challenge.spec.id)
    pairs = write_similarity(cohort, out_dir / "similarity.json")
    # Every report again, now against the whole cohort, and the cohort report (index.html).
    write_all(
        out_dir,
        cohort,
        session.challenge,
        pairs,
        title=f"{session.challenge.spec.title}: grading results",
    )
    return finished


def load_results(out_dir: Path, challenge_id: str) -> list[SubmissionResult]:
    """Every readable result for ``challenge_id`` in an output directory (the cohort)."""
    results = []
    for path in sorted(out_dir.glob(f"*/{RESULT_FILE}")):
        try:
            result = SubmissionResult.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        if result.challenge.id == challenge_id:
            results.append(result)
    return results


def remove_stale_workspaces(root: Path) -> int:
    """Delete work directories of harness processes that no longer run (a killed batch)."""
    removed = 0
    for directory in root.glob("*-*") if root.is_dir() else []:
        pid_text = directory.name.split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        remove_tree(directory)
        removed += 1
    return removed


def _is_candidate_specific(error: Exception) -> bool:
    from harness.errors import SubmissionError

    # An unreadable path or a failed clone is about this submission only: record it and go on.
    return isinstance(error, SubmissionError)


def make_readable(root: Path) -> None:
    """Let the unprivileged sandbox user read the submission (mounted read-only)."""
    for current, directories, files in os.walk(root):
        for name in directories:
            path = Path(current) / name
            if not path.is_symlink():
                path.chmod(
                    path.stat().st_mode
                    | stat.S_IRUSR
                    | stat.S_IRGRP
                    | stat.S_IROTH
                    | stat.S_IXUSR
                    | stat.S_IXGRP
                    | stat.S_IXOTH
                )
        for name in files:
            path = Path(current) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    root.chmod(root.stat().st_mode | 0o755)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
