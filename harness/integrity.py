"""Integrity evidence: what a submission tried, and how alike submissions are.

Per submission (in ``result.json``): network attempts seen in its output (the
sandbox has no network, so they fail — but an attempt is worth knowing about),
limits it hit, suspicious files it shipped, and outputs it forged. Across a batch
(``similarity.json`` and the index): the most similar pairs of submissions by
code and by writeup, for a person to look at. Nothing here is a verdict.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tokenize
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from sandbox.base import PhaseResult, PhaseStatus

SIGNATURE_SIZE = 128
SHINGLE = 5
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(20240611)
_A = _RNG.integers(1, _PRIME, SIGNATURE_SIZE, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, SIGNATURE_SIZE, dtype=np.uint64)
MAX_SCANNED_BYTES = 4 * 2**20
DRIVER_OUTPUTS = frozenset({"predictions.csv", "timings.json", "driver_error.json"})

NETWORK_PATTERNS = {
    "Network is unreachable": "connection attempt (network unreachable)",
    "Temporary failure in name resolution": "DNS lookup",
    "Name or service not known": "DNS lookup",
    "getaddrinfo failed": "DNS lookup",
    "Connection refused": "connection attempt (refused)",
    "No route to host": "connection attempt (no route)",
}
FORGED_LOG_PATTERNS = (
    re.compile(r"^\s*(?:=+\s*)?\d+\s+passed\b", re.IGNORECASE),
    re.compile(r"\bALL TESTS PASSED\b", re.IGNORECASE),
    re.compile(r"^\s*PASSED\b"),
    re.compile(r"\b(?:final|total)?\s*score\s*[:=]\s*\d", re.IGNORECASE),
    re.compile(r"\b(?:roc_auc|auc|accuracy)\s*[:=]\s*(?:0\.9\d|1\.0)", re.IGNORECASE),
)
SUSPICIOUS_NAMES = {
    "result.json": "a file named like the harness's result",
    "results.json": "a file named like a grading result",
    "labels.csv": "a file named like the hidden labels",
    "data_card.json": "a file named like the hidden data card",
    "conftest.py": "a conftest.py (can change how tests report)",
    "sitecustomize.py": "sitecustomize.py (runs at every interpreter start)",
    "usercustomize.py": "usercustomize.py (runs at every interpreter start)",
}
SUSPICIOUS_SUFFIXES = {
    ".pkl": "a pickled object shipped with the code",
    ".pickle": "a pickled object shipped with the code",
    ".joblib": "a serialised model shipped with the code (was it trained here?)",
    ".so": "a compiled extension",
    ".pth": "a .pth file (runs code at interpreter start)",
}


class IntegrityReport(BaseModel):
    """Integrity evidence for one submission; each entry is a sentence an assessor can check."""

    network_attempts: list[str] = Field(
        default_factory=list, description="Network use seen in the output (all blocked)."
    )
    limits_hit: list[str] = Field(
        default_factory=list, description="Sandbox limits the submission ran into."
    )
    suspicious_files: list[str] = Field(
        default_factory=list, description="Files worth a look, with why."
    )
    forged_outputs: list[str] = Field(
        default_factory=list, description="Attempts to plant or print results."
    )
    fingerprints: dict[str, list[int]] = Field(
        default_factory=dict,
        description="MinHash signatures of the code and the writeup, for similarity.",
    )

    def notes(self) -> list[str]:
        """Everything but the fingerprints, as integrity flags."""
        return [
            *(f"integrity: network: {item}" for item in self.network_attempts),
            *(f"integrity: limit: {item}" for item in self.limits_hit),
            *(f"integrity: file: {item}" for item in self.suspicious_files),
            *(f"integrity: forged output: {item}" for item in self.forged_outputs),
        ]


def network_attempts(phases: Sequence[PhaseResult]) -> list[str]:
    found = []
    for phase in phases:
        for pattern, meaning in NETWORK_PATTERNS.items():
            if pattern in phase.log_tail:
                found.append(f"{meaning} in the {phase.name} phase ({pattern!r} in its output)")
    return sorted(set(found))


def limits_hit(phases: Sequence[PhaseResult]) -> list[str]:
    hit = []
    for phase in phases:
        if phase.status in (PhaseStatus.timeout, PhaseStatus.oom, PhaseStatus.output_limit):
            hit.append(f"{phase.name}: {phase.status.value}: {phase.message}")
        elif "Resource temporarily unavailable" in phase.log_tail:
            hit.append(f"{phase.name}: the process limit refused new processes or threads")
        elif "No space left on device" in phase.log_tail or "File too large" in phase.log_tail:
            hit.append(f"{phase.name}: a disk or file-size limit stopped a write")
    return hit


def forged_in_logs(phases: Sequence[PhaseResult]) -> list[str]:
    found = []
    for phase in phases:
        if phase.name == "tests":
            continue  # pytest's own summary lines are expected there
        for line in phase.log_tail.splitlines():
            if any(pattern.search(line) for pattern in FORGED_LOG_PATTERNS):
                found.append(
                    f"{phase.name} printed {line.strip()[:120]!r} (ignored: results come from the harness)"
                )
                break
    return found


def unexpected_outputs(output_dir: Path) -> list[str]:
    """Files in the predict output directory the driver did not write."""
    if not output_dir.is_dir():
        return []
    return [
        f"{entry.name!r} written into the harness's output directory (ignored)"
        for entry in sorted(output_dir.iterdir())
        if entry.name not in DRIVER_OUTPUTS and not entry.name.endswith(".tmp")
    ]


def suspicious_files(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found.append(f"{relative}: a symbolic link")
            continue
        if not path.is_file():
            continue
        reason = SUSPICIOUS_NAMES.get(path.name.lower()) or SUSPICIOUS_SUFFIXES.get(
            path.suffix.lower()
        )
        if reason:
            found.append(f"{relative}: {reason}")
            continue
        with path.open("rb") as handle:
            if handle.read(4) == b"\x7fELF":
                found.append(f"{relative}: a compiled executable")
    return found


def _shingles(tokens: Sequence[str]) -> set[bytes]:
    if len(tokens) < SHINGLE:
        return {" ".join(tokens).encode()} if tokens else set()
    return {
        " ".join(tokens[index : index + SHINGLE]).encode()
        for index in range(len(tokens) - SHINGLE + 1)
    }


def signature(shingles: Iterable[bytes]) -> list[int]:
    """MinHash signature: the estimated Jaccard similarity of two sets is the share of equal slots."""
    values = np.array(
        [
            int.from_bytes(hashlib.blake2b(shingle, digest_size=7).digest(), "big")
            for shingle in shingles
        ],
        dtype=np.uint64,
    )
    if values.size == 0:
        return []
    with np.errstate(over="ignore"):
        hashed = (np.outer(values, _A) + _B) % np.uint64(_PRIME)
    return [int(value) for value in hashed.min(axis=0)]


def code_tokens(root: Path) -> list[str]:
    """Python tokens of every .py file, comments and layout dropped."""
    tokens: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path.is_symlink() or path.stat().st_size > MAX_SCANNED_BYTES:
            continue
        source = path.read_bytes()
        try:
            for token in tokenize.tokenize(io.BytesIO(source).readline):
                if token.type in (
                    tokenize.COMMENT,
                    tokenize.NL,
                    tokenize.NEWLINE,
                    tokenize.INDENT,
                    tokenize.DEDENT,
                    tokenize.ENCODING,
                    tokenize.ENDMARKER,
                ):
                    continue
                tokens.append(token.string)
        except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
            tokens.extend(source.decode("utf-8", errors="replace").split())
    return tokens


def fingerprints(root: Path, writeup: str) -> dict[str, list[int]]:
    path = root / writeup
    words: list[str] = []
    if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_SCANNED_BYTES:
        words = re.findall(r"[a-z0-9]+", path.read_text(encoding="utf-8", errors="replace").lower())
    return {"code": signature(_shingles(code_tokens(root))), "writeup": signature(_shingles(words))}


def estimate(first: Sequence[int], second: Sequence[int]) -> float | None:
    if not first or not second or len(first) != len(second):
        return None
    return float(np.mean(np.array(first) == np.array(second)))


def inspect_submission(
    root: Path, writeup: str, phases: Sequence[PhaseResult], output_dir: Path | None
) -> IntegrityReport:
    """Everything per-submission, read on the host after the containers are gone."""
    return IntegrityReport(
        network_attempts=network_attempts(phases),
        limits_hit=limits_hit(phases),
        suspicious_files=suspicious_files(root),
        forged_outputs=[
            *forged_in_logs(phases),
            *(unexpected_outputs(output_dir) if output_dir else []),
        ],
        fingerprints=fingerprints(root, writeup),
    )


def similar_pairs(
    results: Sequence[Any], threshold: float = 0.5, limit: int = 20
) -> list[dict[str, Any]]:
    """The most similar pairs of a cohort by code or writeup (MinHash estimates), highest first."""
    pairs: list[dict[str, Any]] = []
    for index, first in enumerate(results):
        for second in results[index + 1 :]:
            if first.submission.id == second.submission.id:
                continue
            code = estimate(
                first.integrity.fingerprints.get("code", []),
                second.integrity.fingerprints.get("code", []),
            )
            writeup = estimate(
                first.integrity.fingerprints.get("writeup", []),
                second.integrity.fingerprints.get("writeup", []),
            )
            best = max(value for value in (code, writeup, 0.0) if value is not None)
            if best >= threshold:
                pairs.append(
                    {
                        "first": {"id": first.submission.id, "label": first.submission.label},
                        "second": {"id": second.submission.id, "label": second.submission.label},
                        "code": code,
                        "writeup": writeup,
                    }
                )
    pairs.sort(key=lambda pair: -max(float(pair["code"] or 0.0), float(pair["writeup"] or 0.0)))
    return pairs[:limit]


def write_similarity(results: Sequence[Any], path: Path) -> list[dict[str, Any]]:
    from harness.fsutil import atomic_write_text

    pairs = similar_pairs(results)
    atomic_write_text(
        path, json.dumps({"pairs": pairs, "submissions": len(results)}, indent=2) + "\n"
    )
    return pairs
