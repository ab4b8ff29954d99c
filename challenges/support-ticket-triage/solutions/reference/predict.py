"""Prediction entry points called by the harness: load(model_dir) and predict(model, frame)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from cleaning import documents


def load(model_dir: str):
    with open(Path(model_dir) / "model.pkl", "rb") as handle:
        return pickle.load(handle)


def predict(model, frame: pd.DataFrame) -> np.ndarray:
    """The team of each row of ``frame`` (indexed by ticket_id), in row order."""
    return model.predict(documents(frame))
