"""Image selection and digests, with a fake engine client (no Docker needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker.errors
import pytest

from harness.errors import ImageError
from sandbox import images


class FakeImages:
    def __init__(self, present: dict[str, Any], pull_fails: bool = False) -> None:
        self.present = present
        self.pulled: list[str] = []
        self.pull_fails = pull_fails

    def get(self, reference: str) -> Any:
        if reference not in self.present:
            raise docker.errors.ImageNotFound(reference)
        return self.present[reference]

    def pull(self, reference: str) -> Any:
        if self.pull_fails:
            raise docker.errors.APIError("pull access denied: registry unreachable")
        self.pulled.append(reference)
        self.present[reference] = FakeImage("sha256:pulled")
        return self.present[reference]


class FakeImage:
    def __init__(self, image_id: str) -> None:
        self.id = image_id


class FakeClient:
    def __init__(self, present: dict[str, Any], pull_fails: bool = False) -> None:
        self.images = FakeImages(present, pull_fails)


def test_configured_base_is_pulled_when_missing() -> None:
    client = FakeClient({})
    image = images.ensure_base_image(client, "python:3.11-slim", progress=lambda message: None)
    assert image.id == "sha256:pulled"
    assert client.images.pulled == ["python:3.11-slim"]


def test_configured_base_already_present_is_not_pulled() -> None:
    client = FakeClient({"python:3.11-slim": FakeImage("sha256:local")})
    assert images.ensure_base_image(client, "python:3.11-slim").id == "sha256:local"
    assert client.images.pulled == []


def test_unpullable_base_explains_the_local_alternative() -> None:
    client = FakeClient({}, pull_fails=True)
    with pytest.raises(ImageError) as raised:
        images.ensure_base_image(client, "python:3.11-slim", progress=lambda message: None)
    assert "cannot pull base image 'python:3.11-slim'" in raised.value.message
    assert raised.value.hint and "debootstrap" in raised.value.hint


def test_environment_variable_selects_the_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_BASE_IMAGE", "python:3.11-slim")
    assert images.configured_base(None) == "python:3.11-slim"
    assert images.configured_base("registry.local/py:3.11") == "registry.local/py:3.11"
    monkeypatch.delenv("HARNESS_BASE_IMAGE")
    assert images.configured_base(None) is None


def test_up_to_date_runtime_image_is_reused_without_building() -> None:
    base = FakeImage("sha256:base")
    packages = ("pandas==2.3.3",)
    reference = images.runtime_reference(base.id, packages)
    client = FakeClient({"python:3.11-slim": base, reference: FakeImage("sha256:runtime")})
    runtime = images.ensure_runtime_image(client, packages, "python:3.11-slim")
    assert runtime.reference == reference and not runtime.built


def test_runtime_tag_changes_with_each_input() -> None:
    reference = images.runtime_reference("sha256:a", ("pandas==2.3.3", "numpy==2.3.5"))
    assert reference == images.runtime_reference("sha256:a", ("numpy==2.3.5", "pandas==2.3.3"))
    assert reference != images.runtime_reference("sha256:b", ("numpy==2.3.5", "pandas==2.3.3"))
    assert reference != images.runtime_reference("sha256:a", ("numpy==2.3.4", "pandas==2.3.3"))


def test_debian_mirror_is_read_from_apt_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert images.debian_mirror().startswith("http")


def test_import_names_of_common_distributions() -> None:
    assert images._import_name("scikit-learn==1.7.2") == "sklearn"
    assert images._import_name("PyYAML==6.0") == "yaml"
    assert images._import_name("numpy==2.3.5") == "numpy"
