"""Latency measurement precision: grade a reference predictor whose cost per call is known
and compare what the harness measured with the truth.

    python bench/latency_precision.py [--runs 10] [--cost-ms 5] [--challenge churn-tabular]

The reference submission's ``predict()`` busy-waits ``--cost-ms`` on ``time.monotonic``
per call, whatever the number of rows, and returns a constant. A busy-wait on a wall clock
ends at the same wall time whether or not the process was preempted meanwhile, so the true
single-call latency is the cost plus the call's own few microseconds. The submission is
graded ``--runs`` times in full (every grader, as ``harness grade`` does) after one untimed
warm-up, and for each grading the script reads the driver's p50/p95, the per-call CPU time
and the host load the driver recorded, and the p50 over *undisturbed* calls: those that
waited less than 1% of their latency for a CPU (run-queue wait from schedstat), which is
what the predictor costs on a free CPU when the host is busy.

Targets: the median p50 within 3% of the cost, and the p50 of the gradings agreeing within
3% (coefficient of variation). Writes bench/results/latency_precision.json. Not a test: read
it next to the load average.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from _machine import (
    coefficient_of_variation,
    describe_machine,
    load_average,
    median,
    write_summary,
)

from harness import pipeline

TOLERANCE = 0.03

TRAIN = '''\
"""Reference for the latency benchmark: nothing to learn, one small model file."""

import json
import os
from pathlib import Path

Path(os.environ.get("MODEL_DIR", "/model"), "model.json").write_text(json.dumps({"value": 0.5}))
'''

PREDICT = '''\
"""Reference for the latency benchmark: a fixed cost of {cost_ms} ms per call."""

import json
import time
from pathlib import Path

COST_S = {cost_s!r}


def load(model_dir):
    return json.loads((Path(model_dir) / "model.json").read_text())


def predict(model, frame):
    deadline = time.monotonic() + COST_S
    while time.monotonic() < deadline:
        pass
    return [model["value"]] * len(frame)
'''

WRITEUP = """\
# Fixed-cost reference

A constant predictor with a known cost per call, used to check the latency measurement.
"""


def write_submission(root: Path, cost_ms: float, required: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.py").write_text(TRAIN)
    (root / "predict.py").write_text(
        textwrap.dedent(PREDICT).format(cost_ms=cost_ms, cost_s=cost_ms / 1000)
    )
    for name in required:  # whatever else the challenge's contract asks for
        path = root / name
        if not path.exists():
            path.write_text(WRITEUP)
    return root


def figures(result: Any) -> dict[str, Any]:
    timings = result.timings or {}
    latency = timings.get("latency_ms") or {}
    cpu = timings.get("latency_cpu_ms") or {}
    undisturbed = timings.get("latency_undisturbed_ms") or {}
    samples = timings.get("latency_samples_ms") or []
    return {
        "status": result.status.value,
        "p50_ms": latency.get("p50"),
        "p95_ms": latency.get("p95"),
        "p99_ms": latency.get("p99"),
        "mean_ms": latency.get("mean"),
        "min_ms": min(samples) if samples else None,
        "n": latency.get("n"),
        "cpu_p50_ms": cpu.get("p50"),
        "undisturbed_p50_ms": undisturbed.get("p50"),
        "undisturbed_n": undisturbed.get("n"),
        "disturbed_fraction": timings.get("latency_disturbed_fraction"),
        "driver_host_load": timings.get("host_load_average"),
        "method": timings.get("latency_method"),
        "load_average": load_average(),
    }


def _ms(value: float | None) -> str:
    return f"{value:.4f} ms" if value is not None else "-"


def _percent(value: float | None) -> str:
    return f"{value:.2%}" if value is not None else "-"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--cost-ms", type=float, default=5.0)
    parser.add_argument("--challenge", default="churn-tabular")
    arguments = parser.parse_args()
    if arguments.runs < 2:
        parser.error("--runs must be at least 2 to show a spread")

    session = pipeline.open_session(arguments.challenge)
    machine = describe_machine(getattr(session.sandbox, "client", None))
    contract = session.challenge.spec.contract
    required = [str(name) for name in getattr(contract, "required_files", [])]
    writeup = getattr(contract, "writeup", None)
    if writeup:
        required.append(str(writeup))
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="latency-reference-") as scratch:
            source = str(
                write_submission(Path(scratch) / "fixed-cost", arguments.cost_ms, required)
            )
            for _ in range(arguments.warmup):
                pipeline.grade_submission(session, source)
            for index in range(arguments.runs):
                row = figures(pipeline.grade_submission(session, source))
                rows.append(row)
                if row["p50_ms"] is None:
                    print(f"run {index + 1}: {row['status']}, no latency measured", flush=True)
                    continue
                print(
                    f"run {index + 1}: p50 {row['p50_ms']:.4f} ms  p95 {row['p95_ms']:.4f} ms  "
                    f"min {row['min_ms']:.4f} ms  cpu p50 {row['cpu_p50_ms']:.4f} ms  "
                    f"undisturbed p50 {_ms(row['undisturbed_p50_ms'])} "
                    f"(n={row['undisturbed_n']}/{row['n']})  load {row['load_average'][0]}",
                    flush=True,
                )
    finally:
        pipeline.close_session(session)

    measured = [row for row in rows if row["p50_ms"] is not None]
    if len(measured) < 2:
        print("fewer than two gradings measured a latency; see the statuses above")
        return 1
    p50s = [float(row["p50_ms"]) for row in measured]
    p95s = [float(row["p95_ms"]) for row in measured]
    truth = arguments.cost_ms
    p50_median = median(p50s)
    error = (p50_median - truth) / truth
    worst = max(abs(value - truth) / truth for value in p50s)
    cv = coefficient_of_variation(p50s)
    calm = [float(row["undisturbed_p50_ms"]) for row in measured if row["undisturbed_p50_ms"]]
    calm_error = (median(calm) - truth) / truth if calm else None
    calm_cv = coefficient_of_variation(calm) if len(calm) > 1 else None
    summary: dict[str, Any] = {
        "machine": machine,
        "challenge": arguments.challenge,
        "predict_limits": session.challenge.spec.limits.predict.model_dump(),
        "cost_ms": truth,
        "runs": rows,
        "p50_median_ms": round(p50_median, 4),
        "p50_relative_error": round(error, 5),
        "p50_worst_relative_error": round(worst, 5),
        "p50_cv": round(cv, 5),
        "p95_median_ms": round(median(p95s), 4),
        "p95_cv": round(coefficient_of_variation(p95s), 5),
        "tolerance": TOLERANCE,
        "p50_within_tolerance": abs(error) <= TOLERANCE,
        "cv_within_tolerance": cv <= TOLERANCE,
        "undisturbed_p50_median_ms": round(median(calm), 4) if calm else None,
        "undisturbed_p50_relative_error": round(calm_error, 5) if calm_error is not None else None,
        "undisturbed_p50_cv": round(calm_cv, 5) if calm_cv is not None else None,
        "load_average_1m_median": round(median([row["load_average"][0] for row in rows]), 2),
    }
    print(
        f"\nfixed cost {truth:g} ms, {len(measured)} gradings: p50 median {p50_median:.4f} ms "
        f"({error:+.2%}, worst run {worst:.2%}), p50 CV {cv:.2%}, p95 median "
        f"{summary['p95_median_ms']:.4f} ms (CV {summary['p95_cv']:.2%})"
    )
    if calm_error is not None:
        print(
            f"undisturbed calls only (waited < 1% of their latency for a CPU): p50 median "
            f"{median(calm):.4f} ms ({calm_error:+.2%}), CV {_percent(calm_cv)}"
        )
    print(
        f"targets (3%): p50 error {'met' if summary['p50_within_tolerance'] else 'NOT met'}, "
        f"repeatability {'met' if summary['cv_within_tolerance'] else 'NOT met'}; "
        f"load average median {summary['load_average_1m_median']}"
    )
    print(f"wrote {write_summary('latency_precision', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
