"""Reference solution: load the pipeline and score rows."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from cleaning import NUMERIC, clean


def load(model_dir: str):
    with (Path(model_dir) / "model.pkl").open("rb") as handle:
        return pickle.load(handle)


def predict(model, frame: pd.DataFrame) -> np.ndarray:
    cleaned = clean(frame)
    return model.predict_proba(cleaned[[*NUMERIC, "segment"]])[:, 1]
