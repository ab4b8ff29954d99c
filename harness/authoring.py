"""Authoring challenges: prove one before release, export the candidate kit, scaffold a
new one, and the candidate's own self-check on public data.

Each proof is a small function returning a :class:`CheckResult`, so a test can run one
check at a time; ``validate`` strings them together and adds a calibration table from
grading the challenge's bundled examples in the real sandbox.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from challenges.data import (
    EVAL_FEATURES,
    FEATURES_FILE,
    HIDDEN,
    MANIFEST_FILE,
    PreparedData,
    data_digest,
    generate,
    write_generated,
)
from challenges.loader import (
    CHALLENGE_FILE,
    Challenge,
    format_validation_error,
    load_challenge_file,
)
from challenges.spec import (
    ChallengeSpec,
    ExampleSpec,
    TaskSpec,
)
from harness.config import CHALLENGES_PATH_ENV, bundled_challenges_dir, harness_home
from harness.errors import ChallengeError, HarnessError
from harness.fsutil import atomic_directory, remove_tree, sha256_file

Progress = Callable[[str], None]

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DOC = REPO_ROOT / "docs" / "contract.md"
TEMPLATES_DIR = bundled_challenges_dir() / "templates"
STARTER_DIR = "starter"
KIT_DATA_DIR = "data"
KIT_SPEC_FILE = "kit.yaml"
ID_PLACEHOLDER = "__CHALLENGE_ID__"
TITLE_PLACEHOLDER = "__CHALLENGE_TITLE__"
FORBIDDEN_KIT_PARTS = frozenset({HIDDEN, EVAL_FEATURES, "solutions", "examples"})
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
HOLDOUT_FRACTION = 0.2
HOLDOUT_MAX_ROWS = 2000
HOLDOUT_SEED = 20_240_601
"""The same held-out rows whether the self-check runs from a kit or from the challenge."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check, with the reason (and the fix when it failed)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class CalibrationRow:
    """How one bundled example graded, against what its ``expect`` says."""

    example: str
    expect: str
    status: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    credit: float | None
    total_score: float
    met: bool
    reason: str


@dataclass
class ValidationReport:
    """Everything ``harness challenge validate`` found."""

    challenge: str
    checks: list[CheckResult] = field(default_factory=list)
    calibration: list[CalibrationRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenge": self.challenge,
            "ok": self.ok,
            "checks": [asdict(check) for check in self.checks],
            "calibration": [asdict(row) for row in self.calibration],
        }


# -- validate: data ------------------------------------------------------------------------


def _tree_bytes(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every generated file (the manifest itself excluded)."""
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
    }


def _differences(first: dict[str, str], second: dict[str, str]) -> list[str]:
    return sorted(
        name for name in first.keys() | second.keys() if first.get(name) != second.get(name)
    )


def check_spec(challenge: Challenge) -> CheckResult:
    """The spec loads (done by the caller), its graders accept their arguments, and it
    bundles a reference solution to calibrate against."""
    from harness.pipeline import check_graders

    try:
        check_graders(challenge)
    except HarnessError as error:
        return CheckResult("spec", False, error.message, error.hint or "")
    if reference_example(challenge.spec.examples) is None:
        return CheckResult(
            "spec",
            False,
            "no example with `expect: clears_target` to serve as the reference solution",
            "Add the reference under solutions/reference and list it in `examples:`.",
        )
    return CheckResult("spec", True, f"{challenge.spec_file} is valid")


def check_regeneration(challenge: Challenge, cache_root: Path | None = None) -> CheckResult:
    """Generating twice gives byte-identical files, equal to the cached data if present."""
    with tempfile.TemporaryDirectory(prefix="harness-regen-") as scratch:
        first, second = Path(scratch) / "first", Path(scratch) / "second"
        try:
            write_generated(generate(challenge), first)
            write_generated(generate(challenge), second)
        except ChallengeError as error:
            return CheckResult("regeneration", False, error.message, error.hint or "")
        fresh = _tree_bytes(first)
        changed = _differences(fresh, _tree_bytes(second))
        if changed:
            return CheckResult(
                "regeneration",
                False,
                f"two runs of the generator differ in {', '.join(changed)}",
                "Draw every random number from the rng seeded by `seed` (no global random "
                "state, clocks, set/dict ordering of unhashed values or environment lookups).",
            )
        cached = (cache_root or harness_home() / "data") / challenge.id / data_digest(challenge)
        if cached.is_dir():
            changed = _differences(fresh, _tree_bytes(cached))
            if changed:
                return CheckResult(
                    "regeneration",
                    False,
                    f"the cached data at {cached} differs from a fresh run in {', '.join(changed)}",
                    f"Delete {cached} and validate again; if it still differs the generator "
                    "depends on something besides its seed.",
                )
            return CheckResult(
                "regeneration",
                True,
                f"{len(fresh)} files identical across two runs and the cached copy",
            )
        return CheckResult("regeneration", True, f"{len(fresh)} files identical across two runs")


def _read_as_text(path: Path) -> pd.DataFrame:
    # Strings throughout, so the same value written from different dtypes compares equal.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def check_no_overlap(data: PreparedData, task: TaskSpec) -> CheckResult:
    """No hidden row is in the public data: no shared ids and no public row whose
    features (id excluded) exactly equal a hidden evaluation row's (hashed, vectorised)."""
    evaluation = _read_as_text(data.eval_features_file)
    eval_ids = set(evaluation[task.id_column])
    feature_columns = [column for column in evaluation.columns if column != task.id_column]
    eval_hashes = set(pd.util.hash_pandas_object(evaluation[feature_columns], index=False).tolist())
    problems = []
    for path in sorted(data.public_dir.rglob("*.csv")):
        public = _read_as_text(path)
        name = path.relative_to(data.public_dir).as_posix()
        if task.id_column in public.columns:
            shared = eval_ids & set(public[task.id_column])
            if shared:
                examples = ", ".join(sorted(shared)[:3])
                problems.append(f"{name}: {len(shared)} evaluation id(s) also public ({examples})")
        if set(feature_columns) <= set(public.columns):
            hashes = pd.util.hash_pandas_object(public[feature_columns], index=False)
            duplicated = int(hashes.isin(eval_hashes).sum())
            if duplicated:
                problems.append(
                    f"{name}: {duplicated} row(s) with exactly the features of an evaluation row"
                )
    if problems:
        return CheckResult(
            "no overlap",
            False,
            "; ".join(problems),
            "Split the rows before damaging them, and draw ids once for all rows.",
        )
    return CheckResult(
        "no overlap",
        True,
        f"{len(eval_ids)} evaluation rows share no id or feature row with public data",
    )


# -- export --------------------------------------------------------------------------------


def kit_readme(challenge: Challenge) -> str:
    spec = challenge.spec
    return f"""# {spec.title}

Candidate kit for the work sample `{spec.id}` (version {spec.version}).

- `statement.md`: the task. Start here.
- `{KIT_DATA_DIR}/`: the public data (what `train.py` finds in `$DATA_DIR`).
- `docs/contract.md`: exactly how your submission is run and graded.
- `{STARTER_DIR}/`: a starting point, when the challenge provides one.
- `self-check.sh`: runs your submission the way the grader does, on public data only.
- `{KIT_SPEC_FILE}`: what the self-check needs to know about the challenge (the contract,
  limits and packages of the grading sandbox).

## Self-check before you submit

With Docker and the harness installed (`pip install worksample-harness`), from this directory:

```sh
harness check path/to/your/repo --kit .
```

or `sh self-check.sh path/to/your/repo`. The first run builds the grading sandbox's image
(a few minutes). It checks the required files
({", ".join(spec.contract.required_files)}), runs `{spec.contract.train_entrypoint}` in the
same sandbox and limits as grading on {int((1 - HOLDOUT_FRACTION) * 100)}% of the public
training rows, predicts the rest through `{spec.contract.predict_module}`, checks the shape of
the predictions and estimates latency. It prints a pass/fail list with a fix for each failure.
The score it shows for the held-out public rows is a rough guide, not your grade.
"""


def self_check_script(challenge: Challenge) -> str:
    return f"""#!/bin/sh
# Self-check of a submission for {challenge.id}: public data only, in the grading sandbox.
set -eu
harness check "${{1:-.}}" --kit "$(dirname "$0")"
"""


KIT_WITHHELD = ("thresholds", "data", "rubric", "slices", "graders", "examples")
"""Spec keys never written to kit.yaml: the seed and generator (the hidden split could be
regenerated), the grading bar, the writeup rubric and grader arguments (keywords the
writeup grader looks for), the hidden slices and the example solutions."""
_KIT_PLACEHOLDERS: dict[str, Any] = {
    "thresholds": {"baseline": 0.0, "target": 1.0},
    "data": {"generator": "", "seed": 0},
    "graders": [{"name": "correctness"}],
}
"""What ``load_kit`` puts in their place so the spec validates (the self-check uses none
of it)."""


def kit_spec_text(challenge: Challenge) -> str:
    """``kit.yaml``: the part of ``challenge.yaml`` a candidate's self-check needs (task,
    contract, limits, sandbox packages, budgets, cost model, notebook settings)."""
    public = challenge.spec.model_dump(mode="json", exclude=set(KIT_WITHHELD))
    body = yaml.safe_dump(public, sort_keys=False, allow_unicode=True)
    return (
        f"# What `harness check --kit` needs to know about {challenge.id}: the submission\n"
        "# contract, the sandbox's limits and packages, the budgets. How submissions are\n"
        "# graded is described in statement.md.\n" + body
    )


def load_kit(directory: Path) -> Challenge:
    """The challenge as a candidate kit describes it (``kit.yaml``), for the self-check.

    Raises:
        ChallengeError: ``directory`` is not an unpacked kit, or its kit.yaml is invalid.
    """
    path = directory / KIT_SPEC_FILE
    hint = (
        "Pass the directory the kit archive unpacked to: it holds kit.yaml, statement.md "
        f"and {KIT_DATA_DIR}/ (a team exports it with `harness challenge export`)."
    )
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ChallengeError(
            f"{directory}: no {KIT_SPEC_FILE}: not a candidate kit", hint=hint
        ) from error
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ChallengeError(f"{path}: unreadable: {error}", hint=hint) from error
    if not isinstance(raw, dict):
        raise ChallengeError(f"{path}: expected a mapping at the top level", hint=hint)
    try:
        spec = ChallengeSpec.model_validate({**_KIT_PLACEHOLDERS, **raw})
    except ValidationError as error:
        raise ChallengeError(format_validation_error(path, error), hint=hint) from error
    return Challenge(spec=spec, directory=directory.resolve())


def kit_entries(challenge: Challenge, data: PreparedData) -> list[tuple[str, Path | bytes]]:
    """What goes into the candidate kit: archive name -> file on disk or content."""
    if not CONTRACT_DOC.is_file():
        raise HarnessError(
            f"the submission contract {CONTRACT_DOC} is missing",
            hint="Reinstall the harness from its source tree (docs/ ships with it).",
        )
    entries: list[tuple[str, Path | bytes]] = [
        ("README.md", kit_readme(challenge).encode()),
        ("self-check.sh", self_check_script(challenge).encode()),
        (KIT_SPEC_FILE, kit_spec_text(challenge).encode()),
        ("statement.md", challenge.path(challenge.spec.statement)),
        ("docs/contract.md", CONTRACT_DOC),
    ]
    for path in sorted(data.public_dir.rglob("*")):
        if path.is_file():
            entries.append((f"{KIT_DATA_DIR}/{path.relative_to(data.public_dir).as_posix()}", path))
    starter = challenge.directory / STARTER_DIR
    if starter.is_dir():
        for path in sorted(starter.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                entries.append((f"{STARTER_DIR}/{path.relative_to(starter).as_posix()}", path))
    return entries


def scan_kit(kit: Path, challenge: Challenge, data: PreparedData) -> list[str]:
    """Everything in a kit archive that must not reach candidates; empty when sealed."""
    secret_digests: dict[str, str] = {}
    for directory in (data.hidden_dir, data.eval_features_dir):
        for path in directory.rglob("*"):
            if path.is_file():
                secret_digests[sha256_file(path)] = path.relative_to(data.root).as_posix()
    generator = challenge.path(challenge.spec.data.generator)
    generator_digest = sha256_file(generator)
    problems = []
    with zipfile.ZipFile(kit) as archive:
        for info in archive.infolist():
            parts = set(Path(info.filename).parts)
            forbidden = sorted(parts & FORBIDDEN_KIT_PARTS)
            if forbidden:
                problems.append(f"{info.filename}: inside {forbidden[0]}/")
            if info.is_dir():
                continue
            if Path(info.filename).name == generator.name:
                problems.append(f"{info.filename}: named like the data generator")
            content = archive.read(info)
            if Path(info.filename).name == KIT_SPEC_FILE:
                problems += [
                    f"{info.filename}: {problem}"
                    for problem in _kit_spec_problems(content, challenge)
                ]
            digest = hashlib.sha256(content).hexdigest()
            if digest in secret_digests:
                problems.append(
                    f"{info.filename}: identical to the hidden file {secret_digests[digest]}"
                )
            elif digest == generator_digest:
                problems.append(f"{info.filename}: identical to the data generator")
    return problems


def _kit_spec_problems(content: bytes, challenge: Challenge) -> list[str]:
    """What a kit.yaml holds that a candidate must not see, checked on the text itself
    (not only against what the exporter means to write)."""
    problems = []
    if content != kit_spec_text(challenge).encode():
        problems.append("not the public part of the challenge spec")
    try:
        parsed = yaml.safe_load(content)
    except yaml.YAMLError:
        return [*problems, "not valid YAML"]
    keys = set(parsed) if isinstance(parsed, dict) else set()
    problems += [f"holds {key!r}, which is withheld" for key in KIT_WITHHELD if key in keys]
    text = content.decode("utf-8", "replace")
    spec = challenge.spec
    # Phrases that only the hidden parts hold (rubric keywords are ordinary words, such as
    # "latency", that the budgets name too: the rubric is kept out by its key above).
    secrets = [hidden.description for hidden in spec.slices]
    secrets += [example.path for example in spec.examples]
    problems += [
        f"mentions {secret!r} (a hidden slice or an example)"
        for secret in secrets
        if len(secret) >= 6 and secret in text
    ]
    return problems


def export_kit(challenge: Challenge, data: PreparedData, out: Path) -> list[str]:
    """Write the candidate kit to ``out`` atomically and return its entry names.

    Raises:
        HarnessError: the kit would leak hidden material (nothing is left at ``out``).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(
        prefix=f".{out.name}.", suffix=".tmp", dir=out.parent
    )
    os.close(descriptor)
    temporary = Path(temporary_name)
    try:
        entries = kit_entries(challenge, data)
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, source in entries:
                info = zipfile.ZipInfo(f"{challenge.id}/{name}", date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
                archive.writestr(info, source if isinstance(source, bytes) else source.read_bytes())
        problems = scan_kit(temporary, challenge, data)
        if problems:
            raise HarnessError(
                f"the kit for {challenge.id} would leak hidden material, so it was not written:\n"
                + "\n".join(problems),
                hint=f"Remove the listed files from the public data ({data.public_dir}) or the "
                f"{STARTER_DIR}/ directory, then export again.",
            )
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return [name for name, _ in entries]


def check_kit_sealed(challenge: Challenge, data: PreparedData) -> CheckResult:
    """Export the kit to a scratch file: nothing hidden is reachable from it."""
    with tempfile.TemporaryDirectory(prefix="harness-kit-") as scratch:
        try:
            entries = export_kit(challenge, data, Path(scratch) / "kit.zip")
        except HarnessError as error:
            return CheckResult("kit sealed", False, error.message, error.hint or "")
    return CheckResult(
        "kit sealed", True, f"{len(entries)} files; no hidden, evaluation or solution content"
    )


# -- validate: calibration in the sandbox ----------------------------------------------------


def reference_example(examples: Sequence[ExampleSpec]) -> ExampleSpec | None:
    """The reference solution: a ``clears_target`` example under solutions/, else the first."""
    clearing = [example for example in examples if example.expect == "clears_target"]
    preferred = [example for example in clearing if example.path.startswith("solutions/")]
    chosen = preferred or clearing
    return chosen[0] if chosen else None


def calibration_row(example: ExampleSpec, result: Any) -> CalibrationRow:
    """Judge one graded example (a ``SubmissionResult``) against its ``expect``."""
    correctness = next((grade for grade in result.grades if grade.grader == "correctness"), None)
    details = correctness.details if correctness is not None else {}
    value, credit = details.get("value"), details.get("credit")
    status = result.status.value
    train = next((phase for phase in result.phases if phase.name == "train"), None)
    graded = status == "graded" and isinstance(credit, float)
    if example.expect == "clears_target":
        met = graded and credit is not None and credit >= 1.0
        reason = "clears the target" if met else "does not clear the target"
    elif example.expect == "below_baseline":
        met = graded and credit is not None and credit <= 0.0
        reason = "stays below the baseline" if met else "is not below the baseline"
    elif example.expect == "between":
        met = graded and credit is not None and 0.0 < credit < 1.0
        reason = (
            "lands between baseline and target" if met else "is not between baseline and target"
        )
    elif example.expect == "train_error":
        met = train is not None and train.status.value != "ok"
        reason = f"train phase {train.status.value}" if met and train else "training did not fail"
    elif example.expect == "predict_error":
        predict = next((phase for phase in result.phases if phase.name == "predict"), None)
        met = (
            train is not None
            and train.status.value == "ok"
            and predict is not None
            and predict.status.value != "ok"
        )
        reason = (
            f"predict phase {predict.status.value}"
            if met and predict
            else "prediction did not fail after training succeeded"
        )
    else:
        met, reason = True, "any outcome is accepted"
    if status != "graded" and example.expect not in ("train_error", "predict_error"):
        reason = f"{reason}: {status}: {result.message}"
    return CalibrationRow(
        example=example.path,
        expect=example.expect,
        status=status,
        metric=str(details.get("metric", "")),
        value=value if isinstance(value, float) else None,
        ci_low=details.get("ci_low") if isinstance(details.get("ci_low"), float) else None,
        ci_high=details.get("ci_high") if isinstance(details.get("ci_high"), float) else None,
        credit=credit if isinstance(credit, float) else None,
        total_score=float(result.total_score),
        met=met,
        reason=reason,
    )


def _describe(row: CalibrationRow) -> str:
    value = f"{row.metric} {row.value:.4f}" if row.value is not None else "no metric"
    return f"{row.example}: {value}, {row.reason}"


def check_reference(challenge: Challenge, rows: Sequence[CalibrationRow]) -> CheckResult:
    """The reference solution, graded in the sandbox, clears the target."""
    reference = reference_example(challenge.spec.examples)
    row = next((row for row in rows if reference and row.example == reference.path), None)
    if row is None:
        return CheckResult("reference clears target", False, "no reference solution was graded")
    target = challenge.spec.thresholds.target
    if row.met:
        return CheckResult("reference clears target", True, f"{_describe(row)} (target {target:g})")
    return CheckResult(
        "reference clears target",
        False,
        f"{_describe(row)} (target {target:g})",
        "Fix the reference or lower `thresholds.target` to what a strong solution reaches.",
    )


def check_baseline(challenge: Challenge, rows: Sequence[CalibrationRow]) -> CheckResult:
    """Every ``below_baseline`` example stays below the baseline threshold."""
    baselines = [row for row in rows if row.expect == "below_baseline"]
    baseline = challenge.spec.thresholds.baseline
    if not baselines:
        return CheckResult(
            "baseline below threshold",
            False,
            "no example with `expect: below_baseline`",
            "Add a trivial solution (e.g. a constant prediction) under solutions/baseline.",
        )
    failed = [row for row in baselines if not row.met]
    detail = "; ".join(_describe(row) for row in baselines) + f" (baseline {baseline:g})"
    if failed:
        return CheckResult(
            "baseline below threshold",
            False,
            detail,
            "Raise `thresholds.baseline` above what a trivial solution reaches.",
        )
    return CheckResult("baseline below threshold", True, detail)


def check_examples(challenge: Challenge, rows: Sequence[CalibrationRow]) -> CheckResult:
    """Every other example meets its ``expect``."""
    reference = reference_example(challenge.spec.examples)
    others = [
        row
        for row in rows
        if row.expect != "below_baseline" and (reference is None or row.example != reference.path)
    ]
    failed = [row for row in others if not row.met]
    if failed:
        return CheckResult(
            "examples meet expectations",
            False,
            "; ".join(f"{_describe(row)} (expected {row.expect})" for row in failed),
            "Fix the example or its `expect`, or recalibrate the thresholds.",
        )
    return CheckResult("examples meet expectations", True, f"{len(others)} example(s) as expected")


def grade_examples(
    challenge: Challenge,
    challenges_path: list[Path] | None,
    progress: Progress = lambda message: None,
) -> list[CalibrationRow]:
    """Grade every bundled example through the real pipeline and sandbox."""
    from harness import pipeline

    session = pipeline.open_session(str(challenge.spec_file), challenges_path, progress=progress)
    rows = []
    try:
        for example in challenge.spec.examples:
            progress(f"grading {example.path}")
            result = pipeline.grade_submission(session, str(challenge.path(example.path)))
            rows.append(calibration_row(example, result))
    finally:
        pipeline.close_session(session)
    return rows


def validate(
    challenge_id: str,
    challenges_path: list[Path] | None = None,
    progress: Progress = lambda message: None,
) -> ValidationReport:
    """Prove a challenge before release; a failed check is in the report, not raised.

    Raises:
        HarnessError: the challenge cannot be found or the sandbox cannot be used.
    """
    from challenges.data import prepare_data
    from challenges.loader import load_challenge

    challenge = load_challenge(challenge_id, challenges_path)
    report = ValidationReport(challenge.id)
    report.checks.append(check_spec(challenge))
    progress("regenerating the data twice")
    report.checks.append(check_regeneration(challenge))
    data = prepare_data(challenge)
    report.checks.append(check_no_overlap(data, challenge.spec.task))
    report.checks.append(check_kit_sealed(challenge, data))
    if not report.ok:
        return report  # no point running submissions on broken data
    report.calibration = grade_examples(challenge, challenges_path, progress)
    report.checks.append(check_reference(challenge, report.calibration))
    report.checks.append(check_baseline(challenge, report.calibration))
    report.checks.append(check_examples(challenge, report.calibration))
    return report


# -- new -----------------------------------------------------------------------------------


def default_new_root() -> Path:
    """Where new challenges go: the first ``$HARNESS_CHALLENGES_PATH`` entry, else
    ./challenges-local (never inside the installed package)."""
    for part in os.environ.get(CHALLENGES_PATH_ENV, "").split(os.pathsep):
        if part.strip():
            return Path(part.strip()).expanduser()
    return Path("challenges-local")


def new_challenge(
    challenge_id: str, root: Path | None = None, template: str = "basic"
) -> Challenge:
    """Scaffold ``root/<challenge_id>/`` from a template, then prove it loads and generates.

    Raises:
        HarnessError: bad id, an existing directory, a root inside the harness package.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", challenge_id):
        raise HarnessError(
            f"challenge id {challenge_id!r} is not valid",
            hint="Use 2 to 63 lowercase letters, digits and dashes, e.g. 'fraud-tabular'.",
        )
    root = (root or default_new_root()).resolve()
    if root.is_relative_to(bundled_challenges_dir()):
        raise HarnessError(
            f"{root} is inside the installed harness package",
            hint="Pass --path DIR outside it, or set HARNESS_CHALLENGES_PATH.",
        )
    target = root / challenge_id
    if target.exists():
        raise HarnessError(
            f"{target} already exists; not overwriting it",
            hint="Choose another id or --path, or remove the directory first.",
        )
    source = TEMPLATES_DIR / template
    title = challenge_id.replace("-", " ").capitalize()
    with atomic_directory(target) as staging:
        for path in sorted(source.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            destination = staging / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            destination.write_text(
                text.replace(ID_PLACEHOLDER, challenge_id).replace(TITLE_PLACEHOLDER, title),
                encoding="utf-8",
            )
    try:
        challenge = load_challenge_file(target / CHALLENGE_FILE)
        generate(challenge)
    except HarnessError:
        remove_tree(target)
        raise
    return challenge


# -- the candidate's self-check --------------------------------------------------------------


def split_public(
    challenge: Challenge, public_dir: Path, root: Path
) -> tuple[PreparedData, pd.DataFrame]:
    """A stand-in for the hidden split made of public rows only: ``root/public`` holds the
    training rows, ``root/eval_features`` the held-out rows' features; returns the held-out
    labels as well. Nothing hidden is read."""
    task = challenge.spec.task
    tables = sorted(public_dir.rglob("*.csv"))
    train_file = next(
        (path for path in tables if task.target_column in pd.read_csv(path, nrows=0).columns),
        None,
    )
    if train_file is None:
        raise HarnessError(
            f"no public CSV in {public_dir} has the target column {task.target_column!r}",
            hint="Pass the kit's data directory with --data.",
        )
    frame = pd.read_csv(train_file, dtype={task.id_column: str})
    count = min(HOLDOUT_MAX_ROWS, max(1, int(len(frame) * HOLDOUT_FRACTION)))
    ids = (
        frame[task.id_column]
        .drop_duplicates()
        .sample(
            n=min(count, frame[task.id_column].nunique()),
            random_state=HOLDOUT_SEED,
        )
    )
    held_out = frame[task.id_column].isin(set(ids))
    # One row per held-out id (public data may hold duplicates), so ids stay unique.
    holdout = frame[held_out].drop_duplicates(task.id_column)
    prepared = PreparedData(root, root / "public", root / EVAL_FEATURES, root / HIDDEN)
    for path in sorted(public_dir.rglob("*")):
        if path.is_file() and path != train_file:
            destination = prepared.public_dir / path.relative_to(public_dir)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    from challenges.data import write_csv

    write_csv(frame[~held_out], prepared.public_dir / train_file.relative_to(public_dir))
    write_csv(
        holdout.drop(columns=[task.target_column]), prepared.eval_features_dir / FEATURES_FILE
    )
    labels = holdout[[task.id_column, task.target_column]].reset_index(drop=True)
    return prepared, labels


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def self_check(
    source: str,
    challenge: Challenge,
    public_dir: Path,
    progress: Progress = lambda message: None,
) -> list[CheckResult]:
    """Run a submission like grading does, on a split of the public data only.

    Raises:
        HarnessError: the sandbox cannot be used or the public data has no target column.
    """
    from harness import pipeline
    from harness.ingest import ingest
    from harness.submission import IngestStatus, SubmissionKind
    from sandbox import PhaseStatus, sandboxes
    from sandbox.docker_backend import prepare_writable_dir

    spec = challenge.spec
    checks: list[CheckResult] = []
    with tempfile.TemporaryDirectory(prefix="harness-check-") as scratch_name:
        scratch = Path(scratch_name)
        submission = ingest(source, scratch / "submissions")
        if submission.status is not IngestStatus.ok or submission.root is None:
            return [
                CheckResult(
                    "submission readable",
                    False,
                    f"{submission.status.value}: {submission.message}",
                    "Submit a directory, git repository or .zip/.tar.gz archive (see docs/contract.md).",
                )
            ]
        if submission.kind is SubmissionKind.notebook:
            from harness.notebook import prepare_repository

            problem = prepare_repository(submission.root, spec.contract.predict_module)
            missing = [problem] if problem else []
            checks.append(
                CheckResult(
                    "notebook contract",
                    problem is None,
                    problem or f"cells tagged 'predict' exported to {spec.contract.predict_module}",
                    "See docs/notebooks.md." if problem else "",
                )
            )
        else:
            missing = [
                name
                for name in spec.contract.required_files
                if not (submission.root / name).is_file()
            ]
            checks.append(
                CheckResult(
                    "contract files",
                    not missing,
                    f"missing: {', '.join(missing)}"
                    if missing
                    else ", ".join(spec.contract.required_files),
                    "Add the missing files at the repository root (see docs/contract.md)."
                    if missing
                    else "",
                )
            )
        checks.append(_check_writeup(submission.root, spec.contract.writeup))
        if missing:
            return checks
        prepared, labels = split_public(challenge, public_dir, scratch / "data")
        sandbox = sandboxes.get("docker")()
        sandbox.check()
        image = pipeline.ensure_image(sandbox, challenge, progress)
        session = pipeline.GradingSession(
            challenge, prepared, sandbox, image, scratch / "work", progress
        )
        model_dir, output_dir = scratch / "model", scratch / "output"
        prepare_writable_dir(model_dir)
        prepare_writable_dir(output_dir)
        pipeline.make_readable(submission.root)
        pipeline.make_readable(prepared.root)
        started = time.perf_counter()
        try:
            phases = pipeline.run_phases(session, submission.root, model_dir, output_dir)
        finally:
            session.scheduler.close()  # containers removed in the background, prepared ones
        predictions, timings, _ = pipeline.collect_outputs(phases, output_dir)
        progress(f"phases took {time.perf_counter() - started:.1f} s")
        for phase in phases:
            ok = phase.status is PhaseStatus.ok
            detail = f"{phase.status.value} in {phase.wall_s:.1f} s"
            if not ok:
                detail += f": {phase.message}"
                log = _tail(phase.log_tail)
                if log:
                    detail += f"\n{log}"
            fix = {
                "train": f"Run `DATA_DIR=<kit>/data MODEL_DIR=/tmp/model python3 {spec.contract.train_entrypoint}` "
                "locally and fix the error; only the pinned packages are available.",
                "predict": f"Check that {spec.contract.predict_module} defines load(model_dir) and "
                "predict(model, frame) and reads only what train.py wrote to MODEL_DIR.",
            }.get(phase.name, "")
            checks.append(CheckResult(f"{phase.name} phase", ok, detail, "" if ok else fix))
        if len(phases) < 2:
            checks.append(
                CheckResult(
                    "predict phase", False, "not run: training failed", "Fix training first."
                )
            )
            return checks
        checks.append(_check_predictions_shape(challenge, predictions, labels))
        checks.append(_check_timing(challenge, phases, timings))
    return checks


def _check_writeup(root: Path, writeup_name: str) -> CheckResult:
    from graders.writeup import read_writeup

    try:
        found = read_writeup(root, writeup_name)
    except ValueError as error:
        return CheckResult("writeup", False, str(error), f"Write {writeup_name} as plain text.")
    if found is None:
        return CheckResult(
            "writeup",
            False,
            f"{writeup_name} missing",
            f"Add {writeup_name} (or markdown cells in your notebook): it is graded.",
        )
    return CheckResult("writeup", True, f"{found.name} present")


def _check_predictions_shape(
    challenge: Challenge, predictions: Path | None, labels: pd.DataFrame
) -> CheckResult:
    from graders.metrics import get_metric
    from graders.predictions import check_predictions

    task = challenge.spec.task
    if predictions is None:
        return CheckResult(
            "predictions", False, "no predictions were written", "See the predict phase above."
        )
    metric = get_metric(task.metric)
    truth = labels[task.target_column]
    classes = sorted(truth.astype(str).unique().tolist()) if metric.prediction == "label" else None
    check = check_predictions(predictions, labels[task.id_column], task.id_column, metric, classes)
    if not check.ok or check.values is None:
        return CheckResult(
            "predictions",
            False,
            check.reason,
            "predict(model, frame) must return one value per row of frame, in order "
            "(see docs/contract.md, 'Predict phase').",
        )
    try:
        from graders.predictions import truth_values

        values = check.values
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            keep = np.isfinite(values)  # rows the candidate flagged and declined
            value = metric.compute(truth_values(metric, truth)[keep], values[keep])
        else:
            value = metric.compute(truth_values(metric, truth), values)
        estimate = (
            f"; {metric.name} on held-out public rows {value:.4f} (a rough guide, not the grade)"
        )
    except Exception:
        estimate = ""
    return CheckResult("predictions", True, f"{len(labels)} rows, right ids and values{estimate}")


def _check_timing(
    challenge: Challenge, phases: Iterable[Any], timings: dict[str, Any]
) -> CheckResult:
    budgets = challenge.spec.budgets
    latency = timings.get("latency_ms") or {}
    p50, p95, load = latency.get("p50"), latency.get("p95"), timings.get("load_s")
    train = next((phase for phase in phases if phase.name == "train"), None)
    parts = []
    over = []
    if isinstance(p50, int | float) and isinstance(p95, int | float):
        parts.append(f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        if budgets.latency_p95_ms is not None and p95 > budgets.latency_p95_ms:
            over.append(f"p95 latency over the {budgets.latency_p95_ms:g} ms budget")
    if isinstance(load, int | float):
        parts.append(f"model load {load:.2f} s")
        if budgets.model_load_s is not None and load > budgets.model_load_s:
            over.append(f"load over the {budgets.model_load_s:g} s budget")
    if train is not None:
        parts.append(
            f"training {train.wall_s:.1f} s on {int((1 - HOLDOUT_FRACTION) * 100)}% of the rows"
        )
        if budgets.train_wall_s is not None and train.wall_s > budgets.train_wall_s:
            over.append(f"training over the {budgets.train_wall_s:g} s budget")
    detail = ", ".join(parts) or "no timings were reported"
    if over:
        return CheckResult(
            "timing",
            False,
            f"{detail}; {'; '.join(over)}",
            "Budgets are scored: load the model once in load(), avoid per-row work in predict().",
        )
    return CheckResult("timing", True, detail)
