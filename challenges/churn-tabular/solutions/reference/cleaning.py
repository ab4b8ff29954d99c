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

# The export's snapshot date: signup_date + tenure_months lands on 2024-06-01 for every
# row where both are sane, so tenure can be recovered from the signup date.
SNAPSHOT = pd.Timestamp("2024-06-01")
DAYS_PER_MONTH = 30.44
# Date formats seen in signup_date (value_counts of the shapes); timestamps with a UTC
# offset are parsed separately and converted to UTC before taking the date.
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d %b %Y"]
# billing_system "v1" reports monthly_spend in cents (its per-seat prices are 100x the
# list prices); "v2" in dollars.
CENTS_SOURCE = "v1"
# Never a feature: cancellation_ticket_open is set for about half of the churners and
# almost no one else, i.e. it is recorded after the customer decided to leave. It cannot
# be known when predicting, so a model using it validates brilliantly and then fails.
LEAKAGE_COLUMN = "cancellation_ticket_open"

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


def get_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of ``frame``, or an all-missing one when it is absent."""
    if name in frame:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype="object")


def to_number(values: pd.Series) -> np.ndarray:
    """Numbers, also from text such as "$1,234.50" (currency symbols, thousands separators)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    text = values.astype("string").str.replace(r"[$,\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates (midnight, no time zone) from any of the export's formats; NaT when unknown."""
    text = values.astype("string")
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for date_format in DATE_FORMATS:
        found = pd.to_datetime(text, format=date_format, errors="coerce")
        parsed = parsed.fillna(found.astype("datetime64[ns]"))
    has_offset = text.str.contains("T", regex=False).fillna(False).astype(bool)
    if has_offset.any():
        stamps = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        parsed[has_offset] = stamps.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    return parsed


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise categories and repair numeric errors; rows and index are kept.

    Works on numpy arrays where it can: a single-row call is dominated by per-operation
    overhead, so fewer pandas operations means lower latency.
    """
    cleaned = {
        name: [canonical(name, value) for value in get_column(frame, name).tolist()]
        for name in CATEGORIES
    }
    numbers = {}
    for name in NUMERIC:
        values = to_number(get_column(frame, name))
        low, high = VALID_RANGE[name]
        values[(values < low) | (values > high)] = np.nan
        numbers[name] = values

    # Unit errors: the v1 billing system reports cents.
    billing = get_column(frame, "billing_system").to_numpy(dtype=object)
    numbers["monthly_spend"] = np.where(
        billing == CENTS_SOURCE, numbers["monthly_spend"] / 100, numbers["monthly_spend"]
    )
    # Tenure missing or impossible: recover it from the signup date (only where needed).
    lost = np.isnan(numbers["tenure_months"])
    if lost.any():
        signup = parse_dates(get_column(frame, "signup_date")[lost])
        days = (SNAPSHOT - signup).dt.days.to_numpy(dtype="float64", na_value=np.nan)
        numbers["tenure_months"][lost] = np.where(days >= 0, np.floor(days / DAYS_PER_MONTH), np.nan)
    # Some seat counts have an extra zero: spend per seat below $2 is below every price.
    with np.errstate(invalid="ignore", divide="ignore"):
        extra_zero = numbers["monthly_spend"] / numbers["seats"] < 2
    numbers["seats"] = np.where(extra_zero, np.round(numbers["seats"] / 10), numbers["seats"])
    # Without seats we cannot tell; spends far above any plan's price are dropped instead.
    spend = numbers["monthly_spend"]
    numbers["monthly_spend"] = np.where(spend < 100_000, spend, np.nan)
    return pd.DataFrame({**cleaned, **numbers}, index=frame.index)


def features(cleaned: pd.DataFrame) -> np.ndarray:
    """The model matrix: category codes, numbers and a few derived columns (NaN = missing)."""
    columns = {}
    for name, values in CATEGORIES.items():
        codes = {value: float(code) for code, value in enumerate(values)}
        columns[name] = np.array([codes.get(value, np.nan) for value in cleaned[name].tolist()])
    for name in NUMERIC:
        columns[name] = cleaned[name].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["spend_per_seat"] = columns["monthly_spend"] / columns["seats"]
    # Churn jumps once a customer has been away for about three weeks (seen in the EDA).
    login = columns["last_login_days"]
    columns["login_gap_over_3_weeks"] = np.where(np.isnan(login), np.nan, login > 21)
    # Unanswered surveys are informative: inactive customers skip them.
    columns["survey_missing"] = np.isnan(columns["satisfaction_score"]).astype("float64")
    return np.column_stack([columns[name] for name in FEATURES]).astype("float64")


def categorical_mask() -> list[bool]:
    """Which model columns are categorical, for HistGradientBoostingClassifier."""
    return [name in CATEGORIES for name in FEATURES]
