"""Turn raw rows (training export or live feed) into model features.

The live feed renamed two columns and moved the price of some stores to `unit_price`;
everything is mapped back to the training names first. Anything unreadable becomes
missing and is filled with the training median, so every row gets a prediction.
"""

import numpy as np
import pandas as pd

RENAMES = {"on_promotion": "promo", "store_area_sqm": "store_size_sqm"}
NUMERIC = ["store_size_sqm", "price", "promo", "discount_pct", "is_holiday", "temperature_c"]
CATEGORIES = ["store_id", "product_id", "category", "store_format", "region"]


def standardise(frame):
    frame = frame.rename(columns=RENAMES)
    if "unit_price" in frame.columns:
        frame["price"] = frame["price"].where(frame["price"].notna(), frame["unit_price"])
    out = pd.DataFrame(index=frame.index)
    price = frame["price"].astype(str).str.replace(r"[$,\s]", "", regex=True)
    out["price"] = pd.to_numeric(price, errors="coerce")
    out.loc[frame["pos_system"].astype(str).str.strip() == "legacy", "price"] /= 100
    promo = frame["promo"].astype(str).str.strip().str.upper()
    out["promo"] = promo.map({"Y": 1.0, "N": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0})
    for column in ["store_size_sqm", "discount_pct", "is_holiday", "temperature_c"]:
        out[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in CATEGORIES:
        out[column] = frame[column].astype(str).str.strip().str.lower()
    date = pd.to_datetime(frame["date"].astype(str), format="mixed", errors="coerce")
    out["day_of_week"] = date.dt.dayofweek
    out["month"] = date.dt.month
    return out


def fit_encoders(clean):
    return {column: sorted(clean[column].unique()) for column in CATEGORIES}


def matrix(clean, encoders, medians):
    columns = []
    for column in CATEGORIES:
        codes = {value: index for index, value in enumerate(encoders[column])}
        columns.append(clean[column].map(codes).fillna(-1).to_numpy(dtype=float))
    for column in NUMERIC + ["day_of_week", "month"]:
        columns.append(clean[column].fillna(medians[column]).to_numpy(dtype=float))
    return np.column_stack(columns)
