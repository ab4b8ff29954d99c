"""Run bundled submissions the way the harness does, on the host and without Docker.

``python3 <train entry point>`` runs in a copy of the submission with DATA_DIR and MODEL_DIR
set, then the harness's own predict driver runs with the arguments ``harness.pipeline`` gives
it in the sandbox, built from the challenge spec. The challenge tests score the predictions
themselves, each its own way, as a cross-check of the graders, and check that every example
lands where its ``expect`` says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from challenges.data import PreparedData
from challenges.loader import Challenge
from challenges.spec import ExampleSpec, ThresholdsSpec
from harness.pipeline import DRIVER_DIR

PHASE_TIMEOUT_S = 300
"""A guard against a hung phase, not the spec's limit: the host is busier than a sandbox."""

Phase = Literal["train", "predict"]


def file_bytes(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative path, to compare trees byte for byte."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass(frozen=True)
class HostRun:
    """What running one submission on the host gave."""

    source: Path
    """The submission directory that was copied and run."""
    failed_phase: Phase | None
    """The phase that exited non-zero; None when training and prediction both succeeded."""
    log: str
    """Output of the failed phase (with the driver's error report), else of training."""
    predictions_file: Path | None
    """The driver's ``predictions.csv``; None when a phase failed."""

    def predictions(self, **read_options: Any) -> pd.DataFrame:
        """The predictions, read with ``pandas.read_csv(**read_options)``.

        Raises:
            AssertionError: a phase failed, so there are none; the message holds its log.
        """
        assert self.predictions_file is not None, (
            f"{self.source.name} failed in {self.failed_phase}:\n{self.log}"
        )
        return pd.read_csv(self.predictions_file, **read_options)


def _run_phase(
    command: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=PHASE_TIMEOUT_S
    )


def run_on_host(
    challenge: Challenge,
    source: Path,
    data: PreparedData,
    work: Path,
    *,
    latency_samples: int = 5,
    warmup_calls: int = 1,
) -> HostRun:
    """Train and predict like the harness, minus the container.

    A phase that exits non-zero is recorded in the result, as grading records it. Few
    latency samples keep the predict phase short; the graders' timing is not checked here.

    Args:
        challenge: Supplies the train entry point, the predict module, the id column and the
            task type.
        source: The submission directory; it is copied into ``work`` first.
        data: The generated data; training reads the public directory, prediction the
            evaluation features.
        work: Where the copy, the model and the output go (created if missing).
        latency_samples: Single-row predict calls the driver times.
        warmup_calls: Untimed single-row calls before those.

    Raises:
        AssertionError: training wrote into the submission root, which the sandbox mounts
            read-only.
        subprocess.TimeoutExpired: a phase ran longer than ``PHASE_TIMEOUT_S``.
    """
    contract, task = challenge.spec.contract, challenge.spec.task
    submission, model_dir, output = work / "submission", work / "model", work / "output"
    shutil.copytree(source, submission, ignore=shutil.ignore_patterns("__pycache__"))
    model_dir.mkdir()
    output.mkdir()
    before = file_bytes(submission)
    environment = {
        **os.environ,
        "DATA_DIR": str(data.public_dir),
        "MODEL_DIR": str(model_dir),
        "TMPDIR": str(work),
        "PYTHONDONTWRITEBYTECODE": "1",  # the submission root is read-only in the sandbox
        "OMP_NUM_THREADS": "1",  # runs share the host's cores
    }
    train = _run_phase([sys.executable, contract.train_entrypoint], submission, environment)
    if train.returncode != 0:
        return HostRun(source, "train", train.stdout + train.stderr, None)
    assert file_bytes(submission) == before, f"{source.name}: training wrote into its root"
    driver_arguments = [
        "--submission",
        str(submission),
        "--predict-module",
        contract.predict_module,
        "--model-dir",
        str(model_dir),
        "--features",
        str(data.eval_features_file),
        "--id-column",
        task.id_column,
        "--output",
        str(output),
        "--latency-samples",
        str(latency_samples),
        "--warmup",
        str(warmup_calls),
        "--task-type",
        task.type.value,
    ]
    predict = _run_phase(
        [sys.executable, str(DRIVER_DIR / "predict_driver.py"), *driver_arguments],
        work,
        environment,
    )
    if predict.returncode != 0:
        report = output / "driver_error.json"
        detail = report.read_text() if report.is_file() else ""
        return HostRun(source, "predict", predict.stdout + predict.stderr + detail, None)
    return HostRun(source, None, train.stdout + train.stderr, output / "predictions.csv")


def run_examples(
    challenge: Challenge, data: PreparedData, work: Path, *, workers: int = 2
) -> dict[str, HostRun]:
    """Every bundled example of the challenge, ``workers`` at a time, by example path."""
    paths = [example.path for example in challenge.spec.examples]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            path: pool.submit(
                run_on_host, challenge, challenge.path(path), data, work / path.replace("/", "-")
            )
            for path in paths
        }
        return {path: future.result() for path, future in futures.items()}


@dataclass(frozen=True)
class Score:
    """A metric a test computed itself from a run's predictions."""

    value: float
    """The metric over all hidden rows the test scores."""
    slices: dict[str, float] = field(default_factory=dict)
    """The metric per named slice of the hidden rows, where the test scores slices."""


def check_expectations(
    challenge: Challenge,
    runs: Mapping[str, HostRun],
    scores: Mapping[str, Score | None],
    *,
    higher_is_better: bool,
    error_mentions: str = "",
) -> None:
    """Assert that every bundled example landed where its ``expect`` says.

    Args:
        challenge: Its examples, their expectations and the thresholds.
        runs: How running each example went, by example path.
        scores: What the test computed from each run's predictions; None where it failed.
        higher_is_better: The metric's direction; a lower-is-better metric has its baseline
            above its target.
        error_mentions: Text the log of an example expected to fail must contain.

    Raises:
        AssertionError: an example landed elsewhere or failed unexpectedly (with its log).
    """
    for example in challenge.spec.examples:
        _check_expectation(
            example,
            runs[example.path],
            scores[example.path],
            challenge.spec.thresholds,
            higher_is_better=higher_is_better,
            error_mentions=error_mentions,
        )


def _check_expectation(
    example: ExampleSpec,
    run: HostRun,
    score: Score | None,
    thresholds: ThresholdsSpec,
    *,
    higher_is_better: bool,
    error_mentions: str,
) -> None:
    if example.expect == "any":
        return
    if example.expect in ("train_error", "predict_error"):
        expected_phase = example.expect.removesuffix("_error")
        assert run.failed_phase == expected_phase, (example.path, run.failed_phase, run.log)
        assert error_mentions in run.log, (example.path, error_mentions, run.log)
        return
    assert score is not None, f"{example.path} failed in {run.failed_phase}:\n{run.log}"
    value, baseline, target = score.value, thresholds.baseline, thresholds.target
    if higher_is_better:
        landed = {
            "clears_target": value >= target,
            "between": baseline < value < target,
            "below_baseline": value < baseline,
        }
    else:
        landed = {
            "clears_target": value <= target,
            "between": target < value < baseline,
            "below_baseline": value >= baseline,
        }
    assert landed[example.expect], (example.path, example.expect, value)
