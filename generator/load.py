"""Load stage: read study files into plain data, remembering where every value came from.

YAML is parsed into events by libyaml (PyYAML's C parser where present) and the tree is
built here, not by PyYAML's constructors, so that we can refuse what records never need and
what makes YAML unsafe or surprising: duplicate keys (PyYAML keeps the last one silently),
anchors and aliases ("billion laughs"), explicit tags, oversized or deeply nested files.
Scalars follow the YAML 1.2 core schema without timestamps: only true/false are booleans,
`0123` and dates stay text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from sys import intern as _intern
from typing import Any

import yaml

from generator.errors import Issue, ValidationFailed

MAX_BYTES = 512 * 1024
"""A record is a few kilobytes; anything this big is a mistake or an attack."""
MAX_DEPTH = 20
"""The schema nests five levels deep at most."""

FieldPath = tuple[str | int, ...]

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
"""Control, bidi-override and non-characters: never needed in a record, and able to break
parsers downstream (e.g. YAML front matter) or to disguise text."""
MAX_NUMBER = 1e15
"""Larger numbers are never a count or a dose; huge ones overflow formatting."""
_NUMBERS = (int, float)
_NUMBER_START = frozenset("+-.0123456789")
_ScalarEvent = yaml.ScalarEvent
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|(0|[1-9][0-9]*)(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class RawRecord:
    """One study file as loaded: its data and the source position of every value and key.

    Positions are only needed to report a problem, and a table of them for every value cost
    about 150 KB a record (1.5 GB at 10,000 records). So a record parsed from text keeps the
    text and builds its tables from it, once, when first asked; a valid record never does.
    """

    path: Path
    data: Any
    positions: Mapping[FieldPath, tuple[int, int]] | None = field(default=None, repr=False)
    key_positions: Mapping[FieldPath, tuple[int, int]] | None = field(default=None, repr=False)
    text: str | None = field(default=None, repr=False)
    printed: Mapping[FieldPath, str] = field(default_factory=dict, repr=False)
    """The text of every number whose value alone would lose how it was printed (2.30, .5)."""
    lean: bool = False
    """True when data holds only the fields the rules across records read (a record that
    passed its own rules, see validate.for_cross_rules); load_file(path) gives all of it."""

    @cached_property
    def _tables(self) -> tuple[Mapping[FieldPath, tuple[int, int]], ...]:
        if self.positions is not None:
            return self.positions, self.key_positions or {}
        builder = _TreeBuilder(track_positions=True)
        text = self.text
        if text is None:  # from the record cache: its file is as it was when parsed
            try:  # (unless it changed since this run began)
                text = self.path.read_text(encoding="utf-8").removeprefix("\ufeff")
            except (OSError, UnicodeDecodeError):
                text = None
        if text is not None:
            try:
                _parse(builder, text)  # parsed once already: cannot fail now
            except (yaml.YAMLError, _YamlRefused):  # the file changed meanwhile: no positions
                return {}, {}
        return builder.positions, builder.key_positions

    def locate(self, where: Iterable[str | int], *, key: bool = False) -> tuple[int, int]:
        """Line and column of a field's value (or its key), falling back to its nearest parent."""
        positions, key_positions = self._tables
        parts = tuple(where)
        while True:
            table = key_positions if key else positions
            if parts in table:
                return table[parts]
            if key and parts in positions:
                return positions[parts]
            if not parts:
                return (1, 1)
            parts = parts[:-1]


@dataclass(frozen=True)
class LoadResult:
    """Everything read from a studies folder: the records that parsed, and problems."""

    records: list[RawRecord]
    issues: list[Issue]


class _YamlRefused(Exception):
    def __init__(self, line: int, column: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.field, self.message = line, column, field, message


def load_records(studies_dir: Path) -> LoadResult:
    """Read every `*.yaml` file of a folder, in name order."""
    paths, issues = record_paths(studies_dir)
    records: list[RawRecord] = []
    for path in paths:
        loaded = load_file(path)
        if isinstance(loaded, RawRecord):
            records.append(loaded)
        else:
            issues.append(loaded)
    return LoadResult(records, issues)


def record_paths(studies_dir: Path) -> tuple[list[Path], list[Issue]]:
    """The record files of a folder in name order, and problems with the folder's files."""
    if not studies_dir.is_dir():
        return [], [Issue(studies_dir, 1, 1, "", "records folder not found")]
    issues: list[Issue] = []
    # Hidden files are editor locks and backups (e.g. Emacs's .#x.yaml), not records.
    paths = sorted(p for p in studies_dir.glob("*.yaml") if not p.name.startswith("."))
    if not paths:
        issues.append(Issue(studies_dir, 1, 1, "", "no study records (*.yaml) in this folder"))
    for path in sorted(p for p in studies_dir.glob("*.yml") if not p.name.startswith(".")):
        issues.append(Issue(path, 1, 1, "", "study files must end in .yaml"))
    return paths, issues


def load_file(path: Path) -> RawRecord | Issue:
    """Read one study file; return the record or the first problem that stops parsing."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Issue(path, 1, 1, "", f"file is {size} bytes; the limit is {MAX_BYTES}")
        raw = path.read_bytes()
    except OSError as exc:
        return Issue(path, 1, 1, "", f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Issue(path, line, column, "", "file is not valid UTF-8 text")
    return parse_text(path, text.removeprefix("\ufeff"))


def parse_text(path: Path, text: str) -> RawRecord | Issue:
    """Parse YAML text into a record, or say where and why it is refused."""
    bad = FORBIDDEN_CHARACTERS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        code = f"U+{ord(bad.group()):04X}"
        return Issue(
            path, line, column, "", f"control or invisible character {code} is not allowed"
        )
    builder = _TreeBuilder()
    try:
        _parse(builder, text)
    except _YamlRefused as refused:
        return Issue(path, refused.line, refused.column, refused.field, refused.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        return Issue(path, line, column, "", f"YAML syntax error: {problem}")
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line, column = (1, 1)
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
        return Issue(path, line, column, "", f"YAML error: {str(exc).splitlines()[0]}")
    if not builder.documents:
        return Issue(path, 1, 1, "", "file is empty")
    return RawRecord(path, builder.documents[0], text=text, printed=builder.printed)


def _parse(builder: _TreeBuilder, text: str) -> None:
    parser = _Parser(text)
    try:
        # iter(get_event, None), not yaml.parse(): no Python generator step per event.
        builder.consume(iter(parser.get_event, None))
    finally:
        parser.dispose()


def format_field(parts: Iterable[str | int]) -> str:
    """Render a field path the way messages show it: `results[2].ci`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class _Frame:
    __slots__ = ("container", "first_key_at", "key", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: FieldPath) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.first_key_at: dict[str, int] = {}


SHARED_TEXT = 32
"""Field names, and values up to this length (codes, units, dates, short labels), are kept
once for all records (sys.intern): most repeat from record to record, and at 10,000 records
the copies took 200 MB (names) and 130 MB (values)."""


def share_text(data: dict[str, Any] | list[Any]) -> None:
    """Keep each value up to SHARED_TEXT long once for all records, in place: for data read
    from elsewhere than the parser below (the record cache's JSON)."""
    pairs = data.items() if isinstance(data, dict) else enumerate(data)
    for where, value in pairs:
        kind = value.__class__
        if kind is str:
            if len(value) <= SHARED_TEXT:
                data[where] = _intern(value)  # type: ignore[index]
        elif kind is dict or kind is list:
            share_text(value)


class _TreeBuilder:
    """Builds plain data from parser events, refusing unsafe or ambiguous YAML."""

    def __init__(self, *, track_positions: bool = False) -> None:
        self.track = track_positions
        self.documents: list[Any] = []
        self.positions: dict[FieldPath, tuple[int, int]] = {}
        self.key_positions: dict[FieldPath, tuple[int, int]] = {}
        self.printed: dict[FieldPath, str] = {}
        self._stack: list[_Frame] = []

    def consume(self, events: Iterator[yaml.Event]) -> None:
        stack, track = self._stack, self.track
        positions, key_positions, printed = self.positions, self.key_positions, self.printed
        for event in events:
            # Fast path for the bulk of a record, a value scalar with no tag, no anchor and no
            # escapes (parse_text scanned the raw text; only double quotes can add characters).
            # Profiling put this loop at a third of generate time; everything unusual takes
            # the general path below, which checks and refuses.
            if (
                event.__class__ is _ScalarEvent
                and stack
                and event.tag is None
                and event.anchor is None
                and event.style != '"'
            ):
                top = stack[-1]
                container = top.container
                if isinstance(container, dict):
                    key = top.key
                    if key is None:
                        name = _intern(event.value)
                        first_key_at = top.first_key_at
                        if name in first_key_at or _resolve(event).__class__ is not str:
                            self._key(top, event)  # refuses
                        mark = _mark(event)
                        first_key_at[name] = mark[0]
                        top.key = name
                        if track:
                            key_positions[(*top.path, name)] = mark
                        continue
                    value = _resolve(event)
                    if value.__class__ in _NUMBERS and not abs(value) < MAX_NUMBER:
                        self._scalar(event)  # refuses
                    if value.__class__ is float and repr(value) != event.value:
                        printed[(*top.path, key)] = event.value  # keeps 2.30 as printed
                    elif value.__class__ is str and len(value) <= SHARED_TEXT:
                        value = _intern(value)
                    container[key] = value
                    top.key = None
                    if track:
                        positions[(*top.path, key)] = _mark(event)
                else:
                    value = _resolve(event)
                    if value.__class__ in _NUMBERS and not abs(value) < MAX_NUMBER:
                        self._scalar(event)  # refuses
                    if value.__class__ is float and repr(value) != event.value:
                        printed[(*top.path, len(container))] = event.value
                    elif value.__class__ is str and len(value) <= SHARED_TEXT:
                        value = _intern(value)
                    if track:
                        positions[(*top.path, len(container))] = _mark(event)
                    container.append(value)
                continue
            if isinstance(event, yaml.DocumentStartEvent) and self.documents:
                self._refuse(event, "", "only one YAML document per file is allowed")
            if isinstance(event, yaml.AliasEvent):
                self._refuse(event, self._where(), "YAML aliases (*name) are not allowed")
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                self._refuse(event, self._where(), "YAML anchors (&name) are not allowed")
            if isinstance(event, yaml.ScalarEvent):
                self._scalar(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self._start(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                done = self._stack.pop()
                if not self._stack:
                    self.documents.append(done.container)

    def _where(self) -> str:
        if not self._stack:
            return ""
        top = self._stack[-1]
        if isinstance(top.container, dict):
            return (
                format_field((*top.path, top.key))
                if top.key is not None
                else format_field(top.path)
            )
        return format_field((*top.path, len(top.container)))

    @staticmethod
    def _refuse(event: yaml.Event, where: str, message: str) -> None:
        line, column = _mark(event)
        raise _YamlRefused(line, column, where, message)

    def _check_tag(self, event: yaml.NodeEvent) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            self._refuse(event, self._where(), f"explicit YAML tags ({tag}) are not allowed")

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        self._check_tag(event)
        if len(self._stack) >= MAX_DEPTH:
            self._refuse(event, self._where(), f"nested more than {MAX_DEPTH} levels deep")
        container: dict[str, Any] | list[Any] = (
            {} if isinstance(event, yaml.MappingStartEvent) else []
        )
        path = self._place(container, event)
        self._stack.append(_Frame(container, path))

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        self._check_tag(event)
        bad = FORBIDDEN_CHARACTERS.search(event.value)
        if bad:  # written as an escape such as "\x7f", so the raw-text scan did not see it
            code = f"U+{ord(bad.group()):04X}"
            self._refuse(
                event, self._where(), f"control or invisible character {code} is not allowed"
            )
        top = self._stack[-1] if self._stack else None
        if isinstance(top, _Frame) and isinstance(top.container, dict) and top.key is None:
            self._key(top, event)
            return
        value = _resolve(event)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_number and not abs(value) < MAX_NUMBER:  # `not <` also catches inf and nan
            self._refuse(event, self._where(), f"number {event.value[:20]} is out of range")
        if top is None:
            self.documents.append(value)
            return
        where = self._place(value, event)
        if isinstance(value, float) and repr(value) != event.value:
            self.printed[where] = event.value

    def _key(self, frame: _Frame, event: yaml.ScalarEvent) -> None:
        key = _intern(event.value)
        line, column = _mark(event)
        if not isinstance(_resolve(event), str):
            self._refuse(event, format_field(frame.path), f"key {key!r} must be a name")
        if key in frame.first_key_at:
            self._refuse(
                event,
                format_field((*frame.path, key)),
                f"duplicate key {key!r} (first used on line {frame.first_key_at[key]})",
            )
        frame.first_key_at[key] = line
        frame.key = key
        if self.track:
            self.key_positions[(*frame.path, key)] = (line, column)

    def _place(self, value: Any, event: yaml.NodeEvent) -> FieldPath:
        """Attach a finished value (or a new container) to its parent; return its path."""
        mark = _mark(event)
        if not self._stack:
            if self.track:
                self.positions[()] = mark
            return ()
        top = self._stack[-1]
        if isinstance(top.container, dict):
            if top.key is None:
                self._refuse(event, format_field(top.path), "mapping keys must be plain names")
            assert top.key is not None
            path: FieldPath = (*top.path, top.key)
            top.container[top.key] = value
            top.key = None
        else:
            path = (*top.path, len(top.container))
            top.container.append(value)
        if self.track:
            self.positions[path] = mark
        return path


def _mark(event: yaml.Event) -> tuple[int, int]:
    """1-based line and column where an event starts."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _resolve(event: yaml.ScalarEvent) -> Any:
    """Type a scalar: plain scalars may be null, true/false, int or float; the rest is text."""
    text: str = event.value
    if not event.implicit[0]:
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[0] not in _NUMBER_START:  # text is never empty here: "" is null
        return text
    if _INT.fullmatch(text):
        return int(text) if len(text) <= 20 else float("inf")  # Python refuses huge int strings
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!ENV`/`!!python/name` tags are for MkDocs, not for us."""


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)


_REPOSITORY = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)+/?")
PLACEHOLDER_OWNER = "OWNER"
"""The owner in mkdocs.yml's address until the repository is published: treated as unset."""


def load_repository(config: Path) -> str | Issue | None:
    """The repository's https address (`extra.repository` in mkdocs.yml), without a final '/'.

    None while it is not set, or still holds the OWNER placeholder: the study pages then leave
    out their "Report an error" and "Edit" links. Anything but a plain https address (letters,
    digits and `.-_~` in its host and path) is refused, so the links built from it are safe.
    """
    try:
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # load_site_url reports the unreadable file
    extra = data.get("extra") if isinstance(data, dict) else None
    url = extra.get("repository") if isinstance(extra, dict) else None
    if url is None:
        return None
    if not isinstance(url, str) or not _REPOSITORY.fullmatch(url):
        return Issue(
            config,
            1,
            1,
            "extra.repository",
            "set it to the repository's https address, e.g. "
            "https://github.com/NAME/evidence-site, or leave it out",
        )
    if PLACEHOLDER_OWNER in url.split("/"):
        return None
    return url.rstrip("/")


def load_site_url(config: Path) -> str | Issue:
    """The `site_url` from mkdocs.yml: an http(s) address ending in '/', or "" while unset.

    The feed and the structured data on study pages use it for absolute links, and mkdocs.yml
    is the one place the address is set. Until the site is published it is unset, and the
    pages then carry no address at all rather than a placeholder.
    """
    try:
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Issue(config, line, col, "site_url", f"cannot read the site configuration: {exc}")
    url = data.get("site_url") if isinstance(data, dict) else None
    if url is None:
        return ""
    if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
        return Issue(config, 1, 1, "site_url", "set site_url to the site's http(s) address")
    return url if url.endswith("/") else url + "/"


MAX_SOURCE_BYTES = 64 * 1024 * 1024
"""Downloads to import (registry JSON, citation files): registry records with posted results
run to a few megabytes; this is far beyond any."""


def read_source(path: Path) -> str:
    """The text of a downloaded file to import; ValidationFailed (FILE:LINE:COL) if unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise source_problem(path, f"file is {size} bytes; the limit is {MAX_SOURCE_BYTES}")
        raw = path.read_bytes()
    except OSError as exc:
        raise source_problem(path, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise source_problem(path, "file is not valid UTF-8 text", line) from None


def read_json(path: Path) -> Any:
    """A downloaded JSON file, parsed; ValidationFailed (FILE:LINE:COL) if it cannot be."""
    text = read_source(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise source_problem(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise source_problem(path, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        message = " ".join(str(exc).split())[:100]
        raise source_problem(path, f"not valid JSON: {message}") from None


def source_problem(path: Path, message: str, line: int = 1, column: int = 1) -> ValidationFailed:
    return ValidationFailed([Issue(path, line, column, "", message)])
