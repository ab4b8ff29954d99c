"""Trivial baseline: the store's mean units sold; the overall mean for unknown stores."""

import json
from pathlib import Path

import numpy as np
import pandas as pd


def load(model_dir: str) -> dict:
    return json.loads((Path(model_dir) / "model.json").read_text())


def predict(model: dict, frame: pd.DataFrame) -> np.ndarray:
    stores = frame["store_id"] if "store_id" in frame.columns else pd.Series(index=frame.index)
    means = stores.map(model["per_store"]).astype(float)
    return means.fillna(model["overall"]).to_numpy()
