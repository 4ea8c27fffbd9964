"""Fixtures for tests of the built site as a reader gets it: served from localhost, in Chromium.

These need `make site` first, the tools of requirements-check.txt and Debian's Chromium
(`apt-get install chromium`); `make browser-test` runs them, `make test` does not. The browser
is never downloaded: Playwright launches /usr/bin/chromium (or $CHROMIUM).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    ViewportSize,
    sync_playwright,
)

from sitecheck.serve import serve
from tests.conftest import ROOT

SITE = ROOT / "site"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Flags that keep Chromium from reaching out to Google's services at start (no network here).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The built site, served from 127.0.0.1 on a free port."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make site` first")
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Reader:
    """A browser tab on the site, with what went wrong while it was used."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    off_site_requests: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.ok, f"{path}: HTTP {response.status}"


@contextmanager
def open_tab(browser: Browser, base_url: str, viewport: ViewportSize) -> Iterator[Reader]:
    """A fresh browser context and tab; on leaving, nothing may have come from other hosts."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    reader = Reader(page, base_url)
    host = urlsplit(base_url).netloc

    def guard(route: Route, request: Request) -> None:
        # The site must work offline: a request to any other host fails the test (and is
        # never sent).
        if urlsplit(request.url).netloc in (host, "") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            reader.off_site_requests.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            reader.console_errors.append(message.text)

    context.route("**/*", guard)
    page.on("console", console)
    page.on("pageerror", lambda error: reader.console_errors.append(str(error)))
    try:
        yield reader
    finally:
        context.close()
    assert reader.off_site_requests == [], "the site loaded something from another host"


@pytest.fixture
def desktop(browser: Browser, base_url: str) -> Iterator[Reader]:
    with open_tab(browser, base_url, DESKTOP) as reader:
        yield reader


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Reader]:
    with open_tab(browser, base_url, PHONE) as reader:
        yield reader
