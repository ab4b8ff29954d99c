def load(model_dir):
    return None


def predict(model, frame):
    return None
