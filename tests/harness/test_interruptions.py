"""Ctrl-C, SIGTERM and a killed harness never leave containers behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.docker_backend import LABEL, LABEL_OWNER_PID

pytestmark = pytest.mark.docker


def sleeping_submission(root: Path) -> Path:
    root.mkdir()
    (root / "train.py").write_text("import time\nprint('training', flush=True)\ntime.sleep(300)\n")
    (root / "predict.py").write_text(
        "def load(d):\n    return None\n\ndef predict(m, f):\n    return [0.5] * len(f)\n"
    )
    return root


def owned_containers(client, pid: int) -> list:  # type: ignore[no-untyped-def]
    return client.containers.list(
        all=True, filters={"label": [LABEL, f"{LABEL_OWNER_PID}={pid}"]}, ignore_removed=True
    )


def start_grading(tmp_path: Path) -> subprocess.Popen[bytes]:
    submission = sleeping_submission(tmp_path / "sleeper")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "grade",
            str(submission),
            "--challenge",
            "churn-tabular",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_container(client, process: subprocess.Popen[bytes]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(
            container.status == "running" for container in owned_containers(client, process.pid)
        ):
            time.sleep(1.0)  # let the exec start inside it
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.kill()
    pytest.fail("the train container never started")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_removes_the_running_container(
    signum: int, tmp_path: Path, docker_sandbox, runtime_image: str
) -> None:  # type: ignore[no-untyped-def]
    client = docker_sandbox.client
    process = start_grading(tmp_path)
    wait_for_container(client, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert b"Interrupted" in stderr
    assert owned_containers(client, process.pid) == []


def test_containers_of_a_killed_harness_are_cleaned_up(
    tmp_path: Path, docker_sandbox, runtime_image: str
) -> None:  # type: ignore[no-untyped-def]
    client = docker_sandbox.client
    process = start_grading(tmp_path)
    wait_for_container(client, process)
    process.kill()
    process.communicate(timeout=30)
    assert owned_containers(client, process.pid), (
        "SIGKILL cannot clean up; the container should still be there"
    )
    removed = docker_sandbox.cleanup_stale()
    assert removed >= 1
    assert owned_containers(client, process.pid) == []
