import numpy as np


def load(model_dir):
    return 0.5


def predict(model, frame):
    values = np.full(len(frame), model)
    values[::1000] = np.inf
    values[1::1000] = -np.inf
    return values
