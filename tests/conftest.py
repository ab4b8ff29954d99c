"""Shared fixtures. Docker tests fail (never skip) when HARNESS_REQUIRE_DOCKER or CI is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from challenges.loader import Challenge, load_challenge

REPO_ROOT = Path(__file__).resolve().parent.parent


def _docker_required() -> bool:
    return bool(os.environ.get("HARNESS_REQUIRE_DOCKER") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def harness_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep generated data of the test run apart, but share the wheel cache with the user."""
    yield Path(os.environ.get("HARNESS_HOME", Path.home() / ".cache" / "worksample-harness"))


@pytest.fixture(scope="session")
def docker_sandbox():  # type: ignore[no-untyped-def]
    from harness.errors import SandboxUnavailable
    from sandbox.docker_backend import DockerSandbox

    sandbox = DockerSandbox()
    try:
        sandbox.check()
    except SandboxUnavailable as error:
        if _docker_required():
            pytest.fail(f"Docker engine required but unavailable: {error.message}. {error.hint}")
        pytest.skip(f"no Docker engine: {error.message}")
    return sandbox


@pytest.fixture(scope="session")
def churn_challenge() -> Challenge:
    return load_challenge("churn-tabular")


@pytest.fixture(scope="session")
def runtime_image(docker_sandbox, churn_challenge: Challenge) -> str:  # type: ignore[no-untyped-def]
    from harness.pipeline import ensure_image

    return ensure_image(docker_sandbox, churn_challenge, progress=lambda message: None)
