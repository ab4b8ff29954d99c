"""The Docker sandbox: one fresh, hardened container per phase.

How a phase runs:

1. A container is created from the runtime image with no network, memory equal
   to memory+swap, a CPU quota, a pids limit, a read-only root filesystem with a
   size-limited tmpfs at /tmp, an unprivileged user, every capability dropped,
   ``no-new-privileges``, file-size/core/open-file ulimits and a capped log driver.
   Its init process is an idle ``sleep`` owned by the harness, running as another
   unprivileged user than the candidate's, so the candidate can neither signal nor
   ptrace it (and so cannot stop the container from inside).
2. The candidate's command is started with ``exec``, its stderr joined to its stdout
   inside the container (one pipe keeps the order the program wrote in: the engine
   copies two pipes concurrently and may interleave them), and read with a byte cap.
   Because the container outlives the command, its cgroup can be read *after* the
   command ends (peak memory, CPU time, OOM kills).
3. The harness enforces the wall-clock limit itself: on timeout, output overflow
   or a writable mount growing past its quota the container is killed (SIGKILL,
   never a polite SIGTERM).
4. The container is always removed, also on Ctrl-C; containers left by a crashed
   harness are found by label and removed by ``cleanup_stale``.
5. Once no process of the candidate can run any more, the writable mounts are cleared of
   what the host must never meet when it reads them: links leading out of the mount,
   fifos, sockets and devices. The phase message names what was removed.

Engine work off the critical path (about 0.3 s a phase, mostly ``start``): a caller that
knows the next phase calls ``prepare_phase`` before running the current one, and that
container is created and started (idle, nothing of the candidate's in it) while the
current phase runs; ``run_phase`` with an identical request then only has to ``exec``. A
container is never reused: each prepared one serves exactly one phase, and it is dropped
when a mount's directory was replaced since it was made. A caller that will ``close`` the
backend may also ``defer_removals``: when a phase ends and its cgroup shows that only the
idle init is left (every other task a zombie), no candidate process can touch the mounts
any more, so the container is removed later, in the background; otherwise it is killed
first. Background work only happens while some phase runs and never inside ``quiet()``,
which the scheduler holds around timed phases.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import socket
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import SandboxUnavailable
from harness.fsutil import special_file_kind
from sandbox import sandboxenv
from sandbox.base import Mount, PhaseRequest, PhaseResult, PhaseStatus
from sandbox.cgroups import CgroupPaths, CgroupUsage

SANDBOX_UID = 10001
SANDBOX_INIT_UID = 65534  # "nobody": the idle init, out of the candidate's reach
LABEL = "worksample-harness"
LABEL_OWNER_PID = f"{LABEL}.owner-pid"
LABEL_OWNER_HOST = f"{LABEL}.owner-host"
LABEL_PHASE = f"{LABEL}.phase"
LOG_TAIL_BYTES = 16 * 1024
LOG_TAIL_LINES = 80
MONITOR_INTERVAL_S = 0.05
ENGINE_HINT = (
    "Start the Docker engine: `setsid dockerd >/var/log/dockerd.log 2>&1 &` (install it first with "
    "`apt-get install -y docker.io` if needed), or run `bash scripts/setup.sh`; "
    "`harness doctor` checks everything."
)


@dataclass
class _PhaseState:
    """What the reader and monitor threads learn while a phase runs."""

    finished: threading.Event = field(default_factory=threading.Event)
    """Set when the phase should end: the process exited, output overflowed or a quota broke."""
    reader_done: threading.Event = field(default_factory=threading.Event)
    """Set when the output stream reached EOF."""
    output_bytes: int = 0
    output_overflow: bool = False
    tail: deque[bytes] = field(default_factory=deque)
    tail_bytes: int = 0
    quota_breach: str = ""
    usage: CgroupUsage | None = None
    reader_error: str = ""
    killed: bool = False
    """The harness killed the container (timeout, output cap, quota)."""

    def append_output(self, chunk: bytes, cap: int) -> None:
        room = cap - self.output_bytes
        if len(chunk) > room:
            chunk = chunk[: max(room, 0)]
            self.output_overflow = True
        self.output_bytes += len(chunk)
        if chunk:
            self.tail.append(chunk)
            self.tail_bytes += len(chunk)
            while self.tail_bytes > LOG_TAIL_BYTES and len(self.tail) > 1:
                self.tail_bytes -= len(self.tail.popleft())


@dataclass
class _Preparation:
    """A container being made ready, ahead of time, for one phase request."""

    key: str
    """The request it was made for (``run_phase`` must receive an identical one)."""
    sources: tuple[tuple[int, int] | None, ...]
    """(device, inode) of each mount source when it was requested: a directory replaced
    since then would leave the container bound to the old one, so it is not used."""
    last_use: int
    """The phase (counted from the backend's first) after which it is dropped if unused."""
    job: Callable[[], None] | None = None
    """The background job that makes it (identity matters: it is claimed back by it)."""
    done: threading.Event = field(default_factory=threading.Event)
    container: Any = None
    pid: int = 0
    error: str = ""


class _BackgroundWork:
    """One thread per backend that does engine work nobody waits for: preparing containers
    (first) and removing finished ones. It only works while a phase's command runs on this
    backend (``during_phase``) and never while ``quiet`` is held, so it cannot compete with a
    timed phase or with the harness's own work between phases."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._preparations: list[tuple[int, int, Callable[[], None]]] = []
        """(when it is needed, order of arrival, job): the soonest needed goes first."""
        self._arrivals = 0
        self._removals: deque[Callable[[], None]] = deque()
        self._busy = False
        self._phases_running = 0
        self._quiet = 0
        self._closing = False
        self._thread: threading.Thread | None = None

    def add_preparation(self, job: Callable[[], None], needed_at: int = 0) -> None:
        """Queue a preparation; among queued ones the lowest ``needed_at`` runs first."""
        with self._condition:
            self._arrivals += 1
            self._preparations.append((needed_at, self._arrivals, job))
            self._start()

    def add_removal(self, job: Callable[[], None]) -> None:
        with self._condition:
            self._removals.append(job)
            self._start()

    def claim(self, job: Callable[[], None]) -> bool:
        """Take a queued job back (to run it in the caller's thread, or to drop it); False
        when the worker has already started it."""
        with self._condition:
            for entry in self._preparations:
                if entry[2] is job:
                    self._preparations.remove(entry)
                    return True
            if job in self._removals:
                self._removals.remove(job)
                return True
        return False

    @contextlib.contextmanager
    def during_phase(self) -> Iterator[None]:
        with self._condition:
            self._phases_running += 1
            self._condition.notify_all()
        try:
            yield
        finally:
            with self._condition:
                self._phases_running -= 1

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """No background engine work from entry (which waits for a running job) to exit."""
        with self._condition:
            self._quiet += 1
            while self._busy:
                self._condition.wait()
        try:
            yield
        finally:
            with self._condition:
                self._quiet -= 1
                self._condition.notify_all()

    def drain(self) -> None:
        """Stop the thread (after its running job) and run every queued job here, now."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
            while self._busy:
                self._condition.wait()
            jobs = [entry[2] for entry in sorted(self._preparations)] + list(self._removals)
            self._preparations.clear()
            self._removals.clear()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        for job in jobs:
            job()
        with self._condition:
            self._closing = False

    def _start(self) -> None:
        """Start the thread if needed and wake it (called with the condition held)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, daemon=True, name="sandbox-background"
            )
            self._thread.start()
        self._condition.notify_all()

    def _ready(self) -> bool:
        return (
            self._phases_running > 0
            and not self._quiet
            and bool(self._preparations or self._removals)
        )

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._closing and not self._ready():
                    self._condition.wait()
                if self._closing:
                    return
                if self._preparations:
                    entry = min(self._preparations, key=lambda item: (item[0], item[1]))
                    self._preparations.remove(entry)
                    job = entry[2]
                else:
                    job = self._removals.popleft()
                self._busy = True
            try:
                job()
            except Exception:  # a job records its own failure; the thread must survive
                pass
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()


def decode_output(data: bytes, max_lines: int = LOG_TAIL_LINES) -> str:
    """Decode untrusted output for display: invalid UTF-8 replaced, control characters
    (other than newline and tab) dropped, only the last ``max_lines`` lines kept."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(ch for ch in text if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    lines = cleaned.splitlines()
    if len(lines) > max_lines:
        lines = [f"[... {len(lines) - max_lines} earlier lines not shown ...]", *lines[-max_lines:]]
    return "\n".join(lines)


def directory_usage(root: Path, max_entries: int) -> tuple[int, int]:
    """(bytes, entries) below ``root`` without following links; stops counting past
    ``max_entries`` so a directory of a million files cannot stall the monitor."""
    total = entries = 0
    stack = [root]
    while stack and entries <= max_entries:
        current = stack.pop()
        try:
            with os.scandir(current) as iterator:
                for entry in iterator:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512 if info.st_blocks else info.st_size
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
        except OSError:
            continue
    return total, entries


def remove_unsafe_entries(root: Path) -> list[str]:
    """Remove what a sandbox left in ``root`` that the host must never follow or open: links
    that lead out of ``root`` (absolute, or resolving outside it on the host), fifos,
    sockets and devices. Links that stay inside (``current -> model-v3.pkl``) are kept.
    Call it only once the container is gone, so nothing can race the check.

    Returns:
        One description per removed entry, sorted: ``'name' -> 'target'`` or ``'name' (fifo)``.
    """
    removed: list[str] = []
    real_root = os.path.realpath(root)
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as iterator:
                entries = list(iterator)
        except OSError:
            continue
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                stack.append(Path(entry.path))
                continue
            if stat.S_ISREG(mode):
                continue
            name = Path(entry.path).relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    target = "?"
                resolved = os.path.realpath(entry.path)
                inside = resolved == real_root or resolved.startswith(real_root + os.sep)
                if inside and not os.path.isabs(target):
                    continue
                description = f"{name!r} -> {target[:120]!r}"
            else:
                description = f"{name!r} ({special_file_kind(mode) or 'special file'})"
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(description)
    return sorted(removed)


def describe_removed(target: str, removed: list[str], shown: int = 6) -> str:
    """One phrase for the phase message; empty when nothing was removed."""
    if not removed:
        return ""
    count = len(removed)
    listed = ", ".join(removed[:shown]) + (f", and {count - shown} more" if count > shown else "")
    noun = "entry" if count == 1 else "entries"
    return (
        f"removed {count} unsafe {noun} from {target} (links out of it, fifos, sockets): {listed}"
    )


def prepare_writable_dir(path: Path) -> None:
    """Create a host directory the sandbox user can write to."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
        path.chmod(0o755)
    except PermissionError:
        # Not root: let the sandbox user in through the permission bits instead.
        path.chmod(0o777)


@sandboxenv("docker")
class DockerSandbox:
    """Sandbox backend on a local or remote Docker engine (docker SDK for Python)."""

    name = "docker"

    def __init__(self, base_url: str | None = None, timeout: float = 120.0) -> None:
        self._base_url = base_url
        self._timeout = timeout
        self._client: Any = None
        self._background = _BackgroundWork()
        self._prepared: dict[str, _Preparation] = {}
        self._prepared_lock = threading.Lock()
        self._phases_started = 0
        self._closer_registered = False
        self._removals_deferred = False

    # -- engine ---------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The docker SDK client, created on first use.

        Raises:
            SandboxUnavailable: when no engine answers.
        """
        if self._client is None:
            import docker

            try:
                if self._base_url:
                    client = docker.DockerClient(base_url=self._base_url, timeout=self._timeout)
                else:
                    client = docker.from_env(timeout=self._timeout)
                client.ping()
            except Exception as error:
                raise SandboxUnavailable(
                    f"the Docker engine is not reachable ({_short_error(error)})", hint=ENGINE_HINT
                ) from error
            self._client = client
        return self._client

    def check(self) -> str:
        version = self.client.version()
        info = self.client.info()
        return (
            f"Docker Engine {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}), "
            f"cgroup v{info.get('CgroupVersion', '1')}, {info.get('NCPU', '?')} CPUs, "
            f"{info.get('MemTotal', 0) / 2**30:.1f} GiB"
        )

    # -- phases ---------------------------------------------------------------------------

    def run_phase(self, request: PhaseRequest) -> PhaseResult:
        started = time.perf_counter()
        container = None
        state = _PhaseState()
        handed_off = False
        try:
            self._phases_started += 1
            try:
                prepared = self._take_prepared(request)
                self._discard_unused_preparations()
                if prepared is not None:
                    container, pid = prepared.container, prepared.pid
                else:
                    container = self._create_container(request)
                    container.start()
                    container.reload()
                    pid = int(container.attrs["State"]["Pid"])
            except Exception as error:
                return self._sandbox_error(
                    request, started, f"could not start the container: {_short_error(error)}"
                )
            cgroup = CgroupPaths.for_pid(pid)
            before = _safe_read(cgroup)
            with self._background.during_phase():
                result = self._run_command(container, request, state, cgroup, before)
            if self._removals_deferred:
                if not state.killed and not _only_init_left(cgroup, pid):
                    # Something of the candidate's may still run: end it before the host
                    # reads the mounts (kill returns once the container has stopped).
                    container.kill()
                self._background.add_removal(functools.partial(self._remove, container))
                handed_off = True
        except KeyboardInterrupt:
            raise
        except Exception as error:  # an engine failure is a sandbox_error, never a crash
            result = self._sandbox_error(
                request, started, f"{type(error).__name__}: {_short_error(error)}"
            )
        finally:
            if container is not None and not handed_off:
                self._remove(container)
        removed = [
            note
            for mount in request.mounts
            if not mount.read_only
            for note in [describe_removed(mount.target, remove_unsafe_entries(mount.source))]
            if note
        ]
        if removed:
            result.message = "; ".join([result.message, *removed])
        result.overhead_s = max(0.0, time.perf_counter() - started - result.wall_s)
        return result

    # -- work ahead of time -----------------------------------------------------------------

    def prepare_phase(self, request: PhaseRequest, ahead: int = 1) -> None:
        """Create and start the container for ``request`` in the background, while another
        phase runs, so that ``run_phase`` with the identical request only has to ``exec``.
        The container is idle until then (its init sleeps; nothing of the candidate's runs)
        and serves that one phase only. ``ahead`` says which phase it is for, counted from
        the next one to start (1: the phase after the next). If no phase up to that one used
        it, it is removed when the following phase starts, or by ``close``."""
        key = _request_key(request)
        with self._prepared_lock:
            if key in self._prepared:
                return
            preparation = _Preparation(
                key, _source_identity(request), self._phases_started + max(1, ahead) + 1
            )
            preparation.job = functools.partial(self._make_ready, preparation, request)
            self._prepared[key] = preparation
        if not self._closer_registered:
            atexit.register(self.close)
            self._closer_registered = True
        self._background.add_preparation(preparation.job, preparation.last_use)

    def defer_removals(self) -> None:
        """From now on ``run_phase`` may return before its container is removed: once no
        process of the candidate's can run any more (only the idle init is left, or the
        container was killed), so the host may read the mounts, and the removal is done in
        the background; ``close`` removes what is left. Without this call every container
        is gone when ``run_phase`` returns."""
        self._removals_deferred = True
        if not self._closer_registered:
            atexit.register(self.close)
            self._closer_registered = True

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """No background engine work (container creation or removal) while held: for timed
        phases. Entering waits for the job that is running, if any, to finish."""
        with self._background.quiet():
            yield

    def close(self) -> None:
        """Finish all background work now: remove prepared containers nobody used and
        finished ones still waiting for removal. The backend stays usable afterwards, with
        every container removed before ``run_phase`` returns (until ``defer_removals``)."""
        with self._prepared_lock:
            unused = list(self._prepared.values())
            self._prepared.clear()
        for preparation in unused:
            self._drop(preparation)
        self._background.drain()
        self._removals_deferred = False  # until a caller that will close again asks again

    def _make_ready(self, preparation: _Preparation, request: PhaseRequest) -> None:
        try:
            preparation.container = self._create_container(request)
            preparation.container.start()
            preparation.container.reload()
            preparation.pid = int(preparation.container.attrs["State"]["Pid"])
        except Exception as error:
            preparation.error = _short_error(error)
        finally:
            preparation.done.set()

    def _take_prepared(self, request: PhaseRequest) -> _Preparation | None:
        """The prepared container for ``request``, started and idle, or None (then the caller
        creates one as usual)."""
        with self._prepared_lock:
            preparation = self._prepared.pop(_request_key(request), None)
        if preparation is None:
            return None
        if preparation.job is not None and self._background.claim(preparation.job):
            return None  # not started yet: creating it now is the same work
        try:
            preparation.done.wait()
        except BaseException:  # interrupted: close() must still find and remove it
            self._background.add_removal(functools.partial(self._remove_prepared, preparation))
            raise
        usable = (
            not preparation.error
            and preparation.container is not None
            and preparation.sources == _source_identity(request)
            and _is_running(preparation.container, preparation.pid)
        )
        if usable:
            return preparation
        if preparation.container is not None:
            self._remove(preparation.container)
        return None

    def _discard_unused_preparations(self) -> None:
        """Drop the preparations whose phase has passed without using them (a phase before
        it failed, or another phase came instead)."""
        with self._prepared_lock:
            stale = [
                preparation
                for preparation in self._prepared.values()
                if preparation.last_use < self._phases_started
            ]
            for preparation in stale:
                del self._prepared[preparation.key]
        for preparation in stale:
            self._drop(preparation)

    def _drop(self, preparation: _Preparation) -> None:
        """Forget a preparation: never start it if it is still queued, else remove its
        container once it exists (the removal queues behind the running preparation)."""
        if preparation.job is not None and self._background.claim(preparation.job):
            return
        self._background.add_removal(functools.partial(self._remove_prepared, preparation))

    def _remove_prepared(self, preparation: _Preparation) -> None:
        preparation.done.wait(timeout=self._timeout)
        if preparation.container is not None:
            self._remove(preparation.container)

    def _create_container(self, request: PhaseRequest) -> Any:
        from docker.types import LogConfig, Ulimit
        from docker.types import Mount as DockerMount

        limits = request.limits
        labels = {
            LABEL: "1",
            LABEL_OWNER_PID: str(os.getpid()),
            LABEL_OWNER_HOST: socket.gethostname(),
            LABEL_PHASE: request.name,
            **request.labels,
        }
        mounts = [
            DockerMount(
                target=mount.target,
                source=str(mount.source),
                type="bind",
                read_only=mount.read_only,
            )
            for mount in request.mounts
        ]
        file_size = limits.file_size_mb * 1024 * 1024
        return self.client.containers.create(
            request.image,
            entrypoint=["sleep"],
            command=["infinity"],
            user=f"{SANDBOX_INIT_UID}:{SANDBOX_INIT_UID}",
            working_dir=request.workdir,
            environment=request.env,
            hostname="sandbox",
            network_mode="none",
            mem_limit=f"{limits.memory_mb}m",
            memswap_limit=f"{limits.memory_mb}m",
            nano_cpus=int(limits.cpus * 1e9),
            cpuset_cpus=request.cpuset,
            pids_limit=limits.pids,
            read_only=True,
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={limits.tmpfs_mb}m,mode=1777"},
            shm_size=f"{min(limits.tmpfs_mb, 64)}m",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ulimits=[
                Ulimit(name="fsize", soft=file_size, hard=file_size),
                Ulimit(name="core", soft=0, hard=0),
                Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            ],
            log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
            labels=labels,
            mounts=mounts,
            detach=True,
            stdin_open=False,
            tty=False,
        )

    def _run_command(
        self,
        container: Any,
        request: PhaseRequest,
        state: _PhaseState,
        cgroup: CgroupPaths | None,
        before: CgroupUsage | None,
    ) -> PhaseResult:
        api = self.client.api
        limits = request.limits
        exec_id = api.exec_create(
            container.id,
            merged_output_command(request.command),
            stdout=True,
            stderr=True,
            user=f"{SANDBOX_UID}:{SANDBOX_UID}",
            workdir=request.workdir,
            environment=request.env,
        )["Id"]
        raw_socket = api.exec_start(exec_id, socket=True)
        exec_started = time.perf_counter()
        reader = threading.Thread(
            target=_read_frames,
            args=(raw_socket, state, limits.output_bytes),
            daemon=True,
            name="sandbox-reader",
        )
        quotas = [mount for mount in request.mounts if not mount.read_only and mount.max_mb]
        monitor = threading.Thread(
            target=_monitor, args=(state, cgroup, quotas), daemon=True, name="sandbox-monitor"
        )
        reader.start()
        monitor.start()
        finished_in_time = state.finished.wait(timeout=limits.wall_time_s)
        wall = time.perf_counter() - exec_started
        timed_out = not finished_in_time
        stopped_early = timed_out or state.output_overflow or bool(state.quota_breach)
        # Read the counters while the container is still alive, then kill it if needed.
        after = _safe_read(cgroup) or state.usage
        if stopped_early:
            with contextlib.suppress(Exception):
                container.kill()
                state.killed = True
        state.reader_done.wait(timeout=10)
        reader.join(timeout=1)
        with contextlib.suppress(Exception):
            raw_socket.close()
        exit_code: int | None = None
        if not stopped_early:
            with contextlib.suppress(Exception):
                inspected = api.exec_inspect(exec_id)
                exit_code = None if inspected.get("Running") else inspected.get("ExitCode")
        if after is None:
            after = _fallback_stats(container)

        oom_kills = max(0, (after.oom_kills if after else 0) - (before.oom_kills if before else 0))
        result = PhaseResult(
            name=request.name,
            status=PhaseStatus.ok,
            exit_code=exit_code,
            wall_s=round(wall, 4),
            cpu_s=_delta(
                after.cpu_seconds if after else None, before.cpu_seconds if before else None
            ),
            peak_memory_mb=round(after.peak_memory_bytes / 2**20, 2)
            if after and after.peak_memory_bytes
            else None,
            oom_kills=oom_kills,
            output_bytes=state.output_bytes,
            output_truncated=state.output_overflow,
            log_tail=decode_output(b"".join(state.tail)),
            image=request.image,
        )
        result.status, result.message = _classify(result, limits.wall_time_s, timed_out, state)
        return result

    def _sandbox_error(self, request: PhaseRequest, started: float, message: str) -> PhaseResult:
        return PhaseResult(
            name=request.name,
            status=PhaseStatus.sandbox_error,
            message=message,
            image=request.image,
            overhead_s=time.perf_counter() - started,
        )

    def _remove(self, container: Any) -> None:
        """Remove ``container``, retrying with back-off while a busy engine refuses (five
        tries over about 3 s); a removal already in progress elsewhere is waited for (up to
        10 s). What still fails is found by its labels and removed by ``cleanup_stale`` on
        a later run."""
        delay = 0.2
        for attempt in range(5):
            try:
                container.remove(force=True, v=True)
                return
            except Exception as error:
                if "No such container" in str(error):
                    return
                if "is already in progress" in str(error):
                    _wait_until_gone(container, timeout_s=10.0)
                    return
                if attempt < 4:
                    time.sleep(delay)
                    delay *= 2

    # -- housekeeping -----------------------------------------------------------------------

    def cleanup_stale(self) -> int:
        """Remove harness containers left by a harness process on this host that is gone.
        Containers of live harness processes, and of other hosts sharing the engine, stay."""
        host = socket.gethostname()
        removed = 0
        for container in self.client.containers.list(
            all=True, filters={"label": LABEL}, ignore_removed=True
        ):
            labels = container.labels or {}
            owner_host = labels.get(LABEL_OWNER_HOST)
            try:
                owner_pid = int(labels.get(LABEL_OWNER_PID, "0"))
            except ValueError:
                owner_pid = 0
            if owner_host not in (None, host) or (owner_pid and _process_alive(owner_pid)):
                continue
            self._remove(container)
            removed += 1
        return removed

    def remove_own(self) -> None:
        """Remove every container this harness process started (used on interruption)."""
        self.close()  # no preparation may create a container after the listing below
        owned = {"label": [LABEL, f"{LABEL_OWNER_PID}={os.getpid()}"]}
        try:
            containers = self.client.containers.list(all=True, filters=owned, ignore_removed=True)
        except Exception:
            return
        for container in containers:
            self._remove(container)

    def list_managed(self) -> list[str]:
        """Names of all harness-labelled containers (for tests and `doctor`)."""
        return [
            container.name
            for container in self.client.containers.list(
                all=True, filters={"label": LABEL}, ignore_removed=True
            )
        ]


def _request_key(request: PhaseRequest) -> str:
    return request.model_dump_json()


def _source_identity(request: PhaseRequest) -> tuple[tuple[int, int] | None, ...]:
    identity: list[tuple[int, int] | None] = []
    for mount in request.mounts:
        try:
            info = os.stat(mount.source)
        except OSError:
            identity.append(None)
        else:
            identity.append((info.st_dev, info.st_ino))
    return tuple(identity)


def _is_running(container: Any, pid: int) -> bool:
    """The prepared container still runs its idle init (nothing stopped it meanwhile)."""
    try:
        container.reload()
    except Exception:
        return False
    container_state = container.attrs.get("State") or {}
    return bool(container_state.get("Running")) and int(container_state.get("Pid") or 0) == pid


def _only_init_left(cgroup: CgroupPaths | None, init_pid: int) -> bool:
    """True when every task in the container's cgroup but the idle init is a zombie: no
    process of the candidate's can act any more, and none can appear (zombies do not fork,
    the init only sleeps and nothing else is exec'd). Read twice around the state checks, so
    a process that forked and then exited in between is seen. False when unsure."""
    if cgroup is None:
        return False
    tasks = cgroup.memory / ("tasks" if cgroup.version == 1 else "cgroup.threads")
    try:
        first = _task_ids(tasks)
        if init_pid not in first:
            return False
        if any(task != init_pid and _task_alive(task) for task in first):
            return False
        return _task_ids(tasks) == first
    except (OSError, ValueError):
        return False


def _task_ids(path: Path) -> set[int]:
    return {int(line) for line in path.read_text().split()}


def _task_alive(task: int) -> bool:
    try:
        with open(f"/proc/{task}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return False  # already reaped
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")


def _classify(
    result: PhaseResult, wall_limit: float, timed_out: bool, state: _PhaseState
) -> tuple[PhaseStatus, str]:
    if timed_out:
        return PhaseStatus.timeout, f"killed after the {wall_limit:g} s wall-clock limit"
    if state.output_overflow:
        return (
            PhaseStatus.output_limit,
            f"output passed the {result.output_bytes} byte cap and the phase was stopped",
        )
    if state.quota_breach:
        return PhaseStatus.output_limit, state.quota_breach
    if result.oom_kills:
        return (
            PhaseStatus.oom,
            f"out of memory: the OOM killer ended {result.oom_kills} process(es)",
        )
    if state.reader_error:
        return PhaseStatus.sandbox_error, f"lost the process output: {state.reader_error}"
    if result.exit_code is None:
        return (
            PhaseStatus.sandbox_error,
            "the process ended without an exit code (the container stopped)",
        )
    if result.exit_code == 0:
        return PhaseStatus.ok, "exited normally"
    if result.exit_code == 137:
        return PhaseStatus.error, "killed by SIGKILL (exit 137)"
    if result.exit_code > 128:
        return (
            PhaseStatus.error,
            f"killed by signal {result.exit_code - 128} (exit {result.exit_code})",
        )
    # The last line of output is usually the exception: show it in the one-line summary.
    lines = [line.strip() for line in result.log_tail.splitlines() if line.strip()]
    suffix = f": {lines[-1][:200]}" if lines else ""
    return PhaseStatus.error, f"exited with status {result.exit_code}{suffix}"


def _wait_until_gone(container: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            container.reload()
        except Exception as error:
            if "No such container" in str(error) or "404" in str(error):
                return
        time.sleep(0.1)


def merged_output_command(command: list[str]) -> list[str]:
    """``command`` run with its stderr on its stdout pipe (``exec``: no extra process)."""
    return ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", *command]


def _read_frames(raw_socket: Any, state: _PhaseState, cap: int) -> None:
    """Read the multiplexed exec stream until EOF, keeping a capped tail."""
    from docker.utils.socket import frames_iter

    try:
        _disable_timeout(raw_socket)
        for _stream, chunk in frames_iter(raw_socket, tty=False):
            # Past the cap keep draining (and discarding): a stalled stream would block the
            # engine's copy loop and with it the container's removal.
            if chunk and not state.output_overflow:
                state.append_output(chunk, cap)
                if state.output_overflow:
                    state.finished.set()
    except Exception as error:
        if not state.finished.is_set():
            state.reader_error = _short_error(error)
    finally:
        state.finished.set()
        state.reader_done.set()


def _monitor(state: _PhaseState, cgroup: CgroupPaths | None, quotas: list[Mount]) -> None:
    """Poll the cgroup (so the last figures survive the container) and the writable quotas."""
    last_quota_check = 0.0
    while not state.finished.is_set():
        usage = _safe_read(cgroup)
        if usage is not None:
            state.usage = usage
        now = time.monotonic()
        if quotas and now - last_quota_check >= 0.25:
            last_quota_check = now
            for mount in quotas:
                size, entries = directory_usage(mount.source, mount.max_entries)
                if mount.max_mb and size > mount.max_mb * 2**20:
                    state.quota_breach = f"{mount.target} grew past its {mount.max_mb} MB quota; the phase was stopped"
                elif entries > mount.max_entries:
                    state.quota_breach = f"{mount.target} holds more than {mount.max_entries} entries; the phase was stopped"
                if state.quota_breach:
                    state.finished.set()
                    return
        state.finished.wait(MONITOR_INTERVAL_S)


def _safe_read(cgroup: CgroupPaths | None) -> CgroupUsage | None:
    if cgroup is None:
        return None
    try:
        return cgroup.read()
    except (OSError, ValueError):
        return None


def _fallback_stats(container: Any) -> CgroupUsage | None:
    """Engine stats API, for engines whose cgroups this process cannot read (remote hosts)."""
    try:
        stats = container.stats(stream=False, one_shot=True)
    except Exception:
        return None
    memory = stats.get("memory_stats") or {}
    peak = memory.get("max_usage") or memory.get("usage")
    cpu_total = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage")
    return CgroupUsage(int(peak) if peak else None, cpu_total / 1e9 if cpu_total else None, 0)


def _disable_timeout(raw_socket: Any) -> None:
    # The SDK leaves the client's read timeout on exec sockets; a silent process must not
    # look like a dead stream, and the harness enforces its own wall-clock limit.
    for candidate in (raw_socket, getattr(raw_socket, "_sock", None)):
        if candidate is not None and hasattr(candidate, "settimeout"):
            with contextlib.suppress(OSError):
                candidate.settimeout(None)


def _delta(after: float | None, before: float | None) -> float | None:
    if after is None:
        return None
    return round(after - (before or 0.0), 4)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _short_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
