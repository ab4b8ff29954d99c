"""Notebook submissions: check a ``.ipynb``, turn it into a gradable repository, run it in the
sandbox as the train phase and read back what the run produced.

The contract (docs/notebooks.md) gives a notebook the grading of a repository:

- **Train phase** = the notebook run top to bottom by ``sandbox/driver/notebook_driver.py``
  (nbclient, with the challenge's Python kernel inside the container). ``DATA_DIR`` and
  ``MODEL_DIR`` are environment variables, and are also injected papermill-style after the
  cell tagged ``parameters`` (or at the top).
- **Predict phase** = the usual driver on a ``predict.py`` made of the cells tagged
  ``predict``, which define ``load(model_dir)`` and ``predict(model, frame)``; latency is
  therefore measured exactly as for repositories.
- **Writeup** = the markdown cells, read from ``submission.ipynb`` when there is no
  ``WRITEUP.md`` (graders/writeup.py).

Nothing here runs candidate code: notebooks are parsed as JSON and predict cells as Python
source (``ast``) only. The kernel is the challenge's, whatever the notebook's metadata says;
a notebook declaring a non-Python kernel (``bash``, ``ir``...) is ``unsupported`` rather than
run with Python, because its cells would fail for a reason that is not in the code.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from harness.fsutil import atomic_write_bytes, atomic_write_text
from harness.submission import Submission, SubmissionKind
from sandbox.base import Mount, PhaseRequest, PhaseResult, PhaseStatus

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOK_FILE",
    "NotebookCheck",
    "NotebookRunReport",
    "NotebookSettings",
    "OutputComparison",
    "check_notebook",
    "collect_executed_notebook",
    "compare_outputs",
    "copy_submitted_notebooks",
    "finish_phase",
    "notebook_output_dir",
    "prepare_repository",
    "prepared_notebook",
    "train_request",
]

NOTEBOOK_FILE = "submission.ipynb"
"""Where ingestion puts a notebook submission, as submitted (graders/writeup.py reads it)."""
KERNEL_NAME = "python3"
"""The only kernel the runtime images provide (ipykernel on the challenge's Python 3.11)."""
PREDICT_TAG = "predict"
DRIVER_FILE = "notebook_driver.py"
EXECUTED_FILE = "executed.ipynb"
REPORT_FILE = "notebook_report.json"
PROGRESS_FILE = "progress.json"
NOTEBOOKS_DIR = "notebooks"
"""``<out>/<id>/notebooks/``: the notebooks the report shows (executed, or as submitted)."""
MIB = 1024 * 1024
MAX_REPORT_BYTES = 4 * MIB
MAX_COPIED_NOTEBOOKS = 20
MAX_COPIED_NOTEBOOK_BYTES = 50 * MIB
CELL_METADATA_KEY = "worksample_harness"
"""Cell metadata the driver adds to the executed notebook: the cell's position and status."""

_MARKER_FILE = ".harness-notebook.json"
# A repository cannot opt into notebook execution by shipping a marker: markers are sealed
# with a key that exists only in this process's memory.
_MARKER_KEY = secrets.token_bytes(32)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class NotebookSettings(BaseModel):
    """How notebooks run; the phase limits (time, memory, output...) are the train phase's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cell_timeout_s: PositiveFloat | None = Field(
        None,
        description="Longest a single cell may run; None: only the train phase's wall-clock "
        "limit applies (each cell is still stopped in time to save the notebook and report it).",
    )
    max_output_bytes: PositiveInt = Field(
        16 * MIB,
        description="Most bytes of cell output (text, images) kept during execution; past it "
        "the kernel is stopped and the phase ends with output_limit.",
    )
    kernel_name: Literal["python3"] = Field(
        "python3", description="Kernel of the runtime image; the notebook's metadata is ignored."
    )


def _nbformat() -> Any:
    """nbformat, typed as Any (it has no annotations)."""
    import nbformat

    return nbformat


# -- ingestion: is this a notebook we can run? ----------------------------------------------


@dataclass(frozen=True)
class NotebookCheck:
    """What :func:`check_notebook` found: ``ok``, ``rejected`` (unreadable) or ``unsupported``
    (a readable notebook for a kernel the challenge does not run)."""

    status: Literal["ok", "rejected", "unsupported"]
    message: str = ""
    notes: list[str] = field(default_factory=list)


def check_notebook(raw: bytes, name: str) -> NotebookCheck:
    """Validate a notebook file's bytes (already size-capped) with nbformat.

    Args:
        raw: The file content.
        name: File name, for messages.
    """
    nbformat = _nbformat()

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return NotebookCheck(
            "rejected", f"{name}: not a notebook: not UTF-8 text (byte {error.start})"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return NotebookCheck(
            "rejected",
            f"{name}: not a notebook: invalid JSON at line {error.lineno} column {error.colno} "
            f"({error.msg}); save it again from Jupyter",
        )
    except RecursionError:
        return NotebookCheck("rejected", f"{name}: not a notebook: JSON nested too deeply")
    if not isinstance(document, dict) or ("cells" not in document and "worksheets" not in document):
        return NotebookCheck(
            "rejected", f"{name}: not a notebook: the JSON has no 'cells' (is it a .ipynb file?)"
        )
    version = document.get("nbformat")
    if version != 4:
        return NotebookCheck(
            "rejected",
            f"{name}: nbformat {version!r} is not accepted, only nbformat 4: open the notebook in "
            "Jupyter (Notebook 5+ or JupyterLab) and save it, which converts it",
        )
    try:
        nbformat.validate(document)  # the raw JSON first, so errors name their path
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "top level"
        return NotebookCheck(
            "rejected",
            f"{name}: not a valid nbformat 4 notebook: {where}: {error.message[:200]}; "
            "save it again from Jupyter",
        )
    except Exception as error:  # nbformat raises assorted errors on odd documents
        return NotebookCheck(
            "rejected", f"{name}: not a valid notebook: {type(error).__name__}: {error}"[:300]
        )
    return _check_kernel(notebook.get("metadata", {}), name)


def _check_kernel(metadata: Any, name: str) -> NotebookCheck:
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    language_info = metadata.get("language_info") if isinstance(metadata, dict) else None
    info_language = language_info.get("name") if isinstance(language_info, dict) else None
    if not isinstance(kernelspec, dict):
        if str(info_language).lower() == "python":
            return NotebookCheck(
                "ok",
                notes=[
                    f"{name} declares no kernelspec; its language_info says Python, so it was "
                    f"run with the challenge's {KERNEL_NAME} kernel"
                ],
            )
        return NotebookCheck(
            "rejected",
            f"{name}: the notebook has no metadata.kernelspec, so its language is unknown: open "
            "it in Jupyter, choose the Python 3 kernel and save it",
        )
    kernel = str(kernelspec.get("name", ""))
    language = kernelspec.get("language") or info_language
    is_python = (
        str(language).lower() == "python"
        if language
        else kernel.lower().startswith(("python", "ipython"))
    )
    if not is_python:
        return NotebookCheck(
            "unsupported",
            f"{name}: the notebook declares the {kernel!r} kernel"
            f"{f' (language {language!r})' if language else ''}; this challenge runs notebooks "
            f"with its own Python 3.11 kernel only: write the cells in Python and choose the "
            "Python 3 kernel",
        )
    notes = []
    if kernel != KERNEL_NAME:
        notes.append(
            f"{name} declares the kernel {kernel!r}; it was run with the challenge's "
            f"{KERNEL_NAME} kernel (Python 3.11 and the challenge's packages)"
        )
    return NotebookCheck("ok", notes=notes)


# -- the generated repository ----------------------------------------------------------------


def _read_notebook(path: Path) -> Any:
    nbformat = _nbformat()

    return nbformat.reads(
        path.read_bytes()[: MAX_COPIED_NOTEBOOK_BYTES + 1].decode("utf-8", "replace"),
        as_version=nbformat.NO_CONVERT,
    )


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _tags(cell: Any) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


def _defined_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def prepare_repository(root: Path, predict_module: str) -> str | None:
    """Turn an ingested notebook submission into a repository the phases can run.

    Writes ``predict_module`` from the cells tagged ``predict`` and seals ``root`` as a
    notebook submission (see :func:`prepared_notebook`).

    Returns:
        None, or a one-line reason the notebook cannot be graded (no ``predict`` cells, cells
        that are not plain Python, ``load``/``predict`` not defined); nothing should run then.
    """
    notebook_path = root / NOTEBOOK_FILE
    notebook = _read_notebook(notebook_path)
    cells = list(notebook.get("cells", []))
    chosen = [
        (position, cell)
        for position, cell in enumerate(cells, start=1)
        if cell.get("cell_type") == "code" and PREDICT_TAG in _tags(cell)
    ]
    if not chosen:
        return (
            f"no cell is tagged {PREDICT_TAG!r}: tag the cell(s) that define load(model_dir) "
            "and predict(model, frame) (see docs/notebooks.md)"
        )
    parts = [
        f"# Generated by worksample-harness from the cells tagged {PREDICT_TAG!r} of the "
        "notebook\n# (cells " + ", ".join(str(position) for position, _ in chosen) + ").\n"
    ]
    defined: set[str] = set()
    for position, cell in chosen:
        source = _source(cell)
        try:
            tree = ast.parse(source, filename=f"cell {position}")
        except SyntaxError as error:
            line = (error.text or "").strip()[:80]
            return (
                f"cell {position} is tagged {PREDICT_TAG!r} but is not plain Python "
                f"(line {error.lineno}: {line!r}: {error.msg}); the predict cells become "
                f"{predict_module}, so they cannot use IPython magics (%) or shell commands (!)"
            )
        defined |= _defined_names(tree)
        parts.append(f"\n# --- cell {position} ---\n{source.rstrip()}\n")
    missing = [name for name in ("load", "predict") if name not in defined]
    if missing:
        return (
            f"the cells tagged {PREDICT_TAG!r} do not define "
            + " or ".join(f"{name}()" for name in missing)
            + ": they must define load(model_dir) and predict(model, frame)"
        )
    module_path = root / predict_module
    module_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(module_path, "".join(parts))
    module_path.chmod(0o644)
    digest = hashlib.sha256(notebook_path.read_bytes()).hexdigest()
    marker = {"notebook": NOTEBOOK_FILE, "sha256": digest, "seal": _seal(root, digest)}
    atomic_write_text(root / _MARKER_FILE, json.dumps(marker))
    (root / _MARKER_FILE).chmod(0o644)
    return None


def _seal(root: Path, digest: str) -> str:
    message = f"{os.path.realpath(root)}\0{digest}".encode()
    return hmac.new(_MARKER_KEY, message, hashlib.sha256).hexdigest()


def prepared_notebook(root: Path) -> str | None:
    """The notebook file to run if :func:`prepare_repository` prepared ``root`` in this
    process, else None (a repository, even one shipping a file named like the marker)."""
    marker_path = root / _MARKER_FILE
    if not marker_path.is_file() or marker_path.is_symlink():
        return None
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        seal, digest = str(marker["seal"]), str(marker["sha256"])
    except (ValueError, KeyError, TypeError, OSError):
        return None
    if not hmac.compare_digest(seal, _seal(root, digest)):
        return None
    return NOTEBOOK_FILE


# -- the train phase ---------------------------------------------------------------------------


def notebook_output_dir(model_dir: Path) -> Path:
    """Where the notebook driver of a train phase writing ``model_dir`` puts its files."""
    return model_dir.with_name(f"{model_dir.name}-notebook")


def train_request(
    base: PhaseRequest,
    notebook_file: str,
    settings: NotebookSettings,
    *,
    output_dir: Path,
    submission_mount: str,
    driver_dir: Path,
    driver_mount: str,
    output_mount: str,
) -> PhaseRequest:
    """The train phase of a notebook: ``base`` (the repository train phase: same image,
    mounts, environment and limits) running the notebook driver instead of the entry point,
    with a writable, size-bound ``output_mount`` for the executed notebook and its report."""
    limits = base.limits
    # Stop the last cell early enough to save the notebook before the container is killed.
    margin = max(5.0, min(30.0, 0.1 * limits.wall_time_s))
    budget = max(1.0, limits.wall_time_s - margin)
    cell_timeout = min(settings.cell_timeout_s or budget, budget)
    output_quota_mb = max(16, (2 * settings.max_output_bytes + MAX_COPIED_NOTEBOOK_BYTES) // MIB)
    command = [
        "python3",
        f"{driver_mount}/{DRIVER_FILE}",
        "--notebook",
        f"{submission_mount}/{notebook_file}",
        "--output",
        output_mount,
        "--kernel",
        settings.kernel_name,
        "--cell-timeout",
        f"{cell_timeout:g}",
        "--time-budget",
        f"{budget:g}",
        "--max-output-bytes",
        str(settings.max_output_bytes),
        "--parameters",
        json.dumps(
            {name: base.env[name] for name in ("DATA_DIR", "MODEL_DIR") if name in base.env}
        ),
    ]
    environment = {
        **base.env,
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "IPYTHONDIR": "/tmp/ipython",
    }
    mounts = [
        *base.mounts,
        Mount(source=driver_dir, target=driver_mount),
        Mount(
            source=output_dir,
            target=output_mount,
            read_only=False,
            max_mb=output_quota_mb,
            max_entries=20,
        ),
    ]
    return base.model_copy(
        update={
            "command": command,
            "env": environment,
            "mounts": mounts,
            "labels": {**base.labels, "notebook-output": output_mount},
        }
    )


class NotebookRunReport(BaseModel):
    """What the notebook driver wrote about the run (``notebook_report.json``).

    Produced inside the sandbox, so it is read defensively: sizes capped, every field typed.
    Cell numbers are 1-based positions in the submitted notebook, markdown cells included.
    """

    model_config = ConfigDict(extra="ignore")

    status: Literal["ok", "error", "timeout", "output_limit", "kernel_died", "invalid"]
    cell: int | None = None
    source: str = ""
    ename: str = ""
    evalue: str = ""
    traceback: str = ""
    timeout_s: float | None = None
    timeout_kind: Literal["cell", "phase"] | None = None
    output_bytes: int = 0
    max_output_bytes: int | None = None
    cells_total: int = 0
    code_cells_run: int = 0
    not_run: list[int] = Field(default_factory=list)
    detail: str = ""

    def summary(self) -> str:
        """One line naming the cell and what happened (the phase message)."""
        where = f"cell {self.cell}" if self.cell is not None else "the notebook"
        first_line = next((line for line in self.source.splitlines() if line.strip()), "")
        shown = f" (`{first_line.strip()[:80]}`)" if first_line else ""
        if self.status == "error":
            text = f"{where}{shown} failed: {self.ename}: {self.evalue}".rstrip(": ")
        elif self.status == "timeout":
            limit = (
                "the per-cell limit"
                if self.timeout_kind == "cell"
                else "the train phase's time limit (less the time to save the notebook)"
            )
            text = f"{where}{shown} did not finish within {self.timeout_s or 0:g} s ({limit})"
        elif self.status == "output_limit":
            text = (
                f"{where}{shown} produced more than {self.max_output_bytes or 0} bytes of "
                "output; the kernel was stopped"
            )
        elif self.status == "kernel_died":
            text = f"the kernel died while {where}{shown} was running ({self.detail})"
        elif self.status == "invalid":
            text = f"the notebook could not be run: {self.detail}"
        else:
            text = f"all {self.code_cells_run} code cells ran"
        return (text + _not_run_text(self.not_run))[:600]


def _not_run_text(not_run: list[int]) -> str:
    if not not_run:
        return ""
    shown = ", ".join(str(position) for position in not_run[:12])
    more = f" and {len(not_run) - 12} more" if len(not_run) > 12 else ""
    return f"; not run: cell{'s' if len(not_run) > 1 else ''} {shown}{more}"


def _read_capped(path: Path, cap: int) -> bytes | None:
    from graders.predictions import read_regular_file

    try:
        return read_regular_file(path, cap)
    except (ValueError, OSError):
        return None


def read_report(output_dir: Path) -> NotebookRunReport | None:
    """The driver's report in ``output_dir``; None when missing, oversized, a link or malformed."""
    raw = _read_capped(output_dir / REPORT_FILE, MAX_REPORT_BYTES)
    if raw is None:
        return None
    try:
        return NotebookRunReport.model_validate_json(raw)
    except ValidationError:
        return None


def _running_cell(output_dir: Path) -> int | None:
    raw = _read_capped(output_dir / PROGRESS_FILE, 4096)
    try:
        cell = json.loads(raw)["cell"] if raw is not None else None
    except (ValueError, KeyError, TypeError):
        return None
    return cell if isinstance(cell, int) else None


def _writable_mount(request: PhaseRequest, target: str) -> Path | None:
    return next(
        (
            mount.source
            for mount in request.mounts
            if mount.target == target and not mount.read_only
        ),
        None,
    )


def finish_phase(request: PhaseRequest, result: PhaseResult) -> PhaseResult:
    """Name the cell in a notebook train phase's status and message (other phases pass).

    The driver's report gives the precise status (a per-cell timeout is ``timeout``, the
    output cap ``output_limit``); what the sandbox measured wins when it is more severe
    (the container killed on time, memory or output), with the running cell named.
    """
    target = request.labels.get("notebook-output")
    output_dir = _writable_mount(request, target) if target else None
    if output_dir is None or result.status is PhaseStatus.sandbox_error:
        return result
    report = read_report(output_dir)
    if result.status is PhaseStatus.ok:
        if report is None or report.status != "ok":
            result.status = PhaseStatus.error
            result.message = "the notebook driver finished without a report of a complete run"
        else:
            result.message = report.summary()
        return result
    if result.status is PhaseStatus.error and report is not None and report.status != "ok":
        result.status = {
            "timeout": PhaseStatus.timeout,
            "output_limit": PhaseStatus.output_limit,
        }.get(report.status, PhaseStatus.error)
        result.message = report.summary()
        return result
    running = report.cell if report is not None else _running_cell(output_dir)
    if running is not None:
        result.message = f"{result.message} (while cell {running} was running)"
    return result


# -- after the phases: notebooks for the report and the reproducibility signal ------------


def safe_notebook_name(name: str) -> str:
    """A file name for ``notebooks/``: letters, digits, ``.``, ``_`` and ``-`` only."""
    stem = name[:-6] if name.lower().endswith(".ipynb") else name
    cleaned = _SAFE_NAME.sub("_", stem).strip("._") or "notebook"
    return f"{cleaned[:80]}.ipynb"


def copy_submitted_notebooks(submission: Submission, destination: Path) -> list[Path]:
    """Copy the notebooks of a submission, as submitted, into ``destination`` for the report.

    A notebook submission's own notebook is named after its label; a repository's notebooks
    after their paths. Links, hidden directories and oversized files are skipped.
    """
    root = submission.root
    if root is None:
        return []
    if submission.kind is SubmissionKind.notebook:
        found = [(root / NOTEBOOK_FILE, safe_notebook_name(submission.label))]
    else:
        found = []
        for path in sorted(root.rglob("*.ipynb")):
            relative = path.relative_to(root)
            if any(part.startswith(".") for part in relative.parts):
                continue  # .ipynb_checkpoints and the like
            found.append((path, safe_notebook_name("__".join(relative.parts))))
            if len(found) >= MAX_COPIED_NOTEBOOKS:
                break
    copied = []
    for path, name in found:
        raw = _read_capped(path, MAX_COPIED_NOTEBOOK_BYTES)
        if raw is None:
            continue
        atomic_write_bytes(destination / name, raw)
        copied.append(destination / name)
    return copied


def collect_executed_notebook(
    submission: Submission, model_dir: Path, destination: Path
) -> tuple[list[str], list[str]]:
    """Put the executed notebook of the train phase in ``destination`` (in place of the
    submitted copy) and compare its outputs with the submitted ones.

    Returns:
        Notes for the result (what was compared, each mismatch) and flags for an assessor
        (outputs that differ are shown, not penalised: no grader reads them).
    """
    output_dir = notebook_output_dir(model_dir)
    raw = _read_capped(output_dir / EXECUTED_FILE, MAX_COPIED_NOTEBOOK_BYTES * 3)
    if raw is None or submission.root is None:
        return [
            "notebook: the executed notebook was not saved; the report shows it as submitted"
        ], []
    try:
        executed = _parse(raw)
        submitted = _read_notebook(submission.root / NOTEBOOK_FILE)
    except ValueError as error:
        return [f"notebook: the executed notebook cannot be read ({error})"], []
    atomic_write_bytes(destination / safe_notebook_name(submission.label), raw)
    comparison = compare_outputs(submitted, executed)
    flags = []
    if comparison.mismatches:
        flags.append(
            f"notebook: {len(comparison.mismatches)} cell output(s) differ between the submitted "
            "notebook and its re-execution (see the notes)"
        )
    return comparison.notes(), flags


def _parse(raw: bytes) -> Any:
    nbformat = _nbformat()

    try:
        return nbformat.reads(raw.decode("utf-8", "replace"), as_version=nbformat.NO_CONVERT)
    except Exception as error:
        raise ValueError(f"{type(error).__name__}: {error}"[:200]) from None


# -- reproducibility: submitted outputs against the re-execution ------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_VOLATILE = [
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x…"),  # memory addresses in reprs
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?"),
        "<time>",
    ),
    (re.compile(r"\d{1,2}:\d{2}:\d{2}(\.\d+)?"), "<time>"),
    (
        re.compile(
            r"\d+(\.\d+)?\s*(ns|µs|us|ms|s|sec|secs|seconds?|min|minutes?|h|hours?|it/s|s/it)\b"
        ),
        "<duration>",
    ),
    (re.compile(r"(/tmp|/var/folders|/private/var)/\S+"), "<tmp path>"),
    (re.compile(r"\b(pid|PID|process) \d+"), r"\1 <n>"),
]
_NUMBER = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")
_RELATIVE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class OutputMismatch:
    cell: int
    submitted: str
    executed: str


@dataclass
class OutputComparison:
    """Deterministic text outputs (stdout, ``execute_result`` text/plain) of each code cell,
    submitted against re-executed, after removing what legitimately varies."""

    compared: int = 0
    matched: int = 0
    mismatches: list[OutputMismatch] = field(default_factory=list)
    unordered: bool = False
    """The submitted execution counts do not increase top to bottom (run out of order)."""
    submitted_without_outputs: bool = False

    def notes(self) -> list[str]:
        if self.submitted_without_outputs:
            return ["notebook: submitted without outputs; nothing to compare with the re-run"]
        notes = []
        if self.compared:
            notes.append(
                f"notebook: {self.matched} of {self.compared} cells with deterministic text output "
                "match the submitted outputs on re-execution"
            )
        for mismatch in self.mismatches[:5]:
            notes.append(
                f"notebook: cell {mismatch.cell} output differs from the submitted one: "
                f"submitted {mismatch.submitted!r}, re-run {mismatch.executed!r}"
            )
        if len(self.mismatches) > 5:
            notes.append(f"notebook: {len(self.mismatches) - 5} more cells differ")
        if self.unordered:
            notes.append(
                "notebook: the submitted execution counts are out of order: its outputs did not "
                "come from one top-to-bottom run"
            )
        return notes


def _normalise(text: str) -> str:
    text = _ANSI.sub("", text)
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]  # progress bars redraw
    text = "\n".join(line.rstrip() for line in lines).strip()
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _same(submitted: str, executed: str) -> bool:
    """Equal text, numbers equal within a relative tolerance (BLAS and platform noise)."""
    if _NUMBER.sub("#", submitted) != _NUMBER.sub("#", executed):
        return False
    for left, right in zip(_NUMBER.finditer(submitted), _NUMBER.finditer(executed), strict=True):
        a, b = float(left.group()), float(right.group())
        if abs(a - b) > _RELATIVE_TOLERANCE * max(abs(a), abs(b), 1e-12):
            return False
    return True


def _deterministic_text(outputs: Iterable[Any]) -> str:
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(_source({"source": output.get("text", "")}))
        elif kind == "execute_result":
            plain = output.get("data", {}).get("text/plain", "")
            parts.append(_source({"source": plain}))
    return _normalise("".join(part if part.endswith("\n") else part + "\n" for part in parts))


def _position_of(cell: Any, fallback: int) -> int:
    stamped = cell.get("metadata", {}).get(CELL_METADATA_KEY, {})
    position = stamped.get("cell") if isinstance(stamped, dict) else None
    return position if isinstance(position, int) else fallback


def compare_outputs(submitted: Any, executed: Any) -> OutputComparison:
    """Compare the submitted notebook's outputs with the executed notebook's, cell by cell.

    Cells are matched by position (the driver stamps each executed cell with its position in
    the submitted notebook). Only cells that have text output in the submission and ran to
    completion are compared; images, HTML, stderr and errors are not (they vary or say little).
    """
    comparison = OutputComparison()
    submitted_cells = list(submitted.get("cells", []))
    counts = [
        cell.get("execution_count")
        for cell in submitted_cells
        if cell.get("cell_type") == "code" and isinstance(cell.get("execution_count"), int)
    ]
    if not any(cell.get("outputs") for cell in submitted_cells if cell.get("cell_type") == "code"):
        comparison.submitted_without_outputs = True
        return comparison
    comparison.unordered = counts != sorted(counts) or len(set(counts)) != len(counts)
    executed_by_position: dict[int, Any] = {}
    for index, cell in enumerate(executed.get("cells", []), start=1):
        stamped = cell.get("metadata", {}).get(CELL_METADATA_KEY)
        if isinstance(stamped, dict) and stamped.get("injected"):
            continue
        executed_by_position[_position_of(cell, index)] = cell
    for position, cell in enumerate(submitted_cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        before = _deterministic_text(cell.get("outputs", []))
        after_cell = executed_by_position.get(position)
        if not before or after_cell is None:
            continue
        status = after_cell.get("metadata", {}).get(CELL_METADATA_KEY, {}).get("status")
        if status != "ok":
            continue
        after = _deterministic_text(after_cell.get("outputs", []))
        comparison.compared += 1
        if _same(before, after):
            comparison.matched += 1
        else:
            comparison.mismatches.append(OutputMismatch(position, before[:160], after[:160]))
    return comparison
