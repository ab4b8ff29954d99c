import json
import os

from hunt import hunt


def load(model_dir):
    hunt("predict")
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)["rate"]


def predict(model, frame):
    return [model] * len(frame)
