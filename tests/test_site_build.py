"""End to end: the real records through a strict MkDocs build, with facts checked on the HTML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from generator.pipeline import Paths, collate
from generator.schema import labels
from tests.conftest import ROOT, copy_project, minimal_record, run_generator_process
from tests.oracles import children_counted_once

pytestmark = pytest.mark.slow

REPOSITORY = "https://github.com/example"


EVIL = (
    '<script>alert("x")</script> | [tap](javascript:alert(1)) <img src=x onerror=alert(2)> '
    '\\" ---\ntitle: x'
)


class Elements(HTMLParser):
    """Collects tags with attributes, and the visible text of <article>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._article = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "article":
            self._article += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._article -= 1

    def handle_data(self, data: str) -> None:
        if self._article:
            self.text.append(data)

    @property
    def article_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def squash(text: str) -> str:
    """Text without whitespace, to compare across the spaces the text extraction adds."""
    return re.sub(r"\s+", "", text)


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    copy_project(project)
    # As on a published site: the repository's address is set, so study pages link to it.
    mkdocs = project / "mkdocs.yml"
    config = mkdocs.read_text(encoding="utf-8")
    assert "\nextra:" not in config  # (a second `extra` key would hide the first)
    mkdocs.write_text(config + f"\nextra:\n  repository: {REPOSITORY}/evidence-site\n", "utf-8")
    hostile = minimal_record(
        "hostile-text",
        short_name=EVIL,
        title=EVIL,
        summary=f"{EVIL}\n\n{{{{ config }}}}",
        design={"description": EVIL, "sources": ["paper"]},
    )
    (project / "studies" / "hostile-text.yaml").write_text(yaml.safe_dump(hostile))
    result = run_generator_process("build", cwd=project, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr
    return project / "site"


def test_ipd_meta_analysis_page_shows_its_main_numbers(site: Path) -> None:
    page = parse(site / "studies" / "cord-blood-cp-ipd-meta-analysis" / "index.html")
    text = page.article_text
    assert "Participants analysed: 341" in text
    assert "1.36 points (95% CI 0.41 to 2.32); p = 0.005" in text
    assert "1.42 points (95% CI 0.31 to 2.52); p = 0.012" in text
    links = [a.get("href") for tag, a in page.tags if tag == "a"]
    assert "https://doi.org/10.1542/peds.2024-068999" in links
    assert "https://pubmed.ncbi.nlm.nih.gov/40210215/" in links


def test_passion_pages_link_the_registry_and_each_other(site: Path) -> None:
    follow_up = parse(site / "studies" / "passion-2-year-follow-up" / "index.html")
    links = [a.get("href") for tag, a in follow_up.tags if tag == "a"]
    assert "https://clinicaltrials.gov/study/NCT03356821" in links
    assert "../passion-phase-1/" in links
    phase1 = parse(site / "studies" / "passion-phase-1" / "index.html")
    assert "Followed up in:" in phase1.article_text
    assert "../passion-2-year-follow-up/" in [a.get("href") for t, a in phase1.tags if t == "a"]


def test_seed_registry_entries_are_linked(site: Path) -> None:
    for study, nct in (
        ("duke-expanded-access-cord-blood", "NCT03327467"),
        ("mahidol-wharton-jelly-msc-hie", "NCT07018739"),
    ):
        page = parse(site / "studies" / study / "index.html")
        assert f"https://clinicaltrials.gov/study/{nct}" in [a.get("href") for t, a in page.tags]


def test_hostile_record_renders_as_visible_text(site: Path) -> None:
    normal = parse(site / "studies" / "passion-phase-1" / "index.html")
    hostile = parse(site / "studies" / "hostile-text" / "index.html")
    scripts = [t for t, _ in hostile.tags if t == "script"]
    assert len(scripts) == len([t for t, _ in normal.tags if t == "script"])
    for tag, attrs in hostile.tags:
        assert tag not in ("img", "iframe"), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        href = attrs.get("href") or ""
        assert not href.lower().startswith(("javascript:", "data:")), href
    assert " ".join(EVIL.split()) in hostile.article_text
    assert "{{ config }}" in hostile.article_text
    raw = (site / "studies" / "hostile-text" / "index.html").read_text()
    title = raw.split("<title>")[1].split("</title>")[0]
    assert "<" not in title
    assert title.startswith("‹script›alert(")


def test_condition_and_cell_type_pages_have_comparison_tables(site: Path) -> None:
    for folder in ("conditions", "cell-types"):
        for page in (site / folder).glob("*/index.html"):
            parsed = parse(page)
            if "No studies of this" not in parsed.article_text:
                assert any(tag == "table" for tag, _ in parsed.tags), page


def test_study_pages_are_not_in_the_navigation(site: Path) -> None:
    nav_links = re.findall(
        r'class="md-nav__link[^"]*"[^>]*href="([^"]+)"', (site / "index.html").read_text()
    )
    nav_links += re.findall(
        r'href="([^"]+)"[^>]*class="md-nav__link', (site / "index.html").read_text()
    )
    assert "studies/" in nav_links, "the navigation pattern no longer matches the theme"
    assert not [link for link in nav_links if "studies/" in link and link.count("/") > 1]


def test_site_loads_nothing_from_other_hosts(site: Path) -> None:
    for page in site.rglob("*.html"):
        for tag, attrs in parse(page).tags:
            if tag in ("script", "img", "iframe", "source", "audio", "video"):
                assert not (attrs.get("src") or "").startswith(("http:", "https:", "//")), page
            if tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "preconnect"):
                assert not (attrs.get("href") or "").startswith(("http:", "https:", "//")), page
    for sheet in site.rglob("*.css"):
        assert "fonts.googleapis" not in sheet.read_text(encoding="utf-8"), sheet


def test_glossary_drives_tooltips(site: Path) -> None:
    page = (site / "studies" / "cord-blood-cp-ipd-meta-analysis" / "index.html").read_text()
    assert '<abbr title="Gross Motor Function Measure, 66-item version">GMFM-66</abbr>' in page
    glossary = parse(site / "glossary" / "index.html")
    assert "Weeke score" in glossary.article_text


def test_home_page_counts_and_disclaimer(site: Path) -> None:
    home = parse(site / "index.html").article_text
    records = len(list((ROOT / "studies").glob("*.yaml"))) + 1  # + the hostile record
    assert f"covers {records} studies" in home
    assert "Not medical advice" in home


SVG = "{http://www.w3.org/2000/svg}"


def forest_plots(path: Path) -> list[ET.Element]:
    raw = path.read_text(encoding="utf-8")
    return [ET.fromstring(m) for m in re.findall(r'<svg [^>]*class="forest[ "].*?</svg>', raw)]


def test_cp_gross_motor_page_has_forest_plots_and_their_tables(site: Path) -> None:
    path = site / "outcomes" / "cerebral-palsy" / "gross-motor" / "index.html"
    plots = forest_plots(path)
    assert plots, "no inline SVG forest plot"
    descriptions = [root.findtext(f"{SVG}desc") or "" for root in plots]
    assert any("ACCeNT-CP (USA" in d for d in descriptions)
    text = parse(path).article_text
    assert "GMFM-66 · 12 months · Mean difference in final values · against a control group" in text
    assert "3.3 GMFM-66 points" in text
    assert "95% CI 0.59 to 5.93" in text


def test_no_forest_plot_or_outcome_group_mixes_pooled_and_primary_estimates(site: Path) -> None:
    reviews = ("Finch-Edmondson 2025", "Eggenberger 2019")
    for page in (site / "outcomes").glob("*/*/index.html"):
        for root in forest_plots(page):
            desc = root.findtext(f"{SVG}desc") or ""
            names = [part.split(",")[0] for part in desc.split("; ")]
            pooled = [n for n in names if any(r in n for r in reviews)]
            assert not pooled or len(pooled) == len(names), (page, desc)
        text = parse(page).article_text
        if "Pooled estimates from reviews" in text:
            primary = text.split("Pooled estimates from reviews")[0]
            assert not any(r in primary for r in reviews), page


def test_every_forest_plot_says_what_favours_what_and_its_interval_level(site: Path) -> None:
    plots = [p for page in (site / "outcomes").glob("*/*/index.html") for p in forest_plots(page)]
    assert plots
    for root in plots:
        labels_in_plot = [t.text or "" for t in root.iter(f"{SVG}text")]
        assert any(t.startswith("← Favours") for t in labels_in_plot), labels_in_plot
        assert any(t.endswith("→") and t.startswith("Favours") for t in labels_in_plot)
        level = r"Estimates? (\(\d+% CI\)|\(CI\)|with \d+% CI|with CI)"  # wide | narrow
        assert any(re.fullmatch(level, t) for t in labels_in_plot), labels_in_plot


def test_every_outcome_table_names_its_outcome(site: Path) -> None:
    for page in (site / "outcomes").glob("*/*/index.html"):
        raw = page.read_text(encoding="utf-8")
        for table in re.findall(r"<table>.*?</table>", raw, re.S):
            header = re.search(r"<thead>(.*?)</thead>", table, re.S)
            assert header is not None
            assert ">Outcome<" in header.group(1), page


WARNINGS = (
    "Post hoc",
    "Subgroup only",
    "Single group, no comparison",
    "Against external controls",
    "Between treated groups",
)


def test_main_results_that_are_not_prespecified_comparisons_carry_a_badge(site: Path) -> None:
    checked = 0
    for folder in ("conditions", "cell-types"):
        for page in (site / folder).glob("*/index.html"):
            raw = page.read_text(encoding="utf-8")
            for row in re.findall(r"<tr>(.*?)</tr>", raw, re.S):
                cells = re.findall(r"<td>(.*?)</td>", row, re.S)
                if len(cells) != 10:
                    continue  # not a row of a studies table
                main = cells[8]
                words = re.sub(r"<[^>]+>", " ", main)
                if not re.search(r"\d", re.sub(r"\d{4}-\d\d-\d\d", "", words)):
                    continue  # no result shown: "Not yet reporting", "Results posted on <date>"
                checked += 1
                badges = re.findall(r'<span class="badge badge--(\w+)">([^<]+)</span>', main)
                assert badges, (page, words)  # every number says what kind of result it is
                for kind, label in badges:
                    assert (kind == "warn") == (label in WARNINGS), (page, label)
                if "post hoc" in words.lower() or "single group" in words.lower():
                    assert any(kind == "warn" for kind, _ in badges), (page, words)
    assert checked > 20


def test_msc_page_shows_accent_cps_msc_arm_result(site: Path) -> None:
    text = parse(site / "cell-types" / "mesenchymal-stromal-cells" / "index.html").article_text
    # The last mention is the studies table's row (key messages mention the trial first).
    row = re.split(r"ACCeNT- ?CP \(USA", text)[-1].split("Completed")[0]
    # (Glossary tooltips wrap abbreviations, which the text extraction pads with spaces.)
    assert squash("Cord-tissue MSC (hCT-MSC) vs Natural history") in squash(row)
    assert squash("1.4 GMFM-66 points (95% CI −1.1 to 4.0); p = 0.27") in squash(row)
    assert "3.3" not in row  # the cord blood arm's result belongs to the cord blood page
    cord_blood = parse(site / "cell-types" / "umbilical-cord-blood" / "index.html").article_text
    row = re.split(r"ACCeNT- ?CP \(USA", cord_blood)[-1].split("Completed")[0]
    assert "3.3 GMFM-66 points" in row


def test_hie_outcome_pages_say_what_each_number_counts(site: Path) -> None:
    page = parse(
        site
        / "outcomes"
        / "hypoxic-ischaemic-encephalopathy"
        / "mortality-disability"
        / "index.html"
    )
    text = page.article_text
    assert "Survival with Bayley-III scores of 85 or more in all three domains" in text
    assert "13 of 18" in text
    assert "74%" in text
    assert "72.2%" in text


def test_audit_corrections_are_on_their_study_pages(site: Path) -> None:
    def text(record: str) -> str:
        return parse(site / "studies" / record / "index.html").article_text

    duke_msc = text("duke-cord-tissue-msc-hie")
    assert "10.1093/stcltm/szad027" in duke_msc
    assert "HLA antibodies (sensitisation) 4 5 participants" in duke_msc
    min_2013 = text("min-2013-cord-blood-epo-cp")
    assert min_2013.count("Primary outcome (per registry entry)") >= 2  # GMPM and GMFM
    assert "91" in text("accent-cp")
    assert "90" in text("accent-cp")
    cotten = text("cotten-2014-autologous-cord-blood-hie")
    assert "13 of 18" in cotten
    assert "72.2%" in cotten
    assert "one trial" in text("amanat-2021-cord-tissue-msc-cp")
    assert "Zarrabi 2022" in text("amanat-2021-cord-tissue-msc-cp")
    assert "23 infants" in text("cord-safe-preterm-cord-blood")
    assert "Ages accepted: 1 to 16 years" in text("crompton-2022-sibling-cord-blood-cp")
    assert "commentary" in text("cord-blood-cp-ipd-meta-analysis")


def test_home_page_counts_a_trial_with_two_reports_once(site: Path) -> None:
    home = parse(site / "index.html").article_text
    count = int(re.search(r"with (\d+) participants", home).group(1))  # type: ignore[union-attr]
    # Amanat 2021 and Zarrabi 2022 report one trial of 108 children (36 per arm, one shared
    # sham group): counted as 108, not 72 + 72.
    records = {p.stem: yaml.safe_load(p.read_text()) for p in (ROOT / "studies").glob("*.yaml")}
    assert (
        records["amanat-2021-cord-tissue-msc-cp"]["trial"]["id"]
        == records["zarrabi-2022-cord-blood-mnc-cp"]["trial"]["id"]
    )
    assert count == children_counted_once(list(collate(Paths.from_root(ROOT)).studies))
    assert "second reports of a trial" in home


def test_evidence_map_shows_every_condition_and_cell_type(site: Path) -> None:
    page = parse(site / "evidence-map" / "index.html")
    text = page.article_text
    for name in labels("condition").values():
        assert name in text
    for name in labels("cell_type").values():
        assert name in text
    assert "No studies" in text
    links = {a.get("href") for t, a in page.tags if t == "a"}
    assert "../studies/passion-phase-1/" in links


def test_downloads_and_feed_are_in_the_site(site: Path) -> None:
    for name in ("studies.json", "studies.csv", "study.schema.json"):
        assert (site / "downloads" / name).stat().st_size > 0
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for ext in ("bib", "ris", "json"):
        assert (site / "downloads" / "cite" / f"passion-phase-1.{ext}").is_file()


def test_study_pages_carry_json_ld_even_for_hostile_text(site: Path) -> None:
    raw = (site / "studies" / "hostile-text" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["name"] == " ".join(EVIL.split())
    # The real mkdocs.yml has no site address yet: no address rather than a placeholder.
    assert "url" not in data


def test_no_page_shows_a_placeholder_address(site: Path) -> None:
    for path in site.rglob("*"):
        if path.suffix in {".html", ".xml", ".json", ".csv", ".txt"}:
            body = path.read_text(encoding="utf-8", errors="replace")
            assert "example.org" not in body, path
            assert "OWNER" not in body, path


def test_every_study_page_links_its_error_report_and_its_file(site: Path) -> None:
    pages = sorted((site / "studies").glob("*/index.html"))
    assert len(pages) > 20
    for path in pages:
        ident = path.parent.name
        links = {a.get("href"): tag for tag, a in parse(path).tags if tag == "a" and a.get("href")}
        report = (
            f"{REPOSITORY}/evidence-site/issues/new?template=report-error.yml&record={ident}"
            f"&title=Error+in+{ident}"
        )
        assert report in links, path
        assert f"{REPOSITORY}/evidence-site/edit/main/studies/{ident}.yaml" in links, path
