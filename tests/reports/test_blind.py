"""Blind review: which strings identify a candidate, and their redaction."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from reports.blind import (
    HIDDEN_SOURCE,
    REDACTED,
    Identity,
    Redactor,
    blind_result,
    declared_names,
    git_authors,
    plausible_names,
    read_identity,
    write_identity,
)
from tests.reports.test_html import make_result


def identity_of(source: str, label: str, authors: tuple[str, ...] = ()) -> Identity:
    return Identity.of(make_result(submission={"source": source, "label": label}), authors)


def test_path_components_that_name_someone() -> None:
    terms = identity_of("/tmp/pytest-of-root/pytest-3/candidates/alice-smith/repo", "repo").terms
    assert "alice-smith" in terms and "alice smith" in terms and "alicesmith" in terms
    for generic in ("tmp", "candidates", "repo", "pytest-3", "pytest-of-root"):
        assert generic not in terms


def test_words_of_the_challenge_are_not_identities() -> None:
    # make_result's challenge is "churn", titled "Customer churn".
    terms = identity_of("/srv/churn/customer/jo-ann", "jo-ann").terms
    assert "jo-ann" in terms
    assert not {"churn", "customer", "Customer"} & set(terms)


def test_urls_and_archives() -> None:
    terms = identity_of("https://github.com/bob-jones/churn-take-home.git", "churn-take-home").terms
    assert "bob-jones" in terms and "churn-take-home" in terms
    assert "github" not in terms and "github.com" not in terms
    archive = identity_of("/srv/in/carol_ng.tar.gz", "carol_ng.tar.gz").terms
    assert "carol_ng" in archive and "carol ng" in archive
    scp = identity_of("git@gitlab.example:dave-o/solution.git", "solution").terms
    assert "dave-o" in scp


def test_git_authors_count_name_by_name() -> None:
    terms = identity_of("/x/submission", "submission", ("Erin Quist", "erin.q@example.org")).terms
    assert {"Erin Quist", "Erin", "Quist", "erin.q@example.org", "erin.q"} <= set(terms)


def test_redactor_replaces_emails_and_whole_words_only() -> None:
    redactor = Redactor(identity_of("/srv/ann-lee", "ann-lee", ("Ann Lee",)))
    text = "Ann Lee (ann.lee+work@mail.example.co.uk) wrote an annual report; ANN-LEE agrees."
    assert redactor.text(text) == (
        f"{REDACTED} ({REDACTED}) wrote an annual report; {REDACTED} agrees."
    )
    assert redactor.text("nobody@example.org") == REDACTED
    assert redactor.text("Lee said hi") == f"{REDACTED} said hi"  # a name counts word by word
    assert Redactor(Identity()).text("plain text") == "plain text"


def test_redactor_keeps_markup_of_html_fragments() -> None:
    redactor = Redactor(identity_of("/srv/ann-lee", "ann-lee", ("Ann Lee",)))
    fragment = '<p class="lee">Hello Ann Lee</p><pre>ann-lee</pre>'
    assert redactor.html(fragment) == f'<p class="lee">Hello {REDACTED}</p><pre>{REDACTED}</pre>'


def test_blind_result_hides_source_label_commit_and_redacts_everything_else() -> None:
    result = make_result(
        submission={
            "source": "/home/x/frank-ode",
            "label": "frank-ode",
            "notes": ["from frank-ode"],
        },
        message="frank.ode@example.org crashed",
    )
    blind = blind_result(result, Redactor(Identity.of(result)))
    assert blind.submission.source == HIDDEN_SOURCE
    assert blind.submission.label == f"Candidate {result.submission.id}"
    assert blind.submission.commit is None
    assert blind.submission.notes == [f"from {REDACTED}"]
    assert blind.message == f"{REDACTED} crashed"
    assert "frank" not in blind.model_dump_json().lower()
    assert result.submission.label == "frank-ode"  # the original is untouched


def _commit(repository: Path, name: str, email: str) -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "Grace Committer",
        "GIT_COMMITTER_EMAIL": "grace@commit.example",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    (repository / "file.txt").write_text(name, encoding="utf-8")
    for arguments in (["add", "file.txt"], ["commit", "--quiet", "-m", "work"]):
        subprocess.run(["git", "-C", str(repository), *arguments], check=True, env=environment)


def test_git_authors_are_kept_beside_the_result(tmp_path: Path) -> None:
    repository = tmp_path / "work"
    repository.mkdir()
    subprocess.run(["git", "init", "--quiet", str(repository)], check=True)
    _commit(repository, "Heidi Author", "heidi@author.example")
    # A configured pager or signature program must not run.
    marker = tmp_path / "ran"
    subprocess.run(
        ["git", "-C", str(repository), "config", "core.pager", f"touch {marker}"], check=True
    )
    subprocess.run(
        ["git", "-C", str(repository), "config", "gpg.program", f"touch {marker}"], check=True
    )
    subprocess.run(
        ["git", "-C", str(repository), "config", "log.showSignature", "true"], check=True
    )
    authors = git_authors(str(repository))
    assert authors == sorted(
        ["Heidi Author", "heidi@author.example", "Grace Committer", "grace@commit.example"]
    )
    assert not marker.exists()

    result = make_result(submission={"kind": "git", "source": str(repository), "label": "work"})
    out = tmp_path / "out" / result.submission.id
    write_identity(result, out)
    terms = read_identity(result, out).terms
    assert "Heidi" in terms and "heidi@author.example" in terms
    assert read_identity(result, tmp_path / "elsewhere").terms == Identity.of(result).terms


@pytest.mark.parametrize("source", ["https://example.com/x.git", "/does/not/exist"])
def test_git_authors_of_what_is_not_a_local_repository(source: str) -> None:
    assert git_authors(source) == []


@pytest.mark.parametrize("name", ["baseline", "status", "target", "metrics"])
def test_a_source_named_like_a_result_field_keeps_the_schema(name: str) -> None:
    # A directory called like a field of result.json is redacted in text, never as a key.
    result = make_result(
        submission={"source": f"/home/x/{name}", "label": name}, message=f"{name} crashed"
    )
    blind = blind_result(result, Redactor(Identity.of(result)))
    assert blind.challenge.baseline == result.challenge.baseline
    assert blind.status == result.status
    assert blind.message.endswith("crashed")


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Jane Doe <jane@example.com>", ["jane@example.com", "Jane Doe"]),
        ("**Jane Doe**", ["Jane Doe"]),
        ("J. R. Smith, Ann-Marie O'Neil", ["J. R. Smith", "Ann-Marie O'Neil"]),
        ("Åsa Öberg (she/her)", ["Åsa Öberg"]),
        ("Ludwig van Beethoven", ["Ludwig van Beethoven"]),
        ("churn model", []),
        ("see below", []),
        ("ROC AUC", []),
        ("Customer ID", []),
        ("Random forest with calibrated probabilities", []),
    ],
)
def test_only_what_looks_like_a_name_is_taken(value: str, names: list[str]) -> None:
    assert plausible_names(value) == names


def test_names_a_submission_declares_are_found_and_kept(tmp_path: Path) -> None:
    root = tmp_path / "submission"
    (root / "docs").mkdir(parents=True)
    (root / "WRITEUP.md").write_text(
        "# Churn: my approach\n\n**Author:** Jane Doe\n\n```yaml\nname: Not Person\n```\n"
        "- name: Random Forest\n\nWritten by hand, tested with care.\n",
        encoding="utf-8",
    )
    (root / "docs" / "notes.txt").write_text("Candidate - Bob Li (bob.li@mail.example)\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "churn"\nauthors = [{name = "Carol Diaz", email = "carol@x.example"}]\n'
    )
    (root / "setup.py").write_text('setup(name="churn", author="Dan Eko")\n')
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["Name: Eve Fox\n"]}],
        "metadata": {"authors": [{"name": "Eve Fox"}, {"name": "Frank Gale"}]},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "analysis.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "README.md").write_text("Author: Hidden Person\n")
    found = declared_names(root)
    assert sorted(found) == sorted(
        [
            "Bob Li",
            "Carol Diaz",
            "Dan Eko",
            "Eve Fox",
            "Frank Gale",
            "Jane Doe",
            "bob.li@mail.example",
            "carol@x.example",
        ]
    )
    assert declared_names(tmp_path / "missing") == []

    result = make_result(submission={"kind": "directory", "source": str(root), "label": "s"})
    out = tmp_path / "out" / result.submission.id
    write_identity(result, out, found)
    redactor = Redactor(read_identity(result, out))
    text = redactor.text(
        "Jane Doe wrote this, jane.doe reviewed it; Carol Diaz used Random Forest."
    )
    assert text == "[redacted] wrote this, [redacted] reviewed it; [redacted] used Random Forest."
    # Whole names only: a declared name never blanks out a single word.
    assert redactor.text("Jane checked it") == "Jane checked it"


def test_declared_names_cannot_blank_out_words_of_the_report(tmp_path: Path) -> None:
    (tmp_path / "WRITEUP.md").write_text(
        "Authors: Integrity Network, The, See, Output\n", encoding="utf-8"
    )
    found = declared_names(tmp_path)
    result = make_result(submission={"kind": "directory", "source": "/x/s", "label": "s"})
    redactor = Redactor(Identity.of(result, declared=found))
    flag = "integrity: network: an attempt to open a socket; forged output ignored. See the log."
    assert redactor.text(flag) == flag


def test_declared_names_are_capped(tmp_path: Path) -> None:
    names = ", ".join(f"Person{chr(65 + index)}x Smith" for index in range(20))
    (tmp_path / "README.md").write_text(f"Authors: {names}\n", encoding="utf-8")
    assert len(declared_names(tmp_path)) == 10


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("README.md", "Author: Jane" + " " * 200_000 + "Doe\n"),
        ("README.md", "Author:" + "*_ " * 100_000 + "\n"),
        ("README.md", "Author: " + "<" * 100_000 + "\n"),
        ("setup.py", 'setup(author="Jane' + " " * 1_000_000 + 'x")\n'),
        ("pyproject.toml", 'tool = "x"\n[project]\nname = "y"\n'),
        ("pyproject.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n"),
        ("deep.ipynb", "[" * 200_000 + "]" * 200_000),
        (
            "cells.ipynb",
            json.dumps(
                {"cells": [{"cell_type": "markdown", "source": ["Author: Ann Lee\n", None, 3]}]}
            ),
        ),
    ],
)
def test_hostile_files_name_nobody_quickly_and_never_raise(
    tmp_path: Path, name: str, content: str
) -> None:
    import time

    (tmp_path / name).write_text(content, encoding="utf-8")
    started = time.process_time()
    found = declared_names(tmp_path)
    # CPU time, generous: quadratic patterns on these inputs took minutes to hours.
    assert time.process_time() - started < 5.0
    assert found in ([], ["Ann Lee"])
