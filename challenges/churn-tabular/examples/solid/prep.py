"""Cleaning shared by training and prediction."""
import numpy as np
import pandas as pd

CATEGORICAL = ["plan", "region", "contract_type", "payment_method"]
NUMERIC = [
    "tenure_months",
    "seats",
    "monthly_spend",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "satisfaction_score",
    "log_spend_per_seat",
    "inactive_3_weeks",
]

# the category columns have inconsistent spellings; these are the ones I spotted
FIXES = {
    "basic plan": "basic",
    "professional": "pro",
    "enterprize": "enterprise",
    "europe": "emea",
    "northamerica": "north america",
    "n. america": "north america",
    "month to month": "month-to-month",
    "monthly": "month-to-month",
    "1 year": "one year",
    "2 year": "two year",
    "creditcard": "credit card",
}


def clean_text(value):
    if not isinstance(value, str):
        return np.nan
    value = " ".join(value.lower().split())
    return FIXES.get(value, value)


def prepare(df):
    df = df.copy()
    for col in CATEGORICAL:
        df[col] = df[col].map(clean_text).astype(object)
    # monthly_spend is read as text: some values look like "$1,234.50"
    spend = df["monthly_spend"].astype(str).str.replace("$", "", regex=False).str.replace(",", "", regex=False)
    df["monthly_spend"] = pd.to_numeric(spend, errors="coerce")
    for col in ["tenure_months", "seats", "monthly_spend", "support_tickets_90d", "last_login_days",
                "features_used", "satisfaction_score"]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    # negative tenure / spend make no sense
    df.loc[df["tenure_months"] < 0, "tenure_months"] = np.nan
    df.loc[df["monthly_spend"] < 0, "monthly_spend"] = np.nan
    # 99999 looks like a placeholder for "unknown"
    df.loc[df["last_login_days"] > 1000, "last_login_days"] = np.nan
    # a few huge spends, clip them
    df["monthly_spend"] = df["monthly_spend"].clip(upper=50000)
    df["log_spend_per_seat"] = np.log1p(df["monthly_spend"] / df["seats"])
    df["inactive_3_weeks"] = (df["last_login_days"] > 21).astype(float)
    df.loc[df["last_login_days"].isna(), "inactive_3_weeks"] = np.nan
    return df[CATEGORICAL + NUMERIC]
