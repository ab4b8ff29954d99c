"""Cgroup readers for v1 (this machine) and v2 (modern hosts), on fake cgroup trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import cgroups
from sandbox.cgroups import CgroupPaths


def fake_proc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str) -> None:
    proc = tmp_path / "proc-cgroup"
    proc.write_text(content)
    original = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if str(self) == "/proc/4242/cgroup":
            return proc.read_text()
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)


def test_v1_reads_peak_cpu_and_oom_kills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cgroup"
    memory = root / "memory" / "docker" / "abc"
    cpu = root / "cpu,cpuacct" / "docker" / "abc"
    memory.mkdir(parents=True)
    cpu.mkdir(parents=True)
    (memory / "memory.max_usage_in_bytes").write_text("104857600\n")
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (cpu / "cpuacct.usage").write_text("1500000000\n")
    fake_proc(
        monkeypatch,
        tmp_path,
        "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n",
    )
    paths = CgroupPaths.for_pid(4242, root)
    assert paths is not None and paths.version == 1
    usage = paths.read()
    assert usage == cgroups.CgroupUsage(peak_memory_bytes=104857600, cpu_seconds=1.5, oom_kills=2)


def test_v2_reads_peak_cpu_and_oom_kills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cgroup"
    unified = root / "system.slice" / "docker-abc.scope"
    unified.mkdir(parents=True)
    (unified / "memory.peak").write_text("52428800\n")
    (unified / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (unified / "cpu.stat").write_text("usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n")
    fake_proc(monkeypatch, tmp_path, "0::/system.slice/docker-abc.scope\n")
    paths = CgroupPaths.for_pid(4242, root)
    assert paths is not None and paths.version == 2
    assert paths.read() == cgroups.CgroupUsage(
        peak_memory_bytes=52428800, cpu_seconds=0.25, oom_kills=1
    )


def test_v2_without_memory_peak_falls_back_to_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cgroup"
    unified = root / "docker" / "abc"
    unified.mkdir(parents=True)
    (unified / "memory.current").write_text("1048576\n")
    (unified / "memory.events").write_text("oom_kill 0\n")
    (unified / "cpu.stat").write_text("usage_usec 1000\n")
    fake_proc(monkeypatch, tmp_path, "0::/docker/abc\n")
    paths = CgroupPaths.for_pid(4242, root)
    assert paths is not None
    assert paths.read().peak_memory_bytes == 1048576


def test_unreadable_process_gives_none() -> None:
    assert CgroupPaths.for_pid(2**30) is None


def test_gone_cgroup_raises_oserror(tmp_path: Path) -> None:
    paths = CgroupPaths(1, tmp_path / "gone", tmp_path / "gone")
    with pytest.raises(OSError):
        paths.read()
