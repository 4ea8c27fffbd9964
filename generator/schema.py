"""The record JSON Schema: the single source of truth for fields, vocabularies and their labels.

Reader-facing labels of every controlled vocabulary are the schema's `title`s, so a new
condition, cell type or registry is one schema entry and no code change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "schema/study.schema.json"

VOCABULARIES: dict[str, str] = {
    "condition": "/$defs/condition",
    "cell_type": "/$defs/cell_type",
    "reference_type": "/$defs/reference/properties/type",
    "rob_judgement": "/$defs/rob_judgement",
    "evidence_kind": "/properties/evidence_kind",
    "status": "/properties/status",
    "phase": "/properties/phase",
    "allocation": "/properties/design/properties/allocation",
    "masking": "/properties/design/properties/masking",
    "tissue_source": "/properties/interventions/items/properties/tissue_source",
    "donor": "/properties/interventions/items/properties/donor",
    "route": "/properties/interventions/items/properties/route",
    "co_intervention": "/properties/interventions/items/properties/co_interventions/items",
    "comparator": "/properties/comparator/properties/kind",
    "domain": "/properties/outcomes/items/properties/domain",
    "effect_measure": "/properties/results/items/properties/effect_measure",
    "safety_kind": "/properties/safety/properties/events/items/properties/kind",
    "registry": "/properties/registrations/items/properties/registry",
    "grade": "/properties/certainty/items/properties/rating",
}
"""Vocabulary name -> JSON pointer of its `oneOf` list of `const`/`title` entries."""


@cache
def load_schema() -> dict[str, Any]:
    """The record JSON Schema shipped with the package (parsed once)."""
    text = resources.files("generator").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _node(pointer: str) -> dict[str, Any]:
    node: Any = load_schema()
    for part in pointer.strip("/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


@cache
def labels(name: str) -> dict[str, str]:
    """Value -> reader-facing title for a vocabulary (or, for "date", each date field)."""
    if name == "date":
        fields = _node("/properties/dates/properties")
        return {k: v["title"] for k, v in fields.items() if "title" in v}
    return {o["const"]: o["title"] for o in _node(VOCABULARIES[name])["oneOf"]}


@cache
def descriptions(name: str) -> dict[str, str]:
    """Value -> description for a vocabulary whose entries carry one."""
    return {
        o["const"]: o["description"]
        for o in _node(VOCABULARIES[name])["oneOf"]
        if "description" in o
    }
