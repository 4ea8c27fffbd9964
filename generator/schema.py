"""The record JSON Schema: the single source of truth for fields, vocabularies and their labels.

Reader-facing labels of every controlled vocabulary are the schema's `title`s, and what a
value means to the code (a ratio measure, a pooled kind of evidence, a registry's address,
an instrument's direction) is an `x-` annotation on its entry, so a new value of any
vocabulary is one schema entry and no code change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "schema/study.schema.json"

VOCABULARIES: dict[str, str] = {
    "condition": "/$defs/condition",
    "cell_type": "/$defs/cell_type",
    "instrument": "/$defs/instrument",
    "reference_type": "/$defs/reference/properties/type",
    "rob_judgement": "/$defs/rob_judgement",
    "evidence_kind": "/properties/evidence_kind",
    "status": "/properties/status",
    "phase": "/properties/phase",
    "trial_basis": "/properties/trial/properties/basis",
    "allocation": "/properties/design/properties/allocation",
    "masking": "/properties/design/properties/masking",
    "design_model": "/properties/design/properties/model",
    "arm_role": "/properties/arms/items/properties/role",
    "tissue_source": "/properties/interventions/items/properties/tissue_source",
    "donor": "/properties/interventions/items/properties/donor",
    "storage": "/properties/interventions/items/properties/storage",
    "route": "/properties/interventions/items/properties/route",
    "dose_unit": "/properties/interventions/items/properties/dose/properties/unit",
    "co_intervention": "/properties/interventions/items/properties/co_interventions/items",
    "domain": "/properties/outcomes/items/properties/domain",
    "direction": "/properties/outcomes/items/properties/direction",
    "outcome_role": "/properties/outcomes/items/properties/role",
    "role_stated_by": "/properties/outcomes/items/properties/role_stated_by",
    "statistic": "/$defs/group_value/properties/statistic",
    "scale": "/$defs/group_value/properties/scale",
    "obtained": "/$defs/group_value/properties/obtained",
    "measure": "/$defs/effect/properties/measure",
    "plan": "/$defs/effect/properties/analysis/properties/plan",
    "analysis_population": "/$defs/effect/properties/analysis/properties/population",
    "pooled_model": "/properties/pooled/properties/model",
    "safety_kind": "/properties/safety/properties/events/items/properties/kind",
    "registry": "/properties/registrations/items/properties/registry",
    "relation": "/properties/related/items/properties/relation",
    "grade": "/properties/certainty/items/properties/rating",
    "history_kind": "/properties/history/items/properties/kind",
}
"""Vocabulary name -> JSON pointer of its `oneOf` list of `const`/`title` entries."""


@cache
def load_schema(name: str = "study") -> dict[str, Any]:
    """A JSON Schema shipped with the package (parsed once): the record schema by default,
    or that of another data file ("key-messages", "notes")."""
    resource = SCHEMA_RESOURCE if name == "study" else f"schema/{name}.schema.json"
    text = resources.files("generator").joinpath(resource).read_text("utf-8")
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
def annotated(name: str, key: str) -> dict[str, Any]:
    """Value -> its `x-...` annotation (e.g. "x-ratio") for a vocabulary; values without it
    are left out. Meanings of vocabulary values live in the schema, read only here."""
    return {o["const"]: o[key] for o in _node(VOCABULARIES[name])["oneOf"] if key in o}


def awaiting_results() -> frozenset[str]:
    """Kinds of record that are registrations waiting for results (`x-awaiting-results`):
    the reporting-gap label, the harms page and the curation warnings ask the same thing."""
    return having("evidence_kind", "x-awaiting-results")


def registry_url(registry: str, ident: str) -> str | None:
    """The public address of a registry entry (the schema's `x-url`), where it has one."""
    pattern = annotated("registry", "x-url").get(registry)
    return str(pattern).replace("{id}", ident) if pattern else None


@cache
def having(name: str, key: str) -> frozenset[str]:
    """The values of a vocabulary whose annotation `key` is set and true."""
    return frozenset(v for v, flag in annotated(name, key).items() if flag)


def ecma_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern as a Python regex with the same meaning.

    Without the multiline flag, ECMA's `$` matches only at the very end of the text; Python's
    also matches before a final newline, so "NCT12345678\\n" would pass `^NCT[0-9]{8}$`.
    Each `$` outside a character class becomes `\\Z`.
    """
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


@cache
def date_events() -> dict[str, tuple[str, str | None]]:
    """Date field -> (event label, kind of source that reports it) for the dates that are
    evidence events (`x-event`); the kind is "registry-entry", "publication" or None (any)."""
    fields = _node("/properties/dates/properties")
    return {k: (v["x-event"], v.get("x-event-from")) for k, v in fields.items() if "x-event" in v}


@cache
def registry_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(registry, id pattern) from the schema's per-registry rules."""
    rules = load_schema()["properties"]["registrations"]["items"]["allOf"]
    return tuple(
        (
            rule["if"]["properties"]["registry"]["const"],
            re.compile(ecma_pattern(rule["then"]["properties"]["id"]["pattern"])),
        )
        for rule in rules
    )


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
TYPE_NAMES = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "object": "group of fields",
    "array": "list",
    "null": "nothing (null)",
}
"""JSON Schema type -> the words contributors read, in `check`'s messages and on the
record-format page."""


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
        elif inner is not None and "oneOf" in inner:  # a list of one of several shapes
            for variant in inner["oneOf"]:
                if isinstance(variant, dict) and variant.get("type") == "object":
                    _walk_fields(variant, f"{path}[].", docs)


def _kind(spec: dict[str, Any], ref: str | None) -> tuple[str, dict[str, Any] | None]:
    """Reader-facing kind of a value, and the resolved item schema of a list."""
    if ref in _KINDS:
        return _KINDS[ref], None
    if "enum" in spec or any(isinstance(o, dict) and "const" in o for o in spec.get("oneOf", ())):
        return "one of the allowed values (below)", None
    kind = spec.get("type")
    if kind == "array":
        if "prefixItems" in spec:
            return f"list of {len(spec['prefixItems'])} numbers", None
        item, item_ref = _resolve(spec.get("items", {}))
        item_kind, _ = _kind(item, item_ref)
        return f"list; each: {item_kind}", item
    return TYPE_NAMES.get(str(kind), "value"), None
