"""Repeatability: grade the same submission several times and print the spread.

    python bench/repeatability.py [--runs 5] [--submission solutions/reference]

The challenge metric and its bootstrap interval must not move at all (seeded data,
seeded training in the reference solution, seeded bootstrap): their spread is
max - min and must be 0. Latency, throughput, load time, training time and memory
are measurements on a shared machine; for each the script prints the coefficient of
variation (stdev / mean) and the largest relative deviation from the median, and
checks the latter against the tolerances below. One untimed grading runs first to
warm the page cache and image layers (``--warmup 0`` to keep it).

Writes bench/results/repeatability.json and exits 1 if an exact figure moved; a
measured figure outside its tolerance is reported, not failed. Not a test: read it next
to the load average it records, since other work on the machine shows up in the latency
tail (the predict phase has a CPU quota, not a CPU of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from harness import pipeline
from harness.result import SubmissionResult

EXACT = ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high", "correctness_score", "total_score")
"""Figures that must be identical from run to run."""

TOLERANCE = {
    "latency_p50_ms": 0.10,
    "latency_p95_ms": 0.25,
    "latency_p99_ms": 0.50,
    "latency_mean_ms": 0.10,
    "throughput_rows_per_s": 0.15,
    "model_load_s": 0.50,
    "train_wall_s": 0.15,
    "train_cpu_s": 0.15,
    "train_peak_memory_mb": 0.05,
    "predict_peak_memory_mb": 0.05,
}
"""Largest accepted relative deviation from the median, per measured figure. The tail
(p99, model load: tens of milliseconds, one call) is looser than the median by design."""


def run_figures(result: SubmissionResult) -> dict[str, Any]:
    """The figures of one grading that the spread is computed over."""
    metrics = result.metrics
    correctness = next((grade for grade in result.grades if grade.grader == "correctness"), None)
    latency = result.timings.get("latency_ms", {})
    figures: dict[str, Any] = {
        "status": result.status.value,
        "roc_auc": metrics.get("roc_auc"),
        "roc_auc_ci_low": metrics.get("roc_auc_ci_low"),
        "roc_auc_ci_high": metrics.get("roc_auc_ci_high"),
        "correctness_score": correctness.score if correctness is not None else None,
        "total_score": result.total_score,
        "latency_samples": latency.get("n") if isinstance(latency, dict) else None,
        "load_average_1m": os.getloadavg()[0],
    }
    figures.update({name: metrics.get(name) for name in TOLERANCE})
    return figures


def spread(values: list[float]) -> dict[str, float]:
    """Coefficient of variation and largest relative deviation from the median."""
    median = statistics.median(values)
    mean = statistics.fmean(values)
    return {
        "median": median,
        "min": min(values),
        "max": max(values),
        "cv": statistics.stdev(values) / mean if len(values) > 1 and mean else 0.0,
        "max_deviation_from_median": (
            max(abs(value - median) for value in values) / median if median else 0.0
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="Untimed gradings before the runs.")
    parser.add_argument("--challenge", default="churn-tabular")
    parser.add_argument(
        "--submission", default="solutions/reference", help="Example path inside the challenge."
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "repeatability.json",
    )
    arguments = parser.parse_args()
    if arguments.runs < 2:
        parser.error("--runs must be at least 2 to show a spread")

    session = pipeline.open_session(arguments.challenge)
    warmups: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    try:
        source = str(session.challenge.path(arguments.submission))
        for _ in range(arguments.warmup):
            warmups.append(run_figures(pipeline.grade_submission(session, source)))
        for index in range(arguments.runs):
            row = run_figures(pipeline.grade_submission(session, source))
            rows.append(row)
            print(
                f"run {index + 1}: {row['status']}  roc_auc {row['roc_auc']:.6f} "
                f"[{row['roc_auc_ci_low']:.6f}, {row['roc_auc_ci_high']:.6f}]  "
                f"latency p50/p95/p99 {row['latency_p50_ms']:.3f}/{row['latency_p95_ms']:.3f}/"
                f"{row['latency_p99_ms']:.3f} ms (n={row['latency_samples']})  "
                f"throughput {row['throughput_rows_per_s']:,.0f} rows/s  "
                f"load {row['model_load_s']:.3f} s  train {row['train_wall_s']:.2f} s "
                f"{row['train_peak_memory_mb']:.0f} MiB  load avg {row['load_average_1m']:.2f}",
                flush=True,
            )
    finally:
        pipeline.close_session(session)

    exact = {
        name: max(row[name] for row in rows) - min(row[name] for row in rows)
        if all(row[name] is not None for row in rows)
        else None
        for name in EXACT
    }
    measured: dict[str, dict[str, Any]] = {}
    for name, tolerance in TOLERANCE.items():
        values = [row[name] for row in rows]
        if any(value is None for value in values):
            measured[name] = {"missing": True, "tolerance": tolerance}
            continue
        figures = spread(values)
        measured[name] = {
            **figures,
            "tolerance": tolerance,
            "within_tolerance": figures["max_deviation_from_median"] <= tolerance,
        }

    # The prepared data lives under its digest: a different digest is different data, so
    # compare metric values across invocations only when the digests match.
    digest = session.data.root.name
    print(
        f"\n{arguments.submission} on {arguments.challenge} (data {digest}), {arguments.runs} runs"
    )
    for name, difference in exact.items():
        verdict = "ok" if difference == 0 else "NOT REPEATABLE"
        print(f"  {name:<24} max-min {difference}  {verdict}")
    print(f"  {'figure':<24} {'median':>12} {'cv':>8} {'max dev':>8} {'tolerance':>9}")
    for name, figures in measured.items():
        if figures.get("missing"):
            print(f"  {name:<24} not measured in every run")
            continue
        verdict = "ok" if figures["within_tolerance"] else "OUTSIDE"
        print(
            f"  {name:<24} {figures['median']:>12.4g} {figures['cv']:>8.1%} "
            f"{figures['max_deviation_from_median']:>8.1%} {figures['tolerance']:>9.0%}  {verdict}"
        )

    busiest = max(row["load_average_1m"] for row in rows)
    cpus = os.cpu_count() or 1
    busy = busiest > cpus / 2
    if busy:
        print(
            f"note: the 1-minute load average reached {busiest:.2f} on {cpus} CPUs: other work "
            "competed for the CPU, and the latency and wall-time spreads show it"
        )
    summary = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "challenge": arguments.challenge,
        "submission": arguments.submission,
        "data_digest": digest,
        "predict_cpus": session.challenge.spec.limits.predict.cpus,
        "machine_busy": busy,
        "warmup_runs": warmups,
        "runs": rows,
        "exact_spread": exact,
        "measured_spread": measured,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {arguments.output}")
    return 0 if all(difference == 0 for difference in exact.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
