"""Running phases from several grading workers without spoiling the measurements.

- Each worker thread gets its own sandbox backend instance (engine clients are
  not shared between threads).
- **Measured phases** (the predict phases, where latency is timed) run one at a
  time, and when more than one worker runs they are pinned to a CPU that no
  other phase uses; the other phases share the remaining CPUs.
- ``--jobs auto`` picks as many workers as the host's CPUs and memory allow for
  the challenge's limits, so the limits of concurrent phases sum to what the
  host has.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.base import PhaseLimits, PhaseRequest, PhaseResult, Sandbox

MEASURED_PHASES = frozenset({"predict", "repeat-predict"})


def host_cpus() -> list[int]:
    """CPUs this process may use."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def host_memory_mb() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    except (ValueError, OSError, AttributeError):
        return 4096


def auto_jobs(
    limits: list[PhaseLimits], cpus: int | None = None, memory_mb: int | None = None
) -> int:
    """Workers that fit: concurrent phases' CPU quotas and memory limits must not exceed the
    host (one CPU is kept for measured phases when there is more than one)."""
    cpus = cpus if cpus is not None else len(host_cpus())
    memory_mb = memory_mb if memory_mb is not None else host_memory_mb()
    widest_cpu = max(limit.cpus for limit in limits)
    largest_memory = max(limit.memory_mb for limit in limits)
    by_cpu = max(1, int(cpus // widest_cpu))
    by_memory = max(1, int(memory_mb * 0.9 // largest_memory))
    return max(1, min(by_cpu, by_memory))


@dataclass
class PhaseScheduler:
    """Places phases on CPUs and serialises measured ones."""

    make_sandbox: Callable[[], Sandbox]
    jobs: int = 1
    cpus: list[int] = field(default_factory=host_cpus)
    _measured_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def sandbox(self) -> Sandbox:
        """This thread's sandbox backend."""
        existing: Sandbox | None = getattr(self._local, "sandbox", None)
        if existing is None:
            existing = self.make_sandbox()
            self._local.sandbox = existing
        return existing

    def placement(self, request: PhaseRequest) -> str | None:
        """The cpuset for a phase, or None to let the engine place it (a single worker)."""
        if request.cpuset is not None or self.jobs <= 1 or len(self.cpus) < 2:
            return request.cpuset
        measured_cpu, others = self.cpus[-1], self.cpus[:-1]
        if request.name in MEASURED_PHASES:
            return str(measured_cpu)
        return ",".join(str(cpu) for cpu in others)

    def run(self, request: PhaseRequest) -> PhaseResult:
        placed = request.model_copy(update={"cpuset": self.placement(request)})
        if request.name in MEASURED_PHASES:
            with self._measured_lock:
                return self.sandbox().run_phase(placed)
        return self.sandbox().run_phase(placed)
