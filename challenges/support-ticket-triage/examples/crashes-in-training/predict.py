import os
import pickle


def load(model_dir):
    return pickle.load(open(os.path.join(model_dir, "model.pkl"), "rb"))


def predict(model, frame):
    return model.predict(frame["subject"].fillna("") + " " + frame["body"].fillna(""))
