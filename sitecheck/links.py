"""Every internal link and resource resolves, and every anchor exists on its target page.

linkchecker requests every page, link and resource from the site served on localhost, as a
browser would (so `studies/x/` must serve an index.html); it checks no other host. It does
not check same-page anchors (`#x`; upstream issue wummel/linkchecker#557) and re-downloads a
page for every distinct anchor, so anchors are checked here instead, from the parsed pages.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from sitecheck.pages import Page
from sitecheck.serve import serve

CONFIG = Path(__file__).resolve().parent / "linkcheckerrc"
TIMEOUT = 600


@dataclass(frozen=True)
class LinkReport:
    checked: int
    problems: list[str]


def check_links(site: Path, pages: list[Page]) -> LinkReport:
    """Run linkchecker from every page of the served site; report broken links and warnings."""
    with serve(site) as base:
        # Every page is a starting point, so pages that nothing links to (404.html) are checked.
        starts = [base + _url_path(page.path) for page in pages]
        command = [sys.executable, "-m", "linkcheck", "--config", str(CONFIG), "--no-status"]
        result = subprocess.run(
            [*command, "--verbose", "--output", "csv", *starts],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    rows = list(csv.DictReader((line for line in result.stdout.splitlines() if line[:1] != "#"),
                               delimiter=";"))  # fmt: skip
    if result.returncode not in (0, 1) or not rows:
        return LinkReport(0, [f"linkchecker failed (exit {result.returncode}): {result.stderr}"])
    problems = [
        f"{(row['parentname'] or row['urlname']).removeprefix(base) or '/'}: {row['urlname']}: "
        f"{row['result']} {row['warningstring']}".strip()
        for row in rows
        if row["valid"] != "True" or row["warningstring"]
    ]
    return LinkReport(len(rows), problems)


def check_anchors(pages: list[Page]) -> tuple[int, list[str]]:
    """Each link with a #fragment to a page of the site names an id on that page."""
    ids = {page.path: page.ids for page in pages}
    checked, problems = 0, []
    for page in pages:
        here = "/" + _url_path(page.path)
        for href in page.links:
            url = urlsplit(urljoin(here, href))
            if url.scheme or url.netloc or not url.fragment:
                continue  # another site, or no anchor
            target = PurePosixPath(unquote(url.path).lstrip("/") or ".")
            if not target.suffix:
                target = target / "index.html"
            checked += 1
            if target not in ids:
                problems.append(f"{page.path}: {href}: no page {target}")
            elif unquote(url.fragment) not in ids[target]:
                problems.append(f"{page.path}: {href}: no id {unquote(url.fragment)!r}")
    return checked, problems


def _url_path(path: PurePosixPath) -> str:
    """The address path of a page: `studies/x/index.html` -> `studies/x/`."""
    text = path.as_posix()
    return text.removesuffix("index.html")
