import numpy as np


def load(model_dir):
    return None


def predict(model, frame):
    return np.linspace(-1.0, 2.0, len(frame))
