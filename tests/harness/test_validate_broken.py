"""`harness challenge validate` on deliberately broken challenges: each fails with the reason.

Each case starts from a freshly scaffolded challenge (`harness challenge new`), breaks one
thing, and checks the exit code and the failing check's message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness import authoring
from harness.cli import app

runner = CliRunner()


def scaffold(tmp_path: Path, challenge_id: str) -> Path:
    authoring.new_challenge(challenge_id, tmp_path)
    return tmp_path / challenge_id


def validate(tmp_path: Path, challenge_id: str) -> tuple[int, dict[str, object] | str]:
    result = runner.invoke(
        app, ["challenge", "validate", challenge_id, "--challenges-path", str(tmp_path), "--json"]
    )
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.output


def failed(report: dict[str, object]) -> dict[str, str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return {check["name"]: check["detail"] for check in checks if not check["ok"]}


def test_a_spec_error_names_the_file_and_field(tmp_path: Path) -> None:
    directory = scaffold(tmp_path, "broken-spec")
    spec = directory / "challenge.yaml"
    spec.write_text(
        spec.read_text().replace("  target: 0.72", "  target: 0.6"), encoding="utf-8"
    )  # target == baseline
    code, output = validate(tmp_path, "broken-spec")
    assert code != 0
    assert "challenge.yaml" in str(output) and "baseline and target must differ" in str(output)


def test_a_leaky_split_fails_before_any_submission_runs(tmp_path: Path) -> None:
    directory = scaffold(tmp_path, "leaky-split")
    generator = directory / "generate.py"
    source = generator.read_text(encoding="utf-8")
    # The classic mistake: hidden evaluation rows copied into the public training table.
    leaked = source.replace(
        '    return GeneratedData(\n        public={"train.csv": train},',
        "    leaked_rows = evaluation.iloc[:25]\n"
        "    train = pd.concat([train, leaked_rows], ignore_index=True)\n"
        '    return GeneratedData(\n        public={"train.csv": train},',
    )
    assert leaked != source, "the scaffold's generate() changed shape; update this test"
    generator.write_text(leaked, encoding="utf-8")
    code, report = validate(tmp_path, "leaky-split")
    assert code == 1 and isinstance(report, dict)
    problems = failed(report)
    assert "no overlap" in problems
    assert "25 evaluation id(s) also public" in problems["no overlap"]
    assert report["calibration"] == []  # nothing was graded on broken data


@pytest.mark.docker
def test_an_unsolvable_target_fails_the_reference_check(
    tmp_path: Path, docker_sandbox: object
) -> None:
    directory = scaffold(tmp_path, "unsolvable-target")
    spec = directory / "challenge.yaml"
    spec.write_text(spec.read_text().replace("  target: 0.72", "  target: 0.995"), encoding="utf-8")
    code, report = validate(tmp_path, "unsolvable-target")
    assert code == 1 and isinstance(report, dict)
    problems = failed(report)
    assert set(problems) == {"reference clears target"}, problems
    assert "target 0.995" in problems["reference clears target"]
    rows = {row["example"]: row for row in report["calibration"]}  # type: ignore[union-attr]
    assert rows["solutions/reference"]["credit"] < 1.0
