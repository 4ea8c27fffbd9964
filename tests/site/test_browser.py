"""The built site in Chromium: what a reader does works, on a desktop and on a phone."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.site.conftest import ARTIFACTS, DESKTOP, PHONE, SITE, Reader

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


def _column(reader: Reader, index: int) -> list[str]:
    """The cells of one column of the page's first table (the studies; reviews follow)."""
    table = reader.page.locator("article table").first
    cells = table.locator(f"tbody tr td:nth-child({index + 1})")
    return [text.strip() for text in cells.all_inner_texts()]


def _counts(cells: list[str]) -> list[int]:
    return [int(cell.split()[0]) for cell in cells if cell[:1].isdigit()]


def test_clicking_a_header_sorts_the_comparison_table(desktop: Reader) -> None:
    desktop.open(CONDITION)
    headers = desktop.page.locator("article table").first.locator("thead th")
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


def test_no_page_scrolls_sideways_on_a_phone(phone: Reader) -> None:
    """At 390 px no page (every study page included) scrolls sideways; wide tables and plots
    scroll inside their own box."""
    pages = _all_pages()
    assert STUDY in pages
    wide = []
    for path in pages:
        phone.open(path)
        width = phone.page.evaluate(
            "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
        )
        if width[0] > width[1]:
            wide.append((path, width))
    assert wide == []
    assert phone.console_errors == []


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
