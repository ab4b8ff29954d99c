"""Starts sleeping threads until the pids limit refuses one, then lets the error escape."""

import threading
import time

started = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        started += 1
finally:
    print(f"threads started before the limit: {started}", flush=True)
