"""Drafts: record text that `new` and the importers write for a person to finish.

Records are edited by hand, so a draft is YAML text with comments, written here rather than
dumped by a YAML library. What a draft cannot fill in with certainty it marks with a
placeholder (`TODO: what to do`), which `check` reports as a field to fill in, naming it.

Every value written is either a plain scalar that reads back unchanged, or double-quoted
with escapes, so text from a registry (colons, quotes, `#`, line breaks, markup) comes back
exactly as it went in. `settle` runs the draft through the real validator and marks any
value it refuses, so a draft fails `check` only at marked fields.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError, Issue
from generator.load import FORBIDDEN_CHARACTERS, parse_text
from generator.validate import PLACEHOLDER, TO_FILL_IN, is_placeholder, validate_records

SCHEMA_LINE = "yaml-language-server: $schema=../generator/schema/study.schema.json"
"""First line of every record (a comment): editors with the YAML extension complete and check
fields. Written by `new` and by the importers."""


MAIN_REFERENCE = "paper"
"""Id of a record's first reference, the study's own report: the skeleton's `sources` name it,
and `import-ref` gives it to the first entry it prints, so the two agree without editing."""


def todo(hint: str) -> str:
    """A placeholder value carrying a hint for the person who fills it in."""
    return f"{PLACEHOLDER} {clean(hint)}"


@dataclass(frozen=True)
class Commented:
    """A value with a comment above its key (or list item) and/or after it on the same line.

    With `off`, the field itself is written commented out (`# key: value`, and each line of a
    block value likewise), ready to be switched on by removing the `# `.
    """

    value: Any
    before: str = ""
    after: str = ""
    off: bool = False


def plain(value: Any) -> Any:
    """The data of a draft, without its comments."""
    if isinstance(value, Commented):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029\x0b\x0c]")


def clean(text: str, *, lines: bool = False) -> str:
    """Text as a record may hold it: no control, bidi-override or invisible characters.

    With `lines`, line breaks are kept (normalised to `\\n`, at most one blank line in a
    row); otherwise all whitespace runs become one space.
    """
    text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    text = FORBIDDEN_CHARACTERS.sub("", text)
    if not lines:
        return " ".join(text.split())
    kept = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# A plain scalar is written only when it is clearly text to every YAML reader (including
# YAML 1.1 tools such as editors and yamllint): it starts with a letter, holds no YAML
# indicator and is not one of the words YAML 1.1 reads as booleans or nulls.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,()/+'-]*")
_RESERVED = re.compile(r"(?i)(y|n|yes|no|on|off|true|false|null|nan|inf)")
_NOT_PRINTABLE = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)


def scalar(value: Any) -> str:
    """One scalar as YAML text that our loader (and any YAML 1.2 reader) reads back unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot write {value!r} into a record")
        return repr(value)
    if value is None:
        return "null"
    if not isinstance(value, str):
        raise TypeError(f"cannot write a {type(value).__name__} as a YAML scalar")
    if _PLAIN.fullmatch(value) and not _RESERVED.fullmatch(value) and value == value.strip():
        return value
    # JSON strings are YAML double-quoted scalars; escape what YAML would fold or refuse.
    quoted = json.dumps(value, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def comment(text: str, indent: int = 0, marker: str = "#") -> list[str]:
    """Comment lines for any text, wrapped: no character in it can end the comment early.

    `marker` starts each line: `#`, or `##` for prose that must stay a comment when the
    lines around it are uncommented (the skeleton's descriptions)."""
    pad = " " * indent
    width = max(40, 98 - indent - len(marker))
    lines: list[str] = []
    for line in clean(text, lines=True).split("\n"):
        wrapped = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
        lines += [f"{pad}{marker} {part}" for part in wrapped] or [f"{pad}{marker}"]
    return lines


_KEY = re.compile(r"[a-z_][a-z0-9_-]*")
_FLOW_ITEM = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def emit(data: Mapping[str, Any], *, header: str = "", indent: int = 0, prose: str = "#") -> str:
    """A mapping (values may be `Commented`) as block-style YAML text; comments start with
    `prose` (see `comment`)."""
    lines = comment(header, indent, prose) if header else []
    lines += _mapping(data, indent, prose)
    return "\n".join(lines) + "\n"


def emit_item(data: Mapping[str, Any], *, indent: int = 0) -> str:
    """One mapping as a list item (`- key: ...`), e.g. a reference ready to paste."""
    return "\n".join(_item(data, indent, "#")) + "\n"


def _unwrap(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, Commented):
        return value.value, value.before, value.after
    return value, "", ""


def _tail(after: str) -> str:
    return f"  # {clean(after)}" if after else ""


def _switched_off(lines: list[str], indent: int) -> list[str]:
    """The lines of a field, commented out at its indentation (`#` then one space)."""
    return [f"{line[:indent]}# {line[indent:]}" for line in lines]


def _mapping(data: Mapping[str, Any], indent: int, prose: str) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, wrapped in data.items():
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a field name: {key!r}")
        value, before, after = _unwrap(wrapped)
        if before:
            lines += comment(before, indent, prose)
        if isinstance(wrapped, Commented) and wrapped.off:
            field = _mapping({key: Commented(value, after=after)}, indent, prose)
            lines += _switched_off(field, indent)
        elif isinstance(value, Mapping):
            if not value:
                lines.append(f"{pad}{key}: {{}}{_tail(after)}")
                continue
            lines.append(f"{pad}{key}:{_tail(after)}")
            lines += _mapping(value, indent + 2, prose)
        elif isinstance(value, list):
            flow = _flow(value) if value else "[]"
            if flow is not None:
                lines.append(f"{pad}{key}: {flow}{_tail(after)}")
                continue
            lines.append(f"{pad}{key}:{_tail(after)}")
            for item in value:
                lines += _item(item, indent + 2, prose)
        else:
            lines.append(f"{pad}{key}: {scalar(value)}{_tail(after)}")
    return lines


def _flow(items: list[Any]) -> str | None:
    """Short lists of ids, vocabulary values or numbers read best on one line: `[a, b]`."""
    if not all(
        (isinstance(i, str) and _FLOW_ITEM.fullmatch(i))
        or (isinstance(i, (int, float)) and not isinstance(i, bool))
        for i in items
    ):
        return None
    shown = f"[{', '.join(scalar(i) for i in items)}]"
    return shown if len(shown) <= 80 else None


def _item(wrapped: Any, indent: int, prose: str) -> list[str]:
    pad = " " * indent
    value, before, after = _unwrap(wrapped)
    lines = comment(before, indent, prose) if before else []
    if isinstance(value, Mapping) and value:
        first, *_ = value.values()
        if isinstance(first, Commented) and first.off:
            raise ValueError("the first field of a list entry cannot be commented out")
        body = _mapping(value, indent + 2, prose)
        # Comments above the first field go above the entry's dash, at its indentation.
        start = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
        lines += [line[2:] for line in body[:start]]
        lines.append(f"{pad}- {body[start].lstrip()}")
        lines += body[start + 1 :]
        if after:
            lines[-1] += _tail(after)
    elif isinstance(value, (Mapping, list)):
        raise ValueError("draft lists hold scalars or non-empty mappings")
    else:
        lines.append(f"{pad}- {scalar(value)}{_tail(after)}")
    return lines


# --- settling: mark whatever the validator refuses ------------------------------------------


def settle(draft: dict[str, Any], *, header: str = "", rounds: int = 5) -> str:
    """Emit a draft record, marking every value `check` would refuse; return its text.

    An importer maps what it can be sure of, but source data can still break a rule (a
    title too long, an odd date, an estimate outside its interval). Each such value becomes
    a placeholder that quotes it, so `check` reports it for a person to decide.
    """
    name = f"{plain(draft).get('id', 'draft')}.yaml"
    for _ in range(rounds):
        text = emit(draft, header=header)
        record = parse_text(Path(name), text)
        if isinstance(record, Issue):  # only a bug in emit can cause this
            raise GeneratorError(f"draft does not parse: {record.format()}")
        refused = [i for i in validate_records([record]) if not i.message.startswith(TO_FILL_IN)]
        if not refused:
            return text
        for issue in refused:
            _mark(draft, _parse_field(issue.field), issue.message)
    raise GeneratorError(
        "draft still invalid after marking: " + "; ".join(i.format() for i in refused)
    )


def _parse_field(field: str) -> list[str | int]:
    """Inverse of load.format_field: `results[2].ci` -> ['results', 2, 'ci']."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return parts


def _mark(draft: Any, where: list[str | int], message: str) -> None:
    if not where:
        raise GeneratorError(f"draft refused as a whole: {message}")
    container = draft
    for part in where[:-1]:
        container = _unwrap(container)[0][part]
    container = _unwrap(container)[0]
    last = where[-1]
    if isinstance(last, str) and last not in container:
        container[last] = todo(message)  # a missing required field
        return
    current = container[last]
    value, before, after = _unwrap(current)
    if is_placeholder(value):
        return
    shown = json.dumps(plain(value), ensure_ascii=False)
    shown = shown if len(shown) <= 200 else shown[:197] + "..."
    marked = todo(f"{message}; the source says {shown}")
    container[last] = Commented(marked, before, after) if before or after else marked
