"""The record-format page lists every schema field with the schema's own description."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.cli import main
from generator.collate import collate_site
from generator.model import build_study
from generator.record_format import NOTE, REPOSITORY_COPY, repository_copy
from generator.render import environment, render_pages, text
from generator.schema import field_docs, load_schema
from tests.conftest import ROOT, SITE_URL, minimal_record


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


def test_the_repository_copy_is_the_site_page_and_in_step_with_the_schema() -> None:
    """docs/record-format.md is readable without a build; it must be what the schema gives now
    (after changing the schema, run `make record-format`) and the same as the site's page."""
    on_disk = (ROOT / REPOSITORY_COPY).read_text(encoding="utf-8")
    assert on_disk == repository_copy(), "docs/record-format.md is out of date: make record-format"
    site = collate_site([build_study(minimal_record())], site_url=SITE_URL)
    rendered = render_pages(site)[PurePosixPath("record-format.md")]
    # The site's page differs only by its front matter (kept out of search).
    assert rendered.startswith("---\nsearch:\n  exclude: true\n---\n")
    assert on_disk == NOTE + rendered.split("\n---\n", 1)[1]
    assert "| arms&#91;&#93;.role | yes |" in on_disk


def test_make_record_format_rewrites_only_a_stale_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "record-format.md"
    target.write_text("stale\n", encoding="utf-8")
    assert main(["record-format", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == repository_copy()
    assert main(["record-format", str(target)]) == 0
    assert capsys.readouterr().out == f"{target} is up to date\n"
