"""The predict driver's latency timing, on the host: the garbage collector is off while calls
are timed, run-queue waits split calls into disturbed and undisturbed, and timings.json says
how the figures were taken."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from harness.pipeline import DRIVER_DIR
from tests.fakes import load_predict_driver

DRIVER = DRIVER_DIR / "predict_driver.py"


driver = load_predict_driver("predict_driver_timing")

PREDICT = """
import gc

def load(model_dir):
    return None

def predict(model, frame):
    if len(frame) == 1:
        with open(__import__("os").environ["GC_LOG"], "a") as log:
            log.write(f"{gc.isenabled()}\\n")
    return [0.5] * len(frame)
"""


def test_the_collector_is_off_only_while_timing() -> None:
    assert gc.isenabled()
    with driver._collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with driver._collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a collector the caller had off stays off"
    finally:
        gc.enable()


def test_calls_that_waited_for_a_cpu_are_told_apart() -> None:
    figures = driver._contention([5.0, 5.0, 9.0, 5.0], [0.0, 0.01, 4.0, 0.2])
    assert figures["latency_undisturbed_ms"] == {"n": 2, "p50": 5.0, "p95": 5.0}
    assert figures["latency_disturbed_fraction"] == 0.5
    assert figures["latency_wait_ms"]["total"] == 4.21


def test_nothing_undisturbed_gives_no_figure_rather_than_nan() -> None:
    figures = driver._contention([9.0], [4.0])
    assert figures["latency_undisturbed_ms"] == {"n": 0, "p50": None, "p95": None}


class Predictor:
    """A module stand-in that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, model: object, row: object) -> list[float]:
        self.calls += 1
        return [0.5]


def test_a_timed_call_reports_its_wait_when_the_kernel_does(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor()
    readings = iter([1_000_000, 3_000_000])  # 2 ms waited during the call
    monkeypatch.setattr(driver, "_runqueue_wait_ns", lambda: next(readings))
    latency, cpu_time, wait = driver._timed_call(predictor, None, None)
    assert latency >= 0 and cpu_time >= 0 and wait == 2.0 and predictor.calls == 1
    monkeypatch.setattr(driver, "_runqueue_wait_ns", lambda: None)
    assert driver._timed_call(predictor, None, None)[2] is None


def test_undisturbed_means_waiting_under_a_hundredth_of_the_latency() -> None:
    assert driver._undisturbed_count([5.0, 5.0, 5.0, 5.0], [0.0, 0.049, 0.05, None]) == 2


def test_the_run_queue_wait_of_this_thread_is_readable() -> None:
    wait = driver._runqueue_wait_ns()
    assert wait is None or wait >= 0  # None where the kernel keeps no schedstat


def test_timings_say_how_latency_was_measured(tmp_path: Path) -> None:
    submission, output, model = tmp_path / "submission", tmp_path / "output", tmp_path / "model"
    for directory in (submission, output, model):
        directory.mkdir()
    (submission / "predict.py").write_text(PREDICT)
    features = tmp_path / "features.csv"
    features.write_text("customer_id,a\n" + "".join(f"C{i},{i}\n" for i in range(20)))
    gc_log = tmp_path / "gc.log"
    command = [
        sys.executable, str(DRIVER),
        "--submission", str(submission), "--predict-module", "predict.py",
        "--model-dir", str(model), "--features", str(features),
        "--id-column", "customer_id", "--output", str(output),
        "--latency-samples", "10", "--warmup", "2",
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        env={"GC_LOG": str(gc_log), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    timings = json.loads((output / "timings.json").read_text())
    method = timings["latency_method"]
    assert method["warmup_calls"] == 2 and method["gc_disabled"] is True
    assert method["clock_resolution_ns"] > 0
    assert timings["latency_ms"]["n"] == 10
    if driver._runqueue_wait_ns() is not None:
        undisturbed = timings["latency_undisturbed_ms"]
        assert 0 <= undisturbed["n"] <= 10
        assert 0 <= timings["latency_disturbed_fraction"] <= 1
    # Two warm-up calls with the collector on, then the timed calls (ten, plus any extra
    # ones a busy CPU called for) with it off.
    extra = timings.get("latency_extra_calls", 0)
    assert 0 <= extra <= 10
    assert gc_log.read_text().split() == ["True"] * 2 + ["False"] * (10 + extra)
