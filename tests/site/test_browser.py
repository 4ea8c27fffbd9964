"""The built site in Chromium: what a reader does works, on a desktop and on a phone."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, ViewportSize

from tests.site.conftest import ARTIFACTS, DESKTOP, PHONE, SITE, Reader, open_tab

pytestmark = pytest.mark.browser

HOME = ""
CONDITION = "conditions/cerebral-palsy/"
STUDY = "studies/passion-phase-1/"


def test_home_page_loads_without_console_errors(desktop: Reader) -> None:
    desktop.open(HOME)
    desktop.page.wait_for_load_state("networkidle")
    assert desktop.page.title().startswith("Cell therapy evidence")
    assert desktop.page.locator("article h1").count() == 1
    assert desktop.console_errors == []


def search(reader: Reader, query: str) -> list[str]:
    """Type a query into the theme's search box; return the addresses of the results."""
    reader.open(HOME)
    box = reader.page.locator("input.md-search__input")
    box.click()
    # The index loads in a web worker; a query typed before it is ready is dropped.
    meta = reader.page.locator(".md-search-result__meta")
    meta.filter(has_text="Type to start searching").wait_for()
    box.press_sequentially(query)  # real key presses: the theme searches on keyup
    selector = ".md-search-result__item > a.md-search-result__link"
    reader.page.locator(selector).first.wait_for()
    # The list is re-rendered on every key press: read it in one step, and only once it has
    # stopped changing (reading item by item raced a re-render and timed out).
    read = "els => els.map(e => e.getAttribute('href') || '')"
    hrefs: list[str] = reader.page.eval_on_selector_all(selector, read)
    for _ in range(50):
        reader.page.wait_for_timeout(200)
        now: list[str] = reader.page.eval_on_selector_all(selector, read)
        if now == hrefs:
            break
        hrefs = now
    return [urlsplit(urljoin(reader.page.url, href)).path.lstrip("/") for href in hrefs]


@pytest.mark.parametrize(
    ("query", "study"),
    [("NCT03356821", STUDY), ("intranasally", STUDY)],
    ids=["registry id", "word of the title"],
)
def test_search_finds_a_study(desktop: Reader, query: str, study: str) -> None:
    assert study in search(desktop, query)
    assert desktop.console_errors == []


def _studies_table(reader: Reader) -> Locator:
    """The page's first table with an N column: the studies (the summary of findings and
    reviews have none)."""
    tables = reader.page.locator("article table")
    for i in range(tables.count()):
        names = [t.strip() for t in tables.nth(i).locator("thead th").all_inner_texts()]
        if "N" in names:
            return tables.nth(i)
    raise AssertionError("no table with an N column")


def _column(reader: Reader, index: int) -> list[str]:
    """The cells of one column of the studies table, without their phone labels."""
    cells = _studies_table(reader).locator(f"tbody tr td:nth-child({index + 1})")
    return [text.strip() for text in cells.all_inner_texts()]


def _counts(cells: list[str]) -> list[int]:
    return [int(cell.split()[0]) for cell in cells if cell[:1].isdigit()]


def test_clicking_a_header_sorts_the_comparison_table(desktop: Reader) -> None:
    desktop.open(CONDITION)
    headers = _studies_table(desktop).locator("thead th")
    names = [text.strip() for text in headers.all_inner_texts()]
    n, study = names.index("N"), names.index("Study")
    before = _counts(_column(desktop, n))
    assert before != sorted(before), "the table should not start in order of N"
    headers.nth(n).click()
    assert headers.nth(n).get_attribute("aria-sort") == "ascending"
    assert _counts(_column(desktop, n)) == sorted(before), "N sorts as numbers, not as text"
    headers.nth(n).click()
    assert headers.nth(n).get_attribute("aria-sort") == "descending"
    assert _counts(_column(desktop, n)) == sorted(before, reverse=True)
    headers.nth(study).click()
    assert headers.nth(study).get_attribute("aria-sort") == "ascending"
    assert headers.nth(n).get_attribute("aria-sort") is None
    names_shown = _column(desktop, study)
    assert names_shown == sorted(names_shown, key=str.lower)
    assert desktop.console_errors == []


def test_dark_mode_toggle_switches_and_is_remembered(desktop: Reader) -> None:
    desktop.open(HOME)
    body = desktop.page.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    light = body.evaluate("b => getComputedStyle(b).backgroundColor")
    desktop.page.locator('label[title="Switch to dark mode"]').click()
    assert body.get_attribute("data-md-color-scheme") == "slate"
    dark = body.evaluate("b => getComputedStyle(b).backgroundColor")
    assert dark != light
    desktop.open(STUDY)
    assert desktop.page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    desktop.page.locator('label[title="Switch to light mode"]').click()
    assert desktop.page.locator("body").get_attribute("data-md-color-scheme") == "default"
    assert desktop.console_errors == []


def test_glossary_tooltip_appears_on_hover(desktop: Reader) -> None:
    desktop.open("studies/cord-blood-cp-ipd-meta-analysis/")
    term = desktop.page.locator("article abbr", has_text="GMFM-66").first
    term.hover()
    tooltip = desktop.page.locator(".md-tooltip2--active[role=tooltip]")
    tooltip.wait_for()
    assert tooltip.inner_text().strip() == "Gross Motor Function Measure, 66-item version"
    assert term.get_attribute("aria-describedby") == tooltip.get_attribute("id")
    assert desktop.console_errors == []


def _all_pages() -> list[str]:
    return sorted(
        p.relative_to(SITE).as_posix().removesuffix("index.html") for p in SITE.rglob("index.html")
    )


GROUPS_OVERFLOW = """() => {
  const h = document.getElementById('groups-and-treatments');
  if (!h) return null;
  const column = h.closest('article').getBoundingClientRect().right;
  let worst = 0;
  for (let el = h.nextElementSibling; el && el.tagName !== 'H2'; el = el.nextElementSibling) {
    worst = Math.max(worst, el.getBoundingClientRect().right - column,
                     el.scrollWidth - el.clientWidth);
  }
  return worst;
}"""
"""How far the widest block of a study page's "Groups and treatments" section reaches past
the text column or scrolls inside itself, in px (0: it fits; null: no such section)."""


@dataclass(frozen=True)
class Walk:
    """What one pass over every page of the site at one width found."""

    widths: dict[str, tuple[int, int]]
    """page -> (scrollWidth, clientWidth) of the document"""
    groups: dict[str, float | None]
    """study page -> GROUPS_OVERFLOW"""
    console_errors: list[str]


@pytest.fixture(scope="module")
def walks(browser: Browser, base_url: str) -> dict[str, Walk]:
    """Every page opened once at each width, with all that the page-by-page checks below
    measure (opening the pages is most of their time: one pass, not one per check)."""
    pages = _all_pages()
    assert STUDY in pages
    found = {}
    for name, viewport in (("390px", PHONE), ("1280px", DESKTOP)):
        widths, groups = {}, {}
        with open_tab(browser, base_url, viewport) as reader:
            for path in pages:
                reader.open(path)
                widths[path] = tuple(
                    reader.page.evaluate(
                        "[document.scrollingElement.scrollWidth,"
                        " document.scrollingElement.clientWidth]"
                    )
                )
                if viewport is DESKTOP and _is_study_page(path):
                    groups[path] = reader.page.evaluate(GROUPS_OVERFLOW)
        found[name] = Walk(widths, groups, reader.console_errors)
    return found


def _is_study_page(path: str) -> bool:
    return path.startswith("studies/") and path.count("/") == 2


@pytest.mark.parametrize("viewport", ["390px", "1280px"])
def test_no_page_scrolls_sideways(walks: dict[str, Walk], viewport: str) -> None:
    """No page (every study page included) scrolls sideways on a phone or a desktop; on a
    phone, comparison tables are cards, and what is still wide (the forest plot's data table)
    scrolls inside its own box."""
    walk = walks[viewport]
    assert len(walk.widths) == len(_all_pages())
    assert walk.console_errors == []
    assert [(path, w) for path, w in walk.widths.items() if w[0] > w[1]] == []


@pytest.mark.parametrize("path", [HOME, CONDITION, STUDY], ids=["home", "condition", "study"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots(path: str, width: str, desktop: Reader, phone: Reader) -> None:
    """Full-page screenshots for review, saved in test-artifacts/ (kept by CI as artifacts)."""
    reader = desktop if width == "desktop" else phone
    reader.open(path)
    reader.page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    name = (path.strip("/").replace("/", "-") or "home") + f"-{width}.png"
    shot = ARTIFACTS / name
    reader.page.screenshot(path=shot, full_page=True)
    size = reader.page.evaluate("[window.innerWidth, document.scrollingElement.scrollHeight]")
    expected = (DESKTOP if width == "desktop" else PHONE)["width"]
    assert size[0] == expected
    assert shot.stat().st_size > 10_000
    assert reader.console_errors == []


# --- search for people (issue 12) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected", "within"),
    [
        ("HIE", "conditions/hypoxic-ischaemic-encephalopathy/", 3),
        ("side effects", "harms/", 3),
        ("NCT03356821", STUDY, 10),
        ("autism", "not-covered/", 3),
        ("recruiting", "open-trials/", 3),
    ],
    ids=["abbreviation", "lay synonym", "registry id", "out of scope", "open trials"],
)
def test_search_answers_what_people_type(
    desktop: Reader, query: str, expected: str, within: int
) -> None:
    found = search(desktop, query)
    assert expected in found[:within], found[:10]
    assert "record-format/" not in found
    assert desktop.console_errors == []


def test_search_for_cord_blood_puts_an_overview_first(desktop: Reader) -> None:
    found = search(desktop, "cord blood")
    assert found[0].startswith(("cell-types/umbilical-cord-blood/", "conditions/")), found[:5]
    assert "record-format/" not in found


def test_search_snippet_of_a_study_is_its_summary_not_boilerplate(desktop: Reader) -> None:
    search(desktop, "NCT03356821")
    text = desktop.page.locator(".md-search-result__item").first.inner_text()
    assert "Not medical advice" not in text
    assert "Not assessed" not in text


# --- reading on a phone (issue 12) ---------------------------------------------------------

IN_VIEW = """labels => {
  const out = [];
  for (const label of document.querySelectorAll('article td > .cell-label')) {
    if (!labels.includes(label.textContent.trim())) continue;
    const box = label.parentElement.getBoundingClientRect();
    out.push([label.textContent.trim(), Math.round(box.left), Math.round(box.right),
              label.parentElement.innerText.trim().slice(0, 40)]);
  }
  return [out, window.innerWidth];
}"""


def _card_pages() -> list[tuple[str, tuple[str, ...]]]:
    """Pages with a studies (or harms) table, and the cell each row must show in view."""

    def listing(folder: str) -> list[str]:  # pages with a table of studies (not empty ones)
        pages = (SITE / folder).glob("*/index.html")
        return sorted(p.parent.name for p in pages if "cell-label" in p.read_text())

    conditions, cell_types = listing("conditions"), listing("cell-types")
    return (
        [(f"conditions/{c}/", ("Main result", "Status")) for c in conditions]
        + [(f"cell-types/{c}/", ("Main result", "Status")) for c in cell_types]
        + [("studies/", ("Main result", "Status"))]
        + [("harms/", ("Serious adverse events", "Deaths"))]
    )


@pytest.mark.parametrize(("path", "cells"), _card_pages(), ids=lambda v: str(v))
def test_each_studys_main_result_is_in_view_on_a_phone(
    phone: Reader, path: str, cells: tuple[str, ...]
) -> None:
    phone.open(path)
    found, width = phone.page.evaluate(IN_VIEW, list(cells))
    assert found, f"{path}: no {cells} cells (labels renamed?)"
    outside = [cell for cell in found if cell[1] < 0 or cell[2] > width]
    assert outside == []


def test_forest_plots_fit_a_phone_with_readable_text(phone: Reader) -> None:
    pages = sorted(
        p.parent.relative_to(SITE).as_posix() + "/"
        for p in (SITE / "outcomes").glob("*/*/index.html")
        if "forest--narrow" in p.read_text()
    )
    assert pages, "no page has a forest plot"
    for path in pages:
        phone.open(path)
        plots = phone.page.evaluate(
            """() => [...document.querySelectorAll('svg.forest')]
              .filter(svg => svg.getBoundingClientRect().width > 0)
              .map(svg => {
                const box = svg.getBoundingClientRect();
                const scale = box.width / svg.viewBox.baseVal.width;
                const sizes = [...svg.querySelectorAll('text')].map(
                  t => parseFloat(getComputedStyle(t).fontSize) * scale);
                return [box.left, box.right, Math.min(...sizes), svg.classList.value];
              })"""
        )
        assert plots, f"{path}: no forest plot shown at 390 px"
        for left, right, smallest, classes in plots:
            assert "forest--narrow" in classes, path
            assert left >= 0, (path, left)
            assert right <= PHONE["width"], (path, right)
            assert smallest >= 12, (path, smallest)


def test_the_groups_and_treatments_fit_the_column_on_a_desktop(walks: dict[str, Walk]) -> None:
    groups = walks["1280px"].groups
    studies = sorted(p.parent.name for p in (SITE / "studies").glob("*/index.html"))
    assert sorted(path.split("/")[1] for path in groups) == studies
    assert [(path, over) for path, over in groups.items() if over is None or over > 0] == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_main_pages(
    browser: Browser, base_url: str, viewport: ViewportSize, scheme: str
) -> None:
    """Screenshots for review (test-artifacts/screens/); each page must show its heading."""
    out = ARTIFACTS / "screens"
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": HOME,
        "condition": CONDITION,
        "harms": "harms/",
        "open-trials": "open-trials/",
        "evidence-map": "evidence-map/",
        "study": STUDY,
    }
    with open_tab(browser, base_url, viewport) as reader:
        for name, path in pages.items():
            reader.open(path)
            if scheme == "dark" and name == "home":
                reader.page.locator('label[title="Switch to dark mode"]').click()
            assert reader.page.locator("article h1").is_visible()
            reader.page.screenshot(
                path=str(out / f"{name}-{viewport['width']}-{scheme}.png"), full_page=False
            )
        assert reader.console_errors == []
