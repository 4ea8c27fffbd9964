"""Answers first (issue 11): key messages, summary of findings, harms, open trials, reviews and
the methods page, checked on the real records' Markdown."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import PurePosixPath

from generator.collate import Site, is_pooled, open_statuses
from generator.model import Editorial, KeyMessage, Note, Sentence, Study
from generator.pipeline import Paths, collate
from generator.render import render_pages
from tests.conftest import DATA, ROOT

NASTY = "<script>alert(1)</script> {{ 7*7 }} {% include 'x' %} [x](javascript:y) --8<-- 'f'"


@cache
def site() -> Site:
    return collate(replace(Paths.from_root(ROOT), config=DATA / "mkdocs.yml"))


@cache
def pages() -> dict[str, str]:
    return {str(k): v for k, v in render_pages(site()).items()}


def _first_table(page: str) -> int:
    return page.index("\n| ")


def test_main_condition_pages_open_with_key_messages_before_any_table() -> None:
    for condition in (
        "cerebral-palsy",
        "hypoxic-ischaemic-encephalopathy",
        "perinatal-arterial-ischaemic-stroke",
    ):
        page = pages()[f"conditions/{condition}.md"]
        assert "## Key messages" in page, condition
        assert page.index("## Key messages") < _first_table(page), condition
        assert "How up to date" in page


def test_cp_key_messages_give_the_ipd_estimate_with_interval_and_children() -> None:
    page = pages()["conditions/cerebral-palsy.md"]
    messages = page.split("## Key messages")[1].split("\n## ")[0]
    assert "1.36 points higher at 6 months (95% CI 0.41 to 2.32)" in messages
    assert "170 treated children and 171 controls" in messages
    assert "(../studies/cord-blood-cp-ipd-meta-analysis.md)" in messages


def test_home_page_has_one_key_message_line_per_condition_with_messages() -> None:
    home = pages()["index.md"]
    for condition in site().key_messages:
        if condition[1] is None:
            assert home.count(f"(conditions/{condition[0]}.md)") >= 1, condition


def test_every_condition_with_a_randomised_or_pooled_comparison_has_a_summary_table() -> None:
    for condition, rows in site().summary.items():
        page = pages()[f"conditions/{condition}.md"]
        if rows:
            assert "## Summary of findings" in page
            assert "it is not a GRADE rating" in page
            table = page.split("## Summary of findings")[1].split("\n## ")[0]
            assert table.count("\n| <span") == len(rows)


def test_grade_is_shown_only_with_a_named_assessor() -> None:
    for condition, rows in site().summary.items():
        for row in rows:
            for _, rating in row.certainty:
                assert rating.assessor.strip(), (condition, row.domain)
    sof = pages()["conditions/cerebral-palsy.md"].split("## Summary of findings")[1]
    sof = sof.split("\n## ")[0]
    for cell in re.findall(r"GRADE</span> ([^|]*)\|", sof):
        assert cell.strip() == "Not assessed" or "(" in cell  # a rating names its assessor


def test_result_rows_carry_design_badges_and_no_certainty_column() -> None:
    page = pages()["outcomes/cerebral-palsy/gross-motor.md"]
    assert "| Design |" in page
    assert "| Certainty |" not in page
    assert 'badge--info">Randomised</span>' in page
    assert 'badge--warn">Post hoc</span>' in page


def test_harms_page_lists_every_record_and_says_not_reported() -> None:
    harms = pages()["harms.md"]
    for study in site().studies:
        assert f"(studies/{study.id}.md)" in harms, study.id
    assert "not reported" in harms
    assert "## In short" in harms
    assert harms.index("## In short") < harms.index("## Study by study")
    for title in ("Antibodies against donor cells", "Treatments sold outside clinical trials"):
        assert f"### {title}" in harms


def test_open_trials_page_lists_every_open_record_with_its_status_date() -> None:
    page = pages()["open-trials.md"]
    opened = [s for s in site().studies if s.status in open_statuses()]
    assert opened
    for study in opened:
        assert f"(studies/{study.id}.md)" in page, study.id
        assert study.status_checked
        assert study.status_checked in page
    assert "This site recommends no trial" in page
    for condition in site().by_condition:
        assert f"cond={condition}" not in page  # the search uses words, not our ids
    assert page.count("https://clinicaltrials.gov/search?cond=") == 2 * len(site().by_condition)
    for condition, studies in site().open_by_condition.items():
        if studies:
            box = pages()[f"conditions/{condition}.md"]
            assert "open-trials.md#" + condition in box


def test_reviews_list_their_included_studies_and_stand_apart_on_condition_pages() -> None:
    for study in site().studies:
        if is_pooled(study) and study.pooled and study.pooled.includes:
            page = pages()[f"studies/{study.id}.md"]
            for included in study.pooled.includes:
                if included.record:
                    assert f"({included.record}.md)" in page, (study.id, included.record)
    page = pages()["conditions/cerebral-palsy.md"]
    assert "## Reviews and meta-analyses" in page
    reviews = page.split("## Reviews and meta-analyses")[1]
    assert "cord-blood-cp-ipd-meta-analysis" in reviews
    assert (
        "cord-blood-cp-ipd-meta-analysis"
        not in page.split("## Studies")[1].split("## Reviews and meta-analyses")[0]
    )


def test_methods_page_answers_who_what_when_and_how_to_report() -> None:
    page = pages()["methods.md"]
    for heading in (
        "## What the site covers",
        "## How studies were found",
        "## Who writes the site, and its interests",
        "## Report an error",
        "## Licences",
    ):
        assert heading in page
    assert site().last_updated in page
    assert "creativecommons.org/licenses/by/4.0" in page


def test_editorial_text_is_data_not_markup() -> None:
    base = site()
    message = KeyMessage(
        "cerebral-palsy", "2026-12-02", (Sentence(NASTY, ("accent-cp",)),), reviewed_by=NASTY
    )
    note = Note(NASTY, NASTY, ("accent-cp",))
    editorial = Editorial(key_messages=(message,), harms_notes=(note,), not_covered=(note,))
    nasty = replace(base, editorial=editorial, key_messages={("cerebral-palsy", None): message})
    out = {str(k): v for k, v in render_pages(nasty).items()}
    for name in ("conditions/cerebral-palsy.md", "harms.md", "not-covered.md", "index.md"):
        body = out[name]
        assert "<script>" not in body, name
        assert "{{ 7*7 }}" not in body, name  # a Markdown/Jinja-special brace is escaped
        assert "](javascript:" not in body, name
        assert "--8<--" not in body, name
        assert "&lt;script&gt;" in body, name


def test_a_completed_registration_without_results_is_labelled_a_gap_from_its_dates() -> None:
    from generator.collate import collate_site, reporting_gap
    from generator.model import build_study
    from tests.conftest import SITE_URL, minimal_record

    def study(checked: str) -> Study:
        return build_study(
            minimal_record(
                "gap",
                evidence_kind="registered-trial",
                status="completed",
                status_checked=checked,
                dates={"completion": "2024-02-15", "sources": ["paper"]},
            )
        )

    assert not reporting_gap(study("2025-02-15"))  # dated from the record, not from today
    gap = study("2025-02-16")
    assert reporting_gap(gap)
    out = render_pages(collate_site([gap], site_url=SITE_URL))
    page = out[PurePosixPath("studies/gap.md")]
    assert "- **Status:** Completed, no results found, as of 2025-02-16" in page
    assert "no results found" in out[PurePosixPath("studies/index.md")]
    for real in site().studies:
        if reporting_gap(real):
            assert "Completed, no results found" in pages()[f"studies/{real.id}.md"]
