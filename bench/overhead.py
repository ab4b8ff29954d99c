"""Harness overhead per submission: total grading wall time minus the candidate's own
phase wall times, next to a bare `docker run` of a no-op measured in the same run.

    python bench/overhead.py [--runs 7] [--submission solutions/reference] [--compare]

Each run grades the submission once and then times one bare ``docker run --rm
--network none IMAGE true``, so both figures see the same load. ``--compare`` alternates
runs with and without containers prepared ahead (``PhaseScheduler.prepare_ahead``), to
show what preparing the next phase's container during the current one saves under the
same conditions. Prints medians and writes bench/results/overhead.json, with the load
average of every run. Not a test: these machines are shared, so read the medians next to
the load. The target is a median overhead of at most 1.0 s with every grader on.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections import defaultdict
from typing import Any

from _machine import describe_machine, load_average, median, write_summary

from harness import pipeline

TARGET_S = 1.0


def bare_docker_run(image: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, "true"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def grade_once(session: pipeline.GradingSession, source: str, prepared: bool) -> dict[str, Any]:
    session.scheduler.prepare_ahead = prepared
    result = pipeline.grade_submission(session, source)
    return {
        "prepared": prepared,
        "status": result.status.value,
        "total_s": result.wall_s,
        "candidate_s": round(sum(phase.wall_s for phase in result.phases), 4),
        "overhead_s": result.overhead_s,
        "sandbox_overhead_s": round(sum(phase.overhead_s for phase in result.phases), 4),
        "phase_overhead_s": {phase.name: round(phase.overhead_s, 4) for phase in result.phases},
        "phases": len(result.phases),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    per_phase: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for name, value in row["phase_overhead_s"].items():
            per_phase[name].append(value)
    return {
        "runs": len(rows),
        "total_median_s": round(median([row["total_s"] for row in rows]), 4),
        "candidate_median_s": round(median([row["candidate_s"] for row in rows]), 4),
        "overhead_median_s": round(median([row["overhead_s"] for row in rows]), 4),
        "overhead_max_s": max(row["overhead_s"] for row in rows),
        "sandbox_overhead_median_s": round(median([row["sandbox_overhead_s"] for row in rows]), 4),
        "phase_overhead_median_s": {
            name: round(median(values), 4) for name, values in per_phase.items()
        },
        "load_average_1m_median": round(median([row["load_average"][0] for row in rows]), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="Gradings per mode.")
    parser.add_argument("--warmup", type=int, default=1, help="Untimed gradings first.")
    parser.add_argument("--challenge", default="churn-tabular")
    parser.add_argument(
        "--submission",
        default="solutions/baseline",
        help="Example path inside the challenge (solutions/reference also runs its tests).",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="Alternate runs with and without containers prepared ahead.",
    )
    arguments = parser.parse_args()

    session = pipeline.open_session(arguments.challenge)
    machine = describe_machine(getattr(session.sandbox, "client", None))
    modes = [True, False] if arguments.compare else [True]
    rows: list[dict[str, Any]] = []
    bare: list[dict[str, float | list[float]]] = []
    try:
        source = str(session.challenge.path(arguments.submission))
        for _ in range(arguments.warmup):  # page cache, image layers, first imports
            pipeline.grade_submission(session, source)
            bare_docker_run(session.image)
        for index in range(arguments.runs):
            for prepared in modes if index % 2 == 0 else modes[::-1]:
                row = grade_once(session, source, prepared)
                row["load_average"] = load_average()
                rows.append(row)
                print(
                    f"run {index + 1} ({'prepared' if prepared else 'unprepared'}): "
                    f"{row['phases']} phases, total {row['total_s']:.3f} s, candidate "
                    f"{row['candidate_s']:.3f} s, overhead {row['overhead_s']:.3f} s "
                    f"(sandbox {row['sandbox_overhead_s']:.3f} s), load {row['load_average'][0]}",
                    flush=True,
                )
            bare.append({"seconds": bare_docker_run(session.image), "load_average": load_average()})
    finally:
        pipeline.close_session(session)

    by_mode = {
        ("prepared" if prepared else "unprepared"): summarise(
            [row for row in rows if row["prepared"] is prepared]
        )
        for prepared in modes
    }
    bare_median = median([float(item["seconds"]) for item in bare])  # type: ignore[arg-type]
    headline = by_mode["prepared"]
    summary: dict[str, Any] = {
        "machine": machine,
        "challenge": arguments.challenge,
        "submission": arguments.submission,
        "target_s": TARGET_S,
        "meets_target": headline["overhead_median_s"] <= TARGET_S,
        "bare_docker_run_median_s": round(bare_median, 4),
        "modes": by_mode,
        "runs": rows,
        "bare_docker_runs": bare,
    }
    print(f"\n{arguments.submission} on {arguments.challenge}")
    for mode, figures in by_mode.items():
        print(
            f"  {mode:<10} overhead median {figures['overhead_median_s']:.3f} s "
            f"(max {figures['overhead_max_s']:.3f} s; sandbox {figures['sandbox_overhead_median_s']:.3f} s; "
            f"candidate {figures['candidate_median_s']:.3f} s; load {figures['load_average_1m_median']})"
        )
        print(
            "             per phase: "
            + ", ".join(
                f"{name} {value:.3f}" for name, value in figures["phase_overhead_median_s"].items()
            )
        )
    print(f"  bare docker run true median {bare_median:.3f} s")
    print(
        f"  target: overhead <= {TARGET_S:g} s -> {'met' if summary['meets_target'] else 'NOT met'}"
    )
    print(f"wrote {write_summary('overhead', summary)}")


if __name__ == "__main__":
    main()
