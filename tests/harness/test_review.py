"""The review log: append-only entries, supersession, validation, agreement and the debrief."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from graders.base import Criterion, GradeResult
from harness.cli import app
from harness.pipeline import total_score
from harness.result import ChallengeInfo, ResultStatus, SubmissionInfo, SubmissionResult
from harness.review import (
    REVIEWS_FILE,
    Decision,
    ReviewEntry,
    ReviewError,
    ReviewLog,
    Verdict,
    adjusted_total,
    check_criterion,
    cohen_kappa,
    current_entries,
    disagreements,
    parse_verdict,
    read_debrief,
    record_decision,
    record_review,
    resolve_submission,
)
from reports.debrief import write_debrief

runner = CliRunner()


# -- builders (also used by test_exports and test_tracking) --------------------------------------


def make_result(submission_id: str, label: str = "", **overrides: Any) -> SubmissionResult:
    """A graded result with two weighted graders and a few measured figures."""
    grades = overrides.pop(
        "grades",
        [
            GradeResult(
                grader="correctness",
                score=0.8,
                weight=0.6,
                summary="roc_auc 0.85",
                criteria=[Criterion(name="valid predictions", score=1.0)],
            ),
            GradeResult(
                grader="writeup",
                score=0.5,
                weight=0.4,
                criteria=[Criterion(name="approach", score=0.5)],
            ),
        ],
    )
    fields: dict[str, Any] = {
        "status": ResultStatus.graded,
        "message": "all phases completed",
        "submission": SubmissionInfo(
            id=submission_id,
            kind="directory",
            sha256=submission_id * 4,
            source=f"/candidates/{label or submission_id}",
            label=label or f"candidate-{submission_id}",
        ),
        "challenge": ChallengeInfo(
            id="churn-tabular",
            version="1.1.0",
            title="Predict churn",
            metric="roc_auc",
            baseline=0.75,
            target=0.86,
        ),
        "grades": grades,
        "metrics": {
            "roc_auc": 0.85,
            "roc_auc_ci_low": 0.83,
            "roc_auc_ci_high": 0.87,
            "roc_auc[drifted]": 0.8,
            "latency_p50_ms": 7.5,
            "latency_p95_ms": 12.25,
            "train_peak_memory_mb": 180.0,
            "training_cost_usd": 0.0001,
        },
        "total_score": total_score(grades),
        "flags": ["writeup: no tests mentioned"],
        "image": "worksample-harness/runtime:0123456789abcdef",
        "harness_version": "0.1.0",
        "started_at": "2024-06-11T09:30:00+00:00",
        "finished_at": "2024-06-11T09:31:10+00:00",
        "wall_s": 70.0,
    }
    fields.update(overrides)
    return SubmissionResult(**fields)


def write_cohort(out: Path, results: list[SubmissionResult]) -> Path:
    for result in results:
        directory = out / result.submission.id
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "result.json").write_text(result.model_dump_json(indent=2))
    return out


IDS = ["a1b2c3d4e5f6", "a1ff00000000", "b7c8d9e0f1a2", "c3d4e5f6a7b8"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_cohort(
        tmp_path / "out",
        [
            make_result(submission_id, label=f"Jane Doe {index}")
            for index, submission_id in enumerate(IDS)
        ],
    )


# -- the log round trip --------------------------------------------------------------------------


def test_two_assessors_with_an_override_round_trip_and_agree(out: Path) -> None:
    alice = [Verdict.strong_yes, Verdict.yes, Verdict.no, Verdict.strong_no]
    bob = [Verdict.strong_yes, Verdict.yes, Verdict.strong_no, Verdict.strong_no]
    recorded = []
    for submission, mine, theirs in zip(IDS, alice, bob, strict=True):
        recorded.append(
            record_review(out, submission, assessor="alice", criterion="overall", verdict=mine)
        )
        recorded.append(
            record_review(out, submission, assessor="bob", criterion="overall", verdict=theirs)
        )
    recorded.append(
        record_review(
            out,
            "b7c8",
            assessor="alice",
            criterion="writeup",
            verdict=Verdict.yes,
            notes="Clear about leakage.",
            override_score=0.9,
            reason="The rubric missed the leakage discussion in section 3.",
        )
    )

    entries = ReviewLog.in_directory(out).read()
    assert entries == recorded  # every field survives the JSON line
    assert len((out / REVIEWS_FILE).read_text().splitlines()) == len(recorded)

    debrief = read_debrief(out)
    overall = next(item for item in debrief.agreement if item.criterion == "overall")
    (pair,) = overall.pairs
    assert (pair.assessor_a, pair.assessor_b, pair.items) == ("alice", "bob", 4)
    assert pair.percent_agreement == pytest.approx(75.0)
    # p_o = 3/4; marginals alice 1/4 each of 1..4, bob 2/4 on 1, 1/4 on 3 and 4: p_e = 1/4.
    assert pair.kappa == pytest.approx((0.75 - 0.25) / (1 - 0.25))
    assert pair.weighted_kappa is not None and pair.weighted_kappa > pair.kappa

    candidate = next(item for item in debrief.candidates if item.submission_id == IDS[2])
    (override,) = candidate.overrides
    assert (override.machine_score, override.override_score) == (0.5, 0.9)
    assert override.reason.startswith("The rubric missed")
    # correctness 0.8 x 0.6 + writeup 0.9 (overridden) x 0.4
    assert candidate.adjusted_total == pytest.approx(84.0)
    assert candidate.result.total_score == pytest.approx(68.0)
    assert debrief.open_disagreements == []  # no vs strong_no: one step, same side


def test_a_later_entry_supersedes_and_the_history_stays(out: Path) -> None:
    first = record_review(out, IDS[0], assessor="alice", criterion="overall", verdict=Verdict.no)
    before = (out / REVIEWS_FILE).read_bytes()
    second = record_review(
        out, IDS[0], assessor="alice", criterion="overall", verdict=Verdict.strong_yes
    )
    record_review(out, IDS[0], assessor="bob", criterion="overall", verdict=Verdict.yes)
    after = (out / REVIEWS_FILE).read_bytes()
    assert after.startswith(before)  # appended, never rewritten
    entries = ReviewLog.in_directory(out).read()
    assert [entry.entry_id for entry in entries][:2] == [first.entry_id, second.entry_id]
    current = current_entries(entries)
    assert {entry.assessor: entry.verdict for entry in current} == {
        "alice": Verdict.strong_yes,
        "bob": Verdict.yes,
    }
    (candidate,) = [item for item in read_debrief(out).candidates if item.submission_id == IDS[0]]
    assert candidate.superseded == 1


def test_damaged_lines_are_reported_with_their_line_numbers(out: Path) -> None:
    record_review(out, IDS[0], assessor="alice", criterion="overall", verdict=Verdict.yes)
    good = (out / REVIEWS_FILE).read_text()
    bad_verdict = json.loads(good)
    bad_verdict["verdict"] = "maybe"
    no_reason = json.loads(good)
    no_reason.update(override_score=50, reason=None)
    (out / REVIEWS_FILE).write_text(
        good + "{not json\n" + json.dumps(bad_verdict) + "\n" + json.dumps(no_reason) + "\n[1]\n"
    )
    with pytest.raises(ReviewError) as raised:
        ReviewLog.in_directory(out).read()
    lines = raised.value.message.splitlines()
    assert lines[0].endswith(
        f"{REVIEWS_FILE}:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
    )
    assert f"{REVIEWS_FILE}:3: verdict:" in lines[1]
    assert f"{REVIEWS_FILE}:4:" in lines[2] and "an override needs a reason" in lines[2]
    assert lines[3].endswith(f"{REVIEWS_FILE}:5: expected a JSON object, found list")
    assert len(lines) == 4


def test_an_unfinished_last_line_is_ignored_then_cut_before_the_next_append(out: Path) -> None:
    kept = record_review(out, IDS[0], assessor="alice", criterion="overall", verdict=Verdict.yes)
    complete = (out / REVIEWS_FILE).read_bytes()
    with (out / REVIEWS_FILE).open("ab") as handle:
        handle.write(b'{"schema_version":"1.0","assessor":"bo')  # a writer killed mid-line
    log = ReviewLog.in_directory(out)
    assert log.read() == [kept] and log.ignored_tail
    added = record_review(out, IDS[1], assessor="bob", criterion="overall", verdict=Verdict.no)
    data = (out / REVIEWS_FILE).read_bytes()
    assert data.startswith(complete) and data.count(b"\n") == 2
    assert log.read() == [kept, added] and not log.ignored_tail


def _append_many(path: str, assessor: str) -> None:
    log = ReviewLog(Path(path))
    for index in range(25):
        log.append(
            ReviewEntry(
                recorded_at="2024-06-11T10:00:00+00:00",
                assessor=assessor,
                submission_id=f"s{index}",
                criterion="overall",
                verdict=Verdict.yes,
                notes="x" * 5000,
            )
        )


def test_concurrent_appends_from_several_processes_stay_whole(tmp_path: Path) -> None:
    path = tmp_path / REVIEWS_FILE
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_append_many, args=(str(path), f"assessor{number}"))
        for number in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    entries = ReviewLog(path).read()
    assert len(entries) == 100
    assert {entry.assessor for entry in entries} == {f"assessor{number}" for number in range(4)}


# -- validation ------------------------------------------------------------------------------------


def test_entries_enforce_override_reason_and_scale() -> None:
    base: dict[str, Any] = {
        "recorded_at": "2024-06-11T10:00:00+00:00",
        "assessor": "alice@example.com",
        "submission_id": IDS[0],
        "verdict": "yes",
    }
    with pytest.raises(ValidationError, match="an override needs a reason"):
        ReviewEntry(**base, criterion="overall", override_score=70)
    with pytest.raises(ValidationError, match=r"0\.\.1 scale .* not 80 \(for 80% write 0\.8\)"):
        ReviewEntry(**base, criterion="writeup", override_score=80, reason="r")
    with pytest.raises(ValidationError, match="a reason is only recorded with an override"):
        ReviewEntry(**base, criterion="overall", reason="r")
    with pytest.raises(ValidationError, match="a 'decision' entry has no verdict"):
        ReviewEntry(**base, criterion="decision", decision="advance")
    with pytest.raises(ValidationError, match="assessor"):
        ReviewEntry(**{**base, "assessor": "Jane Doe"}, criterion="overall")
    assert (
        ReviewEntry(**base, criterion="overall", override_score=70, reason="r").override_score == 70
    )


def test_verdicts_parse_from_names_and_ranks() -> None:
    assert parse_verdict("strong-yes") is Verdict.strong_yes
    assert parse_verdict(" 2 ") is Verdict.no
    assert [verdict.rank for verdict in Verdict] == [1, 2, 3, 4]
    with pytest.raises(ReviewError) as raised:
        parse_verdict("5")
    assert raised.value.hint == "Use one of: strong_no (1), no (2), yes (3), strong_yes (4)."


def test_submissions_resolve_by_id_or_unique_prefix(out: Path) -> None:
    from harness.review import load_cohort

    results = load_cohort(out)
    assert resolve_submission(results, "b7").submission.id == IDS[2]
    assert resolve_submission(results, IDS[1]).submission.id == IDS[1]
    with pytest.raises(ReviewError, match="ambiguous: a1b2c3d4e5f6, a1ff00000000"):
        resolve_submission(results, "a1")
    with pytest.raises(ReviewError) as raised:
        resolve_submission(results, "zz")
    assert raised.value.hint and IDS[3] in raised.value.hint


def test_unknown_criteria_list_the_valid_names(out: Path) -> None:
    result = make_result(IDS[0])
    assert check_criterion(result, "writeup:approach") == "writeup:approach"
    with pytest.raises(ReviewError) as raised:
        check_criterion(result, "writeup:aproach")
    assert "Did you mean 'writeup:approach'?" in raised.value.message
    assert raised.value.hint == (
        "Valid criteria: 'overall', 'correctness', 'correctness:valid predictions', "
        "'writeup', 'writeup:approach'"
    )
    with pytest.raises(ReviewError, match="harness review decide"):
        check_criterion(result, "decision")


# -- agreement and disagreements ------------------------------------------------------------


def entry(
    submission: str, assessor: str, verdict: Verdict, criterion: str = "overall"
) -> ReviewEntry:
    return ReviewEntry(
        recorded_at="2024-06-11T10:00:00+00:00",
        assessor=assessor,
        submission_id=submission,
        criterion=criterion,
        verdict=verdict,
    )


def decision(submission: str) -> ReviewEntry:
    return ReviewEntry(
        recorded_at="2024-06-11T11:00:00+00:00",
        assessor="lead",
        submission_id=submission,
        criterion="decision",
        decision=Decision.advance,
    )


def test_disagreements_are_two_steps_or_opposite_sides_until_a_later_decision() -> None:
    entries = [
        entry("s1", "alice", Verdict.no),
        entry("s1", "bob", Verdict.yes),  # one step, opposite sides
        entry("s2", "alice", Verdict.strong_yes),
        entry("s2", "bob", Verdict.yes),  # one step, same side: fine
        decision("s3"),  # before the verdicts: settles nothing
        entry("s3", "alice", Verdict.strong_no),
        entry("s3", "bob", Verdict.yes),
        entry("s4", "alice", Verdict.strong_no),
        entry("s4", "bob", Verdict.strong_yes),
        decision("s4"),
    ]
    found = {(item.submission_id, item.spread, item.settled) for item in disagreements(entries)}
    assert found == {("s1", 1, False), ("s3", 2, False), ("s4", 3, True)}


def test_kappa_is_undefined_without_variation_or_items() -> None:
    assert cohen_kappa([Verdict.yes, Verdict.yes], [Verdict.yes, Verdict.yes]) is None
    assert cohen_kappa([Verdict.yes], [Verdict.no]) is None
    assert cohen_kappa([Verdict.yes, Verdict.no], [Verdict.yes, Verdict.no]) == pytest.approx(1.0)
    # Perfect disagreement on two items against each other's marginals.
    assert cohen_kappa([Verdict.yes, Verdict.no], [Verdict.no, Verdict.yes]) == pytest.approx(-1.0)


def test_adjusted_total_uses_the_pipeline_formula_and_the_latest_override(out: Path) -> None:
    result = make_result(IDS[0])
    record_review(
        out,
        IDS[0],
        assessor="alice",
        criterion="correctness",
        verdict=Verdict.yes,
        override_score=0.8,
        reason="agrees with the machine",
    )
    (candidate,) = [item for item in read_debrief(out).candidates if item.submission_id == IDS[0]]
    assert candidate.adjusted_total == result.total_score
    record_review(
        out,
        IDS[0],
        assessor="bob",
        criterion="overall",
        verdict=Verdict.no,
        override_score=40,
        reason="copied from a public notebook",
    )
    (candidate,) = [item for item in read_debrief(out).candidates if item.submission_id == IDS[0]]
    assert candidate.adjusted_total == 40.0
    assert adjusted_total(result, []) is None


# -- the command line and the debrief page ---------------------------------------------------------


def test_review_commands_record_show_and_summarise(out: Path) -> None:
    def invoke(*args: str) -> Any:
        return runner.invoke(app, [*args], env={"COLUMNS": "200"})

    added = invoke(
        "review",
        "add",
        str(out),
        "b7c8",
        "--assessor",
        "alice",
        "--verdict",
        "strong-no",
        "--notes",
        "<script>alert(1)</script> leaks the label",
    )
    assert added.exit_code == 0, added.output
    assert "recorded: alice on b7c8d9e0f1a2 / overall: strong_no" in added.stdout
    assert invoke("review", "add", str(out), "b7c8", "-a", "bob", "--verdict", "yes").exit_code == 0
    decided = invoke("review", "decide", str(out), "c3d4", "-a", "lead", "--decision", "hold")
    assert decided.exit_code == 0, decided.output

    unknown = invoke(
        "review", "add", str(out), "b7c8", "-a", "bob", "--verdict", "yes", "-c", "writup"
    )
    assert unknown.exit_code == 2
    assert (
        "Error: submission b7c8d9e0f1a2 has no criterion 'writup'. Did you mean 'writeup'?"
        in unknown.stderr
    )
    assert "Hint: Valid criteria: 'overall', 'correctness'" in unknown.stderr
    no_reason = invoke(
        "review", "add", str(out), "b7c8", "-a", "bob", "--verdict", "yes", "--override", "50"
    )
    assert no_reason.exit_code == 2 and "Error: --override needs --reason" in no_reason.stderr
    missing_assessor = invoke("review", "add", str(out), "b7c8", "--verdict", "yes")
    assert missing_assessor.exit_code == 2

    changed = invoke("review", "add", str(out), "b7c8", "-a", "bob", "--verdict", "strong_yes")
    assert changed.exit_code == 0
    history = invoke("review", "show", str(out), "b7c8d9", "--history")
    assert history.stdout.count("superseded") == 1 and history.stdout.count("current") == 2
    shown = invoke("review", "show", str(out), "--json")
    current = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [(item["assessor"], item["verdict"]) for item in current] == [
        ("alice", "strong_no"),
        ("lead", None),
        ("bob", "strong_yes"),
    ]

    summary = invoke("review", "summary", str(out))
    assert summary.exit_code == 0, summary.output
    assert (
        "open disagreement b7c8d9e0f1a2 / overall: alice strong_no, bob strong_yes"
        in summary.stdout
    )
    page = (out / "debrief.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; leaks the label" in page
    assert "<script>" not in page
    assert "Jane Doe" not in page and "Blind:" in page  # ids only
    assert 'class="badge decision-hold"' in page

    assert invoke("review", "summary", str(out), "--reveal").exit_code == 0
    assert "Jane Doe 2" in (out / "debrief.html").read_text()


def test_debrief_page_renders_an_unreviewed_cohort(out: Path, tmp_path: Path) -> None:
    path = write_debrief(read_debrief(out), tmp_path / "debrief.html")
    page = path.read_text()
    assert page.count('class="candidate"') == len(IDS)
    assert "No verdicts recorded yet" in page and "Not reviewed yet." in page


def test_decisions_need_a_known_submission(out: Path) -> None:
    with pytest.raises(ReviewError, match="no submission 'ffff'"):
        record_decision(out, "ffff", assessor="lead", decision=Decision.reject)
    empty = out.parent / "empty"
    empty.mkdir()
    with pytest.raises(ReviewError, match="no graded submissions"):
        read_debrief(empty)


def test_a_directory_with_several_challenges_needs_one_chosen_for_a_debrief(out: Path) -> None:
    from harness.result import ChallengeInfo
    from harness.review import load_cohort

    other = make_result("0f0f0f0f0f0f")
    other.challenge = ChallengeInfo(
        id="kb-retrieval",
        version="1.0.0",
        title="Retrieval",
        metric="ndcg",
        baseline=0.2,
        target=0.5,
    )
    write_cohort(out, [other])
    with pytest.raises(ReviewError) as raised:
        read_debrief(out)
    assert "several challenges: churn-tabular, kb-retrieval" in raised.value.message
    assert raised.value.hint == "Choose one with --challenge ID."
    assert [item.submission_id for item in read_debrief(out, "kb-retrieval").candidates] == [
        "0f0f0f0f0f0f"
    ]
    record_review(out, "0f0f", assessor="alice", criterion="overall", verdict=Verdict.yes)
    assert len(load_cohort(out, mixed=True)) == len(IDS) + 1
