"""Read a live container's resource usage from its cgroup (v1 and v2).

The engine removes a container's cgroup when the container exits, so these
figures must be read while it is alive. The OOM-kill counter is read from the
cgroup because ``State.OOMKilled`` stays false when a process started with
``exec`` (rather than the container's init) is killed by the OOM killer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CgroupUsage:
    """A snapshot of a container's cgroup counters."""

    peak_memory_bytes: int | None
    cpu_seconds: float | None
    oom_kills: int


@dataclass(frozen=True)
class CgroupPaths:
    """Where a container's counters live on this host."""

    version: int
    memory: Path
    cpu: Path

    @classmethod
    def for_pid(cls, pid: int, root: Path = CGROUP_ROOT) -> CgroupPaths | None:
        """Locate the cgroups of host process ``pid`` (the container's init); ``None`` when
        they cannot be read here (e.g. a remote engine)."""
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            return None
        controllers: dict[str, str] = {}
        for line in lines:
            _, names, path = line.split(":", 2)
            for name in names.split(",") if names else [""]:
                controllers[name] = path.lstrip("/")
        if "memory" in controllers:
            memory = _v1_dir(root, "memory", controllers["memory"])
            cpu = _v1_dir(root, "cpuacct", controllers.get("cpuacct", controllers["memory"]))
            if memory and cpu:
                return cls(1, memory, cpu)
            return None
        if "" in controllers:
            unified = root / controllers[""]
            if unified.is_dir():
                return cls(2, unified, unified)
        return None

    def read(self) -> CgroupUsage:
        """Read the counters now. Raises ``OSError`` once the cgroup is gone."""
        if self.version == 1:
            peak = int(_read(self.memory / "memory.max_usage_in_bytes"))
            cpu = int(_read(self.cpu / "cpuacct.usage")) / 1e9
            oom = _key_value(_read(self.memory / "memory.oom_control")).get("oom_kill", 0)
            return CgroupUsage(peak, cpu, oom)
        peak_file = self.memory / "memory.peak"
        # memory.peak exists from Linux 5.19; older v2 kernels only give the current usage.
        peak_text = (
            _read(peak_file) if peak_file.exists() else _read(self.memory / "memory.current")
        )
        cpu_usec = _key_value(_read(self.cpu / "cpu.stat")).get("usage_usec", 0)
        oom = _key_value(_read(self.memory / "memory.events")).get("oom_kill", 0)
        return CgroupUsage(int(peak_text), cpu_usec / 1e6, oom)


def _v1_dir(root: Path, controller: str, relative: str) -> Path | None:
    for mount in (
        (controller, "cpu,cpuacct", "cpuacct,cpu") if controller == "cpuacct" else (controller,)
    ):
        candidate = root / mount / relative
        if candidate.is_dir():
            return candidate
    return None


def _read(path: Path) -> str:
    return path.read_text().strip()


def _key_value(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values
