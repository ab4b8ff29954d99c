def load(model_dir):
    return "likely"


def predict(model, frame):
    return [model] * len(frame)
