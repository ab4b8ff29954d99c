"""Log every grading to MLflow: one run per submission, one experiment per challenge.

By default runs go to a SQLite store inside the output directory
(``sqlite:///<out>/mlruns.db``, artifacts under ``<out>/mlartifacts``), so a batch carries
its own tracking data; ``--tracking-uri`` or ``HARNESS_TRACKING_URI`` points at a team's
server instead, and ``--no-tracking`` turns it off.

Tracking is a record *about* grading, never part of it: every failure here becomes a
warning and the grading goes on. Runs are tagged with the submission id, the challenge
version and the time the result was finished, so logging the same result twice (a resumed
batch, ``harness export --format mlflow``) finds the earlier run and does nothing.
Runs are logged by one background thread, so grading never waits for MLflow (whose import
alone takes seconds); ``close`` waits for the queue at the end of a batch.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.result import ResultStatus, SubmissionResult

TRACKING_URI_ENV = "HARNESS_TRACKING_URI"
STORE_FILE = "mlruns.db"
ARTIFACTS_DIR = "mlartifacts"
TAG_SUBMISSION = "harness.submission_id"
TAG_CHALLENGE_VERSION = "harness.challenge_version"
TAG_GRADED_AT = "harness.graded_at"
TAG_COMPLETE = "harness.logged"
"""Set last: a run without it was cut short while logging and is replaced."""
ARTIFACT_FILES = ("report.html", "result.json", "predictions.csv")
MAX_CONSECUTIVE_FAILURES = 3
BATCH_LIMIT = 100  # params and tags per log_batch call (MLflow's limit); metrics allow more

Warn = Callable[[str], None]


@dataclass(frozen=True)
class TrackingTarget:
    """Where runs go."""

    uri: str
    artifact_root: Path | None
    """Artifact location for new experiments; set for the default local store only (a
    server chooses its own)."""

    @property
    def is_default_store(self) -> bool:
        return self.artifact_root is not None

    def describe(self) -> str:
        return self.uri


def resolve_target(
    out: Path, tracking_uri: str | None = None, enabled: bool = True
) -> TrackingTarget | None:
    """The tracking target for a batch writing to ``out``: ``tracking_uri``, else
    ``HARNESS_TRACKING_URI``, else a SQLite store in ``out``; None when disabled."""
    if not enabled:
        return None
    uri = tracking_uri or os.environ.get(TRACKING_URI_ENV, "").strip()
    if uri:
        return TrackingTarget(uri=uri, artifact_root=None)
    directory = out.resolve()
    return TrackingTarget(
        uri=f"sqlite:///{directory / STORE_FILE}", artifact_root=directory / ARTIFACTS_DIR
    )


@functools.cache
def _mlflow() -> ModuleType:
    """Import MLflow once, on first use (it takes seconds), quieting its start-up chatter
    (database migrations are logged at INFO)."""
    import logging

    import mlflow  # configures its loggers on import: quiet them afterwards

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mlflow


def metric_name(name: str) -> str:
    """An MLflow-safe metric name: ``roc_auc[drifted]`` becomes ``roc_auc/drifted``; other
    characters MLflow refuses become ``_``."""
    name = re.sub(r"\[([^\]]*)\]", r"/\1", name)
    return re.sub(r"[^\w./\- :]", "_", name).strip("/") or "_"


def run_params(result: SubmissionResult) -> dict[str, str]:
    """What identifies a grading run. Blind: no candidate label or source path."""
    params = {
        "submission_id": result.submission.id,
        "submission_kind": result.submission.kind,
        "submission_sha256": result.submission.sha256,
        "challenge_id": result.challenge.id,
        "challenge_version": result.challenge.version,
        "metric": result.challenge.metric,
        "image": result.image,
        "image_digest": _image_digest(result.image),
        "harness_version": result.harness_version,
        "result_schema_version": result.schema_version,
        "status": result.status.value,
    }
    if result.submission.commit:
        params["commit"] = result.submission.commit
    return params


def _image_digest(image: str) -> str:
    """The content digest in a runtime image reference (its tag), or the reference itself."""
    return image.rsplit(":", 1)[-1] if ":" in image else image


def run_metrics(result: SubmissionResult) -> dict[str, float]:
    """Every finite number worth plotting: total, each grade, each measured figure, time."""
    metrics: dict[str, float] = {"total_score": result.total_score}
    for grade in result.grades:
        metrics[f"grade/{grade.grader}"] = grade.score
    for name, value in result.metrics.items():
        if value is not None:
            metrics[metric_name(name)] = value
    metrics["flags"] = float(len(result.flags))
    metrics["wall_s"] = result.wall_s
    metrics["overhead_s"] = result.overhead_s
    for phase in result.phases:
        if phase.peak_memory_mb is not None:
            metrics[metric_name(f"phase/{phase.name}/peak_memory_mb")] = phase.peak_memory_mb
        metrics[metric_name(f"phase/{phase.name}/wall_s")] = phase.wall_s
    return {name: float(value) for name, value in metrics.items() if math.isfinite(value)}


def _milliseconds(timestamp: str) -> int | None:
    try:
        return int(datetime.fromisoformat(timestamp).timestamp() * 1000)
    except ValueError:
        return None


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Tracker:
    """Logs results to one tracking target. Thread-safe; ``log`` is synchronous, ``submit``
    queues for the background thread. Failures are reported through ``warn`` and counted;
    after ``MAX_CONSECUTIVE_FAILURES`` in a row (a server that is down) it stops trying."""

    def __init__(self, target: TrackingTarget, warn: Warn = lambda message: None) -> None:
        self.target = target
        self.warn = warn
        self.logged: list[str] = []
        """Submission ids logged as new runs."""
        self.skipped: list[str] = []
        """Submission ids whose run already existed."""
        self.failed: list[str] = []
        """Submission ids that could not be logged."""
        self._runs: dict[str, tuple[str, Path]] = {}
        """Run id and output directory of each run this tracker logged or found."""
        self._client: Any = None
        self._experiments: dict[str, str] = {}
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()  # submit is called from grading threads
        self._consecutive_failures = 0
        self._executor: ThreadPoolExecutor | None = None

    @property
    def gave_up(self) -> bool:
        return self._consecutive_failures >= MAX_CONSECUTIVE_FAILURES

    # -- queueing --------------------------------------------------------------------------

    def submit(self, result: SubmissionResult, directory: Path) -> None:
        """Log ``result`` in the background; never raises."""
        with self._queue_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracking")
            self._executor.submit(self.log, result, directory)

    def refresh_reports(self) -> None:
        """Queue, after everything submitted so far, a new upload of ``report.html`` for each
        run this tracker logged or found already logged (a resumed batch): a batch ends by
        rendering every report again, placed in the cohort, and the run should hold that
        final version. Never raises."""
        with self._queue_lock:
            if self._executor is not None:
                self._executor.submit(self._refresh_reports)

    def _refresh_reports(self) -> None:
        with self._lock:
            if self.gave_up:
                return
            for submission, (run_id, directory) in list(self._runs.items()):
                report = directory / "report.html"
                if not report.is_file():
                    continue
                try:
                    self._client_for_target().log_artifact(run_id, str(report))
                except Exception as error:
                    self.warn(
                        f"could not update the report of {submission} in MLflow at "
                        f"{self.target.describe()}: {type(error).__name__}: {_first_line(error)}"
                    )
                    return

    def close(self, wait: bool = True) -> None:
        """Finish queued logging (``wait``) or drop what has not started (an interruption:
        the next run of the batch logs it)."""
        with self._queue_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=not wait)

    # -- logging ---------------------------------------------------------------------------

    def log(self, result: SubmissionResult, directory: Path) -> str | None:
        """Log one result as a run unless it is already there. Returns the run id (new or
        existing), or None when logging failed (a warning says why). Never raises."""
        submission = result.submission.id
        with self._lock:
            if self.gave_up:
                self.failed.append(submission)
                return None
            try:
                run_id, created = self._log(result, directory)
            except Exception as error:  # tracking must never fail a grading
                self._consecutive_failures += 1
                self.failed.append(submission)
                message = f"could not log {submission} to MLflow at {self.target.describe()}: {type(error).__name__}: {_first_line(error)}"
                if self.gave_up:
                    message += "; tracking stopped for this run"
                self.warn(message)
                return None
            self._consecutive_failures = 0
            (self.logged if created else self.skipped).append(submission)
            self._runs[submission] = (run_id, directory)
            return run_id

    def log_all(self, items: Iterable[tuple[SubmissionResult, Path]]) -> None:
        for result, directory in items:
            self.log(result, directory)

    def _client_for_target(self) -> Any:
        if self._client is None:
            if self.target.uri.startswith(("http://", "https://")):
                # A server that does not answer should cost seconds, not minutes of retries.
                os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
                os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
            if self.target.artifact_root is not None:
                self.target.artifact_root.mkdir(parents=True, exist_ok=True)
            tracking = _mlflow().tracking
            self._client = tracking.MlflowClient(tracking_uri=self.target.uri)
        return self._client

    def experiment_id(self, name: str) -> str:
        """The experiment for a challenge, created on first use."""
        if name in self._experiments:
            return self._experiments[name]
        client = self._client_for_target()
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            location = (
                (self.target.artifact_root / name).as_uri()
                if self.target.artifact_root is not None
                else None
            )
            try:
                experiment_id = client.create_experiment(name, artifact_location=location)
            except Exception:
                experiment = client.get_experiment_by_name(name)  # created concurrently
                if experiment is None:
                    raise
                experiment_id = experiment.experiment_id
        elif experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
            experiment_id = experiment.experiment_id
        else:
            experiment_id = experiment.experiment_id
        self._experiments[name] = str(experiment_id)
        return str(experiment_id)

    def find_run(self, result: SubmissionResult) -> Any | None:
        """The complete run logged earlier for exactly this result, if any. Runs left
        incomplete by an interrupted logger are deleted so the result is logged whole."""
        client = self._client_for_target()
        experiment_id = self.experiment_id(result.challenge.id)
        runs = client.search_runs(
            [experiment_id],
            filter_string=(
                f"tags.`{TAG_SUBMISSION}` = {_quoted(result.submission.id)} "
                f"and tags.`{TAG_CHALLENGE_VERSION}` = {_quoted(result.challenge.version)}"
            ),
            max_results=1000,
        )
        found = None
        for run in runs:
            if run.data.tags.get(TAG_GRADED_AT) != result.finished_at:
                continue  # another grading of the same submission: a run of its own
            if run.data.tags.get(TAG_COMPLETE) == "true" and found is None:
                found = run
            elif run.data.tags.get(TAG_COMPLETE) != "true":
                client.delete_run(run.info.run_id)
        return found

    def _log(self, result: SubmissionResult, directory: Path) -> tuple[str, bool]:
        existing = self.find_run(result)
        if existing is not None:
            return str(existing.info.run_id), False
        entities = _mlflow().entities
        client = self._client_for_target()
        start = _milliseconds(result.started_at)
        end = _milliseconds(result.finished_at)
        run = client.create_run(
            self.experiment_id(result.challenge.id),
            start_time=start,
            tags={
                TAG_SUBMISSION: result.submission.id,
                TAG_CHALLENGE_VERSION: result.challenge.version,
                TAG_GRADED_AT: result.finished_at,
                "harness.status": result.status.value,
            },
            run_name=result.submission.id,
        )
        run_id = str(run.info.run_id)
        timestamp = end or start or 0
        metrics = [
            entities.Metric(name, value, timestamp, 0)
            for name, value in run_metrics(result).items()
        ]
        params = [entities.Param(name, value) for name, value in run_params(result).items()]
        for index in range(0, max(len(metrics), len(params)), BATCH_LIMIT):
            client.log_batch(
                run_id,
                metrics=metrics[index : index + BATCH_LIMIT],
                params=params[index : index + BATCH_LIMIT],
            )
        for name in ARTIFACT_FILES:
            path = directory / name
            if path.is_file():
                client.log_artifact(run_id, str(path))
        logs = [phase for phase in result.phases if phase.log_tail]
        if logs:
            with tempfile.TemporaryDirectory(prefix="harness-logs-") as temporary:
                for phase in logs:
                    (Path(temporary) / f"{phase.name}.log").write_text(
                        phase.log_tail, encoding="utf-8"
                    )
                client.log_artifacts(run_id, temporary, artifact_path="logs")
        client.set_tag(run_id, TAG_COMPLETE, "true")
        # A harness error is a grading that failed: MLflow's FAILED says so in its UI.
        status = "FAILED" if result.status is ResultStatus.harness_error else "FINISHED"
        client.set_terminated(run_id, status=status, end_time=end)
        return run_id, True


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else "no details"


def open_tracker(
    out: Path,
    tracking_uri: str | None = None,
    enabled: bool = True,
    warn: Warn = lambda message: None,
) -> Tracker | None:
    """A tracker for a batch writing to ``out``, or None when tracking is off."""
    target = resolve_target(out, tracking_uri, enabled)
    return None if target is None else Tracker(target, warn)


def log_directory(
    out: Path,
    results: Iterable[SubmissionResult],
    tracking_uri: str | None = None,
    warn: Warn = lambda message: None,
) -> Tracker:
    """Log results already in ``out`` (those not logged yet): for a batch graded with
    tracking off or while the server was down."""
    target = resolve_target(out, tracking_uri)
    assert target is not None
    tracker = Tracker(target, warn)
    tracker.log_all((result, out / result.submission.id) for result in results)
    return tracker
