"""predict() plants symlinks where the driver writes its temporary and final files."""

import os

TARGETS = {
    "predictions.csv": "/etc/passwd",
    "predictions.tmp": "/etc/passwd",
    "timings.json": "/etc/hostname",
    "timings.tmp": "/tmp/timings-redirected",
    "driver_error.json": "/dev/zero",
    "driver_error.tmp": "/tmp/error-redirected",
}


def plant():
    for name, target in TARGETS.items():
        path = os.path.join("/output", name)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)


def load(model_dir):
    return 0.5


def predict(model, frame):
    if len(frame) > 1:
        plant()
    return [model] * len(frame)
