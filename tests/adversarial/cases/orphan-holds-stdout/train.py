"""Exits 0 but leaves background processes that hold stdout open."""

import json
import os
import subprocess
import time

subprocess.Popen(["sleep", "600"])
if os.fork() == 0:
    os.setsid()
    time.sleep(600)
    os._exit(0)
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
print("train.py done, children left running", flush=True)
