import os
import pickle

import numpy as np


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as handle:
        return pickle.load(handle)


def predict(model, frame):
    vectorizer, matrix, ids = model
    scores = (vectorizer.transform(frame["query"].fillna("")) @ matrix.T).toarray()
    return [[ids[i] for i in np.argsort(-row)[:10]] for row in scores]
