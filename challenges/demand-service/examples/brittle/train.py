import os
import pickle

import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

FEATURES = ["store_size_sqm", "promo", "discount_pct", "is_holiday", "temperature_c", "price"]

df = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"))
df = df.drop_duplicates()
df["price"] = pd.to_numeric(df["price"].astype(str).str.replace("$", "").str.replace(",", ""), errors="coerce")
df.loc[df["pos_system"] == "legacy", "price"] /= 100
df["day_of_week"] = pd.to_datetime(df["date"], format="mixed").dt.dayofweek
X = df[FEATURES + ["day_of_week"]]
y = df["units_sold"]
model = HistGradientBoostingRegressor(max_iter=200, random_state=0).fit(X, y)
print("train MAE", (model.predict(X) - y).abs().mean())
with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as f:
    pickle.dump(model, f)
