import itertools


def load(model_dir):
    return None


def predict(model, frame):
    return itertools.repeat(0.5)  # never ends
