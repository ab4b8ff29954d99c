"""The writeup grader on the real churn challenge and on hand-made data cards (no Docker)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from challenges.data import GeneratedData, PreparedData, prepare_data, write_generated
from challenges.loader import Challenge
from challenges.spec import RubricCriterionSpec
from graders import GradeResult, GradingContext, graders
from graders import writeup as writeup_module
from graders.measure import Estimate, Measurements, MetricMeasurement
from graders.writeup import DEFAULT_RUBRIC, writeup_text
from harness.submission import Submission, SubmissionKind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "writeups"
CHALLENGE_DIR = Path(__file__).resolve().parents[2] / "challenges" / "churn-tabular"
RUBRIC_NAMES = ["approach", "data_problems", "evaluation", "tradeoffs", "limitations", "next_steps"]


@pytest.fixture(autouse=True)
def _judge_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_JUDGE_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def churn_data(
    churn_challenge: Challenge, tmp_path_factory: pytest.TempPathFactory
) -> PreparedData:
    return prepare_data(churn_challenge, tmp_path_factory.mktemp("churn-data"))


def injection(kind: str, split: str = "train", **params: Any) -> dict[str, Any]:
    columns = params.pop("columns", [])
    return {"kind": kind, "columns": columns, "rows_affected": 10, "params": params, "split": split}


CARD = {
    "injections": [
        injection("missing_mcar", columns=["region"]),
        injection("missing_mcar", split="eval", columns=["region"]),
        injection(
            "missing_dependent", depends_on="last_login_days", columns=["satisfaction_score"]
        ),
        injection("duplicates_exact"),
        injection("duplicates_near", columns=["monthly_spend"]),
        injection("category_spelling", columns=["plan"]),
        injection("outliers", columns=["monthly_spend"]),
        injection("impossible_values", columns=["tenure_months"]),
        injection("label_noise", columns=["churned"]),
        injection("drift", split="eval", columns=["region"]),
    ]
}


def hand_made_data(tmp_path: Path, card: dict[str, Any]) -> PreparedData:
    ids = [f"C{index}" for index in range(4)]
    data = GeneratedData(
        public={"train.csv": pd.DataFrame({"customer_id": ids, "churned": [0, 1, 0, 1]})},
        eval_features=pd.DataFrame({"customer_id": ids, "x": range(4)}),
        eval_labels=pd.DataFrame({"customer_id": ids, "churned": [0, 1, 0, 1]}),
        data_card=card,
    )
    return write_generated(data, tmp_path / "data")


def make_context(
    challenge: Challenge,
    data: PreparedData,
    root: Path | None,
    timings: dict[str, Any] | None = None,
) -> GradingContext:
    submission = Submission(
        id="abc",
        sha256="abc" * 20,
        kind=SubmissionKind.directory,
        source=str(root),
        label="candidate",
        root=root,
    )
    return GradingContext(challenge, data, submission, {}, None, timings or {})


def submission_with(tmp_path: Path, text: str, name: str = "WRITEUP.md") -> Path:
    root = tmp_path / "submission"
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")
    return root


def grade(context: GradingContext, **args: Any) -> GradeResult:
    return graders.get("writeup")(**args)(context)


def criterion_scores(result: GradeResult) -> dict[str, float]:
    return {criterion.name: criterion.score for criterion in result.criteria}


def test_the_default_rubric_has_the_six_criteria() -> None:
    assert [criterion.name for criterion in DEFAULT_RUBRIC] == RUBRIC_NAMES
    assert all(criterion.title and criterion.description for criterion in DEFAULT_RUBRIC)
    assert all(len(criterion.keywords) >= 5 for criterion in DEFAULT_RUBRIC)


def test_a_good_writeup_scores_high_on_every_criterion_with_line_quotes(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    text = (FIXTURES / "good.md").read_text()
    lines = text.splitlines()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)

    scores = criterion_scores(result)
    assert list(scores) == RUBRIC_NAMES
    assert all(score >= 0.7 for score in scores.values()), scores
    assert result.score >= 0.8
    assert result.flags == []
    assert result.summary.startswith("WRITEUP.md: 6/6 rubric criteria addressed")
    for criterion in result.criteria:
        quotes = [item for item in criterion.evidence if item.kind == "quote"]
        assert quotes, criterion.name
        for quote in quotes:
            assert quote.source is not None and quote.source.startswith("WRITEUP.md:")
            line = int(quote.source.split(":")[1])
            # The quote starts on the line it cites (quotes may run over wrapped lines).
            first_words = quote.text.split(": ", 1)[-1].split()[:2]
            assert " ".join(first_words) in " ".join(lines[line - 1 : line + 2]), quote
        explanation = criterion.evidence[-1]
        assert explanation.kind == "text" and explanation.text.startswith("found ")


def test_the_evaluation_criterion_explains_what_it_found(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    text = (FIXTURES / "good.md").read_text()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    rubric = {item["name"]: item for item in grade(context).details["rubric"]}
    evaluation = rubric["evaluation"]
    assert evaluation["sections"] == [{"title": "Evaluation", "line": 23}]
    assert {"5-fold", "stratified", "roc auc"} <= set(evaluation["specifics"])
    assert evaluation["missing"] == []
    assert set(evaluation["components"]) == {"heading", "keywords", "specifics", "substance"}


def test_a_thin_writeup_scores_low_and_is_flagged(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    text = (FIXTURES / "thin.md").read_text()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)
    assert result.score < 0.1
    assert all(score < 0.3 for score in criterion_scores(result).values())
    assert "no limitations discussed" in result.flags
    assert "does not explain the model choice" in result.flags
    approach = next(criterion for criterion in result.criteria if criterion.name == "approach")
    assert "no reason given for the model choice" in approach.evidence[-1].text


def test_bundled_writeups_rank_in_the_right_order(
    churn_challenge: Challenge, churn_data: PreparedData, tmp_path: Path
) -> None:
    scores = {}
    for name in ("solutions/reference", "examples/solid", "examples/naive"):
        text = (CHALLENGE_DIR / name / "WRITEUP.md").read_text()
        root = submission_with(tmp_path / name.replace("/", "-"), text)
        result = grade(make_context(churn_challenge, churn_data, root))
        scores[name] = result
    reference, solid, naive = (
        scores[name] for name in ("solutions/reference", "examples/solid", "examples/naive")
    )
    assert reference.score > solid.score > naive.score
    assert reference.score >= 0.8
    assert naive.score <= 0.35
    assert "no limitations discussed" in naive.flags
    assert reference.flags == []
    reference_problems = {
        item["kind"]: item["noticed"] for item in reference.details["data_problems"]
    }
    naive_problems = {item["kind"]: item["noticed"] for item in naive.details["data_problems"]}
    assert sum(reference_problems.values()) > sum(naive_problems.values())


def test_data_problems_are_reported_per_kind_with_quotes(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    text = (FIXTURES / "good.md").read_text()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)
    problems = {item["kind"]: item for item in result.details["data_problems"]}
    # One entry per kind, even when a kind was injected into both splits.
    assert list(problems) == [
        "missing_mcar",
        "missing_dependent",
        "duplicates_exact",
        "duplicates_near",
        "category_spelling",
        "outliers",
        "impossible_values",
        "label_noise",
        "drift",
    ]
    assert problems["missing_mcar"]["splits"] == ["train", "eval"]
    noticed = {kind for kind, item in problems.items() if item["noticed"]}
    assert noticed == set(problems) - {"label_noise"}
    assert problems["label_noise"] == {**problems["label_noise"], "evidence": "", "source": None}
    assert "far more often for inactive accounts" in problems["missing_dependent"]["evidence"]
    assert problems["duplicates_near"]["source"] == "WRITEUP.md:15"
    # drift is only in the hidden split: listed (and here named) but not counted.
    assert problems["drift"]["hidden_only"] is True
    data_problems = next(
        criterion for criterion in result.criteria if criterion.name == "data_problems"
    )
    assert data_problems.score == pytest.approx(7 / 8)
    assert "not mentioned: label noise" in data_problems.evidence[-1].text


@pytest.mark.parametrize(
    ("kind", "named", "not_named"),
    [
        ("missing_mcar", "Filled the NaN values with the median.", "All columns looked complete."),
        (
            "missing_dependent",
            "The survey is missing mostly for inactive accounts.",
            "Some values are missing; I imputed them.",
        ),
        ("duplicates_exact", "I dropped exact duplicates first.", "Every row is a customer."),
        (
            "duplicates_near",
            "Kept one row per customer_id for near-duplicates.",
            "I dropped exact duplicates.",
        ),
        (
            "category_spelling",
            "Plan names had inconsistent casing.",
            "Plans are Basic, Pro and Enterprise.",
        ),
        ("outliers", "A few spends were winsorised.", "Spend looks fine."),
        (
            "impossible_values",
            "Negative tenure is impossible, so it becomes missing.",
            "I used false negatives as my guide.",
        ),
        ("unit_mismatch", "Some spends are in cents instead of dollars.", "Spend is monthly."),
        (
            "mixed_dates",
            "The signup dates come in mixed formats; I parse them with to_datetime.",
            "Dates are fine.",
        ),
        ("numbers_as_text", "Spend was stored as text with $ signs.", "Spend is a number."),
        ("label_noise", "The labels look noisy.", "The labels are churned."),
        (
            "target_leakage",
            "cancellation_ticket_open leaks the target, so I dropped it.",
            "Duplicates could leak across my holdout split.",
        ),
        (
            "class_imbalance",
            "Churners are a minority class, so I used class_weight.",
            "Churn is the target.",
        ),
        ("drift", "The evaluation data may contain unseen categories.", "Nothing changes."),
        (
            "outdated",
            "Several articles are superseded by a newer version; I keep the latest one.",
            "Articles have titles and bodies.",
        ),
        ("stub", "Some articles are empty stubs, which I drop.", "Articles vary in length."),
        (
            "boilerplate",
            "I strip the cookie banner and the 'Was this article helpful?' footer.",
            "The text is in English.",
        ),
        ("html", "Bodies contain HTML tags and entities like &amp;.", "Bodies are long."),
        (
            "typo",
            "Questions have typos, so I add character n-grams.",
            "Questions are short.",
        ),
        (
            "missing_key_fields",
            "Some rows arrive without a store id; I flag them.",
            "Each store sells products.",
        ),
        (
            "garbage_values",
            "A few prices are malformed and cannot be parsed.",
            "Prices go up in summer.",
        ),
    ],
)
def test_each_kind_of_problem_is_recognised(
    churn_challenge: Challenge, tmp_path: Path, kind: str, named: str, not_named: str
) -> None:
    card = {
        "injections": [
            injection(kind, depends_on="last_login_days", columns=["cancellation_ticket_open"])
        ]
    }
    data = hand_made_data(tmp_path, card)
    for text, expected in ((named, True), (not_named, False)):
        context = make_context(
            churn_challenge, data, submission_with(tmp_path, f"## Data\n\n{text}\n")
        )
        problems = grade(context).details["data_problems"]
        assert [(item["kind"], item["noticed"]) for item in problems] == [(kind, expected)], text


FIGURES = Measurements(
    metric=MetricMeasurement("roc_auc", True, Estimate(0.8467, 0.8367, 0.8567, 3000)),
    latency_p50_ms=8.0,
    latency_p95_ms=12.0,
)


def test_over_claims_are_red_flags_showing_both_numbers(
    churn_challenge: Challenge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writeup_module, "measure", lambda context, resamples: FIGURES)
    text = (FIXTURES / "overclaim.md").read_text()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)
    assert result.flags[:2] == [
        "claims roc_auc 0.97 (WRITEUP.md:10) but the harness measured 0.8467 on the hidden set",
        "claims latency_p95_ms 0.5 ms (WRITEUP.md:10) but the harness measured 12 ms in the sandbox",
    ]
    claims = result.details["claims"]
    assert [
        (item["quantity"], item["claimed"], item["measured"], item["verdict"]) for item in claims
    ] == [
        ("roc_auc", 0.97, 0.8467, "over-claim"),
        ("latency_p95_ms", 0.5, 12.0, "over-claim"),
    ]
    assert "2 numeric claims (2 over-claimed)" in result.summary


def test_consistent_claims_are_listed_without_flags(
    churn_challenge: Challenge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writeup_module, "measure", lambda context, resamples: FIGURES)
    text = (FIXTURES / "good.md").read_text()
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)
    verdicts = {
        (item["quantity"], item["claimed"]): item["verdict"] for item in result.details["claims"]
    }
    assert verdicts == {
        ("roc_auc", 0.85): "consistent",
        ("latency_p95_ms", 11.0): "consistent",
        ("train_wall_s", 4.0): "not measured",
    }
    assert result.flags == []


def test_claims_are_compared_with_real_measurements(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    text = (FIXTURES / "overclaim.md").read_text()
    timings = {"latency_ms": {"p50": 9.0, "p95": 12.0, "p99": 20.0, "mean": 9.5}}
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text), timings
    )
    result = grade(context, bootstrap=0)
    claims = {item["quantity"]: item for item in result.details["claims"]}
    assert claims["roc_auc"]["verdict"] == "not measured"  # no predictions in this context
    assert claims["latency_p95_ms"]["measured"] == 12.0
    assert result.flags[0] == (
        "claims latency_p95_ms 0.5 ms (WRITEUP.md:10) but the harness measured 12 ms in the sandbox"
    )
    assert [flag for flag in result.flags if flag.startswith("claims ")] == result.flags[:1]


def test_dismissing_evaluation_is_a_red_flag(churn_challenge: Challenge, tmp_path: Path) -> None:
    text = "I trained a random forest on all columns.\n\nThere was no need to validate it; the data is clean.\n"
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    flags = grade(context).flags
    assert (
        "dismisses evaluation: 'There was no need to validate it; the data is clean.' (WRITEUP.md:3)"
        in flags
    )


def test_a_missing_writeup_scores_zero(churn_challenge: Challenge, tmp_path: Path) -> None:
    root = tmp_path / "submission"
    root.mkdir()
    (root / "train.py").write_text("print('hi')\n")
    result = grade(make_context(churn_challenge, hand_made_data(tmp_path, CARD), root))
    assert result.score == 0.0
    assert result.flags == ["no writeup"]
    assert result.summary.startswith("no writeup: WRITEUP.md is missing")


def test_a_symlinked_writeup_is_refused(churn_challenge: Challenge, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("## Evaluation\n\nStratified 5-fold cross-validation, ROC AUC 0.85.\n")
    root = tmp_path / "submission"
    root.mkdir()
    os.symlink(secret, root / "WRITEUP.md")
    (root / "README.md").write_text("## Approach\n\nA README that must not be used instead.\n")
    result = grade(make_context(churn_challenge, hand_made_data(tmp_path, CARD), root))
    assert result.score == 0.0
    assert "links are refused" in result.summary
    assert result.flags[0].startswith("writeup refused:")
    assert "Stratified" not in json.dumps(result.model_dump())


def test_readme_and_other_casings_are_accepted(churn_challenge: Challenge, tmp_path: Path) -> None:
    data = hand_made_data(tmp_path, CARD)
    root = submission_with(tmp_path / "a", "## Limitations\n\nThe model may drift.\n", "writeup.md")
    assert writeup_text(make_context(churn_challenge, data, root)) == (
        "## Limitations\n\nThe model may drift.\n",
        "writeup.md",
    )
    root = submission_with(tmp_path / "b", "## Approach\n\nA forest.\n", "README.md")
    result = grade(make_context(churn_challenge, data, root))
    assert result.details["source"] == "README.md"
    assert "no WRITEUP.md: graded README.md instead" in result.details["notes"]


def test_notebook_markdown_cells_are_a_writeup(churn_challenge: Challenge, tmp_path: Path) -> None:
    notebook = {
        "nbformat": 4,
        "metadata": {},
        "cells": [
            {
                "cell_type": "markdown",
                "source": ["# Approach\n", "\n", "A gradient boosting model."],
            },
            {"cell_type": "code", "source": "print('AUC 0.99')", "outputs": []},
            {
                "cell_type": "markdown",
                "source": "## Evaluation\n\nStratified 5-fold CV: ROC AUC 0.84.",
            },
        ],
    }
    root = submission_with(tmp_path, json.dumps(notebook), "submission.ipynb")
    context = make_context(churn_challenge, hand_made_data(tmp_path, CARD), root)
    text, source = writeup_text(context) or ("", "")
    assert source == "submission.ipynb (markdown cells)"
    assert text == (
        "# Approach\n\nA gradient boosting model.\n\n## Evaluation\n\nStratified 5-fold CV: ROC AUC 0.84."
    )
    assert grade(context).details["claims"][0]["line"] == 7


def test_odd_bytes_and_oversized_writeups(churn_challenge: Challenge, tmp_path: Path) -> None:
    data = hand_made_data(tmp_path, CARD)
    root = tmp_path / "odd"
    root.mkdir()
    (root / "WRITEUP.md").write_bytes(
        b"## Limitations\n\n\xff\xfe broken \x00 bytes; it may drift.\n"
    )
    result = grade(make_context(churn_challenge, data, root))
    assert result.status == "ok" and result.details["source"] == "WRITEUP.md"

    big = tmp_path / "big"
    big.mkdir()
    (big / "WRITEUP.md").write_text("## Approach\n\n" + "A forest. " * 30_000)
    result = grade(make_context(churn_challenge, data, big))
    assert any("the rest is cut" in note for note in result.details["notes"])

    huge = tmp_path / "huge"
    huge.mkdir()
    (huge / "WRITEUP.md").write_bytes(b"x" * (5 * 1024 * 1024))
    result = grade(make_context(churn_challenge, data, huge))
    assert result.score == 0.0 and "byte limit" in result.summary


def test_a_challenge_rubric_replaces_the_default(
    churn_challenge: Challenge, tmp_path: Path
) -> None:
    rubric = [
        RubricCriterionSpec(
            name="monitoring",
            title="Monitoring plan",
            keywords=["monitor", "alert", "dashboard"],
            weight=2.0,
        ),
        RubricCriterionSpec(
            name="ethics", title="Fairness and ethics", keywords=["fairness", "bias"]
        ),
    ]
    spec = churn_challenge.spec.model_copy(update={"rubric": rubric})
    challenge = churn_challenge.model_copy(update={"spec": spec})
    text = (
        "## Monitoring plan\n\nI would monitor the weekly churn rate and alert when the p95\n"
        "latency exceeds 20 ms or when `plan` values outside the 3 known ones appear, on a\n"
        "dashboard the team already reads every Monday morning.\n"
    )
    context = make_context(
        challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    result = grade(context)
    scores = criterion_scores(result)
    assert list(scores) == ["monitoring", "ethics"]
    assert scores["monitoring"] >= 0.7 and scores["ethics"] == 0.0
    assert result.score == pytest.approx(2 * scores["monitoring"] / 3, abs=1e-3)
    assert result.details["data_problems"]  # still reported for the cohort view


def test_untrusted_markup_is_quoted_verbatim(churn_challenge: Challenge, tmp_path: Path) -> None:
    text = "## Limitations\n\nThe model may drift <script>alert(1)</script> in production.\n"
    context = make_context(
        churn_challenge, hand_made_data(tmp_path, CARD), submission_with(tmp_path, text)
    )
    limitations = next(c for c in grade(context).criteria if c.name == "limitations")
    assert any("<script>alert(1)</script>" in item.text for item in limitations.evidence)
