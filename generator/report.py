"""Curation warnings: things a person should look at that do not make a record invalid.

A review more than 12 months old, a trial still "recruiting" after its completion date, and
possible duplicates (same registration or same title and year in records not related to
each other). They are shown by `check` and listed by `report`, and never fail a build: a
contributor's pull request must not go red because time passed for someone else's record.
Rules read loaded data of any shape (records need not be valid) and take "today" as an
argument, so they are deterministic under test.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from generator.errors import Issue
from generator.load import FieldPath, RawRecord, format_field
from generator.schema import awaiting_results, having

REVIEW_MONTHS = 12
"""How long a review stays fresh."""


def _issue(record: RawRecord, where: FieldPath, message: str) -> Issue:
    line, column = record.locate(where)
    return Issue(record.path, line, column, format_field(where), message)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def parse_day(text: Any) -> date | None:
    """A YYYY-MM-DD date, or None when the text is anything else."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def period_end(text: Any) -> date | None:
    """The last day a YYYY, YYYY-MM or YYYY-MM-DD date stands for."""
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?", text)
    if not match:
        return None
    year, month, day = (int(p) if p else None for p in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 12, 31)
        if day is None:
            return date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day)
    except ValueError:
        return None


def months_before(today: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when that day does not exist)."""
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def stale_review(record: RawRecord, today: date) -> Iterator[Issue]:
    """`last_reviewed` is more than 12 months before today."""
    reviewed = parse_day(_get(record.data, "last_reviewed"))
    if reviewed is not None and reviewed < months_before(today, REVIEW_MONTHS):
        yield _issue(
            record,
            ("last_reviewed",),
            f"last reviewed {reviewed.isoformat()}, more than {REVIEW_MONTHS} months ago; "
            "check the record against its sources and update last_reviewed",
        )


def recruiting_after_completion(record: RawRecord, today: date) -> Iterator[Issue]:
    """A trial still (not yet) recruiting whose completion date has passed."""
    status = _get(record.data, "status")
    if status not in having("status", "x-open"):
        return
    for field in ("completion", "primary_completion"):
        value = _get(record.data, "dates", field)
        end = period_end(value)
        if end is not None:
            if end < today:
                yield _issue(
                    record,
                    ("status",),
                    f"status is {status!r} but the {field.replace('_', ' ')} date {value} "
                    "has passed; check the registry for the current status",
                )
            return


def _normal_title(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    words = re.sub(r"[^\w]+", " ", text.casefold()).split()
    return " ".join(words) or None


def _year(record: RawRecord) -> int | None:
    refs = _get(record.data, "references")
    first = refs[0] if isinstance(refs, list) and refs else None
    year = _get(first, "year")
    if isinstance(year, int) and not isinstance(year, bool):
        return year
    for field in ("published", "start"):
        value = _get(record.data, "dates", field)
        if isinstance(value, str) and re.match(r"[0-9]{4}", value):
            return int(value[:4])
    return None


def related_pairs(records: list[RawRecord]) -> set[frozenset[str]]:
    """Pairs of record ids that say how they relate: a `related` link or one shared trial."""
    pairs: set[frozenset[str]] = set()
    by_trial: dict[str, list[str]] = {}
    for record in records:
        own = _get(record.data, "id")
        if not isinstance(own, str):
            continue
        related = _get(record.data, "related")
        for item in related if isinstance(related, list) else []:
            other = _get(item, "id")
            if isinstance(other, str):
                pairs.add(frozenset((own, other)))
        trial = _get(record.data, "trial", "id")
        if isinstance(trial, str):
            by_trial.setdefault(trial, []).append(own)
    for reports in by_trial.values():  # a handful of reports per trial
        pairs.update(frozenset((a, b)) for a in reports for b in reports if a != b)
    return pairs


def duplicate_candidates(records: list[RawRecord]) -> Iterator[Issue]:
    """Records not related to each other with the same title and year.

    (The same registration or main DOI in unrelated records is an error, reported by
    `validate.check_duplicate_identifiers`.)"""
    related = related_pairs(records)
    first: dict[tuple[str, str], tuple[str, RawRecord]] = {}
    for record in records:
        own = _get(record.data, "id")
        title, year = _normal_title(_get(record.data, "title")), _year(record)
        if not isinstance(own, str) or not title or not year:
            continue
        key = (title, str(year))
        if key not in first:
            first[key] = (own, record)
            continue
        other_id, other = first[key]
        if other_id != own and frozenset((own, other_id)) not in related:
            yield _issue(
                record,
                ("title",),
                f"possible duplicate of {other.path.name} (same title and year ({year})); "
                "merge the records, or relate them with `related` or a shared `trial`",
            )


def completed_without_results(record: RawRecord, today: date) -> Iterator[Issue]:
    """A registered trial completed more than 12 months ago with no results recorded: look
    for them (the page labels it "completed, no results found" meanwhile)."""
    if _get(record.data, "evidence_kind") not in awaiting_results():
        return
    if _get(record.data, "status") != "completed":
        return
    value = _get(record.data, "dates", "completion") or _get(
        record.data, "dates", "primary_completion"
    )
    end = period_end(value)
    posted = _get(record.data, "dates", "results_posted")
    if posted:
        yield _issue(
            record,
            ("dates", "results_posted"),
            f"results were posted on the registry on {posted} and none are recorded; read "
            "them and record them with the registry as their source",
        )
    elif end is not None and end < months_before(today, REVIEW_MONTHS):
        yield _issue(
            record,
            ("status",),
            f"completed {value}, more than {REVIEW_MONTHS} months ago, and no results are "
            "recorded; search the registry's results and the literature, and record what you "
            "find (the page says 'no results found' meanwhile)",
        )


DESCRIBED_NAME = re.compile(r"\(.*\S,\s*\S.*\)")
"""A short name with a plain-words description in brackets: '(place, cells, children)'."""


def name_for_people(record: RawRecord, today: date) -> Iterator[Issue]:
    """A short name is not only 'Author Year': tables and links show it to parents."""
    name = _get(record.data, "short_name")
    placeholder = isinstance(name, str) and name.startswith("TODO")  # listed as to fill in
    if isinstance(name, str) and not placeholder and not DESCRIBED_NAME.search(name):
        yield _issue(
            record,
            ("short_name",),
            "say in brackets where, which cells and which children, in plain words, e.g. "
            "'Tsuji 2020 (Japan, own cord blood, newborns with HIE)'",
        )


RecordWarning = Callable[[RawRecord, date], Iterator[Issue]]
RECORD_WARNINGS: tuple[RecordWarning, ...] = (
    stale_review,
    recruiting_after_completion,
    completed_without_results,
    name_for_people,
)


def curation_warnings(records: list[RawRecord], today: date) -> list[Issue]:
    """Every warning for the records, sorted by file and line."""
    found: list[Issue] = []
    for record in records:
        for rule in RECORD_WARNINGS:
            found.extend(rule(record, today))
    found.extend(duplicate_candidates(records))
    return sorted(set(found))
