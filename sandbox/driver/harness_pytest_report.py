"""pytest plugin loaded by the harness (``-p harness_pytest_report``) in the tests phase.

It records each test's outcome from pytest's own call information into a JSON
file the harness chose (``$HARNESS_TEST_REPORT``), so grading never trusts
what the candidate's code prints ("PASSED" lines cost nothing to forge). It
also notes conftest hooks that rewrite reports, for the integrity section.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_OUTCOMES: dict[str, str] = {}
_REPORTED: dict[str, str] = {}
_COLLECTION_ERRORS: list[str] = []
_REWRITING_HOOKS = (
    "pytest_runtest_makereport",
    "pytest_report_teststatus",
    "pytest_runtest_logreport",
)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    # The CallInfo comes from pytest's runner before any report exists: the real outcome.
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        if call.excinfo is None:
            _OUTCOMES[item.nodeid] = "passed"
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            _OUTCOMES[item.nodeid] = "skipped"
        else:
            _OUTCOMES[item.nodeid] = "failed" if call.when == "call" else "error"
    yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        _REPORTED[report.nodeid] = report.outcome


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _COLLECTION_ERRORS.append(report.nodeid or "<root>")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("HARNESS_TEST_REPORT")
    if not path:
        return
    rewriting = sorted(
        f"{getattr(plugin, '__file__', '?')}: {hook}"
        for plugin in session.config.pluginmanager.get_plugins()
        if "conftest" in str(getattr(plugin, "__file__", ""))
        for hook in _REWRITING_HOOKS
        if hasattr(plugin, hook)
    )
    mismatches = sorted(
        nodeid for nodeid, outcome in _OUTCOMES.items() if _REPORTED.get(nodeid, outcome) != outcome
    )
    payload = {
        "outcomes": _OUTCOMES,
        "collection_errors": _COLLECTION_ERRORS,
        "exit_status": int(exitstatus),
        "rewriting_hooks": rewriting,
        "report_mismatches": mismatches,
    }
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(temporary, path)
