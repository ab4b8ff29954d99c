"""The bundled support-ticket-triage challenge: spec, reproducible data, and calibrated
thresholds.

The calibration tests run the bundled solutions and examples the way the harness does, on
the host and without Docker (tests/challenges/host_run.py), then score macro F1 against the
hidden labels themselves. The Docker test at the end grades the reference and the naive example in the real
sandbox with every grader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import f1_score

from challenges import messy
from challenges.data import GeneratedData, PreparedData
from challenges.loader import Challenge, load_challenge_file
from tests.challenges.host_run import HostRun, Score, check_expectations, file_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
CHALLENGE_DIR = REPO_ROOT / "challenges" / "support-ticket-triage"
ID, TARGET = "ticket_id", "team"
TEAMS = {
    "billing",
    "account_access",
    "bug_report",
    "feature_request",
    "cancellation",
    "data_privacy",
    "integrations",
}
REFERENCE_MARGIN = 0.02


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge_file(CHALLENGE_DIR / "challenge.yaml")


def test_spec_loads_with_the_agreed_settings(challenge: Challenge) -> None:
    spec = challenge.spec
    assert (spec.id, spec.role, spec.time_box_hours) == (
        "support-ticket-triage",
        "llm-engineer",
        4,
    )
    assert (spec.task.type, spec.task.metric) == ("multiclass_classification", "macro_f1")
    assert (spec.task.target_column, spec.task.id_column) == (TARGET, ID)
    assert spec.sandbox.packages == ["numpy==2.3.5", "pandas==2.3.3", "scikit-learn==1.7.2"]
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
    assert {example.expect for example in spec.examples} >= {
        "clears_target",
        "below_baseline",
        "between",
        "train_error",
    }
    assert [slice_spec.name for slice_spec in spec.slices] == [
        "unseen_language",
        "quoted_thread",
        "short_chat",
        "instructions_in_text",
    ]


def test_cost_budget_matches_the_latency_and_memory_budgets(
    challenge: Challenge, cost_at_budgets: float
) -> None:
    """The cost budgets are what graders/measure.py charges at the time and memory budgets."""
    budgets, prices = challenge.spec.budgets, challenge.spec.cost_model
    assert budgets.cost_per_million_predictions_usd == pytest.approx(cost_at_budgets, abs=0.01)
    assert budgets.train_wall_s is not None and budgets.train_peak_memory_mb is not None
    train_hours = budgets.train_wall_s / 3600
    train_cost = train_hours * (
        prices.cpu_hour_usd + budgets.train_peak_memory_mb / 1024 * prices.gb_hour_usd
    )
    assert budgets.training_cost_usd == pytest.approx(train_cost, rel=0.05)


def test_same_seed_gives_byte_identical_files(
    prepared: PreparedData, regenerated: PreparedData
) -> None:
    assert file_bytes(regenerated.root) == file_bytes(prepared.root)


def test_other_seed_gives_other_data(prepared: PreparedData, reseeded: PreparedData) -> None:
    assert (reseeded.public_dir / "train.csv").read_bytes() != (
        prepared.public_dir / "train.csv"
    ).read_bytes()
    assert reseeded.labels_file.read_bytes() != prepared.labels_file.read_bytes()


def test_splits_are_disjoint_and_hide_the_target(
    prepared: PreparedData, train: pd.DataFrame, features: pd.DataFrame
) -> None:
    labels = pd.read_csv(prepared.labels_file, dtype={ID: str})
    assert list(train.columns) == [
        ID,
        "created_at",
        "channel",
        "customer_plan",
        "subject",
        "message",
        "first_reply_macro",
        TARGET,
    ]
    assert list(features.columns) == [column for column in train.columns if column != TARGET]
    assert list(labels.columns) == [ID, TARGET]
    assert not set(train[ID]) & set(features[ID])
    assert features[ID].is_unique and set(features[ID]) == set(labels[ID])
    assert set(train[TARGET]) == set(labels[TARGET]) == TEAMS
    assert 6000 <= train[ID].nunique() <= 7000
    assert len(features) == 3000
    # Short chat messages repeat ("locked out"); longer hidden messages are new text.
    long_messages = features["message"][features["message"].str.split().str.len() > 12]
    repeated = long_messages.isin(set(train["message"].str.strip()))
    assert repeated.mean() < 0.02, long_messages[repeated].head()


def test_no_hidden_ticket_is_in_the_public_data(
    challenge: Challenge, prepared: PreparedData, train: pd.DataFrame, features: pd.DataFrame
) -> None:
    from harness.authoring import check_no_overlap

    result = check_no_overlap(prepared, challenge.spec.task)
    assert result.ok, result.detail

    # The hidden tickets are the latest month: every date is later than every public one.
    assert features["created_at"].notna().all()
    assert parse_created_at(features).min() > parse_created_at(train).max()


def parse_created_at(frame: pd.DataFrame) -> pd.Series:
    """The three formats of ``created_at``; the separators tell US and European order apart."""
    values = frame["created_at"].dropna()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for date_format in ("%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M"):
        parsed = parsed.fillna(pd.to_datetime(values, format=date_format, errors="coerce"))
    assert parsed.notna().all(), values[parsed.isna()].head()
    return parsed


TRAIN_ONLY = {
    messy.DUPLICATES_EXACT,
    messy.DUPLICATES_NEAR,
    messy.LABEL_NOISE,
    messy.CLASS_IMBALANCE,
}
EVAL_ONLY = {messy.DRIFT}
TEXT_KINDS = {"html", "boilerplate", "typos"}
COLUMN_KINDS = {
    messy.MISSING_MCAR,
    messy.MISSING_DEPENDENT,
    messy.CATEGORY_SPELLING,
    messy.MIXED_DATES,
    messy.TARGET_LEAKAGE,
}


def test_data_card_lists_every_injected_kind_by_split(
    prepared: PreparedData, train: pd.DataFrame
) -> None:
    card = json.loads(prepared.data_card_file.read_text())
    kinds_by_split: dict[str, set[str]] = {}
    for injection in card["injections"]:
        kinds_by_split.setdefault(injection["split"], set()).add(injection["kind"])
        assert injection["rows_affected"] > 0, injection["description"]
    assert kinds_by_split["train"] == TEXT_KINDS | COLUMN_KINDS | TRAIN_ONLY
    assert kinds_by_split["eval"] == TEXT_KINDS | COLUMN_KINDS | EVAL_ONLY
    assert card["leakage_column"] == "first_reply_macro" and card["unseen_language"] == "pt"
    assert card["rows"]["train"] == len(train)
    assert card["rows"]["eval"] == len(pd.read_csv(prepared.labels_file))
    assert card["team_share"]["train"]["data_privacy"] < 0.04
    assert card["team_share"]["eval"]["data_privacy"] > 0.04
    leaks = {
        item["split"]: item["params"]["informative"]
        for item in card["injections"]
        if item["kind"] == messy.TARGET_LEAKAGE
    }
    assert leaks == {"train": True, "eval": False}


def test_every_declared_slice_is_produced_with_enough_hidden_rows(
    challenge: Challenge, generated: GeneratedData, prepared: PreparedData, features: pd.DataFrame
) -> None:
    declared = [slice_spec.name for slice_spec in challenge.spec.slices]
    slices = prepared.slices()
    assert sorted(slices) == sorted(declared) == sorted(generated.eval_slices)
    for name, ids in slices.items():
        assert len(ids) >= 100, (name, len(ids))
        assert len(set(ids)) == len(ids) and set(ids) <= set(features[ID]), name
    messages = features.set_index(ID)["message"]
    quoted = messages.loc[slices["quoted_thread"]]
    assert quoted.str.contains(r"\n> ").all()
    short = messages.loc[slices["short_chat"]]
    assert (short.str.split().str.len() <= 8).all()
    instructed = messages.loc[slices["instructions_in_text"]]
    pattern = r"triage bot|previous instructions|SYSTEM:|auto-tag"
    assert instructed.str.contains(pattern, case=False).all()
    portuguese = messages.loc[slices["unseen_language"]]
    words = (
        r"\b(?:não|nosso|nossa|conta|fatura|dados|olá|obrigado|atenciosamente|cumprimentos|"
        r"erro|página|podem|seria|queremos|fomos|integração|pagamento|código|aplicação)\b"
    )
    assert portuguese.str.contains(words, case=False).mean() > 0.9


def test_the_language_of_the_unseen_slice_never_appears_in_train(train: pd.DataFrame) -> None:
    portuguese_only = r"\b(?:Olá|Obrigado|Atenciosamente|Cumprimentos|não consigo|fatura)\b"
    assert not train["message"].str.contains(portuguese_only).any()


def test_the_leakage_column_gives_the_team_away_in_train_only(
    train: pd.DataFrame, features: pd.DataFrame
) -> None:
    filled = train.dropna(subset=["first_reply_macro"])
    purity = filled.groupby("first_reply_macro")[TARGET].agg(
        lambda teams: teams.value_counts(normalize=True).iloc[0]
    )
    assert len(filled) > 0.8 * len(train) and purity.min() >= 0.75
    assert features["first_reply_macro"].isna().all()


def test_the_mess_is_really_in_the_files(train: pd.DataFrame, features: pd.DataFrame) -> None:
    for frame in (train, features):
        messages = frame["message"]
        assert messages.str.contains(r"<p>|<br>").any()
        assert messages.str.contains(r"&#39;|&amp;").any()
        assert messages.str.contains("CONFIDENTIALITY NOTICE").any()
        assert messages.str.contains(r"^On .* wrote:$", flags=re.M).any()
        assert messages.str.contains("Sent from my iPhone").any()
        assert frame["channel"].nunique() > 3  # respellings
        assert frame["subject"].isna().any() and frame["customer_plan"].isna().any()
        dates = frame["created_at"].dropna()
        for pattern in (r"^\d{4}-\d{2}-\d{2} ", r"^\d{2}/\d{2}/\d{4} ", r"^\d{2}\.\d{2}\.\d{4} "):
            assert dates.str.contains(pattern).any(), pattern
    assert train.duplicated().any()
    assert train[ID].duplicated().sum() > train.duplicated().sum()  # near copies


def test_statement_does_not_reveal_the_injected_problems(challenge: Challenge) -> None:
    statement = challenge.statement_text().lower()
    assert "real-world messy" in statement
    for revealing in (
        "duplicate",
        "html",
        "signature",
        "disclaimer",
        "quoted",
        "typo",
        "leak",
        "macro is",
        "portuguese",
        "drift",
        "ignore previous",
        "mislabel",
    ):
        assert revealing not in statement, revealing


# --- calibration ----------------------------------------------------------------------


def macro_f1(run: HostRun, labels: pd.DataFrame, slices: dict[str, list[str]]) -> Score | None:
    """Macro F1 of the predicted teams against the hidden labels, overall and per slice;
    None if a phase failed."""
    if run.failed_phase is not None:
        return None
    predictions = run.predictions(dtype={ID: str, "prediction": str})
    scored = labels.merge(predictions, on=ID, how="left", validate="one_to_one")
    name = run.source.name
    assert scored["prediction"].notna().all(), f"{name}: predictions missing for some ids"
    assert set(scored["prediction"]) <= TEAMS, f"{name}: predicted an unknown team"
    by_slice = {}
    for slice_name, ids in slices.items():
        part = scored[scored[ID].isin(ids)]
        by_slice[slice_name] = float(f1_score(part[TARGET], part["prediction"], average="macro"))
    overall = float(f1_score(scored[TARGET], scored["prediction"], average="macro"))
    return Score(overall, by_slice)


@pytest.fixture(scope="module")
def scores(
    runs: dict[str, HostRun], labels: pd.DataFrame, prepared: PreparedData
) -> dict[str, Score | None]:
    slices = prepared.slices()
    return {path: macro_f1(run, labels, slices) for path, run in runs.items()}


def test_examples_land_where_the_spec_expects(
    challenge: Challenge, runs: dict[str, HostRun], scores: dict[str, Score | None]
) -> None:
    check_expectations(challenge, runs, scores, higher_is_better=True, error_mentions="KeyError")


def test_the_ladder_reference_then_solid_then_naive_then_baseline(
    challenge: Challenge, scores: dict[str, Score | None]
) -> None:
    ladder = {
        name: scores[path]
        for name, path in (
            ("reference", "solutions/reference"),
            ("solid", "examples/solid"),
            ("naive", "examples/naive"),
            ("baseline", "solutions/baseline"),
        )
    }
    values = {name: None if score is None else score.value for name, score in ladder.items()}
    assert None not in values.values(), values
    reference, solid, naive, trivial = (float(value or 0.0) for value in values.values())
    assert reference >= challenge.spec.thresholds.target + REFERENCE_MARGIN, values
    assert reference > solid > naive > trivial, values


def test_cleaning_pays_off_on_the_slices_it_targets(scores: dict[str, Score | None]) -> None:
    """The reference's text cleaning, not luck, is what separates it from the raw models."""
    reference, solid = scores["solutions/reference"], scores["examples/solid"]
    naive = scores["examples/naive"]
    assert reference is not None and solid is not None and naive is not None
    for name in ("quoted_thread", "instructions_in_text"):
        assert reference.slices[name] > solid.slices[name] + 0.1, (name, reference, solid)
        assert reference.slices[name] > naive.slices[name] + 0.1, (name, reference, naive)
    # Character n-grams carry over from Spanish to the unseen Portuguese tickets.
    assert reference.slices["unseen_language"] > solid.slices["unseen_language"], reference


# --- the real sandbox -------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(  # type: ignore[no-untyped-def]
    docker_sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
    from harness import pipeline

    session = pipeline.open_session("support-ticket-triage")
    pipeline.ensure_image(docker_sandbox, session.challenge, progress=lambda message: None)
    try:
        sources = {
            "reference": str(CHALLENGE_DIR / "solutions" / "reference"),
            "naive": str(CHALLENGE_DIR / "examples" / "naive"),
        }
        results = pipeline.grade_batch(
            session, list(sources.values()), tmp_path_factory.mktemp("graded")
        )
        by_source = {result.submission.source: result for result in results}
        yield {name: by_source[source] for name, source in sources.items()}
    finally:
        pipeline.close_session(session)


@pytest.mark.docker
def test_the_sandbox_grades_the_reference_above_the_naive_example(
    graded: dict[str, object], challenge: Challenge
) -> None:
    from harness.result import ResultStatus, SubmissionResult

    reference, naive = graded["reference"], graded["naive"]
    assert isinstance(reference, SubmissionResult) and isinstance(naive, SubmissionResult)
    assert reference.status is ResultStatus.graded, reference.message
    assert naive.status is ResultStatus.graded, naive.message
    value = reference.metrics["macro_f1"]
    assert value is not None and value >= challenge.spec.thresholds.target
    naive_value = naive.metrics["macro_f1"]
    assert naive_value is not None and naive_value < value
    assert reference.total_score > naive.total_score
    grades = {grade.grader: grade for grade in reference.grades}
    assert set(grades) == {"correctness", "writeup", "performance", "engineering"}
    # The reference's writeup names the injected problems; the naive one falls for the leak.
    assert (
        grades["writeup"].score > {grade.grader: grade for grade in naive.grades}["writeup"].score
    )
