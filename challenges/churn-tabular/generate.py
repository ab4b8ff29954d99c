"""Data generator of the churn-tabular challenge: a messy SaaS customer table.

Customers are drawn from two hidden traits (engagement and satisfaction) that drive the
observed columns; churn follows a latent model with thresholds and interactions (early-life
churn on month-to-month contracts, a cliff after three weeks without a login, tickets that
hurt only unhappy customers, small teams outgrowing the Basic plan, feature adoption and
price relative to the plan), so tree ensembles beat linear models and the category columns
matter. A few labels are flipped. The public training rows and the hidden evaluation rows are then damaged
independently with :mod:`challenges.messy`; duplicates are injected into training only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from challenges import messy
from challenges.data import GeneratedData

ID_COLUMN = "customer_id"
TARGET = "churned"
PLANS = ("Basic", "Pro", "Enterprise")
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
CONTRACTS = ("Month-to-month", "One year", "Two year")
PAYMENT_METHODS = ("Credit card", "Bank transfer", "Invoice", "PayPal")
LIST_PRICE_PER_SEAT = {"Basic": 12.0, "Pro": 29.0, "Enterprise": 49.0}
FEATURES_AVAILABLE = {"Basic": 6, "Pro": 12, "Enterprise": 20}
INTEGER_COLUMNS = (
    "tenure_months",
    "seats",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
)


def generate(
    seed: int,
    *,
    train_rows: int = 6000,
    eval_rows: int = 3000,
    label_noise: float = 0.03,
) -> GeneratedData:
    """Generate the public training table and the hidden evaluation rows.

    Args:
        seed: Seeds every random draw; the same seed gives identical frames.
        train_rows: Customers in the public training table, before duplicates are added.
        eval_rows: Customers in the hidden evaluation set.
        label_noise: Fraction of churn labels flipped at random.

    Returns:
        ``train.csv`` (features and ``churned``), the evaluation features, the evaluation
        labels, and a data card listing every injected problem by split.
    """
    customers_rng, train_rng, eval_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    customers = _customers(customers_rng, train_rows + eval_rows, label_noise)
    train_clean = customers.iloc[:train_rows].reset_index(drop=True)
    eval_clean = customers.iloc[train_rows:].reset_index(drop=True)

    card = messy.DataCard()
    train = _damage(train_clean, train_rng, card.for_split("train"), duplicates=True)
    eval_features = _damage(
        eval_clean.drop(columns=[TARGET]), eval_rng, card.for_split("eval"), duplicates=False
    )
    eval_labels = eval_clean[[ID_COLUMN, TARGET]].copy()

    data_card: dict[str, Any] = {
        **card.to_dict(),
        "kinds": card.kinds(),
        "seed": seed,
        "label_noise": label_noise,
        "rows": {
            "train": len(train),
            "train_unique_customers": train_rows,
            "eval": len(eval_features),
        },
        "churn_rate": {
            "train": round(float(train[TARGET].mean()), 4),
            "eval": round(float(eval_labels[TARGET].mean()), 4),
        },
    }
    return GeneratedData(
        public={"train.csv": train},
        eval_features=eval_features,
        eval_labels=eval_labels,
        data_card=data_card,
    )


def _customers(rng: np.random.Generator, count: int, label_noise: float) -> pd.DataFrame:
    """Clean customers with their churn label; ids are unique across all rows."""
    numbers = rng.choice(np.arange(100_000, 1_000_000), size=count, replace=False)
    plan = rng.choice(PLANS, size=count, p=[0.5, 0.35, 0.15])
    is_basic, is_enterprise = plan == "Basic", plan == "Enterprise"
    region = rng.choice(REGIONS, size=count, p=[0.42, 0.3, 0.18, 0.1])
    contract_probabilities = np.where(
        is_enterprise[:, None],
        [0.15, 0.45, 0.40],
        np.where(is_basic[:, None], [0.70, 0.22, 0.08], [0.45, 0.35, 0.20]),
    )
    contract = _choose_per_row(rng, CONTRACTS, contract_probabilities)
    payment_probabilities = np.where(
        is_enterprise[:, None], [0.15, 0.30, 0.50, 0.05], [0.50, 0.20, 0.10, 0.20]
    )
    payment = _choose_per_row(rng, PAYMENT_METHODS, payment_probabilities)

    # Hidden traits; every observed behaviour below is a noisy view of them.
    engagement = rng.normal(size=count)
    satisfaction = 0.3 * engagement + np.sqrt(1 - 0.3**2) * rng.normal(size=count)

    tenure = np.clip(
        np.round(rng.gamma(1.4, 14.0, size=count) * np.where(is_enterprise, 1.5, 1.0)) + 1, 1, 120
    )
    seats = np.where(
        is_basic,
        np.clip(1 + rng.poisson(1.4, size=count), 1, 5),
        np.where(
            is_enterprise,
            np.round(rng.lognormal(np.log(120), 0.6, size=count)) + 20,
            np.clip(np.round(rng.lognormal(np.log(12), 0.5, size=count)), 3, 60),
        ),
    )
    discount = np.select([contract == "One year", contract == "Two year"], [0.88, 0.78], 1.0)
    price = np.array([LIST_PRICE_PER_SEAT[name] for name in plan])
    # Negotiated price relative to the list price: customers paying more leave sooner.
    premium = rng.normal(0, 0.12, size=count)
    spend = np.round(seats * price * discount * np.exp(premium), 2)
    available = np.array([FEATURES_AVAILABLE[name] for name in plan])
    features = rng.binomial(available, 1 / (1 + np.exp(-(0.2 + 1.2 * engagement))))
    adoption = features / available
    last_login = np.clip(
        np.round(np.exp(2.0 - 1.1 * engagement + rng.normal(0, 0.5, count))), 0, 365
    )
    tickets = rng.poisson(np.exp(-0.6 + 0.2 * np.log(seats) - 0.5 * satisfaction))
    score = np.clip(np.round(6.5 + 1.6 * satisfaction + rng.normal(0, 1.0, count)), 1, 10)

    month_to_month = contract == "Month-to-month"
    logit = (
        -2.6
        + np.select([month_to_month, contract == "Two year"], [1.3, -1.8], -0.3)
        + (0.8 + 3.0 * month_to_month) * np.exp(-tenure / 6)
        + 3.2 / (1 + np.exp(-(last_login - 21) / 2))
        - 2.5 * adoption
        + 3.5 * premium
        + tickets * np.select([score <= 4, score <= 6, score >= 8], [0.9, 0.35, -0.3], 0.0)
        + np.select([is_basic & (seats >= 4), is_enterprise], [2.0, -0.5], 0.0)
        + np.select(
            [payment == "PayPal", payment == "Credit card", payment == "Invoice"],
            [0.35, 0.2, -0.2],
            0.0,
        )
        + np.select([region == "LATAM", region == "APAC"], [0.25, 0.15], 0.0)
        + rng.normal(0, 0.3, count)
    )
    churned = rng.random(count) < 1 / (1 + np.exp(-logit))
    flipped = rng.random(count) < label_noise
    churned = churned ^ flipped

    return pd.DataFrame(
        {
            ID_COLUMN: [f"C{number:06d}" for number in numbers],
            "plan": plan,
            "region": region,
            "contract_type": contract,
            "payment_method": payment,
            "tenure_months": tenure.astype(np.int64),
            "seats": seats.astype(np.int64),
            "monthly_spend": spend,
            "support_tickets_90d": tickets.astype(np.int64),
            "last_login_days": last_login.astype(np.int64),
            "features_used": features.astype(np.int64),
            "satisfaction_score": score.astype(np.int64),
            TARGET: churned.astype(np.int64),
        }
    )


def _choose_per_row(
    rng: np.random.Generator, options: tuple[str, ...], probabilities: np.ndarray
) -> np.ndarray:
    """Draw one option per row, each row with its own probabilities."""
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random(len(probabilities))[:, None]
    indices: np.ndarray = (draws > cumulative).sum(axis=1).clip(0, len(options) - 1)
    chosen: np.ndarray = np.array(options, dtype=object)[indices]
    return chosen


def _damage(
    frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard, *, duplicates: bool
) -> pd.DataFrame:
    """Apply the challenge's mess; the same recipe for both splits, duplicates train-only."""
    # Missing values first, while categories still hold their canonical spellings.
    frame = messy.missing_completely_at_random(
        frame,
        rng,
        card,
        columns=[
            "region",
            "payment_method",
            "tenure_months",
            "monthly_spend",
            "last_login_days",
            "support_tickets_90d",
            "features_used",
        ],
        rate=0.04,
    )
    # Survey answers: inactive customers rarely answer.
    frame = messy.missing_dependent(
        frame,
        rng,
        card,
        columns=["satisfaction_score"],
        depends_on="last_login_days",
        above_quantile=0.75,
        rate=0.55,
        base_rate=0.10,
    )
    # A billing-system gap: invoiced customers' spend often never arrives.
    frame = messy.missing_dependent(
        frame,
        rng,
        card,
        columns=["monthly_spend", "seats"],
        depends_on="payment_method",
        equals=["Invoice"],
        rate=0.30,
        base_rate=0.0,
    )
    spellings: dict[str, dict[str, list[str]]] = {
        "plan": {
            "Basic": [*messy.spelling_variants("Basic"), "Basic plan"],
            "Pro": [*messy.spelling_variants("Pro"), "Professional"],
            "Enterprise": [*messy.spelling_variants("Enterprise"), "Enterprize", "Ent."],
        },
        "region": {
            "North America": [
                *messy.spelling_variants("North America"),
                "N. America",
                "NorthAmerica",
            ],
            "EMEA": ["emea", "Emea", "EMEA ", "Europe"],
            "APAC": ["apac", "Apac", " APAC", "Asia-Pacific"],
            "LATAM": ["latam", "Latam", "LatAm", "Latin America"],
        },
        "contract_type": {
            "Month-to-month": [
                "month-to-month",
                "Month to month",
                "monthly",
                "MONTH-TO-MONTH",
                "Month-to-month ",
            ],
            "One year": ["one year", "1 year", "One Year", "One year ", "annual"],
            "Two year": ["two year", "2 year", "Two Year", " Two year"],
        },
        "payment_method": {
            "Credit card": ["credit card", "Credit Card", "CreditCard", "Credit card ", "card"],
            "Bank transfer": ["bank transfer", "Bank Transfer", "Bank transfer ", "wire"],
            "Invoice": [*messy.spelling_variants("Invoice"), "Invoiced"],
            "PayPal": ["paypal", "Paypal", "PAYPAL", "PayPal "],
        },
    }
    for column, variants in spellings.items():
        frame = messy.category_spelling(
            frame, rng, card, column=column, variants=variants, rate=0.08
        )
    # Spend exported in cents for some accounts; seat counts with an extra zero.
    frame = messy.outliers(frame, rng, card, column="monthly_spend", rate=0.01, factor=100)
    frame = messy.outliers(frame, rng, card, column="seats", rate=0.005, factor=10)
    frame = messy.impossible_values(frame, rng, card, column="tenure_months", rate=0.02)
    frame = messy.impossible_values(
        frame, rng, card, column="last_login_days", rate=0.025, sentinel=99999
    )
    frame = messy.impossible_values(frame, rng, card, column="monthly_spend", rate=0.005)
    if duplicates:
        frame = messy.duplicates_exact(frame, rng, card, rate=0.025)
        frame = messy.duplicates_near(
            frame,
            rng,
            card,
            rate=0.015,
            numeric_columns=["monthly_spend"],
            text_columns=["plan", "region"],
            relative_noise=0.03,
        )
        # Copies were appended at the end; a real export would interleave them.
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    return _tidy(frame)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Count columns as nullable integers, so the CSV says ``12`` rather than ``12.0``."""
    frame = frame.copy()
    for column in INTEGER_COLUMNS:
        values = frame[column]
        present = values.dropna()
        if (present == present.round()).all():
            frame[column] = values.round().astype("Int64")
    frame["monthly_spend"] = frame["monthly_spend"].round(2)
    return frame
