import json
import os


def load(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)["rate"]


def predict(model, frame):
    return [model] * len(frame)
