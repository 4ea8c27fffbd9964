"""diff: what two versions of the records say differently, in Markdown, from git revisions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from generator import diff
from generator.errors import GeneratorError
from tests.conftest import DATA, run_generator

ACCENT = "accent-cp.yaml"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding three of the test records, committed once."""
    root = tmp_path / "repo"
    (root / "studies").mkdir(parents=True)
    for name in (ACCENT, "passion-phase-1.yaml", "mahidol-wharton-jelly-msc-hie.yaml"):
        shutil.copy(DATA / "studies" / name, root / "studies" / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.org")
    git(root, "config", "user.name", "Test")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


def edit(repo: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = repo / "studies" / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "-am", message)
    return git(repo, "rev-parse", "--short", "HEAD")


def test_a_changed_result_value_shows_the_record_the_result_and_old_to_new(repo: Path) -> None:
    edit(repo, ACCENT, "    value: 3.3\n", "    value: 3.40\n")
    head = commit(repo, "correct a value")
    result = run_generator("diff", "main~1", head, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"## Changes in meaning: `main~1` → `{head}`\n"
        "\n"
        "1 record(s) changed in meaning; 0 added; 0 removed.\n"
        "\n"
        "### Sun 2022, ACCeNT-CP (USA, donor cord blood or cord-tissue cells, young children with CP) (`studies/accent-cp.yaml`)\n"
        "\n"
        "- Result changed: Change in gross motor function beyond the expected change · Donor "
        "cord blood (AlloCB) vs Natural history, then donor cord blood · Mean difference · "
        "Final value · 12 months: value 3.3 → 3.40\n"
    )


def test_status_enrolment_results_sources_and_lost_peer_review(repo: Path) -> None:
    edit(repo, ACCENT, "status: completed\n", "status: terminated\n")
    edit(repo, ACCENT, "  enrolled: 91\n", "  enrolled: 90\n")
    # The population block loses its only peer-reviewed source (the paper).
    edit(
        repo,
        ACCENT,
        "  sources: [registry, paper, duke-scholars]\n",
        "  sources: [registry, duke-scholars]\n",
    )
    edit(repo, ACCENT, "    ci: [0.59, 5.93]\n", "    ci: [0.60, 5.93]\n")
    result = run_generator("diff", "HEAD", cwd=repo)  # HEAD against the working tree
    assert result.returncode == 0, result.stderr
    body = result.stdout
    assert body.startswith("## Changes in meaning: `HEAD` → working tree\n")
    section = body.split(
        "### Sun 2022, ACCeNT-CP (USA, donor cord blood or cord-tissue cells, young children with CP) (`studies/accent-cp.yaml`)\n\n",
        1,
    )[1]
    assert section.splitlines()[:4] == [
        "- ⚠️ `population` lost its last peer-reviewed source (was `paper`; now `duke-scholars`, "
        "`registry`)",
        "- Status: Completed → Terminated",
        "- Enrolment (actual): 91 → 90",
        "- Result changed: Change in gross motor function beyond the expected change · Donor "
        "cord blood (AlloCB) vs Natural history, then donor cord blood · Mean difference · "
        "Final value · 12 months: ci 0.59 to 5.93 → 0.60 to 5.93",
    ]


def test_records_and_sources_added_or_removed_and_results_added(repo: Path) -> None:
    (repo / "studies" / "mahidol-wharton-jelly-msc-hie.yaml").unlink()
    shutil.copy(DATA / "studies" / "passion-2-year-follow-up.yaml", repo / "studies")
    edit(
        repo,
        "passion-phase-1.yaml",
        "references:\n",
        "references:\n  - id: extra\n    type: preprint\n    title: A new preprint\n",
    )
    git(repo, "add", "-A")
    head = commit(repo, "add, remove")
    body = diff.meaning_diff(
        diff.snapshot(repo, repo / "studies", "main~1"), diff.snapshot(repo, repo / "studies", head)
    )
    assert "1 record(s) changed in meaning; 1 added; 1 removed.\n" in body
    assert (
        "### Added\n\n- Wagenaar 2025, PASSIoN at 2 years (Netherlands, donor cells via the nose, newborns after stroke) (`studies/passion-2-year-follow-up.yaml`): "
        "Cohort with external controls; Completed\n"
    ) in body
    assert (
        "### Removed\n\n- Mahidol trial (Thailand, donor cord-tissue cells, newborns with HIE) "
        "(`studies/mahidol-wharton-jelly-msc-hie.yaml`): Registered trial, not yet reporting; "
        "Not yet recruiting\n"
    ) in body
    assert "- Source added: `extra` A new preprint (Preprint)\n" in body


def test_records_changed_only_in_other_fields_are_listed_apart(repo: Path) -> None:
    edit(repo, "passion-phase-1.yaml", "summary: |\n", "summary: |\n  Reworded.\n")
    result = run_generator("diff", "main", cwd=repo)
    assert (
        "0 record(s) changed in meaning; 0 added; 0 removed; 1 changed in other fields only."
        in (result.stdout)
    )
    assert (
        "### Changed in other fields only (not results, status, enrolment or sources)\n\n"
        "- Baak 2022, PASSIoN (Netherlands, donor cells via the nose, newborns after stroke) (`studies/passion-phase-1.yaml`)"
        in result.stdout
    )
    git(repo, "checkout", "-q", "--", ".")
    assert run_generator("diff", "main", cwd=repo).stdout.endswith(
        "No record changes in meaning.\n"
    )


def _message(where: str, *texts: str) -> str:
    sentences = "".join(f"      - {{text: {t}, cites: [accent-cp]}}\n" for t in texts)
    return f"  - {where}\n    updated: '2026-12-02'\n    sentences:\n{sentences}"


def test_key_messages_are_compared_by_page_when_the_file_exists(repo: Path) -> None:
    messages = repo / "data" / "key-messages.yaml"
    messages.parent.mkdir()
    one, two, three = (
        "condition: cerebral-palsy",
        "condition: cerebral-palsy\n    cell_type: umbilical-cord-blood",
        "condition: traumatic-brain-injury",
    )
    messages.write_text(
        "messages:\n" + _message(one, "First @team message") + _message(two, "Second"),
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    commit(repo, "messages")
    messages.write_text(
        "messages:\n" + _message(two, "Second and", "changed") + _message(three, "Third"),
        encoding="utf-8",
    )
    body = run_generator("diff", "HEAD", cwd=repo).stdout
    assert body.split("### Key messages\n\n", 1)[1] == (
        "- Added `traumatic-brain-injury`: Third\n"
        "- Removed `cerebral-palsy`: First &#64;team message\n"
        "- Changed `cerebral-palsy · umbilical-cord-blood`: text: Second → Second and changed\n"
    )
    # Before the file existed, every message is new; a broken file is said, not fatal.
    assert (
        "- Added `cerebral-palsy`: First &#64;team message"
        in run_generator("diff", "HEAD~1", "HEAD", cwd=repo).stdout
    )
    messages.write_text("messages: [\n", encoding="utf-8")
    broken = run_generator("diff", "HEAD", cwd=repo)
    assert broken.returncode == 0
    assert (
        "⚠️ `data/key-messages.yaml` cannot be read at head: line 2, column 1: YAML syntax error"
        in (broken.stdout)
    )


def test_a_record_that_does_not_parse_is_named_not_fatal(repo: Path) -> None:
    (repo / "studies" / ACCENT).write_text("id: [\n", encoding="utf-8")
    result = run_generator("diff", "HEAD", cwd=repo)
    assert result.returncode == 0
    assert "- ⚠️ cannot be read at working tree: line 2, column 1: YAML syntax error" in (
        result.stdout
    )


def test_unknown_revisions_and_folders_outside_git_are_one_line_errors(
    repo: Path, tmp_path: Path
) -> None:
    for args, cwd, message in (
        (("no-such-branch",), repo, "error: no-such-branch: not a git revision"),
        (("HEAD", "0123abc"), repo, "error: 0123abc: not a git revision"),
        (("HEAD",), tmp_path / "outside", "error: git rev-parse: "),
    ):
        cwd.mkdir(exist_ok=True)
        (cwd / "studies").mkdir(exist_ok=True)
        result = run_generator("diff", *args, cwd=cwd)
        assert result.returncode == 1, args
        (line,) = result.stderr.splitlines()
        assert line.startswith(message), line
    with pytest.raises(GeneratorError):
        diff.snapshot(repo, repo / "studies", "HEAD~5")


def test_fact_blocks_are_named_by_id_or_result_not_by_position() -> None:
    data = {
        "population": {"sources": ["a"]},
        "arms": [{"id": "cells", "sources": ["b"]}],
        "effects": [
            {"outcome": "gmfm", "measure": "mean-difference", "time_point": "1 y", "source": "c"}
        ],
        "safety": {"events": [{"kind": "deaths", "source": "d"}], "sources": ["e"]},
    }
    assert diff.fact_blocks(data) == {
        "population": {"a"},
        "arms cells": {"b"},
        "effects (gmfm, mean-difference, 1 y)": {"c"},
        "safety.events #1": {"d"},
        "safety": {"e"},
    }
