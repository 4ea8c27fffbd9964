"""Validate stage: check loaded records against the JSON Schema and the cross-record rules.

Every rule is a small function that returns issues and never raises, so one run reports
every problem at once. Rules that walk record data tolerate wrong types (the schema check
reports those), because a malformed record must never cause a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import jsonschema
import jsonschema_rs

from generator.collate import RATIO_MEASURES
from generator.errors import Issue
from generator.load import FieldPath, RawRecord, format_field
from generator.schema import load_schema


@cache
def schema_validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@cache
def _fast_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema())


def validate_records(records: list[RawRecord]) -> list[Issue]:
    """Run every per-record and cross-record rule; return all issues, sorted.

    A field marked as a placeholder is reported once, as a field to fill in; other rules'
    complaints about it (wrong type, unknown vocabulary value, ...) would only be noise.
    """
    issues: list[Issue] = []
    for record in records:
        marked = {format_field(where) for where, _ in placeholders(record.data)}
        for rule in RECORD_RULES:
            issues.extend(
                issue
                for issue in rule(record)
                if rule is check_placeholders or not _within(issue.field, marked)
            )
    for cross_rule in CROSS_RULES:
        issues.extend(cross_rule(records))
    return sorted(set(issues))


def _issue(record: RawRecord, where: FieldPath, message: str, *, key: bool = False) -> Issue:
    line, column = record.locate(where, key=key)
    return Issue(record.path, line, column, format_field(where), message)


def _within(field: str, marked: set[str]) -> bool:
    """True when a field path is one of the marked paths or lies inside one."""
    if not marked:
        return False
    if field in marked:
        return True
    return any(c in ".[" and field[:i] in marked for i, c in enumerate(field))


# --- placeholders --------------------------------------------------------------------------

PLACEHOLDER = "TODO:"
"""Prefix of a value still to be filled in, as written by `new` and the importers."""
TO_FILL_IN = "to fill in"
"""Start of the message for a placeholder."""


def is_placeholder(value: Any) -> bool:
    """True for a value that still has to be filled in."""
    return isinstance(value, str) and value.startswith(PLACEHOLDER)


def placeholders(data: Any, where: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every (path, text) of a placeholder in record data."""
    if isinstance(data, str):
        if is_placeholder(data):
            yield where, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from placeholders(value, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from placeholders(value, (*where, index))


def check_placeholders(record: RawRecord) -> Iterator[Issue]:
    """No value is still marked `TODO:` (a field a draft left for a person to fill in)."""
    for where, value in placeholders(record.data):
        hint = value[len(PLACEHOLDER) :].strip() or "replace this placeholder"
        yield _issue(record, where, f"{TO_FILL_IN}: {hint}")


# --- schema -------------------------------------------------------------------------------


def check_schema(record: RawRecord) -> Iterator[Issue]:
    """The record matches the JSON Schema (types, required and unknown fields, formats)."""
    # Profiling put the reference validator at 60% of generate time (7 ms a record). The
    # compiled one answers "valid?" a hundred times faster; records it rejects are walked by
    # the reference validator, which words every problem, so messages are unchanged. (It
    # never accepts what the reference rejects: tests/test_validate.py checks that.)
    if _fast_validator().is_valid(record.data):
        return
    for error in schema_validator().iter_errors(record.data):
        yield from _explain(record, error)


def _explain(record: RawRecord, error: jsonschema.ValidationError) -> Iterator[Issue]:
    where: FieldPath = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        for name in sorted(set(instance) - set(known)):
            hint = difflib.get_close_matches(name, known, n=1)
            suffix = (
                f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(known)}"
            )
            yield _issue(record, (*where, name), f"unknown field {name!r}{suffix}", key=True)
    elif kind == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield _issue(record, where, f"missing required field {name!r}")
    elif kind == "type":
        yield _issue(record, where, _type_message(error.validator_value, instance))
    elif kind in ("enum", "oneOf") and _choices(schema, kind):
        allowed = ", ".join(_choices(schema, kind))
        yield _issue(record, where, f"{_show(instance)} is not allowed; use one of: {allowed}")
    elif kind == "pattern" and error.validator_value == "\\S":
        yield _issue(record, where, "must not be blank")
    elif kind == "not":
        yield _issue(record, where, f"{_show(instance)} is reserved; choose another")
    elif kind == "pattern":
        what = str(schema.get("description", "the expected format")).rstrip(".")
        yield _issue(record, where, f"{_show(instance)} does not match: {what}")
    elif kind == "maxLength":
        yield _issue(
            record,
            where,
            f"text is {len(instance)} characters; the limit is {error.validator_value}",
        )
    elif kind == "minLength":
        yield _issue(record, where, "must not be empty")
    elif kind == "uniqueItems":
        yield _issue(record, where, "list has repeated entries")
    elif kind == "minItems":
        yield _issue(record, where, f"needs at least {error.validator_value} item(s)")
    elif kind == "maxItems":
        yield _issue(record, where, f"allows at most {error.validator_value} item(s)")
    else:
        yield _issue(record, where, error.message[:200])


def _choices(schema: dict[str, Any], kind: str) -> list[str]:
    if kind == "enum":
        return [str(v) for v in schema.get("enum", [])]
    options = schema.get("oneOf", [])
    if options and all(isinstance(o, dict) and "const" in o for o in options):
        return [str(o["const"]) for o in options]
    return []


_TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "null": "nothing (null)",
}
"""JSON Schema type -> the word used in messages."""


def _json_type(value: Any) -> str:
    for name, kind in (
        ("boolean", bool),
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, kind):
            return name
    return "null"


def _type_message(expected: str | list[str], instance: Any) -> str:
    wanted = [expected] if isinstance(expected, str) else list(expected)
    got = _TYPE_NAMES[_json_type(instance)]
    message = f"expected {' or '.join(_TYPE_NAMES.get(w, w) for w in wanted)}, got {got}"
    if "string" in wanted and isinstance(instance, (int, float, bool)):
        message += " (put the value in quotes)"
    return message


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- rules within one record ---------------------------------------------------------------


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mapping items of a list, with their index; nothing if it is not a list."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def check_id_matches_file(record: RawRecord) -> Iterator[Issue]:
    """The `id` equals the file name without `.yaml`."""
    ident = _get(record.data, "id")
    if isinstance(ident, str) and ident != record.path.stem:
        yield _issue(record, ("id",), f"id {ident!r} must equal the file name {record.path.stem!r}")


_SECTIONS: dict[str, FieldPath] = {
    "references": ("references",),
    "outcomes": ("outcomes",),
    "arms": ("population", "arms"),
}


def _section(record: RawRecord, section: str) -> list[tuple[int, dict[str, Any]]]:
    value = record.data
    for key in _SECTIONS[section]:
        value = _get(value, str(key))
    return _dicts(value)


def _local_ids(record: RawRecord, section: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for index, item in _section(record, section):
        if isinstance(item.get("id"), str):
            ids.setdefault(item["id"], index)
    return ids


def check_unique_local_ids(record: RawRecord) -> Iterator[Issue]:
    """Ids of references, outcomes and arms are unique within the record."""
    for section, prefix in _SECTIONS.items():
        seen: dict[str, int] = {}
        for index, item in _section(record, section):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                first = format_field((*prefix, seen[ident]))
                yield _issue(
                    record, (*prefix, index, "id"), f"id {ident!r} is already used by {first}"
                )
            seen.setdefault(ident, index)


def _source_refs(data: Any) -> Iterator[tuple[FieldPath, str]]:
    """Every (path, reference id) named in a `sources` list or a `source` field."""

    def walk(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "references":
                    continue
                if key == "sources" and isinstance(item, list):
                    for i, ref in enumerate(item):
                        if isinstance(ref, str):
                            yield (*path, key, i), ref
                elif key == "source" and isinstance(item, str):
                    yield (*path, key), item
                else:
                    yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, (*path, i))

    yield from walk(data, ())


def check_sources_resolve(record: RawRecord) -> Iterator[Issue]:
    """Every `sources`/`source` id names a reference of the same record."""
    refs = _local_ids(record, "references")
    for where, ref in _source_refs(record.data):
        if ref not in refs:
            known = ", ".join(sorted(refs)) or "none"
            yield _issue(
                record, where, f"no reference with id {ref!r} in this record (have: {known})"
            )


def check_commercial_not_sole_source(record: RawRecord) -> Iterator[Issue]:
    """Commercial material is never the only source of a fact."""
    kinds = {
        item["id"]: item.get("type")
        for _, item in _dicts(_get(record.data, "references"))
        if isinstance(item.get("id"), str)
    }
    groups: dict[FieldPath, list[str]] = defaultdict(list)
    for where, ref in _source_refs(record.data):
        groups[where[:-1] if where[-1] != "source" else where].append(ref)
    for where, refs in groups.items():
        if refs and all(kinds.get(ref) == "commercial" for ref in refs):
            yield _issue(
                record,
                where,
                "commercial material cannot be the only source; "
                "add a primary source (article, registry entry, ...)",
            )


def check_local_links(record: RawRecord) -> Iterator[Issue]:
    """Results and certainty name existing outcomes; interventions and events name existing arms."""
    data = record.data
    outcomes = _local_ids(record, "outcomes")
    arms = _local_ids(record, "arms")
    links: list[tuple[FieldPath, Any, dict[str, int], str]] = []
    for i, item in _dicts(_get(data, "results")):
        links.append((("results", i, "outcome"), item.get("outcome"), outcomes, "outcome"))
    for i, item in _dicts(_get(data, "certainty")):
        links.append((("certainty", i, "outcome"), item.get("outcome"), outcomes, "outcome"))
    for i, item in _dicts(_get(data, "interventions")):
        links.append((("interventions", i, "arm"), item.get("arm"), arms, "arm"))
    for i, item in _dicts(_get(_get(data, "safety"), "events")):
        links.append((("safety", "events", i, "arm"), item.get("arm"), arms, "arm"))
    for where, target, known, what in links:
        if isinstance(target, str) and target not in known:
            have = ", ".join(sorted(known)) or "none"
            yield _issue(
                record, where, f"no {what} with id {target!r} in this record (have: {have})"
            )


def check_result_values(record: RawRecord) -> Iterator[Issue]:
    """A result has a number or a statement; its interval is ordered and holds the estimate."""
    for i, item in _dicts(_get(record.data, "results")):
        value, ci = item.get("value"), item.get("ci")
        if value is None and not item.get("statement"):
            yield _issue(record, ("results", i), "a result needs a value or a statement")
        if value is not None and "effect_measure" not in item:
            yield _issue(record, ("results", i, "value"), "a value needs its effect_measure")
        if ci is not None and "value" not in item:
            yield _issue(record, ("results", i, "ci"), "a confidence interval needs its value")
        measure = item.get("effect_measure")
        if isinstance(measure, str) and measure in RATIO_MEASURES:  # drawn on a log scale
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                yield _issue(
                    record, ("results", i, "value"), f"a ratio must be above 0, not {value}"
                )
            if isinstance(ci, list) and any(_is_number(x) and x <= 0 for x in ci):
                yield _issue(record, ("results", i, "ci"), "a ratio's interval must be above 0")
        if isinstance(ci, list) and len(ci) == 2 and all(_is_number(x) for x in ci):
            low, high = ci
            if low > high:
                yield _issue(record, ("results", i, "ci"), f"interval [{low}, {high}] is reversed")
            elif _is_number(value) and not low <= value <= high:
                yield _issue(
                    record,
                    ("results", i, "value"),
                    f"estimate {value} lies outside its interval [{low}, {high}]",
                )


def check_single_main_result(record: RawRecord) -> Iterator[Issue]:
    """At most one result is marked as the study's main result."""
    marked = [i for i, item in _dicts(_get(record.data, "results")) if item.get("main") is True]
    for index in marked[1:]:
        yield _issue(
            record,
            ("results", index, "main"),
            f"only one result can be main; results[{marked[0]}] already is",
        )


def check_dose_values(record: RawRecord) -> Iterator[Issue]:
    """A dose gives a value or a low-high range, not both, in the right order."""
    for i, item in _dicts(_get(record.data, "interventions")):
        dose = item.get("dose")
        if not isinstance(dose, dict):
            continue
        where = ("interventions", i, "dose")
        has_range = "low" in dose or "high" in dose
        if "value" in dose and has_range:
            yield _issue(record, where, "give either value or low/high, not both")
        elif "value" not in dose and not ("low" in dose and "high" in dose):
            yield _issue(record, where, "give value, or both low and high")
        low, high = dose.get("low"), dose.get("high")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            yield _issue(record, (*where, "low"), f"low {low} is greater than high {high}")


def check_added_before_review(record: RawRecord) -> Iterator[Issue]:
    """A record cannot have been added after it was last reviewed."""
    added, reviewed = _get(record.data, "added"), _get(record.data, "last_reviewed")
    # Both are ISO dates (the schema checks the pattern), so text order is date order.
    if isinstance(added, str) and isinstance(reviewed, str) and added > reviewed:
        yield _issue(record, ("added",), f"added {added} is after last_reviewed {reviewed}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


RecordRule = Callable[[RawRecord], Iterator[Issue]]
RECORD_RULES: tuple[RecordRule, ...] = (
    check_placeholders,
    check_schema,
    check_id_matches_file,
    check_unique_local_ids,
    check_sources_resolve,
    check_commercial_not_sole_source,
    check_local_links,
    check_result_values,
    check_single_main_result,
    check_dose_values,
    check_added_before_review,
)


# --- rules across records ----------------------------------------------------------------


def _ids(records: list[RawRecord]) -> dict[str, RawRecord]:
    found: dict[str, RawRecord] = {}
    for record in records:
        ident = _get(record.data, "id")
        if isinstance(ident, str):
            found.setdefault(ident, record)
    return found


def check_unique_ids(records: list[RawRecord]) -> Iterator[Issue]:
    """No two records share an id."""
    first = _ids(records)
    for record in records:
        ident = _get(record.data, "id")
        if isinstance(ident, str) and first[ident] is not record:
            yield _issue(
                record, ("id",), f"id {ident!r} is already used by {first[ident].path.name}"
            )


def check_related_resolve(records: list[RawRecord]) -> Iterator[Issue]:
    """Related ids name existing records, and not the record itself."""
    known = _ids(records)
    for record in records:
        own = _get(record.data, "id")
        for i, item in _dicts(_get(record.data, "related")):
            target = item.get("id")
            if not isinstance(target, str):
                continue
            if target == own:
                yield _issue(record, ("related", i, "id"), "a record cannot be related to itself")
            elif target not in known:
                hint = difflib.get_close_matches(target, list(known), n=1)
                suffix = f"; did you mean {hint[0]!r}?" if hint else ""
                yield _issue(record, ("related", i, "id"), f"no record with id {target!r}{suffix}")


def _relations(records: list[RawRecord]) -> set[frozenset[str]]:
    pairs: set[frozenset[str]] = set()
    for record in records:
        own = _get(record.data, "id")
        for _, item in _dicts(_get(record.data, "related")):
            if isinstance(own, str) and isinstance(item.get("id"), str):
                pairs.add(frozenset((own, item["id"])))
    return pairs


def check_duplicate_identifiers(records: list[RawRecord]) -> Iterator[Issue]:
    """No two unrelated records carry the same registration or the same main-report DOI.

    A record's identity is its registrations plus the DOI of its first reference (its own main
    report); citing another study's paper further down the list, e.g. a review's data table,
    is normal and not a duplicate.
    """
    related = _relations(records)
    seen: dict[tuple[str, str], tuple[str, RawRecord]] = {}
    for record in records:
        own = _get(record.data, "id")
        if not isinstance(own, str):
            continue
        keys: list[tuple[FieldPath, tuple[str, str]]] = []
        for i, reg in _dicts(_get(record.data, "registrations")):
            if isinstance(reg.get("id"), str):
                keys.append((("registrations", i, "id"), ("registration", reg["id"].upper())))
        main = _dicts(_get(record.data, "references"))[:1]
        if main and isinstance(main[0][1].get("doi"), str):
            keys.append((("references", 0, "doi"), ("DOI", main[0][1]["doi"].lower())))
        for where, key in dict.fromkeys(keys):
            if key in seen:
                other_id, other = seen[key]
                if other_id != own and frozenset((own, other_id)) not in related:
                    yield _issue(
                        record,
                        where,
                        f"{key[0]} {key[1]} is also in {other.path.name}; "
                        "merge the records or relate them with `related`",
                    )
            else:
                seen[key] = (own, record)


CrossRule = Callable[[list[RawRecord]], Iterator[Issue]]
CROSS_RULES: tuple[CrossRule, ...] = (
    check_unique_ids,
    check_related_resolve,
    check_duplicate_identifiers,
)


# --- glossary ------------------------------------------------------------------------------

_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ()'./-]{0,59}")


def validate_glossary(record: RawRecord) -> list[Issue]:
    """The glossary file is a list of terms with a one-line expansion, a definition and URLs."""
    issues: list[Issue] = []
    terms = _get(record.data, "terms")
    if not isinstance(terms, list):
        return [_issue(record, ("terms",), "expected a list of terms under `terms`")]
    seen: set[str] = set()
    for i, item in enumerate(terms):
        where: FieldPath = ("terms", i)
        if not isinstance(item, dict):
            issues.append(_issue(record, where, "expected a mapping"))
            continue
        for name in sorted(set(item) - {"term", "expansion", "definition", "sources"}):
            issues.append(_issue(record, (*where, name), f"unknown field {name!r}", key=True))
        term = item.get("term")
        if not isinstance(term, str) or not _TERM.fullmatch(term):
            issues.append(
                _issue(
                    record,
                    (*where, "term"),
                    "term must be 1-60 letters, digits, spaces or ( ) ' . / -",
                )
            )
        elif term in seen:
            issues.append(_issue(record, (*where, "term"), f"term {term!r} is listed twice"))
        else:
            seen.add(term)
        for name in ("expansion", "definition"):
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                issues.append(_issue(record, (*where, name), f"{name} must be non-empty text"))
        expansion = item.get("expansion")
        if isinstance(expansion, str) and ("\n" in expansion or "]" in expansion):
            issues.append(
                _issue(record, (*where, "expansion"), "expansion must be one line without ]")
            )
        sources = item.get("sources", [])
        if not isinstance(sources, list):
            issues.append(_issue(record, (*where, "sources"), "expected a list of web addresses"))
            continue
        for j, url in enumerate(sources):
            if not isinstance(url, str) or not _URL.fullmatch(url):
                issues.append(_issue(record, (*where, "sources", j), "expected an http(s) address"))
    return issues


_URL = re.compile(r"https?://[^\s<>\"'`]+")
