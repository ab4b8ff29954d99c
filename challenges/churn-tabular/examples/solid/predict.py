import os
import pickle

from prep import prepare


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)


def predict(model, frame):
    X = prepare(frame)
    return model.predict_proba(X)[:, 1]
