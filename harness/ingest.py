"""Ingest a submission: copy, clone or extract it into a workspace the harness owns.

A submission arrives as a directory, a git repository (URL or local path), an archive
(``.zip``, ``.tar``, ``.tar.gz``...) or a single notebook. Whatever the form, the result is
a :class:`~harness.submission.Submission` whose ``root`` is ``workspace_root/<id>/``, where
the id is a hash of the content, so the same files get the same id in every form.

Candidates' files are untrusted. Nothing from a submission is ever executed, and every
entry is checked before it is written: absolute or escaping paths and links, device files,
fifos, too many entries and too many bytes (counted as they are read, never taken from a
header) make the submission ``rejected``, with a message naming the entry and the rule.
Input the harness cannot read at all (a missing path, a bad URL, an unknown ref) is the
operator's to fix and raises :class:`~harness.errors.SubmissionError` instead.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import hashlib
import lzma
import os
import posixpath
import re
import signal
import stat
import subprocess
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Never, Protocol

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import SubmissionError
from harness.fsutil import remove_tree, sha256_file, special_file_kind, tree_digest
from harness.notebook import NOTEBOOK_FILE, check_notebook
from harness.submission import GitCommit, GitInfo, IngestStatus, Submission, SubmissionKind

__all__ = ["DEFAULT_LIMITS", "IngestLimits", "ingest"]

MIB = 1024 * 1024

FORMS_HINT = "expected a directory, a git URL, a .zip/.tar.gz archive or a .ipynb notebook"

_CHUNK_BYTES = MIB
_RATIO_GRACE_BYTES = MIB  # below this total, a high compression ratio is normal
_MAX_LINK_TARGET_BYTES = 4096
_MAX_COMMITS = 500
_GIT_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.+-]+@[\w.-]+:", re.IGNORECASE)
_ANY_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
_SKIPPED_TOP_LEVEL = "__MACOSX"  # resource forks added by macOS "Compress"
# Variables that point git at another repository; inherited ones must not redirect our calls.
_REPOSITORY_GIT_VARIABLES = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CONFIG",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
        "GIT_DIR",
        "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_PREFIX",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_WORK_TREE",
    }
)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Closable(_Readable, Protocol):
    def close(self) -> None: ...


class IngestLimits(BaseModel):
    """Bounds on what a submission may contain; anything beyond them is ``rejected``."""

    model_config = ConfigDict(frozen=True)

    max_total_bytes: int = Field(
        default=256 * MIB, gt=0, description="Most bytes of file content in the whole submission."
    )
    max_file_bytes: int = Field(default=128 * MIB, gt=0, description="Most bytes in any one file.")
    max_files: int = Field(
        default=20_000,
        gt=0,
        description="Most entries (files, directories and links), or archive members.",
    )
    max_compression_ratio: float = Field(
        default=200.0,
        gt=0,
        description="Most extracted bytes per archive byte, checked once 1 MiB is extracted.",
    )
    max_notebook_bytes: int = Field(
        default=50 * MIB, gt=0, description="Largest notebook file accepted."
    )
    git_timeout_s: float = Field(
        default=180.0, gt=0, description="Seconds allowed for all git commands of one clone."
    )


DEFAULT_LIMITS = IngestLimits()


def ingest(
    source: str,
    workspace_root: Path,
    ref: str | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> Submission:
    """Bring a submission into ``workspace_root/<id>/``, checking it on the way in.

    Args:
        source: A directory, a git URL or local repository, an archive or a ``.ipynb`` file.
        workspace_root: Directory that holds one workspace per submission id.
        ref: Branch, tag or commit to check out; git repositories only.
        limits: Size and entry limits; a submission beyond them is ``rejected``.

    Returns:
        The submission. Hostile, oversized or unreadable input (including an invalid notebook)
        gives status ``rejected`` and a notebook for a non-Python kernel ``unsupported``; no
        workspace is left behind for either.

    Raises:
        SubmissionError: The source cannot be read at all: a missing path, an unknown file
            type, a failed clone or an unknown ref.
    """
    workspace_root = workspace_root.expanduser().absolute()
    workspace_root.mkdir(parents=True, exist_ok=True)
    if _GIT_URL.match(source):
        return _ingest_git(source, None, workspace_root, ref, limits)
    if _ANY_URL.match(source):
        raise SubmissionError(
            f"{source}: unsupported URL scheme",
            hint="a git URL starts with https://, http://, ssh://, git://, file:// or user@host:",
        )
    path = Path(source).expanduser()
    if not path.exists():
        raise SubmissionError(f"{source}: no such file or directory", hint=FORMS_HINT)
    if not os.access(path, os.R_OK):
        raise SubmissionError(
            f"{source}: permission denied", hint="make it readable by the harness user"
        )
    if path.is_dir() and ((path / ".git").exists() or path.name.endswith(".git")):
        return _ingest_git(source, path, workspace_root, ref, limits)
    _refuse_ref(source, ref)
    name = path.name.lower()
    if path.is_dir():
        return _ingest_directory(source, path, workspace_root, limits)
    if path.is_file() and name.endswith(".zip"):
        return _ingest_archive(source, path, workspace_root, limits, _extract_zip)
    if path.is_file() and name.endswith(_TAR_SUFFIXES):
        return _ingest_archive(source, path, workspace_root, limits, _extract_tar)
    if path.is_file() and name.endswith(".ipynb"):
        return _ingest_notebook(source, path, workspace_root, limits)
    raise SubmissionError(f"{source}: not a submission this harness can read", hint=FORMS_HINT)


def _refuse_ref(source: str, ref: str | None) -> None:
    if ref is not None:
        raise SubmissionError(
            f"{source}: --ref {ref!r} given, but this is not a git repository",
            hint="drop --ref, or pass a git URL or a local repository",
        )


# --- Rejection and limits ------------------------------------------------------------------


class _Rejected(Exception):
    """The submission breaks a safety rule; the message names the entry and the rule."""


def _where(relative: PurePosixPath | str, archive: bool) -> str:
    return f"member {str(relative)!r}" if archive else f"{str(relative)!r}"


@dataclass
class _Budget:
    """Running totals of entries and bytes, checked as they grow."""

    limits: IngestLimits
    compressed_bytes: int | None = None
    """Archive size for the compression-ratio check; None when there is nothing to compare."""
    entries_name: str = "the submission has more than {} entries"
    entries: int = 0
    total_bytes: int = 0

    def add_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_files:
            raise _Rejected(f"{self.entries_name.format(self.limits.max_files)} (max_files)")

    def expect(self, where: str, size: int) -> None:
        """Fail early on a size known in advance; the bytes are still counted as they come."""
        if (
            size > self.limits.max_file_bytes
            or self.total_bytes + size > self.limits.max_total_bytes
        ):
            self.add_bytes(where, size, size)  # raises, naming the limit

    def add_bytes(self, where: str, file_bytes: int, added: int) -> None:
        """Count ``added`` bytes of the entry ``where``, which has ``file_bytes`` so far."""
        limits = self.limits
        self.total_bytes += added
        if file_bytes > limits.max_file_bytes:
            raise _Rejected(f"{where}: larger than {limits.max_file_bytes} bytes (max_file_bytes)")
        if self.total_bytes > limits.max_total_bytes:
            raise _Rejected(
                f"{where}: brings the total past {limits.max_total_bytes} bytes (max_total_bytes)"
            )
        if self.compressed_bytes is not None:
            _check_ratio(where, self.total_bytes, self.compressed_bytes, limits)


def _check_ratio(where: str, extracted: int, compressed: int, limits: IngestLimits) -> None:
    if extracted > _RATIO_GRACE_BYTES and extracted > limits.max_compression_ratio * compressed:
        raise _Rejected(
            f"{where}: compression bomb: {extracted} bytes extracted from a {compressed}-byte "
            f"archive, more than {limits.max_compression_ratio:g}x (max_compression_ratio)"
        )


def _check_link_target(relative: PurePosixPath, target: str, where: str) -> None:
    """Reject a link target that is absolute or leaves the tree, judged by its text alone."""
    if not target or "\x00" in target:
        raise _Rejected(f"{where}: empty or malformed symlink target")
    if target.startswith("/") or _DRIVE_LETTER.match(target):
        raise _Rejected(f"{where}: symlink target {target!r} is absolute")
    if "\\" in target:
        raise _Rejected(f"{where}: backslash in symlink target {target!r}")
    resolved = posixpath.normpath(posixpath.join(str(relative.parent), target))
    if resolved == ".." or resolved.startswith("../"):
        raise _Rejected(f"{where}: symlink target {target!r} escapes the submission")


def _copy_stream(
    reader: _Readable, destination: Path, executable: bool, where: str, budget: _Budget
) -> None:
    """Copy ``reader`` into a new file, counting every byte against ``budget``."""
    mode = 0o755 if executable else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(destination, flags, mode)
    except OSError as error:
        _raise_write_error(where, error)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(descriptor, mode)  # the umask must not decide the executable bit
        written = 0
        while chunk := reader.read(_CHUNK_BYTES):
            written += len(chunk)
            budget.add_bytes(where, written, len(chunk))
            try:
                handle.write(chunk)
            except OSError as error:
                _raise_write_error(where, error)


def _raise_write_error(where: str, error: OSError) -> Never:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise SubmissionError(
            f"no space left in the workspace: {error}", hint="free disk space and retry"
        ) from error
    raise _Rejected(f"{where}: cannot be written ({error.strerror})") from error


def _refuse_file_type(where: str, kind: str) -> Never:
    raise _Rejected(f"{where}: {kind} (only regular files, directories and symlinks are allowed)")


@dataclass
class _TreeStats:
    file_count: int = 0
    size_bytes: int = 0


def _scan_tree(root: Path, limits: IngestLimits, member_prefix: str | None = None) -> _TreeStats:
    """Check a finished tree: limits, file types, and that every symlink resolves inside it.

    Resolving links for real (not just by their text) catches chains such as
    ``d -> ..`` inside ``sub/`` followed by ``e -> sub/d/../x``. ``member_prefix`` is
    set for archives, so messages name the member as the archive does.
    """
    stats = _TreeStats()
    budget = _Budget(limits)
    real_root = os.path.realpath(root)
    pending = [root]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                path = Path(entry.path)
                relative = path.relative_to(root).as_posix()
                if member_prefix is None:
                    where = _where(relative, archive=False)
                else:
                    where = _where(member_prefix + relative, archive=True)
                budget.add_entry()
                mode = entry.stat(follow_symlinks=False).st_mode
                refused = special_file_kind(mode)
                if refused:
                    _refuse_file_type(where, refused)
                if stat.S_ISDIR(mode):
                    pending.append(path)
                    continue
                stats.file_count += 1
                if stat.S_ISLNK(mode):
                    target = os.readlink(path)
                    _check_link_target(PurePosixPath(path.relative_to(root)), target, where)
                    if not _is_within(os.path.realpath(path), real_root):
                        raise _Rejected(
                            f"{where}: symlink target {target!r} escapes the submission"
                        )
                    continue
                size = entry.stat(follow_symlinks=False).st_size
                budget.add_bytes(where, size, size)
                stats.size_bytes += size
    return stats


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# --- Workspace ----------------------------------------------------------------------------


@contextmanager
def _scratch(workspace_root: Path) -> Iterator[Path]:
    """A private directory under ``workspace_root``, removed with whatever is left in it."""
    scratch = Path(tempfile.mkdtemp(prefix=".ingest-", dir=workspace_root))
    try:
        yield scratch
    finally:
        remove_tree(scratch)


def _publish(staged: Path, workspace_root: Path, identity: str) -> Path:
    """Move ``staged`` to ``workspace_root/<identity>``, replacing an earlier copy."""
    final = workspace_root / identity
    if final.exists() or final.is_symlink():
        remove_tree(final)
    os.replace(staged, final)
    return final


def _finish(
    staged: Path,
    workspace_root: Path,
    limits: IngestLimits,
    *,
    kind: SubmissionKind,
    source: str,
    label: str,
    notes: list[str],
    git: GitInfo | None = None,
    member_prefix: str | None = None,
) -> Submission:
    """Check the staged tree, hash it and move it to its place; may raise ``_Rejected``."""
    stats = _scan_tree(staged, limits, member_prefix)
    digest = tree_digest(staged)
    root = _publish(staged, workspace_root, digest[:12])
    return Submission(
        id=digest[:12],
        sha256=digest,
        kind=kind,
        source=source,
        label=label,
        message="",
        root=root,
        file_count=stats.file_count,
        size_bytes=stats.size_bytes,
        git=git,
        notes=notes,
    )


def _rejected(
    *,
    kind: SubmissionKind,
    source: str,
    label: str,
    message: str,
    digest: str,
    notes: list[str],
    git: GitInfo | None = None,
) -> Submission:
    return Submission(
        id=digest[:12],
        sha256=digest,
        kind=kind,
        source=source,
        label=label,
        status=IngestStatus.rejected,
        message=message,
        root=None,
        git=git,
        notes=notes,
    )


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _label_for_path(path: Path, suffixes: tuple[str, ...] = ()) -> str:
    absolute = Path(os.path.abspath(path))
    name = absolute.parent.name if absolute.name == ".git" else absolute.name
    for suffix in suffixes:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name or "submission"


# --- Directories --------------------------------------------------------------------------


def _ingest_directory(
    source: str, path: Path, workspace_root: Path, limits: IngestLimits
) -> Submission:
    label = _label_for_path(path)
    notes: list[str] = []
    with _scratch(workspace_root) as scratch:
        staged = scratch / "tree"
        try:
            _copy_directory(path, staged, workspace_root, limits, notes)
            return _finish(
                staged,
                workspace_root,
                limits,
                kind=SubmissionKind.directory,
                source=source,
                label=label,
                notes=notes,
            )
        except _Rejected as rejection:
            return _rejected(
                kind=SubmissionKind.directory,
                source=source,
                label=label,
                message=str(rejection),
                digest=_text_digest(source),
                notes=notes,
            )


def _copy_directory(
    source: Path, destination: Path, workspace_root: Path, limits: IngestLimits, notes: list[str]
) -> None:
    """Copy regular files, directories and inside-pointing relative symlinks, nothing else."""
    budget = _Budget(limits)
    workspace_stat = workspace_root.stat()
    destination.mkdir(mode=0o755)
    pending = [PurePosixPath()]
    while pending:
        relative_dir = pending.pop()
        try:
            with os.scandir(source / relative_dir) as scanned:
                entries = sorted(scanned, key=lambda entry: entry.name)
        except OSError as error:
            raise SubmissionError(
                f"{source / relative_dir}: cannot be read ({error.strerror})",
                hint="make the submission readable by the harness user",
            ) from error
        for entry in entries:
            relative = relative_dir / entry.name
            where = _where(relative, archive=False)
            target_path = destination / relative
            if entry.name == ".git":
                notes.append(f"skipped the nested git directory {relative.as_posix()!r}")
                continue
            status = entry.stat(follow_symlinks=False)
            if os.path.samestat(status, workspace_stat):
                notes.append(f"skipped {relative.as_posix()!r}: it is the harness workspace")
                continue
            budget.add_entry()
            refused = special_file_kind(status.st_mode)
            if refused:
                _refuse_file_type(where, refused)
            if stat.S_ISLNK(status.st_mode):
                link_target = os.readlink(entry.path)
                _check_link_target(relative, link_target, where)
                os.symlink(link_target, target_path)
            elif stat.S_ISDIR(status.st_mode):
                target_path.mkdir(mode=0o755)
                pending.append(relative)
            else:
                budget.expect(where, status.st_size)
                _copy_regular_file(Path(entry.path), target_path, status.st_mode, where, budget)


def _copy_regular_file(
    source: Path, destination: Path, mode: int, where: str, budget: _Budget
) -> None:
    # O_NOFOLLOW and O_NONBLOCK: if the entry was swapped for a link or a fifo since it was
    # listed, fail instead of following it or blocking; fstat confirms a regular file.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(source, flags)
    except OSError as error:
        raise SubmissionError(
            f"{source}: cannot be read ({error.strerror})",
            hint="make the submission readable by the harness user",
        ) from error
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            _refuse_file_type(where, "file that changed type while being copied")
        _copy_stream(handle, destination, bool(mode & 0o111), where, budget)


# --- Archives -----------------------------------------------------------------------------


class _Extractor(Protocol):
    def __call__(
        self, archive: Path, destination: Path, limits: IngestLimits, notes: list[str]
    ) -> None: ...


def _ingest_archive(
    source: str, path: Path, workspace_root: Path, limits: IngestLimits, extract: _Extractor
) -> Submission:
    label = _label_for_path(path, (".zip", *_TAR_SUFFIXES))
    notes: list[str] = []
    archive_bytes = path.stat().st_size

    def reject(message: str, digest: str) -> Submission:
        return _rejected(
            kind=SubmissionKind.archive,
            source=source,
            label=label,
            message=message,
            digest=digest,
            notes=notes,
        )

    if archive_bytes > limits.max_total_bytes:
        return reject(
            f"the archive is {archive_bytes} bytes, more than {limits.max_total_bytes} "
            "(max_total_bytes)",
            _text_digest(source),
        )
    with _scratch(workspace_root) as scratch:
        tree = scratch / "tree"
        tree.mkdir(mode=0o755)
        try:
            extract(path, tree, limits, notes)
        except _Rejected as rejection:
            message = str(rejection)
        except (
            zipfile.BadZipFile,
            tarfile.TarError,
            zlib.error,
            lzma.LZMAError,
            EOFError,
            OSError,  # bad gzip or bz2 data; write errors were turned into rejections already
            UnicodeDecodeError,  # a zip member name flagged UTF-8 that is not
            NotImplementedError,  # e.g. a zip compression method Python lacks
        ) as error:
            message = f"the archive is corrupt or unreadable: {error}"
        else:
            staged, prefix = _strip_single_directory(tree, notes)
            try:
                return _finish(
                    staged,
                    workspace_root,
                    limits,
                    kind=SubmissionKind.archive,
                    source=source,
                    label=label,
                    notes=notes,
                    member_prefix=prefix,
                )
            except _Rejected as rejection:
                message = str(rejection)
    return reject(message, sha256_file(path))


def _strip_single_directory(tree: Path, notes: list[str]) -> tuple[Path, str]:
    """The root to keep, and the member prefix stripped from it.

    A lone top-level directory (GitHub's ``repo-main/``) becomes the root.
    """
    children = list(tree.iterdir())
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        prefix = children[0].name + "/"
        notes.append(f"used the single top-level directory {prefix!r} as root")
        return children[0], prefix
    return tree, ""


def _member_path(name: str, where: str) -> PurePosixPath | None:
    """Validate an archive member name; None for the archive root itself (``./``)."""
    if "\x00" in name:
        raise _Rejected(f"{where}: NUL byte in path")
    if "\\" in name:
        raise _Rejected(f"{where}: backslash in path (Windows-style paths are not accepted)")
    if name.startswith("/"):
        raise _Rejected(f"{where}: absolute path")
    if _DRIVE_LETTER.match(name):
        raise _Rejected(f"{where}: drive-letter path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _Rejected(f"{where}: '..' component escapes the extraction root")
    return PurePosixPath(*parts) if parts else None


@dataclass
class _TreeWriter:
    """Writes validated archive members under ``root``.

    It knows every entry it created, so it can refuse to write through a symlink (a member
    ``d/x`` after a member ``d -> elsewhere``) without asking the filesystem.
    """

    root: Path
    budget: _Budget
    notes: list[str]
    kinds: dict[PurePosixPath, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, relative: PurePosixPath) -> bool:
        """True for members the harness leaves out: ``.git`` and macOS resource forks."""
        if ".git" in relative.parts:
            reason = ".git"
        elif relative.parts[0] == _SKIPPED_TOP_LEVEL:
            reason = _SKIPPED_TOP_LEVEL
        else:
            return False
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        return True

    def note_skipped(self) -> None:
        for reason, count in sorted(self.skipped.items()):
            self.notes.append(f"skipped {count} archive member(s) under {reason}/")

    def directory(self, relative: PurePosixPath, where: str) -> None:
        self._make_parents(relative, where)
        existing = self.kinds.get(relative)
        if existing == "dir":
            return
        if existing is not None:
            raise _Rejected(f"{where}: duplicate member")
        self._mkdir(relative, where)

    def regular(
        self, relative: PurePosixPath, reader: _Readable, executable: bool, where: str
    ) -> None:
        self._claim(relative, "file", where)
        _copy_stream(reader, self.root / relative, executable, where, self.budget)

    def symlink(self, relative: PurePosixPath, target: str, where: str) -> None:
        _check_link_target(relative, target, where)
        self._claim(relative, "link", where)
        try:
            os.symlink(target, self.root / relative)
        except OSError as error:
            _raise_write_error(where, error)

    def hardlink(self, relative: PurePosixPath, target: PurePosixPath | None, where: str) -> None:
        """Materialise a tar hardlink as a copy of an earlier regular file."""
        if target is None or self.kinds.get(target) != "file":
            raise _Rejected(f"{where}: hardlink target is not a file extracted earlier")
        with (self.root / target).open("rb") as reader:
            self.regular(relative, reader, os.access(self.root / target, os.X_OK), where)

    def _claim(self, relative: PurePosixPath, kind: str, where: str) -> None:
        self._make_parents(relative, where)
        if relative in self.kinds:
            raise _Rejected(f"{where}: duplicate member")
        self.kinds[relative] = kind

    def _make_parents(self, relative: PurePosixPath, where: str) -> None:
        for parent in reversed(relative.parents[:-1]):
            existing = self.kinds.get(parent)
            if existing == "dir":
                continue
            if existing is not None:
                raise _Rejected(f"{where}: path goes through the {existing} {str(parent)!r}")
            self._mkdir(parent, where)

    def _mkdir(self, relative: PurePosixPath, where: str) -> None:
        try:
            (self.root / relative).mkdir(mode=0o755)
        except OSError as error:
            _raise_write_error(where, error)
        self.kinds[relative] = "dir"


def _extract_zip(archive: Path, destination: Path, limits: IngestLimits, notes: list[str]) -> None:
    budget = _Budget(
        limits,
        compressed_bytes=archive.stat().st_size,
        entries_name="the archive has more than {} members",
    )
    writer = _TreeWriter(destination, budget, notes)
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        if len(members) > limits.max_files:
            raise _Rejected(
                f"the archive has {len(members)} members, more than {limits.max_files} (max_files)"
            )
        # The central directory lists every member up front: check all names and types
        # before writing anything.
        planned: list[tuple[zipfile.ZipInfo, PurePosixPath, int, str]] = []
        for member in members:
            where = _where(member.filename, archive=True)
            relative = _member_path(member.filename, where)
            if relative is None or writer.skip(relative):
                continue
            # Unix zips keep the file mode (and type) in the high bits of external_attr.
            mode = member.external_attr >> 16 if member.create_system == 3 else 0
            refused = special_file_kind(mode) if stat.S_IFMT(mode) else None
            if refused:
                _refuse_file_type(where, refused)
            if member.flag_bits & 0x1:
                raise _Rejected(f"{where}: encrypted members are not accepted")
            planned.append((member, relative, mode, where))
        for member, relative, mode, where in planned:
            budget.add_entry()
            if member.is_dir() or stat.S_ISDIR(mode):
                writer.directory(relative, where)
            elif stat.S_ISLNK(mode):
                with bundle.open(member) as reader:
                    raw_target = reader.read(_MAX_LINK_TARGET_BYTES + 1)
                budget.add_bytes(where, len(raw_target), len(raw_target))
                if len(raw_target) > _MAX_LINK_TARGET_BYTES:
                    raise _Rejected(f"{where}: symlink target is too long")
                writer.symlink(relative, raw_target.decode("utf-8", "surrogateescape"), where)
            else:
                with bundle.open(member) as reader:
                    writer.regular(relative, reader, bool(mode & 0o111), where)
    writer.note_skipped()


class _CountingReader:
    """The decompressed stream of a tar archive, counted as tarfile reads it.

    Counting here covers everything the decompressor produces, headers included, so a
    gzip bomb hidden in a huge pax header or in a skipped member is caught too.
    """

    def __init__(self, inner: _Closable, limits: IngestLimits, compressed_bytes: int | None):
        self.inner = inner
        self.limits = limits
        self.compressed_bytes = compressed_bytes
        # Room for headers and padding on top of the file content.
        self.budget = limits.max_total_bytes + 4096 * (limits.max_files + 16)
        self.count = 0
        self.where = "the tar headers"

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            size = self.budget - self.count + 1
        data = self.inner.read(size)
        self.count += len(data)
        if self.count > self.budget:
            raise _Rejected(
                f"{self.where}: the archive expands past {self.budget} bytes (max_total_bytes)"
            )
        if self.compressed_bytes is not None:
            _check_ratio(self.where, self.count, self.compressed_bytes, self.limits)
        return data

    def write(self, data: bytes, /) -> int:
        raise OSError("read-only stream")

    def tell(self) -> int:
        return self.count

    def seek(self, position: int, /) -> int:
        raise OSError("stream is not seekable")

    def close(self) -> None:
        self.inner.close()


def _open_decompressed(archive: Path, raw: BinaryIO) -> tuple[_Closable, bool]:
    """The decompressed byte stream of a tar archive, and whether it was compressed."""
    name = archive.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return gzip.GzipFile(fileobj=raw, mode="rb"), True
    if name.endswith((".tar.bz2", ".tbz2")):
        return bz2.BZ2File(raw, mode="rb"), True
    if name.endswith((".tar.xz", ".txz")):
        return lzma.LZMAFile(raw, mode="rb"), True
    return raw, False


def _extract_tar(archive: Path, destination: Path, limits: IngestLimits, notes: list[str]) -> None:
    # Decompress ourselves and read the tar as a stream ("r|"), so that every byte the
    # decompressor produces goes through the counting reader.
    budget = _Budget(limits, entries_name="the archive has more than {} members")
    writer = _TreeWriter(destination, budget, notes)
    with archive.open("rb") as raw:
        decompressed, compressed = _open_decompressed(archive, raw)
        stream = _CountingReader(
            decompressed, limits, archive.stat().st_size if compressed else None
        )
        with tarfile.open(fileobj=stream, mode="r|") as bundle:
            for member in bundle:
                where = _where(member.name, archive=True)
                stream.where = where
                budget.add_entry()
                relative = _member_path(member.name, where)
                if relative is None or writer.skip(relative):
                    continue
                if member.isdir():
                    writer.directory(relative, where)
                elif member.issym():
                    writer.symlink(relative, member.linkname, where)
                elif member.islnk():
                    target = _member_path(member.linkname, f"{where}: hardlink target")
                    writer.hardlink(relative, target, where)
                elif member.isreg():
                    reader = bundle.extractfile(member)
                    if reader is None:  # pragma: no cover - isreg() members always have data
                        raise _Rejected(f"{where}: has no data")
                    with reader:
                        writer.regular(relative, reader, bool(member.mode & 0o111), where)
                elif member.ischr():
                    _refuse_file_type(where, "character device")
                elif member.isblk():
                    _refuse_file_type(where, "block device")
                elif member.isfifo():
                    _refuse_file_type(where, "fifo")
                else:
                    _refuse_file_type(where, f"member of unknown type {member.type!r}")
    writer.note_skipped()


# --- Notebooks ----------------------------------------------------------------------------


def _ingest_notebook(
    source: str, path: Path, workspace_root: Path, limits: IngestLimits
) -> Submission:
    label = _label_for_path(path, (".ipynb",))
    size = path.stat().st_size
    if size > limits.max_notebook_bytes:
        return _rejected(
            kind=SubmissionKind.notebook,
            source=source,
            label=label,
            message=(
                f"the notebook is {size} bytes, more than {limits.max_notebook_bytes} "
                "(max_notebook_bytes)"
            ),
            digest=_text_digest(source),
            notes=[],
        )
    with _scratch(workspace_root) as scratch:
        staged = scratch / "tree"
        staged.mkdir(mode=0o755)
        notebook = staged / NOTEBOOK_FILE
        cap = limits.max_notebook_bytes
        budget = _Budget(limits.model_copy(update={"max_file_bytes": cap, "max_total_bytes": cap}))
        try:
            _copy_regular_file(
                path.resolve(), notebook, 0o644, _where(path.name, archive=False), budget
            )
        except _Rejected as rejection:  # it grew or changed type while being copied
            return _rejected(
                kind=SubmissionKind.notebook,
                source=source,
                label=label,
                message=str(rejection),
                digest=_text_digest(source),
                notes=[],
            )
        digest = sha256_file(notebook)
        # Parsed only after the size cap; nothing in it runs here (harness/notebook.py).
        checked = check_notebook(notebook.read_bytes(), path.name)
        if checked.status != "ok":
            return Submission(
                id=digest[:12],
                sha256=digest,
                kind=SubmissionKind.notebook,
                source=source,
                label=label,
                status=IngestStatus(checked.status),
                message=checked.message,
                size_bytes=budget.total_bytes,
            )
        root = _publish(staged, workspace_root, digest[:12])
    return Submission(
        id=digest[:12],
        sha256=digest,
        kind=SubmissionKind.notebook,
        source=source,
        label=label,
        root=root,
        file_count=1,
        size_bytes=budget.total_bytes,
        notes=checked.notes,
    )


# --- Git ----------------------------------------------------------------------------------


@dataclass
class _Git:
    """Runs git without a shell, prompts, hooks or submodules, within one deadline."""

    source: str
    deadline: float
    timeout_s: float

    def run(
        self, *arguments: str, extra_environment: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self._timed_out()
        environment = {
            name: value
            for name, value in os.environ.items()
            if name not in _REPOSITORY_GIT_VARIABLES
        }
        environment.update(
            GIT_TERMINAL_PROMPT="0",
            GIT_LFS_SKIP_SMUDGE="1",
            **(extra_environment or {}),
        )
        command = [
            "git",
            "-c", "core.hooksPath=/dev/null",
            "-c", "core.fsmonitor=false",
            "-c", "protocol.ext.allow=never",
            "-c", "submodule.recurse=false",
            "-c", "log.showSignature=false",
            *arguments,
        ]  # fmt: skip
        try:
            # A new session has no controlling terminal, so ssh cannot prompt either, and
            # the whole process group (git-remote-https, ssh) can be killed on timeout.
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                start_new_session=True,
            )
        except FileNotFoundError as error:
            raise SubmissionError(
                "git is not installed", hint="install git to ingest repositories"
            ) from error
        try:
            stdout, stderr = process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            self._timed_out()
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def _timed_out(self) -> Never:
        raise SubmissionError(
            f"{self.source}: git did not finish within {self.timeout_s:g} s",
            hint="check the URL and the network, or raise IngestLimits.git_timeout_s",
        )


def _git_error(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-3:]) or f"git exited with status {result.returncode}"


def _ingest_git(
    source: str,
    local: Path | None,
    workspace_root: Path,
    ref: str | None,
    limits: IngestLimits,
) -> Submission:
    if ref is not None and (not ref or ref.startswith("-")):
        raise SubmissionError(f"invalid ref {ref!r}", hint="pass a branch, tag or commit")
    label = (
        _label_for_path(local, (".git",))
        if local is not None
        else re.sub(r"\.git$", "", re.split(r"[/:]", source.rstrip("/"))[-1]) or "submission"
    )
    git = _Git(source, time.monotonic() + limits.git_timeout_s, limits.git_timeout_s)
    notes: list[str] = []
    info: GitInfo | None = None
    with _scratch(workspace_root) as scratch:
        checkout = scratch / "tree"
        clone_from = str(local.absolute()) if local is not None else source
        # --no-local: even a local repository is read through git's transport, never by
        # copying its object directory (which may hold symlinks pointing elsewhere).
        local_options = ["--no-local"] if local is not None else []
        cloned = git.run(
            "clone", "--quiet", "--no-checkout", "--no-recurse-submodules",
            *local_options, "--", clone_from, str(checkout),
        )  # fmt: skip
        if cloned.returncode != 0:
            raise SubmissionError(
                f"{source}: git clone failed: {_git_error(cloned)}",
                hint="check the URL or path and your access to it; git runs non-interactively, "
                "so credentials must come from an SSH agent or a credential helper",
            )
        try:
            head = _resolve_commit(git, checkout, "HEAD")
            if ref is not None:
                commit = _find_ref(git, checkout, ref)
            elif head is not None:
                commit = head
            else:
                raise _Rejected("the repository has no commits")
            checked_out = git.run("-C", str(checkout), "checkout", "--quiet", "--detach", commit)
            if checked_out.returncode != 0:
                raise SubmissionError(
                    f"{source}: git checkout of {commit} failed: {_git_error(checked_out)}",
                    hint="check that the commit can be checked out on this file system",
                )
            dirty = False
            if local is not None and (local / ".git").exists() and head is not None:
                dirty = _has_uncommitted_changes(
                    git, local, checkout, head, scratch, workspace_root, notes
                )
                if dirty:
                    notes.append(
                        "the local working tree has uncommitted changes; they were ignored "
                        f"(graded commit {commit[:12]})"
                    )
            info = GitInfo(
                commit=commit, ref=ref, dirty=dirty, commits=_history(git, checkout, commit)
            )
            if (checkout / ".gitmodules").is_file():
                notes.append(
                    "the repository declares submodules (.gitmodules); they were not fetched"
                )
            remove_tree(checkout / ".git")
            return _finish(
                checkout,
                workspace_root,
                limits,
                kind=SubmissionKind.git,
                source=source,
                label=label,
                notes=notes,
                git=info,
            )
        except _Rejected as rejection:
            return _rejected(
                kind=SubmissionKind.git,
                source=source,
                label=label,
                message=str(rejection),
                digest=_text_digest(source),
                notes=notes,
                git=info,
            )


def _resolve_commit(git: _Git, checkout: Path, name: str) -> str | None:
    result = git.run("-C", str(checkout), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
    if result.returncode != 0:
        return None
    return result.stdout.decode().strip() or None


def _find_ref(git: _Git, checkout: Path, ref: str) -> str:
    """Resolve a branch, tag or commit; fetch it by name if the clone does not have it."""
    for candidate in (f"refs/remotes/origin/{ref}", ref):
        commit = _resolve_commit(git, checkout, candidate)
        if commit is not None:
            return commit
    fetched = git.run(
        "-C", str(checkout), "fetch", "--quiet", "--no-tags", "--no-recurse-submodules",
        "origin", ref,
    )  # fmt: skip
    commit = _resolve_commit(git, checkout, "FETCH_HEAD") if fetched.returncode == 0 else None
    if commit is None:
        raise SubmissionError(
            f"{git.source}: ref {ref!r} not found",
            hint=f"pass a branch, tag or commit that exists (see: git ls-remote {git.source})",
        )
    return commit


def _history(git: _Git, checkout: Path, commit: str) -> list[GitCommit]:
    result = git.run(
        "-C", str(checkout), "log", "-z", f"--max-count={_MAX_COMMITS}",
        "--format=%H%x1f%aI%x1f%s", commit, "--",
    )  # fmt: skip
    if result.returncode != 0:
        return []
    commits = []
    for record in result.stdout.decode("utf-8", "replace").split("\x00"):
        fields = record.strip("\n").split("\x1f", 2)
        if len(fields) == 3:
            commits.append(GitCommit(sha=fields[0], author_time=fields[1], subject=fields[2]))
    return commits


def _has_uncommitted_changes(
    git: _Git,
    work_tree: Path,
    checkout: Path,
    head: str,
    scratch: Path,
    workspace_root: Path,
    notes: list[str],
) -> bool:
    """Compare the candidate's working tree with its HEAD, using our clone's git directory.

    git never runs inside the candidate's repository: its config could name programs
    (core.fsmonitor, filter drivers) that ``git status`` would execute there.
    """
    git_dir = checkout / ".git"
    exclude = work_tree / ".git" / "info" / "exclude"
    patterns = ""
    if exclude.is_file() and not exclude.is_symlink() and exclude.stat().st_size < MIB:
        patterns = exclude.read_text("utf-8", "replace")
    real_work_tree = os.path.realpath(work_tree)
    real_workspace = os.path.realpath(workspace_root)
    if _is_within(real_workspace, real_work_tree) and real_workspace != real_work_tree:
        # The harness's own workspace is not the candidate's change.
        patterns += "\n/" + Path(os.path.relpath(real_workspace, real_work_tree)).as_posix() + "/\n"
    if patterns:
        (git_dir / "info").mkdir(exist_ok=True)
        (git_dir / "info" / "exclude").write_text(patterns)
    index = {"GIT_INDEX_FILE": str(scratch / "dirty-check.index")}
    base = ["--git-dir", str(git_dir), "--work-tree", str(work_tree.absolute())]
    read = git.run(*base, "read-tree", head, extra_environment=index)
    status = git.run(
        *base, "status", "--porcelain", "--ignore-submodules=all", "--untracked-files=normal",
        extra_environment=index,
    )  # fmt: skip
    if read.returncode != 0 or status.returncode != 0:
        notes.append("could not check the local working tree for uncommitted changes")
        return False
    return bool(status.stdout.strip())
