import os
import pickle

import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error

from features import NUMERIC, fit_encoders, matrix, standardise

data = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"), dtype={"record_id": str})
data = data.drop_duplicates().drop_duplicates("record_id").set_index("record_id")
clean = standardise(data.drop(columns=["units_sold"]))
clean.loc[clean["price"] <= 0, "price"] = None
medians = clean[NUMERIC + ["day_of_week", "month"]].median().to_dict()
encoders = fit_encoders(clean)
X, y = matrix(clean, encoders, medians), data["units_sold"].to_numpy()

split = int(len(X) * 0.8)
check = HistGradientBoostingRegressor(max_iter=200, random_state=1).fit(X[:split], y[:split])
print("validation MAE", round(mean_absolute_error(y[split:], check.predict(X[split:])), 3))
model = HistGradientBoostingRegressor(max_iter=200, random_state=1).fit(X, y)
with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as handle:
    pickle.dump({"model": model, "encoders": encoders, "medians": medians}, handle)
