"""A batch killed with SIGKILL mid-way is finished by rerunning the same command:
nothing regraded, nothing partial or duplicated, nothing left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.config import harness_home
from sandbox.docker_backend import LABEL, LABEL_OWNER_PID

pytestmark = pytest.mark.docker
BASELINE = (
    Path(__file__).resolve().parents[2] / "challenges" / "churn-tabular" / "solutions" / "baseline"
)


def quick(root: Path, marker: str) -> str:
    shutil.copytree(BASELINE, root)
    (root / "marker.txt").write_text(marker)
    return str(root)


def slow(root: Path) -> str:
    quick(root, "slow")
    train = root / "train.py"
    train.write_text("import time\ntime.sleep(12)\n" + train.read_text())
    return str(root)


def command(sources: list[str], out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "harness.cli",
        "grade",
        *sources,
        "--challenge",
        "churn-tabular",
        "--out",
        str(out),
    ]


def test_killed_batch_resumes_exactly(tmp_path: Path, docker_sandbox, runtime_image: str) -> None:  # type: ignore[no-untyped-def]
    sources = [
        quick(tmp_path / "a", "a"),
        slow(tmp_path / "b"),
        quick(tmp_path / "c", "c"),
        quick(tmp_path / "d", "d"),
    ]
    out = tmp_path / "out"
    client = docker_sandbox.client
    process = subprocess.Popen(
        command(sources, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    owned = {"label": [LABEL, f"{LABEL_OWNER_PID}={process.pid}"]}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        finished = list(out.glob("*/result.json"))
        training = [
            c
            for c in client.containers.list(filters=owned, ignore_removed=True)
            if c.labels.get(f"{LABEL}.phase") == "train"
        ]
        if len(finished) == 1 and training:
            break
        assert process.poll() is None, process.communicate()[1].decode()
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the batch never reached the slow submission")
    time.sleep(1)
    process.kill()
    process.wait(timeout=30)
    first = {path.parent.name: path.read_bytes() for path in out.glob("*/result.json")}
    assert len(first) == 1, "only the first submission had finished"
    assert client.containers.list(all=True, filters=owned, ignore_removed=True), (
        "SIGKILL leaves the running container behind"
    )
    killed_work = list((harness_home() / "work").glob(f"{process.pid}-*"))
    assert killed_work, "SIGKILL leaves the work directory behind"

    rerun = subprocess.run(command(sources, out), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr

    results = {path.parent.name: path.read_bytes() for path in out.glob("*/result.json")}
    assert len(results) == 4, "every submission has exactly one result"
    for submission_id, content in first.items():
        assert results[submission_id] == content, "the finished submission was not graded again"
    assert "1 submission(s) already graded by an earlier run" in rerun.stdout
    assert not list(out.rglob("*.tmp")), "no partial files"
    assert client.containers.list(all=True, filters=owned, ignore_removed=True) == [], (
        "the killed run's container was removed"
    )
    assert not any(path.exists() for path in killed_work), (
        "the killed run's work directory was removed"
    )
    index = (out / "index.html").read_text()
    assert all(submission_id in index for submission_id in results)
