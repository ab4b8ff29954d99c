"""Trivial baseline: remember the most frequent team."""

import json
import os
from pathlib import Path

import pandas as pd

train = pd.read_csv(Path(os.environ["DATA_DIR"]) / "train.csv")
most_frequent = str(train["team"].mode().iloc[0])
Path(os.environ["MODEL_DIR"], "model.json").write_text(json.dumps({"team": most_frequent}))
print(f"most frequent team: {most_frequent}")
