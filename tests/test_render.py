"""Render stage: record text is inert, numbers and citations are formatted as reported."""

from __future__ import annotations

import html as html_lib
import json
import posixpath
import re
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import markdown
import pytest
import yaml

from generator.collate import collate_site
from generator.errors import RenderError
from generator.model import Dose, Effect, GroupValue, Reference, build_study
from generator.render import (
    ama,
    dose,
    estimate,
    group_value,
    link,
    number,
    p_value,
    page_title,
    render_pages,
    text,
)
from tests.conftest import SITE_URL, minimal_record

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src=//evil.example></iframe>",
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<https://evil.example>",
    "a | b | c",
    "{{ config }} {% include 'x' %}",
    '--8<-- "/etc/passwd"',
    "text {: onclick=alert(1) }",
    "<!-- hidden -->",
    "*[CP]: injected abbreviation",
    "# heading",
    "1. list",
    "!!! danger",
    "`code` **bold** _em_ ~~del~~ ==mark== ^^ins^^",
    "&lt;already escaped&gt; &amp;",
    "\u202eright-to-left override",
]


def to_html(md_text: str) -> str:
    return markdown.markdown(md_text, extensions=["tables", "attr_list", "abbr", "admonition"])


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_renders_as_the_same_visible_text(value: str) -> None:
    html = to_html(f"| a |\n| --- |\n| {text(value)} |\n\n{text(value)}\n")
    assert "<script" not in html
    assert "<iframe" not in html
    assert "<img" not in html
    assert "<a " not in html
    for tag in ("<h1", "<ol", "<abbr", "<code", "<strong"):
        assert tag not in html
    assert html.count("<td>") == 1, "the cell must stay one cell"
    paragraph = html.split("<p>")[1].split("</p>")[0]
    assert "<" not in paragraph, "no element may come from record text"
    assert html_lib.unescape(paragraph) == " ".join(value.split())


def test_newlines_cannot_break_a_table_row() -> None:
    cell = text("x\n| y")
    html = to_html(f"| a | b |\n| --- | --- |\n| {cell} | z |\n")
    assert html.count("<tr>") == 2
    assert html.count("<td>") == 2


def test_links_only_to_http() -> None:
    assert link("DOI", "https://doi.org/10.1016/S1474-4422(22)00117-X") == (
        "[DOI](https://doi.org/10.1016/S1474-4422%2822%2900117-X)"
    )
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example", "file:///etc"):
        with pytest.raises(ValueError, match="non-http"):
            link("x", bad)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.36, "1.36"),
        (341, "341"),
        (4.0, "4.0"),  # YAML's 4.0 stays 4.0
        (Decimal("2.30"), "2.30"),  # the loader keeps text a float cannot (2.30)
        (Decimal("0.5"), "0.5"),
        (5e7, "5 × 10⁷"),
        (4.5e7, "4.5 × 10⁷"),
        (Decimal("1.0E+8"), "1 × 10⁸"),
        (1e6, "1 × 10⁶"),
        (-0.4, "−0.4"),  # a real minus sign
        (None, "—"),
    ],
)
def test_numbers_are_shown_as_printed(value: float | Decimal | None, shown: str) -> None:
    assert number(value) == shown


@pytest.mark.parametrize(
    ("printed", "shown"),
    [
        ("0.005", "p = 0.005"),
        ("<0.001", "p &lt; 0.001"),
        ("P = .028", "p = 0.028"),
        ("p<.05", "p &lt; 0.05"),
        (">=0.10", "p ≥ 0.10"),
        ("1.2 × 10^-5", "p = 1.2 × 10⁻⁵"),
        ("p<1e-4", "p &lt; 1 × 10⁻⁴"),
    ],
)
def test_p_values_keep_their_digits_and_are_shown_one_way(printed: str, shown: str) -> None:
    assert p_value(printed) == shown


def test_dose_and_estimate() -> None:
    assert dose(Dose(unit="TNC/kg", low=1e7, high=5e7)) == "1 × 10⁷–5 × 10⁷ nucleated cells per kg"
    assert dose(Dose(unit="cells/kg", value=2e7, minimum=True)) == "≥ 2 × 10⁷ cells per kg"
    effect = Effect(
        outcome="x",
        experimental=("a",),
        comparator=("b",),
        source="p",
        measure="mean-difference",
        value=1.36,
        unit="points",
        ci=(0.41, 2.32),
        p="P = .005",
    )
    assert estimate(effect) == "1.36 points (95% CI 0.41 to 2.32); p = 0.005"
    ninety = Effect(
        outcome="x",
        experimental=("a",),
        comparator=("b",),
        source="p",
        measure="risk-ratio",
        value=Decimal("0.70"),
        ci=(Decimal("0.50"), 0.98),
        ci_level=90,
    )
    assert estimate(ninety) == "0.70 (90% CI 0.50 to 0.98)"


def test_group_values_show_their_spread_and_events() -> None:
    mean = GroupValue(
        outcome="x",
        arms=("a",),
        source="p",
        statistic="mean",
        scale="change",
        value=Decimal("7.50"),
        unit="points",
        sd=6.8,
        n=32,
    )
    assert group_value(mean) == "7.50 points (SD 6.8)"
    events = GroupValue(
        outcome="x", arms=("a",), source="p", statistic="events", events=13, total=18
    )
    assert group_value(events) == "13 of 18"
    percent = GroupValue(
        outcome="x",
        arms=("a",),
        source="p",
        statistic="proportion",
        value=74,
        unit="%",
        iqr=(60, 80),
        p="<0.001",
    )
    assert group_value(percent) == "74% (IQR 60 to 80); p &lt; 0.001 for the change"


def test_ama_reference_with_identifiers() -> None:
    ref = Reference(
        id="p",
        type="article",
        title="Feasibility and safety of intranasal MSCs",
        authors=(
            "Baak LM",
            "Wagenaar N",
            "van der Aa NE",
            "Groenendaal F",
            "Dudink J",
            "Tataranno ML",
            "Mahamuud U",
        ),
        journal="Lancet Neurol",
        year=2022,
        volume="21",
        issue="6",
        pages="528-536",
        doi="10.1016/S1474-4422(22)00117-X",
    )
    assert ama(ref) == (
        "Baak LM, Wagenaar N, van der Aa NE, et al. Feasibility and safety of intranasal MSCs. "
        "*Lancet Neurol*. 2022;21(6):528-536. "
        "doi:[10.1016/S1474-4422(22)00117-X](https://doi.org/10.1016/S1474-4422%2822%2900117-X) "
        "(Peer-reviewed article)"
    )


def test_registry_reference_links_the_registry() -> None:
    ref = Reference(id="r", type="registry-entry", title="PASSIoN", registry_id="NCT03356821")
    assert "[NCT03356821](https://clinicaltrials.gov/study/NCT03356821)" in ama(ref)


def _site(*records: dict[str, object]) -> dict[str, str]:
    studies = [build_study(r) for r in records]
    return {str(k): v for k, v in render_pages(collate_site(studies, site_url=SITE_URL)).items()}


def test_study_page_escapes_every_record_field() -> None:
    evil = "<script>alert(1)</script> | x"
    record = minimal_record(short_name=evil, title=evil, summary=evil + "\n\n" + evil)
    pages = _site(record)
    for name, body in pages.items():
        # The dataset downloads hold the record text as data (JSON, CSV, BibTeX...), not markup.
        if name.endswith(".md"):
            assert "<script>" not in body, name
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; &#124; x" in pages["studies/example-study.md"]


def test_related_records_show_in_both_directions() -> None:
    phase1 = minimal_record("phase-1", short_name="Phase 1")
    follow = minimal_record(
        "follow-up", short_name="Follow-up", related=[{"id": "phase-1", "relation": "follow-up-of"}]
    )
    pages = _site(phase1, follow)
    assert "- Follow-up of: [Phase 1](phase-1.md)" in pages["studies/follow-up.md"]
    assert "- Followed up in: [Follow-up](follow-up.md)" in pages["studies/phase-1.md"]


def test_every_condition_and_cell_type_has_a_page_even_when_empty() -> None:
    pages = _site(minimal_record())
    assert (
        "No studies of this condition are on the site yet."
        in pages["conditions/traumatic-brain-injury.md"]
    )
    assert "cell-types/mesenchymal-stromal-cells.md" in pages


def test_rendering_is_deterministic() -> None:
    records = [minimal_record(f"study-{i}", short_name=f"Study {i % 3}") for i in range(5)]
    assert _site(*records) == _site(*reversed(records))


def test_page_title_cannot_carry_markup_even_escaped() -> None:
    title = page_title('</title><script>alert("x")</script> &lt;b&gt; \\ x')
    assert json.loads(title) == '‹/title›‹script›alert("x")‹/script› ＆lt;b＆gt; ∖ x'
    for char in "<>&\\":
        assert char not in json.loads(title)


SAFE_TITLES = {
    "plain": "plain",
    'quote " and \\ backslash': 'quote " and ∖ backslash',
    "colon: and # hash": "colon: and # hash",
    "---\ntitle: x": "--- title: x",
    "[x](javascript:y)": "[x](javascript:y)",
    "ünïcödé ≥ × –": "ünïcödé ≥ × –",
    "'single'": "'single'",
    "{a: b}": "{a: b}",
    "- item": "- item",
    "&amp; <b>": "＆amp; ‹b›",
}
"""Titles as written, and as they must come back: whitespace flattened, < > & \\ replaced by
look-alikes (written out here, not computed with the code's own table)."""


@pytest.mark.parametrize("value", list(SAFE_TITLES))
def test_page_title_is_always_valid_yaml_holding_the_same_text(value: str) -> None:
    front_matter = yaml.safe_load(f"title: {page_title(value)}\n")
    assert front_matter == {"title": SAFE_TITLES[value]}
    assert page_title(value).isascii()


def test_two_pages_for_one_path_is_an_error() -> None:
    study = build_study(minimal_record("index"))  # the schema reserves `index`; render refuses too
    with pytest.raises(RenderError, match=r"two pages would be written to studies/index\.md"):
        render_pages(collate_site([study], site_url=SITE_URL))


# --- escaping is the environment's default ------------------------------------------------


def _render(source: str, **context: object) -> str:
    from generator.render import environment

    return environment().from_string(source).render(**context)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (
            "*bold* [x](javascript:alert(1)) <b>",
            "&#42;bold&#42; &#91;x&#93;(javascript:alert(1)) &lt;b&gt;",
        ),
        ("# heading", "&#35; heading"),
        ("1. item", "1&#46; item"),
        ("{{ 7*7 }}", "&#123;&#123; 7&#42;7 &#125;&#125;"),
    ],
)
def test_a_plain_value_is_escaped_without_a_filter(value: str, shown: str) -> None:
    assert _render("{{ x }}", x=value) == shown


def test_only_trusted_markup_passes_unescaped() -> None:
    from generator.render import Trusted

    assert _render("{{ x }}", x=Trusted("*ours*")) == "*ours*"
    assert _render("{{ x | text }}", x="*a*") == "&#42;a&#42;"  # escaped once, not twice
    assert _render("{{ n }} {{ d }}", n=12, d=Decimal("2.30")) == "12 2.30"


def test_macros_blocks_lower_and_join_do_not_escape_twice() -> None:
    source = (
        "{% macro em(v) %}*{{ v }}*{% endmacro %}{{ em('a_b') }}|"
        "{% set block %}[{{ v }}]{% endset %}{{ block }}|"
        "{{ v | text | lower }}|{{ items | join('; ') }}"
    )
    shown = _render(source, v="A_B", items=["x_y", "[z]"])
    assert shown == "*a&#95;b*|[A&#95;B]|a&#95;b|x&#95;y; &#91;z&#93;"


def test_folder_prefixes_pass_and_look_alikes_do_not() -> None:
    assert _render("{{ p }}", p="../../studies/") == "../../studies/"
    assert _render("{{ p }}", p="1.") == "1&#46;"
    assert _render("{{ p }}", p="../x.md)") == "&#46;./x.md)"


def test_template_text_keeps_its_edge_spaces() -> None:
    assert _render("a{{ ' ' }}b{{ 'up to ' }}c") == "a bup to c"


def test_a_code_span_refuses_a_backtick() -> None:
    from generator.render import code

    assert code("main_doi") == "`main_doi`"
    with pytest.raises(ValueError, match="code span"):
        code("a`b")


def test_every_filter_is_either_markup_or_plain_data() -> None:
    """A new filter must be listed as one or the other, so escaping stays a decision."""
    import jinja2

    from generator.render import MARKUP_FILTERS, PLAIN_FILTERS, environment

    ours = set(environment().filters) - set(jinja2.Environment().filters)
    assert ours == (set(MARKUP_FILTERS) | set(PLAIN_FILTERS)) - {"lower", "join"}


def test_a_long_harms_table_is_split_into_sections_keeping_each_study_together() -> None:
    """Zensical refuses a page section past its search-index limit (the harms table passed it
    at 1,000 records); sections under their own headings stay within it."""
    from types import SimpleNamespace

    from generator.collate import sections

    def row(n: int) -> Any:
        return SimpleNamespace(study=SimpleNamespace(id=f"s{n}", short_name=f"Study {n:02d}"))

    rows = [row(n) for n in range(5)] + [row(5), row(5), row(5)] + [row(n) for n in range(6, 9)]
    assert sections(rows[:3], size=3) == [(None, rows[:3])]
    parts = sections(rows, size=6)
    assert [heading for heading, _ in parts] == [
        "Part 1 of 2: Study 00 to Study 05 (6 records)",
        "Part 2 of 2: Study 06 to Study 08 (3 records)",
    ]
    assert sections(rows[:4], size=3)[1][0] == "Part 2 of 2: Study 03 (1 record)"
    assert [len(chunk) for _, chunk in parts] == [8, 3]  # study 5's three rows stay together
    assert [r for _, chunk in parts for r in chunk] == rows


def test_long_study_tables_are_split_into_sections_and_keep_every_study(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 10,000 records a condition's study table, and the list of all studies, would pass
    Zensical's search-index limit in one section; split, every study is still listed."""
    import generator.collate
    from generator.render import render_one
    from tests.test_exports import real_site

    site = real_site()
    condition = "cerebral-palsy"
    studies = site.by_condition[condition]

    def condition_page() -> str:
        return render_one(
            site,
            PurePosixPath(f"conditions/{condition}.md"),
            "condition.md.j2",
            {"condition": condition, "studies": studies},
        )

    assert "parts. Sorting by a column sorts one part only" not in condition_page()
    monkeypatch.setattr(generator.collate, "SECTION_ROWS", 10)
    page = condition_page()
    headings = [line for line in page.splitlines() if line.startswith("### ") and " to " in line]
    assert len(headings) >= 2
    # Said once before each split table, with its number of parts: a sort sorts one part.
    notes = re.findall(
        r"^This list is in (\d+) parts\. Sorting by a column sorts one part", page, re.M
    )
    firsts = re.findall(r"^### Part 1 of (\d+):", page, re.M)
    assert notes
    assert notes == firsts
    for study in studies:
        assert f"](../studies/{study.id}.md)" in page
    listing = render_one(site, PurePosixPath("studies/index.md"), "all-studies.md.j2", {})
    parts = [line for line in listing.splitlines() if line.startswith("## ")]
    assert len(parts) == -(-len(site.studies) // 10)
    assert listing.count(f"This list is in {len(parts)} parts. Sorting") == 1
    assert all(f"]({s.id}.md)" in listing for s in site.studies)


def test_every_split_list_says_above_its_first_part_that_a_sort_sorts_one_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """All six kinds of split table (studies and reviews on condition and cell-type pages,
    all studies, harms, open trials, an outcome's worded results) carry the line once, with
    their number of parts, and keep their heading level."""
    from dataclasses import replace

    from generator.collate import Site
    from generator.render import page_plan, render_one
    from tests.test_exports import real_site

    site = real_site()
    several = tuple(s for s in site.studies if "cerebral-palsy" in s.conditions)[:3]
    site = replace(site, open_by_condition={"cerebral-palsy": several})  # the real ones: 1 each
    monkeypatch.setattr(Site, "section_rows", lambda self, table: 1)
    templates = {
        "condition.md.j2",
        "cell-type.md.j2",
        "all-studies.md.j2",
        "harms.md.j2",
        "open-trials.md.j2",
        "outcome-domain.md.j2",
    }
    split = set()
    for path, template, context in page_plan(site):
        if template not in templates:
            continue
        page = render_one(site, path, template, context)
        notes = re.findall(r"^This list is in (\d+) parts\. Sorting by a column", page, re.M)
        level = "##" if template == "all-studies.md.j2" else "###"
        firsts = re.findall(rf"^{level} Part 1 of (\d+): ", page, re.M)
        assert notes == firsts, path
        # ... and links the downloads page from where the page is
        for target in re.findall(r"the \[downloads\]\(([^)]*)\) hold every record", page):
            assert posixpath.normpath(posixpath.join(path.parent.as_posix(), target)) == (
                "downloads/index.md"
            ), path
        assert len(re.findall(r"the \[downloads\]\(", page)) == len(notes), path
        assert "&#35;" not in page, path  # the heading's hashes are markup, not escaped text
        if notes:
            split.add(template)
    assert split == templates


def test_an_evidence_map_cell_names_at_most_25_studies_and_counts_the_rest() -> None:
    from generator.collate import MapCell, is_pooled
    from generator.render import MAP_CELL_LINKS, map_cell, render_one
    from tests.test_exports import real_site

    studies = real_site().studies[:30]
    shown = map_cell(MapCell(tuple(studies)), "studies/", "cerebral-palsy")
    assert shown.startswith("**30** studies")
    assert shown.count("](studies/") == MAP_CELL_LINKS == 25
    assert shown.endswith(
        ", [and 5 more on the condition's page](conditions/cerebral-palsy.md#studies)"
    )
    reviews = [s for s in real_site().studies if is_pooled(s)]
    assert len(reviews) > 3
    only_reviews = map_cell(MapCell(tuple(reviews)), "studies/", "cerebral-palsy", most=2)
    assert only_reviews.endswith("(conditions/cerebral-palsy.md#reviews-and-meta-analyses)")
    # The anchors are the ids of these headings of the condition page (studies_and_reviews).
    site = real_site()
    studies = site.by_condition["cerebral-palsy"]
    context = {"condition": "cerebral-palsy", "studies": studies}
    page = render_one(
        site, PurePosixPath("conditions/cerebral-palsy.md"), "condition.md.j2", context
    )
    assert "\n## Studies\n" in page
    assert "\n## Reviews and meta-analyses\n" in page
    assert "](conditions/" not in map_cell(MapCell(tuple(studies)), "studies/", "x](javascript:")


def test_search_sections_shrink_as_the_site_grows_within_zensicals_limit() -> None:
    """Zensical shares 2^30 word positions between all search items; the allowance per
    section must be under the limit it printed at 10,000 records (4,096 for 215,401 items),
    and the item estimate at least what was counted (1,638 / 22,594 / 215,401 items)."""
    from generator.collate import (
        SEARCH_ITEMS_BESIDE,
        SEARCH_ITEMS_PER_RECORD,
        section_words,
    )

    for records, counted in ((91, 1_638), (1_000, 22_594), (10_000, 215_401)):
        assert SEARCH_ITEMS_BESIDE + SEARCH_ITEMS_PER_RECORD * records >= counted
    assert section_words(10_000) == 3 * 4_096 // 4
    assert section_words(1_000) == 3 * 32_768 // 4
    assert section_words(91) == 3 * 131_072 // 4
    assert section_words(40_000) < section_words(10_000)


def _as_if_large(monkeypatch: pytest.MonkeyPatch, words: int) -> None:
    """Make the real site's sections as short as a very large site's."""
    import generator.collate

    monkeypatch.setattr(generator.collate.Site, "section_words", property(lambda self: words))


def test_on_a_large_site_long_lists_are_cut_to_what_one_search_section_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Open trials in sections; the condition page's box names 10 and counts the rest; a
    summary-of-findings row shows 5 estimates and sends the reader to the outcome page; the
    map names fewer studies a cell; What's new shows fewer events."""
    from dataclasses import replace

    from generator.render import render_one
    from tests.test_exports import real_site

    site = real_site()
    condition = "cerebral-palsy"
    many = tuple(s for s in site.studies if condition in s.conditions)[:25]
    rows = site.summary[condition]
    rated = (site.studies[0], next(c for s in site.studies for c in s.certainty))
    sof = (replace(rows[0], estimates=rows[0].estimates[:1] * 7, certainty=(rated,) * 8), *rows[1:])
    site = replace(site, open_by_condition={condition: many}, summary={condition: sof})
    _as_if_large(monkeypatch, 700)  # 10 rows of open trials, 14 events, 2 links a map cell

    def page(path: str, template: str, **context: Any) -> str:
        return str(render_one(site, PurePosixPath(path), template, context))

    trials = page("open-trials.md", "open-trials.md.j2")
    assert trials.count("\n### ") == 3
    assert all(f"](studies/{s.id}.md)" in trials for s in many)
    studies = site.by_condition[condition]
    box = page(
        f"conditions/{condition}.md", "condition.md.j2", condition=condition, studies=studies
    )
    opening = box.split('!!! info "Open trials and programmes"')[1].split("\n\n")[0]
    assert opening.count("](../studies/") == 10
    assert "; and 15 more. See [open trials]" in opening
    first = next(line for line in box.splitlines() if "and 2 more on the [outcome page]" in line)
    assert first.count("<br>") == 5
    assert first.count("badge--grade") == 5
    assert "; and 3 more, each on the page of the study it rates |" in first
    news = page("whats-new.md", "whats-new.md.j2")
    assert news.split("## Evidence events")[1].split("\n## ")[0].count("\n- **") == 14
    evidence_map = page("evidence-map.md", "evidence-map.md.j2")
    assert "more on the condition's page" in evidence_map
    cells = [
        c for line in evidence_map.splitlines() if line.startswith("| ") for c in line.split(" | ")
    ]
    assert max(cell.count("](studies/") for cell in cells) == 2


def test_an_outcome_page_splits_results_in_words_and_is_rendered_again_when_sections_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How long a section may be depends on the number of records, so it is one of an
    outcome page's inputs: an incremental run renders the page again when it changes."""
    from dataclasses import replace

    from generator.render import page_inputs, render_one
    from tests.test_exports import real_site

    site = real_site()
    found = next(f for domains in site.outcomes.values() for f in domains.values() if f.worded)
    found = replace(found, worded=tuple(found.worded) * 12)
    path = PurePosixPath(f"outcomes/{found.condition}/{found.domain}.md")
    records = {s.id: "digest" for s in site.studies}
    before = page_inputs(site, path, "outcome-domain.md.j2", {"found": found}, records)
    _as_if_large(monkeypatch, 1_000)  # 10 rows a section
    after = page_inputs(site, path, "outcome-domain.md.j2", {"found": found}, records)
    assert before != after
    page = str(render_one(site, path, "outcome-domain.md.j2", {"found": found}))
    words = page.split("## Results reported in words")[1]
    assert words.count("\n### ") >= 2  # (a study's rows stay in one section)


@pytest.mark.parametrize("template", ["condition.md.j2", "cell-type.md.j2"])
def test_a_condition_or_cell_type_page_reads_what_its_inputs_name(
    template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its inputs change with each thing the page reads, and only with those: the digests of
    its studies, of the studies its reviews include and of those the key messages cite, the
    date the site was last checked and the section length; not with another study's digest."""
    from dataclasses import replace

    from generator.render import page_inputs
    from tests.test_exports import real_site

    site = real_site()
    key = "condition" if template == "condition.md.j2" else "cell_type"
    groups = site.by_condition if key == "condition" else site.by_cell_type
    name, studies = next(
        (n, group)
        for n, group in groups.items()
        if any(s.pooled and s.pooled.includes for s in group)
    )
    context = {key: name, "studies": studies}
    path = PurePosixPath(f"{key}s/{name}.md")
    records = {s.id: "digest" for s in site.studies}
    before = page_inputs(site, path, template, context, records)
    assert before is not None

    def changed(ident: str) -> bool:
        return page_inputs(site, path, template, context, {**records, ident: "new"}) != before

    included = next(
        inc.record for s in studies if s.pooled for inc in s.pooled.includes if inc.record
    )
    cites = {i for m in site.key_messages.values() for s in m.sentences for i in s.cites}
    includes = {i.record for s in studies if s.pooled for i in s.pooled.includes}
    outside = next(s.id for s in site.studies if s not in studies and s.id not in cites | includes)
    assert changed(studies[0].id)
    assert changed(included)
    assert changed(sorted(cites)[0])
    assert not changed(outside)
    later = replace(site, last_updated="2999-01-01")
    assert page_inputs(later, path, template, context, records) != before
    _as_if_large(monkeypatch, 1_000)
    assert page_inputs(site, path, template, context, records) != before
