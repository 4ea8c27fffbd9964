"""Model stage: every schema field reaches the model, and a full record renders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from generator.collate import collate_site
from generator.load import RawRecord, load_file
from generator.model import build_study
from generator.render import render_pages
from generator.validate import load_schema, validate_records
from tests.conftest import DATA, SITE_URL, minimal_record

EVERY_FIELD = DATA / "maximal" / "every-field.yaml"
EVERY_FIELD_REVIEW = DATA / "maximal" / "every-field-review.yaml"


def _schema_paths(node: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> set[str]:
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    found: set[str] = set()
    for name, sub in node.get("properties", {}).items():
        found.add(f"{prefix}{name}")
        found |= _schema_paths(sub, schema, f"{prefix}{name}.")
    if isinstance(node.get("items"), dict):
        found |= _schema_paths(node["items"], schema, prefix)
    for variant in node.get("oneOf", ()):  # a list of one of several shapes
        if isinstance(variant, dict) and "properties" in variant:
            found |= _schema_paths(variant, schema, prefix)
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


def _every_field(path: Path = EVERY_FIELD) -> RawRecord:
    record = load_file(path)
    assert isinstance(record, RawRecord)
    return record


def test_the_full_records_use_every_schema_field() -> None:
    schema = load_schema()
    used = _data_paths(_every_field().data) | _data_paths(_every_field(EVERY_FIELD_REVIEW).data)
    missing = _schema_paths(schema, schema) - used
    assert missing == set(), "add the new fields to tests/data/maximal/every-field*.yaml"


def test_every_field_is_valid_builds_and_renders() -> None:
    record = _every_field()
    review = _every_field(EVERY_FIELD_REVIEW)
    companion = RawRecord(
        record.path.with_name("companion.yaml"), minimal_record("companion"), {}, {}
    )
    assert validate_records([record, review, companion]) == []
    study = build_study(record.data, record.printed)
    assert study.effects[0].value == Decimal("1.50")  # as printed
    assert study.group_values[0].se == Decimal("1.20")
    assert study.group_values[1].arms == ("placebo",)
    assert study.risk_of_bias is not None
    assert study.risk_of_bias.domains == (("Randomisation process", "low"),)
    studies = [study, build_study(review.data, review.printed), build_study(companion.data)]
    pages = render_pages(collate_site(studies, site_url=SITE_URL))
    page = pages[PurePosixPath("studies/every-field.md")]
    assert (
        "- Follow-up of: [Example 2020 (Nowhere, own cord blood, children with CP)](companion.md)"
        in page
    )
    assert "- Included in: [Every field review (test)](every-field-review.md)" in page
    assert "RoB 2 (2019)" in page
    assert "1.50 points (95% CI 0.5 to 2.5); p = 0.028" in page
    assert (
        "- **Corrected:** 2018-02-01: A correction to the main report's Table 2 "
        "[&#91;1&#93;](#references)\n" in page
    )
    assert (
        '| Gross motor function | <span class="badge badge--grade badge--low">Low</span> | '
        "review authors (2020) [&#91;1&#93;](#references) |" in page
    )
    review_page = pages[PurePosixPath("studies/every-field-review.md")]
    assert "- [Every field (test)](every-field.md) (on this site)" in review_page
    assert "Kang M et al. 2015" in review_page


def test_ratings_are_shown_as_not_assessed_when_absent() -> None:
    data = dict(_every_field().data)
    del data["certainty"], data["risk_of_bias"], data["related"]
    pages = render_pages(collate_site([build_study(data)], site_url=SITE_URL))
    page = pages[PurePosixPath("studies/every-field.md")]
    not_assessed = '<span class="badge badge--{} badge--none">Not assessed</span>'
    assert f"**GRADE certainty:** {not_assessed.format('grade')}." in page
    assert f"**Risk of bias:** {not_assessed.format('rob')}." in page
