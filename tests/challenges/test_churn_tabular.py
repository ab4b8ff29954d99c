"""The bundled churn-tabular challenge: spec, reproducible data, and calibrated thresholds.

The calibration test runs the bundled solutions and examples the way the harness does, on the
host and without Docker (tests/challenges/host_run.py), then scores ROC AUC against the hidden
labels itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from challenges import messy
from challenges.data import GeneratedData, PreparedData
from challenges.loader import Challenge, load_challenge_file
from tests.challenges.host_run import HostRun, Score, check_expectations, file_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
CHALLENGE_FILE = REPO_ROOT / "challenges" / "churn-tabular" / "challenge.yaml"
REFERENCE_MARGIN = 0.02


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge_file(CHALLENGE_FILE)


def test_spec_loads_with_the_agreed_settings(challenge: Challenge) -> None:
    spec = challenge.spec
    assert (spec.id, spec.version, spec.role, spec.time_box_hours) == (
        "churn-tabular",
        "1.1.0",
        "ml-engineer",
        4,
    )
    assert (spec.task.type, spec.task.metric) == ("binary_classification", "roc_auc")
    assert (spec.task.target_column, spec.task.id_column) == ("churned", "customer_id")
    assert spec.sandbox.packages == ["numpy==2.3.5", "pandas==2.3.3", "scikit-learn==1.7.2"]
    assert spec.limits.train.wall_time_s == 300 and spec.limits.train.memory_mb == 1536
    assert spec.limits.predict.wall_time_s == 180 and spec.limits.predict.memory_mb == 1024
    assert spec.thresholds.baseline < spec.thresholds.target
    assert [grader.name for grader in spec.graders] == [
        "correctness",
        "writeup",
        "performance",
        "engineering",
    ]
    for example in spec.examples:
        directory = challenge.path(example.path)
        for name in ("train.py", "predict.py", "WRITEUP.md"):
            assert (directory / name).is_file(), f"{example.path}/{name} is missing"
    expectations = {example.expect for example in spec.examples}
    assert {"clears_target", "below_baseline", "between", "train_error"} <= expectations
    assert [slice_spec.name for slice_spec in spec.slices] == [
        "unseen_category",
        "drifted",
        "heavy_missing",
        "corrupted",
    ]
    budgets = spec.budgets
    assert budgets.latency_p95_ms == 50 and budgets.predict_peak_memory_mb is not None
    assert budgets.train_wall_s is not None and budgets.model_load_s is not None
    assert (spec.cost_model.cpu_hour_usd, spec.cost_model.gb_hour_usd) == (0.048, 0.006)


def test_cost_budget_matches_the_latency_and_memory_budgets(
    challenge: Challenge, cost_at_budgets: float
) -> None:
    """The cost budget is what graders/measure.py charges at the latency and memory budgets."""
    budgets = challenge.spec.budgets
    assert budgets.cost_per_million_predictions_usd == pytest.approx(cost_at_budgets, abs=0.01)


def test_same_seed_gives_byte_identical_files(
    prepared: PreparedData, regenerated: PreparedData
) -> None:
    assert file_bytes(regenerated.root) == file_bytes(prepared.root)


def test_other_seed_gives_other_data(prepared: PreparedData, reseeded: PreparedData) -> None:
    assert (reseeded.public_dir / "train.csv").read_bytes() != (
        prepared.public_dir / "train.csv"
    ).read_bytes()
    assert reseeded.labels_file.read_bytes() != prepared.labels_file.read_bytes()


def test_splits_are_disjoint_and_hide_the_target(prepared: PreparedData) -> None:
    train = pd.read_csv(prepared.public_dir / "train.csv")
    features = pd.read_csv(prepared.eval_features_file)
    labels = pd.read_csv(prepared.labels_file)
    assert "churned" in train.columns
    assert "churned" not in features.columns
    assert list(labels.columns) == ["customer_id", "churned"]
    # Schema drift is deliberately not part of this challenge: the hidden columns are the
    # training columns in the same order.
    assert list(features.columns) == [column for column in train.columns if column != "churned"]
    assert not set(train["customer_id"]) & set(features["customer_id"])
    assert features["customer_id"].is_unique
    assert set(features["customer_id"]) == set(labels["customer_id"])
    assert 5000 <= train["customer_id"].nunique() <= 6500
    assert 2500 <= len(features) <= 3500


TRAIN_ONLY = {
    messy.DUPLICATES_EXACT,
    messy.DUPLICATES_NEAR,
    messy.LABEL_NOISE,
    messy.CLASS_IMBALANCE,
}
EVAL_ONLY = {messy.DRIFT}
NOT_USED = {messy.SCHEMA_DRIFT}  # it would break the predict contract; see generate.py


def test_data_card_lists_every_injected_kind_by_split(prepared: PreparedData) -> None:
    card = json.loads(prepared.data_card_file.read_text())
    kinds_by_split: dict[str, set[str]] = {}
    for injection in card["injections"]:
        kinds_by_split.setdefault(injection["split"], set()).add(injection["kind"])
        assert injection["rows_affected"] > 0, injection["description"]
    assert kinds_by_split["train"] == set(messy.KINDS) - EVAL_ONLY - NOT_USED
    assert kinds_by_split["eval"] == set(messy.KINDS) - TRAIN_ONLY - NOT_USED
    assert set(card["kinds"]) == set(messy.KINDS) - NOT_USED
    assert "schema_drift" in card and card["leakage_column"] == "cancellation_ticket_open"
    train = pd.read_csv(prepared.public_dir / "train.csv")
    assert card["rows"]["train"] == len(train)
    assert card["rows"]["eval"] == len(pd.read_csv(prepared.labels_file))
    assert 0.1 < card["churn_rate"]["train"] < 0.4


def test_data_card_summarises_problems_per_kind(prepared: PreparedData) -> None:
    card = json.loads(prepared.data_card_file.read_text())
    problems = {problem["kind"]: problem for problem in card["problems"]}
    assert set(problems) == set(card["kinds"])
    for kind, problem in problems.items():
        injections = [item for item in card["injections"] if item["kind"] == kind]
        assert problem["splits"] == list(dict.fromkeys(item["split"] for item in injections))
        assert problem["injections"] == len(injections)
        for split in problem["splits"]:
            assert problem["rows_affected"][split] == sum(
                item["rows_affected"] for item in injections if item["split"] == split
            )
    assert problems[messy.UNIT_MISMATCH]["columns"] == ["monthly_spend", "billing_system"]
    assert problems[messy.MIXED_DATES]["columns"] == ["signup_date"]
    assert problems[messy.NUMBERS_AS_TEXT]["columns"] == ["monthly_spend"]
    assert problems[messy.TARGET_LEAKAGE]["splits"] == ["train", "eval"]
    eval_leak = next(
        item
        for item in card["injections"]
        if item["kind"] == messy.TARGET_LEAKAGE and item["split"] == "eval"
    )
    assert eval_leak["params"]["informative"] is False


def test_every_declared_slice_is_produced_with_enough_hidden_rows(
    challenge: Challenge, generated: GeneratedData, prepared: PreparedData
) -> None:
    declared = [slice_spec.name for slice_spec in challenge.spec.slices]
    slices = prepared.slices()
    assert sorted(slices) == sorted(declared) == sorted(generated.eval_slices)
    eval_ids = set(pd.read_csv(prepared.eval_features_file, dtype=str)["customer_id"])
    for name, ids in slices.items():
        assert len(ids) >= 100, (name, len(ids))
        assert len(set(ids)) == len(ids), name
        assert set(ids) <= eval_ids, name
        assert all(isinstance(identifier, str) for identifier in ids), name
    features = pd.read_csv(prepared.eval_features_file, dtype={"customer_id": str})
    features = features.set_index("customer_id")
    heavy = features.loc[slices["heavy_missing"]].drop(columns=["billing_system"])
    assert (heavy.isna().sum(axis=1) >= 3).all()
    regions = features.loc[slices["unseen_category"], "region"].dropna()
    assert (regions == "ANZ").all()
    train = pd.read_csv(prepared.public_dir / "train.csv")
    assert "ANZ" not in set(train["region"].dropna().str.strip().str.upper())


def test_the_leakage_column_is_informative_in_train_only(prepared: PreparedData) -> None:
    train = pd.read_csv(prepared.public_dir / "train.csv")
    features = pd.read_csv(prepared.eval_features_file)
    by_flag = train.groupby("cancellation_ticket_open")["churned"].mean()
    assert by_flag[1] > 0.6 > 0.15 > by_flag[0]
    assert (features["cancellation_ticket_open"] == 0).all()


def test_the_mess_is_really_in_the_files(prepared: PreparedData) -> None:
    train = pd.read_csv(prepared.public_dir / "train.csv")
    features = pd.read_csv(prepared.eval_features_file)
    for frame in (train, features):
        assert frame["plan"].nunique() > 3  # respellings
        assert frame["satisfaction_score"].isna().any()
        assert (frame["tenure_months"] < 0).any()
        assert (frame["last_login_days"] == 99999).any()
        spend = frame["monthly_spend"].dropna().astype(str)
        assert spend.str.contains(",").any() and spend.str.startswith("$").any()
        dates = frame["signup_date"].dropna()
        for pattern in (r"^\d{4}-\d{2}-\d{2}$", r"^\d{2}/\d{2}/\d{4}$", r"[+-]\d{2}:\d{2}$"):
            assert dates.str.contains(pattern).any(), pattern
        assert set(frame["billing_system"]) == {"v1", "v2"}
    assert train.duplicated().any()
    assert train["customer_id"].duplicated().sum() > train.duplicated().sum()  # near copies


def test_statement_does_not_reveal_the_injected_problems(challenge: Challenge) -> None:
    statement = challenge.statement_text().lower()
    assert "real-world messy" in statement
    for revealing in (
        "99999",
        "duplicate",
        "cents",
        "enterprize",
        "sentinel",
        "outlier",
        "leak",
        "thousands",
        "time zone",
        "anz",
        "drift",
    ):
        assert revealing not in statement, revealing


# --- calibration ----------------------------------------------------------------------


def roc_auc(run: HostRun, labels: pd.DataFrame) -> Score | None:
    """ROC AUC of a run's probabilities against the hidden labels; None if a phase failed."""
    if run.failed_phase is not None:
        return None
    predictions = run.predictions(dtype={"customer_id": str})
    scored = labels.merge(predictions, on="customer_id", how="left", validate="one_to_one")
    name = run.source.name
    assert scored["prediction"].notna().all(), f"{name}: predictions missing for some ids"
    assert scored["prediction"].between(0, 1).all(), f"{name}: not probabilities"
    return Score(float(roc_auc_score(scored["churned"], scored["prediction"])))


@pytest.fixture(scope="module")
def aucs(runs: dict[str, HostRun], labels: pd.DataFrame) -> dict[str, Score | None]:
    return {path: roc_auc(run, labels) for path, run in runs.items()}


def test_examples_land_where_the_spec_expects(
    challenge: Challenge, runs: dict[str, HostRun], aucs: dict[str, Score | None]
) -> None:
    check_expectations(challenge, runs, aucs, higher_is_better=True, error_mentions="Traceback")


def test_reference_clears_the_target_with_margin_and_naive_sits_between(
    challenge: Challenge, aucs: dict[str, Score | None]
) -> None:
    baseline, target = challenge.spec.thresholds.baseline, challenge.spec.thresholds.target
    auc = {path: None if score is None else score.value for path, score in aucs.items()}
    reference = auc["solutions/reference"]
    trivial = auc["solutions/baseline"]
    naive = auc["examples/naive"]
    assert reference is not None and trivial is not None and naive is not None
    assert reference >= target + REFERENCE_MARGIN, reference
    assert trivial < baseline, trivial
    assert baseline < naive < target, naive
    solid = auc["examples/solid"]
    assert solid is not None and solid >= target - 0.01, solid
