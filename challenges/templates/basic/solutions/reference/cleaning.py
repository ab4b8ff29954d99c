"""Cleaning shared by training and prediction."""

import pandas as pd

NUMERIC = ["usage_hours", "tickets", "tenure_days", "monthly_spend"]


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["segment"] = frame["segment"].astype("string").str.strip().str.title()
    for column in NUMERIC:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    # Usage above 1000 hours is an outlier (a unit mix-up): treat it as missing.
    frame.loc[frame["usage_hours"] > 1000, "usage_hours"] = float("nan")
    frame["segment"] = frame["segment"].astype(object).where(frame["segment"].notna(), None)
    return frame
