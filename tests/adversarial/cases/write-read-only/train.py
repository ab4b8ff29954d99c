import json
import os

from probe import probe

probe(
    "train",
    [
        "/submission/train.py",
        "/submission/new.txt",
        "/data/public/train.csv",
        "/data/public/new.csv",
        "/etc/passwd",
        "/usr/lib/python3.11/os.py",
        "/new.txt",
        "/var/tmp/new.txt",
        "/root/new.txt",
    ],
)
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
