import os
import pickle

import numpy as np


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as handle:
        return pickle.load(handle)


def predict(model, frame):
    queries = frame["query"].fillna("").str.lower().tolist()
    scores = 0.5 * (model["words"].transform(queries) @ model["word_matrix"].T).toarray()
    scores += 0.5 * (model["chars"].transform(queries) @ model["char_matrix"].T).toarray()
    return [[model["ids"][i] for i in np.argsort(-row)[:10]] for row in scores]
