"""Harness-owned driver for the predict phase; runs *inside* the sandbox.

It imports the submission's predict module, calls ``load(model_dir)`` once,
``predict(model, frame)`` on the whole evaluation frame (batch), then on single
rows after a warm-up to measure latency, and writes:

- ``<output>/predictions.csv``: ``<id column>,prediction``
- ``<output>/timings.json``: load time, batch time, latency percentiles
- ``<output>/driver_error.json`` instead, when the candidate's code fails:
  the stage, the exception and the traceback tail.

Standard library + pandas only: this file must run in any runtime image.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

EXIT_CANDIDATE_ERROR = 3


class StageError(Exception):
    def __init__(self, stage: str, message: str, trace: str = "") -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.trace = trace


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    os.replace(temporary, path)


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


def _as_list(predictions: Any, frame: Any, stage: str) -> tuple[list[Any], list[Any] | None]:
    """Return (values, ids or None). A pandas Series keeps its own index as ids."""
    import pandas as pd

    ids = None
    if isinstance(predictions, pd.DataFrame):
        if predictions.shape[1] != 1:
            raise StageError(
                stage,
                f"predict() returned a DataFrame with {predictions.shape[1]} columns; return one value per row",
            )
        predictions = predictions.iloc[:, 0]
    if isinstance(predictions, pd.Series):
        # A Series indexed by id is matched on its ids; a default 0..n-1 index is positional.
        if not isinstance(predictions.index, pd.RangeIndex):
            ids = list(predictions.index)
        values = predictions.tolist()
    elif hasattr(predictions, "tolist"):
        values = predictions.tolist()
    else:
        try:
            values = list(predictions)
        except TypeError:
            raise StageError(
                stage, f"predict() returned {type(predictions).__name__}, not an array-like"
            ) from None
    if values and isinstance(values[0], list):
        if all(len(row) == 1 for row in values):
            values = [row[0] for row in values]
        else:
            raise StageError(stage, "predict() returned a 2-D result; return one value per row")
    return values, ids


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    submission = Path(arguments.submission)
    output = Path(arguments.output)
    timings: dict[str, Any] = {}

    started = time.perf_counter()
    module = _import_predict_module(submission, arguments.predict_module)
    timings["import_s"] = time.perf_counter() - started

    frame = pd.read_csv(arguments.features, dtype={arguments.id_column: str}, keep_default_na=True)
    frame = frame.set_index(arguments.id_column)
    expected_ids = list(frame.index)

    started = time.perf_counter()
    model = _call("load", module.load, arguments.model_dir)
    timings["load_s"] = time.perf_counter() - started

    started = time.perf_counter()
    raw = _call("predict", module.predict, model, frame.copy())
    timings["batch_s"] = time.perf_counter() - started
    timings["batch_rows"] = len(frame)
    timings["throughput_rows_per_s"] = (
        len(frame) / timings["batch_s"] if timings["batch_s"] > 0 else None
    )
    values, ids = _as_list(raw, frame, "predict")
    if ids is None:
        if len(values) != len(frame):
            raise StageError(
                "predict", f"predict() returned {len(values)} values for {len(frame)} rows"
            )
        ids = expected_ids

    samples = min(arguments.latency_samples, len(frame))
    if samples:
        step = max(1, len(frame) // samples)
        positions = [(index * step) % len(frame) for index in range(samples)]
        for position in positions[: arguments.warmup]:
            _call("latency", module.predict, model, frame.iloc[[position]])
        latencies: list[float] = []
        for position in positions:
            row = frame.iloc[[position]]
            tick = time.perf_counter_ns()
            _call("latency", module.predict, model, row)
            latencies.append((time.perf_counter_ns() - tick) / 1e6)
        ordered = sorted(latencies)
        timings["latency_ms"] = {
            "n": len(ordered),
            "p50": _percentile(ordered, 0.50),
            "p95": _percentile(ordered, 0.95),
            "p99": _percentile(ordered, 0.99),
            "mean": sum(ordered) / len(ordered),
            "max": ordered[-1],
        }
        timings["latency_samples_ms"] = [round(value, 4) for value in latencies]

    predictions_path = output / "predictions.csv"
    temporary = predictions_path.with_suffix(".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([arguments.id_column, "prediction"])
        for identifier, value in zip(ids, values, strict=False):
            writer.writerow([identifier, repr(value) if isinstance(value, float) else value])
    os.replace(temporary, predictions_path)
    return timings


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
    arguments = parser.parse_args()
    output = Path(arguments.output)
    try:
        timings = run(arguments)
    except StageError as error:
        trace_tail = "\n".join(error.trace.splitlines()[-30:])
        _write_json(
            output / "driver_error.json",
            {"stage": error.stage, "error": error.message, "traceback": trace_tail},
        )
        print(f"[harness] {error.stage} failed: {error.message}", file=sys.stderr)
        if trace_tail:
            print(trace_tail, file=sys.stderr)
        return EXIT_CANDIDATE_ERROR
    _write_json(output / "timings.json", timings)
    print(f"[harness] wrote {timings.get('batch_rows')} predictions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
