def load(model_dir):
    return 0.5


def predict(model, frame):
    return [model] * max(len(frame) - 1, 1)
