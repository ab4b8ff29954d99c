import numpy as np


def load(model_dir):
    return None


def predict(model, frame):
    return np.zeros(10_000_000)
