import json
import os

import numpy as np


def load(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)


def predict(model, frame):
    return np.full(len(frame), model["churn_rate"], dtype=float)
