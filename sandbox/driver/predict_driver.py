"""Harness-owned driver for the predict phase; runs *inside* the sandbox.

It runs as two processes. The *worker* (a fork) imports the submission's predict module,
calls ``load(model_dir)`` once, ``predict(model, frame)`` on the whole evaluation frame
(batch), then on single rows after a warm-up to measure latency, and sends what it found to
the *supervisor* over a pipe. The supervisor never runs candidate code. Once the worker is
gone it kills whatever the candidate left running (inside the sandbox only), and only then
writes:

- ``<output>/predictions.csv``: ``<id column>,prediction[,flagged]`` (a ranking task's
  prediction is its ranked ids, space-separated)
- ``<output>/timings.json``: load time, batch time, latency percentiles
- ``<output>/driver_error.json`` instead, when the candidate's code fails:
  the stage, the exception and the traceback tail.

So nothing the candidate started can replace these files after they are written (with a
link, a fifo, a bigger file), exit hooks it registered never run, and a candidate that ends
the process early (``os._exit``, a signal) still gets a ``driver_error.json`` naming the step.

Standard library + pandas only: this file must run in any runtime image.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import gc
import importlib.util
import io
import itertools
import json
import math
import os
import select
import signal
import stat
import struct
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from time import (
    get_clock_info,
    perf_counter,
    perf_counter_ns,
    sleep,
    thread_time_ns,
)  # bound before candidate code runs
from typing import Any, NoReturn

# Bound before candidate code runs, like the clocks above (for the run-queue wait reads).
_open_file, _read_file, _close_file = os.open, os.read, os.close

EXIT_CANDIDATE_ERROR = 3
# A timed call counts as undisturbed when it waited for a CPU less than 1/100 of its latency.
UNDISTURBED_WAIT_SHARE = 100
# The host refuses larger prediction files (graders.predictions.MAX_PREDICTIONS_BYTES).
MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024
OUTPUT_NAMES = ("predictions.csv", "timings.json", "driver_error.json")
# Frames on the worker -> supervisor pipe: kind (1 byte), payload length, payload.
_HEADER = struct.Struct(">cQ")
_STAGE, _PREDICTIONS, _TIMINGS, _ERROR, _DONE = b"S", b"P", b"T", b"E", b"D"
_MAX_CHANNEL_BYTES = MAX_PREDICTIONS_BYTES + 16 * 1024 * 1024
_PR_SET_DUMPABLE = 4


class StageError(Exception):
    def __init__(self, stage: str, message: str, trace: str = "") -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.trace = trace


# -- the worker: runs the candidate's code ---------------------------------------------------


class _Channel:
    """The worker's end of the pipe to the supervisor."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.stage = "import"

    def send(self, kind: bytes, payload: bytes) -> None:
        data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
        while data:
            data = data[os.write(self.descriptor, data) :]

    def enter(self, stage: str) -> None:
        self.stage = stage
        self.send(_STAGE, stage.encode())


def _call(stage: str, function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except BaseException as error:  # the candidate's code may raise anything, even SystemExit
        if isinstance(error, KeyboardInterrupt):
            raise
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        raise StageError(stage, f"{type(error).__name__}: {error}", trace) from None


def _import_predict_module(submission: Path, module_file: str) -> Any:
    path = submission / module_file
    if not path.is_file():
        raise StageError("import", f"{module_file} not found in the submission")
    sys.path.insert(0, str(path.parent))
    if str(submission) not in sys.path:
        sys.path.insert(0, str(submission))
    spec = importlib.util.spec_from_file_location("candidate_predict", path)
    if spec is None or spec.loader is None:
        raise StageError("import", f"cannot import {module_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["candidate_predict"] = module
    _call("import", spec.loader.exec_module, module)
    for name in ("load", "predict"):
        if not callable(getattr(module, name, None)):
            raise StageError("import", f"{module_file} does not define a function {name}()")
    return module


def _check_count(count: int, rows: int, stage: str) -> None:
    if count != rows:
        raise StageError(stage, f"predict() returned {count} values for {rows} rows")


MAX_RANKED_IDS = 100


@dataclass
class Converted:
    """What predict() returned, as plain lists: values, ids (or None) and flags (or None)."""

    values: list[Any]
    ids: list[Any] | None = None
    flags: list[int] | None = None


def _as_list(predictions: Any, rows: int, stage: str, ranking: bool = False) -> Converted:
    """Return the values, the ids of an id-indexed Series or frame, and row flags.

    The count is checked before anything is copied, so ten million values (or an endless
    iterator) fail with the count rather than exhausting memory. For a ranking task every
    value is a ranked sequence of ids, written as one space-separated string.
    """
    try:
        converted = _convert(predictions, rows, stage, ranking)
        if ranking:
            converted.values = [_ranked(value, stage) for value in converted.values]
        return converted
    except StageError:
        raise
    except Exception as error:  # a hostile object's __len__, tolist or __iter__ may raise
        raise StageError(
            stage, f"the value predict() returned cannot be read: {type(error).__name__}: {error}"
        ) from None


def _ranked(value: Any, stage: str) -> str:
    """One row's ranked ids as a space-separated string (at most MAX_RANKED_IDS ids)."""
    if isinstance(value, str):
        items: list[Any] = value.split()
    elif isinstance(value, bytes) or value is None or not hasattr(value, "__iter__"):
        raise StageError(
            stage,
            f"predict() returned {type(value).__name__} for a query; return a ranked list of ids per row",
        )
    else:
        items = list(itertools.islice(iter(value), MAX_RANKED_IDS + 1))
    if len(items) > MAX_RANKED_IDS:
        raise StageError(
            stage, f"a query has more than {MAX_RANKED_IDS} ranked ids; return the top ones"
        )
    words = []
    for item in items:
        if hasattr(item, "item") and not isinstance(item, (str, bytes)):
            item = item.item()  # NumPy scalars
        word = str(item)
        if not word or any(character.isspace() for character in word):
            raise StageError(stage, f"document id {word[:40]!r} is empty or contains whitespace")
        words.append(word)
    return " ".join(words)


def _flags(column: Any, stage: str) -> list[int]:
    flags = []
    for value in column.tolist():
        if value in (True, False, 0, 1):
            flags.append(int(value))
        else:
            raise StageError(
                stage, f"the 'flagged' column holds {value!r}; use True/False (or 1/0) per row"
            )
    return flags


def _convert(predictions: Any, rows: int, stage: str, ranking: bool) -> Converted:
    import pandas as pd

    ids = None
    flags = None
    if isinstance(predictions, pd.DataFrame):
        columns = [str(name) for name in predictions.columns]
        if "prediction" in columns and set(columns) <= {"prediction", "flagged"}:
            _check_count(len(predictions), rows, stage)
            if "flagged" in columns:
                flags = _flags(predictions["flagged"], stage)
            predictions = predictions["prediction"]
        elif predictions.shape[1] == 1:
            predictions = predictions.iloc[:, 0]
        else:
            raise StageError(
                stage,
                f"predict() returned a DataFrame with columns {columns[:5]}; return one value per "
                "row, or a DataFrame with the columns 'prediction' and (optionally) 'flagged'",
            )
    if isinstance(predictions, pd.Series):
        # A Series indexed by id is matched on its ids; a default 0..n-1 index is positional.
        _check_count(len(predictions), rows, stage)
        if not isinstance(predictions.index, pd.RangeIndex):
            ids = list(predictions.index)
        return Converted(predictions.tolist(), ids, flags)
    shape = getattr(predictions, "shape", None)
    if isinstance(shape, tuple) and hasattr(predictions, "tolist"):  # NumPy and friends
        if len(shape) == 0:
            raise StageError(stage, "predict() returned a single value; return one value per row")
        if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1 and not ranking):
            raise StageError(stage, "predict() returned a 2-D result; return one value per row")
        _check_count(int(shape[0]), rows, stage)
        values = predictions.tolist()
    elif isinstance(predictions, (str, bytes)) or predictions is None:
        raise StageError(
            stage, f"predict() returned {type(predictions).__name__}, not an array-like"
        )
    elif hasattr(predictions, "__len__"):
        _check_count(len(predictions), rows, stage)
        values = list(predictions)
    else:
        try:
            iterator = iter(predictions)
        except TypeError:
            raise StageError(
                stage, f"predict() returned {type(predictions).__name__}, not an array-like"
            ) from None
        values = list(itertools.islice(iterator, rows + 1))
        if len(values) > rows:
            raise StageError(stage, f"predict() returned more than {rows} values for {rows} rows")
        _check_count(len(values), rows, stage)
    if not ranking and values and isinstance(values[0], list):
        if all(isinstance(row, list) and len(row) == 1 for row in values):
            values = [row[0] for row in values]
        else:
            raise StageError(stage, "predict() returned a 2-D result; return one value per row")
    return Converted(values, ids, flags)


def _predictions_csv(
    id_column: str, ids: list[Any], values: list[Any], flags: list[int] | None = None
) -> bytes:
    too_big = StageError(
        "predict",
        f"the predictions file would be larger than {MAX_PREDICTIONS_BYTES} bytes; "
        "return one number or label per row",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    try:
        writer.writerow([id_column, "prediction"] + (["flagged"] if flags is not None else []))
        for index, (identifier, value) in enumerate(zip(ids, values, strict=False)):
            row = [identifier, repr(value) if isinstance(value, float) else value]
            if flags is not None:
                row.append(flags[index])
            writer.writerow(row)
            if buffer.tell() > MAX_PREDICTIONS_BYTES:
                raise too_big
        data = buffer.getvalue().encode("utf-8", errors="surrogateescape")
    except StageError:
        raise
    except Exception as error:  # a hostile value's __str__ may raise
        raise StageError(
            "predict", f"a prediction cannot be written: {type(error).__name__}: {error}"
        ) from None
    if len(data) > MAX_PREDICTIONS_BYTES:
        raise too_big
    return data


def _load_average() -> float:
    """The host's 1-minute load average (containers share the host's /proc/loadavg)."""
    try:
        return float(os.getloadavg()[0])
    except OSError:
        return -1.0


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while latency is timed (as ``timeit`` does): a
    collection pass triggered by allocations of earlier calls would otherwise land on
    whichever call happens to cross the threshold. Garbage is collected once before."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _timed_call(module: Any, model: Any, row: Any) -> tuple[float, float, float | None]:
    """One single-row call: wall latency, CPU time of this thread, and the time it waited
    for a CPU meanwhile (None where the kernel does not say), all in milliseconds. Only the
    call sits between the two wall-clock reads."""
    wait_tick = _runqueue_wait_ns()
    cpu_tick, tick = thread_time_ns(), perf_counter_ns()
    _call("latency", module.predict, model, row)
    latency = (perf_counter_ns() - tick) / 1e6
    cpu_time = (thread_time_ns() - cpu_tick) / 1e6
    wait_tock = _runqueue_wait_ns()
    if wait_tick is None or wait_tock is None:
        return latency, cpu_time, None
    return latency, cpu_time, (wait_tock - wait_tick) / 1e6


def _undisturbed_count(latencies: list[float], waits: list[float | None]) -> int:
    return sum(
        1
        for latency, wait in zip(latencies, waits, strict=True)
        if wait is not None and wait < latency / UNDISTURBED_WAIT_SHARE
    )


def _runqueue_wait_ns() -> int | None:
    """Nanoseconds this thread has spent runnable but waiting for a CPU (schedstat), or
    None where the kernel does not expose it."""
    try:
        descriptor = _open_file("/proc/thread-self/schedstat", os.O_RDONLY)
        try:
            return int(_read_file(descriptor, 128).split()[1])
        finally:
            _close_file(descriptor)
    except (OSError, IndexError, ValueError):
        return None


def _contention(latencies: list[float], waits: list[float]) -> dict[str, Any]:
    """How much other work on the CPU held the timed calls back. A call's wait is the time
    it was ready to run while another task had the CPU; an *undisturbed* call waited less
    than 1% of its latency, so its wall time is what the predictor costs on a free CPU.
    On a busy host the p50 of undisturbed calls is the figure to trust."""
    undisturbed = sorted(
        latency
        for latency, wait in zip(latencies, waits, strict=True)
        if wait < latency / UNDISTURBED_WAIT_SHARE
    )
    waited = sorted(waits)
    return {
        "latency_wait_ms": {
            "p50": _percentile(waited, 0.50),
            "p95": _percentile(waited, 0.95),
            "total": sum(waited),
        },
        "latency_disturbed_fraction": 1 - len(undisturbed) / len(latencies),
        "latency_undisturbed_ms": {
            "n": len(undisturbed),
            "p50": _percentile(undisturbed, 0.50) if undisturbed else None,
            "p95": _percentile(undisturbed, 0.95) if undisturbed else None,
        },
    }


def _latency_method(warmup: int) -> dict[str, Any]:
    """How the latency figures were taken, for the report and for comparing runs."""
    clock = get_clock_info("perf_counter")
    return {
        "clock": clock.implementation,
        "clock_resolution_ns": round(clock.resolution * 1e9, 3),
        "warmup_calls": warmup,
        "gc_disabled": True,
        "cpus_allowed": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }


def run(
    arguments: argparse.Namespace, enter: Callable[[str], None] = lambda stage: None
) -> tuple[dict[str, Any], bytes]:
    """The candidate's steps, timed; returns the timings and the predictions CSV."""
    import pandas as pd

    submission = Path(arguments.submission)
    timings: dict[str, Any] = {}

    enter("import")
    started = perf_counter()
    module = _import_predict_module(submission, arguments.predict_module)
    timings["import_s"] = perf_counter() - started

    frame = pd.read_csv(arguments.features, dtype={arguments.id_column: str}, keep_default_na=True)
    frame = frame.set_index(arguments.id_column)
    expected_ids = list(frame.index)

    enter("load")
    started = perf_counter()
    model = _call("load", module.load, arguments.model_dir)
    timings["load_s"] = perf_counter() - started

    enter("predict")
    started = perf_counter()
    raw = _call("predict", module.predict, model, frame.copy())
    timings["batch_s"] = perf_counter() - started
    timings["batch_rows"] = len(frame)
    timings["throughput_rows_per_s"] = (
        len(frame) / timings["batch_s"] if timings["batch_s"] > 0 else None
    )
    converted = _as_list(raw, len(frame), "predict", ranking=arguments.task_type == "ranking")
    del raw
    predictions = _predictions_csv(
        arguments.id_column, converted.ids or expected_ids, converted.values, converted.flags
    )
    del converted

    enter("latency")
    samples = min(arguments.latency_samples, len(frame))
    if samples:
        step = max(1, len(frame) // samples)
        positions = [(index * step) % len(frame) for index in range(samples)]
        for position in positions[: arguments.warmup]:
            _call("latency", module.predict, model, frame.iloc[[position]])
        rows = [frame.iloc[[position]] for position in positions]  # built before timing
        latencies: list[float] = []
        cpu_times: list[float] = []
        waits: list[float | None] = []
        load_before = _load_average()
        with _collector_paused():
            first_pass = perf_counter_ns()
            for row in rows:
                latency, cpu_time, wait = _timed_call(module, model, row)
                latencies.append(latency)
                cpu_times.append(cpu_time)
                waits.append(wait)
            # On a busy host most calls may have waited for a CPU. Then keep sampling, for
            # at most as many calls and as long again as the first pass, until half as many
            # calls as the first pass made were undisturbed; these extra calls count only for
            # the undisturbed figures, so latency_ms always describes the first pass.
            deadline = 2 * perf_counter_ns() - first_pass
            extra_latencies: list[float] = []
            while (
                None not in waits
                and _undisturbed_count(latencies + extra_latencies, waits) < len(rows) // 2
                and len(extra_latencies) < len(rows)
                and perf_counter_ns() < deadline
            ):
                latency, _, wait = _timed_call(module, model, rows[len(extra_latencies)])
                extra_latencies.append(latency)
                waits.append(wait)
        del rows
        timings["latency_method"] = _latency_method(arguments.warmup)
        known_waits = [wait for wait in waits if wait is not None]
        if len(known_waits) == len(waits):
            timings.update(_contention(latencies + extra_latencies, known_waits))
            timings["latency_extra_calls"] = len(extra_latencies)
        ordered = sorted(latencies)
        # CPU time of the calling thread barely moves when other work competes for the CPU,
        # so next to wall latency it tells a slow predictor from a busy machine.
        cpu_ordered = sorted(cpu_times)
        timings["latency_cpu_ms"] = {
            "p50": _percentile(cpu_ordered, 0.50),
            "p95": _percentile(cpu_ordered, 0.95),
        }
        timings["host_load_average"] = max(load_before, _load_average())
        timings["latency_ms"] = {
            "n": len(ordered),
            "p50": _percentile(ordered, 0.50),
            "p95": _percentile(ordered, 0.95),
            "p99": _percentile(ordered, 0.99),
            "mean": sum(ordered) / len(ordered),
            "max": ordered[-1],
        }
        timings["latency_samples_ms"] = [round(value, 4) for value in latencies]
    return timings, predictions


def _work(arguments: argparse.Namespace, channel: _Channel) -> int:
    try:
        timings, predictions = run(arguments, channel.enter)
    except StageError as error:
        trace_tail = "\n".join(error.trace.splitlines()[-30:])
        report = {"stage": error.stage, "error": error.message, "traceback": trace_tail}
        channel.send(_ERROR, json.dumps(report, default=str).encode())
        print(f"[harness] {error.stage} failed: {error.message}", file=sys.stderr)
        if trace_tail:
            print(trace_tail, file=sys.stderr)
        code = EXIT_CANDIDATE_ERROR
    except Exception as error:  # a bug in this driver: show it, and say where it happened
        traceback.print_exc()
        report = {"stage": channel.stage, "error": f"driver error: {type(error).__name__}: {error}"}
        channel.send(_ERROR, json.dumps(report, default=str).encode())
        code = 1
    else:
        channel.send(_TIMINGS, json.dumps(timings, default=str).encode())
        channel.send(_PREDICTIONS, predictions)
        code = 0
    channel.send(_DONE, b"")
    return code


def _worker_main(arguments: argparse.Namespace, descriptor: int) -> NoReturn:
    code = 1  # if _work raises (the channel broke), the supervisor reports an early end
    try:
        code = _work(arguments, _Channel(descriptor))
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        # os._exit: exit hooks the candidate registered (atexit, finalizers) never run.
        os._exit(code)


# -- the supervisor: runs no candidate code --------------------------------------------------


class _Received:
    """What the supervisor learnt from the worker."""

    def __init__(self) -> None:
        self.frames: dict[bytes, bytes] = {}
        self.stage = "import"
        self.done = False
        self.problem = ""


def _receive(worker: int, descriptor: int) -> tuple[_Received, int | None]:
    """Read frames until the worker says it is done or is gone; return them and, if the
    worker was reaped meanwhile, its wait status."""
    received = _Received()
    buffer = bytearray()
    total = 0
    status: int | None = None
    while not received.done and not received.problem:
        readable, _, _ = select.select([descriptor], [], [], 0.1)
        if readable:
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                break  # every writer is gone
            total += len(chunk)
            if total > _MAX_CHANNEL_BYTES:
                received.problem = "the worker sent more data than predictions can hold"
                break
            buffer += chunk
            _parse(buffer, received)
        elif status is None:
            pid, waited = os.waitpid(worker, os.WNOHANG)
            if pid == worker:
                status = waited
        else:
            break  # the worker is gone and nothing more arrived
    return received, status


def _parse(buffer: bytearray, received: _Received) -> None:
    while len(buffer) >= _HEADER.size and not received.done:
        kind, length = _HEADER.unpack_from(buffer)
        if kind not in (_STAGE, _PREDICTIONS, _TIMINGS, _ERROR, _DONE) or length > (
            _MAX_CHANNEL_BYTES
        ):
            received.problem = "the driver's channel was corrupted (written to by predict.py?)"
            return
        if len(buffer) < _HEADER.size + length:
            return
        payload = bytes(buffer[_HEADER.size : _HEADER.size + length])
        del buffer[: _HEADER.size + length]
        if kind == _STAGE:
            received.stage = payload.decode("utf-8", "replace")[:40]
        elif kind == _DONE:
            received.done = True
        else:
            received.frames[kind] = payload


def _inside_sandbox() -> bool:
    """True only for the top process of a sandbox exec: its parent is outside the container's
    pid namespace (so it reads as 0) and it is not root. Never true on a host."""
    return os.getppid() == 0 and os.getuid() != 0


def _kill_strays() -> None:
    """SIGKILL every other process this user runs in the container (the worker's leftovers:
    daemons, double forks), and wait until they are gone."""
    me = os.getpid()
    for _ in range(100):
        alive = [pid for pid in _live_pids() if pid not in (1, me)]
        if not alive:
            return
        with suppress(OSError):
            os.kill(-1, signal.SIGKILL)  # every process we may signal, except us and pid 1
        sleep(0.01)


def _live_pids() -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):  # zombies are dead; pid 1 never reaps them
            pids.append(int(name))
    return pids


def _make_untraceable() -> None:
    """Not dumpable: the candidate (same user) cannot ptrace this process or read its memory."""
    with suppress(Exception):
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _remove(path: Path) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            os.unlink(path)


def _write_new(path: Path, data: bytes) -> None:
    """Write a fresh regular file: whatever had the name before is removed, links are never
    followed, and the file is complete before it gets its name."""
    temporary = path.with_name(f".{path.name}.driver-tmp")
    for stale in (temporary, path):
        _remove(stale)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(temporary, flags, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _describe_early_end(status: int | None) -> tuple[str, int]:
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (out of memory, or killed by predict.py)" if number == signal.SIGKILL else ""
        return f"the process was killed by {name} before the driver finished{hint}", 128 + number
    code = os.WEXITSTATUS(status) if status is not None else None
    return (
        f"predict.py ended the process (exit status {code}) before the driver finished; "
        "load() and predict() must return",
        code or EXIT_CANDIDATE_ERROR,
    )


def _supervise(worker: int, descriptor: int, output: Path) -> int:
    _make_untraceable()
    received, status = _receive(worker, descriptor)
    if status is None:
        if not received.done:
            with suppress(OSError):
                os.kill(worker, signal.SIGKILL)  # the worker broke the protocol
        _, status = os.waitpid(worker, 0)
    os.close(descriptor)
    if _inside_sandbox():
        _kill_strays()
    for name in OUTPUT_NAMES:
        _remove(output / name)
    frames = received.frames
    if received.done and not received.problem and _ERROR not in frames and status == 0:
        _write_new(output / "timings.json", frames.get(_TIMINGS, b"{}"))
        _write_new(output / "predictions.csv", frames.get(_PREDICTIONS, b""))
        try:
            rows = json.loads(frames.get(_TIMINGS, b"{}")).get("batch_rows")
        except (ValueError, AttributeError):
            rows = "?"
        print(f"[harness] wrote {rows} predictions", file=sys.stderr)
        return 0
    if received.done and not received.problem and _ERROR in frames:
        _write_new(output / "driver_error.json", frames[_ERROR])
        return 1 if status is None or os.WEXITSTATUS(status) == 1 else EXIT_CANDIDATE_ERROR
    message, code = _describe_early_end(status)
    if received.problem:
        message, code = received.problem, EXIT_CANDIDATE_ERROR
    report = {"stage": received.stage, "error": message, "traceback": ""}
    _write_new(output / "driver_error.json", json.dumps(report).encode())
    print(f"[harness] {received.stage} failed: {message}", file=sys.stderr)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--predict-module", required=True)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--id-column", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--task-type", default="", help="ranking: each value is a list of ids")
    arguments = parser.parse_args()
    read_end, write_end = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    worker = os.fork()
    if worker == 0:
        os.close(read_end)
        _worker_main(arguments, write_end)
    os.close(write_end)
    return _supervise(worker, read_end, Path(arguments.output))


if __name__ == "__main__":
    sys.exit(main())
