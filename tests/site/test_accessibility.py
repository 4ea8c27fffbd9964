"""Accessibility: axe-core on the main kinds of page, light and dark, desktop and phone.

Serious and critical violations fail, unless sitecheck/theme-exceptions.toml lists them as the
theme's own (exact rule, element markup and pages, with the reason). The full axe results of
every run are saved in test-artifacts/axe/ for review, minor and moderate findings included.
"""

from __future__ import annotations

import json
from itertools import product

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from sitecheck import exceptions
from sitecheck.exceptions import Finding
from tests.site.conftest import ARTIFACTS, DESKTOP, PHONE, SITE, open_tab

pytestmark = pytest.mark.browser

PAGES = {
    "home": "",
    "condition": "conditions/cerebral-palsy/",
    "study": "studies/passion-phase-1/",
    "evidence map": "evidence-map/",
    "outcome comparison": "outcomes/cerebral-palsy/gross-motor/",
    "cell type": "cell-types/umbilical-cord-blood/",
    "harms": "harms/",
    "open trials": "open-trials/",
    "methods": "methods/",
    "not covered": "not-covered/",
}
VIEWS = {
    "desktop-light": (DESKTOP, False),
    "desktop-dark": (DESKTOP, True),
    "phone-light": (PHONE, False),
    "phone-dark": (PHONE, True),
}
FAILING_IMPACTS = ("serious", "critical")


def _site_file(path: str) -> str:
    """The site file a URL path serves: `studies/x/` -> `studies/x/index.html`."""
    return path + "index.html" if path == "" or path.endswith("/") else path


@pytest.fixture(scope="module")
def axe_findings(browser: Browser, base_url: str) -> dict[tuple[str, str], list[Finding]]:
    """Serious and critical axe findings for every page and view, run once for the module."""
    axe = Axe()
    out = ARTIFACTS / "axe"
    out.mkdir(parents=True, exist_ok=True)
    findings = {}
    for (name, path), (view, (viewport, dark)) in product(PAGES.items(), VIEWS.items()):
        with open_tab(browser, base_url, viewport) as reader:
            reader.open(path)
            if dark:
                reader.page.locator('label[title="Switch to dark mode"]').click()
                scheme = reader.page.locator("body").get_attribute("data-md-color-scheme")
                assert scheme == "slate"
            response = axe.run(reader.page).response
        (out / f"{name}-{view}.json").write_text(json.dumps(response, indent=1))
        findings[(name, view)] = [
            Finding(_site_file(path), violation["id"], node["html"], node["impact"])
            for violation in response["violations"]
            for node in violation["nodes"]
            if node["impact"] in FAILING_IMPACTS
        ]
    return findings


@pytest.mark.parametrize(("page", "view"), list(product(PAGES, VIEWS)))
def test_no_serious_accessibility_violations(
    axe_findings: dict[tuple[str, str], list[Finding]], page: str, view: str
) -> None:
    sorted_findings = exceptions.sort_findings(axe_findings[(page, view)], exceptions.load("axe"))
    assert [str(f) for f in sorted_findings.unexpected] == []


def test_listed_theme_exceptions_still_occur(
    axe_findings: dict[tuple[str, str], list[Finding]],
) -> None:
    """An exception the theme no longer needs is removed from the list, not kept 'just in case'."""
    everything = [finding for found in axe_findings.values() for finding in found]
    stale = exceptions.sort_findings(everything, exceptions.load("axe")).stale
    assert [(e.finding, e.element) for e in stale] == []


def test_pages_under_test_exist() -> None:
    for path in PAGES.values():
        assert (SITE / _site_file(path)).is_file(), path
