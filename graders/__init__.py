"""Graders: each turns a run into a score with the evidence behind it.

Built-in graders register exactly as third-party ones do: with the ``@grader``
decorator at import time, or an entry point in the ``harness.graders`` group.
"""

from __future__ import annotations

from collections.abc import Callable

from graders.base import Criterion, Evidence, Grader, GradeResult, GraderFactory, GradingContext
from harness.registry import Registry

graders: Registry[GraderFactory] = Registry("grader", "harness.graders")


def grader(name: str) -> Callable[[GraderFactory], GraderFactory]:
    """Register a grader factory under ``name``.

    The factory receives the challenge's ``args`` for this grader as keyword
    arguments and returns a function ``GradingContext -> GradeResult``.
    """
    return graders.decorator(name)


__all__ = [
    "Criterion",
    "Evidence",
    "GradeResult",
    "Grader",
    "GraderFactory",
    "GradingContext",
    "grader",
    "graders",
]
