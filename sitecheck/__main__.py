"""`python -m sitecheck [SITE] [--content CONTENT]`: run every check; exit 1 on any problem."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sitecheck import exceptions
from sitecheck.hosts import off_site_loads
from sitecheck.links import check_anchors, check_links
from sitecheck.nu import ToolMissing, nu_findings
from sitecheck.pages import read_pages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitecheck", description=__doc__)
    parser.add_argument("site", nargs="?", default="site", help="built site (default: site)")
    parser.add_argument("--content", default="content", help="the site's Markdown sources")
    args = parser.parse_args(argv)
    site, content = Path(args.site), Path(args.content)
    if not (site / "index.html").is_file():
        print(f"error: no built site in {site}: run `make site` first", file=sys.stderr)
        return 1
    pages = read_pages(site)
    failed = False

    def report(name: str, summary: str, problems: Sequence[object]) -> None:
        nonlocal failed
        print(f"{name}: {summary}, {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        failed = failed or bool(problems)

    started = time.perf_counter()
    links = check_links(site, pages)
    report("links", f"{links.checked} URLs checked by linkchecker", links.problems)
    anchors, missing = check_anchors(pages)
    report("anchors", f"{anchors} links to anchors checked", sorted(set(missing)))

    try:
        checked, findings = nu_findings(site, content)
    except ToolMissing as exc:
        report("html", "not checked", [exc])
    else:
        listed = exceptions.load("nu")
        result = exceptions.sort_findings(findings, listed)
        excused = sum(result.excused.values())
        summary = (
            f"{checked} files checked by the Nu HTML Checker, {excused} theme finding(s) excused"
        )
        stale = [
            f"listed theme exception no longer occurs: {e.finding}: {e.element}"
            for e in result.stale
        ]
        report("html", summary, [*result.unexpected, *stale])

    off_site = off_site_loads(site, pages)
    report("hosts", f"{len(pages)} pages and their stylesheets checked for other hosts", off_site)
    print(f"site checks {'FAILED' if failed else 'passed'} ({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
