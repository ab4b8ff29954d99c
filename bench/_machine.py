"""What every benchmark records next to its figures: the machine and how busy it was.

These machines are shared, so a figure without the load average it was measured under
cannot be compared with another one. Imported by the scripts in this directory
(``python bench/<name>.py`` puts the directory on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded."""
    return [round(value, 2) for value in os.getloadavg()]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def memory_total_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def cgroup_version() -> int:
    return 2 if Path("/sys/fs/cgroup/cgroup.controllers").exists() else 1


def describe_machine(docker_client: Any = None) -> dict[str, Any]:
    """Cores, memory, kernel, Python and, given a docker client, the engine."""
    machine: dict[str, Any] = {
        "cpus": usable_cpus(),
        "memory_mb": memory_total_mb(),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cgroup_version": cgroup_version(),
        "load_average_at_start": load_average(),
    }
    if docker_client is not None:
        try:
            version = docker_client.version()
            info = docker_client.info()
        except Exception as error:
            machine["docker"] = f"unavailable: {type(error).__name__}"
        else:
            machine["docker"] = version.get("Version")
            machine["docker_cgroup_version"] = info.get("CgroupVersion")
            machine["docker_cgroup_driver"] = info.get("CgroupDriver")
            machine["docker_storage_driver"] = info.get("Driver")
    return machine


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def coefficient_of_variation(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean else 0.0


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process (VmHWM), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Start a new VmHWM window (Linux: writing 5 to clear_refs); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def write_summary(name: str, summary: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` and return its path."""
    summary.setdefault("load_average_at_end", load_average())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return path
