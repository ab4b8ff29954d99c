"""Fills every place it can write to, then the model directory without end."""

import errno
import json
import os

BLOCK = b"\0" * 2**20


def fill(place):
    """Write 1 MB blocks into files of at most the file-size limit until the place is full."""
    written = 0
    for index in range(256):
        try:
            with open(os.path.join(place, f"fill-{index}.bin"), "wb") as handle:
                while True:
                    handle.write(BLOCK)
                    handle.flush()
                    written += 1
        except OSError as error:
            if error.errno != errno.EFBIG:  # one file is full: go on with the next
                return f"failed: {errno.errorcode.get(error.errno, error.errno)} after {written} MB"
    return f"succeeded: wrote {written} MB"


attempts = {}
for place in ("/tmp", "/dev/shm", "/submission", "/", "/var/tmp", "/etc", "/data/public"):
    attempts[place] = fill(place)
print("CASE-REPORT " + json.dumps({"phase": "train", "attempts": attempts}), flush=True)

index = 0
while True:
    try:
        with open(os.path.join(os.environ["MODEL_DIR"], f"fill-{index}.bin"), "wb") as handle:
            for _ in range(8):
                handle.write(BLOCK)
    except OSError as error:
        print("model dir write failed:", error, flush=True)
    index += 1
