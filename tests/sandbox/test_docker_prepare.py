"""Containers prepared ahead, against the real engine: a prepared container serves exactly
the phase it was made for, is never used once its mounts changed, and nothing is left behind;
a phase that leaves a process running is stopped before the host reads its mounts."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from sandbox.base import Mount, PhaseRequest, PhaseResult, PhaseStatus
from sandbox.conformance import SMALL
from sandbox.docker_backend import LABEL, DockerSandbox

pytestmark = pytest.mark.docker

# Prints the id of the container it runs in (the cgroup path ends with it on cgroup v1 and
# on v2 without a private cgroup namespace); "?" otherwise.
CONTAINER_ID = (
    "import re; text = open('/proc/self/cgroup').read(); "
    "found = re.findall(r'([0-9a-f]{64})', text); print(found[-1] if found else '?')"
)


@pytest.fixture()
def sandbox() -> DockerSandbox:
    backend = DockerSandbox()
    backend.check()
    backend.defer_removals()  # as the scheduler does
    yield backend  # type: ignore[misc]
    backend.close()


def request(
    image: str, tag: str, name: str, code: str, mounts: list[Mount] | None = None
) -> PhaseRequest:
    return PhaseRequest(
        name=name,
        image=image,
        command=["python3", "-c", code],
        workdir="/tmp",
        mounts=mounts or [],
        limits=SMALL,
        labels={f"{LABEL}.test": tag},
    )


def containers(sandbox: DockerSandbox, tag: str) -> dict[str, str]:
    """Container id -> phase label of this test's containers."""
    listed = sandbox.client.containers.list(all=True, filters={"label": f"{LABEL}.test={tag}"})
    return {container.id: container.labels.get(f"{LABEL}.phase", "") for container in listed}


def wait_for_container(sandbox: DockerSandbox, tag: str, phase: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [cid for cid, name in containers(sandbox, tag).items() if name == phase]
        if found:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"no container was prepared for {phase}")


def run_while_preparing(sandbox: DockerSandbox, image: str, tag: str) -> PhaseResult:
    """A phase long enough for the background work to prepare the next container."""
    return sandbox.run_phase(request(image, tag, "current", "import time; time.sleep(3)"))


def test_a_prepared_container_serves_its_phase(sandbox: DockerSandbox, runtime_image: str) -> None:
    tag = uuid.uuid4().hex[:8]
    following = request(runtime_image, tag, "following", CONTAINER_ID)
    sandbox.prepare_phase(following)
    assert run_while_preparing(sandbox, runtime_image, tag).status is PhaseStatus.ok
    prepared = wait_for_container(sandbox, tag, "following")
    result = sandbox.run_phase(following)
    assert result.status is PhaseStatus.ok, result.message
    if result.log_tail.strip() != "?":
        assert result.log_tail.strip() == prepared
    sandbox.close()
    assert containers(sandbox, tag) == {}, "close() left containers behind"


def test_a_container_prepared_two_phases_ahead_outlives_the_phase_between(
    sandbox: DockerSandbox, runtime_image: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    second = request(runtime_image, tag, "second", CONTAINER_ID)
    sandbox.prepare_phase(second, ahead=2)
    run_while_preparing(sandbox, runtime_image, tag)
    prepared = wait_for_container(sandbox, tag, "second")
    assert sandbox.run_phase(request(runtime_image, tag, "between", "pass")).status is (
        PhaseStatus.ok
    )
    result = sandbox.run_phase(second)
    assert result.status is PhaseStatus.ok, result.message
    if result.log_tail.strip() != "?":
        assert result.log_tail.strip() == prepared


def test_a_replaced_mount_directory_is_never_used(
    sandbox: DockerSandbox, runtime_image: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    data = tmp_path / "data"
    data.mkdir()
    (data / "value.txt").write_text("old")
    data.chmod(0o755)
    tmp_path.chmod(0o755)
    code = f"{CONTAINER_ID}; print(open('/data/value.txt').read())"
    following = request(runtime_image, tag, "following", code, [Mount(source=data, target="/data")])
    sandbox.prepare_phase(following)
    run_while_preparing(sandbox, runtime_image, tag)
    prepared = wait_for_container(sandbox, tag, "following")
    (data / "value.txt").unlink()
    data.rmdir()
    data.mkdir()
    (data / "value.txt").write_text("new")
    data.chmod(0o755)
    result = sandbox.run_phase(following)
    assert result.status is PhaseStatus.ok, result.message
    lines = result.log_tail.split()
    assert lines[-1] == "new", "the phase saw the replaced directory"
    assert lines[0] != prepared
    sandbox.close()
    assert containers(sandbox, tag) == {}


def test_an_unused_preparation_is_removed(sandbox: DockerSandbox, runtime_image: str) -> None:
    tag = uuid.uuid4().hex[:8]
    sandbox.prepare_phase(request(runtime_image, tag, "never-run", "pass"))
    run_while_preparing(sandbox, runtime_image, tag)
    wait_for_container(sandbox, tag, "never-run")
    run_while_preparing(sandbox, runtime_image, tag)  # the next phase did not use it
    run_while_preparing(sandbox, runtime_image, tag)  # dropped when this one starts
    sandbox.close()
    assert containers(sandbox, tag) == {}


def test_a_process_left_running_is_stopped_before_the_host_reads(
    sandbox: DockerSandbox, runtime_image: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    output = tmp_path / "out"
    output.mkdir(mode=0o777)
    output.chmod(0o777)
    tmp_path.chmod(0o755)
    writer = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    for fd in (0, 1, 2): os.close(fd)\n"
        "    while True:\n"
        "        with open('/out/count', 'a') as handle: handle.write('x')\n"
        "        time.sleep(0.01)\n"
        "for _ in range(1000):\n"
        "    if os.path.exists('/out/count'): break\n"
        "    time.sleep(0.01)\n"
        "time.sleep(0.3)\n"
    )
    result = sandbox.run_phase(
        request(
            runtime_image,
            tag,
            "leaves-a-writer",
            writer,
            [Mount(source=output, target="/out", read_only=False, max_mb=1)],
        )
    )
    assert result.status is PhaseStatus.ok, result.message
    size = (output / "count").stat().st_size
    time.sleep(0.5)
    assert (output / "count").stat().st_size == size, "a process still wrote after the phase"
