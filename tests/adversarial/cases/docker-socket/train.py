"""Looks for a Docker or containerd socket (known paths, a filesystem walk, DOCKER_HOST) and
tries to talk to the engine through anything it finds; reports every attempt."""

import json
import os
import socket
import stat

KNOWN = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/tmp/docker.sock",
]


def attempt(action):
    try:
        return "succeeded: " + str(action())[:100]
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]


def talk(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect(path)
        sock.sendall(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
        return sock.recv(200)


def find_sockets():
    found = []
    for current, directories, names in os.walk("/", onerror=lambda error: None):
        directories[:] = [
            d for d in directories if os.path.join(current, d) not in ("/proc", "/sys")
        ]
        for name in names:
            path = os.path.join(current, name)
            try:
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    found.append(path)
            except OSError:
                pass
    return found


attempts = {f"connect {path}": attempt(lambda path=path: talk(path)) for path in KNOWN}
sockets = find_sockets()
attempts["unix sockets anywhere"] = f"succeeded: {sockets}" if sockets else "failed: none found"
for path in sockets:
    attempts[f"connect {path}"] = attempt(lambda path=path: talk(path))
host = os.environ.get("DOCKER_HOST", "")
attempts["DOCKER_HOST set"] = f"succeeded: {host}" if host else "failed: not set"
attempts["tcp 127.0.0.1:2375"] = attempt(
    lambda: socket.create_connection(("127.0.0.1", 2375), timeout=2)
)
print("CASE-REPORT " + json.dumps({"phase": "train", "attempts": attempts}), flush=True)
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
