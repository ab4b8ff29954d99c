"""Prediction entry points called by the harness: load(model_dir) and predict(model, frame)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import to_canonical, validate


def load(model_dir: str) -> dict[str, Any]:
    with open(Path(model_dir) / "model.pkl", "rb") as handle:
        loaded: dict[str, Any] = pickle.load(handle)
    return loaded


def predict(model: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """Units sold per row of ``frame`` (indexed by record_id), in row order.

    Returns a frame with ``prediction`` (NaN for flagged rows) and ``flagged``: rows
    missing a key field or with an unreadable or impossible price are not guessed at.
    """
    canonical, _ = to_canonical(frame)
    checked = validate(canonical, model["typical_price"])
    prediction = np.full(len(frame), np.nan)
    valid = ~checked.flagged
    if valid.any():
        matrix = model["encoder"].transform(checked.rows[valid])
        prediction[valid] = np.clip(model["model"].predict(matrix), 0, None)
    return pd.DataFrame({"prediction": prediction, "flagged": checked.flagged}, index=frame.index)
