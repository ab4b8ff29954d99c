import json
import os

from probe import probe


def load(model_dir):
    probe(
        "predict",
        [
            "/model/model.json",
            "/model/new.txt",
            "/harness/predict_driver.py",
            "/data/eval/features.csv",
            "/submission/predict.py",
            "/etc/hosts",
        ],
    )
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)["rate"]


def predict(model, frame):
    return [model] * len(frame)
