"""Trivial baseline: remember the mean units sold per store (and overall)."""

import json
import os
from pathlib import Path

import pandas as pd

data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
model_dir = Path(os.environ.get("MODEL_DIR", "/model"))

train = pd.read_csv(data_dir / "train.csv", dtype={"store_id": str})
per_store = train.groupby("store_id")["units_sold"].mean().round(4).to_dict()
overall = float(train["units_sold"].mean())
model_dir.mkdir(parents=True, exist_ok=True)
(model_dir / "model.json").write_text(json.dumps({"per_store": per_store, "overall": overall}))
print(f"{len(per_store)} stores, overall mean {overall:.2f} units")
