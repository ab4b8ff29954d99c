"""Messy-data generation at scale: a 1,000,000-row table through a representative chain of
injectors from ``challenges.messy``, then written to CSV.

    python bench/datagen.py [--rows 1000000] [--repeats 3] [--seed 7]

Prints seconds per stage (the median over the repeats) and the totals, and writes
bench/results/datagen.json. The target is generation (every stage before the CSV) in at
most 5 s on a 2-core machine. Not a test: these machines are shared, so read the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _machine import load_average

from challenges import messy
from challenges.data import write_csv

RESULTS = Path(__file__).resolve().parent / "results" / "datagen.json"
TARGET_GENERATION_S = 5.0
PLANS = ["Basic", "Pro", "Enterprise"]
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]

Stage = tuple[str, Callable[[pd.DataFrame, np.random.Generator, messy.DataCard], pd.DataFrame]]


def clean_table(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """A clean customer table: ids, categories, counts, money, a date and a label."""
    plan = np.array(PLANS, dtype=object)[rng.choice(3, size=rows, p=[0.5, 0.35, 0.15])]
    seats = rng.integers(1, 200, size=rows)
    tenure = rng.integers(1, 120, size=rows)
    logins = np.round(rng.exponential(8.0, size=rows)).astype(np.int64)
    churn_logit = -1.5 + 0.08 * logins - 0.02 * tenure + 0.5 * (plan == "Basic")
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", np.char.zfill(np.arange(rows).astype(str), 7)).astype(
                object
            ),
            "plan": plan,
            "region": np.array(REGIONS, dtype=object)[rng.integers(len(REGIONS), size=rows)],
            "tenure_months": tenure,
            "seats": seats,
            "monthly_spend": np.round(seats * rng.uniform(10, 50, size=rows), 2),
            "last_login_days": logins,
            "satisfaction_score": rng.integers(1, 11, size=rows),
            "signup_date": pd.Timestamp("2024-06-01")
            - pd.to_timedelta(tenure * 30 + rng.integers(0, 30, size=rows), unit="D"),
            "churned": (rng.random(rows) < 1 / (1 + np.exp(-churn_logit))).astype(np.int64),
        }
    )


def stages() -> list[Stage]:
    """The chain, in the order a challenge generator would apply it."""
    numeric = ["tenure_months", "seats", "monthly_spend", "last_login_days"]
    return [
        ("label_noise", lambda f, r, c: messy.label_noise(f, r, c, column="churned", rate=0.02)),
        (
            "target_leakage",
            lambda f, r, c: messy.target_leakage(
                f, r, c, target="churned", column="cancellation_ticket_open"
            ),
        ),
        (
            "class_imbalance",
            lambda f, r, c: messy.class_imbalance(
                f, r, c, column="churned", minority=1, ratio=0.15
            ).reset_index(drop=True),
        ),
        (
            "drift",
            lambda f, r, c: messy.drift(
                f, r, c, column="tenure_months", where={"region": ["APAC"]}, scale=0.6
            ),
        ),
        (
            "missing_mcar",
            lambda f, r, c: messy.missing_completely_at_random(
                f, r, c, columns=["region", *numeric], rate=0.04
            ),
        ),
        (
            "missing_mcar_jointly",
            lambda f, r, c: messy.missing_completely_at_random(
                f, r, c, columns=["last_login_days", "satisfaction_score"], rate=0.05, jointly=True
            ),
        ),
        (
            "missing_dependent",
            lambda f, r, c: messy.missing_dependent(
                f,
                r,
                c,
                columns=["satisfaction_score"],
                depends_on="last_login_days",
                above_quantile=0.75,
                rate=0.5,
            ),
        ),
        (
            "category_spelling",
            lambda f, r, c: messy.category_spelling(
                f,
                r,
                c,
                column="plan",
                variants={name: messy.spelling_variants(name) for name in PLANS},
                rate=0.08,
            ),
        ),
        (
            "unit_mismatch",
            lambda f, r, c: messy.unit_mismatch(
                f,
                r,
                c,
                columns=["monthly_spend"],
                factor=100,
                rate=0.1,
                source_column="billing_system",
                decimals=2,
            ),
        ),
        (
            "outliers",
            lambda f, r, c: messy.outliers(f, r, c, column="seats", rate=0.005, factor=10),
        ),
        (
            "impossible_values",
            lambda f, r, c: messy.impossible_values(
                f, r, c, column="last_login_days", rate=0.02, sentinel=99999
            ),
        ),
        (
            "duplicates_near",
            lambda f, r, c: messy.duplicates_near(
                f,
                r,
                c,
                rate=0.015,
                numeric_columns=["monthly_spend"],
                text_columns=["plan", "region"],
            ),
        ),
        (
            "mixed_dates",
            lambda f, r, c: messy.mixed_dates(
                f,
                r,
                c,
                column="signup_date",
                formats=["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d %b %Y"],
                rate=0.2,
                offsets=["-05:00", "+01:00", "+05:30"],
                offset_rate=0.1,
            ),
        ),
        (
            "numbers_as_text",
            lambda f, r, c: messy.numbers_as_text(
                f, r, c, column="monthly_spend", rate=0.15, symbols=("", "$")
            ),
        ),
        ("duplicates_exact", lambda f, r, c: messy.duplicates_exact(f, r, c, rate=0.02)),
        (
            "schema_drift",
            lambda f, r, c: messy.schema_drift(
                f,
                r,
                c,
                rename={"monthly_spend": "monthly_spend_usd"},
                extra_columns={"export_batch": ["A", "B"]},
            ),
        ),
        ("shuffle", lambda f, r, c: f.iloc[r.permutation(len(f))].reset_index(drop=True)),
    ]


def run_once(rows: int, seed: int, csv_path: Path) -> tuple[dict[str, float], int, str]:
    """One generation: seconds per stage, the rows written, and the CSV's digest."""
    import hashlib

    timings: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    card = messy.DataCard()
    started = time.perf_counter()
    frame = clean_table(rows, rng)
    timings["clean_table"] = time.perf_counter() - started
    for name, stage in stages():
        started = time.perf_counter()
        frame = stage(frame, rng, card)
        timings[name] = time.perf_counter() - started
    started = time.perf_counter()
    write_csv(frame, csv_path)
    timings["write_csv"] = time.perf_counter() - started
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()[:16]
    return timings, len(frame), digest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    runs: list[dict[str, float]] = []
    digests: set[str] = set()
    load_at_start = load_average()
    rows_written = 0
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(arguments.repeats):
            timings, rows_written, digest = run_once(
                arguments.rows, arguments.seed, Path(scratch) / "table.csv"
            )
            runs.append(timings)
            digests.add(digest)

    medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    generation = [sum(s for name, s in run.items() if name != "write_csv") for run in runs]
    totals = [sum(run.values()) for run in runs]
    summary: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "rows": arguments.rows,
        "rows_written": rows_written,
        "repeats": arguments.repeats,
        "stage_median_s": {name: round(value, 4) for name, value in medians.items()},
        "generation_median_s": round(statistics.median(generation), 3),
        "write_csv_median_s": round(medians["write_csv"], 3),
        "total_median_s": round(statistics.median(totals), 3),
        "target_generation_s": TARGET_GENERATION_S,
        "meets_target": statistics.median(generation) <= TARGET_GENERATION_S,
        "deterministic": len(digests) == 1,
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_average(),
        "csv_sha256_16": sorted(digests),
    }

    width = max(map(len, medians))
    for name, value in medians.items():
        print(f"{name:<{width}}  {value:7.3f} s")
    print(
        f"{'generation':<{width}}  {summary['generation_median_s']:7.3f} s"
        f"  (target <= {TARGET_GENERATION_S:g} s)"
    )
    print(
        f"{'total':<{width}}  {summary['total_median_s']:7.3f} s  ({rows_written:,} rows written)"
    )
    print(f"identical CSV on every repeat: {summary['deterministic']}")
    print(
        f"load average: {load_at_start} at the start, {summary['load_average_at_end']} at the end"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
