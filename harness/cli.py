"""The ``harness`` command line (typer + rich).

Harness misuse prints ``Error:``/``Hint:`` lines and exits non-zero; a
candidate's failure is a result, so ``harness grade`` exits 0 when grading
completed whatever the candidates' code did.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from harness import __version__
from harness.errors import HarnessError

app = typer.Typer(
    name="harness",
    help="Grade take-home work-sample submissions in hardened Docker sandboxes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
challenge_app = typer.Typer(
    help="List challenges and print the challenge.yaml schema.", no_args_is_help=True
)
sandbox_app = typer.Typer(help="Build sandbox images and clean up leftovers.", no_args_is_help=True)
result_app = typer.Typer(help="The result.json format.", no_args_is_help=True)
app.add_typer(challenge_app, name="challenge")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(result_app, name="result")
review_app = typer.Typer(
    help="Record assessors' verdicts, notes and score overrides (OUT/reviews.jsonl) and "
    "summarise them in OUT/debrief.html.",
    no_args_is_help=True,
)
app.add_typer(review_app, name="review")

console = Console()
error_console = Console(stderr=True, soft_wrap=True)
_state: dict[str, Any] = {"debug": False}

EXIT_MISUSE = 2
EXIT_INTERRUPTED = 130

ChallengesPath = Annotated[
    list[Path] | None,
    typer.Option(
        "--challenges-path",
        help="Extra directory of challenges (repeatable; also HARNESS_CHALLENGES_PATH).",
    ),
]
TrackingUri = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        envvar="HARNESS_TRACKING_URI",
        help="MLflow tracking URI to log grading runs to (default: sqlite:///OUT/mlruns.db, "
        "artifacts in OUT/mlartifacts).",
    ),
]
NoTracking = Annotated[
    bool, typer.Option("--no-tracking", help="Do not log grading runs to MLflow.")
]


@contextmanager
def _handle_errors() -> Iterator[None]:
    """Turn harness misuse into Error/Hint lines; --debug keeps the traceback."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    except HarnessError as error:
        if _state["debug"]:
            error_console.print_exception()
        for index, line in enumerate(error.message.splitlines()):
            error_console.print(
                ("Error: " if index == 0 else "       ") + line, markup=False, highlight=False
            )
        if error.hint:
            error_console.print(f"Hint: {error.hint}", markup=False, highlight=False)
        raise typer.Exit(EXIT_MISUSE) from None
    except KeyboardInterrupt:
        error_console.print(
            "Interrupted: containers of this run were removed; rerun the command to grade again."
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for harness errors.")
    ] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug
    if version:
        console.print(f"worksample-harness {__version__}")
        raise typer.Exit()


# -- grading ---------------------------------------------------------------------------------


@app.command()
def grade(
    submissions: Annotated[
        list[str],
        typer.Argument(help="Directories, git URLs/repos, .zip/.tar.gz archives or .ipynb files."),
    ],
    challenge: Annotated[
        str, typer.Option("--challenge", "-c", help="Challenge id (see `harness challenge list`).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "harness-out"
    ),
    ref: Annotated[
        str | None, typer.Option("--ref", help="Git ref to grade (git submissions).")
    ] = None,
    challenges_path: ChallengesPath = None,
    jobs: Annotated[
        str,
        typer.Option(
            "--jobs",
            "-j",
            help="Submissions graded at once: a number or 'auto' (as many as the host's CPUs and "
            "memory allow for the challenge's limits). Latency is always measured one at a time.",
        ),
    ] = "1",
    tracking_uri: TrackingUri = None,
    no_tracking: NoTracking = False,
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal", help="Show candidate identities in the reports (blind by default)."
        ),
    ] = False,
) -> None:
    """Grade submissions; writes OUT/<submission-id>/result.json and report.html.

    Rerunning the same command after an interruption finishes the batch without grading
    finished submissions again."""
    with _handle_errors():
        _check_sources(submissions)
        _grade_and_summarise(
            challenge,
            submissions,
            out,
            ref,
            challenges_path,
            jobs=jobs,
            tracking_uri=tracking_uri,
            tracking=not no_tracking,
        )
        if reveal:
            _render_reports(out, reveal=True, challenges_path=challenges_path)


def _check_sources(sources: list[str]) -> None:
    from harness.errors import SubmissionError

    for source in sources:
        if "://" in source or source.startswith("git@"):
            continue
        path = Path(source)
        if not path.exists():
            raise SubmissionError(
                f"submission path {source!r} does not exist",
                hint="Pass a directory, a git URL or repository, a .zip/.tar.gz archive or a .ipynb notebook.",
            )
        try:
            if path.is_dir():
                next(path.iterdir(), None)
            else:
                with path.open("rb"):
                    pass
        except PermissionError as error:
            raise SubmissionError(
                f"submission path {source!r} is not readable ({error.strerror})",
                hint="Check the file permissions or run the harness as a user who can read it.",
            ) from error


def _grade_and_summarise(
    challenge_id: str,
    sources: list[str],
    out: Path,
    ref: str | None,
    challenges_path: list[Path] | None,
    labels: dict[str, str] | None = None,
    jobs: str = "1",
    tracking_uri: str | None = None,
    tracking: bool = True,
) -> list[Any]:
    from harness import pipeline
    from harness.tracking import open_tracker

    if jobs != "auto" and not (jobs.isdigit() and int(jobs) >= 1):
        raise HarnessError(
            f"--jobs must be a number from 1 or 'auto', not {jobs!r}",
            hint="For example --jobs 2 or --jobs auto.",
        )
    session = pipeline.open_session(challenge_id, challenges_path, progress=_status_printer())
    workers = _resolve_jobs(jobs, session)
    run_started = pipeline.now()
    tracker = open_tracker(out, tracking_uri, tracking, warn=_warn)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("grading", total=len(sources))
            current: dict[str, str] = {}

            def on_stage(message: str) -> None:
                worker = threading.current_thread().name
                if message.startswith("ingesting "):
                    source = message.removeprefix("ingesting ")
                    current[worker] = (labels or {}).get(source, Path(source).name)
                    message = "ingesting"
                progress.update(task, description=f"{current.get(worker, '')}: {message}")

            session.progress = on_stage

            def on_result(result: Any, directory: Path) -> None:
                progress.advance(task)
                if tracker is not None:
                    tracker.submit(result, directory)  # in the background; never raises

            results = pipeline.grade_batch(
                session, sources, out, ref=ref, on_result=on_result, jobs=workers
            )
            progress.update(task, description="done")
    except BaseException:
        if tracker is not None:
            tracker.close(wait=False)  # what was not logged is logged by the rerun
        raise
    finally:
        pipeline.close_session(session)
    earlier = [result for result in results if result.started_at < run_started]
    if earlier:
        console.print(
            f"{len(earlier)} submission(s) already graded by an earlier run of this batch were not graded again."
        )
    _print_summary(results, out, labels)
    if tracker is not None:
        tracker.refresh_reports()  # the reports were rendered again, with the cohort
        with console.status("logging runs to MLflow"):
            tracker.close()
        _print_tracking(tracker, out)
    return results


def _warn(message: str) -> None:
    error_console.print(f"Warning: {message}", markup=False, highlight=False)


def _print_tracking(tracker: Any, out: Path, grading: bool = True) -> None:
    parts = [f"{len(tracker.logged)} new run(s)"]
    if tracker.skipped:
        parts.append(f"{len(tracker.skipped)} already logged")
    console.print(
        f"MLflow ({tracker.target.uri}): {', '.join(parts)}.", markup=False, highlight=False
    )
    if tracker.failed:
        _warn(
            f"{len(tracker.failed)} result(s) were not logged to MLflow"
            f"{' (their grading is complete and saved)' if grading else ''}; "
            f"log them later with: harness export {out} --format mlflow"
        )
    elif tracker.target.is_default_store:
        console.print(
            f"Browse them with: mlflow ui --backend-store-uri {tracker.target.uri}",
            markup=False,
            highlight=False,
        )


def _resolve_jobs(jobs: str, session: Any) -> int:
    """'auto' or a number, capped so concurrent phases' limits fit the host."""
    from harness.scheduler import auto_jobs

    limits = session.challenge.spec.limits
    fitting = auto_jobs([limits.train, limits.predict, limits.tests])
    if jobs == "auto":
        console.print(f"[dim]grading {fitting} submission(s) at a time[/dim]")
        return fitting
    requested = int(jobs)  # checked before the session opened
    if requested > fitting:
        console.print(
            f"[yellow]--jobs {requested} would give concurrent phases more CPU or memory than this host has; "
            f"using {fitting}[/yellow]"
        )
        return fitting
    return requested


def _status_printer() -> Callable[[str], None]:
    def show(message: str) -> None:
        console.print(f"[dim]{message}[/dim]")

    return show


def _print_summary(results: list[Any], out: Path, labels: dict[str, str] | None) -> None:
    table = Table(title="Results")
    for column in ("submission", "id", "status", "metric", "score", "why"):
        table.add_column(column, overflow="fold")
    for result in results:
        metric = result.challenge.metric
        value = result.metrics.get(metric)
        table.add_row(
            (labels or {}).get(result.submission.source, result.submission.label),
            result.submission.id,
            _status_markup(result.status.value),
            f"{metric} {value:.4f}" if isinstance(value, float) else "—",
            f"{result.total_score:.1f}",
            result.message if result.status.value != "graded" else "",
        )
    console.print(table)
    console.print(f"Reports ({out.resolve()}):")
    for result in results:
        console.print(f"  {out / result.submission.id / 'report.html'}", highlight=False)
    console.print(f"Index of all reports: {out / 'index.html'}", highlight=False)


def _status_markup(status: str) -> str:
    color = {"graded": "green", "failed": "yellow", "harness_error": "red"}.get(status, "white")
    return f"[{color}]{status}[/{color}]"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "harness-out/demo"
    ),
    challenge: Annotated[
        list[str] | None,
        typer.Option(
            "--challenge",
            "-c",
            help="Bundled challenge to demonstrate (repeatable); default: every bundled one.",
        ),
    ] = None,
    jobs: Annotated[
        str, typer.Option("--jobs", "-j", help="Submissions graded at once: a number or 'auto'.")
    ] = "auto",
    tracking_uri: TrackingUri = None,
    no_tracking: NoTracking = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show identities in the reports (blind by default).")
    ] = False,
) -> None:
    """Grade the bundled example submissions of the bundled challenges: each challenge into
    OUT/<challenge id>/ with its cohort report, and OUT/index.html linking them."""
    with _handle_errors():
        from challenges.loader import list_challenges
        from harness.config import bundled_challenges_dir
        from reports.html import landing_entry, write_landing

        bundled = bundled_challenges_dir().resolve()
        available, _ = list_challenges(None)
        demos = {
            item.spec.id: item
            for item in available
            if item.spec.examples and item.directory.resolve().parent == bundled
        }
        chosen = challenge or sorted(demos)
        unknown = [name for name in chosen if name not in demos]
        if unknown:
            raise HarnessError(
                f"no bundled challenge with examples named {', '.join(map(repr, unknown))}",
                hint=f"Bundled challenges: {', '.join(sorted(demos))}.",
            )
        entries = []
        for challenge_id in chosen:
            loaded = demos[challenge_id]
            sources = [str(loaded.path(example.path)) for example in loaded.spec.examples]
            labels = {
                str(loaded.path(example.path)): example.path for example in loaded.spec.examples
            }
            console.rule(f"{loaded.spec.title} ({challenge_id})", style="bold")
            for example in loaded.spec.examples:
                console.print(f"  {example.path}: {example.label}", highlight=False, markup=False)
            results = _grade_and_summarise(
                challenge_id,
                sources,
                out / challenge_id,
                None,
                None,
                labels,
                jobs=jobs,
                tracking_uri=tracking_uri,
                tracking=not no_tracking,
            )
            if reveal:
                _render_reports(out / challenge_id, reveal=True, challenges_path=None)
            entries.append(landing_entry(challenge_id, results, loaded.spec.role))
        write_landing(out / "index.html", entries, "Work-sample grading: bundled challenges")
        console.print(f"Front page: {out / 'index.html'}", highlight=False)


@app.command()
def report(
    out: Annotated[
        Path, typer.Argument(help="Output directory of `harness grade` or `harness demo`.")
    ],
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal",
            help="Show candidate identities (name, source, commit) instead of blind review.",
        ),
    ] = False,
    challenges_path: ChallengesPath = None,
) -> None:
    """Render every report of OUT and its cohort report (index.html) again from the result.json
    files, blind unless --reveal is given."""
    with _handle_errors():
        _render_reports(out, reveal=reveal, challenges_path=challenges_path)


def _render_reports(out: Path, reveal: bool, challenges_path: list[Path] | None) -> None:
    from reports.html import render_directory

    results = render_directory(out, reveal=reveal, challenges_path=challenges_path)
    mode = "with identities" if reveal else "blind"
    console.print(
        f"Rendered {len(results)} report(s) {mode}; cohort report: {out / 'index.html'}",
        highlight=False,
        markup=False,
    )


# -- challenges ----------------------------------------------------------------------------


@challenge_app.command("list")
def challenge_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    challenges_path: ChallengesPath = None,
) -> None:
    """List the challenges on the search path."""
    with _handle_errors():
        from challenges.loader import list_challenges

        loaded, problems = list_challenges(challenges_path)
        rows = [
            {
                "id": item.spec.id,
                "version": item.spec.version,
                "title": item.spec.title,
                "role": item.spec.role,
                "metric": item.spec.task.metric,
                "path": str(item.directory),
            }
            for item in loaded
        ]
        if as_json:
            print(json.dumps({"challenges": rows, "errors": problems}, indent=2))
        else:
            table = Table(title="Challenges")
            for column in ("id", "version", "title", "role", "metric", "path"):
                table.add_column(column)
            for row in rows:
                table.add_row(
                    *(str(row[key]) for key in ("id", "version", "title", "role", "metric", "path"))
                )
            console.print(table)
            for problem in problems:
                error_console.print(f"Invalid challenge: {problem}", markup=False)
        if problems:
            raise typer.Exit(1)


@challenge_app.command("schema")
def challenge_schema() -> None:
    """Print the JSON Schema of challenge.yaml (generated from the pydantic models)."""
    from challenges.spec import ChallengeSpec

    print(json.dumps(ChallengeSpec.model_json_schema(), indent=2))


@challenge_app.command("validate")
def challenge_validate(
    challenge: Annotated[str, typer.Argument(help="Challenge id (or path to challenge.yaml).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    challenges_path: ChallengesPath = None,
) -> None:
    """Prove a challenge before release: reproducible data, no leaks, calibrated examples.

    Grades every bundled example in the real sandbox; exits 1 when any check fails."""
    with _handle_errors():
        from harness.authoring import validate

        progress = (lambda message: None) if as_json else _status_printer()
        report = validate(challenge, challenges_path, progress=progress)
        if as_json:
            print(json.dumps(report.to_dict(), indent=2))
        else:
            _print_calibration(report.calibration)
            _print_checks(report.checks)
        if not report.ok:
            raise typer.Exit(1)


def _print_calibration(rows: list[Any]) -> None:
    if not rows:
        return
    table = Table(title="Calibration")
    metric_name = rows[0].metric or "metric"
    for column in ("example", "expect", f"{metric_name} (95% CI)", "credit", "total", "verdict"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if row.value is None:
            metric = "—"
        elif row.ci_low is None or row.ci_high is None:
            metric = f"{row.value:.4f}"
        else:
            metric = f"{row.value:.4f} ({row.ci_low:.3f}-{row.ci_high:.3f})"
        table.add_row(
            row.example,
            row.expect,
            metric,
            "—" if row.credit is None else f"{row.credit:.2f}",
            f"{row.total_score:.1f}",
            ("[green]ok[/green] " if row.met else "[red]FAIL[/red] ") + row.reason,
        )
    console.print(table)


def _print_checks(checks: list[Any]) -> None:
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name}: ", end="", highlight=False)
        console.print(check.detail, markup=False, highlight=False)
        if not check.ok and check.fix:
            console.print(f"      Fix: {check.fix}", markup=False, highlight=False)
    failed = sum(not check.ok for check in checks)
    console.print(f"{failed} check(s) failed." if failed else "All checks passed.")


@challenge_app.command("export")
def challenge_export(
    challenge: Annotated[str, typer.Argument(help="Challenge id (or path to challenge.yaml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The kit archive to write (.zip).")],
    challenges_path: ChallengesPath = None,
) -> None:
    """Write the candidate kit: statement, public data, starter, contract and self-check.

    The archive is scanned before it is kept; a kit that would leak hidden material is
    not written."""
    with _handle_errors():
        from challenges.data import prepare_data
        from challenges.loader import load_challenge
        from harness.authoring import export_kit

        loaded = load_challenge(challenge, challenges_path)
        entries = export_kit(loaded, prepare_data(loaded), out)
        console.print(f"wrote {out} ({len(entries)} files):", highlight=False)
        for name in entries:
            console.print(f"  {name}", markup=False, highlight=False)


@challenge_app.command("new")
def challenge_new(
    challenge: Annotated[str, typer.Argument(help="Id of the new challenge, e.g. fraud-tabular.")],
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            help="Directory to create it in (default: first HARNESS_CHALLENGES_PATH entry, "
            "else ./challenges-local).",
        ),
    ] = None,
) -> None:
    """Scaffold a working challenge (spec, messy data generator, statement, reference and
    baseline solutions) from the basic template."""
    with _handle_errors():
        from harness.authoring import new_challenge

        created = new_challenge(challenge, path)
        console.print(f"created {created.directory}", highlight=False)
        console.print(
            f"Next: harness challenge validate {created.id} "
            f"--challenges-path {created.directory.parent}",
            markup=False,
            highlight=False,
        )


@result_app.command("schema")
def result_schema() -> None:
    """Print the JSON Schema of result.json."""
    from harness.result import SubmissionResult

    print(json.dumps(SubmissionResult.model_json_schema(), indent=2))


# -- reviews and exports -----------------------------------------------------------------------

OutputDirectory = Annotated[
    Path, typer.Argument(help="Output directory of `harness grade` (its --out).")
]
SubmissionId = Annotated[str, typer.Argument(help="Submission id, or a unique prefix of it.")]
Assessor = Annotated[
    str,
    typer.Option(
        "--assessor",
        "-a",
        envvar="HARNESS_ASSESSOR",
        help="Your assessor id, e.g. an e-mail address.",
    ),
]


@review_app.command("add")
def review_add(
    out: OutputDirectory,
    submission: SubmissionId,
    assessor: Assessor,
    verdict: Annotated[
        str, typer.Option("--verdict", help="strong_no, no, yes or strong_yes (or 1-4).")
    ],
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            "-c",
            help="'overall', a grader (e.g. correctness) or 'grader:criterion' "
            "(e.g. 'writeup:approach').",
        ),
    ] = "overall",
    notes: Annotated[str, typer.Option("--notes", "-n", help="Free-text notes.")] = "",
    override: Annotated[
        float | None,
        typer.Option(
            "--override",
            help="Replace the machine score: 0..100 for 'overall', 0..1 for a grader or a "
            "grader's criterion. Needs --reason.",
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the score is overridden.")
    ] = None,
) -> None:
    """Record a verdict (and notes, and an optional score override) on one criterion.

    Appends to OUT/reviews.jsonl; a later entry by the same assessor on the same criterion
    supersedes this one, and both stay in the log."""
    with _handle_errors():
        from harness.review import ReviewError, parse_verdict, record_review

        if override is not None and not (reason and reason.strip()):
            raise ReviewError(
                "--override needs --reason",
                hint="Say why the machine score is wrong, e.g. --reason 'tests were skipped'.",
            )
        if reason is not None and override is None:
            raise ReviewError("--reason goes with --override", hint="Put other remarks in --notes.")
        entry = record_review(
            out,
            submission,
            assessor=assessor,
            criterion=criterion,
            verdict=parse_verdict(verdict),
            notes=notes,
            override_score=override,
            reason=reason,
        )
        extra = (
            f", score overridden to {entry.override_score:g}"
            if entry.override_score is not None
            else ""
        )
        console.print(
            f"recorded: {entry.assessor} on {entry.submission_id} / {entry.criterion}: "
            f"{entry.verdict}{extra}",
            markup=False,
            highlight=False,
        )


@review_app.command("decide")
def review_decide(
    out: OutputDirectory,
    submission: SubmissionId,
    assessor: Assessor,
    decision: Annotated[str, typer.Option("--decision", help="advance, hold or reject.")],
    notes: Annotated[str, typer.Option("--notes", "-n", help="Why, for the record.")] = "",
) -> None:
    """Record the panel's final decision on a submission (the latest decision counts)."""
    with _handle_errors():
        from harness.review import parse_decision, record_decision

        entry = record_decision(
            out, submission, assessor=assessor, decision=parse_decision(decision), notes=notes
        )
        console.print(
            f"recorded: decision {entry.decision} on {entry.submission_id} by {entry.assessor}",
            markup=False,
            highlight=False,
        )


@review_app.command("show")
def review_show(
    out: OutputDirectory,
    submission: Annotated[
        str | None, typer.Argument(help="Only this submission (id or unique prefix).")
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Include entries later ones superseded.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON entry per line.")] = False,
) -> None:
    """List the reviews recorded in OUT/reviews.jsonl (the current ones by default)."""
    with _handle_errors():
        from harness.review import ReviewLog, current_entries, load_cohort, resolve_submission

        log = ReviewLog.in_directory(out)
        entries = log.read()
        if log.ignored_tail:
            _warn(f"{log.path}: the last line is incomplete (an interrupted write) and was ignored")
        if submission is not None:
            wanted = resolve_submission(load_cohort(out, mixed=True), submission).submission.id
            entries = [entry for entry in entries if entry.submission_id == wanted]
        current = {entry.entry_id for entry in current_entries(entries)}
        shown = entries if history else [entry for entry in entries if entry.entry_id in current]
        if as_json:
            for entry in shown:
                print(entry.model_dump_json())
            return
        if not shown:
            console.print("No reviews recorded yet.")
            return
        table = Table(title=f"Reviews ({log.path})")
        columns = ["submission", "criterion", "assessor", "verdict", "override", "notes"]
        for column in [*columns, "recorded", *(["state"] if history else [])]:
            table.add_column(column, overflow="fold")
        for entry in shown:
            override = (
                "" if entry.override_score is None else f"{entry.override_score:g}: {entry.reason}"
            )
            row = [
                entry.submission_id,
                entry.criterion,
                entry.assessor,
                str(entry.verdict or entry.decision),
                override,
                entry.notes,
                entry.recorded_at,
            ]
            if history:
                row.append("current" if entry.entry_id in current else "superseded")
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)


@review_app.command("summary")
def review_summary(
    out: OutputDirectory,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show candidates' labels (blind by default).")
    ] = False,
    challenge: Annotated[
        str | None,
        typer.Option("--challenge", help="The challenge, when OUT holds results of several."),
    ] = None,
) -> None:
    """Write OUT/debrief.html and print each candidate's reviews, the agreement between
    assessors and the open disagreements."""
    with _handle_errors():
        from harness.review import read_debrief
        from reports.debrief import DEBRIEF_FILE, write_debrief

        debrief = read_debrief(out, challenge)
        path = write_debrief(debrief, out / DEBRIEF_FILE, reveal=reveal)
        _print_debrief(debrief, reveal)
        console.print(f"Debrief: {path}", markup=False, highlight=False)


def _print_debrief(debrief: Any, reveal: bool) -> None:
    table = Table(title=f"Debrief: {debrief.challenge_title}")
    columns = ["submission", *(["label"] if reveal else []), "status", "machine", "adjusted"]
    for column in [*columns, "overall verdicts", "open disagreements", "decision"]:
        table.add_column(column, overflow="fold")
    for candidate in debrief.candidates:
        result = candidate.result
        verdicts = ", ".join(
            f"{assessor}: {verdict}" for assessor, verdict in candidate.overall_verdicts().items()
        )
        row = [candidate.submission_id, *([result.submission.label] if reveal else [])]
        row += [
            result.status.value,
            f"{result.total_score:.1f}",
            "—" if candidate.adjusted_total is None else f"{candidate.adjusted_total:.1f}",
            verdicts or "—",
            str(len(candidate.open_disagreements)),
            str(candidate.decision.decision) if candidate.decision else "—",
        ]
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if not debrief.agreement:
        return
    agreement = Table(title="Agreement between assessors")
    for column in ("criterion", "assessors", "rated twice", "agreement %", "kappa", "weighted"):
        agreement.add_column(column, overflow="fold")

    def figure(value: float | None, digits: int) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    for item in debrief.agreement:
        agreement.add_row(
            escape(item.criterion),
            escape(", ".join(item.assessors)),
            str(item.items),
            figure(item.percent_agreement, 0),
            figure(item.mean_kappa, 2),
            figure(item.mean_weighted_kappa, 2),
        )
    console.print(agreement)
    for disagreement in debrief.open_disagreements:
        verdicts = ", ".join(f"{name} {verdict}" for name, verdict in disagreement.verdicts.items())
        console.print(
            f"[yellow]open disagreement[/yellow] {escape(disagreement.submission_id)} / "
            f"{escape(disagreement.criterion)}: {escape(verdicts)}"
        )


@app.command("export")
def export(
    out: OutputDirectory,
    export_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="gradescope: OUT/gradescope/<id>/results.json per submission; csv: one row "
            "per submission; mlflow: log results not logged yet.",
        ),
    ],
    destination: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="csv: the file, '-' for standard output (default OUT/cohort.csv); "
            "gradescope: the directory (default OUT/gradescope).",
        ),
    ] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="csv: add label and source columns (blind by default).")
    ] = False,
    visibility: Annotated[
        str,
        typer.Option(
            "--visibility",
            help="gradescope: when students see the tests: hidden, after_due_date, "
            "after_published or visible.",
        ),
    ] = "after_published",
    tracking_uri: TrackingUri = None,
    challenge: Annotated[
        str | None,
        typer.Option("--challenge", help="The challenge, when OUT holds results of several."),
    ] = None,
) -> None:
    """Export graded results: Gradescope results.json, a cohort CSV, or MLflow runs."""
    with _handle_errors():
        from harness.exports import (
            ExportFormat,
            GradescopeVisibility,
            parse_choice,
            write_cohort_csv,
            write_gradescope,
        )
        from harness.review import ReviewError, read_debrief

        chosen = parse_choice(ExportFormat, export_format, "--format")
        gradescope_visibility = parse_choice(GradescopeVisibility, visibility, "--visibility")
        if reveal and chosen is not ExportFormat.csv:
            raise ReviewError(
                "--reveal applies to --format csv only",
                hint="Gradescope files and MLflow runs never carry candidate labels.",
            )
        if destination is not None and chosen is ExportFormat.mlflow:
            raise ReviewError("--out does not apply to --format mlflow", hint="Use --tracking-uri.")
        debrief = read_debrief(out, challenge)
        if chosen is ExportFormat.mlflow:
            from harness.tracking import log_directory

            with console.status("logging runs to MLflow"):
                tracker = log_directory(
                    out,
                    [candidate.result for candidate in debrief.candidates],
                    tracking_uri,
                    warn=_warn,
                )
            _print_tracking(tracker, out, grading=False)
            if tracker.failed:
                raise typer.Exit(1)
        elif chosen is ExportFormat.gradescope:
            written = write_gradescope(
                debrief, destination or out / "gradescope", gradescope_visibility
            )
            console.print(f"wrote {len(written)} Gradescope results file(s):", highlight=False)
            for path in written:
                console.print(f"  {path}", markup=False, highlight=False)
        elif destination == Path("-"):
            from harness.exports import cohort_csv

            sys.stdout.write(cohort_csv(debrief, reveal))
        else:
            path = write_cohort_csv(debrief, destination or out / "cohort.csv", reveal)
            console.print(
                f"wrote {path} ({len(debrief.candidates)} submission(s)"
                f"{', with labels' if reveal else ', blind'})",
                markup=False,
                highlight=False,
            )


# -- sandbox -------------------------------------------------------------------------------


@sandbox_app.command("build")
def sandbox_build(
    challenge: Annotated[
        str | None, typer.Option("--challenge", "-c", help="Build only this challenge's image.")
    ] = None,
    challenges_path: ChallengesPath = None,
) -> None:
    """Build the base image and the runtime image of each challenge (skipped when up to date)."""
    with _handle_errors():
        from challenges.loader import list_challenges, load_challenge
        from sandbox import sandboxes
        from sandbox.images import challenge_image

        targets = (
            [load_challenge(challenge, challenges_path)]
            if challenge
            else list_challenges(challenges_path)[0]
        )
        sandbox = sandboxes.get("docker")()
        sandbox.check()
        for item in targets:
            with console.status(f"image for {item.id}") as status:
                reference = challenge_image(
                    getattr(sandbox, "client", None),
                    item,
                    progress=lambda message: status.update(message),
                )
            console.print(f"{item.id}: [green]{reference}[/green]")


@sandbox_app.command("clean")
def sandbox_clean() -> None:
    """Remove containers left behind by harness runs that no longer exist."""
    with _handle_errors():
        from sandbox import sandboxes

        sandbox = sandboxes.get("docker")()
        sandbox.check()
        console.print(f"removed {sandbox.cleanup_stale()} leftover container(s)")


# -- doctor --------------------------------------------------------------------------------


@app.command()
def doctor(challenges_path: ChallengesPath = None) -> None:
    """Check the Docker engine, images and disk space; print the exact fix for each problem."""
    from harness.doctor import run_checks

    checks = run_checks(challenges_path)
    failed = 0
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name}: {check.detail}", highlight=False)
        if not check.ok:
            failed += 1
            console.print(f"      Fix: {check.fix}", markup=False, highlight=False)
    if failed:
        console.print(f"{failed} problem(s) found.")
        raise typer.Exit(1)
    console.print("Everything needed to grade is in place.")


@app.command()
def check(
    submission: Annotated[
        str, typer.Argument(help="Your repository: directory, git repo or archive.")
    ],
    challenge: Annotated[
        str | None,
        typer.Option("--challenge", "-c", help="Challenge id (see `harness challenge list`)."),
    ] = None,
    kit: Annotated[
        Path | None,
        typer.Option(
            "--kit", help="An unpacked candidate kit (holds kit.yaml), instead of --challenge."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Public data directory; default: the kit's data/, or generated for --challenge.",
        ),
    ] = None,
    challenges_path: ChallengesPath = None,
) -> None:
    """Self-check a submission on public data only: contract files, train and predict in the
    grading sandbox, prediction shape and a timing estimate. Exits 1 when a check fails."""
    with _handle_errors():
        from challenges.loader import load_challenge
        from harness.authoring import KIT_DATA_DIR, load_kit, self_check

        if (challenge is None) == (kit is None):
            raise HarnessError(
                "give either --challenge ID or --kit DIR",
                hint="A candidate checks with the kit: `harness check path/to/repo --kit path/to/kit`.",
            )
        if kit is not None:
            loaded = load_kit(kit)
            data = data or kit / KIT_DATA_DIR
        else:
            assert challenge is not None
            loaded = load_challenge(challenge, challenges_path)
        if data is None:
            from challenges.data import prepare_data

            data = prepare_data(loaded).public_dir
        checks = self_check(submission, loaded, data, progress=_status_printer())
        _print_checks(checks)
        if not all(item.ok for item in checks):
            raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. `harness challenge schema | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
