"""Integrity evidence and cohort similarity (no Docker)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from harness import integrity
from sandbox.base import PhaseResult, PhaseStatus

MODEL_CODE = """
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier


def fit(frame):
    features = frame.drop(columns=["churned"])
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05)
    model.fit(features, frame["churned"])
    return model


def score(model, frame):
    return model.predict_proba(frame)[:, 1]
"""


def phase(
    name: str, log: str = "", status: PhaseStatus = PhaseStatus.ok, message: str = ""
) -> PhaseResult:
    return PhaseResult(name=name, status=status, log_tail=log, message=message)


def test_network_attempts_are_read_from_the_output() -> None:
    phases = [
        phase("train", "OSError: [Errno 101] Network is unreachable"),
        phase("predict", "socket.gaierror: [Errno -3] Temporary failure in name resolution"),
    ]
    found = integrity.network_attempts(phases)
    assert any("connection attempt" in item and "train" in item for item in found)
    assert any("DNS lookup in the predict phase" in item for item in found)


def test_limits_hit() -> None:
    phases = [
        phase("train", status=PhaseStatus.oom, message="out of memory"),
        phase("predict", "BlockingIOError: [Errno 11] Resource temporarily unavailable"),
    ]
    found = integrity.limits_hit(phases)
    assert found[0] == "train: oom: out of memory"
    assert "process limit" in found[1]


def test_printed_results_are_noted_but_pytest_summaries_are_not() -> None:
    phases = [
        phase("train", "ALL TESTS PASSED\nfinal score: 100"),
        phase("tests", "3 passed in 0.1s"),
    ]
    found = integrity.forged_in_logs(phases)
    assert len(found) == 1 and found[0].startswith("train printed 'ALL TESTS PASSED'")


def test_files_planted_in_the_output_directory(tmp_path: Path) -> None:
    for name in ("predictions.csv", "timings.json", "result.json", "score.txt"):
        (tmp_path / name).write_text("x")
    found = integrity.unexpected_outputs(tmp_path)
    assert [item.split(" ")[0] for item in found] == ["'result.json'", "'score.txt'"]


def test_suspicious_files(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("")
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04.")
    (tmp_path / "tool").write_bytes(b"\x7fELF\x02\x01")
    (tmp_path / "link").symlink_to("conftest.py")
    (tmp_path / "train.py").write_text("print(1)\n")
    found = integrity.suspicious_files(tmp_path)
    assert any(item.startswith("conftest.py:") for item in found)
    assert any(item.startswith("model.pkl: a pickled object") for item in found)
    assert any(item.startswith("tool: a compiled executable") for item in found)
    assert any(item.startswith("link: a symbolic link") for item in found)
    assert not any(item.startswith("train.py") for item in found)


def write(root: Path, code: str, writeup: str) -> Path:
    root.mkdir()
    (root / "train.py").write_text(code)
    (root / "WRITEUP.md").write_text(writeup)
    return root


def test_copied_code_is_similar_even_with_new_comments(tmp_path: Path) -> None:
    original = integrity.fingerprints(
        write(tmp_path / "a", MODEL_CODE, "I cleaned the data."), "WRITEUP.md"
    )
    commented = MODEL_CODE.replace("def fit", "# my own work\ndef fit")
    copy = integrity.fingerprints(
        write(tmp_path / "b", commented, "Something else entirely."), "WRITEUP.md"
    )
    other_code = "import numpy as np\n\nvalues = np.arange(10)\nprint(values.sum() * 2)\n"
    other = integrity.fingerprints(
        write(tmp_path / "c", other_code, "I cleaned the data."), "WRITEUP.md"
    )
    assert integrity.estimate(original["code"], copy["code"]) == 1.0
    assert (integrity.estimate(original["code"], other["code"]) or 0.0) < 0.2
    assert integrity.estimate(original["writeup"], other["writeup"]) == 1.0


def test_similar_pairs_are_listed_highest_first() -> None:
    def result(identifier: str, code: list[int], writeup: list[int]) -> SimpleNamespace:
        return SimpleNamespace(
            submission=SimpleNamespace(id=identifier, label=identifier),
            integrity=SimpleNamespace(fingerprints={"code": code, "writeup": writeup}),
        )

    results = [
        result("a", [1, 2, 3, 4], [1, 1, 1, 1]),
        result("b", [1, 2, 3, 9], [2, 2, 2, 2]),
        result("c", [1, 2, 3, 4], [3, 3, 3, 3]),
    ]
    pairs = integrity.similar_pairs(results)
    assert [(pair["first"]["id"], pair["second"]["id"]) for pair in pairs] == [
        ("a", "c"),
        ("a", "b"),
        ("b", "c"),
    ]
    assert pairs[0]["code"] == 1.0 and pairs[1]["code"] == 0.75
