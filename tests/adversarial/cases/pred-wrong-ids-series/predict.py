import numpy as np
import pandas as pd


def load(model_dir):
    return 0.5


def predict(model, frame):
    # Indexed 1..n (not a RangeIndex starting at 0): matched on ids, and none of them exist.
    return pd.Series(np.full(len(frame), model), index=np.arange(1, len(frame) + 1))
