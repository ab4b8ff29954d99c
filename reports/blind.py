"""Blind review: reports that show a submission id instead of who made it.

Blind is the default. A blind report shows ``Candidate <id>`` for the submission and
leaves out its source path or URL, label and commit; everything else that is shown goes
through a :class:`Redactor` first: every e-mail address, and every known identity string
(the parts of the source path or URL, the label, and the names and e-mail addresses of
the git authors) wherever it appears: writeup quotes, logs, evidence, notes, tracebacks,
the rendered notebook.

Git authors are not part of ``result.json``. When the output is written, the authors of
a local git submission are read once and kept in ``<id>/identity.json`` beside it, so a
later re-render (``harness report``) can still redact them after the repository is gone.

Redaction is by known strings, so it cannot catch a name nobody told it about (a name
written only in a writeup, say). It is a safeguard against the obvious leaks, not an
anonymiser.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel

from harness.fsutil import atomic_write_text
from harness.result import SubmissionResult

IDENTITY_FILE = "identity.json"
REDACTED = "[redacted]"
HIDDEN_SOURCE = "hidden in blind review"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_SEPARATORS = re.compile(r"[-_.\s]+")
# Path and URL components that say nothing about a person: left visible, so that blind
# reports do not lose ordinary words to redaction.
GENERIC_COMPONENTS = frozenset(
    {
        "tmp",
        "temp",
        "var",
        "srv",
        "opt",
        "mnt",
        "media",
        "home",
        "root",
        "users",
        "user",
        "usr",
        "local",
        "share",
        "data",
        "data1",
        "work",
        "workspace",
        "workspaces",
        "src",
        "source",
        "sources",
        "code",
        "repo",
        "repos",
        "repository",
        "repositories",
        "git",
        "submission",
        "submissions",
        "submitted",
        "candidate",
        "candidates",
        "applicant",
        "applicants",
        "take-home",
        "takehome",
        "homework",
        "assessment",
        "assessments",
        "challenge",
        "challenges",
        "solution",
        "solutions",
        "example",
        "examples",
        "project",
        "projects",
        "main",
        "master",
        "trunk",
        "head",
        "tree",
        "blob",
        "www",
        "com",
        "org",
        "net",
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "github",
        "gitlab",
        "bitbucket",
        "http",
        "https",
        "ssh",
        "file",
        "download",
        "downloads",
        "desktop",
        "documents",
        "inbox",
        "archive",
        "archives",
        "zip",
        "tar",
        "gz",
        "tgz",
        "ipynb",
        "notebook",
        "notebooks",
        "final",
        "latest",
        "v1",
        "v2",
        "v3",
        "test",
        "tests",
    }
)
MIN_TERM_LENGTH = 3
_SCALARS = (int, float, type(None))
_MEMO_LENGTH = 64
_GIT_TIMEOUT_S = 10


def _components(source: str) -> list[str]:
    """The path or URL components of ``source`` that may name someone."""
    text = source.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.hostname or ""
        pieces = [parts.username or "", *parts.path.split("/")]
        if host and host not in GENERIC_COMPONENTS:
            pieces.append(host.split(".")[0])
    elif re.match(r"^[\w.-]+@[\w.-]+:", text):  # git@host:owner/repo.git
        pieces = re.split(r"[@:/]", text)
    else:
        pieces = re.split(r"[\\/]", text)
    found = []
    for piece in pieces:
        for suffix in (".git", ".zip", ".tar.gz", ".tgz", ".tar", ".ipynb"):
            if piece.lower().endswith(suffix):
                piece = piece[: -len(suffix)]
        piece = piece.strip()
        if (
            len(piece) >= MIN_TERM_LENGTH
            and piece.lower() not in GENERIC_COMPONENTS
            and not piece.isdigit()
            and not re.fullmatch(r"pytest-(of-\w+|\d+)|tmp\w*", piece)
        ):
            found.append(piece)
    return found


def _variants(term: str) -> set[str]:
    """``alice-smith`` also as ``alice smith``, ``alice_smith``, ``alice.smith`` and
    ``alicesmith``: the same person written another way."""
    words = [word for word in _SEPARATORS.split(term) if word]
    variants = {term}
    if len(words) > 1:
        for joiner in (" ", "-", "_", ".", ""):
            variants.add(joiner.join(words))
    return {variant for variant in variants if len(variant) >= MIN_TERM_LENGTH}


@dataclass(frozen=True)
class Identity:
    """What could identify the person behind a submission."""

    terms: tuple[str, ...] = ()
    """Strings redacted wherever they appear (case-insensitive)."""

    @classmethod
    def of(cls, result: SubmissionResult, authors: Iterable[str] = ()) -> Identity:
        """The identity strings of ``result``: its source (as given), the components of its
        path or URL, its label, and ``authors`` (git names and e-mail addresses; a name
        also counts word by word)."""
        submission = result.submission
        terms: set[str] = set()
        if len(submission.source.strip()) >= MIN_TERM_LENGTH:
            terms.add(submission.source.strip())
        for component in [*_components(submission.source), *_components(submission.label)]:
            terms |= _variants(component)
        for author in authors:
            author = author.strip()
            if not author:
                continue
            terms |= _variants(author)
            if "@" in author:
                local = author.split("@", 1)[0]
                terms |= _variants(local) if len(local) >= MIN_TERM_LENGTH + 1 else set()
            else:
                terms |= {
                    word for word in _SEPARATORS.split(author) if len(word) >= MIN_TERM_LENGTH
                }
        # Words of the challenge itself (a directory named after it, say) identify nobody.
        challenge = result.challenge
        public = {challenge.id.lower(), challenge.metric.lower()}
        public |= {word.lower() for word in re.split(r"[\W_]+", challenge.title) if word}
        terms = {term for term in terms if term.lower() not in public | GENERIC_COMPONENTS}
        return cls(tuple(sorted(terms, key=lambda term: (-len(term), term))))


class Redactor:
    """Replaces e-mail addresses and known identity strings with ``[redacted]``."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self._short: dict[str, str] = {}
        if identity.terms:
            alternatives = "|".join(re.escape(term) for term in identity.terms)
            # Whole words only where the term starts or ends with a word character, so
            # "ann" does not eat "annual"; longest terms first (sorted in Identity.of).
            self._terms: re.Pattern[str] | None = re.compile(
                rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE
            )
        else:
            self._terms = None

    def text(self, value: str) -> str:
        known = self._short.get(value)
        if known is not None:
            return known
        redacted = _EMAIL.sub(REDACTED, value)
        if self._terms is not None:
            redacted = self._terms.sub(REDACTED, redacted)
        if len(value) <= _MEMO_LENGTH:  # keys and labels repeat across a result
            self._short[value] = redacted
        return redacted

    def html(self, fragment: str) -> str:
        """Redact the text of an HTML fragment; markup is left as it is."""
        return re.sub(r"(?<=>)[^<]+|^[^<]+", lambda match: self.text(match.group(0)), fragment)

    def value(self, value: Any) -> Any:
        """Redact every string in a JSON-like value, keys too, except the field names of
        the result schema (a candidate whose directory is called ``baseline`` must not
        rename ``challenge.baseline``)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            # Long lists are mostly numbers (latency samples, fingerprints): pass them by.
            return [item if isinstance(item, _SCALARS) else self.value(item) for item in value]
        if isinstance(value, dict):
            return {
                self.text(key) if isinstance(key, str) and key not in SCHEMA_KEYS else key: (
                    item if isinstance(item, _SCALARS) else self.value(item)
                )
                for key, item in value.items()
            }
        return value


def _schema_keys() -> frozenset[str]:
    """Every property name anywhere in the result schema."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                keys.update(properties)
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(SubmissionResult.model_json_schema())
    return frozenset(keys)


SCHEMA_KEYS = _schema_keys()

Model = TypeVar("Model", bound=BaseModel)


def redact_model(model: Model, redactor: Redactor) -> Model:
    """A copy of ``model`` with every string redacted."""
    return type(model).model_validate(redactor.value(model.model_dump(mode="json")))


def blind_result(result: SubmissionResult, redactor: Redactor) -> SubmissionResult:
    """``result`` as a blind report shows it: source, label and commit replaced, every
    other string redacted."""
    redacted = redact_model(result, redactor)
    redacted.submission.source = HIDDEN_SOURCE
    redacted.submission.label = display_name(result, reveal=False)
    redacted.submission.commit = None
    return redacted


def display_name(result: SubmissionResult, reveal: bool) -> str:
    """How a submission is named on a page: its label, or in blind review its id."""
    if reveal:
        return result.submission.label
    return f"Candidate {result.submission.id}"


# -- identities kept beside the result ---------------------------------------------------------


def git_authors(source: str) -> list[str]:
    """Names and e-mail addresses of the authors and committers of a local git repository,
    or [] when ``source`` is not one (URLs are not fetched again).

    git runs with the repository's configuration able to run nothing: no pager, no
    signature checks (which would start ``gpg.program``), no fsmonitor, no prompts, and
    the system and global configuration left out.
    """
    path = Path(source)
    if "://" in source or not (path / ".git").exists():
        return []
    command = [
        "git", "--no-pager", "-c", "log.showSignature=false", "-c", "core.fsmonitor=false",
        "-c", "core.pager=cat", "-c", "safe.directory=*", "-C", str(path),
        "log", "-z", "--max-count=500", "--format=%an%x1f%ae%x1f%cn%x1f%ce", "--",
    ]  # fmt: skip
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "HOME": os.devnull,
    }
    try:
        completed = subprocess.run(
            command, capture_output=True, timeout=_GIT_TIMEOUT_S, env=environment, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if completed.returncode != 0:
        return []
    found: set[str] = set()
    for record in completed.stdout.decode("utf-8", "replace").split("\x00"):
        found |= {field.strip() for field in record.split("\x1f") if field.strip()}
    return sorted(found)


def write_identity(result: SubmissionResult, directory: Path) -> None:
    """Keep the git authors of ``result``'s source in ``directory/identity.json``, for
    redaction when the reports are rendered again later."""
    authors = git_authors(result.submission.source) if result.submission.kind == "git" else []
    atomic_write_text(
        directory / IDENTITY_FILE,
        json.dumps({"submission": result.submission.id, "git_authors": authors}, indent=2) + "\n",
    )


def read_identity(result: SubmissionResult, directory: Path | None) -> Identity:
    """The identity of ``result``, with the git authors kept in ``directory`` if any."""
    authors: list[str] = []
    if directory is not None:
        try:
            stored = json.loads((directory / IDENTITY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        listed = stored.get("git_authors") if isinstance(stored, dict) else None
        if isinstance(listed, list):
            authors = [item for item in listed if isinstance(item, str)]
    return Identity.of(result, authors)
