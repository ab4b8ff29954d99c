"""Sandbox images, built locally and tagged by a digest of their inputs.

Two layers:

- **base**: Debian with Python 3.11. Either a configured image that can be pulled
  (``HARNESS_BASE_IMAGE=python:3.11-slim`` or ``sandbox.base_image`` in a
  challenge), or, where no registry is reachable, a minimal Debian made with
  ``debootstrap`` and ``docker import``.
- **runtime**: the base plus a challenge's pinned packages, installed offline from
  wheels fetched on the host with ``pip download`` (no network in the build
  container either), plus the unprivileged sandbox user.

An image is rebuilt only when its inputs change: its tag *is* the digest of the
inputs, so an existing tag means nothing needs doing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import BASE_IMAGE_ENV, harness_home
from harness.errors import ImageError
from sandbox.docker_backend import LABEL, LABEL_OWNER_HOST, LABEL_OWNER_PID, SANDBOX_UID

if TYPE_CHECKING:
    from challenges.loader import Challenge

BASE_REPOSITORY = "worksample-harness/base"
RUNTIME_REPOSITORY = "worksample-harness/runtime"
DEBIAN_SUITE = "bookworm"
DEBOOTSTRAP_PACKAGES = ("python3", "python3-pip")
WHEEL_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
RECIPE_VERSION = "1"  # bump when the build steps below change
# Tooling the harness itself runs inside every runtime image: pytest for the tests phase;
# nbformat, nbclient and ipykernel for notebook submissions (the kernel runs in the sandbox).
HARNESS_PACKAGES = ("pytest==8.4.2", "nbformat==5.11.1", "nbclient==0.11.0", "ipykernel==7.4.0")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RuntimeImage:
    """A runtime image reference and the inputs it was built from."""

    reference: str
    base: str
    packages: tuple[str, ...]
    built: bool


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def configured_base(challenge_base: str | None = None) -> str | None:
    """The base image to pull, if one is configured (challenge first, then environment)."""
    return challenge_base or os.environ.get(BASE_IMAGE_ENV) or None


def local_base_reference() -> str:
    return f"{BASE_REPOSITORY}:{DEBIAN_SUITE}-py311-{_digest(RECIPE_VERSION, DEBIAN_SUITE, *DEBOOTSTRAP_PACKAGES)}"


def with_harness_packages(packages: tuple[str, ...]) -> tuple[str, ...]:
    """The challenge's packages plus the harness's own tooling (a challenge's pin wins)."""
    names = {_distribution_name(package) for package in packages}
    extra = tuple(
        package for package in HARNESS_PACKAGES if _distribution_name(package) not in names
    )
    return tuple(packages) + extra


def runtime_reference(base_image_id: str, packages: tuple[str, ...]) -> str:
    """The tag of the runtime image for a challenge's ``packages`` on a base image."""
    installed = sorted(with_harness_packages(packages))
    return f"{RUNTIME_REPOSITORY}:{_digest(RECIPE_VERSION, base_image_id, *installed, str(SANDBOX_UID))}"


def wheels_dir(packages: tuple[str, ...]) -> Path:
    """Where the wheels of a runtime image are cached on the host."""
    return harness_home() / "wheels" / _digest(*sorted(with_harness_packages(packages)))


def installed_distributions(packages: tuple[str, ...]) -> dict[str, str]:
    """Normalised name -> version of everything installed in the runtime image for
    ``packages`` (read from the cached wheels), or just the pins when the cache is gone."""
    found = {
        _distribution_name(wheel.name.split("-")[0]): wheel.name.split("-")[1]
        for wheel in wheels_dir(packages).glob("*.whl")
    }
    if not found:
        found = {
            _distribution_name(package): package.split("==")[1]
            for package in with_harness_packages(packages)
        }
    return found


def _distribution_name(requirement: str) -> str:
    name = re.split(r"[=<>!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _image_or_none(client: Any, reference: str) -> Any:
    import docker.errors

    try:
        return client.images.get(reference)
    except docker.errors.ImageNotFound:
        return None


def ensure_base_image(client: Any, base: str | None = None, progress: Progress = print) -> Any:
    """Return the base image object, pulling or building it when missing.

    Raises:
        ImageError: the base cannot be pulled or built, with what to do instead.
    """
    if base:
        image = _image_or_none(client, base)
        if image is not None:
            return image
        progress(f"pulling base image {base}")
        try:
            return client.images.pull(base)
        except Exception as error:
            raise ImageError(
                f"cannot pull base image {base!r}: {str(error).splitlines()[0][:200]}",
                hint=f"Unset {BASE_IMAGE_ENV} (and sandbox.base_image) to build a local Debian base "
                "with debootstrap instead, or make the registry reachable.",
            ) from error
    reference = local_base_reference()
    image = _image_or_none(client, reference)
    if image is not None:
        return image
    return _build_debootstrap_base(client, reference, progress)


def debian_mirror() -> str:
    """The Debian mirror this host's apt uses (read at run time, never hard-coded)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            match = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
            if match and "security" not in match.group(1):
                return match.group(1)
    return "http://deb.debian.org/debian"


def _build_debootstrap_base(client: Any, reference: str, progress: Progress) -> Any:
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None
    )
    if debootstrap is None:
        raise ImageError(
            "no base image, and debootstrap is not installed to build one",
            hint=f"`apt-get install -y debootstrap` (as root), or set {BASE_IMAGE_ENV}=python:3.11-slim "
            "where a registry can be reached.",
        )
    if os.geteuid() != 0:
        raise ImageError(
            "building the Debian base image with debootstrap needs root",
            hint=f"Run `harness sandbox build` once as root, or set {BASE_IMAGE_ENV}=python:3.11-slim.",
        )
    mirror = debian_mirror()
    work = Path(tempfile.mkdtemp(prefix="harness-rootfs-", dir=_scratch_dir()))
    rootfs = work / "rootfs"
    try:
        progress(
            f"building base image with debootstrap ({DEBIAN_SUITE}, {mirror}); this takes about a minute"
        )
        completed = subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(DEBOOTSTRAP_PACKAGES)}",
                DEBIAN_SUITE,
                str(rootfs),
                mirror,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-8:])
            raise ImageError(
                f"debootstrap failed (exit {completed.returncode}):\n{tail}",
                hint=f"Check that the Debian mirror {mirror} is reachable (apt-get update works).",
            )
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        progress("importing the root filesystem into the engine")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        try:
            client.api.import_image_from_stream(
                tar.stdout,
                repository=reference.split(":")[0],
                tag=reference.split(":")[1],
                changes=[
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    'CMD ["python3"]',
                ],
            )
        finally:
            tar.stdout.close()
            tar.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    image = _image_or_none(client, reference)
    if image is None:
        raise ImageError(f"docker import did not produce {reference}")
    return image


def _scratch_dir() -> Path:
    path = harness_home() / "build"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_wheels(packages: tuple[str, ...], destination: Path, progress: Progress = print) -> None:
    """Download wheels for the sandbox (CPython 3.11, manylinux x86_64) on the host.

    Raises:
        ImageError: pip cannot fetch them (no index reachable, a package without wheels).
    """
    destination.mkdir(parents=True, exist_ok=True)
    marker = destination / "complete.json"
    if marker.is_file() and json.loads(marker.read_text()) == sorted(packages):
        return
    progress(f"downloading wheels: {', '.join(packages)}")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--dest",
        str(destination),
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        *[f"--platform={platform}" for platform in WHEEL_PLATFORMS],
        *packages,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.splitlines()[-6:])
        raise ImageError(
            f"pip download failed for {', '.join(packages)}:\n{tail}",
            hint="Check that the package index is reachable and that each pinned version has "
            "manylinux wheels for CPython 3.11.",
        )
    marker.write_text(json.dumps(sorted(packages)))


def ensure_runtime_image(
    client: Any, packages: tuple[str, ...], base: str | None = None, progress: Progress = print
) -> RuntimeImage:
    """Return the runtime image for ``packages``, building it only when its inputs changed.

    Raises:
        ImageError: the base or the packages cannot be obtained or installed.
    """
    base_image = ensure_base_image(client, base, progress)
    reference = runtime_reference(base_image.id, packages)
    if _image_or_none(client, reference) is not None:
        return RuntimeImage(reference, base or local_base_reference(), packages, built=False)
    installed = with_harness_packages(packages)
    wheels = wheels_dir(packages)
    fetch_wheels(installed, wheels, progress)
    progress(f"building runtime image {reference}")
    _build_runtime(client, base_image, reference, installed, wheels)
    return RuntimeImage(reference, base or local_base_reference(), packages, built=True)


def challenge_image(
    client: Any, challenge: Challenge, progress: Progress = print, build: bool = True
) -> str:
    """The runtime image reference for ``challenge``, built when missing (or, with
    ``build=False``, only looked up). Lives here rather than in the pipeline so that
    ``harness sandbox build`` need not import the graders to find an image up to date.

    Raises:
        ImageError: the image is missing and ``build`` is false, or it cannot be built.
    """
    if build:
        packages = tuple(challenge.spec.sandbox.packages)
        base = configured_base(challenge.spec.sandbox.base_image)
        return ensure_runtime_image(client, packages, base, progress).reference
    status = image_status(client, challenge)
    if status.runtime is None or not status.runtime_present:
        raise ImageError(
            f"the runtime image for {challenge.id} is not built",
            hint=f"Run `harness sandbox build --challenge {challenge.id}`.",
        )
    return status.runtime


@dataclass(frozen=True)
class ImageStatus:
    """Which of a challenge's images exist, without building anything."""

    base: str
    """The base image reference (configured, or the locally built one)."""
    base_configured: bool
    """True when the challenge or HARNESS_BASE_IMAGE names a base to pull."""
    runtime: str | None
    """The runtime image reference; None while the base image is missing."""
    runtime_present: bool


def image_status(client: Any, challenge: Challenge) -> ImageStatus:
    """Look up a challenge's base and runtime images (for ``doctor`` and lookups)."""
    import docker.errors

    configured = configured_base(challenge.spec.sandbox.base_image)
    base = configured or local_base_reference()
    try:
        base_image = client.images.get(base)
    except docker.errors.ImageNotFound:
        return ImageStatus(base, configured is not None, None, False)
    reference = runtime_reference(base_image.id, tuple(challenge.spec.sandbox.packages))
    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return ImageStatus(base, configured is not None, reference, False)
    return ImageStatus(base, configured is not None, reference, True)


def _build_runtime(
    client: Any, base_image: Any, reference: str, packages: tuple[str, ...], wheels: Path
) -> None:
    """Install the wheels in a network-less container from the base and commit it."""
    from docker.types import Mount

    imports = ", ".join(_import_name(package) for package in packages) or "sys"
    script = " && ".join(
        [
            *(
                [
                    "python3 -m pip install --no-index --no-cache-dir --disable-pip-version-check "
                    "--break-system-packages --root-user-action=ignore --find-links /wheels "
                    + " ".join(packages)
                ]
                if packages
                else []
            ),
            f"echo 'candidate:x:{SANDBOX_UID}:{SANDBOX_UID}:candidate:/tmp:/usr/sbin/nologin' >> /etc/passwd",
            f"echo 'candidate:x:{SANDBOX_UID}:' >> /etc/group",
            "mkdir -p /submission /data /model /output /harness",
            f"python3 -c 'import {imports}'",
            "command -v sleep",
        ]
    )
    container = client.containers.create(
        base_image.id,
        entrypoint=["sh", "-c"],
        command=[script],
        network_mode="none",
        user="0:0",
        mounts=[Mount(target="/wheels", source=str(wheels.resolve()), type="bind", read_only=True)],
        labels={
            LABEL: "1",
            f"{LABEL}.build": reference,
            LABEL_OWNER_PID: str(os.getpid()),
            LABEL_OWNER_HOST: socket.gethostname(),
        },
    )
    try:
        container.start()
        outcome = container.wait(timeout=1800)
        if outcome.get("StatusCode") != 0:
            logs = container.logs(tail=20).decode("utf-8", errors="replace")
            raise ImageError(
                f"installing {', '.join(packages)} into the runtime image failed:\n{logs}",
                hint="Check that the pinned packages and their dependencies have wheels for CPython 3.11.",
            )
        repository, tag = reference.split(":")
        container.commit(
            repository=repository,
            tag=tag,
            conf={
                "Labels": {
                    LABEL: "1",
                    f"{LABEL}.packages": " ".join(packages),
                    f"{LABEL}.base": base_image.id,
                },
                "Entrypoint": None,
                "Cmd": ["python3"],
                "WorkingDir": "/submission",
            },
        )
    finally:
        container.remove(force=True)


def _import_name(requirement: str) -> str:
    name = requirement.split("==")[0].strip().lower().replace("-", "_")
    return {
        "scikit_learn": "sklearn",
        "pyyaml": "yaml",
        "pillow": "PIL",
        "python_dateutil": "dateutil",
    }.get(name, name)
