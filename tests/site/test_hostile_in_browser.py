"""The hostile-input corpus as a reader meets it: every inert record opened in Chromium.

tests/test_hostile.py proves on the files that no markup comes from record text; here the same
records, built into one site, are opened and searched in a real browser: no script may run (no
alert dialog, no page error), nothing may load from another host (the tab's guard), and search
results show the hostile text as text. Record text also reaches pages other than the study
pages (arm names, subscales and result notes in the main-result column of the lists; study and
group names in forest plots), so those pages are opened too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog

from sitecheck.serve import serve
from tests.conftest import DATA, copy_project
from tests.site.conftest import DESKTOP, Reader, open_tab
from tests.test_hostile import BUILD_TIMEOUT, INERT, run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The inert cases and the fixture records, built once and served; yields the base URL."""
    project = copy_project(
        tmp_path_factory.mktemp("hostile"), DATA / "studies", DATA / "glossary.yaml"
    )
    for case in INERT:
        case.write(project / "studies" / case.file_name)
    result = run("build", project, tmp_path_factory.mktemp("cwd"), BUILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    with serve(project / "site") as url:
        yield url


@pytest.fixture
def reader(browser: Browser, hostile_site: str) -> Iterator[tuple[Reader, list[str]]]:
    with open_tab(browser, hostile_site, DESKTOP) as tab:
        dialogs: list[str] = []

        def record(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        tab.page.on("dialog", record)
        yield tab, dialogs


def test_no_hostile_record_runs_script_or_loads_from_other_hosts(
    reader: tuple[Reader, list[str]],
) -> None:
    tab, dialogs = reader
    for case in INERT:
        tab.open(f"studies/{Path(case.file_name).stem}/")
        tab.page.wait_for_load_state("networkidle")
        title = tab.page.title()
        assert "<" not in title, case.file_name
        injected = tab.page.locator(
            "article script:not([type='application/ld+json']), article img, article iframe,"
            " article svg, article object, article embed, article style"
        )
        assert injected.count() == 0, case.file_name
        # The page's JSON-LD holds record text too: it must still be one whole JSON document.
        data = tab.page.locator("article script[type='application/ld+json']")
        assert data.count() == 1, case.file_name
        assert isinstance(data.evaluate("s => JSON.parse(s.textContent)"), dict)
    assert dialogs == []
    assert tab.console_errors == []


def test_search_results_show_hostile_text_as_text(reader: tuple[Reader, list[str]]) -> None:
    tab, dialogs = reader
    tab.open("")
    box = tab.page.locator("input.md-search__input")
    box.click()
    tab.page.locator(".md-search-result__meta", has_text="Type to start searching").wait_for()
    box.press_sequentially("hostile")
    results = tab.page.locator(".md-search-result")
    results.locator(".md-search-result__item").first.wait_for()
    shown = results.inner_text()
    assert '<script>alert("hostile")</script>' in shown
    for tag in ("script", "img", "iframe", "style", "svg"):
        assert results.locator(tag).count() == 0, tag
    assert dialogs == []
    assert tab.console_errors == []


LISTING_PAGES = (
    "studies/",
    "conditions/cerebral-palsy/",
    "cell-types/umbilical-cord-blood/",
    "outcomes/cerebral-palsy/gross-motor/",
    "evidence-map/",
    "whats-new/",
)
"""Pages that show text from many records: names, main results, forest plots."""
FOREST_PARTS = {"svg", "title", "desc", "g", "text", "line", "rect"}
"""The elements a forest plot is drawn with (generator/forest.py)."""


def test_pages_listing_hostile_records_run_no_script(reader: tuple[Reader, list[str]]) -> None:
    tab, dialogs = reader
    for path in LISTING_PAGES:
        tab.open(path)
        tab.page.wait_for_load_state("networkidle")
        assert "<" not in tab.page.title(), path
        injected = tab.page.locator(
            "article script, article img, article iframe, article object, article embed,"
            " article style, article svg:not(.forest)"
        )
        assert injected.count() == 0, path
        parts = tab.page.locator("article svg.forest, article svg.forest *").evaluate_all(
            "nodes => nodes.map(n => n.localName)"
        )
        assert set(parts) <= FOREST_PARTS, path
        # The hostile text is there, as text.
        assert '<script>alert("hostile")</script>' in tab.page.locator("article").inner_text()
    # The plot of the records' total scores names them (shortened) and describes them whole.
    tab.open("outcomes/cerebral-palsy/gross-motor/")
    described = tab.page.locator("article svg.forest desc").all_text_contents()
    assert any('<script>alert("hostile")</script>' in d for d in described)
    assert dialogs == []
    assert tab.console_errors == []
