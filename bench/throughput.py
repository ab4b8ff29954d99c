"""Cohort throughput: grade a batch of small valid submissions with ``--jobs auto`` and
compare the wall time with the ideal, and record the harness process's peak memory.

    python bench/throughput.py [--count 50] [--jobs auto] [--kinds solutions/baseline ...]

The batch is made of copies of the challenge's bundled examples (``--kinds``, taken in
turn), each with one comment line that makes its content, and so its submission id,
unique. Before the batch, one copy of each kind is graded alone (one worker, nothing else
of the harness running) to learn the candidate's own phase time of that kind: the sum of
its phases' wall times. The ideal batch time is the sum of those times over the batch
divided by the usable cores; the script reports actual / ideal (target <= 1.15). The
in-batch sums of phase wall time and phase CPU time are printed next to it, since phases
that share a CPU take longer than alone.

The peak resident memory of this process (VmHWM, reset just before the batch) is the
harness's own memory while it grades the batch (target < 300 MB); containers are not part
of it. CPU time during the batch is split into the harness process (getrusage), the
candidates' phases (their cgroups) and the rest of the host (/proc/stat: the engine, and
whatever else runs on a shared machine). Writes bench/results/throughput.json. Not a test: read it next to the load average,
which is sampled every second during the batch.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _machine import (
    describe_machine,
    load_average,
    median,
    peak_rss_mb,
    reset_peak_rss,
    usable_cpus,
    write_summary,
)

from harness import pipeline
from harness.scheduler import auto_jobs

TARGET_RATIO = 1.15
TARGET_RSS_MB = 300


def make_variant(example: Path, destination: Path, tag: str) -> Path:
    """A copy of ``example`` whose train.py carries ``tag`` (a distinct submission id)."""
    shutil.copytree(example, destination, ignore=shutil.ignore_patterns("__pycache__"))
    train = destination / "train.py"
    train.write_text(train.read_text(encoding="utf-8") + f"\n# batch variant {tag}\n")
    return destination


def host_busy_cpu_seconds() -> float | None:
    """CPU seconds the whole host has spent busy since boot (/proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def candidate_seconds(result: Any) -> float:
    return float(sum(phase.wall_s for phase in result.phases))


def candidate_cpu_seconds(result: Any) -> float:
    return float(sum(phase.cpu_s or 0.0 for phase in result.phases))


class LoadSampler:
    """The 1-minute load average, once a second, in a daemon thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="load-sampler")

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(load_average()[0])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--jobs", default="auto", help="'auto' (as `harness grade`) or a number.")
    parser.add_argument("--challenge", default="churn-tabular")
    parser.add_argument(
        "--kinds",
        nargs="+",
        default=["solutions/baseline"],
        help="Example paths inside the challenge, used in turn.",
    )
    parser.add_argument("--keep", type=Path, help="Keep the batch output in this directory.")
    arguments = parser.parse_args()

    session = pipeline.open_session(arguments.challenge)
    machine = describe_machine(getattr(session.sandbox, "client", None))
    limits = session.challenge.spec.limits
    jobs = (
        auto_jobs([limits.train, limits.predict, limits.tests])
        if arguments.jobs == "auto"
        else int(arguments.jobs)
    )
    cores = usable_cpus()
    scratch = Path(tempfile.mkdtemp(prefix="throughput-"))
    out_dir = arguments.keep or scratch / "out"
    try:
        kinds = {kind: session.challenge.path(kind) for kind in arguments.kinds}
        sources: list[tuple[str, str]] = []
        for index in range(arguments.count):
            kind = arguments.kinds[index % len(arguments.kinds)]
            path = make_variant(kinds[kind], scratch / "batch" / f"{index:03d}", f"{index:03d}")
            sources.append((kind, str(path)))

        print(f"calibrating: one submission of each kind, alone ({len(kinds)} kinds)", flush=True)
        calibration: dict[str, dict[str, Any]] = {}
        for kind, example in kinds.items():
            pipeline.grade_submission(  # warm: page cache, image layers, imports
                session, str(make_variant(example, scratch / "warm" / kind, "warm"))
            )
            result = pipeline.grade_submission(
                session, str(make_variant(example, scratch / "calibration" / kind, "calibration"))
            )
            calibration[kind] = {
                "status": result.status.value,
                "candidate_s": round(candidate_seconds(result), 4),
                "candidate_cpu_s": round(candidate_cpu_seconds(result), 4),
                "overhead_s": result.overhead_s,
                "phases": len(result.phases),
                "load_average": load_average(),
            }
            print(
                f"  {kind}: {result.status.value}, {len(result.phases)} phases, candidate "
                f"{calibration[kind]['candidate_s']:.3f} s, overhead {result.overhead_s:.3f} s",
                flush=True,
            )

        print(
            f"grading {len(sources)} submissions with {jobs} worker(s) on {cores} CPUs", flush=True
        )
        peak_reset = reset_peak_rss()
        host_before, own_before = host_busy_cpu_seconds(), own_cpu_seconds()
        with LoadSampler() as sampler:
            started = time.perf_counter()
            results = pipeline.grade_batch(
                session, [source for _, source in sources], out_dir, jobs=jobs
            )
            wall = time.perf_counter() - started
        host_after, harness_cpu = host_busy_cpu_seconds(), own_cpu_seconds() - own_before
        host_cpu = (
            host_after - host_before if host_after is not None and host_before is not None else None
        )
        peak_batch_mb = peak_rss_mb()
    finally:
        pipeline.close_session(session)
        shutil.rmtree(scratch, ignore_errors=True)

    ideal = sum(calibration[kind]["candidate_s"] for kind, _ in sources) / cores
    in_batch_phase = sum(candidate_seconds(result) for result in results)
    in_batch_cpu = sum(candidate_cpu_seconds(result) for result in results)
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    ratio = wall / ideal if ideal else float("nan")
    lifetime_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary: dict[str, Any] = {
        "machine": machine,
        "challenge": arguments.challenge,
        "count": len(sources),
        "kinds": arguments.kinds,
        "jobs": jobs,
        "cores": cores,
        "calibration": calibration,
        "statuses": statuses,
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "ratio": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "meets_ratio_target": ratio <= TARGET_RATIO,
        "in_batch_candidate_s": round(in_batch_phase, 3),
        "in_batch_candidate_cpu_s": round(in_batch_cpu, 3),
        "in_batch_ideal_s": round(in_batch_phase / cores, 3),
        "cpu_ideal_s": round(in_batch_cpu / cores, 3),
        "overhead_median_s": round(median([result.overhead_s for result in results]), 4),
        "harness_process_cpu_s": round(harness_cpu, 2),
        "host_busy_cpu_s": round(host_cpu, 2) if host_cpu is not None else None,
        "host_busy_cpu_other_s": round(host_cpu - harness_cpu - in_batch_cpu, 2)
        if host_cpu is not None
        else None,
        "peak_rss_batch_mb": round(peak_batch_mb, 1) if peak_batch_mb is not None else None,
        "peak_rss_window_reset": peak_reset,
        "peak_rss_process_lifetime_mb": round(lifetime_peak_mb, 1),
        "target_rss_mb": TARGET_RSS_MB,
        "meets_rss_target": peak_batch_mb is not None and peak_batch_mb < TARGET_RSS_MB,
        "load_average_during_batch": {
            "median": round(median(sampler.samples), 2) if sampler.samples else None,
            "max": max(sampler.samples) if sampler.samples else None,
        },
    }
    print(
        f"\n{len(sources)} submissions ({statuses}), {jobs} worker(s), {cores} CPUs\n"
        f"  wall {wall:.1f} s, ideal {ideal:.1f} s (calibrated phase time / cores): ratio "
        f"{ratio:.3f} (target <= {TARGET_RATIO})\n"
        f"  in the batch: phase wall {in_batch_phase:.1f} s, phase CPU {in_batch_cpu:.1f} s "
        f"(/ cores: {in_batch_phase / cores:.1f} s, {in_batch_cpu / cores:.1f} s)\n"
        f"  CPU during the batch: harness process {harness_cpu:.1f} s, candidates "
        f"{in_batch_cpu:.1f} s, whole host {summary['host_busy_cpu_s']} s (the rest: engine "
        f"and anything else running: {summary['host_busy_cpu_other_s']} s)\n"
        f"  harness peak RSS during the batch {summary['peak_rss_batch_mb']} MiB "
        f"(target < {TARGET_RSS_MB}), process lifetime {lifetime_peak_mb:.0f} MiB\n"
        f"  load average during the batch: {summary['load_average_during_batch']}"
    )
    print(f"wrote {write_summary('throughput', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
