"""A grader in a separate package registers through the entry point and runs."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from challenges.data import prepare_data
from challenges.loader import Challenge
from challenges.spec import GraderSpec
from graders import graders
from harness import pipeline
from tests.fakes import FakeSandbox

PACKAGE = Path(__file__).resolve().parents[1] / "fixtures" / "thirdparty_grader"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        check=True,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    graders.reload_entry_points()
    yield target
    sys.path.remove(str(target))
    graders.reload_entry_points()


def test_entry_point_registers_the_grader(installed: Path) -> None:
    assert "wordcount" in graders.names()
    factory = graders.get("wordcount")
    assert factory.__module__ == "harness_grader_wordcount"


def test_the_pipeline_runs_it_with_the_challenge_args(
    installed: Path, churn_challenge: Challenge, tmp_path: Path
) -> None:
    spec = churn_challenge.spec.model_copy(
        update={"graders": [GraderSpec(name="wordcount", weight=2.0, args={"minimum_words": 10})]}
    )
    challenge = churn_challenge.model_copy(update={"spec": spec})
    session = pipeline.GradingSession(
        challenge, prepare_data(challenge), FakeSandbox(), "fake:image", tmp_path / "work"
    )
    source = tmp_path / "submission"
    source.mkdir()
    (source / "train.py").write_text("print(1)\n")
    (source / "predict.py").write_text("def load(d): ...\ndef predict(m, f): ...\n")
    (source / "WRITEUP.md").write_text("five words in this writeup")
    result = pipeline.grade_submission(session, str(source))
    grade = result.grades[0]
    assert (grade.grader, grade.weight, grade.status) == ("wordcount", 2.0, "ok")
    assert grade.score == pytest.approx(0.5)
    assert grade.summary == "5 words (minimum 10)"
    assert result.total_score == 50.0


def test_unknown_graders_suggest_a_name_and_how_to_install() -> None:
    from harness.errors import RegistryError

    with pytest.raises(RegistryError) as raised:
        graders.get("corectness")
    assert "Did you mean 'correctness'?" in raised.value.message
    assert (
        raised.value.hint
        and "entry point" in raised.value.hint
        and "harness.graders" in raised.value.hint
    )
