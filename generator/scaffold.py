"""Start a record: the commented skeleton that `python -m generator new ID` writes.

The skeleton holds every field of the record format, in schema order, each with the schema's
own description and allowed values above it (as `## ` comments), so nothing has to be copied
from other records and the comments cannot drift from what `check` accepts:

- the fields most studies need (the required ones, the groups, the cells they received, what
  was measured, the study's own report) are written out, each value to supply a placeholder
  (`TODO: ...`), so `check` lists exactly those fields until they are filled in;
- every other field and section is commented out (`# key: ...`). Removing the `# ` from its
  lines switches it on; the `## ` descriptions stay comments, so a whole section can be
  uncommented at once. Its values are placeholders too, so a section switched on and not
  filled in is listed by `check`, never published by mistake.

A reference id in `sources` defaults to `paper`, the id of the study's own report
(`draft.MAIN_REFERENCE`), which `import-ref` also gives the first entry it prints.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from typing import Any

import jsonschema

from generator.draft import MAIN_REFERENCE, SCHEMA_LINE, Commented, emit, todo
from generator.schema import FieldDoc, field_docs, load_schema

__all__ = [
    "ALTERNATIVES",
    "PROSE",
    "SCHEMA_LINE",
    "choices",
    "guide",
    "skeleton",
    "valid_key",
    "valid_record_id",
]

PROSE = "##"
"""Marker of the skeleton's descriptions: they stay comments when a section is uncommented."""

LIVE_SECTIONS = ("arms", "interventions", "outcomes", "references")
"""Lists written out with one entry; the other optional sections are commented out."""
LIVE_FIELDS = {
    "id",
    "short_name",
    "title",
    "evidence_kind",
    "status",
    "status_checked",
    "conditions",
    "summary",
    *LIVE_SECTIONS,
    "added",
    "last_reviewed",
    "arms[].sources",
    "interventions[].sources",
    "outcomes[].role",
    "outcomes[].role_stated_by",
}
"""Fields written out (uncommented) besides the required fields of the live sections."""

HINTS = {
    "short_name": "author and year, then (where, which cells, which children) in plain words",
    "title": "the full title as registered or published",
    "status_checked": "the date (YYYY-MM-DD) you read the status in its source; delete this "
    "line if the study is finished",
    "conditions": "one or more of the values listed above it, main condition first",
    "summary": "a plain-language summary in your own words",
    "arms[].id": "a short id for the group, e.g. cells or placebo",
    "arms[].label": "the group's name for readers",
    "interventions[].arm": "the id of the arm above that received the cells",
    "outcomes[].id": "a short id, e.g. gmfm",
    "outcomes[].name": "what was measured, in plain words",
    "references[].title": "the title of the paper or registry entry",
    "added": "the date (YYYY-MM-DD) this record is added to the site",
    "last_reviewed": "the date (YYYY-MM-DD) you checked this record against its sources",
    "references[].accessed": "the date (YYYY-MM-DD) you read the web page or registry entry",
    "group_values[].p": "the P value of the change exactly as printed, e.g. P = .028 or <0.001",
    "effects[].p": "the P value exactly as printed, e.g. P = .028 or <0.001",
}
"""Placeholder hints where a field's description does not make a good one."""

ALTERNATIVES = {
    "interventions[].dose.value": ("low", "high"),
    "group_values[].arm": ("arms",),
}
"""Fields written in place of others that cannot be used with them (a dose is a value or a
range; a group value is of one arm or of several): the others are described in the prose."""

ENTRIES = {
    "design.periods": 2,  # a crossover has at least two periods
    "pooled.includes": 2,  # a record on this site, and a citation of a study that is not
}
"""Lists written with more than one entry."""

INCLUDES = ({"record"}, {"citation", "doi", "pmid", "registration"})
"""The fields of the two kinds of pooled.includes entry."""


def valid_record_id(text: str) -> bool:
    """True when the text is allowed as a record id (the schema's own rule)."""
    return _valid(load_schema()["properties"]["id"], text)


def valid_key(text: str) -> bool:
    """True when the text is allowed as an id within a record, e.g. a reference's."""
    return _valid(load_schema()["$defs"]["key"], text)


def _valid(rule: dict[str, Any], text: str) -> bool:
    validator = jsonschema.validators.validator_for(load_schema())(rule)
    return bool(validator.is_valid(text))


def guide(path: str) -> str:
    """The schema's description of a field, with its allowed values when it has a vocabulary."""
    doc = _docs()[path]
    text = doc.description
    if doc.choices:
        text += "\nOne of: " + choices(path)
    return text


def choices(path: str) -> str:
    """The allowed values of a vocabulary field, comma-separated."""
    return ", ".join(value for value, _, _ in _docs()[path].choices)


@cache
def _docs() -> dict[str, FieldDoc]:
    return {doc.path: doc for doc in field_docs()}


@cache
def _children() -> dict[str, list[FieldDoc]]:
    """Field docs by the path of the section (or list entry) they belong to; '' is the top."""
    found: dict[str, list[FieldDoc]] = defaultdict(list)
    for doc in field_docs():
        parent, _, _ = doc.path.rpartition(".")
        found[parent].append(doc)
    return found


def skeleton(record_id: str) -> str:
    """YAML text of a new record whose only problems are its placeholders."""
    record = _section("", live=True)
    record["id"] = Commented(record_id, record["id"].before)
    return f"# {SCHEMA_LINE}\n" + emit(record, header=_HEADER, prose=PROSE)


def _section(parent: str, *, live: bool, only: set[str] | None = None) -> dict[str, Any]:
    """The fields of a section (or list entry) as Commented values, in schema order."""
    fields: dict[str, Any] = {}
    in_section = parent.split("[")[0] in LIVE_SECTIONS and "." not in parent
    for doc in _children().get(parent, ()):
        name = doc.path.rpartition(".")[2]
        if only is not None and name not in only:
            continue
        if any(f"{parent}.{name}" in _replaced(path) for path in ALTERNATIVES):
            continue
        on = live and (doc.path in LIVE_FIELDS or (in_section and doc.required))
        prose = guide(doc.path)
        if not live and not doc.required:
            prose = "Optional. " + prose
        if doc.path in ALTERNATIVES:
            prose += "".join(
                f"\nInstead of {name}: {other}: {guide(f'{parent}.{other}')}"
                for other in ALTERNATIVES[doc.path]
            )
        if doc.path in LIVE_SECTIONS:
            prose += "\nOne entry per item: copy the entry for each further one."
        # Within a commented-out section everything is written out, so a section is switched
        # on by uncommenting all its lines; only at the top and in the written-out sections
        # are optional fields commented out one by one.
        fields[name] = Commented(_example(doc, live=on), prose, off=live and not on)
    return fields


def _replaced(path: str) -> set[str]:
    """The paths of the fields that `path` is written in place of."""
    parent = path.rpartition(".")[0]
    return {f"{parent}.{other}" for other in ALTERNATIVES[path]}


def _example(doc: FieldDoc, *, live: bool) -> Any:
    """The value a field is written with: a placeholder, or the entries of a section."""
    path = doc.path
    if doc.kind == "group of fields":
        return _section(path, live=live)
    if doc.kind == "list; each: group of fields":
        if path == "pooled.includes":
            return [_section(f"{path}[]", live=False, only=kinds) for kinds in INCLUDES]
        entry = _section(f"{path}[]", live=live)
        return [entry] * ENTRIES.get(path, 1)
    if doc.kind == "list of reference ids":
        return [MAIN_REFERENCE]
    if path.endswith(".source") or path == "references[].id":
        return MAIN_REFERENCE
    hint = HINTS.get(path) or _hint(doc)
    if doc.kind.startswith("list; each"):
        return [todo(hint)]
    if doc.kind.startswith("list of 2 numbers"):
        return todo("[low, high] as printed, e.g. [0.5, 2.5]")
    return todo(hint)


def _hint(doc: FieldDoc) -> str:
    """A placeholder's hint: the allowed values, the kind of value, or the description."""
    if doc.choices:
        listed = choices(doc.path)
        return f"one of: {listed}" if len(listed) <= 200 else "one of the values listed above it"
    if doc.kind == "whole number":
        return "a whole number"
    if doc.kind == "number":
        return "the number as printed"
    if doc.kind == "true or false":
        return "true or false"
    if doc.kind == "date":
        return "a date: YYYY, YYYY-MM or YYYY-MM-DD"
    text = doc.description.removesuffix(".")
    if len(text) <= 160:
        return text
    # The first sentence: up to a full stop before a capital letter, outside quotes.
    for match in re.finditer(r"\.\s+(?=[A-Z])", text):
        if text.count("'", 0, match.start()) % 2 == 0:
            return text[: match.start()]
    return text


_HEADER = (
    "New study record (record format 2). Replace every value marked TODO, then run `make check`:"
    " it lists each field still to fill in, with its line. Lines starting "
    f"{PROSE} describe the field below them (from the schema). Optional fields and sections are"
    ' commented out ("# key: ..."): to use one, remove the "# " from its lines (the '
    f"{PROSE} lines stay comments) and fill in its TODO values; delete what does not apply."
    " docs/record-format.md describes every field, and CONTRIBUTING.md the steps."
)
