"""Ignores every polite signal, in itself and in a child, and waits forever."""

import os
import signal
import time

for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
    signal.signal(number, signal.SIG_IGN)
if os.fork() == 0:
    while True:
        time.sleep(1)
print("ignoring SIGTERM", flush=True)
while True:
    time.sleep(1)
