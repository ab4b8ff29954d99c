"""The bundled kb-retrieval challenge: spec, reproducible knowledge base and questions,
calibrated thresholds.

The calibration tests run the bundled solutions and examples the way the harness does:
on the host (tests/challenges/host_run.py, then MRR@10 from the metric catalogue) for every
example, and through the real pipeline and Docker sandbox for the reference and the baseline.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from challenges import messy
from challenges.data import PreparedData
from challenges.loader import Challenge, load_challenge_file
from graders.metrics import get_metric
from tests.challenges.host_run import HostRun, Score, check_expectations, file_bytes, run_on_host

REPO_ROOT = Path(__file__).resolve().parents[2]
CHALLENGE_DIR = REPO_ROOT / "challenges" / "kb-retrieval"
CHALLENGE_FILE = CHALLENGE_DIR / "challenge.yaml"
REFERENCE_MARGIN = 0.04
KB_KINDS = {
    "outdated",
    "stub",
    messy.DUPLICATES_NEAR,
    messy.DUPLICATES_EXACT,
    "boilerplate",
    "html",
    messy.CATEGORY_SPELLING,
}
QUESTION_KINDS = {"typo"}


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    return load_challenge_file(CHALLENGE_FILE)


@pytest.fixture(scope="module")
def card(prepared: PreparedData) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(prepared.data_card_file.read_text())
    return loaded


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


BOILERPLATE_LINE = re.compile(
    r"^\s*(?:We use cookies|Home > Help Center|Was this article helpful|Related articles:)"
)


def content_words(body: str) -> int:
    """Words of an article body once tags, entities and boilerplate lines are gone."""
    text = html.unescape(re.sub(r"<[^>]+>", "\n", body)).replace("\xa0", " ")
    lines = [line for line in text.splitlines() if not BOILERPLATE_LINE.match(line)]
    return len(" ".join(lines).split())


def injected_ids(card: dict[str, Any], kind: str) -> set[str]:
    injections = card["injections"]
    assert isinstance(injections, list)
    return {
        identifier
        for injection in injections
        if injection["kind"] == kind
        for identifier in injection["params"].get("article_ids", [])
    }


def test_spec_loads_with_the_agreed_settings(challenge: Challenge) -> None:
    spec = challenge.spec
    assert (spec.id, spec.role, spec.time_box_hours) == ("kb-retrieval", "llm-engineer", 5)
    assert (spec.task.type, spec.task.metric) == ("ranking", "mrr")
    assert (spec.task.target_column, spec.task.id_column) == ("relevant_ids", "query_id")
    churn = load_challenge_file(REPO_ROOT / "challenges" / "churn-tabular" / "challenge.yaml")
    assert spec.sandbox.packages == churn.spec.sandbox.packages  # one shared runtime image
    assert spec.thresholds.baseline < spec.thresholds.target
    assert [grader.name for grader in spec.graders] == [
        "correctness",
        "writeup",
        "performance",
        "engineering",
    ]
    rubric = [criterion.name for criterion in spec.rubric]
    assert {"data_problems", "evaluation", "versions_and_duplicates", "next_steps"} <= set(rubric)
    for example in spec.examples:
        directory = challenge.path(example.path)
        for name in ("train.py", "predict.py", "WRITEUP.md"):
            assert (directory / name).is_file(), f"{example.path}/{name} is missing"
    expectations = {example.expect for example in spec.examples}
    assert {"clears_target", "below_baseline", "between"} <= expectations
    assert [slice_spec.name for slice_spec in spec.slices] == [
        "typo_queries",
        "outdated_trap",
        "duplicate_targets",
        "unseen_topics",
    ]
    budgets = spec.budgets
    assert budgets.latency_p95_ms is not None and budgets.predict_peak_memory_mb is not None
    assert budgets.model_load_s is not None and budgets.train_wall_s is not None
    assert (CHALLENGE_DIR / "starter" / "train.py").is_file()
    assert (CHALLENGE_DIR / "starter" / "predict.py").is_file()


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
    for name in ("articles.csv", "train_queries.csv"):
        assert (reseeded.public_dir / name).read_bytes() != (
            prepared.public_dir / name
        ).read_bytes()
    assert reseeded.labels_file.read_bytes() != prepared.labels_file.read_bytes()


def test_public_and_hidden_questions_do_not_overlap(prepared: PreparedData) -> None:
    train = read(prepared.public_dir / "train_queries.csv")
    features = read(prepared.eval_features_file)
    labels = read(prepared.labels_file)
    assert list(train.columns) == ["query_id", "query", "relevant_ids"]
    assert list(features.columns) == ["query_id", "query"]
    assert list(labels.columns) == ["query_id", "relevant_ids"]
    assert sorted(path.name for path in prepared.public_dir.iterdir()) == [
        "articles.csv",
        "train_queries.csv",
    ]
    assert not set(train["query_id"]) & set(features["query_id"])
    normalised = {text.lower().strip(" ?!.") for text in train["query"]}
    assert not normalised & {text.lower().strip(" ?!.") for text in features["query"]}
    assert train["query_id"].is_unique and features["query_id"].is_unique
    assert set(features["query_id"]) == set(labels["query_id"])
    assert 800 <= len(train) <= 1000 and 800 <= len(features) <= 1000


def test_relevant_ids_are_current_articles_and_their_copies(
    prepared: PreparedData, card: dict[str, Any]
) -> None:
    articles = read(prepared.public_dir / "articles.csv")
    assert articles["article_id"].is_unique
    assert not articles["article_id"].str.contains(r"\s").any()
    known = set(articles["article_id"])
    never_relevant = injected_ids(card, "outdated") | injected_ids(card, "stub")
    for frame in (read(prepared.public_dir / "train_queries.csv"), read(prepared.labels_file)):
        relevant = frame["relevant_ids"].str.split()
        assert relevant.map(len).between(1, 3).all()
        ids = {identifier for row in relevant for identifier in row}
        assert ids <= known
        assert not ids & never_relevant
    # Copies of the current article are relevant next to it.
    copies = injected_ids(card, messy.DUPLICATES_NEAR)
    labelled = {
        identifier
        for row in read(prepared.labels_file)["relevant_ids"]
        for identifier in row.split()
    }
    assert copies & labelled


def test_data_card_lists_every_injected_kind_with_counts(
    prepared: PreparedData, card: dict[str, Any]
) -> None:
    injections = card["injections"]
    assert isinstance(injections, list)
    kinds_by_split: dict[str, set[str]] = {}
    for injection in injections:
        kinds_by_split.setdefault(injection["split"], set()).add(injection["kind"])
        assert injection["rows_affected"] > 0, injection["description"]
        assert injection["columns"], injection["description"]
        if injection["kind"] in KB_KINDS:
            assert injection["params"]["file"] == "articles.csv"
            assert len(injection["params"]["article_ids"]) == injection["rows_affected"]
        else:
            assert len(injection["params"]["query_ids"]) == injection["rows_affected"]
    assert kinds_by_split == {"train": KB_KINDS | QUESTION_KINDS, "eval": QUESTION_KINDS}
    assert set(card["kinds"]) == KB_KINDS | QUESTION_KINDS
    problems = {problem["kind"]: problem for problem in card["problems"]}
    assert set(problems) == KB_KINDS | QUESTION_KINDS
    articles = read(prepared.public_dir / "articles.csv")
    assert card["rows"] == {
        "articles": len(articles),
        "topics": card["rows"]["topics"],
        "train_queries": len(read(prepared.public_dir / "train_queries.csv")),
        "eval_queries": len(read(prepared.labels_file)),
    }
    for kind in KB_KINDS:
        assert injected_ids(card, kind) <= set(articles["article_id"]), kind


def test_the_mess_is_really_in_the_files(prepared: PreparedData, card: dict[str, Any]) -> None:
    articles = read(prepared.public_dir / "articles.csv").set_index("article_id")
    bodies = articles["body"]
    assert bodies.str.contains(r"<p>|<div", regex=True).sum() > 50
    assert bodies.str.contains("&gt;|&amp;|&nbsp;", regex=True).any()
    for boilerplate in ("We use cookies", "Was this article helpful?", "Related articles:"):
        assert bodies.str.contains(boilerplate, regex=False).sum() > 10, boilerplate
    stubs = articles.loc[sorted(injected_ids(card, "stub"))]
    words = stubs["body"].map(content_words)
    assert (words <= 8).all() and (words == 0).any()
    assert (articles["body"].map(content_words) > 30).sum() > len(articles) / 2
    # Each outdated version shares its title with a newer article.
    keys = articles["title"].str.lower().str.split().str.join(" ").str.replace("[archived] ", "")
    dates = pd.to_datetime(articles["updated_at"])
    for identifier in injected_ids(card, "outdated"):
        family = keys[keys == keys[identifier]].index.difference([identifier])
        assert (dates[family] > dates[identifier]).any(), identifier
    exact = articles.loc[sorted(injected_ids(card, messy.DUPLICATES_EXACT))]
    assert all(
        (articles.drop(index=identifier) == exact.loc[identifier]).all(axis=1).any()
        for identifier in exact.index
    )
    assert articles["product_area"].nunique() > 10  # respelled areas
    assert (articles["title"] != articles["title"].str.strip()).any()
    train = read(prepared.public_dir / "train_queries.csv")
    typo_ids = {
        identifier
        for injection in card["injections"]
        if injection["kind"] == "typo" and injection["split"] == "train"
        for identifier in injection["params"]["query_ids"]
    }
    assert typo_ids <= set(train["query_id"]) and len(typo_ids) > 100


def test_every_declared_slice_is_produced_with_enough_hidden_questions(
    challenge: Challenge, prepared: PreparedData, card: dict[str, Any]
) -> None:
    declared = [slice_spec.name for slice_spec in challenge.spec.slices]
    slices = prepared.slices()
    assert sorted(slices) == sorted(declared)
    labels = read(prepared.labels_file).set_index("query_id")["relevant_ids"]
    for name, ids in slices.items():
        assert len(ids) >= 100, (name, len(ids))
        assert len(set(ids)) == len(ids), name
        assert set(ids) <= set(labels.index), name
    assert labels[slices["duplicate_targets"]].str.contains(" ").all()
    assert not labels.drop(index=slices["duplicate_targets"]).str.contains(" ").any()
    train_targets = set(read(prepared.public_dir / "train_queries.csv")["relevant_ids"])
    assert not set(labels[slices["unseen_topics"]]) & train_targets
    seen = labels.drop(index=slices["unseen_topics"])
    assert set(seen) <= train_targets
    # An outdated-trap question's topic has an outdated article sharing its current title.
    articles = read(prepared.public_dir / "articles.csv").set_index("article_id")
    keys = articles["title"].str.lower().str.split().str.join(" ").str.replace("[archived] ", "")
    outdated_keys = set(keys[sorted(injected_ids(card, "outdated"))])
    for identifier in slices["outdated_trap"]:
        current = labels[identifier].split()
        assert set(keys[current]) & outdated_keys, identifier


def test_statement_does_not_reveal_the_injected_problems(challenge: Challenge) -> None:
    statement = challenge.statement_text().lower()
    assert "real-world messy" in statement
    for revealing in (
        "html",
        "markup",
        "boilerplate",
        "cookie",
        "duplicate",
        "outdated",
        "archived",
        "stub",
        "typo",
        "related articles",
    ):
        assert revealing not in statement, revealing


# --- calibration ----------------------------------------------------------------------


def mean_reciprocal_rank(run: HostRun, data: PreparedData) -> Score | None:
    """MRR@10 from the metric catalogue against the hidden labels, overall and per slice;
    None if a phase failed."""
    if run.failed_phase is not None:
        return None
    predictions = run.predictions(dtype=str, keep_default_na=False)
    labels = read(data.labels_file)
    scored = labels.merge(predictions, on="query_id", how="left", validate="one_to_one")
    assert scored["prediction"].notna().all(), f"{run.source.name}: rankings missing for some ids"
    metric = get_metric("mrr")
    scored = scored.set_index("query_id")
    per_slice = {
        name: metric.compute(
            scored.loc[ids, "relevant_ids"].to_numpy(), scored.loc[ids, "prediction"].to_numpy()
        )
        for name, ids in data.slices().items()
    }
    overall = metric.compute(scored["relevant_ids"].to_numpy(), scored["prediction"].to_numpy())
    return Score(overall, per_slice)


@pytest.fixture(scope="module")
def scores(runs: dict[str, HostRun], prepared: PreparedData) -> dict[str, Score | None]:
    return {path: mean_reciprocal_rank(run, prepared) for path, run in runs.items()}


def test_examples_land_where_the_spec_expects(
    challenge: Challenge, runs: dict[str, HostRun], scores: dict[str, Score | None]
) -> None:
    check_expectations(challenge, runs, scores, higher_is_better=True)


def test_the_examples_are_ordered_and_the_traps_cost_what_they_should(
    challenge: Challenge, runs: dict[str, HostRun], scores: dict[str, Score | None]
) -> None:
    mrr, slices = {}, {}
    for path, score in scores.items():
        assert score is not None, (path, runs[path].failed_phase, runs[path].log)
        mrr[path], slices[path] = score.value, score.slices
    reference, solid = mrr["solutions/reference"], mrr["examples/solid"]
    brute, naive = mrr["examples/brute-force"], mrr["examples/naive"]
    trivial = mrr["solutions/baseline"]
    assert reference >= challenge.spec.thresholds.target + REFERENCE_MARGIN
    assert reference > solid > brute > naive > trivial
    # Indexing raw articles falls for outdated versions; folding versions does not.
    naive_slices, solid_slices = slices["examples/naive"], slices["examples/solid"]
    assert solid_slices["outdated_trap"] - naive_slices["outdated_trap"] > 0.1
    # Only the reference learns the users' vocabulary, which carries to unseen topics.
    assert slices["solutions/reference"]["unseen_topics"] > solid_slices["unseen_topics"]


def test_the_starter_runs_end_to_end(
    challenge: Challenge, prepared: PreparedData, tmp_path: Path
) -> None:
    run = run_on_host(challenge, CHALLENGE_DIR / "starter", prepared, tmp_path)
    score = mean_reciprocal_rank(run, prepared)
    assert score is not None, run.log
    assert score.value < 0.05


# --- the real pipeline ------------------------------------------------------------------


@pytest.mark.docker
def test_reference_and_baseline_grade_where_the_spec_says_in_the_sandbox(
    docker_sandbox: object, challenge: Challenge
) -> None:
    from harness import pipeline

    session = pipeline.open_session("kb-retrieval")
    results = {}
    try:
        for path in ("solutions/reference", "solutions/baseline"):
            results[path] = pipeline.grade_submission(session, str(challenge.path(path)))
    finally:
        pipeline.close_session(session)
    thresholds = challenge.spec.thresholds
    grades = {}
    for path, result in results.items():
        assert result.status.value == "graded", (path, result.status, result.message)
        correctness = next(grade for grade in result.grades if grade.grader == "correctness")
        grades[path] = correctness.details
        assert correctness.details["metric"] == "mrr"
    reference, baseline = grades["solutions/reference"], grades["solutions/baseline"]
    assert reference["value"] >= thresholds.target and reference["credit"] == 1.0
    assert baseline["value"] < thresholds.baseline and baseline["credit"] == 0.0
    assert reference["ci_low"] > baseline["ci_high"]
    reference_result = results["solutions/reference"]
    assert reference_result.total_score > results["solutions/baseline"].total_score
    performance = next(grade for grade in reference_result.grades if grade.grader == "performance")
    assert performance.score >= 0.9, performance.summary
    writeup = next(grade for grade in reference_result.grades if grade.grader == "writeup")
    problems = writeup.details["data_problems"]
    assert {problem["kind"] for problem in problems if problem["noticed"]} >= {
        "outdated",
        "stub",
        "boilerplate",
        "html",
        "typo",
    }
    assert set(reference["slices"]) == {slice_spec.name for slice_spec in challenge.spec.slices}
    assert all(entry["rows"] >= 100 for entry in reference["slices"].values())
