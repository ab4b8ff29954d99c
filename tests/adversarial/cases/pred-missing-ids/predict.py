import pandas as pd


def load(model_dir):
    return 0.5


def predict(model, frame):
    ids = list(frame.index)
    if len(ids) > 1:
        ids[:5] = [f"not-an-id-{index}" for index in range(5)]
    return pd.Series([model] * len(ids), index=ids)
