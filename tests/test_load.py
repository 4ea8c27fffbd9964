"""Load stage: safe YAML with positions; refusals carry the line and column of the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import Issue
from generator.load import MAX_BYTES, RawRecord, load_file, load_records, parse_text

P = Path("s.yaml")


def refused(text: str) -> Issue:
    result = parse_text(P, text)
    assert isinstance(result, Issue), f"expected a refusal, got {result!r}"
    return result


def parsed(text: str) -> RawRecord:
    result = parse_text(P, text)
    assert isinstance(result, RawRecord), result.format()
    return result


def test_duplicate_key_is_refused_at_the_second_key() -> None:
    issue = refused("id: a\ntitle: x\nid: b\n")
    assert (issue.line, issue.column, issue.field) == (3, 1, "id")
    assert "duplicate key 'id' (first used on line 1)" in issue.message


def test_nested_duplicate_key_names_the_full_path() -> None:
    issue = refused("dates:\n  start: '2020'\n  start: '2021'\n")
    assert (issue.line, issue.field) == (3, "dates.start")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: &x 1\nb: 2\n", 1, "anchors"),
        ("a: 1\nb: *x\n", 2, "aliases"),
        ("a: !!python/object:os.system 1\n", 1, "tags"),
        ("a: !custom x\n", 1, "tags"),
    ],
)
def test_anchors_aliases_and_tags_are_refused(text: str, line: int, message: str) -> None:
    issue = refused(text)
    assert issue.line == line
    assert message in issue.message


def test_alias_bomb_is_refused_without_expanding() -> None:
    bomb = "a: &a ['x','x']\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)
    )
    issue = refused(bomb)
    assert issue.line == 1
    assert "anchors" in issue.message


def test_syntax_error_reports_position() -> None:
    issue = refused("id: x\ntitle: [unclosed\nsummary: y\n")
    assert issue.line == 3
    assert issue.message.startswith("YAML syntax error")


def test_tab_indentation_is_a_syntax_error() -> None:
    issue = refused("design:\n\tdescription: x\n")
    assert issue.line == 2
    assert "YAML syntax error" in issue.message


def test_only_one_document_per_file() -> None:
    issue = refused("a: 1\n---\nb: 2\n")
    assert issue.line == 2
    assert "one YAML document" in issue.message


def test_empty_file_is_refused() -> None:
    assert refused("# only a comment\n").message == "file is empty"


def test_keys_must_be_names() -> None:
    assert "must be a name" in refused("1: x\n").message
    assert "plain names" in refused("? [a, b]\n: x\n").message


def test_deep_nesting_is_refused() -> None:
    issue = refused("a: " + "[" * 50 + "]" * 50 + "\n")
    assert "nested more than" in issue.message


def test_scalars_follow_yaml_1_2_without_dates() -> None:
    record = parsed(
        "a: yes\nb: no\nc: true\nd: 2024-01-05\ne: 0123\nf: 1.36\ng: 5e7\nh: 12\ni: ~\nj: '7'\n"
        "k: NCT03356821\nl: False\n"
    )
    assert record.data == {
        "a": "yes",
        "b": "no",
        "c": True,
        "d": "2024-01-05",
        "e": "0123",
        "f": 1.36,
        "g": 5e7,
        "h": 12,
        "i": None,
        "j": "7",
        "k": "NCT03356821",
        "l": False,
    }


def test_positions_of_values_and_keys() -> None:
    record = parsed("id: x\nresults:\n  - outcome: a\n    value: 1.5\n")
    assert record.locate(("results", 0, "value")) == (4, 12)
    assert record.locate(("results", 0, "value"), key=True) == (4, 5)
    assert record.locate(("results", 0, "missing")) == (3, 5)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: '" + b"x" * MAX_BYTES + b"'\n")
    issue = load_file(path)
    assert isinstance(issue, Issue)
    assert "the limit is" in issue.message


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: x\ntitle: caf\xe9\n")
    issue = load_file(path)
    assert isinstance(issue, Issue)
    assert (issue.line, issue.column, issue.message) == (2, 11, "file is not valid UTF-8 text")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffid: x\n".encode())
    record = load_file(path)
    assert isinstance(record, RawRecord)
    assert record.data == {"id": "x"}


def test_load_records_reads_sorted_and_flags_yml(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("id: b\n")
    (tmp_path / "a.yaml").write_text("id: a\n")
    (tmp_path / "c.yml").write_text("id: c\n")
    result = load_records(tmp_path)
    assert [r.path.name for r in result.records] == ["a.yaml", "b.yaml"]
    assert [i.message for i in result.issues] == ["study files must end in .yaml"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('title: "x\x7fy"\n', "U+007F"),
        ('title: "x\\x7fy"\n', "U+007F"),
        ("title: a\u202eb\n", "U+202E"),
        ('title: "\\u2066"\n', "U+2066"),
        ("title: a\x00b\n", "U+0000"),
        ("title: a\x85b\n", "U+0085"),
    ],
)
def test_control_and_invisible_characters_are_refused(text: str, code: str) -> None:
    issue = refused(text)
    assert issue.line == 1
    assert issue.message == f"control or invisible character {code} is not allowed"


def test_right_to_left_text_and_tabs_in_values_are_fine() -> None:
    assert parsed('title: "שלום\\tעולם"\n').data == {"title": "שלום\tעולם"}


@pytest.mark.parametrize("number", ["1e400", "-1e16", "99999999999999999999999999999", "1e15"])
def test_numbers_out_of_range_are_refused(number: str) -> None:
    issue = refused(f"enrolled: {number}\n")
    assert (issue.line, issue.column, issue.field) == (1, 11, "enrolled")
    assert issue.message.endswith("is out of range")


def test_missing_or_empty_records_folder_is_an_error(tmp_path: Path) -> None:
    missing = load_records(tmp_path / "nope")
    assert [i.message for i in missing.issues] == ["records folder not found"]
    (tmp_path / "empty").mkdir()
    empty = load_records(tmp_path / "empty")
    assert [i.message for i in empty.issues] == ["no study records (*.yaml) in this folder"]


def test_hidden_files_are_not_records(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n")
    (tmp_path / ".#a.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = load_records(tmp_path)
    assert [r.path.name for r in result.records] == ["a.yaml"]
    assert result.issues == []


def test_keys_are_shared_between_records() -> None:
    """Every record repeats the same few hundred field names: one copy of each name is kept
    (at 10,000 records the copies cost 200 MB)."""
    first, second = parsed("outcome: {name: a}\n"), parsed("outcome: {name: b}\n")
    (key_one,), (key_two,) = first.data["outcome"], second.data["outcome"]
    assert key_one is key_two
    assert next(iter(first.data)) is next(iter(second.data))


def test_short_values_are_shared_between_records_however_they_were_read() -> None:
    """Codes, units and dates repeat from record to record: parsed, or read back from the
    record cache's JSON (share_text), each short value is kept once (130 MB at 10,000)."""
    import json

    from generator.load import SHARED_TEXT, share_text

    long = "x" * (SHARED_TEXT + 1)
    first, second = parsed(f"a: [months, {long}]\n"), parsed(f"a: [months, {long}]\n")
    assert first.data["a"][0] is second.data["a"][0]
    assert first.data["a"][1] is not second.data["a"][1]  # long text is rarely repeated
    text = json.dumps({"a": ["months", {"b": "months"}]})
    cached_one, cached_two = json.loads(text), json.loads(text)
    share_text(cached_one)
    share_text(cached_two)
    assert cached_one["a"][0] is cached_two["a"][1]["b"] is first.data["a"][0]
