"""The real records in studies/: valid, enough of them, and written the way the guide asks."""

from __future__ import annotations

from collections import Counter

from generator.pipeline import Paths, collate
from tests.conftest import ROOT

SCHEMA_LINE = "# yaml-language-server: $schema=../generator/schema/study.schema.json"


def test_all_records_validate_and_cover_the_core_conditions() -> None:
    site = collate(Paths.from_root(ROOT))
    assert len(site.studies) >= 15
    conditions = Counter(c for s in site.studies for c in s.conditions)
    for core in (
        "cerebral-palsy",
        "perinatal-arterial-ischaemic-stroke",
        "hypoxic-ischaemic-encephalopathy",
    ):
        assert conditions[core] >= 2, core


def test_seed_studies_are_present_with_their_identifiers() -> None:
    site = collate(Paths.from_root(ROOT))
    by_id = {s.id: s for s in site.studies}
    ipd = by_id["cord-blood-cp-ipd-meta-analysis"]
    assert ipd.references[0].doi == "10.1542/peds.2024-068999"
    assert ipd.references[0].pmid == "40210215"
    registrations = {r.id for s in site.studies for r in s.registrations}
    assert {"NCT03327467", "NCT03356821", "NCT07018739"} <= registrations
    assert by_id["passion-2-year-follow-up"].references[0].pmid == "40654084"


def test_every_record_declares_the_schema_for_editors() -> None:
    for path in sorted((ROOT / "studies").glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE, path.name


def test_every_result_says_where_in_its_source_it_is() -> None:
    # Editorial rule for the site's own records (the schema leaves locator optional for
    # drafts): a reader can find every number in the source it cites.
    site = collate(Paths.from_root(ROOT))
    missing = [
        (study.id, result.outcome)
        for study in site.studies
        for result in (*study.group_values, *study.effects)
        if not result.locator
    ]
    assert missing == []


def test_no_post_hoc_or_single_group_value_is_a_main_result_without_a_warning() -> None:
    site = collate(Paths.from_root(ROOT))
    for study in site.studies:
        for cell_type in (None, *study.cell_types):
            chosen = site.headline(study, cell_type)
            if chosen.value is not None:
                assert "single-group" in chosen.badges, study.id
            if chosen.effect is not None and chosen.effect.analysis.plan == "post-hoc":
                assert "post-hoc" in chosen.badges, study.id
