"""The adversarial submission corpus, graded against the real Docker engine.

Each directory under ``cases/`` is one hostile submission with ``expected.yaml`` next to it:
what it does (``description``) and the outcome it must end with (``expect``). Archive cases
hold only ``expected.yaml``; their archive is built at test time from its ``archive`` section,
so no binary blobs live in git. Files a case must carry under a name that is dangerous inside
this repository (a ``conftest.py``) are stored as ``*.planted`` and renamed by ``plant``.

All cases, plus copies of the challenge's baseline and reference solutions, are graded in ONE
``grade_batch`` call with tight limits (the baseline first, the reference last: a batch full
of hostile submissions must still grade normal ones normally). Every case then gets its own
parametrized test; the batch-wide tests check the host: no container, volume, workspace or
temporary directory left behind, nothing written outside, host files untouched.

Expectation keys (all optional except ``result_status``)::

    result_status           graded | failed | rejected | unsupported
    message_contains        substrings of the result's one-line message
    phases                  exact names of the phases that ran
    phase                   the phase the next keys describe
    phase_status            ok | error | timeout | oom | output_limit
    phase_message_contains / phase_message_excludes, log_contains / log_excludes
    exit_code, output_truncated, peak_memory_mb_at_most, cpu_s_at_least, phase_wall_at_most
    log_number_below        {log prefix: bound} for a number printed after the prefix
    score                   0, or ">0"; metric: the challenge metric's value
    same_score_as           another case (or normal-*) whose total_score this one must equal
    predictions_rejected_contains   why the correctness grader rejected the predictions
    report                  {phases, min_attempts, must_include}: the case prints
                            ``CASE-REPORT {"attempts": {...}}``; every attempt must have failed
    host_paths_absent       host paths the case tries to create
    timings_exclude_keys, latency_p50_ms_at_least, published_predictions_exclude
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from challenges.data import prepare_data
from challenges.loader import Challenge
from harness import pipeline
from harness.result import ResultStatus, SubmissionResult
from sandbox.base import PhaseLimits, PhaseResult
from sandbox.docker_backend import LABEL_OWNER_PID

pytestmark = pytest.mark.docker

CASES_DIR = Path(__file__).resolve().parent / "cases"
REPORT_PREFIX = "CASE-REPORT "
NORMAL = {"normal-baseline": "solutions/baseline", "normal-reference": "solutions/reference"}
# Paths hostile cases try to create on the host; none may exist before or after the batch.
HOST_MARKERS = (
    Path("/tmp/pwned-by-candidate"),
    Path("/tmp/pwned-by-pickle"),
    Path("/etc/cron.d/pwned"),
)
TRAIN_LIMITS = PhaseLimits(
    # Tight, but with room for the normal reference solution to train on a cold machine
    # (CI runs this batch first, right after the engine starts): ~3 s warm, far more cold.
    wall_time_s=40,
    memory_mb=512,
    cpus=1.0,
    pids=64,
    output_bytes=200_000,
    tmpfs_mb=32,
    file_size_mb=16,
)
PREDICT_LIMITS = TRAIN_LIMITS.model_copy(update={"wall_time_s": 12, "file_size_mb": 100})
MODEL_DIR_MB = 64
DEADLINE_SLACK_S = 5.0


@dataclass(frozen=True)
class Case:
    """One corpus directory: its name, files and declared outcome."""

    name: str
    directory: Path
    description: str
    expect: dict[str, Any]
    archive: dict[str, Any] | None = None
    plant: dict[str, str] = field(default_factory=dict)


EXPECT_KEYS = frozenset(
    {
        "result_status", "message_contains", "phases", "phase", "phase_status",
        "phase_message_contains", "phase_message_excludes", "log_contains", "log_excludes",
        "exit_code", "output_truncated", "peak_memory_mb_at_most", "cpu_s_at_least",
        "phase_wall_at_most", "log_number_below", "score", "metric", "same_score_as",
        "predictions_rejected_contains", "report", "host_paths_absent",
        "timings_exclude_keys", "latency_p50_ms_at_least", "published_predictions_exclude",
    }
)  # fmt: skip


def load_cases() -> list[Case]:
    cases = []
    for expected in sorted(CASES_DIR.glob("*/expected.yaml")):
        spec = yaml.safe_load(expected.read_text(encoding="utf-8"))
        unknown = set(spec["expect"]) - EXPECT_KEYS
        if unknown:  # a misspelt key would silently check nothing
            raise ValueError(f"{expected}: unknown expectation keys {sorted(unknown)}")
        cases.append(
            Case(
                name=expected.parent.name,
                directory=expected.parent,
                description=" ".join(str(spec["description"]).split()),
                expect=spec["expect"],
                archive=spec.get("archive"),
                plant=spec.get("plant", {}),
            )
        )
    return cases


CASES = load_cases()


# -- building the submissions -------------------------------------------------------------


def copy_case(case: Case, destination: Path) -> Path:
    """The case's files minus expected.yaml, with planted files under their real names."""
    planted_sources = set(case.plant.values())
    shutil.copytree(
        case.directory,
        destination,
        ignore=lambda directory, names: [
            name
            for name in names
            if name == "expected.yaml"
            or (Path(directory) / name).relative_to(case.directory).as_posix() in planted_sources
        ],
    )
    for target, source in case.plant.items():
        (destination / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case.directory / source, destination / target)
    return destination


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = b"\0" * count
        self.left -= count
        return count


def _expand(members: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for member in members:
        if member["type"] == "many":
            for index in range(member["count"]):
                yield {"name": member["name"].format(index=index), "type": "file", "text": ""}
        else:
            yield member


def build_archive(spec: dict[str, Any], path: Path) -> Path:
    """Write the archive an ``archive:`` section describes (tar, tar.gz or zip)."""
    members = list(_expand(spec["members"]))
    if spec["format"] == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            for member in members:
                info = zipfile.ZipInfo(member["name"])
                info.create_system = 3
                info.compress_type = zipfile.ZIP_DEFLATED
                kind = member["type"]
                if kind == "file":
                    info.external_attr = 0o100644 << 16
                    bundle.writestr(info, member["text"])
                elif kind == "symlink":
                    info.external_attr = 0o120777 << 16
                    bundle.writestr(info, member["target"])
                elif kind == "zeros":
                    info.external_attr = 0o100644 << 16
                    with bundle.open(info, "w", force_zip64=True) as handle:
                        block = b"\0" * 2**20
                        for _ in range(member["size_mb"]):
                            handle.write(block)
                else:
                    raise ValueError(f"zip member type {kind!r} is not supported")
        return path
    mode = "w:gz" if spec["format"] == "tar.gz" else "w"
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as bundle:
        for member in members:
            info = tarfile.TarInfo(member["name"])
            info.mtime = 1_700_000_000
            kind = member["type"]
            if kind == "file":
                data = member["text"].encode()
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))
            elif kind == "zeros":
                info.size = member["size_mb"] * 2**20
                bundle.addfile(info, io.BufferedReader(_Zeros(info.size)))
            else:
                info.type = {
                    "symlink": tarfile.SYMTYPE,
                    "hardlink": tarfile.LNKTYPE,
                    "chardev": tarfile.CHRTYPE,
                    "fifo": tarfile.FIFOTYPE,
                    "dir": tarfile.DIRTYPE,
                }[kind]
                info.linkname = member.get("target", "")
                info.devmajor, info.devminor = member.get("major", 0), member.get("minor", 0)
                bundle.addfile(info)
    return path


def build_source(case: Case, root: Path) -> str:
    if case.archive is not None:
        suffix = {"zip": ".zip", "tar.gz": ".tar.gz", "tar": ".tar"}[case.archive["format"]]
        return str(build_archive(case.archive, root / f"{case.name}{suffix}"))
    return str(copy_case(case, root / case.name))


def corpus_variant(challenge: Challenge) -> Challenge:
    """The challenge with tight limits, so hostile cases hit them fast, graded by correctness
    alone, so the expected scores do not move when the challenge gains graders."""
    spec = challenge.spec
    limits = spec.limits.model_copy(update={"train": TRAIN_LIMITS, "predict": PREDICT_LIMITS})
    # Fewer timed calls: the normal reference's predict phase stays far inside the 12 s
    # limit on a loaded machine (the driver times more calls when the CPU is contended).
    contract = spec.contract.model_copy(
        update={"model_dir_mb": MODEL_DIR_MB, "latency_samples": 50, "warmup_calls": 2}
    )
    graders = [grader for grader in spec.graders if grader.name == "correctness"]
    update = {"limits": limits, "contract": contract, "graders": graders}
    return challenge.model_copy(update={"spec": spec.model_copy(update=update)})


# -- observing the host --------------------------------------------------------------------


def fingerprint(paths: list[Path]) -> dict[str, tuple[str, int, int, int]]:
    """Content hash, mtime, mode and owner of host files a hostile case might touch."""
    prints = {}
    for path in paths:
        if path.is_file():
            info = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            prints[str(path)] = (digest, info.st_mtime_ns, info.st_mode, info.st_uid)
    return prints


def temporary_leftovers() -> set[str]:
    return {
        name
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith((".ingest-", "harness-", "worksample-"))
    }


@dataclass
class Batch:
    """Everything the batch produced and what the host looked like around it."""

    results: dict[str, SubmissionResult]
    session: pipeline.GradingSession
    out_dir: Path
    wall_s: float
    work_root_after_batch: list[str]
    work_root_exists_after_close: bool
    own_containers_after: list[str]
    new_dangling_volumes: set[str]
    host_before: dict[str, tuple[str, int, int, int]]
    host_after: dict[str, tuple[str, int, int, int]]
    temporary_before: set[str]
    temporary_after: set[str]
    bridge_gateway: str | None


@pytest.fixture(scope="module")
def batch(
    docker_sandbox: Any,
    runtime_image: str,
    churn_challenge: Challenge,
    tmp_path_factory: pytest.TempPathFactory,
) -> Batch:
    for marker in HOST_MARKERS:
        assert not marker.exists(), f"{marker} exists before the corpus ran; remove it first"
    data = prepare_data(churn_challenge)
    watched = [
        Path("/etc/passwd"),
        Path("/etc/shadow"),
        Path("/etc/hosts"),
        Path("/etc/hostname"),
        pipeline.DRIVER_DIR / "predict_driver.py",
        *sorted(path for path in data.root.rglob("*") if path.is_file()),
    ]
    client = docker_sandbox.client
    dangling_before = {volume.name for volume in client.volumes.list(filters={"dangling": True})}
    host_before, temporary_before = fingerprint(watched), temporary_leftovers()

    sources_root = tmp_path_factory.mktemp("adversarial-sources")
    sources: dict[str, str] = {}
    sources["normal-baseline"] = str(
        shutil.copytree(churn_challenge.path(NORMAL["normal-baseline"]), sources_root / "baseline")
    )
    for case in CASES:
        sources[case.name] = build_source(case, sources_root)
    sources["normal-reference"] = str(
        shutil.copytree(
            churn_challenge.path(NORMAL["normal-reference"]), sources_root / "reference"
        )
    )

    work_root = tmp_path_factory.mktemp("adversarial-work")
    session = pipeline.GradingSession(
        corpus_variant(churn_challenge), data, docker_sandbox, runtime_image, work_root
    )
    out_dir = tmp_path_factory.mktemp("adversarial-out")
    started = time.perf_counter()
    try:
        graded = pipeline.grade_batch(session, list(sources.values()), out_dir)
        wall = time.perf_counter() - started
        # Empty directories may stay until close_session; files, links and scratch may not.
        left_in_work_root = sorted(
            path.relative_to(work_root).as_posix()
            for path in work_root.rglob("*")
            if path.name.startswith(".ingest-") or path.is_symlink() or not path.is_dir()
        )
    finally:
        pipeline.close_session(session)
    by_source = {result.submission.source: result for result in graded}
    own = client.containers.list(all=True, filters={"label": f"{LABEL_OWNER_PID}={os.getpid()}"})
    network = client.networks.get("bridge").attrs.get("IPAM", {}).get("Config") or [{}]
    return Batch(
        results={name: by_source[source] for name, source in sources.items()},
        session=session,
        out_dir=out_dir,
        wall_s=wall,
        work_root_after_batch=left_in_work_root,
        work_root_exists_after_close=work_root.exists(),
        own_containers_after=[container.name for container in own],
        new_dangling_volumes={
            volume.name for volume in client.volumes.list(filters={"dangling": True})
        }
        - dangling_before,
        host_before=host_before,
        host_after=fingerprint(watched),
        temporary_before=temporary_before,
        temporary_after=temporary_leftovers(),
        bridge_gateway=network[0].get("Gateway"),
    )


# -- per-case checks -----------------------------------------------------------------------


def _phase(result: SubmissionResult, name: str) -> PhaseResult:
    for phase in result.phases:
        if phase.name == name:
            return phase
    raise AssertionError(f"no {name} phase ran: {[phase.name for phase in result.phases]}")


def _reports(phase: PhaseResult) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix(REPORT_PREFIX))
        for line in phase.log_tail.splitlines()
        if line.startswith(REPORT_PREFIX)
    ]


def _correctness(result: SubmissionResult) -> Any:
    return next(grade for grade in result.grades if grade.grader == "correctness")


def check_expectations(
    name: str, expect: dict[str, Any], result: SubmissionResult, batch: Batch
) -> list[str]:
    """Every way ``result`` differs from ``expect``, as readable problems."""
    problems: list[str] = []

    def require(condition: bool, problem: str) -> None:
        if not condition:
            problems.append(problem)

    require(
        result.status.value == expect["result_status"],
        f"status {result.status.value!r} ({result.message!r}), expected {expect['result_status']!r}",
    )
    for text in expect.get("message_contains", []):
        require(text in result.message, f"message {result.message!r} lacks {text!r}")
    if "phases" in expect:
        names = [phase.name for phase in result.phases]
        require(names == expect["phases"], f"phases {names}, expected {expect['phases']}")
    if "phase" in expect:
        phase = _phase(result, expect["phase"])
        where = f"{phase.name} phase"
        if "phase_status" in expect:
            require(
                phase.status.value == expect["phase_status"],
                f"{where} status {phase.status.value!r} ({phase.message!r}), "
                f"expected {expect['phase_status']!r}; log: {phase.log_tail[-600:]!r}",
            )
        for text in expect.get("phase_message_contains", []):
            require(text in phase.message, f"{where} message {phase.message!r} lacks {text!r}")
        for text in expect.get("phase_message_excludes", []):
            require(text not in phase.message, f"{where} message {phase.message!r} has {text!r}")
        for text in expect.get("log_contains", []):
            require(
                text in phase.log_tail, f"{where} log lacks {text!r}: {phase.log_tail[-600:]!r}"
            )
        for text in expect.get("log_excludes", []):
            require(text not in phase.log_tail, f"{where} log contains {text!r}")
        if "exit_code" in expect:
            require(phase.exit_code == expect["exit_code"], f"{where} exit {phase.exit_code}")
        if "output_truncated" in expect:
            require(
                phase.output_truncated == expect["output_truncated"],
                f"{where} output_truncated {phase.output_truncated}",
            )
        if "peak_memory_mb_at_most" in expect:
            require(
                phase.peak_memory_mb is not None
                and phase.peak_memory_mb <= expect["peak_memory_mb_at_most"],
                f"{where} peak memory {phase.peak_memory_mb} MB",
            )
        if "cpu_s_at_least" in expect:
            require((phase.cpu_s or 0) >= expect["cpu_s_at_least"], f"{where} cpu {phase.cpu_s} s")
        if "phase_wall_at_most" in expect:
            require(phase.wall_s <= expect["phase_wall_at_most"], f"{where} took {phase.wall_s} s")
        for prefix, bound in expect.get("log_number_below", {}).items():
            lines = [line for line in phase.log_tail.splitlines() if line.startswith(prefix)]
            require(
                bool(lines) and int(lines[-1].removeprefix(prefix).split()[0]) < bound,
                f"{where}: expected '{prefix}<n>' with n < {bound}, got {lines}",
            )
    if "score" in expect:
        wanted = expect["score"]
        if wanted == ">0":
            require(result.total_score > 0, f"total_score {result.total_score}, expected > 0")
        else:
            require(result.total_score == wanted, f"total_score {result.total_score} != {wanted}")
    if "metric" in expect:
        value = result.metrics.get(result.challenge.metric)
        require(
            value is not None and value == pytest.approx(expect["metric"], abs=1e-9),
            f"{result.challenge.metric} {value}, expected {expect['metric']}",
        )
    if "same_score_as" in expect:
        other = batch.results[expect["same_score_as"]]
        require(
            result.total_score == other.total_score
            and result.metrics.get(result.challenge.metric)
            == other.metrics.get(other.challenge.metric),
            f"total_score {result.total_score} differs from {expect['same_score_as']}'s "
            f"{other.total_score}",
        )
    if "predictions_rejected_contains" in expect:
        grade = _correctness(result)
        rejected = str(grade.details.get("rejected", ""))
        require(
            expect["predictions_rejected_contains"] in rejected and grade.score == 0,
            f"correctness: {grade.summary!r}, expected a rejection with "
            f"{expect['predictions_rejected_contains']!r}",
        )
    if "report" in expect:
        report = expect["report"]
        for phase_name in report["phases"]:
            reports = _reports(_phase(result, phase_name))
            if not reports:
                problems.append(f"{phase_name} phase printed no {REPORT_PREFIX.strip()} line")
                continue
            attempts: dict[str, str] = reports[-1]["attempts"]
            require(
                len(attempts) >= report.get("min_attempts", 1),
                f"{phase_name}: only {len(attempts)} attempts reported",
            )
            succeeded = {
                key: value for key, value in attempts.items() if not value.startswith("failed")
            }
            require(not succeeded, f"{phase_name}: attempts that did not fail: {succeeded}")
            for key in report.get("must_include", []):
                require(key in attempts, f"{phase_name}: attempt {key!r} not reported")
            if report.get("must_include_bridge_gateway") and batch.bridge_gateway:
                require(
                    any(key.startswith(f"tcp {batch.bridge_gateway}:") for key in attempts),
                    f"{phase_name}: the bridge gateway {batch.bridge_gateway} was not tried",
                )
    for marker in expect.get("host_paths_absent", []):
        require(not Path(marker).exists(), f"{marker} exists on the host")
    for key in expect.get("timings_exclude_keys", []):
        require(key not in result.timings, f"timings carry the forged key {key!r}")
    if "latency_p50_ms_at_least" in expect:
        latency = result.timings.get("latency_ms") or {}
        require(
            (latency.get("p50") or 0) >= expect["latency_p50_ms_at_least"],
            f"latency p50 {latency.get('p50')} ms (forged?)",
        )
    published = batch.out_dir / result.submission.id / "predictions.csv"
    for text in expect.get("published_predictions_exclude", []):
        require(
            not published.is_file() or text not in published.read_text(errors="replace"),
            f"the published predictions.csv contains {text!r}",
        )
    return problems


def check_invariants(result: SubmissionResult, batch: Batch) -> list[str]:
    """What must hold for every submission, hostile or not."""
    problems = []
    if result.status is ResultStatus.harness_error:
        problems.append(f"harness_error: {result.message}\n{result.error}")
    document = batch.out_dir / result.submission.id / "result.json"
    if not document.is_file():
        problems.append(f"{document} was not written")
    else:
        written = json.loads(document.read_text(encoding="utf-8"))
        if (written["status"], written["total_score"]) != (result.status.value, result.total_score):
            problems.append(f"result.json says {written['status']}/{written['total_score']}")
    limits = batch.session.challenge.spec.limits
    for phase in result.phases:
        limit = getattr(limits, phase.name).wall_time_s
        if phase.wall_s > limit + DEADLINE_SLACK_S:
            problems.append(f"{phase.name} ran {phase.wall_s} s past its {limit} s limit")
        if phase.overhead_s > 30:
            problems.append(f"{phase.name} sandbox overhead {phase.overhead_s} s")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_ends_as_declared(case: Case, batch: Batch) -> None:
    result = batch.results[case.name]
    problems = check_invariants(result, batch) + check_expectations(
        case.name, case.expect, result, batch
    )
    assert not problems, f"{case.name} ({case.description}):\n- " + "\n- ".join(problems)


# -- the batch as a whole ------------------------------------------------------------------


def test_the_corpus_is_large_and_each_case_distinct(batch: Batch) -> None:
    assert len(CASES) >= 30
    ids = [result.submission.id for result in batch.results.values()]
    assert len(set(ids)) == len(ids), "two submissions share an id: their outputs would collide"


def test_normal_submissions_in_the_same_batch_are_graded_normally(batch: Batch) -> None:
    thresholds = batch.session.challenge.spec.thresholds
    baseline, reference = batch.results["normal-baseline"], batch.results["normal-reference"]
    assert baseline.status is ResultStatus.graded, baseline.message
    assert baseline.metrics["roc_auc"] == pytest.approx(0.5)
    assert baseline.total_score == 0.0
    assert reference.status is ResultStatus.graded, reference.message
    value = reference.metrics["roc_auc"]
    assert value is not None and value >= thresholds.target
    assert reference.total_score == 100.0
    for result in (baseline, reference):
        assert check_invariants(result, batch) == []


def test_no_container_or_volume_is_left_behind(batch: Batch) -> None:
    # Only this process's containers: other test runs may share the engine.
    assert batch.own_containers_after == []
    assert batch.new_dangling_volumes == set()


def test_no_workspace_or_temporary_directory_is_left_behind(batch: Batch) -> None:
    assert batch.work_root_after_batch == []
    assert not batch.work_root_exists_after_close
    assert batch.temporary_after - batch.temporary_before == set()


def test_nothing_is_written_on_the_host(batch: Batch) -> None:
    for marker in HOST_MARKERS:
        assert not marker.exists(), f"a candidate created {marker} on the host"
    assert batch.host_after == batch.host_before


def summary(name: str, result: SubmissionResult) -> str:
    """One line per submission: status, the phase that decided it, and why (``pytest -s``)."""
    phase = next((p for p in result.phases if p.status.value != "ok"), None)
    phase = phase or (result.phases[-1] if result.phases else None)
    where = f"{phase.name}:{phase.status.value}" if phase else "-"
    grade = next((g for g in result.grades if g.grader == "correctness"), None)
    why = (
        result.message
        if result.status is not ResultStatus.graded
        else (grade.summary if grade else "")
    )
    return f"{name:32} {result.status.value:9} {where:20} {result.total_score:6.1f}  {why[:150]}"


def test_the_corpus_runs_in_minutes(batch: Batch) -> None:
    print(f"\nadversarial corpus: {len(batch.results)} submissions in {batch.wall_s:.0f} s")
    for name, result in batch.results.items():
        print(summary(name, result))
    # A guard against a hang, not a speed target (bench/ measures speed): each phase has
    # its own deadline, checked per submission by check_invariants.
    assert batch.wall_s < 1800
