"""Change a few values of a record's YAML text and leave every other byte as it was.

Records are hand-edited files: their comments, key order, quoting, flow or block lists and
line breaks are the editor's. An edit here replaces one value's characters, adds one key to
a mapping or one item to a list, at the positions the YAML parser reports; nothing else of
the text is rewritten. The edited text is then parsed again and must give exactly the data
the edits describe, or the whole edit is refused: a surprise in the text can never turn into
a silent change. Pure: text in, text out.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.draft import emit, emit_item, plain, scalar
from generator.errors import GeneratorError, Issue
from generator.load import FieldPath, format_field, parse_text

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COMMENT = re.compile(r"[ \t]+#[ \t]?(.*)")


class EditRefused(GeneratorError):
    """The text cannot be edited safely (an unexpected shape, or the result would differ)."""


@dataclass(frozen=True)
class _Node:
    kind: str  # "scalar", "mapping" or "sequence"
    start: int
    end: int
    column: int
    flow: bool
    style: str | None = None


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    depth: int = 0
    """Insertions at one place go deepest first: an item for a list closes the list before
    a key of the mapping that holds it."""
    rank: int = 0
    """Then keys added at one place go in their given order."""


class Editor:
    """Edits to one record's text; `result()` applies them and checks the outcome."""

    def __init__(self, path: Path, text: str) -> None:
        loaded = parse_text(path, text)
        if isinstance(loaded, Issue):
            raise EditRefused(loaded.format())
        self.path = path
        self.text = text
        self.expected: Any = copy.deepcopy(loaded.data)
        self._nodes, self._keys = _spans(text)
        self._edits: list[_Edit] = []

    # --- reading ------------------------------------------------------------------------------

    def comment(self, where: FieldPath) -> str | None:
        """The comment on the same line after a scalar value, without its `#`."""
        node = self._node(where, "scalar")
        match = _COMMENT.match(self.text, node.end)
        if match is None or "\n" in match.group(0):
            return None
        return match.group(1).rstrip()

    # --- editing ------------------------------------------------------------------------------

    def set(self, where: FieldPath, value: str | int, *, comment: str | None = None) -> None:
        """Replace an existing scalar. `comment` replaces the comment after it on its line
        ("" removes it); None keeps whatever is there."""
        node = self._node(where, "scalar")
        if node.style in ("|", ">"):
            raise EditRefused(f"{format_field(where)}: a block scalar is not edited in place")
        end = node.end
        if comment is not None:
            match = _COMMENT.match(self.text, end)
            if match is not None and "\n" not in match.group(0):
                end = match.end()
        tail = f"  # {comment}" if comment else ""
        self._edits.append(_Edit(node.start, end, _styled(value, node.style) + tail))
        _put(self.expected, where, value)

    def add(self, parent: FieldPath, key: str, value: Any, *, order: Sequence[str] = ()) -> None:
        """Add a key to a block mapping: before the first key that follows it in `order`,
        else at the end of the mapping."""
        node = self._node(parent, "mapping")
        if node.flow:
            raise EditRefused(f"{format_field(parent)}: a flow mapping is not edited in place")
        present = _get(self.expected, parent)
        if key in present:
            raise EditRefused(f"{format_field((*parent, key))} is already there")
        order = list(order)
        rank = order.index(key) if key in order else len(order)
        # The next key in order that the text holds (keys added by other edits have no place
        # yet; edits at one place are put in order by rank).
        following = next((k for k in order[rank + 1 :] if (*parent, k) in self._keys), None)
        indent = self._child_column(parent, present)
        block = emit({key: value}, indent=indent)
        if following is not None:  # above the comment lines that lead into that key
            at = self._line_start(self._keys[(*parent, following)].start)
            while at > 0:
                above = self._line_start(at - 1)
                if not self.text[above:at].lstrip().startswith("#"):
                    break
                at = above
        else:
            at = self._after(parent)
        self._edits.append(_Edit(at, at, block, len(parent), rank))
        _get(self.expected, parent)[key] = plain(copy.deepcopy(value))

    def append(self, where: FieldPath, value: Any) -> None:
        """Add an item at the end of a list (block or flow style)."""
        node = self._node(where, "sequence")
        items = _get(self.expected, where)
        if node.flow:
            if isinstance(value, (dict, list)):
                raise EditRefused(f"{format_field(where)}: only scalars go into a flow list")
            close = self.text.rindex("]", node.start, node.end)
            before = self.text[node.start + 1 : close].strip()
            self._edits.append(
                _Edit(close, close, (", " if before else "") + scalar(value), len(where))
            )
        else:
            if not items:
                raise EditRefused(f"{format_field(where)}: an empty block list")
            at = self._after(where)
            self._edits.append(_Edit(at, at, emit_item(value, indent=node.column), len(where)))
        items.append(plain(copy.deepcopy(value)))

    def result(self) -> str:
        """The edited text, checked: it parses to exactly the data the edits describe."""
        out, last = [], 0
        for edit in sorted(self._edits, key=lambda e: (e.start, e.end, -e.depth, e.rank)):
            if edit.start < last:
                raise EditRefused("two edits overlap")
            out += [self.text[last : edit.start], edit.text]
            last = edit.end
        text = "".join([*out, self.text[last:]])
        loaded = parse_text(self.path, text)
        if isinstance(loaded, Issue):
            raise EditRefused(f"the edited text does not parse: {loaded.format()}")
        if loaded.data != self.expected:
            raise EditRefused("the edited text does not hold the intended data")
        return text

    # --- positions ----------------------------------------------------------------------------

    def _node(self, where: FieldPath, kind: str) -> _Node:
        node = self._nodes.get(tuple(where))
        if node is None or node.kind != kind:
            raise EditRefused(f"{format_field(where) or '(record)'}: no {kind} here to edit")
        return node

    def _child_column(self, parent: FieldPath, present: Mapping[str, Any]) -> int:
        first = next((k for k in present if (*parent, k) in self._keys), None)
        if first is None:
            raise EditRefused(f"{format_field(parent) or '(record)'}: an empty mapping")
        return self._keys[(*parent, first)].column

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _after(self, where: FieldPath) -> int:
        """The start of the line after the last character of a collection's content (a block
        collection's own end is where the next token starts, after any comments)."""
        inside = [n for p, n in self._nodes.items() if p[: len(where)] == tuple(where)]
        end = max(n.end for n in inside if n.kind == "scalar" or n.flow)
        if end > 0 and self.text[end - 1] == "\n":  # a block scalar takes its line break
            return end
        newline = self.text.find("\n", end)
        if newline < 0:
            raise EditRefused("the record does not end with a line break")
        return newline + 1


def _spans(text: str) -> tuple[dict[FieldPath, _Node], dict[FieldPath, _Node]]:
    """Every value's node (path -> span) and every mapping key's, from parser events. The
    text has passed the loader, so keys are plain scalars and there are no aliases."""
    nodes: dict[FieldPath, _Node] = {}
    keys: dict[FieldPath, _Node] = {}
    stack: list[tuple[str, FieldPath, list[Any]]] = []  # (kind, path, [next key or index])
    parser = _Parser(text)
    try:
        for event in iter(parser.get_event, None):
            start, column = _mark(event.start_mark)
            end, _ = _mark(event.end_mark)
            if isinstance(event, yaml.ScalarEvent):
                if stack and stack[-1][0] == "mapping" and stack[-1][2][0] is None:
                    _, path, state = stack[-1]
                    state[0] = event.value
                    keys[(*path, event.value)] = _Node("scalar", start, end, column, False)
                else:
                    path = _child_path(stack)
                    nodes[path] = _Node("scalar", start, end, column, False, event.style)
            elif isinstance(event, yaml.CollectionStartEvent):
                kind = "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
                path = _child_path(stack)
                nodes[path] = _Node(kind, start, end, column, bool(event.flow_style))
                stack.append((kind, path, [None if kind == "mapping" else 0]))
            elif isinstance(event, yaml.CollectionEndEvent):
                kind, path, _ = stack.pop()
                node = nodes[path]
                nodes[path] = _Node(kind, node.start, end, node.column, node.flow)
    finally:
        parser.dispose()
    return nodes, keys


def _mark(mark: Any) -> tuple[int, int]:
    """Character index and column of a parser mark."""
    return (mark.index, mark.column) if mark is not None else (0, 0)


def _child_path(stack: list[tuple[str, FieldPath, list[Any]]]) -> FieldPath:
    """The path of the value now starting, and move the parent on to its next child."""
    if not stack:
        return ()
    kind, path, state = stack[-1]
    if kind == "mapping":
        key, state[0] = state[0], None
        return (*path, key)
    index = state[0]
    state[0] += 1
    return (*path, index)


def _styled(value: str | int, style: str | None) -> str:
    """A scalar written in the style the replaced value had, where it can be."""
    if isinstance(value, str) and style == '"':
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and style == "'" and "'" not in value and value.isprintable():
        return f"'{value}'"
    return scalar(value)


def _get(data: Any, where: FieldPath) -> Any:
    for part in where:
        data = data[part]
    return data


def _put(data: Any, where: FieldPath, value: Any) -> None:
    _get(data, where[:-1])[where[-1]] = value
