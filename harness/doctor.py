"""``harness doctor``: is everything needed to grade in place, and if not, the exact fix."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.config import BASE_IMAGE_ENV, harness_home

MIN_FREE_GB = 5.0
START_ENGINE = (
    "setsid dockerd >/var/log/dockerd.log 2>&1 &   # then wait for `docker info` to answer"
)
INSTALL_ENGINE = "apt-get update && apt-get install -y --no-install-recommends docker.io containerd runc iptables"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(challenges_path: list[Path] | None = None) -> list[Check]:
    """Run every check; never raises."""
    checks = [_python()]
    engine = _engine()
    checks.append(engine)
    if engine.ok:
        checks.extend(_images(challenges_path))
        checks.append(_leftovers())
    checks.append(_disk("harness cache", harness_home()))
    if Path("/var/lib/docker").exists():
        checks.append(_disk("engine storage", Path("/var/lib/docker")))
    return checks


def _python() -> Check:
    from harness import __version__

    version = ".".join(map(str, sys.version_info[:3]))
    return Check(
        "harness", True, f"worksample-harness {__version__} on Python {version} ({sys.executable})"
    )


def _engine() -> Check:
    from harness.errors import SandboxUnavailable
    from sandbox.docker_backend import DockerSandbox

    try:
        return Check("docker engine", True, DockerSandbox().check())
    except SandboxUnavailable as error:
        if os.environ.get("DOCKER_HOST"):
            fix = f"DOCKER_HOST is set to {os.environ['DOCKER_HOST']!r}: start that engine or unset DOCKER_HOST."
        elif shutil.which("dockerd") or Path("/usr/sbin/dockerd").exists():
            fix = START_ENGINE
        else:
            fix = f"{INSTALL_ENGINE} && {START_ENGINE}"
        return Check("docker engine", False, error.message, fix)


def _images(challenges_path: list[Path] | None) -> list[Check]:
    from challenges.loader import list_challenges
    from sandbox.docker_backend import DockerSandbox
    from sandbox.images import image_status

    client = DockerSandbox().client
    loaded, problems = list_challenges(challenges_path)
    checks = [
        Check("challenge", False, problem, "Fix the field named in the message.")
        for problem in problems
    ]
    for challenge in loaded:
        build = f"harness sandbox build --challenge {challenge.id}"
        status = image_status(client, challenge)
        if status.runtime is None:
            needs = (
                ""
                if status.base_configured
                or shutil.which("debootstrap")
                or Path("/usr/sbin/debootstrap").exists()
                else "apt-get install -y debootstrap && "
            )
            checks.append(
                Check(
                    f"image {challenge.id}",
                    False,
                    f"base image {status.base} is missing",
                    needs + build,
                )
            )
        elif status.runtime_present:
            checks.append(Check(f"image {challenge.id}", True, status.runtime))
        else:
            checks.append(
                Check(
                    f"image {challenge.id}",
                    False,
                    f"runtime image {status.runtime} is not built",
                    build,
                )
            )
    if not loaded and not problems:
        checks.append(
            Check(
                "challenges",
                False,
                "no challenge found",
                f"Check HARNESS_CHALLENGES_PATH or {BASE_IMAGE_ENV}.",
            )
        )
    return checks


def _leftovers() -> Check:
    from sandbox.docker_backend import DockerSandbox

    names = DockerSandbox().list_managed()
    if names:
        return Check(
            "leftover containers",
            False,
            f"{len(names)} harness container(s) exist: {', '.join(names[:5])}",
            "harness sandbox clean",
        )
    return Check("leftover containers", True, "none")


def _disk(name: str, path: Path) -> Check:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_gb = shutil.disk_usage(probe).free / 2**30
    if free_gb < MIN_FREE_GB:
        return Check(
            f"disk ({name})",
            False,
            f"{free_gb:.1f} GB free at {probe}",
            f"Free at least {MIN_FREE_GB:g} GB at {probe} (e.g. `docker image prune`, or set HARNESS_HOME elsewhere).",
        )
    return Check(f"disk ({name})", True, f"{free_gb:.1f} GB free at {probe}")
