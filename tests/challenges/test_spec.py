"""challenge.yaml validation: errors name the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from challenges.loader import load_challenge, load_challenge_file
from challenges.spec import ChallengeSpec
from harness.errors import ChallengeError

BUNDLED = Path(__file__).resolve().parents[2] / "challenges" / "churn-tabular" / "challenge.yaml"


def write_variant(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(BUNDLED.read_text())
    change(raw)
    directory = tmp_path / raw.get("id", "churn-tabular")
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("statement.md", "generate.py"):
        (directory / name).write_text((BUNDLED.parent / name).read_text())
    raw["examples"] = []
    path = directory / "challenge.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_bundled_challenge_is_valid() -> None:
    challenge = load_challenge_file(BUNDLED)
    assert challenge.id == "churn-tabular"
    assert challenge.spec.task.metric == "roc_auc"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda raw: raw["graders"][0].update(weight=-1),
            "graders[0].weight: Input should be greater than or equal to 0",
        ),
        (
            lambda raw: raw["limits"]["train"].update(memory_mb=0),
            "limits.train.memory_mb: Input should be greater than 0",
        ),
        (lambda raw: raw["task"].pop("metric"), "task.metric: Field required"),
        (
            lambda raw: raw["sandbox"].update(packages=["pandas>=2"]),
            "sandbox.packages: 'pandas>=2' must be pinned exactly",
        ),
        (
            lambda raw: raw["thresholds"].update(target=raw["thresholds"]["baseline"]),
            "thresholds: baseline and target must differ",
        ),
        (lambda raw: raw.update(unexpected=1), "unexpected: Extra inputs are not permitted"),
        (lambda raw: raw["task"].update(type="clustering"), "task.type: Input should be"),
        (
            lambda raw: raw["contract"].update(train_entrypoint="../evil.py"),
            "contract.train_entrypoint: must be a path relative",
        ),
    ],
)
def test_schema_errors_name_file_and_field(tmp_path: Path, change, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write_variant(tmp_path, change)
    with pytest.raises(ChallengeError) as raised:
        load_challenge_file(path)
    assert f"{path}: {expected}" in raised.value.message
    assert raised.value.hint and "harness challenge schema" in raised.value.hint


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken" / "challenge.yaml"
    path.parent.mkdir()
    path.write_text("id: broken\ntask: [unclosed\n")
    with pytest.raises(ChallengeError, match=f"{path}: invalid YAML"):
        load_challenge_file(path)


def test_missing_generator_file_is_named(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda raw: raw["data"].update(generator="nope.py"))
    with pytest.raises(ChallengeError, match=r"data\.generator: file 'nope\.py' does not exist"):
        load_challenge_file(path)


def test_unknown_challenge_suggests_a_close_id() -> None:
    with pytest.raises(ChallengeError, match=r"Did you mean 'churn-tabular'") as raised:
        load_challenge("churn-tabluar")
    assert raised.value.hint and "harness challenge list" in raised.value.hint


def test_challenges_path_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_variant(tmp_path, lambda raw: raw.update(id="team-churn"))
    monkeypatch.setenv("HARNESS_CHALLENGES_PATH", str(tmp_path))
    assert load_challenge("team-churn").spec_file == path.resolve()


def test_json_schema_is_generated_from_the_models() -> None:
    schema = ChallengeSpec.model_json_schema()
    assert {"id", "version", "task", "thresholds", "graders", "data"} <= set(schema["required"])
    text = json.dumps(schema)
    assert "Exactly pinned requirements" in text
