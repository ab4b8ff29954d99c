import os
import pickle

import numpy as np
import pandas as pd

from service import clean


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)


def predict(model, frame):
    rows, unusable = clean(frame)
    prediction = np.full(len(frame), np.nan)
    if (~unusable).any():
        prediction[~unusable] = model["model"].predict(model["encoder"].transform(rows[~unusable]))
    return pd.DataFrame({"prediction": prediction, "flagged": unusable}, index=frame.index)
