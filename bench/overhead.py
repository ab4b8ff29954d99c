"""Harness overhead per submission: total grading wall time minus the candidate's own
phase wall times, next to a bare `docker run` of a no-op on the same engine.

    python bench/overhead.py [--runs 7]

Prints the figures and writes bench/results/overhead.json. Not a test: these
machines are shared, so read the medians, not single runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from pathlib import Path

from harness import pipeline


def bare_docker_run(image: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", image, "true"],
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--challenge", default="churn-tabular")
    parser.add_argument(
        "--submission", default="solutions/baseline", help="Example path inside the challenge."
    )
    arguments = parser.parse_args()

    session = pipeline.open_session(arguments.challenge)
    try:
        source = str(session.challenge.path(arguments.submission))
        pipeline.grade_submission(session, source)  # warm caches (page cache, image layers)
        rows = []
        for _ in range(arguments.runs):
            result = pipeline.grade_submission(session, source)
            phase_wall = sum(phase.wall_s for phase in result.phases)
            rows.append(
                {
                    "total_s": result.wall_s,
                    "candidate_s": phase_wall,
                    "overhead_s": result.overhead_s,
                    "sandbox_overhead_s": sum(phase.overhead_s for phase in result.phases),
                    "phases": len(result.phases),
                }
            )
        bare = bare_docker_run(session.image, arguments.runs)
    finally:
        pipeline.close_session(session)

    overheads = [row["overhead_s"] for row in rows]
    summary = {
        "machine": {
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
        },
        "submission": arguments.submission,
        "runs": rows,
        "overhead_median_s": statistics.median(overheads),
        "overhead_max_s": max(overheads),
        "sandbox_overhead_median_s": statistics.median(row["sandbox_overhead_s"] for row in rows),
        "bare_docker_run_median_s": statistics.median(bare),
        "target_s": 1.0,
    }
    print(f"submission: {arguments.submission} ({rows[0]['phases']} phases), {arguments.runs} runs")
    print(
        f"  total grading wall   median {statistics.median(row['total_s'] for row in rows):.3f} s"
    )
    print(
        f"  candidate phases     median {statistics.median(row['candidate_s'] for row in rows):.3f} s"
    )
    print(
        f"  harness overhead     median {summary['overhead_median_s']:.3f} s  (max {summary['overhead_max_s']:.3f} s, target <= 1.0 s)"
    )
    print(
        f"    of which sandbox   median {summary['sandbox_overhead_median_s']:.3f} s (create/start/exec/remove, all phases)"
    )
    print(f"  bare docker run true median {summary['bare_docker_run_median_s']:.3f} s")
    output = Path(__file__).resolve().parent / "results" / "overhead.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
