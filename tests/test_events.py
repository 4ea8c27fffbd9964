"""Evidence events: derived from a record's dates and recorded in its history; What's new and
the Atom feed list them, newest first, with their sources."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

from generator.collate import collate_site, study_events
from generator.model import build_study
from generator.render import render_pages
from tests.conftest import SITE_URL, minimal_record

ATOM = "{http://www.w3.org/2005/Atom}"
REGISTRY = {
    "id": "registry",
    "type": "registry-entry",
    "title": "Registry entry",
    "registry_id": "NCT00000002",
}
PAPER = {
    "id": "paper",
    "type": "article",
    "title": "Main report",
    "journal": "J Test",
    "year": 2021,
}
FOLLOW_UP = {
    "id": "later",
    "type": "article",
    "title": "Follow-up",
    "journal": "J Test",
    "year": 2024,
}


def trial(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": "completed"} | overrides
    return minimal_record(
        "a-trial",
        short_name="A trial",
        references=[PAPER, REGISTRY, FOLLOW_UP],
        dates={
            "start": "2019-03",
            "completion": "2020-12",
            "first_posted": "2019-01-10",
            "results_posted": "2022-02-01",
            "published": "2021-06",
            "sources": ["later", "registry", "paper"],
        },
        history=[
            {
                "date": "2021-01-05",
                "kind": "status-changed",
                "note": "Registry status changed from Active, not recruiting to Completed",
                "source": "registry",
            },
            {"date": "2024", "kind": "follow-up-published", "note": "Two years", "source": "later"},
        ],
        **fields,
    )


def test_dates_that_are_events_and_the_history_make_one_list_with_sources() -> None:
    events = study_events(build_study(trial()))
    assert [(e.date, e.label, e.sources, e.note) for e in events] == [
        ("2019-01-10", "Registered", ("registry",), None),
        ("2019-03", "Started", ("later", "registry", "paper"), None),
        (
            "2021-01-05",
            "Status changed",
            ("registry",),
            "Registry status changed from Active, not recruiting to Completed",
        ),
        # The publication date's source is the paper of that year, not the later follow-up.
        ("2021-06", "Published", ("paper",), None),
        ("2022-02-01", "Results posted", ("registry",), None),
        ("2024", "Follow-up published", ("later",), "Two years"),
    ]  # completion is a date, not an event


def test_a_study_not_started_has_no_start_event() -> None:
    for status in ("not-yet-recruiting", "withdrawn"):
        events = study_events(build_study(trial(status=status, status_checked="2026-01-01")))
        assert "start" not in [e.kind for e in events]
    assert "start" in [e.kind for e in study_events(build_study(trial(status="recruiting")))]


def rows(page: str) -> list[list[str]]:
    """Date, study, what happened and its sources, from the list of evidence events."""
    listed = page.split("## Evidence events\n\n", 1)[1].split("\n\n", 1)[0]
    found = []
    for line in listed.splitlines():
        date, study, what, source = line.removeprefix("- ").split(" · ")
        found.append([date.strip("*"), study, what, source.removeprefix("Source: ")])
    return found


def test_whats_new_and_the_feed_list_the_same_events_newest_first() -> None:
    other = minimal_record(
        "b-trial",
        short_name="B trial",
        references=[REGISTRY | {"registry_id": "NCT00000003"}],
        dates={"first_posted": "2021-06", "sources": ["registry"]},
    )
    site = collate_site([build_study(trial()), build_study(other)], site_url=SITE_URL)
    pages = render_pages(site)
    table = rows(pages[PurePosixPath("whats-new.md")])
    assert [row[:3] for row in table] == [
        ["2024", "[A trial](studies/a-trial.md)", "Follow-up published: Two years"],
        ["2022-02-01", "[A trial](studies/a-trial.md)", "Results posted"],
        ["2021-06", "[A trial](studies/a-trial.md)", "Published"],
        ["2021-06", "[B trial](studies/b-trial.md)", "Registered"],  # same date: by name
        [
            "2021-01-05",
            "[A trial](studies/a-trial.md)",
            "Status changed: Registry status changed from Active, not recruiting to Completed",
        ],
        ["2019-03", "[A trial](studies/a-trial.md)", "Started"],
        ["2019-01-10", "[A trial](studies/a-trial.md)", "Registered"],
    ]
    assert table[0][3] == "[Peer-reviewed article, J Test 2024](studies/a-trial.md#references)"
    assert table[1][3] == "[Registry entry, NCT00000002](studies/a-trial.md#references)"
    assert table[3][3] == "[Registry entry, NCT00000003](studies/b-trial.md#references)"

    feed = ElementTree.fromstring(pages[PurePosixPath("feed.xml")])
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == [f"{row[2].split(':')[0]}: {row[1][1:].split(']')[0]}" for row in table]
    assert titles[3] == "Registered: B trial"
    assert [e.findtext(f"{ATOM}updated") for e in entries][:3] == [
        "2024-01-01T00:00:00Z",
        "2022-02-01T00:00:00Z",
        "2021-06-01T00:00:00Z",
    ]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert ids[0] == f"{SITE_URL}studies/a-trial/#follow-up-published-2024"
    assert entries[0].findtext(f"{ATOM}summary") == (
        "Follow-up published: Two years (2024). Source: Peer-reviewed article, J Test 2024."
    )
    # The feed is as new as its newest event or review, whichever is later.
    assert feed.findtext(f"{ATOM}updated") == "2026-01-01T00:00:00Z"


def test_the_study_page_lists_its_recorded_events_with_their_source() -> None:
    site = collate_site([build_study(trial())], site_url=SITE_URL)
    page = render_pages(site)[PurePosixPath("studies/a-trial.md")]
    assert "- **Follow-up published:** 2024: Two years [&#91;3&#93;](#references)\n" in page
    assert "- **Status changed:** 2021-01-05: Registry status changed from Active" in page
