"""Harness-owned driver for a notebook's train phase; runs *inside* the sandbox.

It runs the notebook top to bottom with nbclient on the challenge's kernel (``python3``,
whatever the notebook's metadata says), in the submission directory, after clearing the
outputs the candidate stored and injecting ``DATA_DIR`` and ``MODEL_DIR`` after the cell
tagged ``parameters`` (papermill's convention; at the top when there is none). Each cell
gets ``--cell-timeout`` seconds, and never more than what is left of ``--time-budget``, so
the notebook is saved before the container's wall-clock limit. Cell output (text, images)
is counted as it arrives; past ``--max-output-bytes`` the kernel is killed.

Once the kernel is gone it kills whatever the notebook left running, and only then writes:

- ``<output>/executed.ipynb``: the notebook as run; each cell's metadata carries
  ``worksample_harness: {cell, status}`` (status ``ok``, ``failed``, ``timeout``,
  ``output_limit``, ``kernel_died`` or ``not_run``); the injected cell is marked ``injected``.
- ``<output>/notebook_report.json``: the outcome, the failing cell (1-based position in the
  submitted notebook, markdown cells included), its source, the exception and traceback tail.

``<output>/progress.json`` names the cell that is running, so a run the sandbox kills
(memory, wall clock) can still be reported against a cell. Exit status: 0 when every cell
ran, 3 when the notebook failed, 1 for a bug in this driver.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import signal
import sys
import traceback
from contextlib import suppress
from pathlib import Path
from time import monotonic
from typing import Any

from predict_driver import (  # type: ignore[import-not-found]  # the driver directory is sys.path[0]
    _inside_sandbox,
    _kill_strays,
    _make_untraceable,
    _remove,
    _write_new,
)

EXIT_CANDIDATE_ERROR = 3
EXECUTED_FILE = "executed.ipynb"
REPORT_FILE = "notebook_report.json"
PROGRESS_FILE = "progress.json"
CELL_METADATA_KEY = "worksample_harness"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_OUTPUT_MESSAGES = frozenset(
    {"stream", "display_data", "execute_result", "error", "update_display_data"}
)
GUARD_FILE = Path(__file__).resolve().parent / "notebook_kernel_guard.py"
LIMIT_MARKER = "/tmp/.harness-output-limit"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TRACEBACK_LINES = 30
_SOURCE_CHARS = 2000


class _OutputLimit(Exception):
    """The notebook produced more output than allowed (raised after the kernel is killed)."""


def prepare(notebook: Any, parameters: dict[str, str]) -> None:
    """Clear stored outputs, stamp each cell with its position, inject the parameters."""
    nbformat: Any = importlib.import_module("nbformat")

    for position, cell in enumerate(notebook.cells, start=1):
        cell.metadata[CELL_METADATA_KEY] = {"cell": position}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    lines = ["# Parameters injected by the harness (DATA_DIR and MODEL_DIR are also in os.environ)"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    injected = nbformat.v4.new_code_cell("\n".join(lines))
    injected.metadata["tags"] = [INJECTED_TAG]
    injected.metadata[CELL_METADATA_KEY] = {"injected": True}
    after = next(
        (
            index + 1
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", [])
        ),
        0,
    )
    notebook.cells.insert(after, injected)
    # The kernel is the challenge's, never the notebook's; language_info is rewritten by the run.
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (sandbox)",
        "language": "python",
    }


def install_kernel_guard(max_output_bytes: int) -> None:
    """Have the kernel cap its own output at start-up (see notebook_kernel_guard.py)."""
    _remove(Path(LIMIT_MARKER))
    os.environ["HARNESS_NOTEBOOK_MAX_OUTPUT"] = str(max_output_bytes)
    os.environ["HARNESS_NOTEBOOK_LIMIT_MARKER"] = LIMIT_MARKER
    profile = Path(os.environ.get("IPYTHONDIR", "/tmp/ipython")) / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    config = f"c.IPKernelApp.exec_files = [{str(GUARD_FILE)!r}]\n"
    (profile / "ipython_kernel_config.py").write_text(config)


def _position(cell: Any) -> int | None:
    stamp = cell.metadata.get(CELL_METADATA_KEY, {})
    position = stamp.get("cell")
    return position if isinstance(position, int) else None


def _content_bytes(message: dict[str, Any]) -> int:
    content = message.get("content", {})
    kind = message.get("msg_type")
    if kind == "stream":
        return len(str(content.get("text", "")).encode("utf-8", "replace"))
    if kind == "error":
        return sum(len(str(line)) for line in content.get("traceback", [])) + len(
            str(content.get("evalue", ""))
        )
    data = content.get("data", {})
    return sum(len(str(value)) for value in data.values()) if isinstance(data, dict) else 0


def make_client(notebook: Any, arguments: argparse.Namespace, output: Path, started: float) -> Any:
    from nbclient import NotebookClient

    deadline = started + arguments.time_budget

    class Client(NotebookClient):
        output_bytes = 0
        overflow = False
        running: int | None = None
        timeout_kind = "cell"
        timeout_used = 0.0

        def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
            if msg.get("msg_type") in _OUTPUT_MESSAGES:
                self.output_bytes += _content_bytes(msg)
                if self.output_bytes > arguments.max_output_bytes:
                    if not self.overflow:
                        self.overflow = True
                        self._kill_kernel()
                    return None  # dropped: nothing past the cap is kept in memory
            return super().process_message(msg, cell, cell_index)

        def _kill_kernel(self) -> None:
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is None:
                return
            with suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)  # the kernel leads its own session
            with suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)

    def timeout_for(cell: Any) -> int:
        remaining = deadline - monotonic()
        if remaining < arguments.cell_timeout:
            client.timeout_kind, seconds = "phase", remaining
        else:
            client.timeout_kind, seconds = "cell", arguments.cell_timeout
        client.timeout_used = max(1, int(seconds))
        return client.timeout_used

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        client.running = cell_index
        position = _position(cell)
        if position is not None:
            with suppress(OSError):
                _write_new(output / PROGRESS_FILE, json.dumps({"cell": position}).encode())

    client = Client(
        notebook,
        kernel_name=arguments.kernel,
        timeout_func=timeout_for,
        interrupt_on_timeout=False,
        shutdown_kernel="immediate",
        startup_timeout=max(10, min(120, int(arguments.time_budget / 4))),
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": arguments.workdir}},
        on_cell_execute=on_cell_execute,
    )
    return client


def _error_output(cell: Any) -> dict[str, Any]:
    for item in reversed(cell.get("outputs", [])):
        if item.get("output_type") == "error":
            return dict(item)
    return {}


def run(notebook: Any, arguments: argparse.Namespace, output: Path) -> dict[str, Any]:
    """Execute the notebook; return the report (the notebook is updated in place)."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started = monotonic()
    client = make_client(notebook, arguments, output, started)
    report: dict[str, Any] = {"status": "ok", "max_output_bytes": arguments.max_output_bytes}
    failed_status = ""
    try:
        client.execute()
    except CellExecutionError as error:
        failed_status = "failed"
        report.update(status="error", ename=error.ename, evalue=str(error.evalue))
    except CellTimeoutError:
        failed_status = "timeout"
        report.update(
            status="timeout", timeout_s=client.timeout_used, timeout_kind=client.timeout_kind
        )
    except DeadKernelError as error:
        if client.overflow or os.path.lexists(LIMIT_MARKER):
            failed_status = "output_limit"
            report.update(status="output_limit")
        else:
            failed_status = "kernel_died"
            report.update(
                status="kernel_died",
                detail=f"{error}: out of memory, or the notebook ended its own process",
            )
    except Exception as error:
        if client.running is None:  # the kernel never ran a cell: it did not start
            failed_status = "not_run"
            report.update(status="invalid", detail=f"the kernel did not start: {error}"[:500])
        else:
            failed_status = "kernel_died"
            report.update(status="kernel_died", detail=f"{type(error).__name__}: {error}"[:300])
    report["output_bytes"] = client.output_bytes
    failed_index = None
    if failed_status:
        failed_index = client.running if client.running is not None else -1
    _mark_cells(notebook, failed_index, failed_status, report)
    return report


def _mark_cells(
    notebook: Any, failed_index: int | None, failed_status: str, report: dict[str, Any]
) -> None:
    not_run: list[int] = []
    code_cells_run = 0
    for index, cell in enumerate(notebook.cells):
        stamp = cell.metadata.setdefault(CELL_METADATA_KEY, {})
        if cell.cell_type != "code":
            continue
        if failed_index is None or index < failed_index:
            stamp["status"] = "ok"
            code_cells_run += 0 if stamp.get("injected") else 1
        elif index == failed_index:
            stamp["status"] = failed_status
            position = _position(cell)
            report["cell"] = position
            report["source"] = cell.source[:_SOURCE_CHARS]
            error = _error_output(cell)
            if error and report["status"] == "error":
                lines = [_ANSI.sub("", str(line)) for line in error.get("traceback", [])]
                text = "\n".join(lines).splitlines()
                report["traceback"] = "\n".join(text[-_TRACEBACK_LINES:])
                report["ename"] = str(error.get("ename", report.get("ename", "")))
                report["evalue"] = str(error.get("evalue", report.get("evalue", "")))[:500]
        else:
            stamp["status"] = "not_run"
            position = _position(cell)
            if position is not None:
                not_run.append(position)
    report["not_run"] = not_run
    report["code_cells_run"] = code_cells_run
    report["cells_total"] = sum(1 for cell in notebook.cells if _position(cell) is not None)


def _describe(report: dict[str, Any]) -> str:
    status = report["status"]
    where = f"cell {report.get('cell')}" if report.get("cell") is not None else "the notebook"
    if status == "ok":
        return f"all {report.get('code_cells_run', 0)} code cells ran"
    if status == "error":
        return f"{where} failed: {report.get('ename')}: {report.get('evalue')}"
    if status == "timeout":
        return f"{where} did not finish within {report.get('timeout_s')} s ({report.get('timeout_kind')} limit)"
    if status == "output_limit":
        return f"{where} produced more than {report['max_output_bytes']} bytes of output"
    return f"{where}: {status}: {report.get('detail', '')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notebook", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--kernel", default="python3")
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--time-budget", type=float, required=True)
    parser.add_argument("--max-output-bytes", type=int, required=True)
    parser.add_argument("--parameters", default="{}")
    parser.add_argument("--workdir", default=os.getcwd())
    arguments = parser.parse_args()
    _make_untraceable()
    output = Path(arguments.output)
    for name in (EXECUTED_FILE, REPORT_FILE, PROGRESS_FILE):
        _remove(output / name)

    nbformat: Any = importlib.import_module("nbformat")

    try:
        notebook = nbformat.read(arguments.notebook, as_version=4)
    except Exception as error:  # checked on the host already; kept for a clear report
        report: dict[str, Any] = {
            "status": "invalid",
            "detail": f"{type(error).__name__}: {error}"[:500],
        }
        _write_new(output / REPORT_FILE, json.dumps(report).encode())
        print(f"[harness] the notebook could not be read: {report['detail']}", file=sys.stderr)
        return EXIT_CANDIDATE_ERROR
    prepare(notebook, json.loads(arguments.parameters))
    install_kernel_guard(arguments.max_output_bytes)
    report = run(notebook, arguments, output)
    if _inside_sandbox():
        _kill_strays()  # nothing the notebook started may touch the files written below
    _remove(output / PROGRESS_FILE)
    _write_new(output / EXECUTED_FILE, nbformat.writes(notebook).encode("utf-8"))
    _write_new(output / REPORT_FILE, json.dumps(report, default=str).encode())
    print(f"[harness] {_describe(report)}", file=sys.stderr)
    if report["status"] == "ok":
        return 0
    if report.get("source"):
        print(f"[harness] cell {report.get('cell')} source:", file=sys.stderr)
        print(report["source"], file=sys.stderr)
    if report.get("traceback"):
        print("[harness] traceback (last lines):", file=sys.stderr)
        print(report["traceback"], file=sys.stderr)
    if report.get("not_run"):
        shown = ", ".join(str(position) for position in report["not_run"][:20])
        print(f"[harness] not run: cells {shown}", file=sys.stderr)
    print(f"[harness] {_describe(report)}", file=sys.stderr)
    return EXIT_CANDIDATE_ERROR


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
