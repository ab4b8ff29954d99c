"""Ingestion: every form lands in a workspace, hostile input is rejected without side effects."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import stat
import subprocess
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.errors import SubmissionError
from harness.ingest import DEFAULT_LIMITS, IngestLimits, ingest
from harness.submission import IngestStatus, Submission, SubmissionKind

CONTENT: dict[str, str] = {
    "README.md": "# churn model\n",
    "train.py": "print('train')\n",
    "pkg/__init__.py": "",
    "pkg/model.py": "WEIGHTS = [1, 2, 3]\n",
}
EXECUTABLE = "run.sh"
LINK = ("docs/readme.md", "../README.md")  # a symlink that stays inside the submission

GIT_ENVIRONMENT = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Candidate",
    "GIT_AUTHOR_EMAIL": "candidate@example.com",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_COMMITTER_NAME": "Candidate",
    "GIT_COMMITTER_EMAIL": "candidate@example.com",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00",
}


# --- Builders -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's git config out of the clones the harness makes."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace nested a few levels down, so '..' tricks have somewhere to aim."""
    root = tmp_path / "a" / "b" / "workspace"
    root.mkdir(parents=True)
    return root


@contextmanager
def leaves_no_trace(tmp_path: Path, workspace: Path) -> Iterator[None]:
    """Fail if anything outside the workspace is created, or anything is left inside it."""
    before = snapshot(tmp_path, workspace)
    yield
    assert snapshot(tmp_path, workspace) == before
    assert not (tmp_path / "evil").exists()
    assert list(workspace.iterdir()) == []


def ingest_leaving_no_trace(
    tmp_path: Path, workspace: Path, source: Path, limits: IngestLimits = DEFAULT_LIMITS
) -> Submission:
    with leaves_no_trace(tmp_path, workspace):
        return ingest(str(source), workspace, limits=limits)


def snapshot(root: Path, workspace: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if workspace not in path.parents and path != workspace
    }


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_submission_dir(root: Path) -> Path:
    write_tree(root, CONTENT)
    (root / EXECUTABLE).write_text("#!/bin/sh\necho run\n")
    (root / EXECUTABLE).chmod(0o755)
    (root / LINK[0]).parent.mkdir(parents=True, exist_ok=True)
    (root / LINK[0]).symlink_to(LINK[1])
    return root


def git(repo: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", *arguments],
        cwd=repo,
        env={**os.environ, **GIT_ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    return root


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return git(repo, "rev-parse", "HEAD")


def zip_dir(source: Path, archive: Path, prefix: str = "") -> Path:
    """Zip a tree the way Unix zip does, with modes and symlinks in external_attr."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            name = prefix + path.relative_to(source).as_posix()
            mode = path.lstat().st_mode
            if path.is_symlink():
                add_zip_member(bundle, name, os.readlink(path).encode(), mode)
            elif path.is_dir():
                add_zip_member(bundle, name + "/", b"", mode)
            else:
                add_zip_member(bundle, name, path.read_bytes(), mode)
    return archive


def add_zip_member(bundle: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, data)


def make_zip(archive: Path, members: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data, mode in members:
            add_zip_member(bundle, name, data, mode)
    return archive


def make_tar(archive: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(archive, "w:gz") as bundle:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            bundle.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return archive


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


def assert_ok(submission: Submission, workspace: Path) -> Path:
    assert submission.status is IngestStatus.ok, submission.message
    assert submission.root == workspace / submission.id
    assert submission.id == submission.sha256[:12]
    assert sorted(path.name for path in workspace.iterdir()) == [submission.id]
    return submission.root


def assert_rejected(submission: Submission, *fragments: str) -> None:
    assert submission.status is IngestStatus.rejected
    assert submission.root is None
    for fragment in fragments:
        assert fragment in submission.message


def files_of(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


# --- Directories --------------------------------------------------------------------------


def test_directory_is_copied_with_its_content(tmp_path: Path, workspace: Path) -> None:
    source = make_submission_dir(tmp_path / "churn-solution")
    write_tree(source, {"vendor/lib/.git/config": "[core]\n", "vendor/lib/lib.py": "x = 1\n"})

    submission = ingest(str(source), workspace)

    root = assert_ok(submission, workspace)
    assert submission.kind is SubmissionKind.directory
    assert submission.label == "churn-solution"
    assert files_of(root) == {
        **CONTENT,
        EXECUTABLE: "#!/bin/sh\necho run\n",
        "vendor/lib/lib.py": "x = 1\n",
    }
    assert os.access(root / EXECUTABLE, os.X_OK)
    assert not (root / "vendor" / "lib" / ".git").exists()
    assert any("vendor/lib/.git" in note for note in submission.notes)
    assert submission.file_count == len(CONTENT) + 3  # run.sh, the link, vendor/lib/lib.py
    assert submission.size_bytes == sum(
        path.stat().st_size for path in root.rglob("*") if path.is_file() and not path.is_symlink()
    )


def test_directory_keeps_an_internal_symlink_as_relative(tmp_path: Path, workspace: Path) -> None:
    source = make_submission_dir(tmp_path / "solution")

    root = assert_ok(ingest(str(source), workspace), workspace)

    link = root / LINK[0]
    assert link.is_symlink()
    assert os.readlink(link) == LINK[1]
    assert link.read_text() == CONTENT["README.md"]


@pytest.mark.parametrize(
    ("target", "rule"),
    [("/etc/passwd", "is absolute"), ("../../outside", "escapes the submission")],
)
def test_directory_with_an_escaping_symlink_is_rejected(
    tmp_path: Path, workspace: Path, target: str, rule: str
) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)
    (source / "pkg" / "data").symlink_to(target)

    submission = ingest_leaving_no_trace(tmp_path, workspace, source)

    assert_rejected(submission, "'pkg/data'", rule)
    assert submission.id == hashlib.sha256(str(source).encode()).hexdigest()[:12]


def test_directory_symlink_chain_that_escapes_is_rejected(tmp_path: Path, workspace: Path) -> None:
    # Each link looks harmless on its own; together they leave the tree.
    source = write_tree(tmp_path / "solution", CONTENT)
    (source / "pkg" / "up").symlink_to("..")
    (source / "sneaky").symlink_to("pkg/up/../../outside")

    assert_rejected(
        ingest_leaving_no_trace(tmp_path, workspace, source), "'sneaky'", "escapes the submission"
    )


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_directory_with_a_special_file_is_rejected(
    tmp_path: Path, workspace: Path, kind: str
) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)
    special = source / "pkg" / "special"
    if kind == "fifo":
        os.mkfifo(special)
        assert_rejected(
            ingest_leaving_no_trace(tmp_path, workspace, source), "'pkg/special'", "fifo"
        )
    else:
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(special))
            assert_rejected(
                ingest_leaving_no_trace(tmp_path, workspace, source), "'pkg/special'", "socket"
            )
        special.unlink()


@pytest.mark.parametrize(
    ("limits", "rule"),
    [
        (IngestLimits(max_total_bytes=150_000), "max_total_bytes"),
        (IngestLimits(max_file_bytes=50_000), "max_file_bytes"),
        (IngestLimits(max_files=3), "max_files"),
    ],
)
def test_oversized_directory_is_rejected(
    tmp_path: Path, workspace: Path, limits: IngestLimits, rule: str
) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)
    for index in range(2):
        (source / f"weights-{index}.bin").write_bytes(os.urandom(80_000))

    assert_rejected(ingest_leaving_no_trace(tmp_path, workspace, source, limits), rule)


def test_ingesting_again_restores_a_modified_workspace(tmp_path: Path, workspace: Path) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)
    first = ingest(str(source), workspace)
    assert first.root is not None
    (first.root / "train.py").write_text("tampered\n")
    (first.root / "output.csv").write_text("leftover\n")

    second = ingest(str(source), workspace)

    assert second.id == first.id
    assert files_of(assert_ok(second, workspace)) == CONTENT


def test_a_workspace_inside_the_submission_is_not_copied(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)
    workspace = source / "harness-out" / "workspaces"

    submission = ingest(str(source), workspace)

    assert submission.root is not None
    assert files_of(submission.root) == CONTENT
    assert any("workspace" in note for note in submission.notes)


# --- Archives -----------------------------------------------------------------------------


def test_zip_with_a_single_top_level_directory_is_stripped(tmp_path: Path, workspace: Path) -> None:
    source = make_submission_dir(tmp_path / "content")
    archive = zip_dir(source, tmp_path / "churn-main.zip", prefix="churn-main/")
    with zipfile.ZipFile(archive, "a") as bundle:  # what macOS "Compress" adds
        bundle.writestr("__MACOSX/churn-main/._train.py", b"resource fork")

    submission = ingest(str(archive), workspace)

    root = assert_ok(submission, workspace)
    assert submission.kind is SubmissionKind.archive
    assert submission.label == "churn-main"
    assert files_of(root) == files_of(source)
    assert os.readlink(root / LINK[0]) == LINK[1]
    assert os.access(root / EXECUTABLE, os.X_OK)
    assert not os.access(root / "train.py", os.X_OK) or os.geteuid() == 0
    assert any("churn-main/" in note for note in submission.notes)
    assert any("__MACOSX" in note for note in submission.notes)


def test_tar_gz_is_extracted(tmp_path: Path, workspace: Path) -> None:
    source = make_submission_dir(tmp_path / "content")
    archive = tmp_path / "solution.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(source, arcname=".")  # members named ./train.py and so on
        bundle.add(source / "README.md", arcname=".git/config")  # skipped

    submission = ingest(str(archive), workspace)

    root = assert_ok(submission, workspace)
    assert submission.label == "solution"
    assert files_of(root) == files_of(source)
    assert os.readlink(root / LINK[0]) == LINK[1]
    assert not (root / ".git").exists()
    assert any(".git" in note for note in submission.notes)


def test_tar_hardlink_inside_the_archive_becomes_a_copy(tmp_path: Path, workspace: Path) -> None:
    archive = make_tar(
        tmp_path / "solution.tgz",
        [
            (tar_member("model.py"), b"WEIGHTS = 1\n"),
            (tar_member("copy.py", tarfile.LNKTYPE, linkname="model.py"), b""),
        ],
    )

    root = assert_ok(ingest(str(archive), workspace), workspace)

    assert files_of(root) == {"model.py": "WEIGHTS = 1\n", "copy.py": "WEIGHTS = 1\n"}


def test_same_content_gets_the_same_id_in_every_form(tmp_path: Path, workspace: Path) -> None:
    source = make_submission_dir(tmp_path / "content")
    zipped = zip_dir(source, tmp_path / "solution.zip", prefix="solution-main/")
    tarred = tmp_path / "solution.tar.gz"
    with tarfile.open(tarred, "w:gz") as bundle:
        bundle.add(source, arcname=".")
    repo = make_repo(tmp_path / "repo")
    shutil.copytree(source, repo, symlinks=True, dirs_exist_ok=True)
    commit_all(repo, "solution")

    submissions = [ingest(str(path), workspace) for path in (source, zipped, tarred, repo)]

    assert [submission.kind for submission in submissions] == [
        SubmissionKind.directory,
        SubmissionKind.archive,
        SubmissionKind.archive,
        SubmissionKind.git,
    ]
    assert len({submission.sha256 for submission in submissions}) == 1
    assert all(submission.status is IngestStatus.ok for submission in submissions)
    assert len(list(workspace.iterdir())) == 1


HOSTILE_TARS: dict[str, tuple[list[tuple[tarfile.TarInfo, bytes]], str]] = {
    "traversal": ([(tar_member("../../../../evil"), b"x")], "'..' component"),
    "absolute path": ([(tar_member("/tmp/evil-absolute"), b"x")], "absolute path"),
    "backslash": ([(tar_member("..\\..\\evil"), b"x")], "backslash"),
    "drive letter": ([(tar_member("C:/evil"), b"x")], "drive-letter"),
    "symlink to /etc/passwd": (
        [(tar_member("passwd", tarfile.SYMTYPE, "/etc/passwd"), b"")],
        "is absolute",
    ),
    "symlink ../../x": (
        [(tar_member("pkg/data", tarfile.SYMTYPE, "../../x"), b"")],
        "escapes the submission",
    ),
    "write through a symlink": (
        [
            (tar_member("sub", tarfile.DIRTYPE), b""),
            (tar_member("link", tarfile.SYMTYPE, "sub"), b""),
            (tar_member("link/evil"), b"x"),
        ],
        "goes through the link 'link'",
    ),
    "symlink chain": (
        [
            (tar_member("pkg/up", tarfile.SYMTYPE, ".."), b""),
            (tar_member("sneaky", tarfile.SYMTYPE, "pkg/up/../x"), b""),
        ],
        "escapes the submission",
    ),
    "hardlink outside": (
        [(tar_member("passwd", tarfile.LNKTYPE, "../../../../etc/passwd"), b"")],
        "hardlink target: '..' component",
    ),
    "absolute hardlink": (
        [(tar_member("passwd", tarfile.LNKTYPE, "/etc/passwd"), b"")],
        "hardlink target: absolute path",
    ),
    "character device": ([(tar_member("null", tarfile.CHRTYPE), b"")], "character device"),
    "block device": ([(tar_member("sda", tarfile.BLKTYPE), b"")], "block device"),
    "fifo": ([(tar_member("pipe", tarfile.FIFOTYPE), b"")], "fifo"),
    "duplicate": ([(tar_member("a.py"), b"1"), (tar_member("a.py"), b"2")], "duplicate"),
    "hardlink to nothing": (
        [(tar_member("copy.py", tarfile.LNKTYPE, "missing.py"), b"")],
        "hardlink target is not a file extracted earlier",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_TARS, ids=str)
def test_hostile_tar_is_rejected(tmp_path: Path, workspace: Path, case: str) -> None:
    members, rule = HOSTILE_TARS[case]
    archive = make_tar(tmp_path / "hostile.tar.gz", [(tar_member("ok.py"), b"ok"), *members])

    submission = ingest_leaving_no_trace(tmp_path, workspace, archive)

    assert_rejected(submission, "member '", rule)
    assert submission.id == hashlib.sha256(archive.read_bytes()).hexdigest()[:12]
    assert not Path("/tmp/evil-absolute").exists()


REGULAR = stat.S_IFREG | 0o644
HOSTILE_ZIPS: dict[str, tuple[list[tuple[str, bytes, int]], str]] = {
    "traversal": ([("../../../../evil", b"x", REGULAR)], "'..' component"),
    "absolute path": ([("/tmp/evil-absolute", b"x", REGULAR)], "absolute path"),
    "backslash": ([("..\\..\\evil", b"x", REGULAR)], "backslash"),
    "symlink to /etc/passwd": ([("passwd", b"/etc/passwd", stat.S_IFLNK | 0o777)], "is absolute"),
    "symlink ../../x": ([("pkg/x", b"../../x", stat.S_IFLNK | 0o777)], "escapes the submission"),
    "character device": ([("null", b"", stat.S_IFCHR | 0o666)], "character device"),
    "fifo": ([("pipe", b"", stat.S_IFIFO | 0o644)], "fifo"),
}


@pytest.mark.parametrize("case", HOSTILE_ZIPS, ids=str)
def test_hostile_zip_is_rejected(tmp_path: Path, workspace: Path, case: str) -> None:
    members, rule = HOSTILE_ZIPS[case]
    archive = make_zip(tmp_path / "hostile.zip", [("ok.py", b"ok", REGULAR), *members])

    assert_rejected(ingest_leaving_no_trace(tmp_path, workspace, archive), "member '", rule)
    assert not Path("/tmp/evil-absolute").exists()


def test_archive_with_too_many_entries_is_rejected(tmp_path: Path, workspace: Path) -> None:
    names = [f"file-{index}.py" for index in range(6)]
    zipped = make_zip(tmp_path / "many.zip", [(name, b"x", REGULAR) for name in names])
    tarred = make_tar(tmp_path / "many.tar.gz", [(tar_member(name), b"x") for name in names])
    limits = IngestLimits(max_files=5)

    assert_rejected(
        ingest_leaving_no_trace(tmp_path, workspace, zipped, limits), "6 members", "max_files"
    )
    assert_rejected(ingest_leaving_no_trace(tmp_path, workspace, tarred, limits), "max_files")


ZEROS = bytes(8 * 1024 * 1024)


def test_zip_bomb_is_rejected(tmp_path: Path, workspace: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", [("zeros.bin", ZEROS, REGULAR)])
    assert archive.stat().st_size < 100_000

    assert_rejected(
        ingest_leaving_no_trace(tmp_path, workspace, archive),
        "member 'zeros.bin'",
        "max_compression_ratio",
    )
    assert_rejected(
        ingest_leaving_no_trace(
            tmp_path,
            workspace,
            archive,
            IngestLimits(max_total_bytes=1_000_000, max_compression_ratio=1e9),
        ),
        "member 'zeros.bin'",
        "max_total_bytes",
    )


def test_tar_gz_bomb_is_rejected(tmp_path: Path, workspace: Path) -> None:
    archive = make_tar(tmp_path / "bomb.tar.gz", [(tar_member("zeros.bin"), ZEROS)])

    assert_rejected(
        ingest_leaving_no_trace(tmp_path, workspace, archive),
        "member 'zeros.bin'",
        "max_compression_ratio",
    )
    assert_rejected(
        ingest_leaving_no_trace(
            tmp_path, workspace, archive, IngestLimits(max_file_bytes=1_000_000)
        ),
        "member 'zeros.bin'",
        "max_file_bytes",
    )


def test_tar_gz_bomb_in_a_skipped_member_is_still_counted(tmp_path: Path, workspace: Path) -> None:
    # Members under .git/ are not written, but the decompressor still expands them.
    archive = make_tar(tmp_path / "bomb.tar.gz", [(tar_member(".git/objects/pack"), ZEROS)])

    assert_rejected(ingest_leaving_no_trace(tmp_path, workspace, archive), "max_compression_ratio")


def test_zip_that_lies_about_sizes_is_rejected(tmp_path: Path, workspace: Path) -> None:
    # Claim 100 bytes for 8 MiB of zeros in both headers: the bytes are counted as they are
    # decompressed, so the declared size decides nothing.
    data = bytearray(make_zip(tmp_path / "liar.zip", [("zeros.bin", ZEROS, REGULAR)]).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.index(signature) + offset
        data[start : start + 4] = (100).to_bytes(4, "little")
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(data))

    submission = ingest_leaving_no_trace(
        tmp_path, workspace, archive, IngestLimits(max_file_bytes=1000)
    )

    assert_rejected(submission, "corrupt")


@pytest.mark.parametrize("name", ["broken.zip", "broken.tar.gz", "broken.tar"])
def test_corrupt_archive_is_rejected(tmp_path: Path, workspace: Path, name: str) -> None:
    archive = tmp_path / name
    archive.write_bytes(b"this is not an archive" * 100)

    assert_rejected(ingest_leaving_no_trace(tmp_path, workspace, archive), "corrupt")


# --- Git ----------------------------------------------------------------------------------


@pytest.fixture
def two_commits(tmp_path: Path) -> tuple[Path, str, str]:
    repo = make_repo(tmp_path / "candidate-repo")
    write_tree(repo, {"train.py": "version = 1\n"})
    first = commit_all(repo, "first attempt")
    write_tree(repo, {"train.py": "version = 2\n", "predict.py": "print()\n"})
    second = commit_all(repo, "second attempt")
    git(repo, "tag", "v1", first)
    return repo, first, second


def test_git_repository_is_cloned_at_head(
    two_commits: tuple[Path, str, str], workspace: Path
) -> None:
    repo, first, second = two_commits

    submission = ingest(str(repo), workspace)

    root = assert_ok(submission, workspace)
    assert submission.kind is SubmissionKind.git
    assert submission.label == "candidate-repo"
    assert files_of(root) == {"train.py": "version = 2\n", "predict.py": "print()\n"}
    assert not (root / ".git").exists()
    assert submission.git is not None
    assert submission.git.commit == second
    assert submission.git.dirty is False
    assert [commit.sha for commit in submission.git.commits] == [second, first]
    assert submission.git.commits[0].subject == "second attempt"
    assert submission.git.commits[0].author_time == "2024-01-02T03:04:05+00:00"


@pytest.mark.parametrize("ref", ["first", "v1", "short"])
def test_git_ref_selects_an_earlier_commit(
    two_commits: tuple[Path, str, str], workspace: Path, ref: str
) -> None:
    repo, first, _ = two_commits
    requested = {"first": first, "v1": "v1", "short": first[:8]}[ref]

    submission = ingest(str(repo), workspace, ref=requested)

    assert files_of(assert_ok(submission, workspace)) == {"train.py": "version = 1\n"}
    assert submission.git is not None
    assert submission.git.commit == first
    assert submission.git.ref == requested
    assert [commit.sha for commit in submission.git.commits] == [first]


def test_git_ref_names_a_branch_of_a_file_url(
    two_commits: tuple[Path, str, str], workspace: Path
) -> None:
    repo, first, _ = two_commits
    git(repo, "branch", "experiment", first)

    submission = ingest(repo.as_uri(), workspace, ref="experiment")

    assert submission.git is not None
    assert submission.git.commit == first
    assert submission.label == "candidate-repo"


def test_uncommitted_changes_are_ignored_and_noted(
    two_commits: tuple[Path, str, str], workspace: Path
) -> None:
    repo, _, second = two_commits
    (repo / "train.py").write_text("version = 3  # not committed\n")
    (repo / "scratch.py").write_text("untracked\n")

    submission = ingest(str(repo), workspace)

    assert files_of(assert_ok(submission, workspace))["train.py"] == "version = 2\n"
    assert submission.git is not None
    assert submission.git.dirty is True
    assert submission.git.commit == second
    assert any("uncommitted changes" in note for note in submission.notes)


def test_ignored_files_do_not_make_a_repository_dirty(tmp_path: Path, workspace: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write_tree(repo, {".gitignore": "*.pkl\n", "train.py": "x = 1\n"})
    commit_all(repo, "solution")
    (repo / "model.pkl").write_bytes(b"weights")

    submission = ingest(str(repo), workspace)

    assert submission.git is not None
    assert submission.git.dirty is False
    assert submission.notes == []


def test_a_workspace_inside_the_repository_does_not_make_it_dirty(
    two_commits: tuple[Path, str, str],
) -> None:
    repo, _, _ = two_commits

    workspace = repo / "harness-out" / "workspaces"
    ingest(str(repo), workspace)  # leaves an untracked copy in the work tree

    submission = ingest(str(repo), workspace)

    assert submission.git is not None
    assert submission.git.dirty is False


def test_unknown_ref_raises(two_commits: tuple[Path, str, str], workspace: Path) -> None:
    repo, _, _ = two_commits

    with pytest.raises(SubmissionError, match="not found") as raised:
        ingest(str(repo), workspace, ref="no-such-branch")

    assert raised.value.hint
    assert list(workspace.iterdir()) == []


def test_clone_failure_raises(tmp_path: Path, workspace: Path) -> None:
    with pytest.raises(SubmissionError, match="git clone failed") as raised:
        ingest((tmp_path / "missing.git").as_uri(), workspace)

    assert raised.value.hint
    assert list(workspace.iterdir()) == []


def test_git_timeout_raises(two_commits: tuple[Path, str, str], workspace: Path) -> None:
    repo, _, _ = two_commits

    with pytest.raises(SubmissionError, match="did not finish") as raised:
        ingest(str(repo), workspace, limits=IngestLimits(git_timeout_s=1e-6))

    assert raised.value.hint is not None
    assert "git_timeout_s" in raised.value.hint
    assert list(workspace.iterdir()) == []


def test_git_repository_with_an_escaping_symlink_is_rejected(
    tmp_path: Path, workspace: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    write_tree(repo, {"train.py": "x = 1\n"})
    (repo / "secrets").symlink_to("/etc/passwd")
    commit = commit_all(repo, "sneaky")

    submission = ingest(str(repo), workspace)

    assert_rejected(submission, "'secrets'", "is absolute")
    assert submission.git is not None
    assert submission.git.commit == commit
    assert list(workspace.iterdir()) == []


def test_submodules_are_noted_not_fetched(tmp_path: Path, workspace: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write_tree(
        repo,
        {".gitmodules": '[submodule "lib"]\n\tpath = lib\n\turl = https://example.invalid/lib\n'},
    )
    commit_all(repo, "with submodule")

    submission = ingest(str(repo), workspace)

    assert submission.status is IngestStatus.ok
    assert any("submodules" in note for note in submission.notes)


# --- Notebooks and misuse -----------------------------------------------------------------


def test_notebook_is_copied_as_submitted(tmp_path: Path, workspace: Path) -> None:
    notebook = tmp_path / "Churn Analysis.ipynb"
    notebook.write_text(
        '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": '
        '{"name": "python3", "display_name": "Python 3", "language": "python"}}}'
    )

    submission = ingest(str(notebook), workspace)

    digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert submission.status is IngestStatus.ok, submission.message
    assert submission.kind is SubmissionKind.notebook
    assert submission.label == "Churn Analysis"
    assert (submission.sha256, submission.id) == (digest, digest[:12])
    assert submission.root == workspace / digest[:12]
    assert (submission.root / "submission.ipynb").read_bytes() == notebook.read_bytes()
    assert (submission.file_count, submission.size_bytes) == (1, notebook.stat().st_size)


def test_oversized_notebook_is_rejected(tmp_path: Path, workspace: Path) -> None:
    notebook = tmp_path / "huge.ipynb"
    notebook.write_bytes(b" " * 2000)

    submission = ingest_leaving_no_trace(
        tmp_path, workspace, notebook, IngestLimits(max_notebook_bytes=1000)
    )

    assert_rejected(submission, "max_notebook_bytes")


@pytest.mark.parametrize(
    ("make_source", "match"),
    [
        (lambda tmp: str(tmp / "does-not-exist"), "no such file"),
        (lambda tmp: str(write_tree(tmp, {"notes.txt": "hi"}) / "notes.txt"), "not a submission"),
        (lambda tmp: "ftp://example.com/solution.zip", "unsupported URL scheme"),
    ],
    ids=["missing", "unknown type", "unknown scheme"],
)
def test_unreadable_sources_raise_with_a_hint(
    tmp_path: Path, workspace: Path, make_source: Callable[[Path], str], match: str
) -> None:
    with pytest.raises(SubmissionError, match=match) as raised:
        ingest(make_source(tmp_path), workspace)

    assert raised.value.hint
    assert list(workspace.iterdir()) == []


def test_missing_path_hint_lists_the_accepted_forms(tmp_path: Path, workspace: Path) -> None:
    with pytest.raises(SubmissionError) as raised:
        ingest(str(tmp_path / "nope"), workspace)

    assert raised.value.hint is not None
    assert "a .zip/.tar.gz archive" in raised.value.hint


def test_ref_for_a_plain_directory_raises(tmp_path: Path, workspace: Path) -> None:
    source = write_tree(tmp_path / "solution", CONTENT)

    with pytest.raises(SubmissionError, match="not a git repository"):
        ingest(str(source), workspace, ref="main")
