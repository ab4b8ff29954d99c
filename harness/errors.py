"""One family of exceptions for harness misuse.

Candidate failures are *data* (a phase status, a grade with a reason); these
exceptions are for mistakes the person running the harness can fix. Each one
carries a hint with the fix, which the CLI prints as ``Hint: ...``.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A problem the operator can fix, with a hint that says how."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ChallengeError(HarnessError):
    """A challenge is missing, invalid, or its data cannot be produced."""


class SubmissionError(HarnessError):
    """A submission path or URL cannot be read at all (not a candidate failure)."""


class SandboxUnavailable(HarnessError):
    """The sandbox backend (e.g. the Docker engine) cannot be used."""


class ImageError(HarnessError):
    """A sandbox image is missing or could not be built."""


class RegistryError(HarnessError):
    """An unknown or duplicate plugin name."""
