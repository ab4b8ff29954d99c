"""Plants links in $MODEL_DIR pointing at host paths (learnt from the mount table), at /,
and through a chain; plus one honest relative link the predict phase uses."""

# ruff: noqa: SIM115  (hostile probes: brevity over tidiness)

import json
import os

model_dir = os.environ["MODEL_DIR"]
host_paths = []
for line in open("/proc/self/mountinfo"):
    fields = line.split()
    if fields[4] in ("/data/public", "/model"):
        host_paths.append(fields[3])  # the bind mount's source path on the host
data_root = next((p for p in host_paths if p.endswith("/public")), "/root")
hidden = os.path.join(os.path.dirname(data_root), "hidden", "labels.csv")

with open(os.path.join(model_dir, "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
os.symlink("model.json", os.path.join(model_dir, "current.json"))  # honest, relative
os.symlink("/", os.path.join(model_dir, "host-root"))
os.symlink("/etc/shadow", os.path.join(model_dir, "shadow"))
os.symlink(hidden, os.path.join(model_dir, "labels.csv"))
os.mkdir(os.path.join(model_dir, "sub"))
os.symlink("..", os.path.join(model_dir, "sub", "up"))
os.symlink("sub/up/../../../../etc/passwd", os.path.join(model_dir, "chain"))
os.mkfifo(os.path.join(model_dir, "pipe"))
print("planted links; host paths seen in the mount table:", host_paths, flush=True)
