"""What ingestion produces: a submission laid out in a harness-owned workspace."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SubmissionKind(StrEnum):
    directory = "directory"
    git = "git"
    archive = "archive"
    notebook = "notebook"


class IngestStatus(StrEnum):
    """``ok``: ready to run; ``rejected``: refused for safety or unreadable (hostile or
    oversized input, an invalid notebook); ``unsupported``: a form the harness accepts but
    cannot grade (a notebook for a non-Python kernel)."""

    ok = "ok"
    rejected = "rejected"
    unsupported = "unsupported"


class GitCommit(BaseModel):
    model_config = ConfigDict(frozen=True)

    sha: str
    author_time: str = Field(description="ISO 8601 author date.")
    subject: str


class GitInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    commit: str = Field(description="Commit that was graded.")
    ref: str | None = Field(None, description="Ref requested with --ref, if any.")
    dirty: bool = Field(
        False, description="The local working tree had uncommitted changes (ignored)."
    )
    commits: list[GitCommit] = Field(
        default_factory=list, description="History up to the graded commit, newest first."
    )


class Submission(BaseModel):
    """A submission, ingested into a workspace the harness owns."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short content hash: the same content always gets the same id.")
    sha256: str = Field(description="Full content hash of the submission tree (or notebook file).")
    kind: SubmissionKind
    source: str = Field(description="Path or URL it was ingested from, as given.")
    label: str = Field(description="Human-readable name (file or directory name).")
    status: IngestStatus = IngestStatus.ok
    message: str = Field("", description="Why it was rejected or is unsupported.")
    root: Path | None = Field(
        None, description="Workspace directory with the files (None if rejected)."
    )
    file_count: int = 0
    size_bytes: int = 0
    git: GitInfo | None = None
    notes: list[str] = Field(default_factory=list, description="Things noticed during ingestion.")


def find_tests(submission_root: Path) -> list[str]:
    """Test files pytest would collect by default (test_*.py, *_test.py)."""
    found = []
    for path in sorted(submission_root.rglob("*.py")):
        relative = path.relative_to(submission_root)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
            continue
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            found.append(relative.as_posix())
    return found
