"""`new`: a skeleton that fails check only at its marked fields; placeholders in validation."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from generator.draft import MAIN_REFERENCE, comment
from generator.importers.refs import read_references, snippet
from generator.load import RawRecord, parse_text
from generator.scaffold import ALTERNATIVES, guide, skeleton
from generator.schema import field_docs
from generator.validate import validate_records
from tests.conftest import DATA, ROOT, minimal_record, run_generator


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


def test_skeleton_writes_out_the_fields_most_records_need() -> None:
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
    assert data["references"][0]["id"] == MAIN_REFERENCE == "paper"
    assert data["arms"][0]["sources"] == [MAIN_REFERENCE]


def uncommented(text: str) -> str:
    """The skeleton with every field switched on: one leading `# ` removed from each line that
    is not a description (`##`), as the header tells a person to do."""
    lines = text.splitlines()
    on = [re.sub(r"^(\s*)# (?!#)", r"\1", line) for line in lines[1:]]
    return "\n".join([lines[0], *on]) + "\n"


def paths(value: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(f"{prefix}{key}")
            found |= paths(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            found |= paths(item, prefix[:-1] + "[]." if prefix else prefix)
    return found


def test_every_field_of_the_schema_is_in_the_skeleton() -> None:
    """Nothing has to be copied from other records: each field is written out or commented out
    in place (or, for the few that replace another, described beside it)."""
    text = skeleton("new-study")
    record = parse_text(Path("new-study.yaml"), uncommented(text))
    assert isinstance(record, RawRecord)
    written = paths(record.data)
    replacing = {
        f"{path.rpartition('.')[0]}.{other}": path
        for path, others in ALTERNATIVES.items()
        for other in others
    }
    schema_fields = {doc.path for doc in field_docs()}
    assert schema_fields - written == set(replacing)
    assert written <= schema_fields
    for other, path in replacing.items():
        name = other.rpartition(".")[2]
        assert f"Instead of {path.rpartition('.')[2]}: {name}: " in text, other
    for section in ("group_values", "effects", "safety", "references", "dates", "registrations"):
        assert f"\n# {section}:" in text or f"\n{section}:" in text, section


def test_every_section_switched_on_is_listed_by_check_until_filled_in() -> None:
    """Uncommented at once, the skeleton parses, and `check` reports only the placeholders (a
    commented-out field can never be published by mistake by switching it on)."""
    text = uncommented(skeleton("new-study"))
    # Reviews are the one kind of record that may hold every section (pooled included).
    text = re.sub(r'(?m)^evidence_kind: "TODO: .*"$', "evidence_kind: systematic-review", text)
    record = parse_text(Path("new-study.yaml"), text)
    assert isinstance(record, RawRecord)
    issues = validate_records([record])
    assert len(issues) > 150
    assert [i.format() for i in issues if not i.message.startswith("to fill in: ")] == []


def test_skeleton_comments_come_from_the_schema() -> None:
    text = skeleton("new-study")
    assert text.startswith(
        "# yaml-language-server: $schema=../generator/schema/study.schema.json\n## New study"
    )
    prose = " ".join(
        re.sub(r"^\s*(# +)?## ?", "", line) for line in text.splitlines() if "##" in line
    )
    for doc in field_docs():  # every description and every list of allowed values
        assert " ".join(guide(doc.path).split()) in prose, doc.path
    for line in comment(guide("arms[].role"), indent=4, marker="##"):
        assert f"\n{line}\n" in text
    assert "## One of: primary, secondary, other\n" in text
    # Commented-out fields and their descriptions, at their indentation in the entry.
    assert '    ## Participants allocated to the arm.\n    # n: "TODO: a whole number"\n' in text
    assert '#     p: "TODO: the P value exactly as printed, e.g. P = .028 or <0.001"\n' in text
    assert "#   ## Optional. How long harms were followed, e.g. '2 years'.\n" in text


def test_new_then_import_ref_gives_sources_that_resolve() -> None:
    """Pasting the printed entry over the skeleton's reference, as told, resolves every
    `sources: [paper]` the skeleton wrote: only placeholders remain to fill in."""
    text = skeleton("ren-2020")
    start = text.index("  - id: paper\n")
    end = text.index("\n## ", start)  # the entry ends at the next top-level field's description
    entry = snippet(read_references((DATA / "refs" / "ren-2020.nbib").read_text("utf-8")))
    pasted = text[:start] + entry + text[end + 1 :]
    record = parse_text(Path("ren-2020.yaml"), pasted)
    assert isinstance(record, RawRecord), record
    assert record.data["references"][0]["pmid"] == "31702120"
    fields = [(i.field, i.message.split(":")[0]) for i in validate_records([record])]
    expected = [f for f in SKELETON_FIELDS if not f.startswith("references[0].")]
    assert fields == [(field, "to fill in") for field in expected]


def test_skeleton_passes_yamllint_written_and_uncommented() -> None:
    config = YamlLintConfig(file=str(ROOT / ".yamllint"))
    for text in (skeleton("new-study"), uncommented(skeleton("new-study"))):
        assert [str(p) for p in linter.run(text, config)] == []


def test_new_writes_once_and_refuses_bad_ids(sample_project: Path) -> None:
    result = run("new", "my-study", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote studies/my-study.yaml. Next (CONTRIBUTING.md):")
    assert "make import-ref FILE=" in result.stdout
    assert "python -m generator" not in result.stdout  # make targets work as printed
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


def test_a_placeholder_silences_rules_across_records_too(write_record) -> None:  # type: ignore[no-untyped-def]
    record = minimal_record(
        related=[{"id": "TODO: the other record", "relation": "follow-up-of"}],
        evidence_kind="systematic-review",
        pooled={"includes": [{"record": "TODO: a record id"}], "sources": ["paper"]},
    )
    path = write_record(record)
    loaded = parse_text(path, path.read_text(encoding="utf-8"))
    assert isinstance(loaded, RawRecord)
    assert sorted((i.field, i.message) for i in validate_records([loaded])) == [
        ("pooled.includes[0].record", "to fill in: a record id"),
        ("related[0].id", "to fill in: the other record"),
    ]
