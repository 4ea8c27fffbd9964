"""The documented exceptions: findings that come from the Material theme, not from our pages.

theme-exceptions.toml lists each with the checker, the exact finding (Nu message or axe rule),
the exact element markup it points at, the pages it may occur on and the reason. A finding is
excused only when all of these match; an entry that matches nothing is reported as stale, so
the list shrinks when the theme is fixed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

FILE = Path(__file__).resolve().parent / "theme-exceptions.toml"


@dataclass(frozen=True)
class Finding:
    """One problem a checker reported: where, what, and the element it points at."""

    page: str  # site-relative path, e.g. studies/x/index.html
    finding: str  # the Nu HTML Checker's message, or the axe rule id
    element: str  # the exact markup of the element
    detail: str = ""  # extra text for the report (impact, help)

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.page}: {self.finding}{extra}: {self.element}"


@dataclass(frozen=True)
class ThemeException:
    checker: str
    finding: str
    element: str
    pages: tuple[str, ...]
    reason: str

    def excuses(self, finding: Finding) -> bool:
        return (
            finding.finding == self.finding
            and finding.element == self.element
            and any(fnmatchcase(finding.page, pattern) for pattern in self.pages)
        )


def load(checker: str, path: Path = FILE) -> list[ThemeException]:
    """The exceptions listed for one checker ("nu" or "axe")."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get(checker, [])
    out = []
    for entry in entries:
        if set(entry) != {"finding", "element", "pages", "reason"} or not entry["reason"].strip():
            raise ValueError(f"{path}: [[{checker}]] entries need finding, element, pages, reason")
        pages = tuple(entry["pages"])
        out.append(
            ThemeException(checker, entry["finding"], entry["element"], pages, entry["reason"])
        )
    return out


@dataclass(frozen=True)
class Sorted:
    unexpected: list[Finding]
    excused: dict[ThemeException, int]  # how many findings each entry excused
    stale: list[ThemeException]


def sort_findings(findings: Iterable[Finding], exceptions: list[ThemeException]) -> Sorted:
    """Split findings into unexpected and excused; list entries that excused nothing."""
    unexpected: list[Finding] = []
    excused = dict.fromkeys(exceptions, 0)
    for finding in findings:
        entry = next((e for e in exceptions if e.excuses(finding)), None)
        if entry is None:
            unexpected.append(finding)
        else:
            excused[entry] += 1
    stale = [entry for entry, count in excused.items() if count == 0]
    return Sorted(unexpected, excused, stale)
