"""Running phases from several grading workers without spoiling the measurements.

- Each worker thread gets its own sandbox backend instance (engine clients are
  not shared between threads).
- **Measured phases** (the predict phases, where latency is timed) run one at a
  time, and when more than one worker runs they are pinned to a CPU that no
  other phase uses; the other phases share the remaining CPUs. While one runs,
  no backend does engine work it can postpone (creating the next phase's
  container, removing finished ones).
- A caller that knows which phase comes next asks for it with ``prepare`` before
  running the current one; a backend that can (``PreparesPhases``) gets that
  container ready while the current phase runs.
- ``--jobs auto`` picks as many workers as the host's CPUs and memory allow for
  the challenge's limits, so the limits of concurrent phases sum to what the
  host has.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sandbox.base import PhaseLimits, PhaseRequest, PhaseResult, Sandbox

MEASURED_PHASES = frozenset({"predict", "repeat-predict"})


@runtime_checkable
class PreparesPhases(Protocol):
    """What a backend offers to take engine work off the critical path (optional)."""

    def prepare_phase(self, request: PhaseRequest, ahead: int = 1) -> None:
        """Get the container for ``request`` ready while other phases run; it is for the
        ``ahead``-th phase after the next one to start."""
        ...

    def quiet(self) -> AbstractContextManager[None]:
        """Postpone background engine work while the context is held."""
        ...

    def defer_removals(self) -> None:
        """Let ``run_phase`` return before its container is removed, once no process of the
        candidate's can run any more; ``close`` removes the rest."""
        ...

    def close(self) -> None:
        """Finish background work and remove whatever was prepared but not used."""
        ...


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
    """Places phases on CPUs, serialises measured ones and keeps them undisturbed."""

    make_sandbox: Callable[[], Sandbox]
    jobs: int = 1
    cpus: list[int] = field(default_factory=host_cpus)
    prepare_ahead: bool = True
    """Pass ``prepare`` on to backends (off: every container is made when its phase runs)."""
    _measured_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _sandboxes: list[Sandbox] = field(default_factory=list)
    _sandboxes_lock: threading.Lock = field(default_factory=threading.Lock)

    def sandbox(self) -> Sandbox:
        """This thread's sandbox backend."""
        existing: Sandbox | None = getattr(self._local, "sandbox", None)
        if existing is None:
            existing = self.make_sandbox()
            self._local.sandbox = existing
            with self._sandboxes_lock:
                if not any(known is existing for known in self._sandboxes):
                    self._sandboxes.append(existing)
        if isinstance(existing, PreparesPhases):
            # This scheduler closes every backend it used; a close ends the deferral, so it
            # is asked for again on each use (it only sets a flag).
            existing.defer_removals()
        return existing

    def placement(self, request: PhaseRequest) -> str | None:
        """The cpuset for a phase, or None to let the engine place it (a single worker)."""
        if request.cpuset is not None or self.jobs <= 1 or len(self.cpus) < 2:
            return request.cpuset
        measured_cpu, others = self.cpus[-1], self.cpus[:-1]
        if request.name in MEASURED_PHASES:
            return str(measured_cpu)
        return ",".join(str(cpu) for cpu in others)

    def place(self, request: PhaseRequest) -> PhaseRequest:
        """``request`` as it will run: with its cpuset."""
        return request.model_copy(update={"cpuset": self.placement(request)})

    def prepare(self, request: PhaseRequest, ahead: int = 1) -> None:
        """Let this thread's backend get ``request``'s container ready while the next
        ``run`` executes (``ahead=2``: the next two); ignored by backends that cannot.
        ``run`` must then be given an identical request (unused preparations are dropped
        by the backend)."""
        sandbox = self.sandbox()
        if self.prepare_ahead and isinstance(sandbox, PreparesPhases):
            sandbox.prepare_phase(self.place(request), ahead)

    def run(self, request: PhaseRequest) -> PhaseResult:
        placed = self.place(request)
        if request.name in MEASURED_PHASES:
            with self._measured_lock, ExitStack() as quiet:
                for sandbox in self._preparing_sandboxes():
                    quiet.enter_context(sandbox.quiet())
                return self.sandbox().run_phase(placed)
        return self.sandbox().run_phase(placed)

    def close(self) -> None:
        """Finish every backend's background work (at the end of a session). Backends used
        again afterwards defer their removals again (and are closed by the next ``close``)."""
        for sandbox in self._preparing_sandboxes():
            sandbox.close()

    def _preparing_sandboxes(self) -> list[PreparesPhases]:
        self.sandbox()  # the calling thread's own backend is known before it is quieted
        with self._sandboxes_lock:
            return [sandbox for sandbox in self._sandboxes if isinstance(sandbox, PreparesPhases)]
