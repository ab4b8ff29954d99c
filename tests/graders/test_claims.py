"""Numeric claims in writeups: extraction, normalisation and comparison with measurements."""

from __future__ import annotations

import pytest

from graders.claims import Claim, compare_claims, extract_claims, split_blocks


def only(text: str) -> Claim:
    claims = extract_claims(text)
    assert len(claims) == 1, claims
    return claims[0]


@pytest.mark.parametrize(
    ("text", "quantity", "value"),
    [
        ("ROC AUC 0.91 on the holdout.", "roc_auc", 0.91),
        ("roc-auc: **0.849**", "roc_auc", 0.849),
        ("AUC of 87%", "roc_auc", 0.87),
        ("The AUC was 87 percent.", "roc_auc", 0.87),
        ("Should be around 0.85 AUC based on similar data.", "roc_auc", 0.85),
        ("87% accuracy on the test split", "accuracy", 0.87),
        ("accuracy 91", "accuracy", 0.91),
        ("macro F1 = 0.72", "macro_f1", 0.72),
        ("F1 score 0.64", "f1", 0.64),
        ("PR AUC 0.41", "average_precision", 0.41),
        ("RMSE 1,234.5", "rmse", 1234.5),
        ("MAE: 3.2", "mae", 3.2),
        ("R² = 0.72", "r2", 0.72),
        ("log loss 0.45", "log_loss", 0.45),
        ("recall@10 of 0.35", "recall_at_10", 0.35),
        ("MRR 0.41", "mrr", 0.41),
        ("MRR@10 of 0.71 on held-out questions", "mrr", 0.71),
        ("mean reciprocal rank at 5: 0.66", "mrr_at_5", 0.66),
        ("nDCG@10 = 0.58", "ndcg_at_10", 0.58),
        (
            "5-fold cross-validated ROC AUC on the training data: about 0.84 (± 0.01).",
            "roc_auc",
            0.84,
        ),
        ("AUC went from 0.80 to 0.85 after cleaning", "roc_auc", 0.85),
    ],
)
def test_metric_claims_are_normalised(text: str, quantity: str, value: float) -> None:
    claim = only(text)
    assert (claim.quantity, claim.unit) == (quantity, "")
    assert claim.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "quantity", "value", "unit"),
    [
        ("The p95 latency is 12 ms.", "latency_p95_ms", 12.0, "ms"),
        ("p99: 40ms", "latency_p99_ms", 40.0, "ms"),
        ("Latency 250 µs per row.", "latency_p50_ms", 0.25, "ms"),
        ("latency of 300us", "latency_p50_ms", 0.3, "ms"),
        ("median latency 0.002 s", "latency_p50_ms", 2.0, "ms"),
        ("mean latency 4 ms", "latency_mean_ms", 4.0, "ms"),
        ("a single-row prediction takes about 13 ms", "latency_p50_ms", 13.0, "ms"),
        ("12 ms at p95", "latency_p95_ms", 12.0, "ms"),
        ("95th percentile latency: 20 ms", "latency_p95_ms", 20.0, "ms"),
        ("Throughput: 5k rows/s", "throughput_rows_per_s", 5000.0, "rows/s"),
        ("it handles 1,200 predictions per second", "throughput_rows_per_s", 1200.0, "rows/s"),
        ("Training takes 3 minutes on one CPU.", "train_wall_s", 180.0, "s"),
        ("training time: 1500 ms", "train_wall_s", 1.5, "s"),
        ("It trains in 2 hours.", "train_wall_s", 7200.0, "s"),
        ("the model loads in 0.3 s", "model_load_s", 0.3, "s"),
        ("peak memory during training was 1.5 GB", "train_peak_memory_mb", 1536.0, "MB"),
        ("Prediction uses 300 MB of memory.", "predict_peak_memory_mb", 300.0, "MB"),
        ("The model file is 512 KB.", "model_size_mb", 0.5, "MB"),
    ],
)
def test_resource_claims_are_converted_to_harness_units(
    text: str, quantity: str, value: float, unit: str
) -> None:
    claim = only(text)
    assert (claim.quantity, claim.unit) == (quantity, unit)
    assert claim.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "a logistic regression scored about\n0.02 AUC lower on my holdout.",
        "boosting gained about 0.02 AUC over logistic regression",
        "AUC improved by 0.03 after cleaning",
        "AUC 0.84-0.86 across folds",
        "If we needed 1 ms latency, I would use a linear model.",
        "The target is an AUC of 0.84.",
        "Precision in the top 20% was what the team cares about.",
        "Stratified 5-fold cross-validation with 80/20 splits.",
        "It is 2 ms faster than the forest.",
        "The time box was 4 hours.",
        "The training data is 2 MB.",
        "We call about 20% of customers each quarter.",
        "accuracy 250",
        "A forest, versus under 1 ms for the logistic regression.",
    ],
)
def test_differences_settings_and_wishes_are_not_claims(text: str) -> None:
    assert extract_claims(text) == []


def test_several_latency_percentiles_in_one_sentence() -> None:
    claims = extract_claims("Single-row latency: p50 3 ms, p95 12 ms, p99 20 ms.")
    assert [(claim.quantity, claim.value) for claim in claims] == [
        ("latency_p50_ms", 3.0),
        ("latency_p95_ms", 12.0),
        ("latency_p99_ms", 20.0),
    ]


def test_nearest_context_decides_what_a_time_is() -> None:
    claims = extract_claims("Training takes 2 s and a single-row prediction takes 13 ms.")
    assert [(claim.quantity, claim.value) for claim in claims] == [
        ("train_wall_s", 2.0),
        ("latency_p50_ms", 13.0),
    ]


def test_table_columns_name_the_quantity() -> None:
    text = (
        "Results:\n\n"
        "| model | ROC AUC | p95 latency (ms) |\n"
        "| --- | --- | --- |\n"
        "| boosting | 0.87 | 13 |\n"
        "| logistic | 84% | 0.4 |\n"
    )
    claims = extract_claims(text)
    assert [(claim.quantity, claim.value, claim.line) for claim in claims] == [
        ("roc_auc", 0.87, 5),
        ("latency_p95_ms", 13.0, 5),
        ("roc_auc", 0.84, 6),
        ("latency_p95_ms", 0.4, 6),
    ]
    assert claims[0].quote == "boosting | 0.87 | 13"


def test_lines_and_quotes_point_at_the_source() -> None:
    text = "# Results\n\nWe validated carefully.\nThe final model reaches\nROC AUC 0.88 on the holdout. Fine.\n"
    claim = only(text)
    assert claim.line == 5
    assert claim.quote == "The final model reaches ROC AUC 0.88 on the holdout."
    assert claim.text == "ROC AUC 0.88"


def test_code_fences_keep_their_lines_and_headings_inside_are_not_headings() -> None:
    blocks = split_blocks("Intro\n\n```\n# not a heading\nauc = 0.91\n```\n\n## Real heading\n")
    assert [(block.kind, block.first_line) for block in blocks] == [
        ("paragraph", 1),
        ("code", 4),
        ("code", 5),
        ("heading", 8),
    ]


def claim(quantity: str, value: float, unit: str = "") -> Claim:
    return Claim(quantity, value, unit, line=3, quote="q")


def test_metric_over_claim_beyond_the_tolerance() -> None:
    figures = {"roc_auc": 0.8467, "roc_auc_ci_low": 0.8367, "roc_auc_ci_high": 0.8567}
    checks = compare_claims([claim("roc_auc", 0.95), claim("roc_auc", 0.86)], figures)
    assert [check.verdict for check in checks] == ["over-claim", "consistent"]
    assert checks[0].measured == 0.8467
    assert checks[0].difference == pytest.approx(0.1033)
    assert checks[0].red_flag("WRITEUP.md") == (
        "claims roc_auc 0.95 (WRITEUP.md:3) but the harness measured 0.8467 on the hidden set"
    )
    assert checks[1].red_flag("WRITEUP.md") is None


def test_a_wide_confidence_interval_widens_the_tolerance() -> None:
    narrow = {"roc_auc": 0.80}
    wide = {"roc_auc": 0.80, "roc_auc_ci_low": 0.76, "roc_auc_ci_high": 0.84}  # 3 x 0.04
    assert compare_claims([claim("roc_auc", 0.85)], narrow)[0].verdict == "over-claim"
    check = compare_claims([claim("roc_auc", 0.85)], wide)[0]
    assert check.verdict == "consistent"
    assert "CI half-width" in check.tolerance


def test_under_claims_and_lower_is_better_metrics() -> None:
    figures = {"roc_auc": 0.87, "rmse": 10.0}
    checks = compare_claims(
        [claim("roc_auc", 0.80), claim("rmse", 8.0), claim("rmse", 12.0), claim("rmse", 10.3)],
        figures,
        {"rmse": False},
    )
    assert [check.verdict for check in checks] == [
        "under-claim",
        "over-claim",
        "under-claim",
        "consistent",
    ]


def test_latency_and_throughput_allow_a_factor_of_one_and_a_half() -> None:
    figures = {"latency_p95_ms": 12.0, "throughput_rows_per_s": 1000.0}
    checks = compare_claims(
        [
            claim("latency_p95_ms", 0.5, "ms"),
            claim("latency_p95_ms", 9.0, "ms"),
            claim("latency_p95_ms", 30.0, "ms"),
            claim("throughput_rows_per_s", 2000.0, "rows/s"),
            claim("throughput_rows_per_s", 1200.0, "rows/s"),
        ],
        figures,
    )
    assert [check.verdict for check in checks] == [
        "over-claim",
        "consistent",
        "under-claim",
        "over-claim",
        "consistent",
    ]
    assert checks[0].red_flag("WRITEUP.md") == (
        "claims latency_p95_ms 0.5 ms (WRITEUP.md:3) but the harness measured 12 ms in the sandbox"
    )


def test_unmeasured_quantities_are_reported_as_such() -> None:
    checks = compare_claims(
        [claim("accuracy", 1.0), claim("latency_p95_ms", 3.0, "ms")],
        {"roc_auc": 0.8, "latency_p95_ms": None},
    )
    assert [check.verdict for check in checks] == ["not measured", "not measured"]
    assert checks[0].to_dict()["measured"] is None
    assert checks[0].to_dict()["claimed"] == 1.0


def test_a_percentile_naming_the_next_number_is_not_taken_for_the_previous_one() -> None:
    claims = extract_claims("a single-row prediction takes about 8 ms (p95 about 12 ms) on one CPU")
    assert [(claim.quantity, claim.value) for claim in claims] == [
        ("latency_p50_ms", 8.0),
        ("latency_p95_ms", 12.0),
    ]


def test_a_long_sentence_is_quoted_around_the_hit_cut_between_words() -> None:
    words = " ".join(f"Word{index:03d}" for index in range(120))  # a 959-character run
    text = f"Intro sentence. {words} ends here with tf-idf ngrams inside {words}."
    (block,) = split_blocks(text)
    offset = text.index("tf-idf")
    quote, line = block.quote_at(offset)
    assert line == 1
    assert quote.startswith("\u2026Word") and quote.endswith("\u2026")
    inner = quote.strip("\u2026")
    assert "tf-idf ngrams" in inner
    # Every word of the quote is a whole word of the text.
    assert all(word in text.split() or word.rstrip(".") in text.split() for word in inner.split())
    assert len(inner) <= 240
    short, _ = block.quote_at(text.index("Intro"))
    assert short == "Intro sentence."
