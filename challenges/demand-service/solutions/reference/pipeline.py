"""Input contract of the demand service: schema mapping, validation and features.

Everything here works row by row, so the same code serves a batch of thousands of rows
and a single request. Three steps:

1. ``to_canonical``: map whatever column names the feed sends onto the names the model
   was trained with (known aliases, case and spacing ignored), coalescing columns that
   carry the same field for different sources (``price`` / ``unit_price``).
2. ``validate``: parse every field and decide per row whether a trustworthy prediction
   is possible. Rows missing a key field (date, store, product) or with an unreadable or
   impossible price are *flagged*, with the reason; everything else is repaired.
3. ``features``: the model matrix from validated rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ID_COLUMN = "record_id"
TARGET = "units_sold"
CANONICAL = (
    "date",
    "store_id",
    "store_format",
    "region",
    "store_size_sqm",
    "product_id",
    "category",
    "price",
    "pos_system",
    "promo",
    "discount_pct",
    "is_holiday",
    "temperature_c",
)
ALIASES: dict[str, tuple[str, ...]] = {
    "promo": ("on_promotion", "promotion", "is_promo", "promo_flag"),
    "store_size_sqm": ("store_area_sqm", "store_size", "size_sqm", "store_area"),
    "price": ("unit_price", "sell_price", "price_usd"),
    "temperature_c": ("temperature", "temp_c"),
    "discount_pct": ("discount", "discount_percent"),
    "is_holiday": ("holiday",),
    "date": ("sale_date", "day"),
    "store_id": ("store",),
    "product_id": ("product", "sku"),
}
KEY_FIELDS = ("date", "store_id", "product_id")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d")
MAX_PRICE_USD = 100.0
"""No product sells above this; a larger price (after the cents fix) is a placeholder."""
CENTS_SOURCES = ("legacy",)
CATEGORY_NAMES = {
    "dairy": "dairy",
    "dairyeggs": "dairy",
    "bakery": "bakery",
    "bread": "bakery",
    "beverages": "beverages",
    "beverage": "beverages",
    "drinks": "beverages",
    "snacks": "snacks",
    "snack": "snacks",
    "produce": "produce",
    "fruitveg": "produce",
}
FORMAT_NAMES = {
    "hyper": "hyper",
    "hypermarket": "hyper",
    "super": "super",
    "supermarket": "super",
    "express": "express",
    "convenience": "express",
}
YES = {"y", "yes", "true", "1", "1.0", "t"}
NO = {"n", "no", "false", "0", "0.0", "f"}
CATEGORICAL = ("product_id", "category", "store_format", "region", "store_id")
NUMERIC = (
    "store_size_sqm",
    "price",
    "price_ratio",
    "promo",
    "discount_pct",
    "is_holiday",
    "temperature_c",
    "day_of_week",
    "day_of_year_sin",
    "day_of_year_cos",
)


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def to_canonical(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename known aliases to canonical names; returns the frame and what was mapped.

    When several columns map to one field (``price`` and ``unit_price``), the first
    non-missing value per row wins, the canonical name first.
    """
    by_key: dict[str, list[str]] = {}
    for column in frame.columns:
        by_key.setdefault(_key(column), []).append(column)
    result = pd.DataFrame(index=frame.index)
    mapping: dict[str, str] = {}
    for name in CANONICAL:
        sources = [
            column
            for alias in (name, *ALIASES.get(name, ()))
            for column in by_key.get(_key(alias), [])
        ]
        if not sources:
            result[name] = np.nan
            continue
        values = frame[sources[0]].astype(object)
        for other in sources[1:]:
            values = values.where(values.notna(), frame[other].astype(object))
        result[name] = values
        mapping.update({source: name for source in sources if source != name})
    return result, mapping


@dataclass
class Validated:
    """Rows ready for the model, and which rows must not be trusted (and why)."""

    rows: pd.DataFrame
    flagged: np.ndarray
    reasons: list[str] = field(default_factory=list)


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text, ``None`` where missing (object dtype: cheap on one row)."""
    return pd.Series(
        [None if value is None or value != value else str(value).strip() for value in values],
        index=values.index,
        dtype=object,
    )


def _parse_dates(values: pd.Series) -> pd.Series:
    text = _text(values)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for date_format in DATE_FORMATS:
        missing = parsed.isna() & text.notna()
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(text[missing], format=date_format, errors="coerce")
    return parsed


def _parse_numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = _text(values).map(lambda value: None if value is None else re.sub(r"[\s$,]", "", value))
    return pd.to_numeric(text, errors="coerce").astype(float)


def _parse_flags(values: pd.Series) -> pd.Series:
    text = _text(values).map(lambda value: None if value is None else value.lower())
    return pd.Series(
        np.where(text.isin(YES), 1.0, np.where(text.isin(NO), 0.0, np.nan)), index=values.index
    )


def _normalise(values: pd.Series, names: dict[str, str]) -> pd.Series:
    return _text(values).map(
        lambda value: None if value is None else names.get(re.sub(r"[^a-z]", "", value.lower()))
    )


def validate(frame: pd.DataFrame, typical_price: dict[str, float] | None = None) -> Validated:
    """Parse a canonical frame; flag rows that cannot be predicted, repair the rest.

    Args:
        frame: Output of :func:`to_canonical`.
        typical_price: Product -> usual price in dollars (from training), used for rows
            whose price is simply missing.
    """
    rows = pd.DataFrame(index=frame.index)
    reasons = pd.Series("", index=frame.index, dtype=object)

    def flag(mask: pd.Series, reason: str) -> None:
        fresh = mask & reasons.eq("")
        reasons[fresh] = reason

    for column in ("store_id", "product_id"):
        text = _text(frame[column]).map(lambda value: value.upper() if value else None)
        rows[column] = text
        flag(text.isna(), f"missing {column}")
    rows["date"] = _parse_dates(frame["date"])
    flag(frame["date"].isna(), "missing date")
    flag(rows["date"].isna(), "unreadable date")

    price = _parse_numbers(frame["price"])
    flag(frame["price"].notna() & price.isna(), "unreadable price")
    source = _text(frame["pos_system"]).map(lambda value: value.lower() if value else None)
    price = price.where(~source.isin(CENTS_SOURCES), price / 100)
    flag((price <= 0) | (price > MAX_PRICE_USD), "impossible price")
    if typical_price:
        usual = rows["product_id"].map(typical_price).astype(float)
        discount = _parse_numbers(frame["discount_pct"]).fillna(0).clip(0, 90)
        price = price.where(price.notna(), usual * (1 - discount / 100))
        rows["price_ratio"] = price / usual
    else:
        rows["price_ratio"] = np.nan
    rows["price"] = price.astype(float)

    rows["category"] = _normalise(frame["category"], CATEGORY_NAMES)
    rows["store_format"] = _normalise(frame["store_format"], FORMAT_NAMES)
    rows["region"] = _text(frame["region"]).map(lambda value: value.lower() if value else None)
    size = _parse_numbers(frame["store_size_sqm"])
    rows["store_size_sqm"] = size.where(size > 0)
    discount = _parse_numbers(frame["discount_pct"])
    rows["discount_pct"] = discount.where(discount.between(0, 90))
    promo = _parse_flags(frame["promo"])
    rows["promo"] = promo.where(promo.notna(), (rows["discount_pct"] > 0).astype(float))
    rows["is_holiday"] = _parse_flags(frame["is_holiday"])
    temperature = _parse_numbers(frame["temperature_c"])
    rows["temperature_c"] = temperature.where(temperature.between(-40, 50))

    day_of_year = rows["date"].dt.day_of_year
    rows["day_of_week"] = rows["date"].dt.day_of_week
    rows["day_of_year_sin"] = np.sin(2 * np.pi * day_of_year / 365.25)
    rows["day_of_year_cos"] = np.cos(2 * np.pi * day_of_year / 365.25)
    flagged = reasons.ne("").to_numpy()
    return Validated(rows, flagged, reasons.tolist())


@dataclass
class Encoder:
    """Category codes learned from training; unseen values become missing."""

    categories: dict[str, list[str]] = field(default_factory=dict)

    def fit(self, rows: pd.DataFrame) -> Encoder:
        self.categories = {
            column: sorted(rows[column].dropna().astype(str).unique().tolist())
            for column in CATEGORICAL
        }
        return self

    def transform(self, rows: pd.DataFrame) -> np.ndarray:
        """The model matrix: category codes (NaN when unseen), then the numeric columns."""
        columns = []
        for column in CATEGORICAL:
            codes = {value: index for index, value in enumerate(self.categories[column])}
            columns.append(rows[column].map(codes).to_numpy(dtype=float))
        for column in NUMERIC:
            columns.append(rows[column].to_numpy(dtype=float))
        return np.column_stack(columns)

    def categorical_mask(self) -> list[bool]:
        return [True] * len(CATEGORICAL) + [False] * len(NUMERIC)
