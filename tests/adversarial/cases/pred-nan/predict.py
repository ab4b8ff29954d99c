import numpy as np


def load(model_dir):
    return 0.5


def predict(model, frame):
    values = np.full(len(frame), model)
    values[::100] = np.nan
    return values
