"""Trivial baseline: remember the training positive rate."""

import json
import os
from pathlib import Path

import pandas as pd

data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
model_dir = Path(os.environ.get("MODEL_DIR", "/model"))

rate = float(pd.read_csv(data_dir / "train.csv")["label"].mean())
model_dir.mkdir(parents=True, exist_ok=True)
(model_dir / "model.json").write_text(json.dumps({"rate": rate}))
print(f"training positive rate: {rate:.4f}")
