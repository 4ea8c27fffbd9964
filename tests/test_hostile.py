"""Hostile input: every case in tests/hostile/ is refused exactly or renders as inert text.

The corpus is one file per case. `refused/*.yaml` carry their expected messages in `# expect:`
lines (LINE:COL: field: message; the path `studies/<file>` is implied); each is dropped into a
project with a built site and must make `build` (and `check`) exit 1 with exactly those lines,
within a time limit, changing no file anywhere. `inert/*.yaml` are valid records carrying
hostile text in the fields named by `# shows:`; they are built together, once, with
`mkdocs build --strict`, and every one must show its text, escaped in the Markdown and visible
in the HTML, without adding any element, attribute, link or class the site does not already
have. Cases too big or too binary to commit are generated here (GENERATED).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.entities import codepoint2name
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.cache import RECORD_CACHE, STATE_FILE
from generator.load import MAX_BYTES, RawRecord, load_file
from generator.write import OWNED_DIRS, OWNED_FILES
from tests.conftest import DATA, ROOT, copy_project, run_generator

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parent / "hostile"
CASE_TIMEOUT = 30
"""Seconds a refused case may take; the slowest takes well under one (an alias bomb, once
expanded, would take minutes)."""
BUILD_TIMEOUT = 300
SITE_URL = (
    re.findall(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE) or [""]
)[0]
"""Canonical links of generated pages start with it ("" while the address is unset)."""

BASE_RECORD = """\
id: {name}
short_name: Hostile test record
title: A made-up record for the hostile-input suite
evidence_kind: uncontrolled-trial
status: completed
conditions: [cerebral-palsy]
summary: Test data, not a real study.
references:
  - {{id: paper, type: article, title: A made-up paper, year: 2020}}
last_reviewed: "2026-01-01"
"""


@dataclass(frozen=True)
class Case:
    """One corpus case: how to write it into a studies folder, and what must happen."""

    file_name: str
    write: Callable[[Path], None] = field(repr=False)
    expect: tuple[str, ...] = ()
    shows: tuple[str, ...] = ()


def _header(data: bytes, key: str) -> tuple[str, ...]:
    """Values of `# key: value` lines in the comment block at the top of a corpus file."""
    values = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        if not line.startswith(b"#"):
            break
        text = line.decode("utf-8")
        if text.startswith(f"# {key}: "):
            values.append(text.split(": ", 1)[1])
    return tuple(values)


def _from_file(path: Path) -> Case:
    data = path.read_bytes()
    shows = tuple(f for line in _header(data, "shows") for f in line.split(", "))
    return Case(path.name, lambda target: target.write_bytes(data), _header(data, "expect"), shows)


def _write_huge(target: Path) -> None:
    """20 MiB of otherwise valid YAML, written in chunks (never held in memory at once)."""
    size = 20 * 1024 * 1024
    head = BASE_RECORD.format(name=target.stem).encode() + b"padding: '"
    with target.open("wb") as out:
        out.write(head)
        remaining = size - len(head) - 2
        chunk = b"x" * (1024 * 1024)
        while remaining > 0:
            out.write(chunk[:remaining])
            remaining -= len(chunk)
        out.write(b"'\n")


GENERATED = [
    # Decision: refused before reading; a record is a few kilobytes.
    Case(
        "huge-file-20mb.yaml",
        _write_huge,
        (f"1:1: (record): file is {20 * 1024 * 1024} bytes; the limit is {MAX_BYTES}",),
    ),
    # Decision: refused; records are UTF-8 (a UTF-8 byte-order mark is accepted, see inert/).
    Case(
        "utf16-with-bom.yaml",
        lambda t: t.write_bytes(BASE_RECORD.format(name=t.stem).encode("utf-16")),
        ("1:1: (record): file is not valid UTF-8 text",),
    ),
    # Decision: refused by name, so a record is never silently ignored.
    Case(
        "yml-extension.yml",
        lambda t: t.write_text(BASE_RECORD.format(name=t.stem)),
        ("1:1: (record): study files must end in .yaml",),
    ),
]

REFUSED = [_from_file(p) for p in sorted((CORPUS / "refused").glob("*.yaml"))] + GENERATED
INERT = [_from_file(p) for p in sorted((CORPUS / "inert").glob("*.yaml"))]


def test_corpus_is_complete() -> None:
    """Every case states its outcome; the issue asks for at least 30 cases."""
    assert len(REFUSED) + len(INERT) >= 30
    for case in REFUSED:
        assert case.expect, case.file_name
        assert not case.shows, case.file_name
    for case in INERT:
        assert case.shows, case.file_name
        assert not case.expect, case.file_name
        assert set(case.shows) <= set(FIELD_BLOCK), case.file_name
    names = [Path(c.file_name).stem for c in REFUSED + INERT]
    assert len(names) == len(set(names))
    assert {c.file_name for c in REFUSED} >= IN_A_PROCESS


# --- running the generator ------------------------------------------------------------------


class TooSlow(Exception):
    """Raised in the test process when an in-process run passes its time limit."""


def run_in_process(
    command: str, project: Path, workdir: Path, timeout: int
) -> subprocess.CompletedProcess[str]:
    """Run the generator through `main(argv)` from an empty working folder, bounded in time
    (SIGALRM interrupts a run past its limit, and the test fails)."""

    def too_slow(signum: int, frame: object) -> None:
        raise TooSlow(f"{command} took more than {timeout} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(timeout)
    try:
        return run_generator(command, cwd=project, workdir=workdir)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(
    command: str, project: Path, workdir: Path, timeout: int
) -> subprocess.CompletedProcess[str]:
    """Run the generator in a subprocess from an empty working folder, bounded in time."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(project), command],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=timeout,
        check=False,
    )


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under folder (symlinks by their target)."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


REPO_SKIP = (".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
             "node_modules", "test-artifacts")  # fmt: skip


@pytest.fixture(scope="module")
def repository() -> Iterator[None]:
    """The repository itself must be unchanged by the hostile runs (they build elsewhere)."""
    before = snapshot(ROOT, REPO_SKIP)
    yield
    assert snapshot(ROOT, REPO_SKIP) == before


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory, repository: None) -> Path:
    """A project with the fixture records, built once: the 'previous' site every case meets."""
    project = copy_project(
        tmp_path_factory.mktemp("previous"), DATA / "studies", DATA / "glossary.yaml"
    )
    workdir = tmp_path_factory.mktemp("workdir")
    result = run("build", project, workdir, BUILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """An empty working folder for the run, which must stay empty."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    yield folder
    assert list(folder.iterdir()) == []


# --- refused ----------------------------------------------------------------------------------


def as_expected(lines: list[str], expected: list[str]) -> list[str]:
    """Lines with each one that an expectation ending in `...` begins replaced by it.

    Such an expectation gives the location, field and start of the message exactly and leaves
    out a tail that changes with unrelated work (e.g. the list of known field names).
    """
    prefixes = [e.removesuffix("...") for e in expected if e.endswith("...")]
    return [next((p + "..." for p in prefixes if line.startswith(p)), line) for line in lines]


IN_A_PROCESS = {"billion-laughs.yaml", "deep-nesting-flow.yaml", "huge-file-20mb.yaml"}
"""Refused cases run by a real `python -m generator` (exit code, streams, no traceback, a time
limit that kills); the others run in process through `main(argv)`, which is faster."""


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.file_name)
def test_refused_case_fails_with_its_messages_and_changes_nothing(
    case: Case, built_project: Path, workdir: Path
) -> None:
    before = snapshot(built_project)
    target = built_project / "studies" / case.file_name
    case.write(target)
    runner = run if case.file_name in IN_A_PROCESS else run_in_process
    try:
        result = runner("build", built_project, workdir, CASE_TIMEOUT)
    finally:
        target.unlink()
    expected = [f"studies/{case.file_name}:{line}" for line in case.expect]
    lines = as_expected(result.stderr.splitlines(), expected)
    assert lines == [*expected, f"{len(expected)} problem(s) found"]
    assert result.returncode == 1
    assert result.stdout == ""
    # The previous site/, content/ and includes/ are intact; no staging folder is left.
    assert snapshot(built_project) == before


def test_check_reports_all_refused_cases_in_one_run(
    tmp_path: Path, workdir: Path, repository: None
) -> None:
    """One bad file never hides another: `check` lists every expected line at once."""
    project = tmp_path / "all"
    project.mkdir()
    copy_project(project, DATA / "studies", DATA / "glossary.yaml")
    expected = []
    for case in REFUSED:
        case.write(project / "studies" / case.file_name)
        expected += [f"studies/{case.file_name}:{line}" for line in case.expect]
    result = run("check", project, workdir, CASE_TIMEOUT * 2)
    lines = as_expected(result.stderr.splitlines(), expected)
    count = lines.index(f"{len(expected)} problem(s) found")
    assert sorted(lines[:count]) == sorted(expected)
    # After the problems, only curation warnings (the cases share a made-up title) may follow.
    assert all(": warning: " in line for line in lines[count + 1 : -1])
    assert lines[-1].endswith("warning(s) (these do not fail the check)")
    assert result.returncode == 1


# --- inert ------------------------------------------------------------------------------------


BLOCKS = ("h1", "h2", "h3", "p", "li", "td", "th")
FIELD_BLOCK = {
    "short_name": "h1",
    "title": "p",
    "summary": "p",
    "trial.note": "p",
    "design.description": "p",
    "population.description": "p",
    "arms[0].label": "p",
    "arms[0].description": "li",
    "interventions[0].hla_match": "li",
    "interventions[0].interval": "li",
    "outcomes[0].subscale": "h3",
    "group_values[0].note": "td",
    "effects[0].statement": "td",
    "effects[0].note": "td",
    "effects[0].analysis.covariates": "td",
    "effects[1].subgroup.label": "td",
    "effects[1].subgroup.definition": "td",
    **{f"pooled.includes[{i}].citation": "li" for i in range(5)},
    "design.periods[0].label": "li",
    "population.eligible_age": "li",
    "outcomes[0].mid.unit": "p",
    "outcomes[0].mid.note": "p",
    "group_values[0].time_point": "td",
    "group_values[0].subgroup.label": "td",
    "group_values[0].statement": "td",
    "group_values[0].locator": "td",
    "group_values[0].formula": "td",
    "effects[0].time_point": "td",
    "effects[0].locator": "td",
    "safety.events[0].note": "td",
    "safety.events[0].locator": "td",
    "safety.events[0].time_point": "td",
    "references[0].title": "li",
    "references[0].note": "li",
    "sponsor": "li",
    "collaborators[0]": "li",
}
"""The element whose text shows each field of the inert records on a study page."""


class Page(HTMLParser):
    """Elements, attributes, tables and visible text of one HTML page (or fragment)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: dict[str, str] = {}
        self.tables: list[list[int]] = []  # cells per row, for each table
        self.blocks: list[tuple[str, str]] = []  # (tag, visible text) of the article's blocks
        self._open: list[tuple[str, list[str]]] = []
        self._article = 0
        self._title: list[str] = []
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if "id" in values:
            self.ids.setdefault(values["id"], tag)
        if tag == "article":
            self._article += 1
        elif tag in BLOCKS and self._article:
            self._open.append((tag, []))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += 1
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, text = self._open.pop()
            self.blocks.append((tag, " ".join("".join(text).split())))
        if tag == "article":
            self._article -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        for _, text in self._open:
            text.append(data)
        if self._in_title:
            self._title.append(data)

    @property
    def title(self) -> str:
        return "".join(self._title)


@dataclass
class Shapes:
    """What a site's HTML is made of: element kinds, link targets, classes and tooltips."""

    elements: set[tuple[str, frozenset[str]]] = field(default_factory=set)
    absolute_urls: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    tooltips: set[str] = field(default_factory=set)

    def add(self, page: Page) -> None:
        for tag, attrs in page.elements:
            self.elements.add((tag, frozenset(attrs)))
            for name in ("href", "src", "action", "formaction", "data", "srcset", "poster"):
                value = attrs.get(name, "").strip()
                if name != "href":
                    self.sources.add(value)
                elif ":" in value.split("/")[0] and not (SITE_URL and value.startswith(SITE_URL)):
                    self.absolute_urls.add(value)  # has a scheme and leads off the site
            self.classes.update(attrs.get("class", "").split())
            if tag == "abbr":
                self.tooltips.add(attrs.get("title", ""))


def shapes_of(site: Path) -> Shapes:
    shapes = Shapes()
    for page in sorted(site.rglob("*.html")):
        shapes.add(Page(page.read_text(encoding="utf-8")))
    for doc in json.loads((site / "search" / "search_index.json").read_text())["docs"]:
        shapes.add(Page(doc["title"]))
        shapes.add(Page(doc["text"]))
    return shapes


@dataclass(frozen=True)
class InertBuild:
    project: Path
    site: Path
    control: Shapes


# What a build may write: the site, the generator's own pages, the abbreviation list, the
# no-change state and the parsed-record cache (generator/cache.py).
OUTPUT_DIRS = (
    "site/",
    f"{RECORD_CACHE.as_posix()}/",
    *(f"content/{name}/" for name in OWNED_DIRS),
)
OUTPUT_FILES = (
    "includes/abbreviations.md",
    STATE_FILE,
    *(f"content/{name}" for name in OWNED_FILES),
)


@pytest.fixture(scope="module")
def inert_build(
    tmp_path_factory: pytest.TempPathFactory, built_project: Path, repository: None
) -> InertBuild:
    """Every inert case as a record of one project (beside the fixture records), built once."""
    project = copy_project(
        tmp_path_factory.mktemp("inert"), DATA / "studies", DATA / "glossary.yaml"
    )
    for case in INERT:
        case.write(project / "studies" / case.file_name)
    before = snapshot(project)
    workdir = tmp_path_factory.mktemp("workdir")
    result = run("build", project, workdir, BUILD_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr
    assert list(workdir.iterdir()) == []
    after = snapshot(project)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    outside = [p for p in changed if not p.startswith(OUTPUT_DIRS) and p not in OUTPUT_FILES]
    assert outside == [], "files written outside the output folders"
    assert any(p.startswith("site/") for p in changed)
    # The fixture-only build is the control: the same theme, templates and glossary.
    return InertBuild(project, project / "site", shapes_of(built_project / "site"))


def _lookup(data: Any, where: str) -> str:
    """The value at a field path such as `effects[0].analysis.covariates`."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", where):
        data = data[name] if name else data[int(index)]
    assert isinstance(data, str)
    return data


_MUST_ESCAPE = set("<>&\\`*_{}[]|~^$")


def escaped(value: str) -> re.Pattern[str]:
    """The value as it must appear in Markdown: every character that Markdown, its extensions
    or HTML act on written as a character reference, other punctuation optionally so."""
    parts = []
    for word in value.split():
        for char in word:
            refs = [f"&#{ord(char)};", f"&#x{ord(char):x};"]
            if ord(char) in codepoint2name:
                refs.append(f"&{codepoint2name[ord(char)]};")
            alternatives = "|".join(map(re.escape, refs))
            if char in _MUST_ESCAPE:
                parts.append(f"(?:{alternatives})")
            elif not char.isalnum() and char.isascii():
                parts.append(f"(?:{re.escape(char)}|{alternatives})")
            else:
                parts.append(re.escape(char))
        parts.append(r"\s+")
    return re.compile("".join(parts[:-1]))


@pytest.mark.parametrize("case", INERT, ids=lambda c: c.file_name)
def test_inert_case_shows_its_text_and_adds_no_markup(case: Case, inert_build: InertBuild) -> None:
    name = Path(case.file_name).stem
    loaded = load_file(CORPUS / "inert" / case.file_name)
    assert isinstance(loaded, RawRecord), loaded
    markdown = (inert_build.project / "content" / "studies" / f"{name}.md").read_text()
    page = Page((inert_build.site / "studies" / name / "index.html").read_text())
    for where in case.shows:
        value = _lookup(loaded.data, where)
        assert escaped(value).search(markdown), f"{where} is not escaped in the Markdown"
        # Shown whole, each paragraph inside one element of the kind that holds this field.
        for paragraph in re.split(r"\n\s*\n", value.strip()):
            shown = " ".join(paragraph.split())
            holders = [text for tag, text in page.blocks if tag == FIELD_BLOCK[where]]
            assert any(shown in text for text in holders), f"{where} is not shown whole"
    # Page titles hold no markup characters at all (themes print them in several contexts).
    assert not set(page.title) & set("<>&")
    # Citation markers link to the reference list, whatever the study is called.
    assert page.ids.get("references") == "h2"


def test_inert_site_has_nothing_the_control_site_lacks(inert_build: InertBuild) -> None:
    """No element, attribute, link, source, class or tooltip comes from record text.

    Every (element, attribute names) pair, absolute link, resource address, class and
    abbreviation tooltip of the hostile site must also occur in the control site (the fixture
    records alone, same theme and templates); record text could only add new ones.
    """
    hostile = shapes_of(inert_build.site)
    control = inert_build.control
    assert hostile.elements - control.elements == set()
    assert hostile.absolute_urls - control.absolute_urls == set()
    assert hostile.sources - control.sources == set()
    assert hostile.classes - control.classes == set()
    assert hostile.tooltips - control.tooltips == set()


def test_inert_site_tables_keep_their_shape(inert_build: InertBuild) -> None:
    """`|` and newlines in record text never add or remove a table cell."""
    checked = 0
    for path in inert_build.site.rglob("*.html"):
        for rows in Page(path.read_text()).tables:
            assert len(set(rows)) == 1, (path, rows)
            checked += 1
    assert checked > len(INERT)


def test_inert_site_carries_no_event_handler_or_script_url(inert_build: InertBuild) -> None:
    """A direct check on the built files, independent of the control site."""
    for path in inert_build.site.rglob("*.html"):
        for tag, attrs in Page(path.read_text()).elements:
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            for value in attrs.values():
                compact = re.sub(r"\s", "", html.unescape(value)).lower()
                assert not compact.startswith(("javascript:", "data:", "vbscript:")), (path, tag)
                assert "evil.example" not in compact, (path, tag, attrs)
