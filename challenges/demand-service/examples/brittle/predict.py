import os
import pickle

import pandas as pd

FEATURES = ["store_size_sqm", "promo", "discount_pct", "is_holiday", "temperature_c", "price"]


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)


def predict(model, frame):
    X = frame[FEATURES].copy()
    X["price"] = pd.to_numeric(X["price"].astype(str).str.replace("$", "").str.replace(",", ""))
    X.loc[frame["pos_system"] == "legacy", "price"] /= 100
    X["day_of_week"] = pd.to_datetime(frame["date"], format="mixed").dt.dayofweek
    return model.predict(X)
