"""Train a random forest on cleaned rows; report a time-based validation MAE."""

import os
import pickle

import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_absolute_error

from service import Encoder, clean


def make_model():
    return RandomForestRegressor(n_estimators=60, max_depth=16, min_samples_leaf=3, random_state=3)


def main():
    raw = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"), dtype={"record_id": str})
    raw = raw.drop_duplicates().drop_duplicates(subset="record_id").set_index("record_id")
    rows, unusable = clean(raw.drop(columns=["units_sold"]))
    keep = ~unusable & ~(rows["price"] <= 0).to_numpy()
    rows, target = rows[keep], raw["units_sold"][keep]
    print(f"training on {len(rows)} rows ({int((~keep).sum())} dropped)")

    encoder = Encoder().fit(rows)
    X = encoder.transform(rows)
    late = (rows["day_of_year"] > 0).to_numpy() & (rows.index.isin(rows.index[-2000:]))
    check = make_model().fit(X[~late], target[~late])
    print("validation MAE", round(mean_absolute_error(target[late], check.predict(X[late])), 3))

    model = make_model().fit(X, target)
    with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as f:
        pickle.dump({"encoder": encoder, "model": model}, f)


if __name__ == "__main__":
    main()
