"""Whatever `check` accepts reaches the site: every field of the full records changes the
study page when it is left out or changed, apart from a short list of fields shown elsewhere
(each with its reason, and checked where it is shown)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.collate import Site, collate_site
from generator.export import csl_json
from generator.load import RawRecord, load_file, parse_text
from generator.model import build_study
from generator.render import environment, render_pages
from generator.schema import FieldDoc, field_docs
from generator.validate import validate_records
from tests.conftest import DATA, SITE_URL, minimal_record

RECORDS = (DATA / "maximal" / "every-field.yaml", DATA / "maximal" / "every-field-review.yaml")
COMPANION = minimal_record("companion")  # every-field.yaml is a follow-up of it

Where = tuple[str | int, ...]


def pages(site: Site) -> dict[PurePosixPath, str]:
    return render_pages(site)


def check_whats_new(site: Site, value: Any) -> bool:
    return str(value) in pages(site)[PurePosixPath("whats-new.md")]


def check_outcome_pages(site: Site, value: Any) -> bool:
    page = pages(site).get(PurePosixPath(f"outcomes/cerebral-palsy/{value}.md"), "")
    return "Gross motor function" in page or "GMFM-66" in page


def check_outcome_months(site: Site, value: Any) -> bool:
    page = pages(site)[PurePosixPath("outcomes/cerebral-palsy/gross-motor.md")]
    return f"{value} months" in page


def check_citation_downloads(site: Site, value: Any) -> bool:
    parts = [int(p) for p in str(value).split("-")]
    items = json.loads(csl_json(site.by_id["every-field"]))
    return any(item["issued"]["date-parts"] == [parts] for item in items if "issued" in item)


NOT_SHOWN: dict[str, tuple[str, Callable[[Site, Any], bool]]] = {
    "added": (
        "the date a record joined the site: shown on What's new and in the feed",
        check_whats_new,
    ),
    "outcomes[].domain": (
        "groups the outcome with other studies' on the Outcomes pages (one page per domain)",
        check_outcome_pages,
    ),
    "group_values[].months": (
        "lines results up across studies on the Outcomes pages; the study page gives the "
        "source's own words (time_point) when there are some, else the months",
        check_outcome_months,
    ),
    "effects[].months": (
        "lines results up across studies on the Outcomes pages; the study page gives the "
        "source's own words (time_point) when there are some, else the months",
        check_outcome_months,
    ),
    "references[].date": (
        "the page cites the year (AMA style); the full date is in the citation downloads",
        check_citation_downloads,
    ),
}
"""Fields whose value is deliberately not on the study page (at least where the full records
use them), why, and where it is shown instead."""

LINKS = {"identifier", "list of reference ids", "list; each: identifier"}
"""Kinds of value that link the parts of a record (an arm's id, the references a fact cites):
the page shows what they point to (the arm's label, the reference's number), never the id."""
ID_FIELDS = {"pooled.includes[].record", "related[].id"}
"""Record ids (the page links the record by its name)."""

CHANGED = {
    "p": "0.5",
    "doi": "10.9999/changed",
    "pmid": "99",
    "pmcid": "PMC9999",
    "registry_id": "NCT99999999",
    "registration": "NCT99999999",
    "url": "https://example.org/changed",
}
"""Replacement values for fields whose format the page relies on."""


def docs() -> dict[str, FieldDoc]:
    return {doc.path: doc for doc in field_docs()}


def schema_path(where: Where) -> str:
    path = ""
    for part in where:
        path += "[]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def leaves(value: Any, where: Where = ()) -> Iterator[tuple[Where, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*where, index))
    else:
        yield where, value


def site_with(data: dict[str, Any]) -> Site:
    others = [load_file(path) for path in RECORDS]
    studies = [build_study(data)]
    for other in others:
        assert isinstance(other, RawRecord)
        if other.data["id"] != data["id"]:
            studies.append(build_study(other.data))
    return collate_site([*studies, build_study(COMPANION)], site_url=SITE_URL)


def study_page(site: Site, ident: str) -> str:
    template = environment().get_template("study.md.j2")
    return template.render(site=site, study=site.by_id[ident], links=site.links.get(ident, ()))


def without(data: dict[str, Any], where: Where) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    container = changed
    for part in where[:-1]:
        container = container[part]
    del container[where[-1]]
    return changed


def replaced(data: dict[str, Any], where: Where, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    container = changed
    for part in where[:-1]:
        container = container[part]
    container[where[-1]] = value
    return changed


def another(doc: FieldDoc | None, value: Any) -> Any:
    """A different value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    name = doc.path.rpartition(".")[2].removesuffix("[]") if doc else ""
    if doc and doc.choices:
        return next(c for c, _, _ in doc.choices if c != value)
    return CHANGED.get(name, f"{value} changed")


def page_changes(data: dict[str, Any], ident: str, where: Where, doc: FieldDoc | None) -> bool:
    """True when leaving the value out, or changing it, changes the study's page."""
    before = study_page(site_with(data), ident)
    variants = [replaced(data, where, another(doc, dict(leaves(data))[where]))]
    if doc is None or not doc.required:
        variants.insert(0, without(data, where))
    for variant in variants:
        try:
            after = study_page(site_with(variant), variant["id"])
        except (KeyError, TypeError, IndexError, AttributeError):
            continue  # the model needs this value; the other variant decides
        if after != before:
            return True
    return False


def cases() -> Iterator[tuple[str, Where]]:
    fields = docs()
    for path in RECORDS:
        record = load_file(path)
        assert isinstance(record, RawRecord)
        for where, _ in leaves(record.data):
            field = schema_path(where)
            doc = fields.get(field) or fields.get(field.removesuffix("[]"))
            if (doc and doc.kind in LINKS) or field.removesuffix("[]") in ID_FIELDS:
                continue
            if doc and doc.kind.startswith("list of 2 numbers"):
                continue  # an interval: its two ends are checked with their field below
            yield path.name, where


@pytest.mark.parametrize(("name", "where"), list(cases()), ids=lambda v: str(v))
def test_every_accepted_value_reaches_the_site(name: str, where: Where) -> None:
    record = load_file(DATA / "maximal" / name)
    assert isinstance(record, RawRecord)
    field = schema_path(where)
    doc = docs().get(field) or docs().get(field.removesuffix("[]"))
    value = dict(leaves(record.data))[where]
    if page_changes(record.data, record.data["id"], where, doc):
        return
    assert field in NOT_SHOWN, f"{field} = {value!r} is accepted by check but never shown"
    reason, shown_elsewhere = NOT_SHOWN[field]
    assert shown_elsewhere(site_with(record.data), value), (field, reason)


def test_the_fields_not_on_the_study_page_are_still_not_there() -> None:
    """The list cannot go stale: each entry is missing from the study page at least once."""
    hidden = set()
    for name, where in cases():
        record = load_file(DATA / "maximal" / name)
        assert isinstance(record, RawRecord)
        field = schema_path(where)
        if field in NOT_SHOWN:
            doc = docs().get(field)
            if not page_changes(record.data, record.data["id"], where, doc):
                hidden.add(field)
    assert hidden == set(NOT_SHOWN)


def test_intervals_reach_the_site() -> None:
    record = load_file(RECORDS[0])
    assert isinstance(record, RawRecord)
    page = study_page(site_with(record.data), "every-field")
    for shown in (
        "(95% CI 0.5 to 2.5)",
        "IQR 2.0 to 11.0",
        "range −3.0 to 20.0",
        "95% CI 5.1 to 9.9",
    ):
        assert shown in page.replace("-3.0", "−3.0"), shown


def test_the_full_records_are_valid() -> None:
    loaded = [load_file(path) for path in RECORDS]
    companion = RawRecord(RECORDS[0].with_name("companion.yaml"), COMPANION, {}, {})
    records = [r for r in loaded if isinstance(r, RawRecord)] + [companion]
    assert validate_records(records) == []


@pytest.mark.parametrize(
    ("printed", "shown"),
    [
        ("P = .028", "p = 0.028"),
        ("p<0.001", "p &lt; 0.001"),
        ("P < .001", "p &lt; 0.001"),
        ("p=0.03", "p = 0.03"),
        ("0.005", "p = 0.005"),
        ("p ≤ 0.05", "p ≤ 0.05"),
        ("p < 1 × 10^-4", "p &lt; 1 × 10⁻⁴"),
    ],
)
def test_p_values_as_printed_pass_check_and_show_one_way(
    printed: str, shown: str, tmp_path: Path
) -> None:
    """What people copy from a paper is accepted as it is, stored as printed and shown in one
    style on the page."""
    record = minimal_record(
        "p-values",
        evidence_kind="non-randomised-controlled-trial",
        arms=[
            {"id": "cells", "label": "Cells", "role": "experimental", "n": 15},
            {"id": "control", "label": "Saline", "role": "placebo", "n": 16},
        ],
        outcomes=[{"id": "ventilation", "name": "Days on ventilation", "sources": ["paper"]}],
        effects=[
            {
                "outcome": "ventilation",
                "experimental": ["cells"],
                "comparator": ["control"],
                "statement": "Fewer days on mechanical ventilation with cells.",
                "p": printed,
                "source": "paper",
            }
        ],
    )
    import yaml

    path = tmp_path / "p-values.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    loaded = parse_text(path, path.read_text(encoding="utf-8"))
    assert isinstance(loaded, RawRecord)
    assert validate_records([loaded]) == []
    assert loaded.data["effects"][0]["p"] == printed  # stored as printed
    study = build_study(loaded.data)
    page = study_page(collate_site([study], site_url=SITE_URL), "p-values")
    assert f"Fewer days on mechanical ventilation with cells. ({shown})" in page
