import os
import pickle

import numpy as np

from features import matrix, standardise


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as handle:
        return pickle.load(handle)


def predict(model, frame):
    X = matrix(standardise(frame), model["encoders"], model["medians"])
    return np.clip(model["model"].predict(X), 0, None)
