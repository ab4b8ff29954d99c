"""The command line: JSON listing, schema, and Error/Hint lines for misuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app

runner = CliRunner()


def test_challenge_list_json() -> None:
    result = runner.invoke(app, ["challenge", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert "churn-tabular" in {item["id"] for item in listed["challenges"]}
    assert listed["errors"] == []


def test_challenge_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["challenge", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "ChallengeSpec" and "thresholds" in schema["properties"]


def test_result_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["result", "schema"])
    assert result.exit_code == 0
    assert "schema_version" in json.loads(result.stdout)["properties"]


def test_unknown_challenge_is_misuse_with_a_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", str(tmp_path), "--challenge", "churn-tabluar"])
    assert result.exit_code == 2
    assert (
        "Error: unknown challenge 'churn-tabluar'. Did you mean 'churn-tabular'?" in result.stderr
    )
    assert "Hint: Known challenges:" in result.stderr
    assert "Traceback" not in result.output


def test_missing_submission_path_is_misuse(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", str(tmp_path / "nope"), "--challenge", "churn-tabular"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "Hint:" in result.stderr


def test_unreachable_engine_is_misuse_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = runner.invoke(app, ["grade", str(tmp_path), "--challenge", "churn-tabular"])
    assert result.exit_code == 2
    assert "Error: the Docker engine is not reachable" in result.stderr
    assert "Hint: Start the Docker engine" in result.stderr


def test_doctor_without_an_engine_prints_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL docker engine" in result.stdout
    assert "Fix: DOCKER_HOST is set to" in result.stdout


def test_doctor_without_an_engine_or_docker_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No DOCKER_HOST: the fix is to start (or install and start) dockerd."""
    import harness.doctor as doctor
    from harness.errors import SandboxUnavailable
    from sandbox.docker_backend import DockerSandbox

    def unavailable(self: DockerSandbox) -> str:
        raise SandboxUnavailable("the Docker engine is not reachable (connection refused)")

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(DockerSandbox, "check", unavailable)
    checks = {check.name: check for check in doctor.run_checks()}
    engine = checks["docker engine"]
    assert not engine.ok
    assert "dockerd" in engine.fix and "setsid" in engine.fix
