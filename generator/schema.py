"""The record JSON Schema: the single source of truth for fields, vocabularies and their labels.

Reader-facing labels of every controlled vocabulary are the schema's `title`s, so a new
condition, cell type or registry is one schema entry and no code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FieldDoc:
    """One field of the record format, as the schema describes it."""

    path: str
    """Dotted path; `[]` marks each entry of a list, e.g. `population.arms[].id`."""
    description: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str, str], ...] = ()
    """Allowed values as (value, title, description), for vocabulary fields."""


_KINDS = {
    "key": "identifier",
    "short_text": "one line of text",
    "text": "text",
    "long_text": "paragraphs of text",
    "date": "date",
    "sources": "list of reference ids",
}
"""Reader-facing kind of a value defined once in the schema's `$defs`."""
_TYPES = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "object": "group of fields",
    "array": "list",
}


def field_docs() -> list[FieldDoc]:
    """Every field of the record format in schema order, for the record-format page."""
    docs: list[FieldDoc] = []
    _walk_fields(load_schema(), "", docs)
    return docs


def _resolve(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Follow a local `$ref`; merge the referring node's own keys over the target's."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node, None
    name = ref.rsplit("/", 1)[-1]
    target = dict(_node(ref.removeprefix("#")))
    target.update({k: v for k, v in node.items() if k != "$ref"})
    return target, name


def _walk_fields(node: dict[str, Any], prefix: str, docs: list[FieldDoc]) -> None:
    required = set(node.get("required", ()))
    for name, raw in node.get("properties", {}).items():
        spec, ref = _resolve(raw)
        path = f"{prefix}{name}"
        kind, inner = _kind(spec, ref)
        options = spec.get("oneOf") or (inner or {}).get("oneOf") or []
        choices = tuple(
            (str(o["const"]), str(o.get("title", o["const"])), str(o.get("description", "")))
            for o in options
            if isinstance(o, dict) and "const" in o
        )
        enum = spec.get("enum") or (inner or {}).get("enum") or []
        choices += tuple((str(v), str(v), "") for v in enum)
        docs.append(
            FieldDoc(path, str(spec.get("description", "")), kind, name in required, choices)
        )
        if spec.get("type") == "object":
            _walk_fields(spec, f"{path}.", docs)
        elif inner is not None and inner.get("type") == "object":
            _walk_fields(inner, f"{path}[].", docs)


def _kind(spec: dict[str, Any], ref: str | None) -> tuple[str, dict[str, Any] | None]:
    """Reader-facing kind of a value, and the resolved item schema of a list."""
    if ref in _KINDS:
        return _KINDS[ref], None
    if "oneOf" in spec or "enum" in spec:
        return "one of the allowed values (below)", None
    kind = spec.get("type")
    if kind == "array":
        if "prefixItems" in spec:
            return f"list of {len(spec['prefixItems'])} numbers", None
        item, item_ref = _resolve(spec.get("items", {}))
        item_kind, _ = _kind(item, item_ref)
        return f"list; each: {item_kind}", item
    return _TYPES.get(str(kind), "value"), None
