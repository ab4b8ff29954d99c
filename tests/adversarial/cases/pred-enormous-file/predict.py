def load(model_dir):
    return "0." + "5" * 25_000


def predict(model, frame):
    # 3000 rows x 25 kB: numeric-looking strings make a predictions file past the 64 MiB cap.
    return [model] * len(frame)
