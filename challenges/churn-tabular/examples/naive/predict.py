import os
import pickle


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)


def predict(model, frame):
    clf, cols = model
    X = frame[cols].fillna(0)
    return clf.predict_proba(X)[:, 1]
