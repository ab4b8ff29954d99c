"""Reports rendered from real grading results, opened in headless Chromium.

Each page must load with no console message (no script error, no Content-Security-Policy
violation), keep its sections after load, produce a screenshot that is not blank, and
parse as valid HTML5. Blind pages must not contain any planted identity; ``harness report
--reveal`` must bring them back.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import html5lib
import pytest
from PIL import Image

from tests.reports.conftest import (
    DECLARED_NAME,
    GIT_AUTHOR_NAME,
    GIT_DIRECTORY,
    IDENTITY_STRINGS,
    PATH_NAME,
    WRITEUP_EMAIL,
    GradedCohort,
)

pytestmark = pytest.mark.docker

BROWSER_TIMEOUT_S = 180
# What Chromium logs to stderr for anything the page itself reports: console messages
# (script errors, CSP violations are logged as console messages) and blocked loads.
CONSOLE_PROBLEM = re.compile(
    r":CONSOLE\b|Uncaught|Refused to|Content Security Policy|violates", re.IGNORECASE
)
REPORT_SECTIONS = ("scorecard", "criteria", "metrics", "performance", "tradeoff", "writeup", "logs")
INDEX_SECTIONS = ("leaderboard", "distributions", "tradeoff", "criteria", "data-problems")


def browse(
    chromium: str, page: Path, scratch: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    profile = scratch / f"profile-{uuid.uuid4().hex[:8]}"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,2200",
        "--enable-logging=stderr",
        "--v=0",
        *arguments,
        page.as_uri(),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False
    )
    shutil.rmtree(profile, ignore_errors=True)
    return completed


def console_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_PROBLEM.search(line)]


def pages(cohort: GradedCohort) -> list[Path]:
    return [cohort.out / "index.html"] + [
        cohort.out / result.submission.id / "report.html" for result in cohort.results
    ]


def test_the_batch_graded_every_submission(graded_cohort: GradedCohort) -> None:
    assert [result.status.value for result in graded_cohort.results] == ["graded"] * 3, [
        result.message for result in graded_cohort.results
    ]
    assert graded_cohort.git_candidate.submission.kind == "git"
    for page in pages(graded_cohort):
        assert page.is_file(), page


def test_the_console_check_catches_a_policy_violation(chromium: str, tmp_path: Path) -> None:
    """The detector itself: a page with an inline script under the reports' policy."""
    planted = tmp_path / "planted.html"
    planted.write_text(
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        "<title>t</title></head><body><p>x</p><script>document.title='ran'</script></body></html>",
        encoding="utf-8",
    )
    completed = browse(chromium, planted, tmp_path, "--dump-dom")
    assert console_problems(completed.stderr), completed.stderr
    assert "<title>t</title>" in completed.stdout  # the script was refused


def test_pages_load_cleanly_and_keep_their_sections(
    graded_cohort: GradedCohort, chromium: str, tmp_path: Path
) -> None:
    for page in pages(graded_cohort):
        completed = browse(chromium, page, tmp_path, "--dump-dom")
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert console_problems(completed.stderr) == [], page
        dom = completed.stdout
        sections = INDEX_SECTIONS if page.name == "index.html" else REPORT_SECTIONS
        for name in sections:
            assert f'<section id="{name}">' in dom, (page, name)
        assert dom.count("<svg") >= 2, page  # the plots survived parsing and the policy


def _ink_share(path: Path) -> tuple[float, int]:
    """Share of pixels that are not near-white, and the number of distinct colours."""
    with Image.open(path) as image:
        pixels = image.convert("L").resize((320, 550))
        histogram = pixels.histogram()
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    inked = sum(histogram[:230])
    return inked / sum(histogram), len(colours)


def test_screenshots_show_the_pages(
    graded_cohort: GradedCohort, chromium: str, tmp_path: Path
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for page in pages(graded_cohort):
        name = "index" if page.name == "index.html" else page.parent.name
        target = shots / f"{name}.png"
        completed = browse(chromium, page, tmp_path, f"--screenshot={target}")
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert console_problems(completed.stderr) == [], page
        assert target.is_file() and target.stat().st_size > 10_000, target
        ink, colours = _ink_share(target)
        assert ink > 0.02, f"{target} looks blank ({ink:.1%} ink)"
        assert colours > 50, f"{target} has only {colours} colours"
    print(f"screenshots in {shots}", file=sys.stderr)


@pytest.fixture(scope="module")
def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        pytest.fail("pdftotext is required for the print test: apt-get install -y poppler-utils")
    return found


def test_printed_pages_keep_every_column_and_section(
    graded_cohort: GradedCohort, chromium: str, pdftotext: str, tmp_path: Path
) -> None:
    """Printed (A4/Letter through Chromium's print path), nothing is cut at the page edge:
    text past the right margin is not in the PDF at all, so the last leaderboard column
    and each section's heading must be found in the extracted text."""
    for page in pages(graded_cohort):
        pdf = tmp_path / f"{page.parent.name}-{page.stem}.pdf"
        completed = browse(
            chromium, page, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}"
        )
        assert completed.returncode == 0 and pdf.is_file(), completed.stderr[-2000:]
        text = subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        if page.name == "index.html":
            header = next(line for line in text.splitlines() if line.lstrip().startswith("Rank"))
            for column in ("Submission", "Total", "correctness", "p95", "$ per", "Flags"):
                assert column in header, (column, header)
            for heading in ("Leaderboard", "Score distributions", "Criteria across the cohort"):
                assert heading in text, heading
        else:
            for heading in ("Scorecard", "Criteria", "Red flags", "Logs"):
                assert heading in text, (page, heading)


def test_pages_are_valid_html5(graded_cohort: GradedCohort) -> None:
    for page in pages(graded_cohort):
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(page.read_text(encoding="utf-8"))  # raises on any parse error
        assert parser.errors == [], page


def _all_html(out: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(out.rglob("*.html"))}


def test_blind_pages_leak_no_identity(graded_cohort: GradedCohort) -> None:
    # The identities are really in the results (so their absence from the pages is redaction).
    path_result = json.loads(
        (graded_cohort.out / graded_cohort.path_candidate.submission.id / "result.json").read_text()
    )
    assert PATH_NAME in path_result["submission"]["source"]
    assert "Orvald Brunhilde" in json.dumps(path_result["phases"])
    assert GIT_DIRECTORY in graded_cohort.git_candidate.submission.source
    git_phases = json.dumps(graded_cohort.git_candidate.model_dump()["phases"])
    assert "Zephyrine says" in git_phases and f"reviewed with {DECLARED_NAME}" in git_phases
    stored = json.loads(
        (
            graded_cohort.out / graded_cohort.git_candidate.submission.id / "identity.json"
        ).read_text()
    )
    assert GIT_AUTHOR_NAME in stored["git_authors"]
    assert DECLARED_NAME in stored["declared_names"]

    pages_html = _all_html(graded_cohort.out)
    assert len(pages_html) == 4
    for path, html in pages_html.items():
        lowered = html.lower()
        for identity in (*IDENTITY_STRINGS, WRITEUP_EMAIL, GIT_DIRECTORY, PATH_NAME):
            assert identity.lower() not in lowered, (path, identity)
    for result in (graded_cohort.git_candidate, graded_cohort.path_candidate):
        assert f"Candidate {result.submission.id}" in pages_html[graded_cohort.out / "index.html"]
        report = pages_html[graded_cohort.out / result.submission.id / "report.html"]
        assert "[redacted]" in report  # the printed names were there, and were redacted


def test_reveal_renders_identities_and_blind_hides_them_again(
    graded_cohort: GradedCohort, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(graded_cohort.out, out)
    harness = [sys.executable, "-m", "harness.cli"]
    revealed = subprocess.run(
        [*harness, "report", str(out), "--reveal"], capture_output=True, text=True, check=False
    )
    assert revealed.returncode == 0, revealed.stderr
    assert "Rendered 3 report(s) with identities" in revealed.stdout
    git_report = (out / graded_cohort.git_candidate.submission.id / "report.html").read_text()
    path_report = (out / graded_cohort.path_candidate.submission.id / "report.html").read_text()
    index = (out / "index.html").read_text()
    assert GIT_DIRECTORY in git_report and "Zephyrine says" in git_report
    assert PATH_NAME in path_report and "Orvald Brunhilde" in path_report
    assert WRITEUP_EMAIL in path_report
    assert GIT_DIRECTORY in index and "submission" in index

    blind = subprocess.run(
        [*harness, "report", str(out)], capture_output=True, text=True, check=False
    )
    assert blind.returncode == 0, blind.stderr
    for path, html in _all_html(out).items():
        for identity in (*IDENTITY_STRINGS, GIT_DIRECTORY, PATH_NAME):
            assert identity.lower() not in html.lower(), (path, identity)


def test_cohort_report_links_and_compares_everyone(graded_cohort: GradedCohort) -> None:
    index = (graded_cohort.out / "index.html").read_text(encoding="utf-8")
    for result in graded_cohort.results:
        assert f'href="{result.submission.id}/report.html"' in index
    assert "solutions/reference" in index and ">reference</span>" in index  # the challenge's
    assert "Pareto front" in index and "reference solution" in index
    data_problems = index[index.index('<section id="data-problems">') :]
    assert "target leakage" in data_problems
    assert re.search(r"\d+ of 3</td>", data_problems)


def test_reports_place_the_submission_in_the_cohort(graded_cohort: GradedCohort) -> None:
    report = (
        graded_cohort.out / graded_cohort.git_candidate.submission.id / "report.html"
    ).read_text(encoding="utf-8")
    assert 'class="highlight"' in report and "this submission" in report
    assert " of 3</span>" in report  # its rank
    assert "single-record latency (ms)" in report  # the latency plot's axis
    criteria = sum(len(grade.criteria) for grade in graded_cohort.git_candidate.grades)
    assert report.count('<div class="verdict">') == criteria
    assert "Claimed versus measured" in report
    assert report.count("<details") >= len(graded_cohort.git_candidate.phases)
