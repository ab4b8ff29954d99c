"""Tries to gain privileges: setuid binaries, su/sudo/mount, unshare, mount(2), ptrace of
pid 1, setuid(0), capabilities, chroot, kernel interfaces. Reports every attempt; exits 0."""

# ruff: noqa: SIM115  (hostile probes: brevity over tidiness)

import ctypes
import json
import os
import subprocess

libc = ctypes.CDLL(None, use_errno=True)


def attempt(action):
    try:
        return "succeeded: " + str(action())[:120]
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]


def run(*command):
    try:
        done = subprocess.run(command, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise RuntimeError(f"{command[0]} is not installed") from None
    output = (done.stdout + done.stderr).decode("utf-8", "replace").strip()[:120]
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {output}")
    if os.path.basename(command[0]) in ("su", "sudo") and "uid=0" not in output:
        raise RuntimeError(f"still unprivileged: {output}")
    return output


def syscall(name, *arguments):
    result = getattr(libc, name)(*arguments)
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{name}: {os.strerror(ctypes.get_errno())}")
    return result


def setuid_binaries():
    found = []
    for current, directories, names in os.walk("/", onerror=lambda error: None):
        directories[:] = [
            d for d in directories if os.path.join(current, d) not in ("/proc", "/sys")
        ]
        for name in names:
            path = os.path.join(current, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if mode & 0o6000 and os.path.isfile(path):
                found.append(path)
    return found


def effective_capabilities():
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            value = int(line.split()[1], 16)
            if value:
                return hex(value)
            raise PermissionError("no effective capabilities")
    raise RuntimeError("no CapEff line")


CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = (
    0x10000000,
    0x00020000,
    0x40000000,
    0x20000000,
)
# With no-new-privileges the set-user-ID bit is ignored: each of these runs unprivileged.
ARGUMENTS = {
    "su": ["-c", "id", "root"],
    "mount": ["-t", "tmpfs", "none", "/mnt"],
    "umount": ["/data/public"],
    "passwd": ["-d", "root"],
    "chsh": ["-s", "/bin/sh", "root"],
    "chfn": ["-f", "pwned", "root"],
    "gpasswd": ["-a", "candidate", "root"],
    "newgrp": ["root"],
    "sudo": ["-n", "id"],
}
attempts = {}
binaries = setuid_binaries()
for path in binaries:
    arguments = ARGUMENTS.get(os.path.basename(path))
    if arguments is None:
        continue
    attempts[f"setuid {path} {' '.join(arguments)}"] = attempt(
        lambda path=path, arguments=arguments: run(path, *arguments)
    )
attempts["su root"] = attempt(lambda: run("su", "-c", "id", "root"))
attempts["sudo id"] = attempt(lambda: run("sudo", "-n", "id"))
attempts["mount -t tmpfs (command)"] = attempt(lambda: run("mount", "-t", "tmpfs", "none", "/mnt"))
attempts["unshare -U -r (command)"] = attempt(lambda: run("unshare", "-U", "-r", "id"))
attempts["unshare(CLONE_NEWUSER)"] = attempt(lambda: syscall("unshare", CLONE_NEWUSER))
attempts["unshare(CLONE_NEWNS)"] = attempt(lambda: syscall("unshare", CLONE_NEWNS))
attempts["unshare(CLONE_NEWNET)"] = attempt(lambda: syscall("unshare", CLONE_NEWNET))
attempts["mount(2) tmpfs"] = attempt(lambda: syscall("mount", b"none", b"/mnt", b"tmpfs", 0, None))
attempts["ptrace(PTRACE_ATTACH, 1)"] = attempt(lambda: syscall("ptrace", 16, 1, None, None))
attempts["kill(1, SIGTERM)"] = attempt(lambda: os.kill(1, 15))
attempts["setuid(0)"] = attempt(lambda: os.setuid(0))
attempts["setgid(0)"] = attempt(lambda: os.setgid(0))
attempts["setresuid(0, 0, 0)"] = attempt(lambda: os.setresuid(0, 0, 0))
attempts["chroot(/tmp)"] = attempt(lambda: os.chroot("/tmp"))
attempts["effective capabilities"] = attempt(effective_capabilities)
attempts["read /etc/shadow"] = attempt(lambda: open("/etc/shadow").read(10))
attempts["mknod /tmp/sda"] = attempt(
    lambda: os.mknod("/tmp/sda", 0o600 | 0o060000, os.makedev(8, 0))
)
attempts["open /dev/kmsg"] = attempt(lambda: open("/dev/kmsg").read(10))
attempts["open /dev/mem"] = attempt(lambda: open("/dev/mem", "rb").read(10))
attempts["perf/bpf via /proc/sys/kernel/unprivileged_bpf_disabled write"] = attempt(
    lambda: open("/proc/sys/kernel/unprivileged_bpf_disabled", "w").write("0")
)
notes = {"setuid binaries": binaries}
print(
    "CASE-REPORT " + json.dumps({"phase": "train", "attempts": attempts, "notes": notes}),
    flush=True,
)
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
