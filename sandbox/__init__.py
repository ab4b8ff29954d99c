"""Sandbox backends: run a candidate's phase in isolation and measure it.

Backends register in the ``harness.sandboxes`` registry, by decorator or by
entry point, exactly as a third-party backend would.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.registry import Registry
from sandbox.base import (
    Mount,
    PhaseLimits,
    PhaseRequest,
    PhaseResult,
    PhaseStatus,
    Sandbox,
)

sandboxes: Registry[Callable[..., Sandbox]] = Registry("sandbox backend", "harness.sandboxes")


def sandboxenv(name: str) -> Callable[[type], type]:
    """Class decorator registering a sandbox backend under ``name``."""

    def wrap(cls: type) -> type:
        sandboxes.register(name, cls)
        return cls

    return wrap


__all__ = [
    "Mount",
    "PhaseLimits",
    "PhaseRequest",
    "PhaseResult",
    "PhaseStatus",
    "Sandbox",
    "sandboxenv",
    "sandboxes",
]
