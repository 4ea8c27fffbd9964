"""Validate the built pages (and our own stylesheets) with the Nu HTML Checker.

vnu.jar comes from the npm package vnu-jar, pinned in sitecheck/package.json and installed
into sitecheck/node_modules by `make check-site` (`npm ci --ignore-scripts`); it runs on the
machine's Java (17 or newer). Errors and warnings both count; plain information does not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from sitecheck.exceptions import Finding

VNU = Path(__file__).resolve().parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
TIMEOUT = 600


class ToolMissing(Exception):
    """Java or vnu.jar is not installed."""


def nu_findings(site: Path, content: Path) -> tuple[int, list[Finding]]:
    """Check every HTML page, and every stylesheet that we wrote (in `content`), of the site."""
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("java not found: the Nu HTML Checker needs Java 17 or newer")
    if not VNU.is_file():
        raise ToolMissing(f"{VNU} not found: run `make check-site` (it runs npm ci)")
    pages = sorted(site.rglob("*.html"))
    own_css = [
        sheet
        for sheet in sorted(site.rglob("*.css"))
        if (content / sheet.relative_to(site)).is_file()
    ]
    result = subprocess.run(
        [
            java,
            "-jar",
            str(VNU),
            "--also-check-css",
            "--format",
            "json",
            "--stdout",
            "--exit-zero-always",
        ]
        + [str(p) for p in pages + own_css],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise ToolMissing(f"vnu failed (exit {result.returncode}): {result.stderr.strip()}")
    findings = []
    for message in json.loads(result.stdout)["messages"]:
        if message["type"] == "info" and message.get("subType") != "warning":
            continue
        extract = message.get("extract", "")
        start = message.get("hiliteStart", 0)
        element = extract[start : start + message.get("hiliteLength", len(extract))]
        url = message.get("url", "")
        page = Path(url.removeprefix("file:")).resolve()
        shown = (
            page.relative_to(site.resolve()).as_posix()
            if page.is_relative_to(site.resolve())
            else url
        )
        kind = message.get("subType") or message["type"]
        findings.append(Finding(shown, message["message"], element.strip(), kind))
    return len(pages) + len(own_css), findings
