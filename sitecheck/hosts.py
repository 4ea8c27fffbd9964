"""No page or stylesheet makes the browser load anything from another host."""

from __future__ import annotations

from pathlib import Path

from sitecheck.pages import Page, css_urls


def is_off_site(address: str) -> bool:
    """True for an address on another host: any scheme but data:/blob:, or `//host/...`."""
    address = address.strip().lower()
    if address.startswith("//"):
        return True
    scheme, colon, _ = address.partition(":")
    has_scheme = bool(colon) and scheme.isascii() and scheme.replace("+", "").isalnum()
    return has_scheme and scheme not in ("data", "blob")


def off_site_loads(site: Path, pages: list[Page]) -> list[str]:
    """`FILE: <where>: address` for each resource that would come from another host."""
    problems = [
        f"{page.path}: {where}: {address}"
        for page in pages
        for where, address in page.loads
        if is_off_site(address)
    ]
    for sheet in sorted(site.rglob("*.css")):
        rel = sheet.relative_to(site).as_posix()
        for address in css_urls(sheet.read_text(encoding="utf-8")):
            if is_off_site(address):
                problems.append(f"{rel}: url(): {address}")
    return problems
