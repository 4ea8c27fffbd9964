"""Start a record: the commented skeleton that `python -m generator new ID` writes.

The skeleton holds the required fields only. Each value a person must supply is a
placeholder, so `check` lists exactly those fields until they are filled in; the comments
above each field are the schema's own descriptions and allowed values, so they cannot drift.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from generator.draft import Commented, emit, todo
from generator.schema import FieldDoc, field_docs, load_schema

SCHEMA_LINE = "yaml-language-server: $schema=../generator/schema/study.schema.json"
"""First line of every record: editors with the YAML extension complete and check fields."""


def valid_record_id(text: str) -> bool:
    """True when the text is allowed as a record id (the schema's own rule)."""
    rule = load_schema()["properties"]["id"]
    validator = jsonschema.validators.validator_for(load_schema())(rule)
    return bool(validator.is_valid(text))


def guide(path: str) -> str:
    """The schema's description of a field, with its allowed values when it has a vocabulary."""
    doc = _docs()[path]
    text = doc.description
    if doc.choices:
        text += "\nOne of: " + ", ".join(value for value, _, _ in doc.choices)
    return text


@cache
def _docs() -> dict[str, FieldDoc]:
    return {doc.path: doc for doc in field_docs()}


def skeleton(record_id: str) -> str:
    """YAML text of a new record whose only problems are its placeholders."""
    fields: dict[str, Any] = {
        "id": record_id,
        "short_name": Commented(
            todo("a short name for tables, e.g. 'Sun 2017'"), guide("short_name")
        ),
        "title": Commented(todo("the full title as registered or published"), guide("title")),
        "evidence_kind": Commented(
            todo("choose one of the values in the comment above"), guide("evidence_kind")
        ),
        "status": Commented(todo("choose one of the values in the comment above"), guide("status")),
        "conditions": Commented(
            [todo("one or more of the values in the comment above, main condition first")],
            guide("conditions"),
        ),
        "summary": Commented(todo("a plain-language summary in your own words"), guide("summary")),
        "references": Commented(
            [
                {
                    "id": "paper",
                    "type": Commented(todo("the kind of source"), guide("references[].type")),
                    "title": todo("the title of the paper or registry entry"),
                }
            ],
            guide("references")
            + "\nImport a reference instead of typing it: python -m generator import-ref FILE",
        ),
        "added": Commented(
            todo("the date (YYYY-MM-DD) this record is added to the site"), guide("added")
        ),
        "last_reviewed": Commented(
            todo("the date (YYYY-MM-DD) you checked this record against its sources"),
            guide("last_reviewed"),
        ),
    }
    return emit(fields, header=SCHEMA_LINE + "\n" + _HEADER)


_HEADER = """\
New study record. Replace every value marked TODO, then run `python -m generator check`,
which lists the fields still to fill in. Optional fields (design, population, interventions,
outcomes, results, safety, registrations, dates, ...) are described on the site's Record
format page; tests/data/maximal/every-field.yaml shows every field in use."""
