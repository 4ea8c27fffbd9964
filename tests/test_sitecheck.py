"""The built-site checks' own logic: anchors, other hosts, and exact theme exceptions.

The tools they drive (linkchecker, the Nu HTML Checker) are exercised on a broken copy of the
real site in tests/site/test_sitecheck_tools.py (`make browser-test`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitecheck import exceptions
from sitecheck.exceptions import Finding, ThemeException, sort_findings
from sitecheck.hosts import is_off_site, off_site_loads
from sitecheck.links import check_anchors
from sitecheck.pages import read_pages


def make_site(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    return root


def test_anchors_resolve_on_the_same_page_and_on_other_pages(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "index.html": '<h1 id="top">x</h1><a href="#top">ok</a><a href="#gone">bad</a>'
            '<a href="studies/a/#results">ok</a><a href="studies/a/#nothing">bad</a>'
            '<a href="studies/b/#x">no page</a><a href="https://example.org/#x">other site</a>'
            '<a href="studies/a/">no anchor</a>',
            "studies/a/index.html": '<h2 id="results">R</h2><a name="old">x</a>'
            '<a href="../../#top">ok</a><a href="#old">ok</a>',
        },
    )
    checked, problems = check_anchors(read_pages(site))
    assert checked == 7
    assert problems == [
        "index.html: #gone: no id 'gone'",
        "index.html: studies/a/#nothing: no id 'nothing'",
        "index.html: studies/b/#x: no page studies/b/index.html",
    ]


@pytest.mark.parametrize(
    ("address", "off_site"),
    [
        ("assets/x.js", False),
        ("/assets/x.js", False),
        ("../x.css", False),
        ("data:image/svg+xml;base64,AAAA", False),
        ("blob:http://127.0.0.1/x", False),
        ("https://fonts.googleapis.com/css", True),
        ("http://example.org/x.png", True),
        ("//cdn.example.org/x.js", True),
        ("HTTPS://EXAMPLE.ORG/", True),
    ],
)
def test_off_site_addresses(address: str, off_site: bool) -> None:
    assert is_off_site(address) is off_site


def test_every_way_of_loading_from_another_host_is_found(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "index.html": """
<link rel="stylesheet" href="https://cdn.example.org/a.css">
<link rel="canonical" href="https://evidence-site.example.org/">
<link rel="icon" href="assets/favicon.png">
<script src="//cdn.example.org/b.js"></script>
<img srcset="x.png 1x, https://img.example.org/c.png 2x">
<iframe src="https://frame.example.org/"></iframe>
<div style="background: url('https://img.example.org/d.png')"></div>
<style>@import "https://fonts.example.org/e.css";</style>
<a href="https://example.org/">a link is not a load</a>
""",
            "assets/own.css": "a { background: url(https://img.example.org/f.png) }\n"
            "b { background: url(data:image/png;base64,AAAA) }",
        },
    )
    assert off_site_loads(site, read_pages(site)) == [
        "index.html: <link rel=stylesheet>: https://cdn.example.org/a.css",
        "index.html: <script src>: //cdn.example.org/b.js",
        "index.html: <img srcset>: https://img.example.org/c.png",
        "index.html: <iframe src>: https://frame.example.org/",
        "index.html: <div style>: https://img.example.org/d.png",
        "index.html: <style>: https://fonts.example.org/e.css",
        "assets/own.css: url(): https://img.example.org/f.png",
    ]


LABEL = '<label class="md-nav__title" for="__toc">'


def test_theme_exceptions_match_exactly_and_report_stale_entries() -> None:
    listed = [
        ThemeException("nu", "bad label", LABEL, ("studies/*/index.html",), "theme"),
        ThemeException("nu", "gone", "<x>", ("*",), "fixed upstream"),
    ]
    findings = [
        Finding("studies/a/index.html", "bad label", LABEL),
        Finding("studies/b/index.html", "bad label", LABEL),
        Finding("index.html", "bad label", LABEL),  # a page the entry does not name
        Finding("studies/a/index.html", "bad label", '<label for="__toc">'),  # other markup
        Finding("studies/a/index.html", "other message", LABEL),
    ]
    result = sort_findings(findings, listed)
    assert result.unexpected == findings[2:]
    assert result.excused == {listed[0]: 2, listed[1]: 0}
    assert result.stale == [listed[1]]


def test_the_exception_list_gives_a_reason_for_every_entry() -> None:
    for checker in ("nu", "axe"):
        entries = exceptions.load(checker)
        assert entries, checker
        for entry in entries:
            assert len(entry.reason.split()) >= 10, entry
            assert entry.element.startswith("<"), entry


def test_an_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('[[nu]]\nfinding = "x"\nelement = "<x>"\npages = ["*"]\nreason = " "\n')
    with pytest.raises(ValueError, match="need finding, element, pages, reason"):
        exceptions.load("nu", path)
