"""Never reached: the train phase fails first."""


def load(model_dir):
    return None


def predict(model, frame):
    return [0.5] * len(frame)
