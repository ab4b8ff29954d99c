"""Looks for hidden labels everywhere a process in the sandbox can look; reports findings."""

# ruff: noqa: SIM115  (hostile probes: brevity over tidiness)

import json
import os

LABEL_FILES = {"labels.csv", "data_card.json", "hidden"}
LABEL_HEADER = ",".join(["customer_id", "churned"])  # not spelt out: this file would match
READ_CONTENT_UNDER = (
    "/data",
    "/submission",
    "/model",
    "/tmp",
    "/output",
    "/harness",
    "/home",
    "/root",
    "/srv",
    "/mnt",
    "/opt",
    "/var",
    "/run",
)
SKIP = ("/proc", "/sys", "/dev")


def walk():
    found, files = [], 0
    for current, directories, names in os.walk("/", onerror=lambda error: None):
        directories[:] = [d for d in directories if os.path.join(current, d) not in SKIP]
        for name in names + directories:
            path = os.path.join(current, name)
            files += 1
            if name in LABEL_FILES:
                found.append("name:" + path)
            if current.startswith(READ_CONTENT_UNDER) and os.path.isfile(path):
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        if handle.readline().strip() == LABEL_HEADER:
                            found.append("content:" + path)
                except OSError:
                    pass
    return found, files


def hunt(phase):
    found, files = walk()
    mountinfo = open("/proc/self/mountinfo").read()
    if "hidden" in mountinfo or "labels" in mountinfo:
        found.append("mountinfo mentions hidden data")
    for key, value in os.environ.items():
        if "churned" in value or "hidden" in value.lower() or "label" in value.lower():
            found.append("env:" + key)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for name in ("environ", "cmdline"):
            try:
                text = open(f"/proc/{pid}/{name}", "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            if LABEL_HEADER in text or "/hidden" in text or "labels.csv" in text:
                found.append(f"/proc/{pid}/{name}")
    eval_header = ""
    if os.path.exists("/data/eval/features.csv"):
        eval_header = open("/data/eval/features.csv").readline().strip()
    attempts = {
        "found hidden data": "failed: nothing found" if not found else f"succeeded: {found[:10]}",
        "evaluation features carry the target": (
            "succeeded" if "churned" in eval_header.split(",") else "failed: no target column"
        ),
    }
    if phase == "train":
        attempts["evaluation features mounted in train"] = (
            "succeeded" if eval_header else "failed: not mounted"
        )
    print(
        "CASE-REPORT " + json.dumps({"phase": phase, "attempts": attempts, "walked": files}),
        flush=True,
    )
