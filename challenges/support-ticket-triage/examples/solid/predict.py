import pickle
from pathlib import Path

from prep import texts


def load(model_dir):
    with open(Path(model_dir) / "model.pkl", "rb") as handle:
        return pickle.load(handle)


def predict(model, frame):
    return model.predict(texts(frame))
