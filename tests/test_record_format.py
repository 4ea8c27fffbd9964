"""The record-format page lists every schema field with the schema's own description."""

from __future__ import annotations

import re
from typing import Any

from generator.render import environment, text
from generator.schema import field_docs, load_schema


def schema_fields() -> dict[str, str]:
    """Field path -> description, walked here independently of generator.schema."""
    schema = load_schema()

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            target = schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    found: dict[str, str] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, raw in node.get("properties", {}).items():
            spec = resolve(raw)
            found[prefix + name] = spec["description"]
            if "properties" in spec:
                walk(spec, f"{prefix}{name}.")
            items = resolve(spec.get("items", {}))
            if "properties" in items:
                walk(items, f"{prefix}{name}[].")
            for variant in items.get("oneOf", []):  # a list of one of several shapes
                if "properties" in variant:
                    walk(variant, f"{prefix}{name}[].")

    walk(schema, "")
    return found


def page() -> str:
    return environment().get_template("record-format.md.j2").render(fields=field_docs())


def test_every_schema_field_is_on_the_page_with_its_description() -> None:
    body = page()
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| (\S+) \| (?:yes)? \| [^|]+ \| (.*) \|$", body, re.M)
    }
    expected = {text(path): text(description) for path, description in schema_fields().items()}
    assert len(expected) > 140
    missing = sorted(set(expected) - set(rows))
    assert missing == [], f"fields missing from the record-format page: {missing}"
    differing = sorted(p for p in expected if rows[p] != expected[p])
    assert differing == [], f"descriptions differ from the schema: {differing}"
    assert len(rows) == len(expected)


def test_vocabularies_are_listed_with_their_labels() -> None:
    body = page()
    section = body.split("### evidence&#95;kind\n", 1)[1].split("###", 1)[0]
    for option in load_schema()["properties"]["evidence_kind"]["oneOf"]:
        assert f"| {text(option['const'])} | {text(option['title'])} |" in section


def test_required_marks_follow_the_schema() -> None:
    docs = {d.path: d.required for d in field_docs()}
    assert docs["id"] is True
    assert docs["phase"] is False
    assert docs["arms[].label"] is True
    assert docs["arms[].role"] is True
    assert docs["group_values[].source"] is True
    assert docs["references[].doi"] is False
