"""Train the demand model: deduplicate, map the schema, validate, drop bulk-order outliers,
check on the last six weeks, refit on everything."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error

from pipeline import ID_COLUMN, TARGET, Encoder, to_canonical, validate

SEED = 11
OUTLIER_FACTOR = 5.0
"""A sale more than this many times the store-product median (and 40 units above it) is a
bulk order or a typo, not demand the service should learn."""
HOLDOUT_DAYS = 42


def make_model(encoder: Encoder) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.1,
        max_iter=150,
        max_leaf_nodes=31,
        min_samples_leaf=30,
        l2_regularization=1.0,
        categorical_features=encoder.categorical_mask(),
        early_stopping=False,
        random_state=SEED,
    )


def typical_prices(rows: pd.DataFrame) -> dict[str, float]:
    """Median shelf price per product on days without a promotion."""
    regular = rows[(rows["promo"] == 0) & rows["price"].notna()]
    return regular.groupby("product_id")["price"].median().round(4).to_dict()


def main() -> None:
    started = time.perf_counter()
    data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
    model_dir = Path(os.environ.get("MODEL_DIR", "/model"))
    raw = pd.read_csv(data_dir / "train.csv", dtype={ID_COLUMN: str})
    deduplicated = raw.drop_duplicates().drop_duplicates(subset=ID_COLUMN, keep="first")
    print(f"read {len(raw)} rows; dropped {len(raw) - len(deduplicated)} duplicates")
    frame = deduplicated.set_index(ID_COLUMN)
    target = frame[TARGET].astype(float)
    canonical, _ = to_canonical(frame.drop(columns=[TARGET]))

    first = validate(canonical)
    prices = typical_prices(first.rows[~first.flagged])
    checked = validate(canonical, prices)
    rows = checked.rows[~checked.flagged]
    target = target[~checked.flagged]
    print(f"dropped {int(checked.flagged.sum())} invalid rows ({pd.Series(checked.reasons)[checked.flagged].value_counts().to_dict()})")

    median = target.groupby([rows["store_id"], rows["product_id"]]).transform("median")
    outlier = (target > OUTLIER_FACTOR * median) & (target > median + 40)
    rows, target = rows[~outlier], target[~outlier]
    print(f"dropped {int(outlier.sum())} bulk-order outliers")

    encoder = Encoder().fit(rows)
    matrix = encoder.transform(rows)
    cutoff = rows["date"].max() - pd.Timedelta(days=HOLDOUT_DAYS)
    early = (rows["date"] <= cutoff).to_numpy()
    holdout_model = make_model(encoder).fit(matrix[early], target[early])
    holdout = holdout_model.predict(matrix[~early])
    mae = mean_absolute_error(target[~early], holdout)
    naive = mean_absolute_error(
        target[~early], np.full((~early).sum(), float(np.median(target[early])))
    )
    print(f"holdout (last {HOLDOUT_DAYS} days) MAE {mae:.3f}; global median MAE {naive:.3f}")

    model = make_model(encoder).fit(matrix, target)
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / "model.pkl", "wb") as handle:
        pickle.dump({"model": model, "encoder": encoder, "typical_price": prices}, handle)
    print(f"saved model to {model_dir} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
