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


SKELETON_FIELDS = [
    "short_name",
    "title",
    "evidence_kind",
    "status",
    "status_checked",
    "conditions[0]",
    "summary",
    "arms[0].id",
    "arms[0].label",
    "arms[0].role",
    "interventions[0].arm",
    "interventions[0].cell_type",
    "interventions[0].route",
    "outcomes[0].id",
    "outcomes[0].name",
    "outcomes[0].role",
    "outcomes[0].role_stated_by",
    "references[0].type",
    "references[0].title",
    "added",
    "last_reviewed",
]


def test_skeleton_is_reported_only_at_its_placeholders() -> None:
    record = parse_text(Path("new-study.yaml"), skeleton("new-study"))
    assert isinstance(record, RawRecord)
    fields = [(i.field, i.message.split(":")[0]) for i in validate_records([record])]
    assert fields == [(field, "to fill in") for field in SKELETON_FIELDS]


def test_skeleton_is_a_v2_record_with_arms_interventions_and_outcomes() -> None:
    record = parse_text(Path("new-study.yaml"), skeleton("new-study"))
    assert isinstance(record, RawRecord)
    data = record.data
    assert list(data) == [
        "id",
        "short_name",
        "title",
        "evidence_kind",
        "status",
        "status_checked",
        "conditions",
        "summary",
        "arms",
        "interventions",
        "outcomes",
        "references",
        "added",
        "last_reviewed",
    ]
    assert set(data["arms"][0]) == {"id", "label", "role", "sources"}
    assert set(data["interventions"][0]) == {"arm", "cell_type", "route", "sources"}
    assert set(data["outcomes"][0]) == {"id", "name", "role", "role_stated_by", "sources"}
    assert "results" not in data
    assert "population" not in data  # arms are top level now


def test_skeleton_comments_come_from_the_schema() -> None:
    text = skeleton("new-study")
    assert text.startswith(
        "# yaml-language-server: $schema=../generator/schema/study.schema.json\n"
    )
    assert (
        "# One of: randomised-trial, non-randomised-controlled-trial, uncontrolled-trial," in text
    )
    assert "# Plain-language summary in our own words (never copied from the source)." in text
    assert (
        "# One of: experimental, placebo, sham, usual-care, no-treatment, delayed-treatment,"
        in text
    )
    assert (
        "# Id of the arm in arms that received it." not in text
    )  # the first key's is above the list
    assert "# arm: Id of the arm in arms that received it." in text
    assert "# One of: primary, secondary, other\n" in text


def example_lines(text: str) -> list[str]:
    """The commented results example, uncommented."""
    lines = text.splitlines()
    start = lines.index("# group_values:")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("# "))
    return [line.removeprefix("# ") for line in lines[start:end]]


def test_results_examples_are_valid_when_uncommented(write_record) -> None:  # type: ignore[no-untyped-def]
    example = yaml.safe_load("\n".join(example_lines(skeleton("new-study"))))
    assert set(example) == {"group_values", "effects"}
    assert example["group_values"][0]["statistic"] == "mean"
    assert example["effects"][0]["experimental"] == ["cells"]
    record = minimal_record(
        arms=[
            {"id": "cells", "label": "Cells", "role": "experimental"},
            {"id": "placebo", "label": "Placebo", "role": "placebo"},
        ],
        outcomes=[
            {
                "id": "gmfm",
                "name": "Gross motor function",
                "instrument": "gmfm-66",
                "role": "primary",
                "role_stated_by": "publication",
                "sources": ["paper"],
            }
        ],
        **example,
    )
    path = write_record(record)
    loaded = parse_text(path, path.read_text(encoding="utf-8"))
    assert isinstance(loaded, RawRecord)
    assert validate_records([loaded]) == []


def test_results_example_tails_list_the_schema_s_values() -> None:
    text = skeleton("new-study")
    assert "#     statistic: mean  # one of: mean, median, count, events, proportion" in text
    assert "#     scale: change  # one of: final, change, change-beyond-expected" in text
    assert "#       plan: prespecified-primary  # one of: prespecified-primary," in text


def test_new_writes_once_and_refuses_bad_ids(sample_project: Path) -> None:
    result = run("new", "my-study", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote studies/my-study.yaml. Next:")
    check = run("check", "--today", "2026-12-01", cwd=sample_project)
    assert check.returncode == 1
    # Only the new record's lines: the other records in the sample project are not ours to judge.
    mine = [line for line in check.stderr.splitlines() if line.startswith("studies/my-study.yaml:")]
    assert len(mine) == len(SKELETON_FIELDS)
    assert all(": to fill in: " in line for line in mine)
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
