"""Kills every process it can see: kill(-1), pid 1, and each pid in /proc."""

# ruff: noqa: SIM115  (hostile probes: brevity over tidiness)

import json
import os
import signal
import subprocess
import time


def attempt(action):
    try:
        action()
        return "succeeded"
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]


def kill_everything(phase):
    child = subprocess.Popen(["sleep", "60"])
    results = {"kill(-1, SIGKILL)": attempt(lambda: os.kill(-1, signal.SIGKILL))}
    time.sleep(0.2)
    notes = {"own child after kill(-1)": child.poll()}
    results["kill(1, SIGKILL)"] = attempt(lambda: os.kill(1, signal.SIGKILL))
    for pid in sorted(int(name) for name in os.listdir("/proc") if name.isdigit()):
        if pid not in (os.getpid(), 1):
            results[f"kill({pid}, SIGKILL)"] = attempt(lambda pid=pid: os.kill(pid, signal.SIGKILL))
    time.sleep(0.2)
    init_state = open("/proc/1/status").read().split("State:")[1].split("\n")[0].strip()
    # Only pid 1 must survive (and be out of reach); what else died is the candidate's own.
    attempts = {key: value for key, value in results.items() if key == "kill(1, SIGKILL)"}
    attempts["pid 1 killed"] = "failed: still " + init_state if init_state else "succeeded"
    print(
        "CASE-REPORT "
        + json.dumps({"phase": phase, "attempts": attempts, "notes": {**notes, **results}}),
        flush=True,
    )
