"""The sandbox conformance suite against the real Docker engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.conformance import CHECKS

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_docker_backend_conforms(
    name: str, docker_sandbox, runtime_image: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    tmp_path.chmod(0o755)
    # A fresh backend, as a new caller gets it: the shared one may be in a session's
    # deferred-removal mode.
    CHECKS[name](type(docker_sandbox)(), runtime_image, tmp_path)
