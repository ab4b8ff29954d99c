"""Prediction validation: every malformed file gets a precise reason."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from graders.metrics import get_metric
from graders.predictions import check_predictions, read_regular_file

IDS = pd.Series(["C1", "C2", "C3"])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "predictions.csv"
    path.write_text(text)
    return path


def check(path: Path, metric: str = "roc_auc", classes: list[str] | None = None):  # type: ignore[no-untyped-def]
    return check_predictions(path, IDS, "customer_id", get_metric(metric), classes)


def test_valid_predictions_are_aligned_to_the_hidden_order(tmp_path: Path) -> None:
    result = check(write(tmp_path, "customer_id,prediction\nC3,0.3\nC1,0.1\nC2,0.2\n"))
    assert result.ok
    assert result.values is not None and list(result.values) == [0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("customer_id,prediction\nC1,0.1\nC2,0.2\n", "2 predictions for 3 evaluation rows"),
        ("customer_id,prediction\nC1,0.1\nC1,0.2\nC2,0.3\n", "1 duplicated ids, e.g. 'C1'"),
        (
            "customer_id,prediction\nC1,0.1\nC2,0.2\nC9,0.3\n",
            "1 evaluation ids have no prediction, e.g. 'C3'",
        ),
        (
            "customer_id,prediction\nC1,0.1\nC2,nan\nC3,0.3\n",
            "1 predictions are missing or not numeric",
        ),
        ("customer_id,prediction\nC1,0.1\nC2,inf\nC3,0.3\n", "1 predictions are infinite"),
        ("customer_id,prediction\nC1,0.1\nC2,yes\nC3,0.3\n", "not numeric, e.g. 'yes'"),
        ("customer_id,prediction\nC1,0.1\nC2,1.5\nC3,0.3\n", "probabilities must lie in [0, 1]"),
        ("id,score\nC1,0.1\nC2,0.2\nC3,0.3\n", "expected columns [customer_id, prediction]"),
    ],
)
def test_malformed_predictions_are_rejected_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    result = check(write(tmp_path, text))
    assert not result.ok
    assert reason in result.reason


def test_unknown_labels_are_named(tmp_path: Path) -> None:
    result = check(
        write(tmp_path, "customer_id,prediction\nC1,a\nC2,b\nC3,zebra\n"), "macro_f1", ["a", "b"]
    )
    assert not result.ok and "unknown labels predicted: 'zebra'" in result.reason


def test_missing_file_is_reported(tmp_path: Path) -> None:
    result = check(tmp_path / "predictions.csv")
    assert not result.ok and "was not written" in result.reason


def test_symlinks_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("customer_id,prediction\nC1,0.1\nC2,0.2\nC3,0.3\n")
    link = tmp_path / "predictions.csv"
    link.symlink_to(secret)
    result = check(link)
    assert not result.ok and "links are refused" in result.reason


def test_hard_links_are_refused(tmp_path: Path) -> None:
    original = tmp_path / "original.csv"
    original.write_text("x")
    os.link(original, tmp_path / "predictions.csv")
    with pytest.raises(ValueError, match="hard link"):
        read_regular_file(tmp_path / "predictions.csv", 100)


def test_oversized_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(10_000)
    with pytest.raises(ValueError, match="over the 1000 byte limit"):
        read_regular_file(path, 1000)


def test_fifos_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "predictions.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        read_regular_file(fifo, 100)
