"""Downloads and machine-readable views parse back, with independent readers, to the records."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from functools import cache
from pathlib import PurePosixPath

import bibtexparser
import jsonschema
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware

from generator import export
from generator.collate import NO_CELL_TYPE, Site, collate_site, is_pooled
from generator.load import load_records
from generator.model import HistoryEvent, Study, build_study
from generator.pipeline import Paths, collate
from generator.render import number, render_pages, text
from generator.schema import annotated, labels, load_schema
from tests.conftest import DATA, ROOT, SITE_URL, minimal_record
from tests.oracles import children_counted_once

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"
NASTY = 'Braces {x} 50% & $5 #1 a_b ~ ^ back\\slash "quoted" </script><!-- ü'


@cache
def real_site() -> Site:
    """The real records, with the test config's site address (the real one may be unset)."""
    return collate(replace(Paths.from_root(ROOT), config=DATA / "mkdocs.yml"))


@cache
def real_pages() -> dict[str, str]:
    return {str(k): v for k, v in render_pages(real_site()).items()}


def nasty_study() -> Study:
    """A record whose reference text holds every character a citation format treats specially."""
    ref = {
        "id": "paper",
        "type": "article",
        "title": NASTY,
        "authors": ["O'Brien-Smith AB", "van der Berg C", "PASSION {consortium}"],
        "journal": NASTY,
        "year": 2021,
        "volume": "12",
        "issue": "3",
        "pages": "100-110",
        "doi": "10.1000/x_y(1)",
        "pmid": "12345678",
    }
    return build_study(
        minimal_record("nasty", short_name="=HYPERLINK(1)", title=NASTY, references=[ref])
    )


def every_study() -> list[Study]:
    return [*real_site().studies, nasty_study()]


def test_bibtex_parses_back_to_the_references() -> None:
    for study in every_study():
        library = bibtexparser.parse_string(
            export.bibtex(study), append_middleware=[LatexDecodingMiddleware()]
        )
        assert not library.failed_blocks, study.id
        entries = {e.key: e for e in library.entries}
        assert list(entries) == [export.cite_key(study, r) for r in study.references]
        for ref in study.references:
            fields = entries[export.cite_key(study, ref)].fields_dict
            # pylatexenc decodes \textasciicircum{} (LaTeX's ^) to the modifier letter U+02C6.
            title = fields["title"].value.replace("\u02c6", "^")
            assert title == " ".join(ref.title.split()), study.id
            if ref.year is not None:
                assert fields["year"].value == str(ref.year)
            if ref.doi:
                assert fields["doi"].value == ref.doi
            if ref.authors:
                assert fields["author"].value.count(" and ") == len(ref.authors) - 1


def test_bibtex_keeps_group_authors_whole_and_splits_personal_names() -> None:
    text = export.bibtex(nasty_study())
    assert "author = {O'Brien-Smith, AB and van der Berg, C and {PASSION \\{consortium\\}}}" in text


def test_ris_parses_back_to_the_references() -> None:
    for study in every_study():
        records = rispy.loads(export.ris(study))
        assert len(records) == len(study.references), study.id
        for ref, got in zip(study.references, records, strict=True):
            assert got["title"] == " ".join(ref.title.split())
            assert got.get("authors", []) == list(ref.authors)
            assert got["id"] == export.cite_key(study, ref)
            if ref.doi:
                assert got["doi"] == ref.doi
            if ref.year is not None:
                assert got["year"] == str(ref.year)
            if ref.journal:
                assert got["journal_name"] == " ".join(ref.journal.split())


def test_csl_json_parses_back_to_the_references() -> None:
    for study in every_study():
        items = json.loads(export.csl_json(study))
        for ref, item in zip(study.references, items, strict=True):
            assert item["title"] == " ".join(ref.title.split())
            assert item["type"] == annotated("reference_type", "x-csl-type")[ref.type]
            names = [
                a.get("literal") or f"{a['family']} {a['given']}" for a in item.get("author", [])
            ]
            assert names == list(ref.authors)
            if ref.year is not None:
                assert item["issued"]["date-parts"][0][0] == ref.year
            assert item.get("DOI") == ref.doi


def test_dataset_json_is_the_records_and_validates_against_the_published_schema() -> None:
    text = real_pages()["downloads/studies.json"]
    dataset = json.loads(text)
    assert dataset["format"] == load_schema()["x-format"] == 2
    loaded = load_records(ROOT / "studies")
    assert dataset["records"] == sorted((r.data for r in loaded.records), key=lambda d: d["id"])
    # Numbers keep the digits the source printed (Min 2020's 2.30), as JSON allows.
    printed = {t for r in loaded.records for t in r.printed.values() if "e" not in t.lower()}
    assert "2.30" in printed
    for digits in printed:
        assert re.search(rf"[ \[]{re.escape(digits)}[,\n\]]", text), digits
    schema = json.loads(real_pages()["downloads/study.schema.json"])
    assert schema == load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for record in dataset["records"]:
        assert not list(validator.iter_errors(record)), record["id"]


def test_dataset_csv_has_one_documented_row_per_study() -> None:
    rows = list(csv.DictReader(io.StringIO(real_pages()["downloads/studies.csv"])))
    studies = sorted(real_site().studies, key=lambda s: s.id)
    assert [r["id"] for r in rows] == [s.id for s in studies]
    assert list(rows[0]) == [name for name, _ in export.CSV_COLUMNS]
    for row, study in zip(rows, studies, strict=True):
        assert row["title"] == " ".join(study.title.split())
        assert row["conditions"].split("; ") == list(study.conditions)
        assert row["enrolled"] == ("" if study.enrolled is None else str(study.enrolled))
        assert row["trial"] == (study.trial.id if study.trial else "")
        assert row["registrations"] == "; ".join(r.id for r in study.registrations)
        assert row["page"] == f"{SITE_URL}studies/{study.id}/"
    documented = real_pages()["downloads/index.md"]
    for name, _ in export.CSV_COLUMNS:
        assert f"| `{name}` |" in documented


def test_results_csv_has_one_documented_row_per_value_and_effect() -> None:
    rows = list(csv.DictReader(io.StringIO(real_pages()["downloads/results.csv"])))
    assert list(rows[0]) == [name for name, _ in export.RESULTS_COLUMNS]
    expected = []
    for study in sorted(real_site().studies, key=lambda s: s.id):
        expected += [(study, "group", v) for v in study.group_values]
        expected += [(study, "effect", e) for e in study.effects]
    assert len(rows) == len(expected)
    for row, (study, kind, result) in zip(rows, expected, strict=True):
        assert (row["study"], row["row"], row["outcome"]) == (study.id, kind, result.outcome)
        assert row["value"] == ("" if result.value is None else export.plain_number(result.value))
        assert row["p"] == (result.p or "")
        assert row["source"] == result.source
        pooled = "true" if is_pooled(study) else "false"
        assert row["pooled"] == (pooled if kind == "effect" else "")
        if kind == "effect":
            assert row["experimental"].split("; ") == list(result.experimental)
    # A value keeps its printed digits: 2.30 is 2.30, not 2.3.
    assert any(r["value"] == "2.30" for r in rows)
    documented = real_pages()["downloads/index.md"]
    for name, _ in export.RESULTS_COLUMNS:
        assert f"| `{name}` |" in documented


def test_csv_text_cannot_run_as_a_spreadsheet_formula() -> None:
    site = collate_site([nasty_study()], site_url=SITE_URL)
    row = next(csv.DictReader(io.StringIO(export.dataset_csv(site))))
    assert row["short_name"] == "'=HYPERLINK(1)"


def test_feed_is_atom_with_the_required_elements_newest_first() -> None:
    root = ET.fromstring(real_pages()["feed.xml"])
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    entries = root.findall(f"{ATOM}entry")
    assert 0 < len(entries) <= export.FEED_ENTRIES
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    dates = [e.findtext(f"{ATOM}updated") or "" for e in entries]
    assert dates == sorted(dates, reverse=True)
    # The feed changes with its newest event or the newest review, whichever is later.
    newest_review = max(s.last_reviewed for s in real_site().studies)
    assert root.findtext(f"{ATOM}updated") == max(dates[0], f"{newest_review}T00:00:00Z")
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", entry.findtext(f"{ATOM}updated") or "")
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert link.get("href", "").startswith(SITE_URL + "studies/")
        assert entry.findtext(f"{ATOM}title")


def test_feed_escapes_record_text() -> None:
    event = {"date": "2022", "kind": "corrected", "note": NASTY, "source": "paper"}
    study = replace(nasty_study(), history=(HistoryEvent(**event),))
    site = collate_site([study], site_url=SITE_URL)
    root = ET.fromstring(export.atom_feed(site, site.events))
    flat = " ".join(NASTY.split())
    assert root.findtext(f"{ATOM}entry/{ATOM}title") == "Corrected: =HYPERLINK(1)"
    assert root.findtext(f"{ATOM}entry/{ATOM}summary") == (
        f"Corrected: {flat} (2022). Source: Peer-reviewed article, {flat} 2021."
    )


def test_json_ld_cannot_close_its_script_element() -> None:
    data = export.json_ld(nasty_study(), SITE_URL)
    assert "<" not in data
    assert ">" not in data
    parsed = json.loads(data)
    assert parsed["name"] == " ".join(NASTY.split())
    assert parsed["@type"] == "MedicalTrial"


def test_forest_plots_are_svg_with_title_description_and_one_marker_per_row() -> None:
    page = real_pages()["outcomes/cerebral-palsy/gross-motor.md"]
    svgs = re.findall(r"<svg .*?</svg>", page)
    assert svgs, "the CP gross-motor page has no forest plot"
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None
        assert title.text
        assert desc is not None
        assert desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        markers = root.findall(f".//{SVG}rect")
        assert len(markers) == desc.text.count(";") + 1


def test_cp_gross_motor_forest_plot_rows_are_the_like_comparisons_of_the_records() -> None:
    page = real_pages()["outcomes/cerebral-palsy/gross-motor.md"]
    heading = "### GMFM-66 · 12 months · Mean difference in final values · against a control group"
    section = page.split(heading)[1].split("\n### ")[0]
    svg = ET.fromstring(re.findall(r"<svg .*?</svg>", section)[0])
    desc = svg.findtext(f"{SVG}desc") or ""
    expected = []
    for study in real_site().by_condition["cerebral-palsy"]:
        for e in study.effects:
            o = study.outcome(e.outcome)
            key = (o.instrument, e.months, e.measure, e.scale, is_pooled(study))
            if key == ("gmfm-66", 12, "mean-difference", "final", False) and e.value is not None:
                expected.append((study.short_name, e))
    assert len(expected) >= 2
    assert desc.count(";") + 1 == len(expected)
    for name, effect in expected:
        assert name in desc
        assert effect.value is not None
        assert effect.ci is not None
        low, high = number(effect.ci[0]), number(effect.ci[1])
        assert f"{number(effect.value)} (95% CI {low} to {high})" in desc
        # ... and the same numbers in the table beside the plot
        assert f"</span> {text(f'95% CI {low} to {high}')} |" in section
    labels_in_svg = [t.text for t in svg.iter(f"{SVG}text")]
    assert "← Favours control" in labels_in_svg
    assert "Favours cell therapy →" in labels_in_svg
    assert "Estimate (95% CI)" in labels_in_svg


def test_no_forest_plot_or_table_mixes_pooled_and_primary_estimates() -> None:
    site = real_site()
    for domains in site.outcomes.values():
        for found in domains.values():
            for group in found.effects:
                assert not any(is_pooled(r.study) for r in group.rows)
            for group in found.pooled:
                assert all(is_pooled(r.study) for r in group.rows)


def test_evidence_map_counts_equal_the_records() -> None:
    site = real_site()
    expected: Counter[tuple[str, str]] = Counter()
    cells: dict[tuple[str, str], list[Study]] = {}
    for study in site.studies:
        for condition in study.conditions:
            for cell_type in study.cell_types or (NO_CELL_TYPE,):
                expected[(condition, cell_type)] += 1
                cells.setdefault((condition, cell_type), []).append(study)
    people = {key: children_counted_once(studies) for key, studies in cells.items()}
    grid = site.map_cell_types
    assert set(grid) == set(labels("condition"))
    for condition, cells in grid.items():
        assert set(labels("cell_type")) <= set(cells)
        for cell_type, cell in cells.items():
            assert len(cell.studies) == expected[(condition, cell_type)]
            assert cell.participants == people.get((condition, cell_type), 0)
    page = real_pages()["evidence-map.md"]
    tables = page.split("## The same maps as tables")[1]
    columns = len(next(iter(grid.values())))
    rows = [line for line in tables.splitlines() if line.startswith("| <span")]
    conditions = len(labels("condition"))
    assert len(rows) == 3 * conditions  # cell types, routes, kinds: every condition
    assert all(line.count(" | ") == columns for line in rows[:conditions])
    gaps = sum(
        1
        for g in (grid, site.map_routes, site.map_kinds)
        for cells in g.values()
        for c in cells.values()
        if not c.studies
    )
    assert tables.count('<span class="map-gap">No studies</span>') == gaps


def test_every_study_page_offers_its_citation_downloads_and_structured_data() -> None:
    pages = real_pages()
    for study in real_site().studies:
        page = pages[f"studies/{study.id}.md"]
        for ext in ("bib", "ris", "json"):
            assert f"(../downloads/cite/{study.id}.{ext})" in page
            assert f"downloads/cite/{study.id}.{ext}" in pages
        assert '<script type="application/ld+json">' in page
        assert "**Source types:**" in page


def test_bibliography_lists_each_reference_once_with_its_citing_studies() -> None:
    site = real_site()
    keys = [
        (e.reference.doi or e.reference.pmid or e.reference.registry_id or e.reference.title)
        for e in site.bibliography
    ]
    assert len(keys) == len(set(keys))
    cited = {s.id for e in site.bibliography for s in e.cited_by}
    assert cited == {s.id for s in site.studies}
    assert PurePosixPath("bibliography.md") in render_pages(site)


def test_without_a_site_address_exports_use_no_placeholder_host() -> None:
    """While mkdocs.yml has no site_url, nothing points at a made-up host: the feed's ids are
    URNs and its links relative, the CSV's page column is relative, JSON-LD has no url."""
    record = minimal_record("one", dates={"published": "2020-05-01", "sources": ["paper"]})
    site = collate_site([build_study(record)], site_url="")
    feed = ET.fromstring(export.atom_feed(site, site.events))
    assert (feed.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")
    assert len(feed.findall(f"{ATOM}entry")) == 1
    for entry in feed.iter(f"{ATOM}entry"):
        assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")
        assert entry.find(f"{ATOM}link").get("href") == "studies/one/"  # type: ignore[union-attr]
    assert next(csv.DictReader(io.StringIO(export.dataset_csv(site))))["page"] == "studies/one/"
    assert "url" not in json.loads(export.json_ld(site.studies[0], ""))
    assert json.loads(export.dataset_json(site))["site"] is None


def test_every_download_names_the_data_licence() -> None:
    pages = real_pages()
    feed = ET.fromstring(pages["feed.xml"])
    assert feed.findtext(f"{ATOM}rights") == export.DATA_LICENCE
    assert json.loads(pages["downloads/studies.json"])["licence"]["url"] == export.DATA_LICENCE_URL
    assert export.DATA_LICENCE_URL in pages["downloads/index.md"]
    study = real_site().studies[0]
    assert json.loads(export.json_ld(study, SITE_URL))["license"] == export.DATA_LICENCE_URL
    data_licence = (ROOT / "LICENSE-DATA").read_text()
    assert "Attribution 4.0 International" in data_licence
    assert "MIT License" in (ROOT / "LICENSE").read_text()
