import json
import os

with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
