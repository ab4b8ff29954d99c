"""Where the harness keeps things, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "HARNESS_HOME"
CHALLENGES_PATH_ENV = "HARNESS_CHALLENGES_PATH"
BASE_IMAGE_ENV = "HARNESS_BASE_IMAGE"


def harness_home() -> Path:
    """Cache root for generated data, wheels and workspaces (``$HARNESS_HOME``)."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "worksample-harness"


def bundled_challenges_dir() -> Path:
    """The challenges shipped with the harness."""
    import challenges

    return Path(challenges.__file__).resolve().parent


def challenge_search_path(extra: list[Path] | None = None) -> list[Path]:
    """Directories searched for challenges: ``extra``, then ``$HARNESS_CHALLENGES_PATH``
    (``os.pathsep``-separated), then the bundled ones. Earlier entries win on id clashes."""
    paths: list[Path] = list(extra or [])
    for part in os.environ.get(CHALLENGES_PATH_ENV, "").split(os.pathsep):
        if part.strip():
            paths.append(Path(part.strip()).expanduser())
    paths.append(bundled_challenges_dir())
    return paths
