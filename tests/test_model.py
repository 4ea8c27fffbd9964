"""Model stage: every schema field reaches the model, and a full record renders."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from generator.collate import collate_site
from generator.load import RawRecord, load_file
from generator.model import build_study
from generator.render import render_pages
from generator.validate import load_schema, validate_records
from tests.conftest import DATA, SITE_URL, minimal_record

EVERY_FIELD = DATA / "maximal" / "every-field.yaml"


def _schema_paths(node: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> set[str]:
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    found: set[str] = set()
    for name, sub in node.get("properties", {}).items():
        found.add(f"{prefix}{name}")
        found |= _schema_paths(sub, schema, f"{prefix}{name}.")
    if isinstance(node.get("items"), dict):
        found |= _schema_paths(node["items"], schema, prefix)
    return found


def _data_paths(value: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(f"{prefix}{key}")
            found |= _data_paths(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            found |= _data_paths(item, prefix)
    return found


def _every_field() -> RawRecord:
    record = load_file(EVERY_FIELD)
    assert isinstance(record, RawRecord)
    return record


def test_the_full_record_uses_every_schema_field() -> None:
    schema = load_schema()
    missing = _schema_paths(schema, schema) - _data_paths(_every_field().data)
    assert missing == set(), "add the new fields to tests/data/maximal/every-field.yaml"


def test_every_field_is_valid_builds_and_renders() -> None:
    record = _every_field()
    companion = RawRecord(
        record.path.with_name("companion.yaml"), minimal_record("companion"), {}, {}
    )
    assert validate_records([record, companion]) == []
    study = build_study(record.data)
    assert study.results[0].main
    assert study.risk_of_bias is not None
    assert study.risk_of_bias.domains == (("Randomisation process", "low"),)
    pages = render_pages(collate_site([study, build_study(companion.data)], site_url=SITE_URL))
    page = pages[PurePosixPath("studies/every-field.md")]
    assert "- Follow-up of: [Example study](companion.md)" in page
    assert "RoB 2 (2019)" in page
    assert (
        '| Gross motor function | <span class="badge badge--grade badge--low">Low</span> | '
        "review authors (2020) [&#91;1&#93;](#references) |" in page
    )


def test_ratings_are_shown_as_not_assessed_when_absent() -> None:
    data = dict(_every_field().data)
    del data["certainty"], data["risk_of_bias"], data["related"]
    pages = render_pages(collate_site([build_study(data)], site_url=SITE_URL))
    page = pages[PurePosixPath("studies/every-field.md")]
    not_assessed = '<span class="badge badge--{} badge--none">Not assessed</span>'
    assert f"**GRADE certainty:** {not_assessed.format('grade')}." in page
    assert f"**Risk of bias:** {not_assessed.format('rob')}." in page
