"""Diff: what two versions of the records say differently, for reviewers of a pull request.

A YAML diff shows lines; a reviewer needs to see that the main result of a study went from
1.1 to 1.4, that a trial finished, or that a fact lost its only peer-reviewed source. This
compares the records at two git revisions (or a revision and the working tree) and says, per
record: records added or removed; results (group values and effects) added, removed or
changed, with old -> new numbers as printed; status and enrolment; references added or
removed, with a warning when a fact block loses its last peer-reviewed source; and the key
messages (`data/key-messages.yaml`, when there is one) added, removed or changed by id.

Records are read as loaded data and never need to be valid: a diff must also explain a pull
request that breaks a record. Reading git is the edge (`snapshot`); comparing is pure.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError, Issue
from generator.ghmarkdown import inert
from generator.load import FieldPath, RawRecord, load_file, parse_text
from generator.schema import having, labels

KEY_MESSAGES = PurePosixPath("data/key-messages.yaml")
RESULT_LISTS = ("group_values", "effects", "results")
"""Lists of results: format 2's group values and effects, and format 1's results."""
RESULT_KEY = (
    "outcome",
    "arm",
    "arms",
    "experimental",
    "comparator",
    "statistic",
    "measure",
    "effect_measure",
    "comparison",
    "scale",
    "time_point",
    "months",
    "subgroup",
)
"""What makes a result the same result in two versions; the rest of it can change."""
ENROLMENT = {"planned": "Enrolment (target)", "enrolled": "Enrolment (actual)"}


# --- reading (the edge) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The records (by file name) and the key messages at one revision."""

    name: str
    records: dict[str, RawRecord | Issue]
    key_messages: Any = None


def snapshot(root: Path, studies: Path, revision: str | None) -> Snapshot:
    """The records at a git revision, or in the working tree when revision is None."""
    if revision is None:
        records: dict[str, RawRecord | Issue] = {
            path.name: load_file(path)
            for path in sorted(studies.glob("*.yaml"))
            if not path.name.startswith(".")
        }
        messages = root / KEY_MESSAGES
        loaded = load_file(messages) if messages.is_file() else None
        return Snapshot("working tree", records, _data(loaded))
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
    try:
        folder = PurePosixPath(studies.resolve().relative_to(top.resolve()).as_posix())
    except ValueError:
        raise GeneratorError(f"{studies}: not inside the git repository {top}") from None
    listing = _git(root, "ls-tree", "-z", commit, "--", f"{folder}/", str(KEY_MESSAGES))
    blobs: dict[PurePosixPath, str] = {}
    for line in filter(None, listing.split("\0")):
        meta, path = line.split("\t", 1)
        if meta.split()[1] == "blob":
            blobs[PurePosixPath(path)] = meta.split()[2]
    texts = _blobs(root, list(blobs.values()))
    records = {
        path.name: parse_text(Path(path), texts[sha])
        for path, sha in sorted(blobs.items())
        if path.parent == folder and path.suffix == ".yaml" and not path.name.startswith(".")
    }
    key_sha = blobs.get(KEY_MESSAGES)
    key_messages = parse_text(Path(KEY_MESSAGES), texts[key_sha]) if key_sha else None
    return Snapshot(revision, records, _data(key_messages))


def _data(loaded: RawRecord | Issue | None) -> Any:
    return loaded.data if isinstance(loaded, RawRecord) else loaded


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise GeneratorError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        if args[:1] == ("rev-parse",) and "--verify" in args:
            raise GeneratorError(f"{args[-1].removesuffix('^{commit}')}: not a git revision")
        raise GeneratorError(f"git {args[0]}: {(done.stderr.strip() or 'failed').splitlines()[0]}")
    return done.stdout


def _blobs(root: Path, shas: list[str]) -> dict[str, str]:
    """The text of many blobs from one `git cat-file --batch`."""
    if not shas:
        return {}
    done = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha in shas).encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise GeneratorError("git cat-file failed")
    out, at = {}, 0
    data = done.stdout
    for sha in shas:
        header_end = data.index(b"\n", at)
        size = int(data[at:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        out[sha] = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
        at = header_end + 1 + size + 1
    return out


# --- comparing ----------------------------------------------------------------------------------


@dataclass
class RecordDiff:
    """What one record says differently; empty lists mean no change in meaning."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def meaning_diff(base: Snapshot, head: Snapshot) -> str:
    """The changes in meaning from base to head, as Markdown."""
    added = sorted(set(head.records) - set(base.records))
    removed = sorted(set(base.records) - set(head.records))
    changed: list[RecordDiff] = []
    others: list[str] = []
    for name in sorted(set(base.records) & set(head.records)):
        old, new = base.records[name], head.records[name]
        if isinstance(old, RawRecord) and isinstance(new, RawRecord) and old.data == new.data:
            continue
        found = compare_records(name, old, new, base.name, head.name)
        if found.lines or found.warnings:
            changed.append(found)
        else:
            others.append(found.title)
    messages = compare_key_messages(base.key_messages, head.key_messages)
    out = [f"## Changes in meaning: {_revision(base.name)} → {_revision(head.name)}", ""]
    if not (added or removed or changed or messages):
        out += ["No record changes in meaning" + (" (other fields only)." if others else "."), ""]
    counts = [
        f"{len(changed)} record(s) changed in meaning",
        f"{len(added)} added",
        f"{len(removed)} removed",
    ]
    if others:
        counts.append(f"{len(others)} changed in other fields only")
    if added or removed or changed or others:
        out += ["; ".join(counts) + ".", ""]
    if added:
        out += ["### Added", ""] + [f"- {_summary(name, head.records[name])}" for name in added]
        out.append("")
    if removed:
        out += ["### Removed", ""] + [f"- {_summary(name, base.records[name])}" for name in removed]
        out.append("")
    for record in changed:
        out += [f"### {record.title}", ""]
        out += [f"- ⚠️ {w}" for w in record.warnings] + [f"- {line}" for line in record.lines]
        out.append("")
    if others:
        heading = "### Changed in other fields only (not results, status, enrolment or sources)"
        out += [heading, "", "- " + ", ".join(others), ""]
    if messages:
        out += ["### Key messages", ""] + [f"- {line}" for line in messages] + [""]
    return "\n".join(out)


def _revision(name: str) -> str:
    return name if name == "working tree" else f"`{name.replace('`', '')}`"


def _where(issue: Issue) -> str:
    return f"line {issue.line}, column {issue.column}: {inert(issue.message)}"


def _summary(name: str, loaded: RawRecord | Issue) -> str:
    if isinstance(loaded, Issue):
        return f"`{name}` (cannot be read: {inert(loaded.message)})"
    data = loaded.data if isinstance(loaded.data, dict) else {}
    facts = [
        labels("evidence_kind").get(str(data.get("evidence_kind")), ""),
        labels("status").get(str(data.get("status")), ""),
    ]
    shown = "; ".join(inert(f) for f in facts if f)
    return f"{_title(name, data)}" + (f": {shown}" if shown else "")


def _title(name: str, data: Any) -> str:
    short = data.get("short_name") if isinstance(data, dict) else None
    return (inert(short) + " " if isinstance(short, str) else "") + f"(`studies/{name}`)"


def compare_records(
    name: str, old: RawRecord | Issue, new: RawRecord | Issue, base: str, head: str
) -> RecordDiff:
    """What one record says differently at head than at base."""
    data = (
        new.data if isinstance(new, RawRecord) else old.data if isinstance(old, RawRecord) else {}
    )
    found = RecordDiff(name, _title(name, data))
    for loaded, where in ((old, base), (new, head)):
        if isinstance(loaded, Issue):
            found.warnings.append(f"cannot be read at {_revision(where)}: {_where(loaded)}")
    if not (isinstance(old, RawRecord) and isinstance(new, RawRecord)):
        return found
    a, b = _mapping(old.data), _mapping(new.data)
    status = labels("status")
    if a.get("status") != b.get("status"):
        found.lines.append(
            f"Status: {_label(status, a.get('status'))} → {_label(status, b.get('status'))}"
        )
    for key, what in ENROLMENT.items():
        was, now = _get(a, "population", key), _get(b, "population", key)
        if was != now:
            found.lines.append(f"{what}: {_plain(was)} → {_plain(now)}")
    found.lines += _results(old, new)
    found.lines += _references(a, b)
    found.warnings += _peer_review_lost(a, b)
    return found


def _mapping(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _label(vocabulary: dict[str, str], value: Any) -> str:
    if value is None:
        return "none"
    return inert(vocabulary.get(value, str(value))) if isinstance(value, str) else inert(str(value))


def _plain(value: Any) -> str:
    return "none" if value is None else inert(str(value))


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    path: FieldPath
    data: dict[str, Any]
    record: RawRecord

    @property
    def key(self) -> str:
        return repr([self.path[0]] + [_freeze(self.data.get(k)) for k in RESULT_KEY])


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_freeze(v) for v in value]
    return value


def _results_of(record: RawRecord) -> dict[str, list[_Result]]:
    by_key: dict[str, list[_Result]] = defaultdict(list)
    for name in RESULT_LISTS:
        items = _get(record.data, name)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                result = _Result((name, i), item, record)
                by_key[result.key].append(result)
    return by_key


def _results(old: RawRecord, new: RawRecord) -> list[str]:
    """Results added, removed or changed; one of several with the same key pairs in order."""
    before, after = _results_of(old), _results_of(new)
    lines: list[str] = []
    for key in sorted(set(before) | set(after), key=lambda k: _first_path(before, after, k)):
        was, now = before.get(key, []), after.get(key, [])
        for a, b in zip(was, now, strict=False):
            changes = _number_changes(a, b)
            if changes:
                lines.append(f"Result changed: {_describe(b)}: {'; '.join(changes)}")
        lines += [f"Result removed: {_describe(a)}: {_numbers(a)}" for a in was[len(now) :]]
        lines += [f"Result added: {_describe(b)}: {_numbers(b)}" for b in now[len(was) :]]
    return lines


def _first_path(before: dict[str, list[_Result]], after: dict[str, list[_Result]], key: str) -> Any:
    items = after.get(key) or before.get(key) or []
    return (0 if key in after else 1, items[0].path if items else ())


NUMBER_FIELDS = (
    "value",
    "events",
    "total",
    "sd",
    "se",
    "iqr",
    "range",
    "ci",
    "ci_level",
    "p",
    "n",
    "unit",
    "i2",
    "studies",
)
OTHER_FIELDS = ("analysis", "statement", "source", "locator", "obtained", "note")


def _printed(result: _Result, name: str) -> str | None:
    """A field's value as printed in the record (2.30 stays 2.30; intervals as 'a to b')."""
    value = result.data.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        parts = [_number_text(result, (*result.path, name, i), v) for i, v in enumerate(value)]
        return " to ".join(parts)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in sorted(value.items()))
    return _number_text(result, (*result.path, name), value)


def _number_text(result: _Result, where: FieldPath, value: Any) -> str:
    printed = result.record.printed.get(where)
    return printed if printed is not None else inert(str(value))


def _number_changes(a: _Result, b: _Result) -> list[str]:
    changes = []
    for name in NUMBER_FIELDS + OTHER_FIELDS:
        was, now = _printed(a, name), _printed(b, name)
        if was != now:
            if name == "statement" or name == "note":
                changes.append(f"{name} reworded")
            else:
                changes.append(f"{name} {was or 'none'} → {now or 'none'}")
    return changes


def _numbers(result: _Result) -> str:
    shown = [
        f"{name} {text}" for name in NUMBER_FIELDS if (text := _printed(result, name)) is not None
    ]
    return "; ".join(shown) or "no number (a worded result)"


def _describe(result: _Result) -> str:
    """What the result is about: its outcome, groups, what was measured, when."""
    data, record = result.data, _mapping(result.record.data)
    outcomes = {o.get("id"): o for o in record.get("outcomes") or [] if isinstance(o, dict)}
    arms = {a.get("id"): a.get("label") for a in record.get("arms") or [] if isinstance(a, dict)}
    outcome = outcomes.get(data.get("outcome"), {})
    parts = [inert(str(outcome.get("name") or data.get("outcome") or "an outcome"))]

    def groups(value: Any) -> str:
        ids = value if isinstance(value, list) else [value]
        return " + ".join(inert(str(arms.get(i) or i)) for i in ids if i is not None)

    if result.path[0] == "effects":
        parts.append(f"{groups(data.get('experimental'))} vs {groups(data.get('comparator'))}")
        parts.append(_known(labels("measure"), data.get("measure")))
    elif result.path[0] == "group_values":
        parts.append(groups(data.get("arm") or data.get("arms")))
        parts.append(_known(labels("statistic"), data.get("statistic")))
    else:  # record format 1
        parts.append(inert(str(data.get("comparison") or "")))
    parts.append(_known(labels("scale"), data.get("scale")))
    subgroup = data.get("subgroup")
    label = subgroup.get("label") if isinstance(subgroup, dict) else subgroup
    parts += [inert(str(v)) for v in (data.get("time_point"), label) if v]
    return " · ".join(p for p in parts if p)


def _known(vocabulary: dict[str, str], value: Any) -> str:
    """A vocabulary value's label; nothing for a missing value."""
    return "" if value is None else _label(vocabulary, value)


# --- sources ------------------------------------------------------------------------------------


def _references(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    before, after = _refs(a), _refs(b)
    kinds = labels("reference_type")
    lines = []
    for ident in after.keys() - before.keys():
        ref = after[ident]
        lines.append(f"Source added: {_cite(ident, ref, kinds)}")
    for ident in before.keys() - after.keys():
        lines.append(f"Source removed: {_cite(ident, before[ident], kinds)}")
    for ident in before.keys() & after.keys():
        if before[ident].get("type") != after[ident].get("type"):
            lines.append(
                f"Source `{inert(ident)}` retyped: {_label(kinds, before[ident].get('type'))} → "
                f"{_label(kinds, after[ident].get('type'))}"
            )
    return sorted(lines)


def _refs(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    refs = data.get("references")
    return {
        str(r["id"]): r
        for r in (refs if isinstance(refs, list) else [])
        if isinstance(r, dict) and isinstance(r.get("id"), str)
    }


def _cite(ident: str, ref: dict[str, Any], kinds: dict[str, str]) -> str:
    title = ref.get("title")
    shown = inert(str(title))[:160] if title else "(no title)"
    return f"`{inert(ident)}` {shown} ({_label(kinds, ref.get('type'))})"


def fact_blocks(data: dict[str, Any]) -> dict[str, set[str]]:
    """Every block of facts that names its sources, by a label that stays the same when
    other entries are added or removed (ids, result keys), with the reference ids it cites."""
    blocks: dict[str, set[str]] = defaultdict(set)

    def walk(value: Any, label: str, parent: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "references":
                    continue
                if key == "sources" and isinstance(item, list):
                    blocks[label].update(s for s in item if isinstance(s, str))
                elif key == "source" and isinstance(item, str):
                    blocks[label].add(item)
                else:
                    walk(item, f"{label}.{key}" if label else key, key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{label} {_item_label(parent, i, item)}", parent)

    walk(data, "", "")
    return dict(blocks)


def _item_label(parent: str, index: int, item: Any) -> str:
    if isinstance(item, dict):
        if isinstance(item.get("id"), str):
            return str(item["id"])
        if parent in RESULT_LISTS:
            keys = [
                str(item.get(k)) for k in ("outcome", "arm", "measure", "statistic") if item.get(k)
            ]
            keys += [str(item.get("time_point") or "")]
            return "(" + ", ".join(k for k in keys if k) + ")"
    return f"#{index + 1}"


def _peer_review_lost(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Fact blocks that had a peer-reviewed source at base and have none at head."""
    peer = having("reference_type", "x-peer-reviewed")
    old_blocks, new_blocks = fact_blocks(a), fact_blocks(b)
    old_types = {k: r.get("type") for k, r in _refs(a).items()}
    new_types = {k: r.get("type") for k, r in _refs(b).items()}
    lost = []
    for label in sorted(old_blocks.keys() & new_blocks.keys()):
        had = [s for s in old_blocks[label] if old_types.get(s) in peer]
        has = [s for s in new_blocks[label] if new_types.get(s) in peer]
        if had and not has:
            now = ", ".join(f"`{inert(s)}`" for s in sorted(new_blocks[label])) or "none"
            lost.append(
                f"`{inert(label)}` lost its last peer-reviewed source "
                f"(was {', '.join(f'`{inert(s)}`' for s in sorted(had))}; now {now})"
            )
    return lost


# --- key messages -------------------------------------------------------------------------------


def _messages(data: Any) -> dict[str, dict[str, Any]]:
    """Key messages by where they are shown ('cerebral-palsy', 'cerebral-palsy ·
    umbilical-cord-blood'), and the summary-of-findings comments ('finding cerebral-palsy ·
    gross-motor'), as data/key-messages.yaml holds them."""
    data = data if isinstance(data, dict) else {}
    out: dict[str, dict[str, Any]] = {}
    for section, parts in (
        ("messages", ("condition", "cell_type")),
        ("findings", ("condition", "domain")),
    ):
        items = data.get(section)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            place = " · ".join(str(item[k]) for k in parts if isinstance(item.get(k), str))
            key = place if section == "messages" else f"finding {place}"
            sentences = item.get("sentences")
            if isinstance(sentences, list):  # a message's words are its sentences' texts
                item = {k: v for k, v in item.items() if k != "sentences"}
                item["text"] = " ".join(
                    " ".join(str(s.get("text", "")).split())
                    for s in sentences
                    if isinstance(s, dict)
                )
            out[key] = item
    return out


def compare_key_messages(base: Any, head: Any) -> list[str]:
    """Key messages added, removed or changed, by the page they are shown on."""
    lines = []
    for loaded, where in ((base, "base"), (head, "head")):
        if isinstance(loaded, Issue):
            lines.append(f"⚠️ `{KEY_MESSAGES}` cannot be read at {where}: {_where(loaded)}")
    before = _messages(None if isinstance(base, Issue) else base)
    after = _messages(None if isinstance(head, Issue) else head)
    for ident in sorted(after.keys() - before.keys()):
        lines.append(f"Added `{inert(ident)}`: {_message_text(after[ident])}")
    for ident in sorted(before.keys() - after.keys()):
        lines.append(f"Removed `{inert(ident)}`: {_message_text(before[ident])}")
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident], after[ident]
        fields = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
        if fields:
            shown = "; ".join(
                f"{inert(str(k))}: {_short(was.get(k))} → {_short(now.get(k))}" for k in fields
            )
            lines.append(f"Changed `{inert(ident)}`: {shown}")
    return lines


def _message_text(message: dict[str, Any]) -> str:
    return _short(message.get("text"))


def _short(value: Any) -> str:
    if value is None:
        return "none"
    text = inert(value if isinstance(value, str) else repr(value))
    return text if len(text) <= 200 else text[:199] + "…"
