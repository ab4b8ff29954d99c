"""Generated challenge data that was changed or removed is an error before anything runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from challenges.data import prepare_data
from challenges.loader import Challenge
from harness.errors import ChallengeError


@pytest.fixture()
def cache(churn_challenge: Challenge, tmp_path: Path) -> Path:
    prepare_data(churn_challenge, tmp_path)
    return tmp_path


def test_intact_data_is_reused(churn_challenge: Challenge, cache: Path) -> None:
    first = prepare_data(churn_challenge, cache)
    assert prepare_data(churn_challenge, cache) == first
    assert (first.root / "manifest.json").is_file()


def test_a_changed_label_file_is_named(churn_challenge: Challenge, cache: Path) -> None:
    labels = prepare_data(churn_challenge, cache).labels_file
    labels.write_text(labels.read_text()[:-50])
    with pytest.raises(ChallengeError, match=r"corrupted: hidden/labels\.csv changed") as raised:
        prepare_data(churn_challenge, cache)
    assert raised.value.hint and "regenerate" in raised.value.hint


def test_missing_hidden_data_is_named(churn_challenge: Challenge, cache: Path) -> None:
    shutil.rmtree(prepare_data(churn_challenge, cache).hidden_dir)
    with pytest.raises(ChallengeError, match="incomplete: hidden/"):
        prepare_data(churn_challenge, cache)


def test_a_broken_session_fails_before_any_submission(
    churn_challenge: Challenge, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness import pipeline

    prepared = prepare_data(churn_challenge, cache)
    prepared.eval_features_file.write_text("garbage\n")
    monkeypatch.setattr(pipeline, "prepare_data", lambda challenge: prepare_data(challenge, cache))
    with pytest.raises(ChallengeError, match=r"eval_features/features\.csv changed"):
        pipeline.open_session("churn-tabular")
