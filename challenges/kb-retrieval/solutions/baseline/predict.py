"""Every question gets the same ranking: the most popular articles."""

import json
from pathlib import Path


def load(model_dir):
    return json.loads((Path(model_dir) / "popular.json").read_text())


def predict(model, frame):
    return [list(model) for _ in range(len(frame))]
