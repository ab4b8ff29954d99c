"""Data generator of the churn-tabular challenge: a messy SaaS customer table.

Customers are drawn from two hidden traits (engagement and satisfaction) that drive the
observed columns; churn follows a latent model of the observed columns with thresholds and
interactions (early-life churn on month-to-month contracts, a cliff after three weeks
without a login, tickets that hurt only unhappy customers, small teams outgrowing the Basic
plan, feature adoption and price relative to the plan), so tree ensembles beat linear
models and the category columns matter.

The hidden evaluation customers differ from the public ones on purpose (covariate shift,
applied before their labels are drawn): a region that never appears in training, and an
APAC segment of younger accounts after a price rise. Both splits then go through the same
mess from :mod:`challenges.messy`; label noise, purged churners, duplicates and an
informative leakage column are train-only, and the hidden copy of the leakage column
carries no information. Every injection is recorded in the data card, with a per-kind
summary under ``problems``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from challenges import messy
from challenges.data import GeneratedData

ID_COLUMN = "customer_id"
TARGET = "churned"
LEAKAGE_COLUMN = "cancellation_ticket_open"
SOURCE_COLUMN = "billing_system"
PLANS = ("Basic", "Pro", "Enterprise")
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
UNSEEN_REGION = "ANZ"
DRIFTED_REGION = "APAC"
CONTRACTS = ("Month-to-month", "One year", "Two year")
PAYMENT_METHODS = ("Credit card", "Bank transfer", "Invoice", "PayPal")
LIST_PRICE_PER_SEAT = {"Basic": 12.0, "Pro": 29.0, "Enterprise": 49.0}
FEATURES_AVAILABLE = {"Basic": 6, "Pro": 12, "Enterprise": 20}
CONTRACT_DISCOUNT = {"Month-to-month": 1.0, "One year": 0.88, "Two year": 0.78}
SNAPSHOT = pd.Timestamp("2024-06-01")
INTEGER_COLUMNS = (
    "tenure_months",
    "seats",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
)
FEATURE_COLUMNS = (
    "plan",
    "region",
    "contract_type",
    "payment_method",
    SOURCE_COLUMN,
    "signup_date",
    "tenure_months",
    "seats",
    "monthly_spend",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
    LEAKAGE_COLUMN,
)
"""Candidate-visible columns besides the id and the target, in file order."""
MISSING_COUNTED = (
    "plan",
    "region",
    "contract_type",
    "payment_method",
    "signup_date",
    "tenure_months",
    "seats",
    "monthly_spend",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
)
"""Columns counted for the heavy_missing slice."""
HEAVY_MISSING = 3
SCHEMA_DRIFT_DECISION = (
    "not used: predict(model, frame) receives the training columns by name, so renamed or "
    "extra hidden columns would fail most submissions for reasons that say little about "
    "modelling skill; schema drift belongs to the MLOps challenge, where validating the "
    "input contract is the task"
)


def generate(seed: int, *, train_rows: int = 6000, eval_rows: int = 3000) -> GeneratedData:
    """Generate the public training table and the hidden evaluation rows.

    Args:
        seed: Seeds every random draw; the same seed gives identical frames.
        train_rows: Customers in the public training table, before purged churners are
            dropped and duplicates added.
        eval_rows: Customers in the hidden evaluation set.

    Returns:
        ``train.csv`` (features and ``churned``), the evaluation features, the evaluation
        labels, the evaluation slices and a data card listing every injected problem by
        split.
    """
    customers_rng, train_rng, eval_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    customers = _customers(customers_rng, train_rows + eval_rows)
    card = messy.DataCard()
    train_card, eval_card = card.for_split("train"), card.for_split("eval")

    train = customers.iloc[:train_rows].reset_index(drop=True)
    train = _with_signup_date_and_churn(train, train_rng)
    # The ticket is opened once a customer has decided to leave, i.e. after the snapshot:
    # it is in the training export but cannot be known when predicting.
    train = messy.target_leakage(
        train,
        train_rng,
        train_card,
        target=TARGET,
        column=LEAKAGE_COLUMN,
        true_positive_rate=0.55,
        false_positive_rate=0.02,
    )
    # Cancellations that reached the CRM late: churners recorded as retained, and a few
    # renewals recorded as cancellations.
    train = messy.label_noise(
        train, train_rng, train_card, column=TARGET, class_rates={1: 0.08, 0: 0.02}
    )
    # Accounts that churned long ago were archived and partly purged from the export.
    train = messy.class_imbalance(
        train, train_rng, train_card, column=TARGET, minority=1, ratio=0.22
    ).reset_index(drop=True)
    train = _damage(train, train_rng, train_card, duplicates=True)

    evaluation = customers.iloc[train_rows:].reset_index(drop=True)
    evaluation = _drift(evaluation, eval_rng, eval_card)
    unseen = evaluation["region"].eq(UNSEEN_REGION).to_numpy()
    drifted = evaluation["region"].eq(DRIFTED_REGION).to_numpy()
    evaluation = _with_signup_date_and_churn(evaluation, eval_rng)
    # At prediction time no cancellation ticket exists yet: the flag is 0 for everyone, so
    # a model leaning on it loses the signal it relied on (rather than gaining any).
    evaluation = messy.target_leakage(
        evaluation,
        eval_rng,
        eval_card,
        target=TARGET,
        column=LEAKAGE_COLUMN,
        true_positive_rate=0.0,
        false_positive_rate=0.0,
    )
    eval_labels = evaluation[[ID_COLUMN, TARGET]].copy()
    eval_features = _damage(evaluation.drop(columns=[TARGET]), eval_rng, eval_card)

    missing_counts = eval_features[list(MISSING_COUNTED)].isna().sum(axis=1).to_numpy()
    corrupted = eval_card.affected_rows(messy.OUTLIERS, messy.IMPOSSIBLE_VALUES)
    ids = eval_features[ID_COLUMN]
    slices = {
        "unseen_category": ids[unseen].tolist(),
        "drifted": ids[drifted].tolist(),
        "heavy_missing": ids[missing_counts >= HEAVY_MISSING].tolist(),
        "corrupted": ids.loc[corrupted].tolist(),
    }

    data_card: dict[str, Any] = {
        **card.to_dict(),
        "kinds": card.kinds(),
        "seed": seed,
        "rows": {
            "train": len(train),
            "train_unique_customers": int(train[ID_COLUMN].nunique()),
            "eval": len(eval_features),
        },
        "churn_rate": {
            "train": round(float(train[TARGET].mean()), 4),
            "eval": round(float(eval_labels[TARGET].mean()), 4),
        },
        "leakage_column": LEAKAGE_COLUMN,
        "slices": {name: len(members) for name, members in slices.items()},
        "schema_drift": SCHEMA_DRIFT_DECISION,
    }
    return GeneratedData(
        public={"train.csv": train},
        eval_features=eval_features,
        eval_labels=eval_labels,
        data_card=data_card,
        eval_slices=slices,
    )


def _customers(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Clean customers without labels; ids are unique across all rows."""
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
    discount = np.array([CONTRACT_DISCOUNT[name] for name in contract])
    price = np.array([LIST_PRICE_PER_SEAT[name] for name in plan])
    # Negotiated price relative to the list price: customers paying more leave sooner.
    premium = rng.normal(0, 0.12, size=count)
    spend = np.round(seats * price * discount * np.exp(premium), 2)
    available = np.array([FEATURES_AVAILABLE[name] for name in plan])
    features = rng.binomial(available, 1 / (1 + np.exp(-(0.2 + 1.2 * engagement))))
    last_login = np.clip(
        np.round(np.exp(2.0 - 1.1 * engagement + rng.normal(0, 0.5, count))), 0, 365
    )
    tickets = rng.poisson(np.exp(-0.6 + 0.2 * np.log(seats) - 0.5 * satisfaction))
    score = np.clip(np.round(6.5 + 1.6 * satisfaction + rng.normal(0, 1.0, count)), 1, 10)

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
        }
    )


def _drift(frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard) -> pd.DataFrame:
    """How the hidden customers differ from the public ones (before labels are drawn)."""
    # A newly opened region: its value never appears in train.csv.
    frame = messy.drift(frame, rng, card, column="region", rate=0.06, mix={UNSEEN_REGION: 1.0})
    # APAC after a sales push and a price rise: younger accounts paying more per seat.
    apac = {"region": [DRIFTED_REGION]}
    frame = messy.drift(frame, rng, card, column="tenure_months", where=apac, scale=0.5)
    return messy.drift(frame, rng, card, column="monthly_spend", where=apac, scale=1.2)


def _with_signup_date_and_churn(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add the signup date (consistent with tenure) and the churn label."""
    days = np.round(frame["tenure_months"].to_numpy() * 30.44) + rng.integers(0, 30, len(frame))
    frame = frame.assign(signup_date=SNAPSHOT - pd.to_timedelta(days, unit="D"))
    frame[TARGET] = _churn(rng, frame)
    return frame


def _churn(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    """Draw churn from the observed columns: the same rule for every split."""
    plan, contract = frame["plan"].to_numpy(), frame["contract_type"].to_numpy()
    payment, region = frame["payment_method"].to_numpy(), frame["region"].to_numpy()
    tenure = frame["tenure_months"].to_numpy(dtype=float)
    seats = frame["seats"].to_numpy(dtype=float)
    last_login = frame["last_login_days"].to_numpy(dtype=float)
    tickets = frame["support_tickets_90d"].to_numpy(dtype=float)
    score = frame["satisfaction_score"].to_numpy(dtype=float)
    is_basic, is_enterprise = plan == "Basic", plan == "Enterprise"
    list_spend = (
        seats
        * np.array([LIST_PRICE_PER_SEAT[name] for name in plan])
        * np.array([CONTRACT_DISCOUNT[name] for name in contract])
    )
    premium = np.log(frame["monthly_spend"].to_numpy(dtype=float) / list_spend)
    adoption = frame["features_used"].to_numpy(dtype=float) / np.array(
        [FEATURES_AVAILABLE[name] for name in plan]
    )
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
        + rng.normal(0, 0.3, len(frame))
    )
    churned: np.ndarray = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return churned


def _choose_per_row(
    rng: np.random.Generator, options: tuple[str, ...], probabilities: np.ndarray
) -> np.ndarray:
    """Draw one option per row, each row with its own probabilities."""
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random(len(probabilities))[:, None]
    indices: np.ndarray = (draws > cumulative).sum(axis=1).clip(0, len(options) - 1)
    chosen: np.ndarray = np.array(options, dtype=object)[indices]
    return chosen


SPELLINGS: dict[str, dict[str, list[str]]] = {
    "plan": {
        "Basic": [*messy.spelling_variants("Basic"), "Basic plan"],
        "Pro": [*messy.spelling_variants("Pro"), "Professional"],
        "Enterprise": [*messy.spelling_variants("Enterprise"), "Enterprize", "Ent."],
    },
    "region": {
        "North America": [*messy.spelling_variants("North America"), "N. America", "NorthAmerica"],
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


def _damage(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: messy.DataCard,
    *,
    duplicates: bool = False,
) -> pd.DataFrame:
    """Apply the export's mess; the same recipe for both splits, duplicates train-only.

    Schema drift is deliberately not applied (see ``SCHEMA_DRIFT_DECISION``).
    """
    # Missing values first, while categories still hold their canonical spellings.
    frame = messy.missing_completely_at_random(
        frame,
        rng,
        card,
        columns=[
            "region",
            "payment_method",
            "signup_date",
            "tenure_months",
            "monthly_spend",
            "last_login_days",
            "support_tickets_90d",
            "features_used",
        ],
        rate=0.04,
    )
    # Product analytics did not join for some accounts: all its columns are missing at once.
    frame = messy.missing_completely_at_random(
        frame,
        rng,
        card,
        columns=["last_login_days", "features_used", "support_tickets_90d", "satisfaction_score"],
        rate=0.05,
        jointly=True,
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
    for column, variants in SPELLINGS.items():
        frame = messy.category_spelling(
            frame, rng, card, column=column, variants=variants, rate=0.08
        )
    # The older billing system reports spend in cents.
    frame = messy.unit_mismatch(
        frame,
        rng,
        card,
        columns=["monthly_spend"],
        factor=100,
        rate=0.12,
        from_unit="USD",
        to_unit="US cents",
        source_column=SOURCE_COLUMN,
        source="v1",
        default_source="v2",
        decimals=2,
    )
    # Seat counts with an extra zero; negative tenure and spend; a "never" placeholder.
    frame = messy.outliers(frame, rng, card, column="seats", rate=0.005, factor=10)
    frame = messy.impossible_values(frame, rng, card, column="tenure_months", rate=0.02)
    frame = messy.impossible_values(
        frame, rng, card, column="last_login_days", rate=0.025, sentinel=99999
    )
    frame = messy.impossible_values(frame, rng, card, column="monthly_spend", rate=0.005)
    if duplicates:
        frame = messy.duplicates_near(
            frame,
            rng,
            card,
            rate=0.015,
            numeric_columns=["monthly_spend"],
            text_columns=["plan", "region"],
            relative_noise=0.03,
        )
    frame = _tidy(frame)
    # Rendering as text comes last: the numeric damage above needs numbers and dates.
    frame = messy.mixed_dates(
        frame,
        rng,
        card,
        column="signup_date",
        formats=["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d %b %Y"],
        rate=0.25,
        offsets=["-08:00", "-05:00", "+01:00", "+05:30", "+09:00"],
        offset_rate=0.1,
    )
    frame = messy.numbers_as_text(
        frame, rng, card, column="monthly_spend", rate=0.12, symbols=("", "$")
    )
    if duplicates:
        frame = messy.duplicates_exact(frame, rng, card, rate=0.025)
        # Copies were appended at the end; a real export would interleave them.
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    columns = [ID_COLUMN, *FEATURE_COLUMNS, *([TARGET] if TARGET in frame.columns else [])]
    return frame[columns]


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
