"""Data generator scaffolded by `harness challenge new`: a small messy binary table.

Edit freely; keep ``generate(seed, **params) -> GeneratedData`` deterministic in ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from challenges import messy
from challenges.data import GeneratedData

ID_COLUMN = "record_id"
TARGET = "label"
SEGMENTS = ("Consumer", "Business", "Public")
SPELLINGS = {segment: messy.spelling_variants(segment) for segment in SEGMENTS}


def generate(seed: int, *, train_rows: int = 1500, eval_rows: int = 600) -> GeneratedData:
    """The public ``train.csv`` and the hidden evaluation rows, with a data card."""
    rows_rng, train_rng, eval_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    records = _records(rows_rng, train_rows + eval_rows)
    card = messy.DataCard()
    train = _damage(
        records.iloc[:train_rows].reset_index(drop=True), train_rng, card.for_split("train")
    )
    evaluation = records.iloc[train_rows:].reset_index(drop=True)
    eval_labels = evaluation[[ID_COLUMN, TARGET]].copy()
    eval_features = _damage(evaluation.drop(columns=[TARGET]), eval_rng, card.for_split("eval"))
    return GeneratedData(
        public={"train.csv": train},
        eval_features=eval_features,
        eval_labels=eval_labels,
        data_card={**card.to_dict(), "kinds": card.kinds(), "seed": seed},
    )


def _records(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Clean records with a label drawn from a logistic model of the features."""
    numbers = rng.choice(np.arange(10_000, 100_000), size=count, replace=False)
    segment = rng.choice(SEGMENTS, size=count, p=[0.5, 0.35, 0.15])
    usage = np.round(rng.gamma(2.0, 10.0, size=count), 1)
    tickets = rng.poisson(1.5, size=count)
    tenure = rng.integers(1, 1500, size=count)
    # A continuous column no one blanks out: public and hidden rows never coincide by chance.
    spend = np.round(rng.lognormal(np.log(40), 0.5, size=count), 2)
    logit = (
        0.4
        - 0.08 * usage
        + 0.5 * tickets
        - 0.001 * tenure
        + 0.01 * spend
        + np.select([segment == "Business", segment == "Public"], [-0.8, 0.6], 0.0)
    )
    label = (rng.random(count) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(
        {
            ID_COLUMN: [f"R{number:05d}" for number in numbers],
            "usage_hours": usage,
            "tickets": tickets,
            "tenure_days": tenure,
            "monthly_spend": spend,
            "segment": segment,
            TARGET: label,
        }
    )


def _damage(frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard) -> pd.DataFrame:
    """The same mess for both splits: missing values, spellings and outliers."""
    frame = messy.missing_completely_at_random(
        frame, rng, card, columns=["usage_hours", "tenure_days", "segment"], rate=0.05
    )
    frame = messy.category_spelling(
        frame, rng, card, column="segment", variants=SPELLINGS, rate=0.1
    )
    return messy.outliers(frame, rng, card, column="usage_hours", rate=0.01, factor=100)
