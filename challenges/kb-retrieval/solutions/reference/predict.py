"""Serving: load the pickled index and rank article ids for each question."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd


def load(model_dir: str) -> Any:
    return pickle.loads((Path(model_dir) / "index.pkl").read_bytes())


def predict(model: Any, frame: pd.DataFrame) -> list[list[str]]:
    return model.search(frame["query"].fillna("").astype(str).tolist())
