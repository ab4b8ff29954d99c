"""Filesystem helpers: atomic writes and content hashing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part.
    ``durable=False`` skips the fsync: for caches, which may be lost on a crash but must
    never be read half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), durable)


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``final``; rename it into place when the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield staging
        if final.exists():
            # Another process finished first with the same content; keep theirs.
            remove_tree(staging)
        else:
            os.replace(staging, final)
    except BaseException:
        remove_tree(staging)
        raise


def remove_tree(path: Path) -> None:
    """Remove a directory tree, making read-only entries writable first."""
    import shutil
    import stat

    def on_error(function: object, failed: str, _excinfo: object) -> None:
        os.chmod(failed, stat.S_IRWXU)
        parent = os.path.dirname(failed)
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(failed) and not os.path.islink(failed):
            shutil.rmtree(failed, ignore_errors=True)
        else:
            os.unlink(failed)

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=on_error)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(root: Path, exclude: frozenset[str] = frozenset({".git"})) -> str:
    """Content hash of a directory tree: relative paths, executable bits, link targets and
    file contents, in sorted order. Timestamps and ownership do not count, so the same
    content gives the same digest whether it came as a directory, a git clone or an archive."""
    digest = hashlib.sha256()
    for current, directories, files in os.walk(root):
        directories[:] = sorted(name for name in directories if name not in exclude)
        relative_dir = Path(current).relative_to(root)
        for name in sorted(files):
            path = Path(current) / name
            relative = (relative_dir / name).as_posix()
            if path.is_symlink():
                digest.update(f"L {relative}\0{os.readlink(path)}\0".encode())
                continue
            executable = "x" if os.access(path, os.X_OK) else "-"
            digest.update(f"F {relative}\0{executable}\0{sha256_file(path)}\0".encode())
        for name in directories:
            if (Path(current) / name).is_symlink():
                relative = (relative_dir / name).as_posix()
                digest.update(f"L {relative}\0{os.readlink(Path(current) / name)}\0".encode())
    return digest.hexdigest()


def special_file_kind(mode: int) -> str | None:
    """Name a file type the harness never reads or keeps from a candidate (devices, fifos,
    sockets), or None for regular files, directories and links."""
    import stat

    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    return "special file"
