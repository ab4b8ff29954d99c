"""Data generator of the demand-service challenge: daily unit sales per store and product.

Each row is one store, one product and one day. Demand follows a multiplicative model of
things a service can see at request time: the product's base rate and its price elasticity
(prices move with promotions and with markdowns only the price shows), the store's format
and size (plus a small store effect), the day of the week, a yearly season per category,
promotions with their discount, public holidays and, for drinks and fresh produce, the
temperature. Units sold are a negative-binomial draw around it.

``train.csv`` holds the 14 months up to 2024-02-29 for 16 stores, exported from two
point-of-sale systems and damaged with the usual mess from :mod:`challenges.messy`
(missing values, spellings, prices in cents from the legacy system, prices as text, mixed
date formats, impossible prices, bulk-order outliers in the target, duplicates).

The hidden evaluation rows are the three months after it, including three stores that
opened since, and they arrive the way a production feed changes under a service:

- **Schema drift for every row** (an upstream release): ``promo`` is renamed to
  ``on_promotion`` and now holds ``Y``/``N`` instead of 0/1, ``store_size_sqm`` is renamed
  to ``store_area_sqm``, a ``feed_version`` column appears and the column order changes.
- **Schema drift for one source**: three stores (one per format) moved to the new
  ``nextgen`` point-of-sale system send their price in a new ``unit_price`` column and
  leave ``price`` empty.
- **Corrupted rows** (``is_corrupted`` = 1 in the hidden labels): a missing store or
  product id, a date or price that is garbage text, or an impossible price (zero,
  negative or a 99999 placeholder). A service should flag them rather than guess; they
  are left out of the main metric.

Every injection is recorded in the data card, with a per-kind summary under ``problems``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from challenges import messy
from challenges.data import GeneratedData

ID_COLUMN = "record_id"
TARGET = "units_sold"
FLAG_COLUMN = "is_corrupted"
SOURCE_COLUMN = "pos_system"
LEGACY_SOURCE, CLOUD_SOURCE, NEXTGEN_SOURCE = "legacy", "cloud", "nextgen"
TRAIN_START, TRAIN_END = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-02-29")
EVAL_START, EVAL_END = pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-31")
KEY_COLUMNS = ("date", "store_id", "product_id")
FEATURE_COLUMNS = (
    "date",
    "store_id",
    "store_format",
    "region",
    "store_size_sqm",
    "product_id",
    "category",
    "price",
    SOURCE_COLUMN,
    "promo",
    "discount_pct",
    "is_holiday",
    "temperature_c",
)
"""Candidate-visible columns of train.csv besides the id and the target, in file order."""
RENAMED = {"promo": "on_promotion", "store_size_sqm": "store_area_sqm"}
"""Columns an upstream release renamed in the hidden feed (old name -> new name)."""
NEXTGEN_PRICE_COLUMN = "unit_price"
FEED_VERSION_COLUMN = "feed_version"
FEED_VERSIONS = ("2024.03.1", "2024.03.2")

# Custom kinds for the corruption that has no injector in challenges.messy.
GARBAGE_VALUES = "garbage_values"
MISSING_KEY_FIELDS = "missing_key_fields"
GARBAGE_DATES = ("0000-00-00", "not a date", "#REF!", "31/02/2024", "2024-13-45")
GARBAGE_PRICES = ("#VALUE!", "ERR", "??", "price", "1.2.3")

FORMATS = ("hyper", "super", "express")
FORMAT_FACTOR = {"hyper": 1.6, "super": 1.0, "express": 0.55}
FORMAT_SIZE = {"hyper": (6000.0, 11000.0), "super": (1800.0, 4000.0), "express": (250.0, 700.0)}
REGIONS = ("north", "south", "east", "west")
CATEGORIES = {
    "dairy": {"season": 0.05, "peak_day": 20, "promo_lift": 0.6, "heat": 0.0},
    "bakery": {"season": 0.08, "peak_day": 355, "promo_lift": 0.5, "heat": 0.0},
    "beverages": {"season": 0.30, "peak_day": 200, "promo_lift": 1.0, "heat": 0.035},
    "snacks": {"season": 0.10, "peak_day": 350, "promo_lift": 0.9, "heat": 0.0},
    "produce": {"season": 0.20, "peak_day": 180, "promo_lift": 0.7, "heat": 0.012},
}
WEEKDAY_FACTOR = np.array([0.85, 0.82, 0.9, 0.95, 1.15, 1.35, 1.05])
HOLIDAYS = pd.to_datetime(
    [
        "2023-01-01",
        "2023-01-16",
        "2023-02-20",
        "2023-04-07",
        "2023-05-29",
        "2023-07-04",
        "2023-09-04",
        "2023-11-23",
        "2023-11-24",
        "2023-12-24",
        "2023-12-25",
        "2023-12-31",
        "2024-01-01",
        "2024-01-15",
        "2024-02-19",
        "2024-03-29",
        "2024-05-27",
    ]
)
PRODUCTS_PER_CATEGORY = 3
TRAIN_STORES, NEW_STORES = 16, 3
SPELLINGS: dict[str, dict[str, list[str]]] = {
    "category": {
        "dairy": ["Dairy", "DAIRY", "dairy ", "Dairy & Eggs"],
        "bakery": ["Bakery", "BAKERY", " bakery", "Bread"],
        "beverages": ["Beverages", "BEVERAGES", "beverage", "Drinks"],
        "snacks": ["Snacks", "SNACKS", "snacks ", "Snack"],
        "produce": ["Produce", "PRODUCE", "produce ", "Fruit & Veg"],
    },
    "store_format": {
        "hyper": ["Hyper", "HYPER", "hypermarket", "hyper "],
        "super": ["Super", "SUPER", "supermarket", " super"],
        "express": ["Express", "EXPRESS", "convenience", "express "],
    },
}


def generate(seed: int, *, train_rows: int = 14000, eval_rows: int = 4500) -> GeneratedData:
    """Generate the public sales table and the hidden evaluation feed.

    Args:
        seed: Seeds every random draw; the same seed gives identical frames.
        train_rows: Store-product-days in the public table, before duplicates are added.
        eval_rows: Store-product-days in the hidden evaluation feed.

    Returns:
        ``train.csv`` (features and ``units_sold``), the drifted evaluation features, the
        labels (``units_sold`` and the ``is_corrupted`` flag), the slices and a data card
        listing every injected problem by split.
    """
    world_rng, train_rng, eval_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    stores, products = _stores(world_rng), _products(world_rng)
    ids = world_rng.choice(np.arange(1_000_000, 10_000_000), train_rows + eval_rows, replace=False)
    card = messy.DataCard()
    train_card, eval_card = card.for_split("train"), card.for_split("eval")

    known_stores = stores[~stores["new"]]
    train = _sales(train_rng, ids[:train_rows], known_stores, products, TRAIN_START, TRAIN_END)
    train = _damage(train, train_rng, train_card)
    train = messy.outliers(train, train_rng, train_card, column=TARGET, rate=0.006, factor=10)
    train = messy.duplicates_near(
        train,
        train_rng,
        train_card,
        rate=0.015,
        numeric_columns=["temperature_c"],
        text_columns=["category"],
        relative_noise=0.05,
        decimals=1,
    )
    train = messy.duplicates_exact(train, train_rng, train_card, rate=0.02)
    train = train.iloc[train_rng.permutation(len(train))].reset_index(drop=True)
    train = train[[ID_COLUMN, *FEATURE_COLUMNS, TARGET]]

    evaluation = _sales(eval_rng, ids[train_rows:], stores, products, EVAL_START, EVAL_END)
    new_store = evaluation["store_id"].isin(stores.loc[stores["new"], "store_id"]).to_numpy()
    promo_days = evaluation["promo"].eq(1).to_numpy()
    labels = evaluation[[ID_COLUMN, TARGET]].copy()
    features = _damage(evaluation.drop(columns=[TARGET]), eval_rng, eval_card)
    features = features[[ID_COLUMN, *FEATURE_COLUMNS]]
    features, nextgen = _nextgen_source(features, eval_rng, eval_card)
    features, corrupted = _corrupt(features, eval_rng, eval_card)
    features = _upstream_release(features, eval_rng, eval_card)
    labels[FLAG_COLUMN] = corrupted.astype(np.int64)

    eval_ids = features[ID_COLUMN]
    slices = {
        "corrupted": eval_ids[corrupted].tolist(),
        "drifted_schema_source": eval_ids[nextgen].tolist(),
        "new_store": eval_ids[new_store].tolist(),
        "promo_days": eval_ids[promo_days].tolist(),
    }
    corrupted_by_kind = {
        kind: len(eval_card.affected_rows(kind))
        for kind in (MISSING_KEY_FIELDS, GARBAGE_VALUES, messy.IMPOSSIBLE_VALUES)
    }
    data_card: dict[str, Any] = {
        **card.to_dict(),
        "kinds": card.kinds(),
        "seed": seed,
        "rows": {
            "train": len(train),
            "train_unique_records": int(train[ID_COLUMN].nunique()),
            "eval": len(features),
            "eval_corrupted": int(corrupted.sum()),
        },
        "periods": {
            "train": [TRAIN_START.date().isoformat(), TRAIN_END.date().isoformat()],
            "eval": [EVAL_START.date().isoformat(), EVAL_END.date().isoformat()],
        },
        "mean_units_sold": {
            "train": round(float(train[TARGET].mean()), 3),
            "eval": round(float(labels[TARGET].mean()), 3),
        },
        "new_stores": stores.loc[stores["new"], "store_id"].tolist(),
        "flag_column": FLAG_COLUMN,
        "corruption": {
            "rows": int(corrupted.sum()),
            "rows_per_kind": corrupted_by_kind,
            "rule": "a row is corrupted when a key field (date, store_id, product_id) is "
            "missing or unreadable, or its price is unreadable text or impossible "
            "(zero, negative or the 99999 placeholder); every other row is valid, "
            "however messy",
        },
        "schema_drift": {
            "renamed": dict(RENAMED),
            "dtype_changed": {"on_promotion": "0/1 integers -> 'Y'/'N' text"},
            "added": [FEED_VERSION_COLUMN, NEXTGEN_PRICE_COLUMN],
            "source_specific": f"{SOURCE_COLUMN} = {NEXTGEN_SOURCE!r} rows carry the price in "
            f"{NEXTGEN_PRICE_COLUMN!r} and leave 'price' empty",
            "train_columns": [ID_COLUMN, *FEATURE_COLUMNS, TARGET],
            "eval_columns": list(features.columns),
        },
        "slices": {name: len(members) for name, members in slices.items()},
    }
    return GeneratedData(
        public={"train.csv": train},
        eval_features=features,
        eval_labels=labels,
        data_card=data_card,
        eval_slices=slices,
    )


# --- the clean world ---------------------------------------------------------------------


def _stores(rng: np.random.Generator) -> pd.DataFrame:
    """Stores with their attributes; the last ``NEW_STORES`` opened after the training data."""
    count = TRAIN_STORES + NEW_STORES
    numbers = rng.choice(np.arange(100, 1000), size=count, replace=False)
    formats = np.array([FORMATS[index % 3] for index in range(count)], dtype=object)
    formats = formats[rng.permutation(count)]
    low = np.array([FORMAT_SIZE[name][0] for name in formats])
    high = np.array([FORMAT_SIZE[name][1] for name in formats])
    size = np.round(rng.uniform(low, high) / 10) * 10
    return pd.DataFrame(
        {
            "store_id": [f"S{number}" for number in numbers],
            "store_format": formats,
            "region": rng.choice(REGIONS, size=count),
            "store_size_sqm": size,
            # Format and size explain most of a store's volume; the rest is local.
            "store_factor": np.array([FORMAT_FACTOR[name] for name in formats])
            * (size / np.array([FORMAT_SIZE[name][0] for name in formats])) ** 0.3
            * np.exp(rng.normal(0, 0.12, count)),
            "price_index": np.exp(rng.normal(0, 0.04, count)),
            "new": np.arange(count) >= TRAIN_STORES,
        }
    )


def _products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for category in CATEGORIES:
        for _ in range(PRODUCTS_PER_CATEGORY):
            rows.append(category)
    count = len(rows)
    numbers = rng.choice(np.arange(1000, 10000), size=count, replace=False)
    return pd.DataFrame(
        {
            "product_id": [f"P{number}" for number in numbers],
            "category": rows,
            "list_price": np.round(rng.uniform(0.8, 9.0, count), 2),
            "base_rate": rng.lognormal(np.log(14), 0.6, count),
            "elasticity": rng.uniform(0.8, 2.2, count),
        }
    )


def _sales(
    rng: np.random.Generator,
    ids: np.ndarray,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Clean store-product-days with their units sold."""
    count = len(ids)
    store = stores.iloc[rng.integers(len(stores), size=count)]
    product = products.iloc[rng.integers(len(products), size=count)]
    days = (end - start).days + 1
    date = start + pd.to_timedelta(rng.integers(days, size=count), unit="D")
    day_of_year = date.day_of_year.to_numpy()
    category = product["category"].to_numpy()
    season = np.array([CATEGORIES[name]["season"] for name in category])
    peak = np.array([CATEGORIES[name]["peak_day"] for name in category])
    lift = np.array([CATEGORIES[name]["promo_lift"] for name in category])
    heat = np.array([CATEGORIES[name]["heat"] for name in category])
    region_warmth = pd.Series(store["region"].to_numpy()).map(
        {"north": -3.0, "south": 4.0, "east": 0.0, "west": 1.5}
    )
    temperature = np.round(
        12
        + region_warmth.to_numpy()
        + 10 * np.sin(2 * np.pi * (day_of_year - 110) / 365.25)
        + rng.normal(0, 3, count),
        1,
    )
    promo = rng.random(count) < 0.16
    discount = np.where(promo, np.round(rng.choice([0.1, 0.15, 0.2, 0.25, 0.3], count), 2), 0.0)
    # Store managers also mark prices down outside promotions (short dates, overstock):
    # only the price shows it, so a service that loses the price loses that signal.
    markdown = np.where(~promo & (rng.random(count) < 0.2), rng.uniform(0.05, 0.4, count), 0.0)
    list_price = product["list_price"].to_numpy()
    price = np.round(
        list_price
        * store["price_index"].to_numpy()
        * (1 - discount)
        * (1 - markdown)
        * np.exp(rng.normal(0, 0.03, count)),
        2,
    )
    holiday = date.isin(HOLIDAYS) | date.isin(HOLIDAYS - pd.Timedelta(days=1))
    mean = (
        product["base_rate"].to_numpy()
        * store["store_factor"].to_numpy()
        * WEEKDAY_FACTOR[date.day_of_week.to_numpy()]
        * (1 + season * np.cos(2 * np.pi * (day_of_year - peak) / 365.25))
        * (price / list_price) ** -product["elasticity"].to_numpy()
        * (1 + lift * discount * 2.5 * promo)
        * (1 + 0.45 * holiday)
        * np.exp(heat * np.clip(temperature - 15, -10, 20))
    )
    # Negative binomial (gamma-Poisson) with shape 8: over-dispersed like real sales.
    units = rng.poisson(rng.gamma(8.0, mean / 8.0))
    return pd.DataFrame(
        {
            ID_COLUMN: [f"R{number}" for number in ids],
            "date": date.to_numpy(),
            "store_id": store["store_id"].to_numpy(),
            "store_format": store["store_format"].to_numpy(),
            "region": store["region"].to_numpy(),
            "store_size_sqm": store["store_size_sqm"].to_numpy(),
            "product_id": product["product_id"].to_numpy(),
            "category": category,
            "price": price,
            "promo": promo.astype(np.int64),
            "discount_pct": np.round(discount * 100).astype(np.int64),
            "is_holiday": holiday.astype(np.int64),
            "temperature_c": temperature,
            TARGET: units.astype(np.int64),
        }
    )


# --- mess shared by both splits ----------------------------------------------------------


def _damage(frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard) -> pd.DataFrame:
    """The export's everyday mess; rows stay valid (key fields are never touched here)."""
    frame = messy.missing_completely_at_random(
        frame,
        rng,
        card,
        columns=["price", "promo", "discount_pct", "temperature_c", "store_size_sqm"],
        rate=0.03,
    )
    # The weather feed is joined per region and day; when the join fails, it fails for
    # the store's region on that day, more often in the north (an unreliable station).
    frame = messy.missing_dependent(
        frame,
        rng,
        card,
        columns=["temperature_c"],
        depends_on="region",
        equals=["north"],
        rate=0.25,
        base_rate=0.02,
    )
    for column, variants in SPELLINGS.items():
        frame = messy.category_spelling(
            frame, rng, card, column=column, variants=variants, rate=0.1
        )
    # The legacy point-of-sale system reports prices in cents.
    frame = messy.unit_mismatch(
        frame,
        rng,
        card,
        columns=["price"],
        factor=100,
        rate=0.2,
        from_unit="USD",
        to_unit="US cents",
        source_column=SOURCE_COLUMN,
        source=LEGACY_SOURCE,
        default_source=CLOUD_SOURCE,
        decimals=0,
    )
    if TARGET in frame.columns:
        # Returns keyed in as sales with the wrong sign; prices typed with a minus.
        frame = messy.impossible_values(frame, rng, card, column="price", rate=0.01)
    # Count columns as nullable integers, so the CSV says ``12`` rather than ``12.0``.
    frame = frame.assign(
        **{
            column: frame[column].round().astype("Int64")
            for column in ("store_size_sqm", "promo", "discount_pct")
        }
    )
    frame = messy.mixed_dates(
        frame,
        rng,
        card,
        column="date",
        formats=["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d"],
        rate=0.2,
    )
    return messy.numbers_as_text(frame, rng, card, column="price", rate=0.1, symbols=("", "$"))


# --- how the hidden feed differs ---------------------------------------------------------


def _nextgen_source(
    frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard
) -> tuple[pd.DataFrame, np.ndarray]:
    """Stores moved to the nextgen point of sale send the price in a new column."""
    # One store of each format migrated, so the slice sells like the feed as a whole.
    stores = frame[["store_id", "store_format"]].drop_duplicates("store_id")
    migrated = np.array(
        [
            rng.choice(sorted(stores.loc[stores["store_format"] == name, "store_id"]))
            for name in FORMATS
        ]
    )
    chosen = frame["store_id"].isin(migrated).to_numpy()
    result = frame.copy()
    # The nextgen system reports dollars as numbers, whatever the old system did.
    price = pd.to_numeric(
        frame["price"].astype(str).str.replace(r"[$,]", "", regex=True), errors="coerce"
    )
    dollars = np.where(frame[SOURCE_COLUMN].eq(LEGACY_SOURCE), price / 100, price)
    result.insert(
        result.columns.get_loc("price") + 1,
        NEXTGEN_PRICE_COLUMN,
        np.where(chosen, np.round(dollars, 2), np.nan),
    )
    result["price"] = frame["price"].where(~chosen, np.nan)
    result[SOURCE_COLUMN] = frame[SOURCE_COLUMN].where(~chosen, NEXTGEN_SOURCE)
    count = int(chosen.sum())
    card.record(
        messy.SCHEMA_DRIFT,
        ["price", NEXTGEN_PRICE_COLUMN, SOURCE_COLUMN],
        count,
        {
            "source_column": SOURCE_COLUMN,
            "source": NEXTGEN_SOURCE,
            "stores": sorted(migrated.tolist()),
            "old_column": "price",
            "new_column": NEXTGEN_PRICE_COLUMN,
        },
        f"{count} rows from {len(migrated)} stores on the {NEXTGEN_SOURCE!r} point of sale carry "
        f"their price in {NEXTGEN_PRICE_COLUMN!r} (in dollars) and leave 'price' empty",
        rows=frame.index[chosen],
    )
    return result, chosen


def _corrupt(
    frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard
) -> tuple[pd.DataFrame, np.ndarray]:
    """Break about 6% of the rows so that no trustworthy prediction is possible."""
    count = len(frame)
    chosen = np.sort(rng.choice(count, size=round(0.06 * count), replace=False))
    kinds = rng.integers(5, size=len(chosen))
    has_price = frame["price"].notna().to_numpy()
    # Price damage needs a price in the 'price' column; other rows get a garbage date.
    kinds[(kinds >= 3) & ~has_price[chosen]] = 2
    result = frame.copy()
    price = result["price"].astype(object).to_numpy(copy=True)
    date = result["date"].astype(object).to_numpy(copy=True)
    corrupted = np.zeros(count, dtype=bool)
    corrupted[chosen] = True

    keys = chosen[kinds <= 1]
    for column, kind in (("store_id", 0), ("product_id", 1)):
        blanked = np.zeros(count, dtype=bool)
        blanked[chosen[kinds == kind]] = True
        result[column] = result[column].mask(blanked)
    card.record(
        MISSING_KEY_FIELDS,
        ["store_id", "product_id"],
        len(keys),
        {
            "columns": ["store_id", "product_id"],
            "store_id_missing": int((kinds == 0).sum()),
            "product_id_missing": int((kinds == 1).sum()),
        },
        f"{len(keys)} rows without a store_id or product_id (the join to master data failed)",
        rows=frame.index[keys],
    )

    bad_dates = chosen[kinds == 2]
    date[bad_dates] = np.array(GARBAGE_DATES, dtype=object)[
        rng.integers(len(GARBAGE_DATES), size=len(bad_dates))
    ]
    bad_prices = chosen[kinds == 3]
    price[bad_prices] = np.array(GARBAGE_PRICES, dtype=object)[
        rng.integers(len(GARBAGE_PRICES), size=len(bad_prices))
    ]
    result["date"], result["price"] = date, price
    card.record(
        GARBAGE_VALUES,
        ["date", "price"],
        len(bad_dates) + len(bad_prices),
        {"dates": list(GARBAGE_DATES), "prices": list(GARBAGE_PRICES)},
        f"{len(bad_dates)} dates and {len(bad_prices)} prices replaced by garbage values",
        rows=frame.index[np.sort(np.concatenate([bad_dates, bad_prices]))],
    )

    impossible = chosen[kinds == 4]
    replacements = np.array([0, -1, 99999], dtype=object)[rng.integers(3, size=len(impossible))]
    price[impossible] = replacements
    result["price"] = price
    card.record(
        messy.IMPOSSIBLE_VALUES,
        ["price"],
        len(impossible),
        {"column": "price", "values": [0, -1, 99999]},
        f"{len(impossible)} prices set to 0, -1 or the placeholder 99999",
        rows=frame.index[impossible],
    )
    return result, corrupted


def _upstream_release(
    frame: pd.DataFrame, rng: np.random.Generator, card: messy.DataCard
) -> pd.DataFrame:
    """A new release of the upstream export: Y/N flags, renamed, added and reordered columns."""
    promo = frame["promo"].map({1: "Y", 0: "N"}).astype(object)
    frame = frame.assign(promo=promo)
    card.record(
        messy.SCHEMA_DRIFT,
        ["promo"],
        int(promo.notna().sum()),
        {"column": "promo", "before": "0/1", "after": "Y/N"},
        "promo written as 'Y'/'N' text instead of 0/1",
        rows=frame.index[promo.notna().to_numpy()],
    )
    return messy.schema_drift(
        frame,
        rng,
        card,
        rename=RENAMED,
        extra_columns={FEED_VERSION_COLUMN: FEED_VERSIONS},
        reorder=True,
        keep_first=[ID_COLUMN],
    )
