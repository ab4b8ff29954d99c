"""Behaviour every sandbox backend must show, as checks runnable against a real engine.

``tests/sandbox/test_conformance.py`` runs each check against the Docker backend;
a new backend proves itself by passing the same list. Each check takes the
backend, an image with Python 3, and a scratch directory, and raises
``AssertionError`` with a precise message when the backend misbehaves.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from sandbox.base import Mount, PhaseLimits, PhaseRequest, PhaseResult, PhaseStatus, Sandbox

Check = Callable[[Sandbox, str, Path], None]
CHECKS: dict[str, Check] = {}

SMALL = PhaseLimits(
    wall_time_s=20,
    memory_mb=256,
    cpus=1.0,
    pids=64,
    output_bytes=200_000,
    tmpfs_mb=16,
    file_size_mb=8,
)


def check(function: Check) -> Check:
    CHECKS[function.__name__.removeprefix("check_")] = function
    return function


def run_python(
    sandbox: Sandbox,
    image: str,
    code: str,
    limits: PhaseLimits = SMALL,
    mounts: list[Mount] | None = None,
) -> PhaseResult:
    return sandbox.run_phase(
        PhaseRequest(
            name="conformance",
            image=image,
            command=["python3", "-c", code],
            workdir="/tmp",
            env={"PYTHONUNBUFFERED": "1"},
            mounts=mounts or [],
            limits=limits,
            labels={"worksample-harness.test": uuid.uuid4().hex[:8]},
        )
    )


def _expect(result: PhaseResult, status: PhaseStatus) -> None:
    assert result.status is status, (
        f"expected {status.value}, got {result.status.value} ({result.message}); log: {result.log_tail[-500:]}"
    )


@check
def check_runs_and_measures(sandbox: Sandbox, image: str, scratch: Path) -> None:
    result = run_python(
        sandbox,
        image,
        "b = bytearray(96 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('done')",
    )
    _expect(result, PhaseStatus.ok)
    assert result.exit_code == 0
    assert result.log_tail.strip() == "done", result.log_tail
    assert result.peak_memory_mb is not None and result.peak_memory_mb >= 96, (
        f"peak memory {result.peak_memory_mb}"
    )
    assert result.cpu_s is not None and result.cpu_s > 0, f"cpu {result.cpu_s}"
    assert result.wall_s > 0


@check
def check_no_network(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = """
import os, socket
interfaces = sorted(os.listdir('/sys/class/net'))
errors = []
for family, kind, address in [(socket.AF_INET, socket.SOCK_STREAM, ('1.1.1.1', 80)),
                              (socket.AF_INET, socket.SOCK_STREAM, ('172.17.0.1', 2375)),
                              (socket.AF_INET, socket.SOCK_STREAM, ('169.254.169.254', 80)),
                              (socket.AF_INET, socket.SOCK_DGRAM, ('8.8.8.8', 53))]:
    s = socket.socket(family, kind); s.settimeout(2)
    try:
        s.connect(address); s.send(b'x'); errors.append('connected')
    except OSError as error:
        errors.append(error.errno)
try:
    socket.getaddrinfo('pypi.org', 443); errors.append('resolved')
except OSError:
    errors.append('no-dns')
print(interfaces, errors)
"""
    result = run_python(sandbox, image, code)
    _expect(result, PhaseStatus.ok)
    assert "['lo']" in result.log_tail, f"interfaces other than loopback: {result.log_tail}"
    assert "connected" not in result.log_tail and "resolved" not in result.log_tail, result.log_tail


@check
def check_memory_limit_is_oom(sandbox: Sandbox, image: str, scratch: Path) -> None:
    result = run_python(sandbox, image, "x = []\nwhile True: x.append(bytearray(32 * 2**20))")
    _expect(result, PhaseStatus.oom)
    assert result.oom_kills >= 1
    assert result.peak_memory_mb is not None and result.peak_memory_mb <= SMALL.memory_mb * 1.05


@check
def check_wall_time_limit(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(1)"
    result = run_python(sandbox, image, code, SMALL.model_copy(update={"wall_time_s": 2}))
    _expect(result, PhaseStatus.timeout)
    assert 1.9 <= result.wall_s <= 7, f"wall {result.wall_s}"
    assert result.overhead_s < 30


@check
def check_pids_limit(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = """
import os, time
children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            time.sleep(30); os._exit(0)
        children += 1
except OSError as error:
    print('fork refused after', children, error.errno)
"""
    result = run_python(sandbox, image, code, SMALL.model_copy(update={"pids": 16}))
    assert "fork refused after" in result.log_tail, result.log_tail
    refused_after = int(result.log_tail.split("fork refused after")[1].split()[0])
    assert refused_after < 16, f"{refused_after} children under a pids limit of 16"


@check
def check_output_limit(sandbox: Sandbox, image: str, scratch: Path) -> None:
    result = run_python(sandbox, image, "import sys\nwhile True: sys.stdout.write('y' * 8192)")
    _expect(result, PhaseStatus.output_limit)
    assert result.output_bytes <= SMALL.output_bytes
    assert result.output_truncated


@check
def check_error_keeps_traceback(sandbox: Sandbox, image: str, scratch: Path) -> None:
    result = run_python(sandbox, image, "print('starting')\nraise KeyError('plan_typ')")
    _expect(result, PhaseStatus.error)
    assert result.exit_code == 1
    assert "KeyError: 'plan_typ'" in result.log_tail and "Traceback" in result.log_tail, (
        result.log_tail
    )
    assert result.log_tail.index("starting") < result.log_tail.index("Traceback"), result.log_tail


@check
def check_output_keeps_write_order(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = (
        "import sys\n"
        "for i in range(300):\n"
        "    stream = sys.stdout if i % 2 else sys.stderr\n"
        "    stream.write(f'line {i}\\n')\n"
        "    stream.flush()\n"
    )
    result = run_python(sandbox, image, code)
    _expect(result, PhaseStatus.ok)
    # The tail keeps the last lines only: those must be consecutive and end with the last.
    numbers = [int(line[5:]) for line in result.log_tail.splitlines() if line.startswith("line ")]
    assert len(numbers) >= 40 and numbers == list(range(300 - len(numbers), 300)), result.log_tail


@check
def check_non_utf8_output_is_decoded(sandbox: Sandbox, image: str, scratch: Path) -> None:
    result = run_python(
        sandbox, image, "import sys\nsys.stdout.buffer.write(b'caf\\xe9 \\x1b[31mred\\x00\\n')"
    )
    _expect(result, PhaseStatus.ok)
    assert (
        "caf\ufffd" in result.log_tail
        and "\x1b" not in result.log_tail
        and "\x00" not in result.log_tail
    )


@check
def check_hardening(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = """
import os
status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)
try:
    open('/etc/evil', 'w'); root_writable = True
except OSError:
    root_writable = False
import resource
print('uid', os.getuid(), 'capeff', status['CapEff'].strip(), 'nnp', status['NoNewPrivs'].strip(),
      'rootrw', root_writable, 'core', resource.getrlimit(resource.RLIMIT_CORE)[0],
      'fsize', resource.getrlimit(resource.RLIMIT_FSIZE)[0])
"""
    result = run_python(sandbox, image, code)
    _expect(result, PhaseStatus.ok)
    fields = result.log_tail.split()
    values = dict(zip(fields[::2], fields[1::2], strict=False))
    assert values.get("uid") not in (None, "0"), f"runs as root: {result.log_tail}"
    assert values.get("capeff") == "0000000000000000", f"capabilities left: {result.log_tail}"
    assert values.get("nnp") == "1", f"no-new-privileges missing: {result.log_tail}"
    assert values.get("rootrw") == "False", f"root filesystem writable: {result.log_tail}"
    assert values.get("core") == "0"
    assert values.get("fsize") == str(SMALL.file_size_mb * 2**20)


@check
def check_scratch_is_bounded(sandbox: Sandbox, image: str, scratch: Path) -> None:
    code = """
import errno
try:
    with open('/tmp/fill', 'wb') as handle:
        for _ in range(64):
            handle.write(b'0' * 2**20)
    print('wrote everything')
except OSError as error:
    print('stopped', errno.errorcode.get(error.errno))
"""
    result = run_python(sandbox, image, code)
    assert "stopped" in result.log_tail, f"/tmp or file size unbounded: {result.log_tail}"


@check
def check_writable_mount_quota(sandbox: Sandbox, image: str, scratch: Path) -> None:
    from sandbox.docker_backend import prepare_writable_dir

    target = scratch / f"quota-{uuid.uuid4().hex[:6]}"
    prepare_writable_dir(target)
    code = """
import time
for index in range(40):
    with open(f'/out/part{index}', 'wb') as handle:
        handle.write(b'0' * 2**20)
    time.sleep(0.05)
time.sleep(5)
"""
    limits = SMALL.model_copy(update={"file_size_mb": 4})
    result = run_python(
        sandbox,
        image,
        code,
        limits,
        [Mount(source=target, target="/out", read_only=False, max_mb=8)],
    )
    _expect(result, PhaseStatus.output_limit)
    assert "quota" in result.message


@check
def check_container_removed(sandbox: Sandbox, image: str, scratch: Path) -> None:
    label = uuid.uuid4().hex[:8]
    sandbox.run_phase(
        PhaseRequest(
            name="conformance",
            image=image,
            command=["true"],
            workdir="/tmp",
            limits=SMALL,
            labels={"worksample-harness.test": label},
        )
    )
    client = getattr(sandbox, "client", None)
    if client is not None:
        left = client.containers.list(
            all=True, filters={"label": f"worksample-harness.test={label}"}
        )
        assert not left, f"containers left behind: {[container.name for container in left]}"


@check
def check_read_only_mounts(sandbox: Sandbox, image: str, scratch: Path) -> None:
    source = scratch / f"ro-{uuid.uuid4().hex[:6]}"
    source.mkdir()
    (source / "data.txt").write_text("public\n")
    os.chmod(source, 0o755)
    code = "print(open('/in/data.txt').read().strip())\nopen('/in/new.txt', 'w')"
    result = run_python(sandbox, image, code, mounts=[Mount(source=source, target="/in")])
    _expect(result, PhaseStatus.error)
    assert "public" in result.log_tail and "Read-only file system" in result.log_tail, (
        result.log_tail
    )
    assert not (source / "new.txt").exists()
