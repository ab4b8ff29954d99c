"""Fixtures shared by the tests of the bundled challenges.

A challenge's test module defines a module-scoped ``challenge`` fixture; the fixtures here
derive its data, hidden tables, budgets and host runs from it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from challenges.data import GeneratedData, PreparedData, generate, write_generated
from challenges.loader import Challenge
from tests.challenges.host_run import HostRun, run_examples


@pytest.fixture(scope="module")
def generated(challenge: Challenge) -> GeneratedData:
    return generate(challenge)


@pytest.fixture(scope="module")
def prepared(
    challenge: Challenge, generated: GeneratedData, tmp_path_factory: pytest.TempPathFactory
) -> PreparedData:
    return write_generated(generated, tmp_path_factory.mktemp(f"{challenge.id}-data"))


@pytest.fixture
def regenerated(challenge: Challenge, tmp_path: Path) -> PreparedData:
    """The challenge's data generated and written again, with the same seed."""
    return write_generated(generate(challenge), tmp_path / "again")


@pytest.fixture
def reseeded(challenge: Challenge, tmp_path: Path) -> PreparedData:
    """The challenge's data generated with the next seed."""
    seed = challenge.spec.data.seed + 1
    return write_generated(generate(challenge, seed=seed), tmp_path / "reseeded")


@pytest.fixture(scope="module")
def train(challenge: Challenge, prepared: PreparedData) -> pd.DataFrame:
    """The public ``train.csv`` of a tabular challenge, ids as text."""
    return pd.read_csv(
        prepared.public_dir / "train.csv", dtype={challenge.spec.task.id_column: str}
    )


@pytest.fixture(scope="module")
def features(challenge: Challenge, prepared: PreparedData) -> pd.DataFrame:
    """The hidden evaluation features, ids as text."""
    return pd.read_csv(prepared.eval_features_file, dtype={challenge.spec.task.id_column: str})


@pytest.fixture(scope="module")
def labels(challenge: Challenge, prepared: PreparedData) -> pd.DataFrame:
    """The hidden labels, ids as text."""
    return pd.read_csv(prepared.labels_file, dtype={challenge.spec.task.id_column: str})


@pytest.fixture(scope="module")
def runs(
    challenge: Challenge, prepared: PreparedData, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, HostRun]:
    """Every bundled example trained and predicted on the host, two at a time (the machine
    has two cores), by example path."""
    return run_examples(challenge, prepared, tmp_path_factory.mktemp("submissions"))


@pytest.fixture(scope="module")
def cost_at_budgets(challenge: Challenge) -> float:
    """What graders/measure.py charges per million predictions at the challenge's latency
    and predict-memory budgets."""
    budgets, prices = challenge.spec.budgets, challenge.spec.cost_model
    assert budgets.latency_p95_ms is not None and budgets.predict_peak_memory_mb is not None
    hours = budgets.latency_p95_ms / 1000 * 1_000_000 / 3600
    memory_gb = budgets.predict_peak_memory_mb / 1024
    return hours * prices.cpu_hour_usd + hours * memory_gb * prices.gb_hour_usd
