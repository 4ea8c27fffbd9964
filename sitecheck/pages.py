"""Read the built site's pages once: element ids, links, loaded resources and inline CSS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

# Attributes through which an element makes the browser fetch something when the page loads.
_LOADS: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
# <link rel=...> values that fetch their href (canonical, next, prev and alternate do not).
_LOADING_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "prerender",
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)


def css_urls(css: str) -> list[str]:
    """Addresses a stylesheet loads: url(...) values and @import strings."""
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]


@dataclass
class Page:
    """What one HTML page holds that the checks need."""

    path: PurePosixPath  # relative to the site folder, e.g. studies/x/index.html
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # <a>/<area> href values
    loads: list[tuple[str, str]] = field(default_factory=list)  # (where, address) fetched


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("id"):
            self.page.ids.add(values["id"])
        if tag == "a" and values.get("name"):  # an older way to name an anchor
            self.page.ids.add(values["name"])
        if tag in ("a", "area") and "href" in values:
            self.page.links.append(values["href"])
        for name in _LOADS.get(tag, ()):
            if values.get(name):
                for address in _addresses(name, values[name]):
                    self.page.loads.append((f"<{tag} {name}>", address))
        rels = set(values.get("rel", "").lower().split())
        if tag == "link" and rels & _LOADING_RELS and values.get("href"):
            self.page.loads.append((f"<link rel={values['rel']}>", values["href"]))
        if "style" in values:
            self.page.loads += [(f"<{tag} style>", url) for url in css_urls(values["style"])]
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.page.loads += [("<style>", url) for url in css_urls(data)]


def _addresses(attribute: str, value: str) -> list[str]:
    if attribute != "srcset":
        return [value.strip()]
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def read_pages(site: Path) -> list[Page]:
    """Every HTML page of the site, in path order."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        page = Page(PurePosixPath(path.relative_to(site).as_posix()))
        reader = _Reader(page)
        reader.feed(path.read_text(encoding="utf-8"))
        reader.close()
        pages.append(page)
    return pages
