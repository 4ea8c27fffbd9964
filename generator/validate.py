"""Validate stage: check loaded records against the JSON Schema and the cross-record rules.

Every rule is a small function that returns issues and never raises, so one run reports
every problem at once. Rules that walk record data tolerate wrong types (the schema check
reports those), because a malformed record must never cause a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard

import jsonschema
import jsonschema_rs

from generator.errors import Issue
from generator.load import FieldPath, RawRecord, format_field
from generator.report import related_pairs
from generator.schema import TYPE_NAMES, annotated, ecma_pattern, having, labels, load_schema


def _pattern_keyword(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_pattern(pattern))


@cache
def schema_validator(name: str = "study") -> jsonschema.protocols.Validator:
    """The reference validator: jsonschema, with `pattern` read the ECMA-262 way."""
    schema = load_schema(name)
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern_keyword})
    return cls(schema)


@cache
def _fast_validator(name: str = "study") -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema(name))


def warm_up() -> None:
    """Compile the record schema now (before worker processes fork, so they share it)."""
    _fast_validator()


def validate_records(
    records: list[RawRecord], record_issues: Mapping[Path, list[Issue]] | None = None
) -> list[Issue]:
    """Run every per-record and cross-record rule; return all issues, sorted.

    record_issues: what check_record already found for some records (by path), in a worker
    process or in an earlier run of the same code on the same bytes (the record cache keeps
    only records that passed); their per-record rules are not run again.
    """
    done = record_issues or {}
    issues: list[Issue] = []
    marked_in: dict[Path, set[str]] = {}
    for record in records:
        found = done.get(record.path)
        issues += check_record(record) if found is None else found
        if found is None or found:  # a record that passed every rule has no placeholder
            marked_in[record.path] = {format_field(w) for w, _ in record_placeholders(record)}
    for cross_rule in CROSS_RULES:
        issues.extend(
            issue
            for issue in cross_rule(records)
            if not _within(issue.field, marked_in.get(issue.path, set()))
        )
    return sorted(set(issues))


def check_record(record: RawRecord) -> list[Issue]:
    """Every rule that reads one record alone.

    A field marked as a placeholder is reported once, as a field to fill in; other rules'
    complaints about it (wrong type, unknown vocabulary value, ...) would only be noise.
    """
    marked = {format_field(where) for where, _ in record_placeholders(record)}
    return [
        issue
        for rule in RECORD_RULES
        for issue in rule(record)
        if rule is check_placeholders or not _within(issue.field, marked)
    ]


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


def record_placeholders(record: RawRecord) -> Iterator[tuple[FieldPath, str]]:
    """placeholders() of a record, without walking it when its text cannot hold one.

    A value starting with `TODO:` shows those characters in the file, unless it is written
    with escapes (a backslash, in double quotes): folding lines only ever adds spaces."""
    text = record.text
    if text is not None and PLACEHOLDER not in text and "\\" not in text:
        return iter(())
    return placeholders(record.data)


def check_placeholders(record: RawRecord) -> Iterator[Issue]:
    """No value is still marked `TODO:` (a field a draft left for a person to fill in)."""
    for where, value in record_placeholders(record):
        hint = value[len(PLACEHOLDER) :].strip() or "replace this placeholder"
        yield _issue(record, where, f"{TO_FILL_IN}: {hint}")


# --- schema -------------------------------------------------------------------------------


def check_schema(record: RawRecord, name: str = "study") -> Iterator[Issue]:
    """The record matches the JSON Schema (types, required and unknown fields, formats)."""
    # Profiling put the reference validator at 60% of generate time (7 ms a record). The
    # compiled one answers "valid?" a hundred times faster; records it rejects are walked by
    # the reference validator, which words every problem. The two must agree both ways
    # (tests/test_validate.py checks it); should the reference find nothing, the compiled
    # validator's own findings are reported, so a rejected record can never pass.
    fast = _fast_validator(name)
    if fast.is_valid(record.data):
        return
    found = False
    for error in schema_validator(name).iter_errors(record.data):
        found = True
        yield from _explain(record, error)
    if not found:
        for fast_error in fast.iter_errors(record.data):
            yield _issue(record, tuple(fast_error.instance_path), fast_error.message[:200])


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
    elif "x-message" in schema and kind in ("anyOf", "oneOf", "not", "exclusiveMinimum"):
        inner = schema.get("not")
        if kind == "not" and isinstance(inner, dict) and inner.get("required"):
            # Point at the key of the field that is not allowed there.
            where = (*where, inner["required"][0])
            yield _issue(record, where, str(schema["x-message"]), key=True)
        else:
            yield _issue(record, where, str(schema["x-message"]))
    elif kind == "not":
        yield _issue(record, where, f"{_show(instance)} is reserved; choose another")
    elif kind == "dependentRequired" and isinstance(instance, dict):
        for name, needs in error.validator_value.items():
            missing = [n for n in needs if name in instance and n not in instance]
            if missing:
                wanted = " and ".join(repr(n) for n in missing)
                yield _issue(record, (*where, name), f"{name!r} needs {wanted} as well")
    elif kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "above",
            "maximum": "at most",
            "exclusiveMaximum": "below",
        }[kind]
        yield _issue(record, where, f"{_show(instance)} must be {words} {error.validator_value}")
    elif kind == "pattern":
        what = str(schema.get("x-message") or schema.get("description", "the expected format"))
        what = what.rstrip(".")
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
    got = TYPE_NAMES[_json_type(instance)]
    message = f"expected {' or '.join(TYPE_NAMES.get(w, w) for w in wanted)}, got {got}"
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


def _text_or_none(value: Any) -> str | None:
    """A value that may be looked up in a set or dict: text, else None (never a list)."""
    return value if isinstance(value, str) else None


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
    "arms": ("arms",),
    "periods": ("design", "periods"),
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
    """Ids of references, outcomes, arms and periods are unique within the record."""
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


def _results(record: RawRecord) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every group value and effect, with its path."""
    for name in ("group_values", "effects"):
        for i, item in _dicts(_get(record.data, name)):
            yield (name, i), item


def check_local_links(record: RawRecord) -> Iterator[Issue]:
    """Results, certainty, interventions and harms name outcomes, arms and periods that exist."""
    data = record.data
    known = {
        "outcome": _local_ids(record, "outcomes"),
        "arm": _local_ids(record, "arms"),
        "period": _local_ids(record, "periods"),
    }
    links: list[tuple[FieldPath, Any, str]] = []
    for where, item in _results(record):
        links.append(((*where, "outcome"), item.get("outcome"), "outcome"))
        links.append(((*where, "arm"), item.get("arm"), "arm"))
        for side in ("arms", "experimental", "comparator"):
            arms = item.get(side)
            if isinstance(arms, list):
                links += [((*where, side, j), arm, "arm") for j, arm in enumerate(arms)]
    for i, item in _dicts(_get(data, "certainty")):
        links.append((("certainty", i, "outcome"), item.get("outcome"), "outcome"))
    for i, item in _dicts(_get(data, "interventions")):
        links.append((("interventions", i, "arm"), item.get("arm"), "arm"))
        links.append((("interventions", i, "period"), item.get("period"), "period"))
    for i, item in _dicts(_get(_get(data, "safety"), "events")):
        links.append((("safety", "events", i, "arm"), item.get("arm"), "arm"))
    for where, target, what in links:
        if isinstance(target, str) and target not in known[what]:
            have = ", ".join(sorted(known[what])) or "none"
            yield _issue(
                record, where, f"no {what} with id {target!r} in this record (have: {have})"
            )


def _pair_of_numbers(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2 and all(_is_number(x) for x in value):
        return value[0], value[1]
    return None


def check_result_numbers(record: RawRecord) -> Iterator[Issue]:
    """Intervals and ranges are ordered and hold their estimate; events do not exceed total."""
    for where, item in _results(record):
        value = item.get("value")
        for name in ("ci", "iqr", "range"):
            pair = _pair_of_numbers(item.get(name))
            if pair is None:
                continue
            low, high = pair
            if low > high:
                yield _issue(record, (*where, name), f"[{low}, {high}] is reversed")
            elif _is_number(value) and not low <= value <= high:
                shown = {"ci": "interval", "iqr": "interquartile range", "range": "range"}[name]
                yield _issue(
                    record,
                    (*where, "value"),
                    f"estimate {value} lies outside its {shown} [{low}, {high}]",
                )
        events, total = item.get("events"), item.get("total")
        if _is_number(events) and _is_number(total) and events > total:
            yield _issue(record, (*where, "events"), f"{events} events out of only {total}")


def check_effect_sides(record: RawRecord) -> Iterator[Issue]:
    """An arm is on one side of a comparison only."""
    for where, item in _results(record):
        experimental, comparator = item.get("experimental"), item.get("comparator")
        if isinstance(experimental, list) and isinstance(comparator, list):
            treated = {a for a in experimental if isinstance(a, str)}
            for arm in sorted(treated & {a for a in comparator if isinstance(a, str)}):
                yield _issue(
                    record,
                    (*where, "comparator"),
                    f"arm {arm!r} is on both sides of the comparison",
                )


def _outcomes_by_id(record: RawRecord) -> dict[str, dict[str, Any]]:
    return {
        item["id"]: item
        for _, item in _section(record, "outcomes")
        if isinstance(item.get("id"), str)
    }


def check_primary_analysis_of_primary_outcome(record: RawRecord) -> Iterator[Issue]:
    """A prespecified primary analysis is of an outcome the source names as primary."""
    outcomes = _outcomes_by_id(record)
    for where, item in _results(record):
        plan = _get(item.get("analysis"), "plan")
        outcome = outcomes.get(_text_or_none(item.get("outcome")) or "")
        if plan == "prespecified-primary" and outcome and outcome.get("role") != "primary":
            yield _issue(
                record,
                (*where, "analysis", "plan"),
                f"a prespecified primary analysis needs outcome {outcome['id']!r} "
                "to have role: primary",
            )


def check_direction_known(record: RawRecord) -> Iterator[Issue]:
    """An outcome with a numeric effect says which direction is better (itself or by instrument)."""
    directions = annotated("instrument", "x-direction")
    outcomes = _outcomes_by_id(record)
    reported: set[str] = set()
    for where, item in _results(record):
        if where[0] != "effects" or not _is_number(item.get("value")):
            continue
        outcome = outcomes.get(_text_or_none(item.get("outcome")) or "")
        if not outcome or outcome["id"] in reported:
            continue
        if (
            "direction" not in outcome
            and _text_or_none(outcome.get("instrument")) not in directions
        ):
            reported.add(outcome["id"])
            index = next(i for i, o in _section(record, "outcomes") if o is outcome)
            yield _issue(
                record,
                ("outcomes", index),
                "an outcome with effects needs a direction (higher-better or lower-better): "
                "its instrument does not set one",
            )


def check_secondary_source(record: RawRecord) -> Iterator[Issue]:
    """A value from a secondary source cites that source, not the study's own report."""
    refs = _dicts(_get(record.data, "references"))
    main = refs[0][1].get("id") if refs else None
    for where, item in _results(record):
        if item.get("obtained") == "secondary-source" and item.get("source") == main:
            yield _issue(
                record,
                (*where, "source"),
                "a value from a secondary source must cite that source, not the study's own report",
            )


def check_pooled_only_fields(record: RawRecord) -> Iterator[Issue]:
    """Pooled-estimate fields (studies, i2) belong to reviews and meta-analyses only."""
    if _text_or_none(_get(record.data, "evidence_kind")) in having("evidence_kind", "x-pooled"):
        return
    for where, item in _results(record):
        for name in ("studies", "i2"):
            if name in item:
                yield _issue(
                    record,
                    (*where, name),
                    f"{name} describes a pooled estimate; only reviews and meta-analyses have one",
                )


def check_dose_values(record: RawRecord) -> Iterator[Issue]:
    """A dose range is in order (the schema checks value xor low-high)."""
    for i, item in _dicts(_get(record.data, "interventions")):
        dose = item.get("dose")
        low, high = _get(dose, "low"), _get(dose, "high")
        if _is_number(low) and _is_number(high) and low > high:
            yield _issue(
                record,
                ("interventions", i, "dose", "low"),
                f"low {low} is greater than high {high}",
            )


def check_added_before_review(record: RawRecord) -> Iterator[Issue]:
    """A record cannot have been added after it was last reviewed."""
    added, reviewed = _get(record.data, "added"), _get(record.data, "last_reviewed")
    # Both are ISO dates (the schema checks the pattern), so text order is date order.
    if isinstance(added, str) and isinstance(reviewed, str) and added > reviewed:
        yield _issue(record, ("added",), f"added {added} is after last_reviewed {reviewed}")


def check_history(record: RawRecord) -> Iterator[Issue]:
    """History events are listed oldest first, and an event the dates already say is not
    repeated (results posted on the date in dates.results_posted)."""
    events = _dicts(_get(record.data, "history"))
    posted = _get(_get(record.data, "dates"), "results_posted")
    previous: str | None = None
    for i, event in events:
        when = event.get("date")
        if not isinstance(when, str):
            continue
        # YYYY, YYYY-MM and YYYY-MM-DD texts sort as dates ("2020" before "2020-05").
        if previous is not None and when < previous:
            yield _issue(
                record,
                ("history", i, "date"),
                f"{when} is before the event above it ({previous}): list history oldest first",
            )
        previous = when
        if event.get("kind") == "results-posted" and when == posted:
            yield _issue(
                record,
                ("history", i, "kind"),
                "dates.results_posted already says results were posted on this date; "
                "record a results-posted event only for another registry",
            )


def _is_number(value: Any) -> TypeGuard[int | float]:
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
    check_result_numbers,
    check_effect_sides,
    check_primary_analysis_of_primary_outcome,
    check_direction_known,
    check_secondary_source,
    check_pooled_only_fields,
    check_dose_values,
    check_added_before_review,
    check_history,
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


def check_duplicate_identifiers(records: list[RawRecord]) -> Iterator[Issue]:
    """No two unrelated records carry the same registration or the same main-report DOI.

    A record's identity is its registrations plus the DOI of its first reference (its own main
    report); citing another study's paper further down the list, e.g. a review's data table,
    is normal and not a duplicate.
    """
    related = related_pairs(records)
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
                        "merge the records, or relate them with `related` or a shared `trial`",
                    )
            else:
                seen[key] = (own, record)


def check_included_records(records: list[RawRecord]) -> Iterator[Issue]:
    """A review's included studies name records that exist, and not reviews themselves."""
    known = _ids(records)
    pooled = having("evidence_kind", "x-pooled")
    for record in records:
        includes = _get(_get(record.data, "pooled"), "includes")
        for i, item in _dicts(includes):
            target = item.get("record")
            if not isinstance(target, str):
                continue
            where = ("pooled", "includes", i, "record")
            if target not in known:
                hint = difflib.get_close_matches(target, list(known), n=1)
                suffix = f"; did you mean {hint[0]!r}?" if hint else ""
                yield _issue(record, where, f"no record with id {target!r}{suffix}")
            elif _text_or_none(_get(known[target].data, "evidence_kind")) in pooled:
                yield _issue(record, where, f"{target!r} is itself a review; list primary studies")


def check_trial_arms_agree(records: list[RawRecord]) -> Iterator[Issue]:
    """Reports of one trial describe a shared arm (same arm id) with the same role and size."""
    first: dict[tuple[str, str], tuple[RawRecord, dict[str, Any]]] = {}
    for record in records:
        trial = _get(_get(record.data, "trial"), "id")
        if not isinstance(trial, str):
            continue
        for i, arm in _section(record, "arms"):
            if not isinstance(arm.get("id"), str):
                continue
            key = (trial, arm["id"])
            if key not in first:
                first[key] = (record, arm)
                continue
            other_record, other = first[key]
            for name in ("role", "n"):
                mine, theirs = arm.get(name), other.get(name)
                if mine is not None and theirs is not None and mine != theirs:
                    yield _issue(
                        record,
                        ("arms", i, name),
                        f"arm {arm['id']!r} of trial {trial!r} has {name} {theirs!r} in "
                        f"{other_record.path.name}; a shared arm must agree",
                    )


CrossRule = Callable[[list[RawRecord]], Iterator[Issue]]
CROSS_RULES: tuple[CrossRule, ...] = (
    check_unique_ids,
    check_related_resolve,
    check_duplicate_identifiers,
    check_included_records,
    check_trial_arms_agree,
)

CROSS_FIELDS = frozenset(
    ("id", "evidence_kind", "related", "registrations", "references", "pooled", "trial", "arms")
)
"""The top-level fields the rules across records read (and related_pairs, which they use)."""


class _CrossView(dict[str, Any]):
    """The part of a record the rules across records read; asking for any other field is a
    bug (the rule would see nothing), so it raises rather than answering None."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(_kept(key), default)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(_kept(key))


def _kept(key: str) -> str:
    if key not in CROSS_FIELDS:
        raise LookupError(f"{key!r} is not kept for the rules across records (CROSS_FIELDS)")
    return key


def for_cross_rules(record: RawRecord) -> RawRecord:
    """A record that passed its own rules, cut to what the rules across records read: kept
    for them while the studies are built, so that at 10,000 records the whole data of every
    record (450 MB) is never held at once. Problems are still located (its file is read
    again), and the full record is load_file(record.path)."""
    data = record.data
    view = _CrossView({key: data[key] for key in CROSS_FIELDS if key in data})
    if isinstance(view.get("references"), list):
        view["references"] = view["references"][:1]  # only the main report's DOI is compared
    pooled = view.get("pooled")
    if isinstance(pooled, dict):
        view["pooled"] = {"includes": pooled["includes"]} if "includes" in pooled else {}
    return RawRecord(record.path, view, lean=True)


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


# --- editorial files: key messages and site notes ---------------------------------------------

_NUMBER = re.compile(r"(?<![\w.\-−/])[-−]?\d+(?:\.\d+)?(?![\w])")
"""A number in prose; not a digit run inside a name such as GMFM-66, Bayley-4 or IL-6."""
_TEXT_WITH_NUMBERS = frozenset(
    {"time_point", "age", "eligible_age", "gestational_age", "severity", "p", "timing", "phase"}
)
"""Short structured text fields whose numbers a key message may quote (12 months, 1-6 years)."""


def numbers_in(text: str) -> list[tuple[str, Decimal]]:
    """The numbers written in a piece of prose, as written and as values."""
    return [(m.group(0), Decimal(m.group(0).replace("−", "-"))) for m in _NUMBER.finditer(text)]


def record_numbers(record: RawRecord) -> frozenset[Decimal]:
    """Every number a record states: its numeric values (as printed), the numbers in its short
    structured text (time points, ages, p values) and in its dates, and the 95 of an
    interval given without a level."""
    found: set[Decimal] = set()

    def walk(value: Any, path: FieldPath) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            found.add(Decimal(record.printed.get(path, repr(value))))
            return
        if isinstance(value, dict):
            if "ci" in value and "ci_level" not in value:
                found.add(Decimal(95))
            for key, item in value.items():
                if isinstance(item, str) and (key in _TEXT_WITH_NUMBERS or key == "date"):
                    found.update(v for _, v in numbers_in(item.replace("-", " ")))
                else:
                    walk(item, (*path, key))
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(record.data, ())
    dates = _get(record.data, "dates")
    if isinstance(dates, dict):
        for value in dates.values():
            if isinstance(value, str):
                found.update(v for _, v in numbers_in(value.replace("-", " ")))
    return frozenset(found)


def _check_cited_numbers(
    file: RawRecord,
    where: FieldPath,
    text: Any,
    cites: Any,
    records: Mapping[str, RawRecord],
    numbers: dict[str, frozenset[Decimal]],
    cite_field: str = "cites",
) -> Iterator[Issue]:
    """Cited records exist, and every number in the text is one of theirs."""
    cited = [c for c in cites if isinstance(c, str)] if isinstance(cites, list) else []
    for index, ident in enumerate(cited):
        if ident not in records:
            hint = difflib.get_close_matches(ident, list(records), n=1)
            suffix = f"; did you mean {hint[0]!r}?" if hint else ""
            yield _issue(
                file, (*where[:-1], cite_field, index), f"no record with id {ident!r}{suffix}"
            )
    if not isinstance(text, str):
        return
    known: set[Decimal] = set()
    for ident in cited:
        if ident in records:
            if ident not in numbers:
                # A lean record (for_cross_rules) has lost its numbers: the pipeline keeps
                # every record these files name whole.
                assert not records[ident].lean, f"{ident} was loaded lean"
                numbers[ident] = record_numbers(records[ident])
            known |= numbers[ident]
    for written, value in numbers_in(text):
        if value not in known:
            shown = ", ".join(cited) or "no records"
            yield _issue(
                file,
                where,
                f"the number {written} is not in the records it cites ({shown}); "
                "quote numbers as the records give them",
            )


def _vocabulary_value(file: RawRecord, where: FieldPath, value: Any, name: str) -> Iterator[Issue]:
    allowed = labels(name)
    if isinstance(value, str) and value not in allowed:
        yield _issue(file, where, f"{value!r} is not allowed; use one of: {', '.join(allowed)}")


def validate_key_messages(file: RawRecord, records: Mapping[str, RawRecord]) -> list[Issue]:
    """The key-messages file: its schema, known conditions, cell types and domains, one entry
    per condition (and cell type), cited records that exist, and no number that is not in the
    records a sentence cites."""
    issues = list(check_schema(file, "key-messages"))
    numbers: dict[str, frozenset[Decimal]] = {}
    seen: dict[tuple[Any, Any], int] = {}
    for i, message in _dicts(_get(file.data, "messages")):
        issues += _vocabulary_value(
            file, ("messages", i, "condition"), message.get("condition"), "condition"
        )
        issues += _vocabulary_value(
            file, ("messages", i, "cell_type"), message.get("cell_type"), "cell_type"
        )
        key = (message.get("condition"), message.get("cell_type"))
        if isinstance(key[0], str) and key in seen:
            issues.append(
                _issue(
                    file,
                    ("messages", i),
                    f"messages[{seen[key]}] is already about {key[0]}"
                    + (f" and {key[1]}" if key[1] else ""),
                )
            )
        seen.setdefault(key, i)
        for j, sentence in _dicts(message.get("sentences")):
            where = ("messages", i, "sentences", j, "text")
            issues += _check_cited_numbers(
                file, where, sentence.get("text"), sentence.get("cites"), records, numbers
            )
    for i, finding in _dicts(_get(file.data, "findings")):
        issues += _vocabulary_value(
            file, ("findings", i, "condition"), finding.get("condition"), "condition"
        )
        issues += _vocabulary_value(
            file, ("findings", i, "domain"), finding.get("domain"), "domain"
        )
        issues += _check_cited_numbers(
            file,
            ("findings", i, "text"),
            finding.get("text"),
            finding.get("cites"),
            records,
            numbers,
        )
    return sorted(set(issues))


def validate_notes(file: RawRecord, records: Mapping[str, RawRecord]) -> list[Issue]:
    """The site-notes file: its schema, and numbers only as the records a note cites give them."""
    issues = list(check_schema(file, "notes"))
    numbers: dict[str, frozenset[Decimal]] = {}
    for section in ("harms", "not_covered"):
        for i, note in _dicts(_get(file.data, section)):
            issues += _check_cited_numbers(
                file,
                (section, i, "text"),
                note.get("text"),
                note.get("records", []),
                records,
                numbers,
                cite_field="records",
            )
    return sorted(set(issues))
