"""Start a record: the commented skeleton that `python -m generator new ID` writes.

The skeleton holds the required fields, the study's groups (`arms`), the cells they received
(`interventions`) and what was measured (`outcomes`). Each value a person must supply is a
placeholder, so `check` lists exactly those fields until they are filled in; the comments
above each field are the schema's own descriptions and allowed values, so they cannot drift.
Results are shown as commented examples (a group value and an effect) to copy, since a
record may have none.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from generator.draft import SCHEMA_LINE, Commented, comment, emit, todo
from generator.schema import FieldDoc, field_docs, load_schema

__all__ = ["SCHEMA_LINE", "choices", "guide", "results_example", "skeleton", "valid_record_id"]


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


def _ask(hint: str, path: str) -> Commented:
    """A placeholder with the schema's description of its field above it."""
    return Commented(todo(hint), guide(path))


def skeleton(record_id: str) -> str:
    """YAML text of a new record whose only problems are its placeholders."""
    study: dict[str, Any] = {
        "id": record_id,
        "short_name": _ask("a short name for tables, e.g. 'Sun 2017'", "short_name"),
        "title": _ask("the full title as registered or published", "title"),
        "evidence_kind": _ask("choose one of the values in the comment above", "evidence_kind"),
        "status": _ask("choose one of the values in the comment above", "status"),
        "status_checked": _ask(
            "the date (YYYY-MM-DD) you read the status in its source; delete this line if "
            "the study is finished",
            "status_checked",
        ),
        "conditions": Commented(
            [todo("one or more of the values in the comment above, main condition first")],
            guide("conditions"),
        ),
        "summary": _ask("a plain-language summary in your own words", "summary"),
        "arms": Commented(
            [
                {
                    "id": todo("a short id for the group, e.g. cells or placebo"),
                    "label": _ask("the group's name for readers", "arms[].label"),
                    "role": _ask("choose one of the values in the comment above", "arms[].role"),
                    "sources": ["paper"],
                }
            ],
            guide("arms")
            + "\nid: "
            + guide("arms[].id")
            + "\nAdd one entry per group (copy the entry).",
        ),
        "interventions": Commented(
            [
                {
                    "arm": todo("the id of the arm above that received the cells"),
                    "cell_type": _ask(
                        "choose one of the values in the comment above", "interventions[].cell_type"
                    ),
                    "route": _ask(
                        "choose one of the values in the comment above", "interventions[].route"
                    ),
                    "sources": ["paper"],
                }
            ],
            guide("interventions")
            + "\narm: "
            + guide("interventions[].arm")
            + "\nOptional fields (tissue_source, donor, product, dose, doses, timing, ...) are "
            "described on the site's Record format page.",
        ),
        "outcomes": Commented(
            [
                {
                    "id": todo("a short id, e.g. gmfm"),
                    "name": _ask("what was measured, in plain words", "outcomes[].name"),
                    "role": _ask(
                        "choose one of the values in the comment above", "outcomes[].role"
                    ),
                    "role_stated_by": _ask(
                        "choose one of the values in the comment above",
                        "outcomes[].role_stated_by",
                    ),
                    "sources": ["paper"],
                }
            ],
            guide("outcomes")
            + "\nid: "
            + guide("outcomes[].id")
            + "\nOne entry per outcome and instrument; instrument, domain, direction and "
            "time_point are optional (see the Record format page).",
        ),
    }
    sources: dict[str, Any] = {
        "references": Commented(
            [
                {
                    "id": "paper",
                    "type": _ask("the kind of source", "references[].type"),
                    "title": todo("the title of the paper or registry entry"),
                }
            ],
            guide("references")
            + "\nImport a reference instead of typing it: python -m generator import-ref FILE",
        ),
        "added": _ask("the date (YYYY-MM-DD) this record is added to the site", "added"),
        "last_reviewed": _ask(
            "the date (YYYY-MM-DD) you checked this record against its sources", "last_reviewed"
        ),
    }
    return (
        emit(study, header=SCHEMA_LINE + "\n" + _HEADER)
        + "\n".join(results_example())
        + "\n\n"
        + emit(sources)
    )


def results_example() -> list[str]:
    """Comment lines showing one group value and one effect, ready to uncomment."""
    example: dict[str, Any] = {
        "group_values": [
            {
                "outcome": "gmfm",
                "arm": "cells",
                "time_point": "12 months after infusion",
                "months": 12,
                "statistic": _one_of("mean", "group_values[].statistic"),
                "scale": _one_of("change", "group_values[].scale"),
                "value": 7.5,
                "unit": "points",
                "sd": Commented(6.8, after="or se, iqr, range, ci (+ ci_level)"),
                "n": 30,
                "source": "paper",
                "locator": "Table 2",
            }
        ],
        "effects": [
            {
                "outcome": "gmfm",
                "experimental": ["cells"],
                "comparator": ["placebo"],
                "time_point": "12 months after infusion",
                "months": 12,
                "measure": _one_of("mean-difference", "effects[].measure"),
                "scale": _one_of("change", "effects[].scale"),
                "value": 1.5,
                "unit": "points",
                "ci": [0.5, 2.5],
                "ci_level": 95,
                "p": "0.028",
                "analysis": {
                    "plan": _one_of("prespecified-primary", "effects[].analysis.plan"),
                    "method": "linear mixed model",
                },
                "source": "paper",
                "locator": "abstract",
            }
        ],
    }
    lead = comment(
        "Results (optional). group_values: "
        + guide("group_values")
        + "\neffects: "
        + guide("effects")
        + "\nExamples: remove the leading '# ' to use them, and replace every value with what "
        "the source prints."
    )
    return lead + [f"# {line}" for line in emit(example).splitlines()]


def _one_of(value: str, path: str) -> Commented:
    return Commented(value, after="one of: " + choices(path))


_HEADER = """\
New study record. Replace every value marked TODO, then run `python -m generator check`,
which lists the fields still to fill in. Optional fields (design, population, comparator,
safety, registrations, dates, ...) are described on the site's Record format page;
tests/data/maximal/every-field.yaml shows every field in use."""
