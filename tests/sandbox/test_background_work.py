"""The Docker backend's work off the critical path, without an engine: when background jobs
may run, and how a finished container is judged safe to remove later."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sandbox.cgroups import CgroupPaths
from sandbox.docker_backend import _BackgroundWork, _only_init_left

WAIT_S = 10.0  # generous: these wait for threads, they do not time anything


def recorder(log: list[str], name: str, done: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def job() -> None:
        log.append(name)
        if done is not None:
            done.set()

    return job


def test_jobs_wait_until_a_phase_runs_and_preparations_go_first() -> None:
    work = _BackgroundWork()
    log: list[str] = []
    finished = threading.Event()
    work.add_removal(recorder(log, "removal", finished))
    work.add_preparation(recorder(log, "preparation"))
    time.sleep(0.2)
    assert log == [], "nothing may run between phases"
    with work.during_phase():
        assert finished.wait(WAIT_S)
    assert log == ["preparation", "removal"]
    work.drain()


def test_the_preparation_needed_soonest_goes_first() -> None:
    work = _BackgroundWork()
    log: list[str] = []
    finished = threading.Event()
    work.add_preparation(recorder(log, "two phases ahead", finished), needed_at=3)
    work.add_preparation(recorder(log, "next phase"), needed_at=2)
    with work.during_phase():
        assert finished.wait(WAIT_S)
    assert log == ["next phase", "two phases ahead"]
    work.drain()


def test_quiet_holds_every_job_back_until_it_ends() -> None:
    work = _BackgroundWork()
    log: list[str] = []
    finished = threading.Event()
    with work.during_phase():
        with work.quiet():
            work.add_preparation(recorder(log, "preparation", finished))
            time.sleep(0.2)
            assert log == []
        assert finished.wait(WAIT_S)
    assert log == ["preparation"]
    work.drain()


def test_quiet_waits_for_the_running_job() -> None:
    work = _BackgroundWork()
    started, release = threading.Event(), threading.Event()
    log: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(WAIT_S)
        log.append("slow done")

    with work.during_phase():
        work.add_preparation(slow)
        assert started.wait(WAIT_S)
        threading.Timer(0.2, release.set).start()
        with work.quiet():
            assert log == ["slow done"], "quiet() returned while a job was running"
    work.drain()


def test_a_queued_job_can_be_claimed_back_and_drain_runs_the_rest() -> None:
    work = _BackgroundWork()
    log: list[str] = []
    claimed = recorder(log, "claimed")
    work.add_preparation(claimed)
    work.add_removal(recorder(log, "left over"))
    assert work.claim(claimed)
    assert not work.claim(claimed)
    work.drain()
    assert log == ["left over"]


def test_a_failing_job_does_not_stop_the_thread() -> None:
    work = _BackgroundWork()
    log: list[str] = []
    finished = threading.Event()

    def broken() -> None:
        raise RuntimeError("engine went away")

    with work.during_phase():
        work.add_preparation(broken)
        work.add_removal(recorder(log, "next", finished))
        assert finished.wait(WAIT_S)
    work.drain()


def cgroup_with(tmp_path: Path, tasks: list[int]) -> CgroupPaths:
    (tmp_path / "tasks").write_text("".join(f"{task}\n" for task in tasks))
    return CgroupPaths(1, tmp_path, tmp_path)


def test_only_the_idle_init_left(tmp_path: Path) -> None:
    assert _only_init_left(cgroup_with(tmp_path, [os.getpid()]), os.getpid())


def test_a_live_process_besides_init_is_seen(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not _only_init_left(cgroup_with(tmp_path, [os.getpid(), child.pid]), os.getpid())
    finally:
        child.kill()
        child.wait()


def test_zombies_cannot_act_so_they_do_not_count(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:  # exited but not reaped: a zombie
        state = Path(f"/proc/{child.pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        if state == b"Z":
            break
        time.sleep(0.02)
    try:
        assert _only_init_left(cgroup_with(tmp_path, [os.getpid(), child.pid]), os.getpid())
    finally:
        child.wait()


def test_unsure_means_not_idle(tmp_path: Path) -> None:
    assert not _only_init_left(None, os.getpid())
    assert not _only_init_left(CgroupPaths(1, tmp_path / "gone", tmp_path), os.getpid())
    assert not _only_init_left(cgroup_with(tmp_path, [12345678]), os.getpid()), (
        "the init must be among the tasks"
    )
