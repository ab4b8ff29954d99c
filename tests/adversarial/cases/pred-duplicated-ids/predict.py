import pandas as pd


def load(model_dir):
    return 0.5


def predict(model, frame):
    ids = list(frame.index)
    if len(ids) > 1:
        ids[-1] = ids[0]  # one id twice, the last one missing
    return pd.Series([model] * len(ids), index=ids)
