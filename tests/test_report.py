"""Curation warnings (shown, never failing), the report command and GitHub annotations."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import annotation
from generator.errors import Issue
from generator.load import RawRecord, parse_text
from generator.report import curation_warnings, months_before, period_end
from tests.conftest import DATA, ROOT, minimal_record, run_generator
from tests.test_scaffold import SKELETON_FIELDS

TODAY = date(2026, 11, 22)
FIXTURES = len(list((DATA / "studies").glob("*.yaml")))
"""Fixture records, all reviewed in 2026: each gets an old-review warning in 2030."""


def raw(record: dict[str, Any]) -> RawRecord:
    loaded = parse_text(Path(f"{record['id']}.yaml"), yaml.safe_dump(record, sort_keys=False))
    assert isinstance(loaded, RawRecord)
    return loaded


def messages(*records: dict[str, Any], today: date = TODAY) -> list[str]:
    return [
        f"{w.path.name}: {w.field}: {w.message}"
        for w in curation_warnings([raw(r) for r in records], today)
    ]


def test_review_older_than_twelve_months_is_flagged_from_the_day_after() -> None:
    assert messages(minimal_record(last_reviewed="2025-11-22")) == []
    assert messages(minimal_record(last_reviewed="2025-11-21")) == [
        "example-study.yaml: last_reviewed: last reviewed 2025-11-21, more than 12 months ago; "
        "check the record against its sources and update last_reviewed"
    ]
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


def test_recruiting_after_completion_uses_the_end_of_a_partial_date() -> None:
    record = minimal_record(status="recruiting", dates={"completion": "2026-11"})
    assert messages(record) == []
    assert messages(record, today=date(2026, 12, 1)) == [
        "example-study.yaml: status: status is 'recruiting' but the completion date 2026-11 "
        "has passed; check the registry for the current status"
    ]
    assert period_end("2024-02") == date(2024, 2, 29)
    assert period_end("2024-02-30") is None
    completed = minimal_record(status="completed", dates={"completion": "2020"})
    assert messages(completed) == []


def test_duplicate_candidates_unless_related() -> None:
    first = minimal_record(
        "first-record",
        title="Cord Blood for CP: a Trial",
        references=[{"id": "paper", "type": "article", "title": "x", "year": 2020}],
    )
    second = minimal_record(
        "second-record",
        title="Cord blood for CP - a trial.",
        references=[{"id": "paper", "type": "article", "title": "y", "year": 2020}],
    )
    other_year = minimal_record(
        "third-record",
        title="Cord blood for CP: a trial",
        references=[{"id": "paper", "type": "article", "title": "z", "year": 2021}],
    )
    assert messages(first, second, other_year) == [
        "second-record.yaml: title: possible duplicate of first-record.yaml (same title and "
        "year (2020)); merge the records, or relate them with `related` or a shared `trial`"
    ]
    related = {**second, "related": [{"id": "first-record", "relation": "follow-up-of"}]}
    assert messages(first, related) == []
    trial = {"id": "one-trial", "basis": "stated", "sources": ["paper"]}
    assert messages({**first, "trial": trial}, {**second, "trial": trial}) == []


def test_warnings_tolerate_any_shape() -> None:
    odd = parse_text(Path("odd.yaml"), "id: [1]\nstatus: recruiting\ndates: 5\ntitle: {a: b}\n")
    assert isinstance(odd, RawRecord)
    assert curation_warnings([odd, odd], TODAY) == []


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_generator(*args, cwd=cwd, env=env)


def test_check_shows_warnings_but_passes(sample_project: Path) -> None:
    result = run("check", "--today", "2030-01-01", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == f"{FIXTURES} warning(s) (these do not fail the check)"
    first = min(p.name for p in (DATA / "studies").glob("*.yaml"))
    assert lines[0].startswith(f"studies/{first}:")
    assert ": last_reviewed: warning: last reviewed " in lines[0]


def test_a_shared_registration_is_reported_once_as_an_error(sample_project: Path) -> None:
    twin = minimal_record(
        "twin", registrations=[{"registry": "clinicaltrials.gov", "id": "NCT03356821"}]
    )
    (sample_project / "studies" / "twin.yaml").write_text(yaml.safe_dump(twin))
    result = run("check", "--today", "2026-01-01", cwd=sample_project)
    assert result.returncode == 1
    assert result.stderr.count("NCT03356821") == 1
    assert "warning" not in result.stderr


def test_report_lists_fields_to_fill_in_and_warnings(sample_project: Path) -> None:
    assert run("new", "draft-study", cwd=sample_project).returncode == 0
    result = run("report", "--today", "2030-01-01", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    skeleton = len(SKELETON_FIELDS)
    assert lines[-1] == f"curation to-do: {skeleton + FIXTURES} item(s) in {1 + FIXTURES} file(s)"
    assert sum(": to fill in: " in line for line in lines) == skeleton
    assert sum("more than 12 months ago" in line for line in lines) == FIXTURES
    assert run("report", cwd=sample_project / "nowhere").returncode == 1


def test_annotations_on_github_actions(sample_project: Path) -> None:
    (sample_project / "studies" / "bad.yaml").write_text(
        yaml.safe_dump(minimal_record("bad", status="ongoing"))
    )
    env = {"GITHUB_ACTIONS": "true", "PATH": "/usr/bin:/bin"}
    result = run("check", "--today", "2030-01-01", cwd=sample_project, env=env)
    assert result.returncode == 1
    out = result.stdout.splitlines()
    assert out[0] == (
        "::error file=studies/bad.yaml,line=12,col=9,title=status::'ongoing' is not allowed; use "
        "one of: not-yet-recruiting, recruiting, enrolling-by-invitation, active-not-recruiting, "
        "suspended, completed, terminated, withdrawn, available, no-longer-available, unknown"
    )
    assert sum(line.startswith("::warning file=studies/") for line in out) == FIXTURES + 1
    plain = run("check", cwd=sample_project)
    assert "::error" not in plain.stdout + plain.stderr


@pytest.mark.parametrize(
    ("field", "message", "expected"),
    [
        ("a.b", "plain", "::error file=x.yaml,line=3,col=4,title=a.b::plain"),
        (
            "x,y:z",
            "100% sure\r\nnext: line",
            "::error file=x.yaml,line=3,col=4,title=x%2Cy%3Az::100%25 sure%0D%0Anext: line",
        ),
        ("", "m", "::error file=x.yaml,line=3,col=4,title=(record)::m"),
    ],
)
def test_annotation_escaping(field: str, message: str, expected: str) -> None:
    issue = Issue(Path("/r/x.yaml"), 3, 4, field, message)
    assert annotation("error", issue, Path("/r")) == expected


def test_a_short_name_that_is_only_author_and_year_is_flagged() -> None:
    assert messages(minimal_record(short_name="Tsuji 2020")) == [
        "example-study.yaml: short_name: say in brackets where, which cells and which children, "
        "in plain words, e.g. 'Tsuji 2020 (Japan, own cord blood, newborns with HIE)'"
    ]
    assert messages(minimal_record(short_name="Tsuji 2020 (Japan, own cord blood, HIE)")) == []


def test_every_real_record_is_named_for_people() -> None:
    from generator.load import load_records

    loaded = load_records(ROOT / "studies")
    flagged = [
        w.path.name for w in curation_warnings(loaded.records, TODAY) if w.field == "short_name"
    ]
    assert flagged == []


def test_a_registered_trial_completed_a_year_ago_without_results_is_flagged() -> None:
    record = minimal_record(
        evidence_kind="registered-trial",
        status="completed",
        dates={"completion": "2025-11", "sources": ["paper"]},
    )
    assert messages(record, today=date(2026, 11, 30)) == []
    assert messages(record, today=date(2026, 12, 1)) == [
        "example-study.yaml: status: completed 2025-11, more than 12 months ago, and no results "
        "are recorded; search the registry's results and the literature, and record what you "
        "find (the page says 'no results found' meanwhile)"
    ]
    posted = minimal_record(
        evidence_kind="registered-trial",
        status="completed",
        dates={"completion": "2020", "results_posted": "2021-03-01", "sources": ["paper"]},
    )
    assert messages(posted) == [
        "example-study.yaml: dates.results_posted: results were posted on the registry on "
        "2021-03-01 and none are recorded; read them and record them with the registry as "
        "their source"
    ]
