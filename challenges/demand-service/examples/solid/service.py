"""Schema mapping, row checks and features shared by training and serving."""

import numpy as np
import pandas as pd

# Upstream renames we know about (new name -> training name).
COLUMN_ALIASES = {
    "on_promotion": "promo",
    "store_area_sqm": "store_size_sqm",
}
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d"]
CATEGORY_MAP = {
    "dairy": "dairy", "dairy & eggs": "dairy", "bakery": "bakery", "bread": "bakery",
    "beverages": "beverages", "beverage": "beverages", "drinks": "beverages",
    "snacks": "snacks", "snack": "snacks", "produce": "produce", "fruit & veg": "produce",
}
FORMAT_MAP = {
    "hyper": "hyper", "hypermarket": "hyper", "super": "super", "supermarket": "super",
    "express": "express", "convenience": "express",
}
CATEGORICAL = ["store_id", "product_id", "category", "store_format", "region"]
NUMERIC = ["store_size_sqm", "price", "promo", "discount_pct", "is_holiday", "temperature_c",
           "day_of_week", "day_of_year"]


def parse_date(values):
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index)
    for fmt in DATE_FORMATS:
        out = out.fillna(pd.to_datetime(text, format=fmt, errors="coerce"))
    return out


def clean(frame):
    """Map the schema and parse fields; returns (clean rows, unusable-row mask)."""
    frame = frame.rename(columns=COLUMN_ALIASES)
    price_raw = frame["price"]
    if "unit_price" in frame.columns:  # stores on the new point-of-sale system
        price_raw = price_raw.where(price_raw.notna(), frame["unit_price"])
    rows = pd.DataFrame(index=frame.index)
    price = pd.to_numeric(price_raw.astype(str).str.replace(r"[$,]", "", regex=True), errors="coerce")
    price[frame["pos_system"].astype(str).str.strip().eq("legacy")] /= 100
    rows["price"] = price
    date = parse_date(frame["date"])
    rows["day_of_week"] = date.dt.dayofweek
    rows["day_of_year"] = date.dt.dayofyear
    promo = frame["promo"].astype(str).str.strip().str.upper()
    rows["promo"] = promo.map({"Y": 1, "N": 0, "1": 1, "0": 0, "1.0": 1, "0.0": 0})
    for column in ["store_size_sqm", "discount_pct", "is_holiday", "temperature_c"]:
        rows[column] = pd.to_numeric(frame[column], errors="coerce")
    rows["store_id"] = frame["store_id"]
    rows["product_id"] = frame["product_id"]
    rows["category"] = frame["category"].astype(str).str.strip().str.lower().map(CATEGORY_MAP)
    rows["store_format"] = frame["store_format"].astype(str).str.strip().str.lower().map(FORMAT_MAP)
    rows["region"] = frame["region"]
    unusable = (
        frame["store_id"].isna()
        | frame["product_id"].isna()
        | date.isna()
        | (price_raw.notna() & price.isna())
    )
    return rows, unusable.to_numpy()


class Encoder:
    def fit(self, rows):
        self.codes = {c: {v: i for i, v in enumerate(sorted(rows[c].dropna().unique()))} for c in CATEGORICAL}
        self.fill = rows[NUMERIC].median().to_dict()
        return self

    def transform(self, rows):
        parts = [rows[c].map(self.codes[c]).fillna(-1).to_numpy(float) for c in CATEGORICAL]
        parts += [rows[c].fillna(self.fill[c]).to_numpy(float) for c in NUMERIC]
        return np.column_stack(parts)
