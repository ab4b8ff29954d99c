"""Tries to write where the sandbox must not let it; reports every attempt."""

import json
import os


def attempt(action):
    try:
        return "succeeded: " + str(action())[:100]
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]


def write(path):
    with open(path, "w") as handle:
        handle.write("pwned\n")
    return path


def probe(phase, places):
    attempts = {f"write {path}": attempt(lambda path=path: write(path)) for path in places}
    attempts["chmod /submission"] = attempt(lambda: os.chmod("/submission", 0o777))
    attempts["write /proc/sys/kernel/hostname"] = attempt(
        lambda: write("/proc/sys/kernel/hostname")
    )
    attempts["write /proc/sysrq-trigger"] = attempt(lambda: write("/proc/sysrq-trigger"))
    attempts["write /sys/kernel/mm/transparent_hugepage/enabled"] = attempt(
        lambda: write("/sys/kernel/mm/transparent_hugepage/enabled")
    )
    attempts["mkdir /mnt/x"] = attempt(lambda: os.mkdir("/mnt/x"))
    # /tmp is the container's own tmpfs: this write succeeds inside and must not reach the host.
    notes = {
        "write /tmp/pwned-by-candidate (inside)": attempt(lambda: write("/tmp/pwned-by-candidate"))
    }
    print(
        "CASE-REPORT " + json.dumps({"phase": phase, "attempts": attempts, "notes": notes}),
        flush=True,
    )
