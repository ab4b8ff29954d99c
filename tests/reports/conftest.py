"""Fixtures for report tests: a cohort graded for real in the sandbox, and headless Chromium.

The graded cohort is three submissions of the bundled churn challenge, graded once per
test session against the real Docker engine: the challenge's reference solution, and two
candidates whose identity is planted where blind review must hide it (a git author, a
directory name, a writeup, an author line, a line the training script prints).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import pipeline
from harness.result import SubmissionResult
from tests.conftest import _docker_required

# Identities planted in the candidates. Distinctive, so that finding one in a page can only
# mean a leak.
GIT_AUTHOR_NAME = "Zephyrine Quillfeather"
GIT_AUTHOR_EMAIL = "zq.hiring@quill-mail.example"
GIT_DIRECTORY = "quillfeather-takehome"
PATH_NAME = "orvald-brunhilde"
WRITEUP_EMAIL = "orvald.b@brunhilde-family.example"
DECLARED_NAME = "Thessaly Marchbanks"
"""Named only in an author line of the git candidate's writeup."""
IDENTITY_STRINGS = (
    "Thessaly",
    "Marchbanks",
    "Zephyrine",
    "Quillfeather",
    "zq.hiring",
    "quill-mail",
    "Orvald",
    "Brunhilde",
    "brunhilde-family",
)


@dataclass(frozen=True)
class GradedCohort:
    out: Path
    results: list[SubmissionResult]
    git_candidate: SubmissionResult
    path_candidate: SubmissionResult
    reference: SubmissionResult


def _copy_example(challenge_dir: Path, example: str, target: Path) -> Path:
    shutil.copytree(challenge_dir / example, target)
    return target


def _git(directory: Path, *arguments: str) -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": GIT_AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": GIT_AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": GIT_AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": GIT_AUTHOR_EMAIL,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(
        ["git", "-C", str(directory), *arguments], check=True, capture_output=True, env=environment
    )


def make_candidates(root: Path, challenge_dir: Path) -> tuple[Path, Path]:
    """Two candidates: a git repository (the solid example) authored by GIT_AUTHOR_NAME,
    whose training prints the author's first name and DECLARED_NAME, who is named as the
    author only in the writeup's first line (not in git); and a directory named PATH_NAME (the
    naive example) whose writeup is signed with the name and WRITEUP_EMAIL."""
    git_candidate = _copy_example(challenge_dir, "examples/solid", root / GIT_DIRECTORY)
    train = git_candidate / "train.py"
    train.write_text(
        'print("Zephyrine says: training starts")\n'
        f'print("reviewed with {DECLARED_NAME}")\n' + train.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    writeup = git_candidate / "WRITEUP.md"
    writeup.write_text(
        f"**Author:** {DECLARED_NAME}\n\n" + writeup.read_text(encoding="utf-8"), encoding="utf-8"
    )
    _git(git_candidate, "init", "--quiet", "--initial-branch=main")
    _git(git_candidate, "add", "--all")
    _git(git_candidate, "commit", "--quiet", "--message", "Solution")

    path_candidate = _copy_example(
        challenge_dir, "examples/naive", root / "applicants" / PATH_NAME / "submission"
    )
    writeup = path_candidate / "WRITEUP.md"
    writeup.write_text(
        writeup.read_text(encoding="utf-8")
        + f"\nWritten by Orvald Brunhilde ({WRITEUP_EMAIL}); questions to {WRITEUP_EMAIL}.\n",
        encoding="utf-8",
    )
    train = path_candidate / "train.py"
    train.write_text(
        f'print("run by Orvald Brunhilde <{WRITEUP_EMAIL}>")\n' + train.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    return git_candidate, path_candidate


@pytest.fixture(scope="session")
def graded_cohort(
    docker_sandbox: object, runtime_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GradedCohort]:
    """The reference solution and the two planted candidates, graded in one batch; the
    batch writes every report and the cohort report (blind, the default)."""
    session = pipeline.open_session("churn-tabular")
    try:
        challenge_dir = session.challenge.directory
        git_candidate, path_candidate = make_candidates(
            tmp_path_factory.mktemp("candidates"), challenge_dir
        )
        reference = session.challenge.path("solutions/reference")
        sources = [str(reference), str(git_candidate), str(path_candidate)]
        out = tmp_path_factory.mktemp("graded")
        results = pipeline.grade_batch(session, sources, out)
    finally:
        pipeline.close_session(session)
    by_source = {result.submission.source: result for result in results}
    yield GradedCohort(
        out,
        results,
        by_source[str(git_candidate)],
        by_source[str(path_candidate)],
        by_source[str(reference)],
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless browser. Missing it fails under CI (scripts/setup.sh installs it)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if _docker_required():
        pytest.fail("chromium is required for the browser tests: apt-get install -y chromium")
    pytest.skip("chromium is not installed")
