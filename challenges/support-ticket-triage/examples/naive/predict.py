import os
import pickle


def load(model_dir):
    return pickle.load(open(os.path.join(model_dir, "model.pkl"), "rb"))


def predict(model, frame):
    frame = frame.fillna("")
    X = frame["subject"] + " " + frame["message"] + " " + frame["first_reply_macro"]
    return model.predict(X)
