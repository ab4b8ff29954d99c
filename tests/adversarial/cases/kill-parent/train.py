"""Kills its parent. Under `docker exec` the parent is outside the container, so getppid()
is 0 and kill(0, SIGKILL) hits the process's own group."""

import os
import signal

print("parent pid as seen from the sandbox:", os.getppid(), flush=True)
os.kill(os.getppid(), signal.SIGKILL)
print("survived killing the parent", flush=True)
