"""Trivial baseline: remember the training churn rate."""

import json
import os
from pathlib import Path

import pandas as pd

data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
model_dir = Path(os.environ.get("MODEL_DIR", "/model"))

train = pd.read_csv(data_dir / "train.csv")
churn_rate = float(train["churned"].mean())
model_dir.mkdir(parents=True, exist_ok=True)
(model_dir / "model.json").write_text(json.dumps({"churn_rate": churn_rate}))
print(f"training churn rate: {churn_rate:.4f}")
