"""load() ends the process with status 0 before the driver has predicted anything."""

import os


def load(model_dir):
    print("exiting with status 0 from load()", flush=True)
    os._exit(0)


def predict(model, frame):
    return [0.5] * len(frame)
