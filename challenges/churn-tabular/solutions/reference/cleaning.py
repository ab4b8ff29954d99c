"""Cleaning and feature building shared by train.py and predict.py.

Everything here works row by row (no statistics from the frame being cleaned), so a
single-row frame at prediction time is cleaned exactly like the training data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

ID_COLUMN = "customer_id"
TARGET = "churned"

# Canonical values, in a fixed order: the position is the category code the model sees.
CATEGORIES = {
    "plan": ["Basic", "Pro", "Enterprise"],
    "region": ["North America", "EMEA", "APAC", "LATAM"],
    "contract_type": ["Month-to-month", "One year", "Two year"],
    "payment_method": ["Credit card", "Bank transfer", "Invoice", "PayPal"],
}

# Spellings seen in train.csv, keyed by the lower-case letters-and-digits form.
# Found with value_counts() on each column; anything else becomes missing.
ALIASES = {
    "plan": {
        "basic": "Basic", "basicplan": "Basic",
        "pro": "Pro", "professional": "Pro",
        "enterprise": "Enterprise", "enterprize": "Enterprise", "ent": "Enterprise",
    },
    "region": {
        "northamerica": "North America", "namerica": "North America",
        "emea": "EMEA", "europe": "EMEA",
        "apac": "APAC", "asiapacific": "APAC",
        "latam": "LATAM", "latinamerica": "LATAM",
    },
    "contract_type": {
        "monthtomonth": "Month-to-month", "monthly": "Month-to-month",
        "oneyear": "One year", "1year": "One year", "annual": "One year",
        "twoyear": "Two year", "2year": "Two year",
    },
    "payment_method": {
        "creditcard": "Credit card", "card": "Credit card",
        "banktransfer": "Bank transfer", "wire": "Bank transfer",
        "invoice": "Invoice", "invoiced": "Invoice",
        "paypal": "PayPal",
    },
}

NUMERIC = [
    "tenure_months",
    "seats",
    "monthly_spend",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
]

# Physically possible ranges; values outside are data errors, treated as missing.
VALID_RANGE = {
    "tenure_months": (0, 600),
    "seats": (1, 100_000),
    "monthly_spend": (0, 10_000_000),
    "support_tickets_90d": (0, 1_000),
    "last_login_days": (0, 3_650),  # 99999 is the export's "never/unknown" placeholder
    "features_used": (0, 100),
    "satisfaction_score": (1, 10),
}

FEATURES = [*CATEGORIES, *NUMERIC, "spend_per_seat", "login_gap_over_3_weeks", "survey_missing"]


def canonical(column: str, value: object) -> float | str:
    """Map any spelling of a category to its canonical value (NaN when unknown)."""
    if not isinstance(value, str):
        return np.nan
    key = re.sub(r"[^a-z0-9]", "", value.lower())
    return ALIASES[column].get(key, np.nan)


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise categories and repair numeric errors; rows and index are kept."""
    cleaned = pd.DataFrame(index=frame.index)
    for column in CATEGORIES:
        values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        cleaned[column] = [canonical(column, value) for value in values.tolist()]
    for column in NUMERIC:
        values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        low, high = VALID_RANGE[column]
        cleaned[column] = numbers.where((numbers >= low) & (numbers <= high))

    # Unit errors: some spends are in cents (per-seat price ~100x the list prices of
    # 12-49), and some seat counts have an extra zero (spend per seat below $2).
    per_seat = cleaned["monthly_spend"] / cleaned["seats"]
    in_cents = per_seat > 300
    cleaned.loc[in_cents, "monthly_spend"] = cleaned.loc[in_cents, "monthly_spend"] / 100
    per_seat = cleaned["monthly_spend"] / cleaned["seats"]
    extra_zero = per_seat < 2
    cleaned.loc[extra_zero, "seats"] = np.round(cleaned.loc[extra_zero, "seats"] / 10)
    # Without seats we cannot tell; spends far above any plan's price are dropped instead.
    cleaned["monthly_spend"] = cleaned["monthly_spend"].where(cleaned["monthly_spend"] < 100_000)
    return cleaned


def features(cleaned: pd.DataFrame) -> np.ndarray:
    """The model matrix: category codes, numbers and a few derived columns (NaN = missing)."""
    columns = {}
    for column, values in CATEGORIES.items():
        codes = {value: float(code) for code, value in enumerate(values)}
        columns[column] = cleaned[column].map(codes).astype("float64")
    for column in NUMERIC:
        columns[column] = cleaned[column]
    columns["spend_per_seat"] = cleaned["monthly_spend"] / cleaned["seats"]
    # Churn jumps once a customer has been away for about three weeks (seen in the EDA).
    columns["login_gap_over_3_weeks"] = (cleaned["last_login_days"] > 21).astype("float64").where(
        cleaned["last_login_days"].notna()
    )
    # Unanswered surveys are informative: inactive customers skip them.
    columns["survey_missing"] = cleaned["satisfaction_score"].isna().astype("float64")
    matrix = pd.DataFrame(columns, index=cleaned.index)[FEATURES]
    return matrix.to_numpy(dtype="float64", na_value=np.nan)


def categorical_mask() -> list[bool]:
    """Which model columns are categorical, for HistGradientBoostingClassifier."""
    return [name in CATEGORIES for name in FEATURES]
