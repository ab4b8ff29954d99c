"""Blind review: reports that show a submission id instead of who made it.

Blind is the default. A blind report shows ``Candidate <id>`` for the submission and
leaves out its source path or URL, label and commit; everything else that is shown goes
through a :class:`Redactor` first: every e-mail address, and every known identity string
(the parts of the source path or URL, the label, and the names and e-mail addresses of
the git authors) wherever it appears: writeup quotes, logs, evidence, notes, tracebacks,
the rendered notebook.

Names the submission declares about itself count too (``declared_names``): ``Author:``,
``Name:``, ``Candidate:`` or ``Written by`` lines near the top of its markdown and text
files and notebooks' markdown cells, notebook ``authors`` metadata, and the authors of
``pyproject.toml``, ``setup.cfg`` or ``setup.py``. Only values that look like a person's
name (two to four capitalised words, Unicode letters, initials and particles such as
``van``) or an e-mail address are taken, at most ``MAX_DECLARED_NAMES``, and they are
redacted as whole names (``Jane Doe``, ``jane.doe``...), never word by word: a line such
as ``Name: Gradient Boosting`` can only hide that phrase, and a hostile submission cannot
blank out single words of its own report (a red flag, say). Every value is cut to 200
characters before a pattern sees it, and files over 2 MB are skipped.

Neither git authors nor declared names are part of ``result.json``. When the output is
written they are kept in ``<id>/identity.json`` beside it, so a later re-render
(``harness report``) can still redact them after the submission is gone.

Redaction is by known strings, so it cannot catch a name nobody told it about (a name
written only in the middle of a sentence, say). It is a safeguard against the obvious
leaks, not an anonymiser.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import subprocess
import tomllib
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
    def of(
        cls, result: SubmissionResult, authors: Iterable[str] = (), declared: Iterable[str] = ()
    ) -> Identity:
        """The identity strings of ``result``: its source (as given), the components of its
        path or URL, its label, ``authors`` (git names and e-mail addresses; a name also
        counts word by word) and ``declared`` names (as whole names only: a submission
        chooses what it declares, so it must not be able to blank out single words of its
        own report)."""
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
        for name in declared:
            name = name.strip()
            if name:
                terms |= _variants(name)
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


# -- names a submission declares --------------------------------------------------------

_AUTHOR_KEY = re.compile(
    # "Name" only capitalised: a lower-case "name:" is a key in a config snippet.
    r"[\s>#*_|-]{0,8}(?:(?:[Aa]uthors?|AUTHORS?|Name|NAME|[Cc]andidate|CANDIDATE)"
    r"[*_]{0,4}\s{0,4}[:=\u2013\u2014-]|(?:[Ww]ritten|[Ss]ubmitted|[Pp]repared) by"
    r"[*_]{0,4}\s{0,4}[:\u2013\u2014-]?\s)"
)
_NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "da", "di", "du", "del", "della", "la", "le", "bin", "al"}
)
_NAME_PUNCTUATION = "'\u2019-."
_MAX_VALUE_CHARS = 200
"""Author values are cut to this length before any pattern is applied to them."""
_MAX_NAME_CHARS = 60
MAX_DECLARED_NAMES = 10
"""At most this many declared names per submission are redacted (the first found)."""
_HEADER_LINES = 40
"""Author lines are looked for this near the top of a file or markdown cell."""
_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".rst")
_MAX_DECLARING_FILE = 2_000_000
_MAX_DECLARING_FILES = 200


def _name_word(word: str, first: bool) -> bool:
    """A capitalised word of a person's name (Unicode letters), an initial (``J.``), or a
    lower-case particle (``van``) inside a name."""
    if not first and word in _NAME_PARTICLES:
        return True
    if not word[0].isupper() or not all(c.isalpha() or c in _NAME_PUNCTUATION for c in word):
        return False
    letters = [c for c in word if c.isalpha()]
    initial = len(letters) == 1 and word.endswith(".")
    return initial or any(c.islower() for c in letters)


def plausible_names(value: str) -> list[str]:
    """The person's name and e-mail address in an author value such as ``Jane Doe
    <jane@example.com>``, ``**Jane Doe**``, ``Åsa Öberg (she/her)`` or ``Ludwig van
    Beethoven``; nothing for a value that does not look like a full name (``churn model``,
    ``see below``, ``ROC AUC``, a lone ``Jane``). Linear in the value's length."""
    value = value[:_MAX_VALUE_CHARS]
    found = [email for email in _EMAIL.findall(value) if len(email) <= _MAX_NAME_CHARS]
    text = _EMAIL.sub(" ", value)
    text = re.sub(r"\([^()]{0,40}\)|<[^<>]{0,80}>", " ", text)  # "(she/her)", "<...>"
    for part in re.split(r",|;|&|\band\b", text):
        part = part.strip(" \t*_`'\"()[]<>:.")
        words = part.split()
        if (
            2 <= len(words) <= 4
            and len(part) <= _MAX_NAME_CHARS
            and all(_name_word(word, index == 0) for index, word in enumerate(words))
            and words[-1] not in _NAME_PARTICLES
            and len(part) >= MIN_TERM_LENGTH
            and part.lower() not in GENERIC_COMPONENTS
        ):
            found.append(part)
    return found


def _author_lines(text: str) -> list[str]:
    names: list[str] = []
    fenced = False
    for line in text.splitlines()[:_HEADER_LINES]:
        line = line[:_MAX_VALUE_CHARS]
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _AUTHOR_KEY.match(line)
        if match:
            names += plausible_names(line[match.end() :].strip(" \t*_"))
    return names


def _notebook_names(raw: str) -> list[str]:
    notebook = json.loads(raw)
    if not isinstance(notebook, dict):
        return []
    names: list[str] = []
    metadata = notebook.get("metadata")
    authors = metadata.get("authors") if isinstance(metadata, dict) else None
    for author in authors if isinstance(authors, list) else []:
        value = author.get("name") if isinstance(author, dict) else author
        if isinstance(value, str):
            names += plausible_names(value)
    cells = notebook.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = cell.get("source")
            if isinstance(source, list):
                source = "".join(item for item in source if isinstance(item, str))
            if isinstance(source, str):
                names += _author_lines(source)
    return names


def _people(value: Any) -> list[str]:
    """Names in a pyproject ``authors`` / ``maintainers`` value."""
    names: list[str] = []
    for person in value if isinstance(value, list) else []:
        if isinstance(person, dict):
            for key in ("name", "email"):
                if isinstance(person.get(key), str):
                    names += plausible_names(person[key])
        elif isinstance(person, str):
            names += plausible_names(person)
    return names


def _read_small(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_DECLARING_FILE:
        return None
    return path.read_text(encoding="utf-8", errors="replace")


def _package_names(root: Path) -> list[str]:
    names: list[str] = []
    pyproject = _read_small(root / "pyproject.toml")
    if pyproject is not None:
        with contextlib.suppress(Exception):  # invalid or hostile TOML names nobody
            project = tomllib.loads(pyproject)
            tool = project.get("tool")
            for table in (
                project.get("project"),
                tool.get("poetry") if isinstance(tool, dict) else None,
            ):
                if isinstance(table, dict):
                    names += _people(table.get("authors")) + _people(table.get("maintainers"))
    setup_cfg = _read_small(root / "setup.cfg")
    if setup_cfg is not None:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(Exception):
            parser.read_string(setup_cfg)
            for key in ("author", "author_email", "maintainer", "maintainer_email"):
                names += plausible_names(parser.get("metadata", key, fallback=""))
    setup_py = _read_small(root / "setup.py")
    if setup_py is not None:
        pattern = r"\b(?:author|maintainer)(?:_email)?\s{0,8}=\s{0,8}['\"]([^'\"\n]{1,200})['\"]"
        for match in re.finditer(pattern, setup_py):
            names += plausible_names(match.group(1))
    return names


def declared_names(root: Path) -> list[str]:
    """Names and e-mail addresses a submission declares about itself (see the module
    docstring), from files at most three directories deep, at most
    ``MAX_DECLARED_NAMES`` of them. Never raises: a file that cannot be read or parsed
    names nobody."""
    names: list[str] = []
    try:
        if root.is_file():
            candidates = [root]
        else:
            names += _package_names(root)
            candidates = sorted(
                path
                for pattern in ("*", "*/*", "*/*/*")
                for path in root.glob(pattern)
                if path.suffix.lower() in (*_TEXT_SUFFIXES, ".ipynb")
                and not any(part.startswith(".") for part in path.relative_to(root).parts)
            )[:_MAX_DECLARING_FILES]
        for path in candidates:
            try:
                raw = _read_small(path)
                if raw is not None:
                    is_notebook = path.suffix.lower() == ".ipynb"
                    names += _notebook_names(raw) if is_notebook else _author_lines(raw)
            except Exception:  # hostile content (deep nesting...) names nobody
                continue
    except Exception:  # the scan must never cost a grading
        pass
    return list(dict.fromkeys(names))[:MAX_DECLARED_NAMES]


def write_identity(result: SubmissionResult, directory: Path, declared: Iterable[str] = ()) -> None:
    """Keep the git authors of ``result``'s source and the names it ``declared`` in
    ``directory/identity.json``, for redaction when the reports are rendered again later."""
    authors = git_authors(result.submission.source) if result.submission.kind == "git" else []
    record = {
        "submission": result.submission.id,
        "git_authors": authors,
        "declared_names": sorted(set(declared)),
    }
    atomic_write_text(directory / IDENTITY_FILE, json.dumps(record, indent=2) + "\n")


def read_identity(result: SubmissionResult, directory: Path | None) -> Identity:
    """The identity of ``result``, with the git authors and declared names kept in
    ``directory`` if any."""
    found: dict[str, list[str]] = {"git_authors": [], "declared_names": []}
    if directory is not None:
        try:
            stored = json.loads((directory / IDENTITY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        for key in found:
            listed = stored.get(key) if isinstance(stored, dict) else None
            if isinstance(listed, list):
                found[key] = [item for item in listed if isinstance(item, str)]
    return Identity.of(result, found["git_authors"], found["declared_names"][:MAX_DECLARED_NAMES])
