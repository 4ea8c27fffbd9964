"""End to end: the real records through a strict MkDocs build, with facts checked on the HTML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from generator.schema import labels
from tests.conftest import ROOT, copy_project, minimal_record, run_generator

pytestmark = pytest.mark.slow

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


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    copy_project(project)
    hostile = minimal_record(
        "hostile-text",
        short_name=EVIL,
        title=EVIL,
        summary=f"{EVIL}\n\n{{{{ config }}}}",
        design={"description": EVIL, "sources": ["paper"]},
    )
    (project / "studies" / "hostile-text.yaml").write_text(yaml.safe_dump(hostile))
    result = run_generator("build", cwd=project, timeout=300)
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


def test_cp_gross_motor_page_has_a_forest_plot_and_its_table(site: Path) -> None:
    path = site / "outcomes" / "cerebral-palsy" / "gross-motor" / "index.html"
    raw = path.read_text(encoding="utf-8")
    svg = re.search(r"<svg [^>]*class=\"forest\".*?</svg>", raw)
    assert svg, "no inline SVG forest plot"
    root = ET.fromstring(svg.group(0))
    assert root.get("role") == "img"
    desc = root.findtext("{http://www.w3.org/2000/svg}desc") or ""
    assert "ACCeNT-CP (Duke)" in desc
    assert "Cord blood for CP, IPD meta-analysis (2025)" in desc
    text = parse(path).article_text
    assert "GMFM-66 · 12 months · Mean difference" in text
    assert "0.31 to 2.52" in text  # the IPD 12-month interval, in the table beside the plot


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
    assert data["url"].endswith("/studies/hostile-text/")
