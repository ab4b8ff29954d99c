"""The bundled demand-service challenge: spec, reproducible drifted data, the flag column,
calibration on the host, and grading through the real pipeline and sandbox.

The host calibration runs the bundled submissions the way the harness does, minus the
container (tests/challenges/host_run.py), then scores MAE on the valid hidden rows and the
flags against the hidden flag column itself. The Docker test grades them through ``harness.pipeline``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from challenges import messy
from challenges.data import PreparedData
from challenges.loader import Challenge, load_challenge_file
from graders import graders
from graders.base import GradeResult
from harness.result import ResultStatus, SubmissionResult
from sandbox.base import PhaseStatus
from tests.challenges.host_run import HostRun, Score, check_expectations, file_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
CHALLENGE_DIR = REPO_ROOT / "challenges" / "demand-service"
CHURN_FILE = REPO_ROOT / "challenges" / "churn-tabular" / "challenge.yaml"
ID, TARGET, FLAG = "record_id", "units_sold", "is_corrupted"
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d")


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge_file(CHALLENGE_DIR / "challenge.yaml")


# --- spec -----------------------------------------------------------------------------


def test_spec_loads_with_the_agreed_settings(challenge: Challenge) -> None:
    spec = challenge.spec
    assert (spec.id, spec.role) == ("demand-service", "mlops-engineer")
    assert 4 <= spec.time_box_hours <= 6
    assert (spec.task.type, spec.task.metric) == ("regression", "mae")
    assert (spec.task.target_column, spec.task.id_column, spec.task.flag_column) == (
        TARGET,
        ID,
        FLAG,
    )
    # Lower is better: the baseline threshold sits above the target.
    assert spec.thresholds.baseline > spec.thresholds.target
    # Same pins as churn-tabular, so both challenges share one runtime image.
    churn = load_challenge_file(CHURN_FILE)
    assert spec.sandbox.packages == churn.spec.sandbox.packages
    assert {grader.name: grader.weight for grader in spec.graders} == {
        "correctness": 0.35,
        "robustness": 0.25,
        "writeup": 0.2,
        "performance": 0.1,
        "engineering": 0.1,
    }
    robustness = next(grader for grader in spec.graders if grader.name == "robustness")
    declared = {slice_spec.name for slice_spec in spec.slices}
    assert set(robustness.args["drift_slices"]) <= declared
    graders.get("robustness")(**robustness.args)  # the arguments pass the factory's checks
    rubric = {criterion.name: criterion for criterion in spec.rubric}
    assert {"monitoring_plan", "input_validation", "failure_handling", "rollout"} <= set(rubric)
    assert rubric["monitoring_plan"].weight == max(item.weight for item in spec.rubric)
    budgets = spec.budgets
    for name in ("latency_p95_ms", "predict_peak_memory_mb", "model_load_s", "train_wall_s"):
        assert getattr(budgets, name) is not None, name
    for example in spec.examples:
        for name in ("train.py", "predict.py", "WRITEUP.md"):
            assert (challenge.path(example.path) / name).is_file(), f"{example.path}/{name}"
    assert {"clears_target", "below_baseline", "between"} <= {
        example.expect for example in spec.examples
    }


def test_cost_budget_matches_the_latency_and_memory_budgets(
    challenge: Challenge, cost_at_budgets: float
) -> None:
    budgets = challenge.spec.budgets
    assert budgets.latency_p95_ms and budgets.predict_peak_memory_mb
    assert budgets.cost_per_million_predictions_usd == pytest.approx(cost_at_budgets, abs=0.01)


# --- data -----------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(
    prepared: PreparedData, regenerated: PreparedData
) -> None:
    assert file_bytes(regenerated.root) == file_bytes(prepared.root)


def test_other_seed_gives_other_data(prepared: PreparedData, reseeded: PreparedData) -> None:
    for relative in ("public/train.csv", "hidden/labels.csv", "eval_features/features.csv"):
        assert (reseeded.root / relative).read_bytes() != (prepared.root / relative).read_bytes()


def test_public_and_hidden_rows_do_not_overlap(
    train: pd.DataFrame, features: pd.DataFrame, labels: pd.DataFrame
) -> None:
    assert not set(train[ID]) & set(features[ID])
    assert features[ID].is_unique
    assert list(labels.columns) == [ID, TARGET, FLAG]
    assert labels[ID].tolist() == features[ID].tolist()
    assert TARGET not in features.columns
    assert 13000 <= train[ID].nunique() <= 15000
    assert len(features) == 4500


def test_hidden_feed_has_the_recorded_schema_drift(
    train: pd.DataFrame, features: pd.DataFrame, prepared: PreparedData
) -> None:
    card = prepared.data_card()
    drift = card["schema_drift"]
    assert drift["renamed"] == {"promo": "on_promotion", "store_size_sqm": "store_area_sqm"}
    assert list(features.columns) == drift["eval_columns"]
    assert list(train.columns) == drift["train_columns"]
    # Renamed columns are gone under their old names and present under the new ones.
    for old, new in drift["renamed"].items():
        assert old in train.columns and old not in features.columns and new in features.columns
    # Added columns, a changed type and a new order (the id stays first).
    assert {"feed_version", "unit_price"} <= set(features.columns) - set(train.columns)
    assert set(features["on_promotion"].dropna()) == {"Y", "N"}
    assert set(train["promo"].dropna()) == {0, 1}
    shared = [column for column in features.columns if column in train.columns]
    assert shared != [column for column in train.columns if column in shared]
    assert features.columns[0] == ID


def test_flag_column_marks_exactly_the_rows_with_a_defect(
    features: pd.DataFrame, labels: pd.DataFrame, prepared: PreparedData
) -> None:
    """Corrupted rows (flag 1) each have a defect a service can see; valid rows have none."""
    date = pd.Series(pd.NaT, index=features.index, dtype="datetime64[ns]")
    for date_format in DATE_FORMATS:
        date = date.fillna(pd.to_datetime(features["date"], format=date_format, errors="coerce"))
    price_text = features["price"].astype(str).str.replace(r"[$,]", "", regex=True)
    price = pd.to_numeric(price_text.where(features["price"].notna()), errors="coerce")
    price = price.where(features["pos_system"] != "legacy", price / 100)
    defect = (
        features["store_id"].isna()
        | features["product_id"].isna()
        | date.isna()
        | (features["price"].notna() & price.isna())
        | (price <= 0)
        | (price > 100)
    )
    flagged = labels[FLAG].astype(bool)
    assert flagged.sum() == prepared.data_card()["corruption"]["rows"] >= 100
    assert (defect == flagged).all(), (
        f"{int((defect & ~flagged).sum())} valid rows look corrupted, "
        f"{int((~defect & flagged).sum())} corrupted rows look valid"
    )
    # Every corrupted row still has a label: excluding it from the metric is the grader's job.
    assert labels.loc[flagged, TARGET].notna().all()
    slices = prepared.slices()
    assert sorted(slices["corrupted"]) == sorted(labels.loc[flagged, ID])


def test_data_card_records_every_problem_by_split(
    prepared: PreparedData, train: pd.DataFrame, features: pd.DataFrame
) -> None:
    card = prepared.data_card()
    kinds_by_split: dict[str, set[str]] = {}
    for injection in card["injections"]:
        kinds_by_split.setdefault(injection["split"], set()).add(injection["kind"])
        assert injection["rows_affected"] > 0, injection["description"]
    shared = {
        messy.MISSING_MCAR,
        messy.MISSING_DEPENDENT,
        messy.CATEGORY_SPELLING,
        messy.UNIT_MISMATCH,
        messy.MIXED_DATES,
        messy.NUMBERS_AS_TEXT,
        messy.IMPOSSIBLE_VALUES,
    }
    train_only = {messy.OUTLIERS, messy.DUPLICATES_NEAR, messy.DUPLICATES_EXACT}
    eval_only = {messy.SCHEMA_DRIFT, "garbage_values", "missing_key_fields"}
    assert kinds_by_split["train"] == shared | train_only
    assert kinds_by_split["eval"] == shared | eval_only
    assert set(card["kinds"]) == shared | train_only | eval_only
    problems = {problem["kind"]: problem for problem in card["problems"]}
    assert set(problems) == set(card["kinds"])
    assert problems[messy.UNIT_MISMATCH]["columns"] == ["price", "pos_system"]
    assert card["rows"]["train"] == len(train)
    assert card["rows"]["eval"] == len(features)
    corruption = card["corruption"]
    assert sum(corruption["rows_per_kind"].values()) == corruption["rows"]
    assert all(count > 0 for count in corruption["rows_per_kind"].values())
    assert card["flag_column"] == FLAG
    assert set(card["slices"]) == {"corrupted", "drifted_schema_source", "new_store", "promo_days"}


def test_every_declared_slice_is_produced_and_means_what_it_says(
    challenge: Challenge, prepared: PreparedData, train: pd.DataFrame, features: pd.DataFrame
) -> None:
    slices = prepared.slices()
    assert sorted(slices) == sorted(slice_spec.name for slice_spec in challenge.spec.slices)
    eval_ids = set(features[ID])
    for name, ids in slices.items():
        assert len(ids) >= 100, (name, len(ids))
        assert len(set(ids)) == len(ids) and set(ids) <= eval_ids, name
    indexed = features.set_index(ID)
    moved = indexed.loc[slices["drifted_schema_source"]]
    assert (moved["pos_system"] == "nextgen").all() and moved["price"].isna().all()
    assert moved["unit_price"].notna().mean() > 0.9
    assert indexed.loc[indexed["pos_system"] != "nextgen", "unit_price"].isna().all()
    new_stores = set(prepared.data_card()["new_stores"])
    assert len(new_stores) == 3 and not new_stores & set(train["store_id"].dropna())
    assert set(indexed.loc[slices["new_store"], "store_id"].dropna()) == new_stores
    assert set(indexed.loc[slices["promo_days"], "on_promotion"].dropna()) == {"Y"}


def test_the_training_mess_is_really_in_the_file(train: pd.DataFrame) -> None:
    assert train.duplicated().any()
    assert train[ID].duplicated().sum() > train.duplicated().sum()
    price = train["price"].dropna().astype(str)
    assert price.str.startswith("$").any()
    numeric = pd.to_numeric(price.str.replace(r"[$,]", "", regex=True), errors="coerce")
    assert (numeric < 0).any()
    legacy = numeric[train.loc[price.index, "pos_system"] == "legacy"]
    cloud = numeric[train.loc[price.index, "pos_system"] == "cloud"]
    assert legacy.median() > 50 * cloud.median()
    dates = train["date"].astype(str)
    for pattern in (r"^\d{4}-\d{2}-\d{2}$", r"^\d{2}/\d{2}/\d{4}$", r"^\d{2}\.\d{2}\.\d{4}$"):
        assert dates.str.contains(pattern).any(), pattern
    assert train["category"].nunique() > 5 and train["temperature_c"].isna().any()
    assert train[TARGET].max() > 10 * train[TARGET].median()


def test_statement_gives_the_contract_without_the_answers(challenge: Challenge) -> None:
    statement = challenge.statement_text()
    lowered = statement.lower()
    for required in ("monitoring plan", "flagged", '"prediction"', "single-row", "5 hours"):
        assert required.lower() in lowered, required
    for revealing in (
        "on_promotion",
        "store_area_sqm",
        "unit_price",
        "nextgen",
        "feed_version",
        "99999",
        "#value",
        "cents",
        "duplicate",
    ):
        assert revealing not in lowered, revealing


# --- calibration on the host ----------------------------------------------------------


def served_rows(run: HostRun, labels: pd.DataFrame) -> pd.DataFrame:
    """The hidden labels next to a run's predictions, its ``flagged`` column as booleans
    (all False when it flags nothing)."""
    predictions = run.predictions(dtype={ID: str})
    scored = labels.merge(predictions, on=ID, how="left", validate="one_to_one")
    flagged = (
        scored["flagged"].astype(str).str.lower().isin(["1", "true", "1.0"])
        if "flagged" in scored.columns
        else False
    )
    return scored.assign(flagged=flagged)


def mean_absolute_error(run: HostRun, labels: pd.DataFrame) -> Score | None:
    """MAE on the rows the hidden flag column calls valid; None if a phase failed. A valid
    row the service flagged and left without a prediction counts at the median."""
    if run.failed_phase is not None:
        return None
    scored = served_rows(run, labels)
    valid = ~scored[FLAG].astype(bool)
    values = scored.loc[valid, "prediction"].astype(float)
    declined = scored.loc[valid, "flagged"] & values.isna()
    assert values[~declined].notna().all(), f"{run.source.name}: NaN on valid rows"
    values = values.fillna(float(scored.loc[valid, TARGET].median()))
    return Score(float((values - scored.loc[valid, TARGET]).abs().mean()))


def flagged_rows(run: HostRun, labels: pd.DataFrame) -> np.ndarray | None:
    """Which hidden rows a run flagged, in label order; None if a phase failed."""
    if run.failed_phase is not None:
        return None
    return np.asarray(served_rows(run, labels)["flagged"], dtype=bool)


@pytest.fixture(scope="module")
def maes(runs: dict[str, HostRun], labels: pd.DataFrame) -> dict[str, Score | None]:
    return {path: mean_absolute_error(run, labels) for path, run in runs.items()}


@pytest.fixture(scope="module")
def flags(runs: dict[str, HostRun], labels: pd.DataFrame) -> dict[str, np.ndarray | None]:
    return {path: flagged_rows(run, labels) for path, run in runs.items()}


def test_examples_land_where_the_spec_expects(
    challenge: Challenge, runs: dict[str, HostRun], maes: dict[str, Score | None]
) -> None:
    check_expectations(challenge, runs, maes, higher_is_better=False)


def test_flagging_separates_the_examples(
    runs: dict[str, HostRun], flags: dict[str, np.ndarray | None], labels: pd.DataFrame
) -> None:
    should = labels[FLAG].astype(bool).to_numpy()
    reference = flags["solutions/reference"]
    assert reference is not None and (reference == should).all()
    solid = flags["examples/solid"]
    assert solid is not None and not (solid & ~should).any()
    assert 0.5 < (solid & should).sum() / should.sum() < 1.0  # misses the impossible prices
    never = flags["examples/never-flags"]
    assert never is not None and not never.any()
    brittle = runs["examples/brittle"]
    assert brittle.failed_phase == "predict" and re.search(r"KeyError.*promo", brittle.log)


# --- through the real pipeline and sandbox --------------------------------------------


@dataclass(frozen=True)
class Graded:
    challenge: Challenge
    results: dict[str, SubmissionResult]

    def grade(self, name: str, grader: str) -> GradeResult:
        return next(grade for grade in self.results[name].grades if grade.grader == grader)

    def robustness(self, name: str) -> dict[str, float]:
        return {
            criterion.name: criterion.score for criterion in self.grade(name, "robustness").criteria
        }


@pytest.fixture(scope="module")
def graded(docker_sandbox) -> Iterator[Graded]:  # type: ignore[no-untyped-def]
    from harness import pipeline

    # Opening the session generates the data and builds the runtime image if missing.
    session = pipeline.open_session("demand-service")
    try:
        challenge = session.challenge
        # One at a time and without writing reports: the results are what is checked.
        results = {
            name: pipeline.grade_submission(session, str(challenge.path(path)))
            for name, path in (
                ("reference", "solutions/reference"),
                ("baseline", "solutions/baseline"),
                ("brittle", "examples/brittle"),
            )
        }
        yield Graded(challenge, results)
    finally:
        pipeline.close_session(session)


@pytest.mark.docker
def test_reference_clears_the_target_and_flags_every_bad_row(graded: Graded) -> None:
    result = graded.results["reference"]
    assert result.status is ResultStatus.graded, result.message
    mae = result.metrics["mae"]
    assert mae is not None and mae <= graded.challenge.spec.thresholds.target
    scores = graded.robustness("reference")
    assert scores["survives drifted input"] == scores["valid rows predicted"] == 1.0
    assert scores["flagging"] == 1.0 and scores["drift slices"] == 1.0
    assert result.metrics["flag_recall"] == result.metrics["flag_precision"] == 1.0
    rubric = {item["name"]: item for item in graded.grade("reference", "writeup").details["rubric"]}
    assert rubric["monitoring_plan"]["score"] >= 0.8, rubric["monitoring_plan"]


@pytest.mark.docker
def test_baseline_stays_above_the_baseline_threshold_and_never_flags(graded: Graded) -> None:
    result = graded.results["baseline"]
    assert result.status is ResultStatus.graded, result.message
    mae = result.metrics["mae"]
    assert mae is not None and mae >= graded.challenge.spec.thresholds.baseline
    scores = graded.robustness("baseline")
    assert scores["survives drifted input"] == 1.0 and scores["flagging"] == 0.0
    flags = graded.grade("baseline", "robustness").flags
    assert any("no bad row was flagged" in flag for flag in flags), flags


@pytest.mark.docker
def test_brittle_service_crashes_on_the_renamed_column(graded: Graded) -> None:
    result = graded.results["brittle"]
    assert result.status is ResultStatus.failed
    phases = {phase.name: phase for phase in result.phases}
    assert phases["train"].status is PhaseStatus.ok
    assert phases["predict"].status is PhaseStatus.error
    robustness = graded.grade("brittle", "robustness")
    assert robustness.score == 0.0
    assert "promo" in robustness.summary and robustness.flags
