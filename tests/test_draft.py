"""Draft text: whatever a registry or a paper contains comes back unchanged through our loader."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from generator.draft import Commented, clean, comment, emit, emit_item, plain, scalar, settle, todo
from generator.load import RawRecord, parse_text
from generator.validate import validate_records
from tests.conftest import minimal_record

HOSTILE = [
    "plain words",
    "key: value",
    "a # not a comment",
    "#starts with hash",
    "- looks like a list",
    "\"double\" and 'single' quotes",
    "back\\slash \\n not a newline",
    "<script>alert(1)</script>",
    "{{ config }} {% include 'x' %}",
    "line one\nline two",
    "trailing space ",
    " leading space",
    "",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "true",
    "0123",
    "1e3",
    "2020-01-01",
    ".inf",
    "@at `tick` |pipe >fold &anchor *alias !tag %percent",
    "naïve café – ≥ 2 × 10⁷ 😀",
    "tab\there",
    "\u2028line separator\u2029paragraph separator",
    "TODO: a placeholder",
    "[flow, list]",
    "{flow: map}",
    "? complex key",
    "---",
    "...",
]


def load(text: str) -> Any:
    record = parse_text(Path("x.yaml"), text)
    assert isinstance(record, RawRecord), record
    return record.data


@pytest.mark.parametrize("value", HOSTILE)
def test_every_string_reads_back_unchanged(value: str) -> None:
    assert load(f"field: {scalar(value)}\n") == {"field": value}


def test_random_strings_read_back_unchanged() -> None:
    alphabet = "ab :#-\"'\\\n\t{}[]&*!|>%@`,?0123456789éß€😀\u2028\u00a0<>"
    rng = random.Random(4)
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert load(emit({"a": value, "b": [value], "c": {"d": value}})) == {
            "a": value,
            "b": [value],
            "c": {"d": value},
        }, repr(value)


def test_numbers_and_booleans_keep_their_type() -> None:
    data = {"i": 40, "f": 2.0e7, "small": 1e-07, "neg": -1.5, "t": True, "f2": False}
    assert load(emit(data)) == data
    with pytest.raises(ValueError, match="cannot write"):
        scalar(float("nan"))


def test_comments_cannot_break_out_whatever_they_contain() -> None:
    evil = "line\nkey: injected\r\nother: x\u2028third: y\x85fourth: z # } ] \x07 \u202e"
    data = {"a": Commented("value", before=evil, after=evil), "b": [Commented(1, evil)]}
    text = emit(data, header=evil)
    assert load(text) == {"a": "value", "b": [1]}
    assert all(line.lstrip().startswith("#") for line in comment(evil))
    assert "\x07" not in text
    assert "\u202e" not in text


def test_emitted_structure_matches_plain_data() -> None:
    draft = {
        "id": "x",
        "list": [Commented({"id": "a", "n": [1, 2]}, "about a"), {"id": "b"}],
        "ids": ["a", "b-c"],
        "empty": [],
        "nested": {"deeper": {"value": "v"}},
    }
    assert load(emit(draft)) == plain(draft)
    assert "ids: [a, b-c]" in emit(draft)
    assert load("references:\n" + emit_item({"id": "r", "title": "T: x"}, indent=2)) == {
        "references": [{"id": "r", "title": "T: x"}]
    }


def test_clean_removes_invisible_characters_and_keeps_paragraphs() -> None:
    assert clean("a\u202eb\u200b\x00c  d\n e") == "ab\u200bc d e"
    assert clean("one\r\n\r\n\r\n\r\ntwo  \n", lines=True) == "one\n\ntwo"


def test_settle_marks_only_what_the_validator_refuses() -> None:
    draft = minimal_record(
        "draft-test",
        title="x" * 4000,
        group_values=[
            {
                "outcome": "o",
                "arm": "a",
                "statistic": "mean",
                "scale": "final",
                "value": 5,
                "ci": [1, 3],
                "source": "paper",
            }
        ],
        arms=[{"id": "a", "label": "Treated", "role": "experimental"}],
        outcomes=[{"id": "o", "name": "Outcome", "sources": ["paper"]}],
        summary=todo("write it"),
    )
    text = settle(draft)
    record = parse_text(Path("draft-test.yaml"), text)
    assert isinstance(record, RawRecord)
    messages = sorted(f"{i.field}: {i.message}" for i in validate_records([record]))
    assert messages == [
        "group_values[0].value: to fill in: estimate 5 lies outside its interval [1, 3]; "
        "the source says 5",
        "summary: to fill in: write it",
        "title: to fill in: text is 4000 characters; the limit is 3000; the source says "
        '"' + "x" * 196 + "...",
    ]
