"""Report rendering for a 200-candidate cohort: every report.html plus the index.

    python bench/report_render.py [--count 200] [--repeats 3] [--template RESULT_JSON]

The cohort is synthesised from one real ``result.json`` (``--template``; without it the
reference solution is graded once and its result kept as bench/results/report-template.json
for later runs): each copy gets its own id, label, scores, metrics, latency samples and
phase timings, drawn from a seeded generator so every run renders the same cohort.

It renders through the reports package's public writers, whichever it offers:
``write_all(out_dir, results, challenge)`` (every report against its cohort, then the index)
or else ``write_report`` for each result and ``write_index``. The first repeat starts
with an empty output directory (no plot cache); later repeats start empty as well, so each
repeat is a cold render of the whole cohort. Target: at most 5 s for 200 candidates.
Writes bench/results/report_render.json. Not a test: read it next to the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import RESULTS_DIR, describe_machine, load_average, median, write_summary

from harness.result import SubmissionResult

TARGET_S = 5.0
TEMPLATE = RESULTS_DIR / "report-template.json"


def template_result(path: Path | None, challenge: str) -> SubmissionResult:
    """The result to vary: the given file, the kept one, or a fresh grading."""
    if path is not None:
        return SubmissionResult.model_validate_json(path.read_text(encoding="utf-8"))
    if TEMPLATE.is_file():
        return SubmissionResult.model_validate_json(TEMPLATE.read_text(encoding="utf-8"))
    from harness import pipeline

    print("no template result: grading solutions/reference once", flush=True)
    session = pipeline.open_session(challenge)
    try:
        result = pipeline.grade_submission(
            session, str(session.challenge.path("solutions/reference"))
        )
    finally:
        pipeline.close_session(session)
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return result


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return type(value)(value * factor) if isinstance(value, float) else value


def vary(template: SubmissionResult, index: int, rng: random.Random) -> SubmissionResult:
    """One synthetic candidate: the template with its own identity, scores and timings."""
    result = template.model_copy(deep=True)
    digest = hashlib.sha256(f"candidate-{index}".encode()).hexdigest()
    result.submission.id = digest[:12]
    result.submission.sha256 = digest
    result.submission.label = f"candidate-{index:03d}"
    result.submission.source = f"/submissions/candidate-{index:03d}"
    quality = rng.uniform(0.3, 1.1)
    for grade in result.grades:
        grade.score = round(min(1.0, max(0.0, grade.score * quality + rng.gauss(0, 0.05))), 4)
    counted = [grade for grade in result.grades if grade.status != "not_applicable"]
    weight = sum(grade.weight for grade in counted)
    result.total_score = (
        round(100 * sum(grade.score * grade.weight for grade in counted) / weight, 2)
        if weight
        else 0.0
    )
    metric = result.challenge.metric
    for name, value in list(result.metrics.items()):
        if value is None:
            continue
        if name.startswith(metric):  # the challenge metric and its interval move together
            result.metrics[name] = round(
                min(1.0, max(0.0, value - (1.1 - quality) * 0.3 + rng.gauss(0, 0.005))), 6
            )
        else:
            result.metrics[name] = _scaled(value, rng.uniform(0.5, 2.0))
    speed = rng.uniform(0.5, 3.0)
    samples = result.timings.get("latency_samples_ms")
    if isinstance(samples, list):
        result.timings["latency_samples_ms"] = [
            round(float(sample) * speed * rng.uniform(0.9, 1.1), 4) for sample in samples
        ]
    latency = result.timings.get("latency_ms")
    if isinstance(latency, dict):
        result.timings["latency_ms"] = {
            key: _scaled(value, speed) for key, value in latency.items()
        }
    for phase in result.phases:
        phase.wall_s = round(phase.wall_s * rng.uniform(0.5, 2.0), 4)
    result.wall_s = round(sum(phase.wall_s for phase in result.phases) + result.overhead_s, 4)
    return result


def render_cohort(results: list[SubmissionResult], out_dir: Path, challenge: Any) -> str:
    """Render every report and the index with the public writers; returns which were used."""
    from reports import html

    write_all = getattr(html, "write_all", None)
    if write_all is not None:
        write_all(out_dir, results, challenge)
        return "reports.html.write_all"
    for result in results:
        directory = out_dir / result.submission.id
        directory.mkdir(parents=True, exist_ok=True)
        html.write_report(result, directory / "report.html")
    html.write_index(results, out_dir / "index.html")
    return "reports.html.write_report + write_index"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--challenge", default="churn-tabular")
    parser.add_argument("--template", type=Path, help="A result.json to vary.")
    arguments = parser.parse_args()

    template = template_result(arguments.template, arguments.challenge)
    try:
        from challenges.loader import load_challenge

        challenge: Any = load_challenge(template.challenge.id)
    except Exception:  # a template from a challenge that is not on the search path
        challenge = None
    rng = random.Random(arguments.seed)
    results = [vary(template, index, rng) for index in range(arguments.count)]
    importlib.import_module("reports.html")  # jinja2 and plotting imported before timing
    machine = describe_machine()
    timings: list[dict[str, Any]] = []
    used = ""
    for repeat in range(arguments.repeats):
        scratch = Path(tempfile.mkdtemp(prefix="report-render-"))
        try:
            started = time.perf_counter()
            used = render_cohort(results, scratch, challenge)
            seconds = time.perf_counter() - started
            written = sum(1 for _ in scratch.glob("*/report.html"))
            size = sum(path.stat().st_size for path in scratch.rglob("*.html"))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        timings.append(
            {
                "seconds": round(seconds, 3),
                "reports_written": written,
                "html_bytes": size,
                "load_average": load_average(),
            }
        )
        print(
            f"repeat {repeat + 1}: {seconds:.3f} s for {written} reports + index "
            f"({size / 2**20:.1f} MiB of HTML), load {timings[-1]['load_average'][0]}",
            flush=True,
        )

    seconds_median = median([row["seconds"] for row in timings])
    summary: dict[str, Any] = {
        "machine": machine,
        "count": arguments.count,
        "template_status": template.status.value,
        "renderer": used,
        "repeats": timings,
        "median_s": round(seconds_median, 3),
        "per_report_ms": round(1000 * seconds_median / arguments.count, 2),
        "target_s": TARGET_S,
        "meets_target": seconds_median <= TARGET_S,
    }
    print(
        f"\n{arguments.count} candidates via {used}: median {seconds_median:.3f} s "
        f"({summary['per_report_ms']} ms a report; target <= {TARGET_S:g} s -> "
        f"{'met' if summary['meets_target'] else 'NOT met'})"
    )
    print(f"wrote {write_summary('report_render', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
