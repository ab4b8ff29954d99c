"""Find, read and validate challenges; errors name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from challenges.spec import ChallengeSpec
from harness.config import challenge_search_path
from harness.errors import ChallengeError

CHALLENGE_FILE = "challenge.yaml"


class Challenge(BaseModel):
    """A loaded challenge: its validated spec and where it lives."""

    model_config = ConfigDict(frozen=True)

    spec: ChallengeSpec = Field(description="The validated challenge.yaml.")
    directory: Path = Field(description="Directory holding challenge.yaml.")

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def spec_file(self) -> Path:
        return self.directory / CHALLENGE_FILE

    def statement_text(self) -> str:
        return (self.directory / self.spec.statement).read_text(encoding="utf-8")

    def path(self, relative: str) -> Path:
        """A path inside the challenge directory (never outside it)."""
        resolved = (self.directory / relative).resolve()
        if not resolved.is_relative_to(self.directory.resolve()):
            raise ChallengeError(
                f"{self.spec_file}: path {relative!r} points outside the challenge directory",
                hint="Use paths relative to the challenge directory, without '..'.",
            )
        return resolved


def format_validation_error(source: Path, error: ValidationError) -> str:
    """Render pydantic errors as ``file: field.path: message`` lines."""
    lines = []
    for item in error.errors():
        location = ""
        for part in item["loc"]:
            location += (
                f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
            )
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {location or '(top level)'}: {message}")
    return "\n".join(lines)


def load_challenge_file(path: Path) -> Challenge:
    """Read and validate one ``challenge.yaml``.

    Raises:
        ChallengeError: unreadable YAML, schema violations (naming file and field), or
            files the spec refers to that do not exist.
    """
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ChallengeError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ChallengeError(
            f"{path}: invalid YAML: {error}",
            hint="Check indentation and quoting near the line shown.",
        ) from error
    if not isinstance(raw, dict):
        raise ChallengeError(
            f"{path}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    try:
        spec = ChallengeSpec.model_validate(raw)
    except ValidationError as error:
        raise ChallengeError(
            format_validation_error(path, error),
            hint="`harness challenge schema` prints the full schema with a description of each field.",
        ) from error
    challenge = Challenge(spec=spec, directory=path.parent.resolve())
    for field, relative in (("statement", spec.statement), ("data.generator", spec.data.generator)):
        if not challenge.path(relative).is_file():
            raise ChallengeError(
                f"{path}: {field}: file {relative!r} does not exist in {path.parent}"
            )
    for index, example in enumerate(spec.examples):
        if not challenge.path(example.path).is_dir():
            raise ChallengeError(
                f"{path}: examples[{index}].path: directory {example.path!r} does not exist"
            )
    if path.parent.name != spec.id:
        raise ChallengeError(
            f"{path}: id: {spec.id!r} does not match its directory name {path.parent.name!r}",
            hint="Rename the directory or the id so they agree.",
        )
    return challenge


def discover(extra_paths: list[Path] | None = None) -> dict[str, Path]:
    """Map challenge id -> challenge.yaml path over the search path (first one wins)."""
    found: dict[str, Path] = {}
    for root in challenge_search_path(extra_paths):
        if not root.is_dir():
            continue
        for candidate in sorted(root.glob(f"*/{CHALLENGE_FILE}")):
            found.setdefault(candidate.parent.name, candidate)
    return found


def load_challenge(challenge_id: str, extra_paths: list[Path] | None = None) -> Challenge:
    """Load a challenge by id, or from a directory / challenge.yaml path.

    Raises:
        ChallengeError: unknown id (with the known ones and a close match) or invalid spec.
    """
    as_path = Path(challenge_id)
    if as_path.suffix in {".yaml", ".yml"} and as_path.is_file():
        return load_challenge_file(as_path)
    if (as_path / CHALLENGE_FILE).is_file() and (
        "/" in challenge_id or challenge_id.startswith(".")
    ):
        return load_challenge_file(as_path / CHALLENGE_FILE)
    known = discover(extra_paths)
    if challenge_id not in known:
        import difflib

        close = difflib.get_close_matches(challenge_id, list(known), n=1)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        raise ChallengeError(
            f"unknown challenge {challenge_id!r}.{suggestion}",
            hint=f"Known challenges: {', '.join(sorted(known)) or 'none'}. "
            "`harness challenge list` shows them; add your own directories with --challenges-path "
            "or HARNESS_CHALLENGES_PATH.",
        )
    return load_challenge_file(known[challenge_id])


def list_challenges(extra_paths: list[Path] | None = None) -> tuple[list[Challenge], list[str]]:
    """All loadable challenges, plus error messages for the ones that fail to load."""
    loaded: list[Challenge] = []
    problems: list[str] = []
    for path in discover(extra_paths).values():
        try:
            loaded.append(load_challenge_file(path))
        except ChallengeError as error:
            problems.append(error.message)
    return loaded, problems
