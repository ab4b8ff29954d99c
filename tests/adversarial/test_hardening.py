"""Docker-free checks of the fixes the adversarial corpus led to: the predict driver's
supervisor and conversion, the sandbox's clean-up of writable mounts, and how rejected
predictions are shown. The corpus (test_corpus.py) checks the same things end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graders.metrics import get_metric
from graders.predictions import MAX_PREDICTIONS_BYTES, check_predictions
from harness.pipeline import DRIVER_DIR
from sandbox.docker_backend import describe_removed, remove_unsafe_entries
from tests.fakes import load_predict_driver

DRIVER = DRIVER_DIR / "predict_driver.py"


predict_driver = load_predict_driver("predict_driver")

# -- the driver's conversion of what predict() returns ------------------------------------


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (np.zeros(10_000_000), "predict() returned 10000000 values for 3 rows"),
        (iter(lambda: 0.5, None), "predict() returned more than 3 values for 3 rows"),
        (np.zeros((3, 2)), "predict() returned a 2-D result; return one value per row"),
        (np.float64(0.5), "predict() returned a single value; return one value per row"),
        (None, "predict() returned NoneType, not an array-like"),
        ("0.5", "predict() returned str, not an array-like"),
        (pd.Series([0.5] * 4, index=list("abcd")), "predict() returned 4 values for 3 rows"),
        ([[0.1, 0.2]] * 3, "predict() returned a 2-D result; return one value per row"),
    ],
)
def test_bad_returns_fail_with_the_reason_before_any_copy(returned: object, message: str) -> None:
    with pytest.raises(predict_driver.StageError) as raised:
        predict_driver._as_list(returned, 3, "predict")
    assert raised.value.stage == "predict"
    assert raised.value.message == message


class Hostile:
    def __len__(self) -> int:
        raise ZeroDivisionError("boom")


def test_a_hostile_object_is_a_stage_error_not_a_driver_crash() -> None:
    with pytest.raises(predict_driver.StageError, match="cannot be read: ZeroDivisionError"):
        predict_driver._as_list(Hostile(), 3, "predict")


def test_good_returns_keep_ids_only_for_an_id_indexed_series() -> None:
    Converted = predict_driver.Converted
    assert predict_driver._as_list(np.full((3, 1), 0.5), 3, "predict") == Converted([0.5] * 3)
    series = pd.Series([0.1, 0.2, 0.3], index=["C3", "C1", "C2"])
    assert predict_driver._as_list(series, 3, "predict") == Converted(
        [0.1, 0.2, 0.3], ["C3", "C1", "C2"]
    )
    assert predict_driver._as_list((x for x in [1, 2, 3]), 3, "predict") == Converted([1, 2, 3])


def test_the_driver_and_the_host_agree_on_the_predictions_cap() -> None:
    assert predict_driver.MAX_PREDICTIONS_BYTES == MAX_PREDICTIONS_BYTES
    with pytest.raises(predict_driver.StageError, match="would be larger than 67108864 bytes"):
        predict_driver._predictions_csv("id", list(range(3000)), ["0." + "5" * 25_000] * 3000)


# -- the driver end to end, on the host -----------------------------------------------------


PREDICT_MODULE = """
import atexit, os, sys
MODE = os.environ["MODE"]
OUTPUT = os.environ["OUTPUT"]
atexit.register(lambda: open(os.path.join(OUTPUT, "timings.json"), "w").write('{"forged": 1}'))
def load(model_dir):
    if MODE == "exit0":
        os._exit(0)
    if MODE == "sigkill":
        os.kill(os.getpid(), 9)
    if MODE == "systemexit":
        raise SystemExit(0)
    return 0.5
def predict(model, frame):
    return [model] * len(frame)
"""


def run_driver(tmp_path: Path, mode: str) -> tuple[int, Path]:
    submission, output, model = tmp_path / "submission", tmp_path / "output", tmp_path / "model"
    for directory in (submission, output, model):
        directory.mkdir()
    (submission / "predict.py").write_text(PREDICT_MODULE)
    features = tmp_path / "features.csv"
    features.write_text("customer_id,a\nC1,1\nC2,2\nC3,3\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("host file\n")
    # Links planted where the driver writes: it must replace them, never write through them.
    for name in ("predictions.csv", "timings.json", ".predictions.csv.driver-tmp"):
        (output / name).symlink_to(victim)
    command = [
        sys.executable, str(DRIVER),
        "--submission", str(submission), "--predict-module", "predict.py",
        "--model-dir", str(model), "--features", str(features),
        "--id-column", "customer_id", "--output", str(output),
        "--latency-samples", "3", "--warmup", "1",
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        env={**os.environ, "MODE": mode, "OUTPUT": str(output)},
        capture_output=True,
        timeout=120,
    )
    assert victim.read_text() == "host file\n"
    return completed.returncode, output


def test_the_driver_writes_fresh_files_and_skips_exit_hooks(tmp_path: Path) -> None:
    code, output = run_driver(tmp_path, "ok")
    assert code == 0
    for name in ("predictions.csv", "timings.json"):
        assert (output / name).is_file() and not (output / name).is_symlink()
    assert (output / "predictions.csv").read_text().splitlines() == [
        "customer_id,prediction",
        "C1,0.5",
        "C2,0.5",
        "C3,0.5",
    ]
    timings = json.loads((output / "timings.json").read_text())
    assert "forged" not in timings and timings["latency_ms"]["n"] == 3


@pytest.mark.parametrize(
    ("mode", "code", "error"),
    [
        (
            "exit0",
            3,
            "predict.py ended the process (exit status 0) before the driver finished",
        ),
        ("sigkill", 137, "the process was killed by SIGKILL before the driver finished"),
        ("systemexit", 3, "SystemExit: 0"),
    ],
)
def test_a_process_that_ends_early_gets_a_driver_error_naming_the_step(
    tmp_path: Path, mode: str, code: int, error: str
) -> None:
    returned, output = run_driver(tmp_path, mode)
    assert returned == code
    report = json.loads((output / "driver_error.json").read_text())
    assert report["stage"] == "load"
    assert error in report["error"]
    assert not (output / "predictions.csv").exists()
    assert not (output / "timings.json").exists()


# -- the sandbox's clean-up of writable mounts ----------------------------------------------


def test_unsafe_entries_are_removed_and_named(tmp_path: Path) -> None:
    root = tmp_path / "model"
    (root / "sub").mkdir(parents=True)
    (root / "model.json").write_text("{}")
    (root / "current.json").symlink_to("model.json")
    (root / "sub" / "up").symlink_to("..")
    (root / "dangling").symlink_to("not-yet.json")
    (root / "shadow").symlink_to("/etc/shadow")
    (root / "absolute-inside").symlink_to(root / "model.json")
    (root / "chain").symlink_to("sub/up/../../outside.txt")
    os.mkfifo(root / "sub" / "pipe")
    removed = remove_unsafe_entries(root)
    assert removed == [
        "'absolute-inside' -> " + repr(str(root / "model.json")),
        "'chain' -> 'sub/up/../../outside.txt'",
        "'shadow' -> '/etc/shadow'",
        "'sub/pipe' (fifo)",
    ]
    assert sorted(path.name for path in root.rglob("*")) == [
        "current.json",
        "dangling",
        "model.json",
        "sub",
        "up",
    ]
    assert describe_removed("/model", removed, shown=2) == (
        "removed 4 unsafe entries from /model (links out of it, fifos, sockets): "
        + ", ".join(removed[:2])
        + ", and 2 more"
    )
    assert describe_removed("/model", []) == ""


# -- how rejected predictions are shown -----------------------------------------------------


def test_rejected_values_are_shown_as_written(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("customer_id,prediction\nC1,0.1\nC2,nan\nC3,0.3\n")
    result = check_predictions(
        path, pd.Series(["C1", "C2", "C3"]), "customer_id", get_metric("roc_auc")
    )
    assert result.reason == "1 predictions are missing or not numeric, e.g. nan"


def test_ranking_rows_become_space_separated_ids() -> None:
    ranked = predict_driver._as_list(
        [["D1", "D2"], ("D3",), np.array(["D4", "D5"])], 3, "predict", ranking=True
    )
    assert ranked.values == ["D1 D2", "D3", "D4 D5"]
    matrix = predict_driver._as_list(np.array([[1, 2], [3, 4], [5, 6]]), 3, "predict", ranking=True)
    assert matrix.values == ["1 2", "3 4", "5 6"]
    frame = pd.DataFrame({"prediction": [["A"], ["B", "C"], []]})
    assert predict_driver._as_list(frame, 3, "predict", ranking=True).values == ["A", "B C", ""]


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ([["D 1"], ["D2"], ["D3"]], "document id 'D 1' is empty or contains whitespace"),
        ([["D1"], 5, ["D3"]], "predict() returned int for a query"),
        ([[f"D{i}" for i in range(101)]] * 3, "more than 100 ranked ids"),
    ],
)
def test_bad_rankings_name_the_problem(returned: object, message: str) -> None:
    with pytest.raises(predict_driver.StageError, match=re.escape(message)):
        predict_driver._as_list(returned, 3, "predict", ranking=True)


def test_a_frame_with_prediction_and_flagged_keeps_the_flags() -> None:
    frame = pd.DataFrame({"prediction": [1.5, float("nan"), 2.0], "flagged": [False, True, 0]})
    converted = predict_driver._as_list(frame, 3, "predict")
    assert converted.flags == [0, 1, 0]
    assert converted.values[0] == 1.5
    csv_bytes = predict_driver._predictions_csv(
        "id", ["a", "b", "c"], converted.values, converted.flags
    )
    assert csv_bytes.decode().splitlines() == [
        "id,prediction,flagged",
        "a,1.5,0",
        "b,nan,1",
        "c,2.0,0",
    ]
    with pytest.raises(predict_driver.StageError, match="the 'flagged' column holds 'maybe'"):
        predict_driver._as_list(
            pd.DataFrame({"prediction": [1.0] * 3, "flagged": ["maybe"] * 3}), 3, "predict"
        )
    with pytest.raises(predict_driver.StageError, match="columns 'prediction' and"):
        predict_driver._as_list(pd.DataFrame({"a": [1] * 3, "b": [2] * 3}), 3, "predict")
