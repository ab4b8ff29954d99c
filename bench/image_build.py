"""A repeated ``harness sandbox build`` with unchanged inputs: it must find the images up to
date and finish in at most 2 s.

    python bench/image_build.py [--runs 5] [--challenge churn-tabular]

Runs the command as a user does (a new process each time, ``python -m harness.cli``) after
one untimed run that builds whatever is missing, checks that the runtime image did not
change, and splits the time: the interpreter with the CLI's imports, the imports of the
module the command takes ``ensure_image`` from, and the up-to-date check itself (engine
calls only), measured in this process; and a process that does only what the command
needs (``sandbox.images.challenge_image``, without the CLI and the pipeline). Writes bench/results/image_build.json. Not a test:
read it next to the load average.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

from _machine import describe_machine, load_average, median, write_summary

TARGET_S = 2.0

# What `harness sandbox build --challenge ID` does, without the CLI module, importing the
# image check from sandbox.images rather than harness.pipeline (which imports every grader).
LIGHT_PATH = """
import sys
from challenges.loader import load_challenge
from sandbox import sandboxes
from sandbox.images import challenge_image
sandbox = sandboxes.get("docker")()
sandbox.check()
print(challenge_image(sandbox.client, load_challenge(sys.argv[1]), progress=lambda message: None))
"""


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, completed


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (interpreter start excluded)."""
    code = (
        "import time; started = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - started)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--challenge", default="churn-tabular")
    arguments = parser.parse_args()

    import docker

    from challenges.loader import load_challenge
    from sandbox.images import configured_base, ensure_runtime_image

    client = docker.from_env()
    machine = describe_machine(client)
    command = [sys.executable, "-m", "harness.cli", "sandbox", "build"]
    command += ["--challenge", arguments.challenge]
    _, first = timed(command)  # builds what is missing; not timed
    if first.returncode != 0:
        print(first.stdout + first.stderr)
        return 1
    challenge = load_challenge(arguments.challenge)
    packages = tuple(challenge.spec.sandbox.packages)
    base = configured_base(challenge.spec.sandbox.base_image)
    reference = ensure_runtime_image(client, packages, base, progress=lambda message: None)
    image_before = client.images.get(reference.reference).id

    rows: list[dict[str, Any]] = []
    for index in range(arguments.runs):
        seconds, completed = timed(command)
        rows.append(
            {
                "seconds": round(seconds, 3),
                "exit_code": completed.returncode,
                "load_average": load_average(),
            }
        )
        print(
            f"run {index + 1}: {seconds:.3f} s (exit {completed.returncode}), "
            f"load {rows[-1]['load_average'][0]}",
            flush=True,
        )
    image_after = client.images.get(reference.reference).id

    checks = []
    for _ in range(arguments.runs):
        started = time.perf_counter()
        again = ensure_runtime_image(client, packages, base, progress=lambda message: None)
        checks.append(time.perf_counter() - started)
        assert not again.built, "an unchanged build rebuilt the runtime image"
    breakdown = {
        "interpreter_and_cli_imports_s": round(
            median([timed([sys.executable, "-m", "harness.cli", "--help"])[0] for _ in range(3)]), 3
        ),
        "import_harness_pipeline_s": round(
            median([import_seconds("harness.pipeline") for _ in range(3)]), 3
        ),
        "import_sandbox_images_s": round(
            median([import_seconds("sandbox.images") for _ in range(3)]), 3
        ),
        "up_to_date_check_s": round(median(checks), 4),
        "light_path_process_s": round(
            median(
                [
                    timed([sys.executable, "-c", LIGHT_PATH, arguments.challenge])[0]
                    for _ in range(arguments.runs)
                ]
            ),
            3,
        ),
    }
    seconds_median = median([row["seconds"] for row in rows])
    summary: dict[str, Any] = {
        "machine": machine,
        "challenge": arguments.challenge,
        "runtime_image": reference.reference,
        "image_unchanged": image_before == image_after,
        "runs": rows,
        "median_s": round(seconds_median, 3),
        "breakdown": breakdown,
        "target_s": TARGET_S,
        "meets_target": seconds_median <= TARGET_S and all(row["exit_code"] == 0 for row in rows),
    }
    print(
        f"\nunchanged `harness sandbox build --challenge {arguments.challenge}`: median "
        f"{seconds_median:.3f} s (target <= {TARGET_S:g} s -> "
        f"{'met' if summary['meets_target'] else 'NOT met'}); image unchanged: "
        f"{summary['image_unchanged']}"
    )
    for name, value in breakdown.items():
        print(f"  {name:<32} {value:.3f} s")
    print(f"wrote {write_summary('image_build', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
