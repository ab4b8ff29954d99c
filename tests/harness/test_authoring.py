"""Authoring: the validate checks one by one, the candidate kit export, `challenge new`,
and (against the real engine) validate on the bundled challenge and a broken copy."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from challenges.data import GeneratedData, PreparedData, generate, prepare_data, write_generated
from challenges.loader import Challenge, load_challenge, load_challenge_file
from harness import authoring
from harness.cli import app
from harness.errors import HarnessError

REPO_ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def make_task_data(tmp_path: Path, public_ids: list[str], eval_ids: list[str]) -> PreparedData:
    """A tiny prepared split: public train.csv and hidden evaluation rows."""
    public = pd.DataFrame(
        {
            "customer_id": public_ids,
            "spend": [float(index) for index in range(len(public_ids))],
            "churned": [index % 2 for index in range(len(public_ids))],
        }
    )
    evaluation = pd.DataFrame(
        {"customer_id": eval_ids, "spend": [100.0 + index for index in range(len(eval_ids))]}
    )
    labels = pd.DataFrame({"customer_id": eval_ids, "churned": [0] * len(eval_ids)})
    generated = GeneratedData(
        public={"train.csv": public}, eval_features=evaluation, eval_labels=labels
    )
    return write_generated(generated, tmp_path / "data")


@pytest.fixture
def churn_data(churn_challenge: Challenge, tmp_path: Path) -> PreparedData:
    return prepare_data(churn_challenge, cache_root=tmp_path / "cache")


def test_regeneration_is_identical_and_matches_the_cache(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    prepare_data(churn_challenge, cache_root=tmp_path)
    result = authoring.check_regeneration(churn_challenge, cache_root=tmp_path)
    assert result.ok, result.detail
    assert "cached copy" in result.detail


def test_regeneration_notices_a_changed_cache(churn_challenge: Challenge, tmp_path: Path) -> None:
    prepared = prepare_data(churn_challenge, cache_root=tmp_path)
    with prepared.labels_file.open("a", encoding="utf-8") as handle:
        handle.write("C000000,1\n")
    result = authoring.check_regeneration(churn_challenge, cache_root=tmp_path)
    assert not result.ok
    assert "hidden/labels.csv" in result.detail


def test_overlap_check_passes_disjoint_splits(tmp_path: Path) -> None:
    data = make_task_data(tmp_path, ["A1", "A2", "A3"], ["B1", "B2"])
    task = load_challenge("churn-tabular").spec.task
    assert authoring.check_no_overlap(data, task).ok


def test_overlap_check_catches_shared_ids(tmp_path: Path) -> None:
    data = make_task_data(tmp_path, ["A1", "A2", "B2"], ["B1", "B2"])
    result = authoring.check_no_overlap(data, load_challenge("churn-tabular").spec.task)
    assert not result.ok
    assert "1 evaluation id(s) also public (B2)" in result.detail


def test_overlap_check_catches_copied_feature_rows(tmp_path: Path) -> None:
    data = make_task_data(tmp_path, ["A1", "A2"], ["B1", "B2"])
    train = pd.read_csv(data.public_dir / "train.csv")
    # A hidden row re-issued under a new id: same features, different id.
    leaked = pd.DataFrame({"customer_id": ["Z9"], "spend": [101.0], "churned": [1]})
    pd.concat([train, leaked]).to_csv(data.public_dir / "train.csv", index=False)
    result = authoring.check_no_overlap(data, load_challenge("churn-tabular").spec.task)
    assert not result.ok
    assert "1 row(s) with exactly the features of an evaluation row" in result.detail


def test_overlap_check_passes_the_bundled_challenge(
    churn_challenge: Challenge, churn_data: PreparedData
) -> None:
    assert authoring.check_no_overlap(churn_data, churn_challenge.spec.task).ok


def test_export_holds_the_kit_and_nothing_hidden(
    churn_challenge: Challenge, churn_data: PreparedData, tmp_path: Path
) -> None:
    kit = tmp_path / "kit.zip"
    authoring.export_kit(churn_challenge, churn_data, kit)
    with zipfile.ZipFile(kit) as archive:
        names = set(archive.namelist())
        readme = archive.read("churn-tabular/README.md").decode()
        train = archive.read("churn-tabular/data/train.csv")
    assert {
        "churn-tabular/statement.md",
        "churn-tabular/data/train.csv",
        "churn-tabular/docs/contract.md",
        "churn-tabular/README.md",
        "churn-tabular/self-check.sh",
    } <= names
    assert train == (churn_data.public_dir / "train.csv").read_bytes()
    assert "harness check" in readme
    assert not any(
        part in {"hidden", "eval_features", "solutions", "examples"}
        for name in names
        for part in Path(name).parts
    )
    assert not any(name.endswith(("labels.csv", "data_card.json", "generate.py")) for name in names)
    assert authoring.scan_kit(kit, churn_challenge, churn_data) == []
    assert {path.name for path in tmp_path.iterdir()} == {"kit.zip", "cache"}  # no staging left


def test_export_refuses_a_hidden_file_planted_in_the_public_data(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    # A private copy of the data, so the shared cache is never touched.
    data = write_generated(generate(churn_challenge), tmp_path / "data")
    shutil.copyfile(data.labels_file, data.public_dir / "answers.csv")
    kit = tmp_path / "out" / "kit.zip"
    with pytest.raises(HarnessError) as raised:
        authoring.export_kit(churn_challenge, data, kit)
    assert (
        "data/answers.csv: identical to the hidden file hidden/labels.csv" in raised.value.message
    )
    assert not kit.exists()
    assert list(kit.parent.iterdir()) == []  # the staging file is gone too
    assert not authoring.check_kit_sealed(churn_challenge, data).ok


def test_kit_scan_names_forbidden_entries(
    churn_challenge: Challenge, churn_data: PreparedData, tmp_path: Path
) -> None:
    kit = tmp_path / "hostile.zip"
    with zipfile.ZipFile(kit, "w") as archive:
        archive.writestr("kit/solutions/reference/train.py", "print(1)\n")
        archive.writestr("kit/generate.py", "x = 1\n")
        archive.writestr("kit/eval_features/features.csv", "id\n")
    problems = authoring.scan_kit(kit, churn_challenge, churn_data)
    assert any("inside solutions/" in problem for problem in problems)
    assert any("named like the data generator" in problem for problem in problems)
    assert any("inside eval_features/" in problem for problem in problems)


def test_the_kit_spec_keeps_what_the_self_check_needs_and_nothing_hidden(
    churn_challenge: Challenge, churn_data: PreparedData, tmp_path: Path
) -> None:
    kit = tmp_path / "kit.zip"
    authoring.export_kit(churn_challenge, churn_data, kit)
    with zipfile.ZipFile(kit) as archive:
        archive.extractall(tmp_path / "unpacked")
    public = authoring.load_kit(tmp_path / "unpacked" / "churn-tabular").spec
    spec = churn_challenge.spec
    for kept in ("id", "version", "task", "contract", "limits", "sandbox", "budgets", "notebook"):
        assert getattr(public, kept) == getattr(spec, kept), kept
    assert public.data.seed == 0 and public.data.generator == "" and spec.data.seed != 0
    assert public.rubric == [] and public.slices == [] and public.examples == []
    assert [grader.args for grader in public.graders] == [{}]
    assert public.thresholds != spec.thresholds
    text = (tmp_path / "unpacked" / "churn-tabular" / authoring.KIT_SPEC_FILE).read_text()
    for withheld in (
        "thresholds:",
        "data:",
        "seed:",
        "rubric:",
        "slices:",
        "graders:",
        "examples:",
    ):
        assert f"\n{withheld}" not in text and f" {withheld}" not in text, withheld
    assert spec.slices and spec.examples
    for hidden_slice in spec.slices:
        assert hidden_slice.name not in text and hidden_slice.description not in text
    for example in spec.examples:
        assert example.path not in text

    # A kit whose spec was edited to carry more is refused by the scan, naming what leaks.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(kit) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(authoring.KIT_SPEC_FILE):
                content += (
                    f"slices:\n- name: x\n  description: {spec.slices[0].description}\n".encode()
                )
            target.writestr(info, content)
    problems = authoring.scan_kit(tampered, churn_challenge, churn_data)
    assert any("not the public part of the challenge spec" in problem for problem in problems)
    assert any("holds 'slices', which is withheld" in problem for problem in problems)
    assert any(spec.slices[0].description in problem for problem in problems)


def test_check_needs_a_challenge_or_a_kit(tmp_path: Path) -> None:
    neither = runner.invoke(app, ["check", str(tmp_path)])
    assert neither.exit_code == 2 and "give either --challenge ID or --kit DIR" in neither.stderr
    not_a_kit = runner.invoke(app, ["check", str(tmp_path), "--kit", str(tmp_path)])
    assert not_a_kit.exit_code == 2 and "not a candidate kit" in not_a_kit.stderr


@pytest.mark.docker
def test_a_candidate_checks_from_the_kit_of_a_private_challenge(
    docker_sandbox, runtime_image: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A team's challenge outside the repository: the candidate has only the kit, and the
    self-check runs from it without the challenge definition."""
    private = tmp_path / "team-challenges" / "private-churn"
    shutil.copytree(
        REPO_ROOT / "challenges" / "churn-tabular",
        private,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    spec_file = private / "challenge.yaml"
    spec_file.write_text(
        spec_file.read_text(encoding="utf-8").replace("id: churn-tabular", "id: private-churn"),
        encoding="utf-8",
    )
    kit = tmp_path / "kit.zip"
    exported = runner.invoke(
        app,
        ["challenge", "export", "private-churn", "--out", str(kit)],
        env={"HARNESS_CHALLENGES_PATH": str(private.parent)},
    )
    assert exported.exit_code == 0, exported.output
    candidate = tmp_path / "candidate"
    with zipfile.ZipFile(kit) as archive:
        archive.extractall(candidate)
    shutil.copytree(private / "examples" / "solid", candidate / "repo")
    shutil.rmtree(private.parent)  # the candidate's machine has no challenge definition

    checked = runner.invoke(
        app,
        ["check", str(candidate / "repo"), "--kit", str(candidate / "private-churn")],
        env={"HARNESS_CHALLENGES_PATH": "", "COLUMNS": "200"},
    )
    assert checked.exit_code == 0, checked.output
    assert "train phase: ok" in checked.stdout and "predict phase: ok" in checked.stdout
    assert "All checks passed." in checked.stdout


def test_export_command_writes_the_kit(tmp_path: Path) -> None:
    kit = tmp_path / "kit.zip"
    result = runner.invoke(app, ["challenge", "export", "churn-tabular", "--out", str(kit)])
    assert result.exit_code == 0, result.output
    assert "statement.md" in result.stdout
    assert zipfile.is_zipfile(kit)


def test_new_scaffold_loads_and_generates(tmp_path: Path) -> None:
    result = runner.invoke(app, ["challenge", "new", "fraud-tabular", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    challenge = load_challenge_file(tmp_path / "fraud-tabular" / "challenge.yaml")
    assert challenge.spec.id == "fraud-tabular"
    assert "__CHALLENGE" not in challenge.statement_text()
    assert {example.expect for example in challenge.spec.examples} == {
        "clears_target",
        "below_baseline",
    }
    data = generate(challenge)
    train = data.public["train.csv"]
    assert len(train) > 100 and train["usage_hours"].isna().any()
    assert data.data_card["kinds"]
    prepared = write_generated(data, tmp_path / "data")
    assert authoring.check_no_overlap(prepared, challenge.spec.task).ok
    assert authoring.check_regeneration(challenge, cache_root=tmp_path / "cache").ok


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "fraud-tabular").mkdir()
    result = runner.invoke(app, ["challenge", "new", "fraud-tabular", "--path", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exists; not overwriting it" in result.stderr


def test_new_defaults_to_the_challenges_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_CHALLENGES_PATH", str(tmp_path / "mine"))
    assert authoring.default_new_root() == tmp_path / "mine"
    monkeypatch.delenv("HARNESS_CHALLENGES_PATH")
    assert authoring.default_new_root() == Path("challenges-local")


def test_new_refuses_the_installed_package_and_bad_ids(tmp_path: Path) -> None:
    from harness.config import bundled_challenges_dir

    with pytest.raises(HarnessError, match="inside the installed harness package"):
        authoring.new_challenge("fraud-tabular", bundled_challenges_dir())
    with pytest.raises(HarnessError, match="is not valid"):
        authoring.new_challenge("Fraud_Tabular", tmp_path)


def test_reference_is_the_clearing_solution() -> None:
    examples = load_challenge("churn-tabular").spec.examples
    reference = authoring.reference_example(examples)
    assert reference is not None and reference.path == "solutions/reference"
    assert authoring.reference_example([]) is None


# -- against the real engine -----------------------------------------------------------------


BUNDLED = sorted(path.parent.name for path in (REPO_ROOT / "challenges").glob("*/challenge.yaml"))


def test_every_bundled_challenge_is_validated_below() -> None:
    assert {"churn-tabular", "kb-retrieval", "demand-service", "support-ticket-triage"} <= set(
        BUNDLED
    )


@pytest.mark.parametrize("challenge_id", BUNDLED)
def test_every_bundled_kit_spec_passes_the_kit_scan_and_loads(
    challenge_id: str, tmp_path: Path
) -> None:
    challenge = load_challenge(challenge_id)
    text = authoring.kit_spec_text(challenge)
    assert authoring._kit_spec_problems(text.encode(), challenge) == []
    (tmp_path / authoring.KIT_SPEC_FILE).write_text(text, encoding="utf-8")
    loaded = authoring.load_kit(tmp_path).spec
    assert (loaded.task, loaded.contract, loaded.sandbox) == (
        challenge.spec.task,
        challenge.spec.contract,
        challenge.spec.sandbox,
    )


@pytest.mark.docker
@pytest.mark.parametrize("challenge_id", BUNDLED)
def test_validate_passes_the_bundled_challenge(
    docker_sandbox: object, runtime_image: str, challenge_id: str
) -> None:
    result = runner.invoke(app, ["challenge", "validate", challenge_id, "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report
    assert report["ok"] and {check["name"] for check in report["checks"]} >= {
        "spec",
        "regeneration",
        "no overlap",
        "kit sealed",
        "reference clears target",
        "baseline below threshold",
        "examples meet expectations",
    }
    rows = {row["example"]: row for row in report["calibration"]}
    assert rows["solutions/reference"]["credit"] == 1.0
    assert rows["solutions/baseline"]["credit"] == 0.0
    assert all(row["met"] for row in rows.values())


@pytest.mark.docker
def test_validate_fails_when_the_reference_crashes(
    docker_sandbox: object, runtime_image: str, tmp_path: Path
) -> None:
    copy = tmp_path / "churn-tabular"
    shutil.copytree(REPO_ROOT / "challenges" / "churn-tabular", copy)
    (copy / "solutions" / "reference" / "train.py").write_text("raise SystemExit(1)\n")
    result = runner.invoke(
        app, ["challenge", "validate", "churn-tabular", "--challenges-path", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    assert "FAIL reference clears target: solutions/reference: no metric" in result.stdout
    assert "train phase" in result.stdout


@pytest.mark.docker
def test_self_check_runs_on_public_data_only(docker_sandbox, runtime_image: str) -> None:  # type: ignore[no-untyped-def]
    from challenges.data import prepare_data
    from challenges.loader import load_challenge
    from harness.authoring import self_check

    challenge = load_challenge("churn-tabular")
    public = prepare_data(challenge).public_dir
    good = self_check(str(challenge.path("solutions/reference")), challenge, public)
    # Timing against the budgets depends on how busy the host is: present, not asserted.
    assert "timing" in {check.name for check in good}
    assert all(check.ok for check in good if check.name != "timing"), [
        check for check in good if not check.ok
    ]
    crashing = self_check(str(challenge.path("examples/crashes-in-training")), challenge, public)
    failed = [check for check in crashing if not check.ok]
    assert failed and any("KeyError" in check.detail for check in failed)


@pytest.mark.docker
def test_self_check_runs_a_notebook_like_grading(docker_sandbox, runtime_image: str) -> None:  # type: ignore[no-untyped-def]
    from challenges.data import prepare_data
    from challenges.loader import load_challenge
    from harness.authoring import self_check

    challenge = load_challenge("churn-tabular")
    public = prepare_data(challenge).public_dir
    notebooks = REPO_ROOT / "tests" / "fixtures" / "notebooks"
    good = self_check(str(notebooks / "churn_solid.ipynb"), challenge, public)
    # Timing against the budgets depends on how busy the host is: not asserted here.
    assert all(check.ok for check in good if check.name != "timing"), good
    names = {check.name for check in good}
    assert "notebook contract" in names and "contract files" not in names
    broken = self_check(str(notebooks / "fails_in_cell_3.ipynb"), challenge, public)
    failed = [check for check in broken if not check.ok]
    assert failed and any("cell 3" in check.detail for check in failed), broken
