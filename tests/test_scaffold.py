"""`new`: a skeleton that fails check only at its marked fields; placeholders in validation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from generator.load import RawRecord, parse_text
from generator.scaffold import skeleton
from generator.validate import validate_records
from tests.conftest import minimal_record, run_generator


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_generator(*args, cwd=cwd)


def test_skeleton_is_reported_only_at_its_placeholders() -> None:
    record = parse_text(Path("new-study.yaml"), skeleton("new-study"))
    assert isinstance(record, RawRecord)
    fields = [(i.field, i.message.split(":")[0]) for i in validate_records([record])]
    assert fields == [
        ("short_name", "to fill in"),
        ("title", "to fill in"),
        ("evidence_kind", "to fill in"),
        ("status", "to fill in"),
        ("conditions[0]", "to fill in"),
        ("summary", "to fill in"),
        ("references[0].type", "to fill in"),
        ("references[0].title", "to fill in"),
        ("added", "to fill in"),
        ("last_reviewed", "to fill in"),
    ]


def test_skeleton_comments_come_from_the_schema() -> None:
    text = skeleton("new-study")
    assert text.startswith(
        "# yaml-language-server: $schema=../generator/schema/study.schema.json\n"
    )
    assert "# One of: randomised-trial, non-randomised-trial," in text
    assert "# Plain-language summary in our own words (never copied from the source)." in text


def test_new_writes_once_and_refuses_bad_ids(sample_project: Path) -> None:
    result = run("new", "my-study", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote studies/my-study.yaml. Next:")
    check = run("check", "--today", "2026-12-01", cwd=sample_project)
    assert check.returncode == 1
    assert check.stderr.splitlines()[-1] == "10 problem(s) found"
    assert all(": to fill in: " in line for line in check.stderr.splitlines()[:-1])
    again = run("new", "my-study", cwd=sample_project)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    for bad in ("My_Study", "index", "a" * 81, "x-"):
        refused = run("new", bad, cwd=sample_project)
        assert refused.returncode == 1
        assert "is not a record id" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_a_placeholder_silences_other_rules_for_its_field(write_record) -> None:  # type: ignore[no-untyped-def]
    record = minimal_record(
        status="TODO: check the registry",
        population={"description": "x", "enrolled": "TODO: count", "sources": ["TODO: ref"]},
        conditions=["TODO: pick", "cerebral-palsy"],
    )
    path = write_record(record)
    loaded = parse_text(path, path.read_text(encoding="utf-8"))
    assert isinstance(loaded, RawRecord)
    assert sorted((i.field, i.message) for i in validate_records([loaded])) == [
        ("conditions[0]", "to fill in: pick"),
        ("population.enrolled", "to fill in: count"),
        ("population.sources[0]", "to fill in: ref"),
        ("status", "to fill in: check the registry"),
    ]


def test_placeholders_never_hide_other_fields_problems(write_record) -> None:  # type: ignore[no-untyped-def]
    path = write_record(minimal_record(status="TODO: x", phase="7", sponser="y"))
    loaded = parse_text(path, path.read_text(encoding="utf-8"))
    assert isinstance(loaded, RawRecord)
    fields = sorted(i.field for i in validate_records([loaded]))
    assert fields == ["phase", "sponser", "status"]
    assert yaml.safe_load(path.read_text())["status"] == "TODO: x"
