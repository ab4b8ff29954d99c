"""Backend-neutral sandbox types: what a phase asks for and what it produced."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt


class PhaseStatus(StrEnum):
    """How a phase ended. Everything but ``ok`` is the candidate's failure, except
    ``sandbox_error``, which is the harness's or the engine's."""

    ok = "ok"
    error = "error"
    timeout = "timeout"
    oom = "oom"
    output_limit = "output_limit"
    sandbox_error = "sandbox_error"


class PhaseLimits(BaseModel):
    """Resource limits for one phase (one container)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_time_s: PositiveFloat = Field(
        600, description="Wall-clock limit; the harness kills the container at this point."
    )
    memory_mb: PositiveInt = Field(
        2048, description="Memory limit; swap is limited to the same value (no swap)."
    )
    cpus: PositiveFloat = Field(1.0, description="CPU quota in cores.")
    pids: PositiveInt = Field(256, description="Maximum number of processes and threads.")
    output_bytes: PositiveInt = Field(
        1_000_000, description="Cap on stdout+stderr; the phase is killed past it."
    )
    tmpfs_mb: PositiveInt = Field(256, description="Size of the writable scratch space at /tmp.")
    file_size_mb: PositiveInt = Field(
        1024, description="Largest single file the phase may write (RLIMIT_FSIZE)."
    )
    open_files: PositiveInt = Field(
        1024, description="Maximum open file descriptors (RLIMIT_NOFILE)."
    )


class Mount(BaseModel):
    """A host directory bound into the container."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Path = Field(description="Absolute host path.")
    target: str = Field(description="Absolute path inside the container.")
    read_only: bool = Field(True, description="Mounted read-only (the default).")
    max_mb: PositiveInt | None = Field(
        None,
        description="For writable mounts: the phase is stopped with output_limit when the "
        "directory grows past this size or past max_entries files.",
    )
    max_entries: PositiveInt = Field(
        10_000, description="For writable mounts: most files and directories."
    )


class PhaseRequest(BaseModel):
    """Everything needed to run one phase in a fresh container."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Phase name, e.g. 'train' or 'predict'.")
    image: str = Field(description="Image reference to run.")
    command: list[str] = Field(description="argv of the process to run.")
    workdir: str = Field("/submission", description="Working directory inside the container.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    mounts: list[Mount] = Field(default_factory=list, description="Host directories to bind.")
    limits: PhaseLimits = Field(default_factory=PhaseLimits, description="Resource limits.")
    cpuset: str | None = Field(
        None, description="CPUs to pin the phase to (e.g. '1'), for measured phases."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra container labels.")


class PhaseResult(BaseModel):
    """What one phase produced, measured by the sandbox."""

    name: str = Field(description="Phase name.")
    status: PhaseStatus = Field(description="How the phase ended.")
    exit_code: int | None = Field(None, description="Process exit code, when it exited by itself.")
    wall_s: float = Field(0.0, description="Wall time of the candidate's process, seconds.")
    cpu_s: float | None = Field(None, description="CPU time used by the container, seconds.")
    peak_memory_mb: float | None = Field(None, description="Peak memory of the container, MiB.")
    oom_kills: int = Field(0, description="Processes killed by the OOM killer in this phase.")
    output_bytes: int = Field(0, description="Bytes written to stdout and stderr together.")
    output_truncated: bool = Field(False, description="Output went past the cap and was cut.")
    log_tail: str = Field("", description="Last lines of stdout+stderr, decoded safely.")
    message: str = Field("", description="One-line explanation of the status.")
    overhead_s: float = Field(
        0.0, description="Sandbox time around the process (create, start, collect, remove)."
    )
    image: str = Field("", description="Image that ran the phase.")


class Sandbox(Protocol):
    """A sandbox backend. Implementations register in ``harness.sandboxes``."""

    name: str

    def check(self) -> str:
        """Return a one-line description of the backend, or raise ``SandboxUnavailable``."""
        ...

    def run_phase(self, request: PhaseRequest) -> PhaseResult:
        """Run one phase in a fresh, hardened container; the container is gone on return,
        so the host may read the writable mounts afterwards."""
        ...

    def cleanup_stale(self) -> int:
        """Remove containers left by harness processes that no longer run; return the count."""
        ...
