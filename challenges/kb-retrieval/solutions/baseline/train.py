"""Trivial baseline: remember which articles the public questions most often need."""

import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd

questions = pd.read_csv(Path(os.environ["DATA_DIR"]) / "train_queries.csv", dtype=str)
counts = Counter(identifier for ids in questions["relevant_ids"] for identifier in ids.split())
popular = [identifier for identifier, _ in counts.most_common(10)]
(Path(os.environ["MODEL_DIR"]) / "popular.json").write_text(json.dumps(popular))
print(f"the 10 most needed articles: {popular}")
