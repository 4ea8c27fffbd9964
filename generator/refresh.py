"""Refresh: compare the records with their ClinicalTrials.gov entries, and keep running studies
in step with them.

Reads studies as the ClinicalTrials.gov API v2 serves them (one study, or a `studies` list
page) and, for every record registered under one of their NCT ids, finds what differs:
status, enrolment, start and completion dates, results posted, and the registry's reports of
the study (PMIDs) that the record does not cite. Other registries are named as not checked.

`refresh --write` changes only mechanical fields, and only where the registry is the
authority: the status, dates and enrolment of a study the record says is still running (a
record that says a study finished was written from its reports, so a person decides), the
dates only a registry can give (results posted), the date the status was read
(`status_checked`, and the registry reference's `accessed`), and a history event for a
status change. Each value is changed in the record's text in place (`yamledit`), and
nothing is written unless every record then passes the checks.

The edges are `read_studies` (the registry's JSON) and `run` (loads the records, writes the
changed ones); comparing, reporting and planning the edits are pure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from generator.draft import Commented, clean, plain
from generator.errors import GeneratorError, ImportFailed, Issue, ValidationFailed
from generator.ghmarkdown import inert
from generator.importers import ctgov
from generator.load import (
    FieldPath,
    RawRecord,
    format_field,
    load_records,
    parse_text,
    read_json,
)
from generator.schema import labels, load_schema, registry_url
from generator.write import write_if_changed
from generator.yamledit import Editor, EditRefused

REFRESHED_DATES = ("start", "primary_completion", "completion", "results_posted")
"""Dates compared with the registry. first_posted never changes; last_update changes with
every edit of the entry and is no news."""
REGISTRY_DATES = ("results_posted",)
"""Dates that only a registry can give: written even when the record says the study finished."""
ESTIMATED = "estimated in the registry"
"""The comment that marks a date the registry gives as estimated (as the importer writes)."""
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"


# --- reading (the edge) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One registry study read from an input file."""

    nct: str
    study: Any
    source: Path


def read_studies(paths: Sequence[Path]) -> list[Entry]:
    """Every study in the given files and folders (`*.json` in a folder), in name order.

    Raise GeneratorError with one `FILE:LINE:COL: message` line for input that cannot be read
    as ClinicalTrials.gov API v2 JSON.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if not p.name.startswith("."))
            if not found:
                raise GeneratorError(f"{path}: no *.json files in this folder")
            files += found
        else:
            files.append(path)
    entries: list[Entry] = []
    for path in files:
        entries += _studies_in(path, _load_json(path))
    return entries


def _problem(path: Path, message: str, line: int = 1, column: int = 1) -> GeneratorError:
    return GeneratorError(f"{path}:{line}:{column}: {message}")


def _load_json(path: Path) -> Any:
    """The registry download, or a one-line error (`error: FILE:LINE:COL: message`)."""
    try:
        return read_json(path)
    except ValidationFailed as failed:
        (issue,) = failed.issues
        raise _problem(path, issue.message, issue.line, issue.column) from None


def _studies_in(path: Path, data: Any) -> list[Entry]:
    """One study (`protocolSection`), or the `studies` of a list page."""
    if isinstance(data, dict) and "protocolSection" not in data and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise _problem(path, "studies: expected a list of studies")
        where = [f"studies[{i}]: " for i in range(len(studies))]
    else:
        studies, where = [data], [""]
    entries = []
    for prefix, study in zip(where, studies, strict=True):
        try:
            nct = ctgov.registration_id(study)
        except ImportFailed as exc:
            raise _problem(path, f"{prefix}{exc}") from None
        entries.append(Entry(nct, study, path))
    return entries


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One way a record differs from its registry entry."""

    field: FieldPath
    what: str
    """What differs, for readers: 'Status', 'Completion', 'Enrolment (actual)', ..."""
    recorded: str
    registry: str
    value: Any = None
    """The value `--write` puts into field; None when a person must decide."""
    by_hand: str = ""
    """Why a person must decide, when value is None."""
    estimated: bool = False
    link: str | None = None
    """Where readers of the Markdown report can look the registry's side up."""


@dataclass(frozen=True)
class Checked:
    """A record compared with the registry entry of one of its NCT ids."""

    record: RawRecord
    entry: Entry
    findings: tuple[Finding, ...]
    reference: str | None
    """Id of the record's reference for this registry entry (None: the record has none)."""


@dataclass(frozen=True)
class Report:
    today: date
    checked: tuple[Checked, ...]
    unmatched: tuple[Entry, ...]
    """Registry entries that no record holds."""
    missing: tuple[tuple[RawRecord, str], ...]
    """NCT ids of records that the input did not cover."""
    elsewhere: tuple[tuple[RawRecord, int, str, str], ...]
    """(record, index, registry, id) of registrations not on ClinicalTrials.gov, for the
    records checked and for records with no ClinicalTrials.gov id at all."""
    entries: int = 0

    @property
    def differences(self) -> int:
        return sum(len(c.findings) for c in self.checked)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def ncts(record: RawRecord) -> list[str]:
    """The record's ClinicalTrials.gov ids, in order."""
    found = []
    for item in _get(record.data, "registrations") or []:
        ident = _get(item, "id")
        on_ctgov = _get(item, "registry") == "clinicaltrials.gov"
        if on_ctgov and isinstance(ident, str) and ctgov.NCT.fullmatch(ident):
            found.append(ident)
    return found


def compare(records: Sequence[RawRecord], entries: Sequence[Entry], today: date) -> Report:
    """Compare every record with the registry entries of its NCT ids."""
    by_nct: dict[str, Entry] = {}
    for entry in entries:  # the same study twice: the newer version counts
        known = by_nct.get(entry.nct)
        if known is None or (ctgov.last_update(entry.study) or "") >= (
            ctgov.last_update(known.study) or ""
        ):
            by_nct[entry.nct] = entry
    holders: dict[str, list[RawRecord]] = {}
    for record in records:
        for nct in ncts(record):
            holders.setdefault(nct, []).append(record)
    checked, missing = [], []
    for record in records:
        for nct in ncts(record):
            if nct in by_nct:
                checked.append(_check(record, by_nct[nct], holders[nct]))
            else:
                missing.append((record, nct))
    in_scope = {id(c.record) for c in checked} | {id(r) for r in records if not ncts(r)}
    elsewhere = [
        (record, i, item["registry"], item["id"])
        for record in records
        if id(record) in in_scope
        for i, item in enumerate(_get(record.data, "registrations") or [])
        if isinstance(item, dict)
        and item.get("registry") != "clinicaltrials.gov"
        and isinstance(item.get("registry"), str)
        and isinstance(item.get("id"), str)
    ]
    unmatched = [e for nct, e in sorted(by_nct.items()) if nct not in holders]
    return Report(
        today, tuple(checked), tuple(unmatched), tuple(missing), tuple(elsewhere), len(by_nct)
    )


def registry_reference(record: RawRecord, nct: str) -> str | None:
    """Id of the record's reference entry for this registry id."""
    for ref in _get(record.data, "references") or []:
        if (
            isinstance(ref, dict)
            and ref.get("registry_id") == nct
            and isinstance(ref.get("id"), str)
        ):
            return str(ref["id"])
    return None


def finished(status: Any) -> bool:
    """A status the record gives a study that is over (no status_checked needed)."""
    return isinstance(status, str) and status not in ctgov.statuses_to_check()


def _check(record: RawRecord, entry: Entry, holders: list[RawRecord]) -> Checked:
    data = record.data
    reference = registry_reference(record, entry.nct)
    over = finished(_get(data, "status"))
    blocker = ""
    if reference is None:
        blocker = f"the record has no reference entry for {entry.nct} to cite"
    elif over:
        blocker = "the record says the study finished: its reports decide"
    findings: list[Finding] = []
    for change in ctgov.registry_changes(data, entry.study):
        name = change.field[-1]
        if change.field == ("status",):
            findings.append(_status_finding(data, change, entry.study, blocker))
        elif change.field[0] == "dates" and name in REFRESHED_DATES:
            findings.append(_date_finding(data, change, reference, blocker))
        elif change.field[0] == "population":
            why = blocker or _shared(holders, entry.nct) or _block_problem(data, "population")
            findings.append(
                Finding(
                    change.field,
                    "Enrolment (actual)" if name == "enrolled" else "Enrolment (target)",
                    _shown(_get(data, "population", name)),
                    str(change.value) + (" (estimated)" if change.estimated else ""),
                    None if why else change.value,
                    why,
                )
            )
    findings += _results_findings(data, entry.study)
    findings += _reference_findings(record, entry, holders)
    return Checked(record, entry, tuple(findings), reference)


def _status_finding(data: Any, change: ctgov.Change, study: Any, blocker: str) -> Finding:
    status_labels = labels("status")
    current = _get(data, "status")
    if change.value is None:
        shown = f"{_shown(ctgov.status(study)[1])} (no equivalent here)"
        why = blocker or "the registry's status has no equivalent"
    else:
        shown, why = status_labels[change.value], blocker
    return Finding(
        ("status",),
        "Status",
        status_labels.get(current, _shown(current)) if isinstance(current, str) else "none",
        shown,
        None if why else change.value,
        why,
    )


def _date_finding(data: Any, change: ctgov.Change, reference: str | None, blocker: str) -> Finding:
    name = str(change.field[-1])
    registry_only = name in REGISTRY_DATES and reference is not None
    why = "" if registry_only else blocker
    return Finding(
        change.field,
        labels("date").get(name, name),
        _shown(_get(data, "dates", name)),
        str(change.value) + (" (estimated)" if change.estimated else ""),
        None if why else change.value,
        why,
        change.estimated,
    )


def _shared(holders: list[RawRecord], nct: str) -> str:
    if len(holders) < 2:
        return ""
    return f"{len(holders)} records report {nct}; each may count a part of its participants"


def _block_problem(data: Any, block: str) -> str:
    if not isinstance(_get(data, block), dict):
        return f"the record has no {block} block to write into"
    return ""


def _results_findings(data: Any, study: Any) -> list[Finding]:
    """Results posted on the registry that the record shows none of."""
    if study.get("hasResults") is not True or _get(data, "group_values") or _get(data, "effects"):
        return []
    posted = ctgov.dates(study).get("results_posted", ("(no date given)", False))[0]
    return [
        Finding(
            ("dates", "results_posted"),
            "Results",
            "no results in the record",
            f"results posted {posted}",
            None,
            "posted results need a person to read and record them",
        )
    ]


def _reference_findings(record: RawRecord, entry: Entry, holders: list[RawRecord]) -> list[Finding]:
    """The registry's reports of the study (PMIDs) that no record of this trial cites."""
    cited = {
        ref.get("pmid")
        for holder in holders
        for ref in _get(holder.data, "references") or []
        if isinstance(ref, dict)
    }
    return [
        Finding(
            ("references",),
            f"Report PMID {pmid}",
            "not cited",
            f"{kind.lower()}: {clean(citation)[:160]}",
            None,
            "a person reads the report and adds what it says",
            link=PUBMED_URL.format(pmid),
        )
        for pmid, kind, citation in ctgov.result_references(entry.study)
        if pmid not in cited
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return clean(str(value))[:80]


# --- reporting --------------------------------------------------------------------------------


def lines(report: Report, root: Path) -> list[str]:
    """One `FILE:LINE:COL: field: message` line per difference, then a summary."""
    out = []
    for checked in report.checked:
        record = checked.record
        for finding in checked.findings:
            line, column = record.locate(finding.field)
            action = (
                "refresh --write updates it"
                if finding.value is not None
                else f"by hand: {finding.by_hand}"
            )
            message = (
                f"{checked.entry.nct} {finding.what}: ClinicalTrials.gov {finding.registry} "
                f"(record: {finding.recorded}); {action}"
            )
            out.append(
                Issue(record.path, line, column, format_field(finding.field), message).format(root)
            )
    for record, index, registry, ident in report.elsewhere:
        line, column = record.locate(("registrations", index, "id"))
        shown = labels("registry").get(registry, registry)
        out.append(
            Issue(
                record.path,
                line,
                column,
                f"registrations[{index}].id",
                f"{shown} {clean(ident)[:60]}: not checked automatically",
            ).format(root)
        )
    for entry in report.unmatched:
        where = _relative(entry.source, root)
        out.append(f"{where}:1:1: {entry.nct}: no record is registered under this id")
    out.append(summary(report))
    return out


def summary(report: Report) -> str:
    records = len({id(c.record) for c in report.checked})
    writable = sum(1 for c in report.checked for f in c.findings if f.value is not None)
    text = (
        f"{report.differences} difference(s) in {records} record(s) checked against "
        f"{report.entries} ClinicalTrials.gov entr{'y' if report.entries == 1 else 'ies'} "
        f"(read {report.today.isoformat()}); `refresh --write` updates {writable} of them"
    )
    if report.missing:
        shown = sorted({nct for _, nct in report.missing})
        text += f"; {len(shown)} registered id(s) not in the input"
    return text


def markdown(report: Report, root: Path) -> str:
    """The report as Markdown (for an issue or a pull request): one section per record."""
    out = [
        "# ClinicalTrials.gov refresh",
        "",
        summary(report) + ".",
        "",
        "`refresh --write` changes only the status, dates and enrolment of studies the records "
        "say are still running, and when they were read; a record's summary and caveats may "
        "still describe the old state, and the rest needs a person.",
        "",
    ]
    by_record: dict[int, list[Checked]] = {}
    for checked in report.checked:
        by_record.setdefault(id(checked.record), []).append(checked)
    for group in by_record.values():
        record = group[0].record
        if not any(c.findings for c in group):
            continue
        name = _get(record.data, "short_name")
        out += [f"## {inert(name if isinstance(name, str) else record.path.stem)}", ""]
        out.append(f"`{_relative(record.path, root)}`")
        out.append("")
        for checked in group:
            if not checked.findings:
                continue
            nct = checked.entry.nct
            out += [
                f"[{nct}]({registry_url('clinicaltrials.gov', nct)})",
                "",
                "| What | Record | ClinicalTrials.gov | Line | refresh --write |",
                "| --- | --- | --- | --- | --- |",
            ]
            for finding in checked.findings:
                line, _ = record.locate(finding.field)
                registry = finding.registry
                what = inert(finding.what)
                if finding.link is not None:
                    what = f"[{what}]({finding.link})"
                action = (
                    "updates it"
                    if finding.value is not None
                    else f"by hand: {inert(finding.by_hand)}"
                )
                cells = [what, inert(finding.recorded), inert(registry), str(line), action]
                out.append(f"| {' | '.join(cells)} |")
            out.append("")
    if report.elsewhere:
        out += ["## Not checked automatically", ""]
        names = labels("registry")
        out += [
            f"- `{_relative(record.path, root)}`: {inert(names.get(name, name))} {inert(ident)}"
            for record, _, name, ident in report.elsewhere
        ]
        out.append("")
    if report.missing:
        out += ["## Registered ids not in the input", ""]
        out += [f"- {nct} (`{_relative(record.path, root)}`)" for record, nct in report.missing]
        out.append("")
    if report.unmatched:
        out += ["## Registry entries no record holds", ""]
        out += [f"- {e.nct} (`{_relative(e.source, root)}`)" for e in report.unmatched]
        out.append("")
    return "\n".join(out)


def _relative(path: Path, root: Path) -> str:
    shown = os.path.relpath(path.absolute(), root.absolute())
    return str(path) if shown.startswith("..") else shown


# --- writing ----------------------------------------------------------------------------------

DATE_ORDER = tuple(load_schema()["properties"]["dates"]["properties"])
REFERENCE_ORDER = tuple(load_schema()["$defs"]["reference"]["properties"])
TOP_ORDER = tuple(load_schema()["properties"])
"""Schema order: a key `--write` adds goes where the schema puts it."""


def updated_texts(report: Report) -> dict[Path, str]:
    """The new text of every record `--write` changes (only mechanical fields)."""
    editors: dict[Path, Editor] = {}
    for checked in report.checked:
        writable = [f for f in checked.findings if f.value is not None]
        if not writable:
            continue
        record = checked.record
        if record.path not in editors:
            if record.text is None:
                raise EditRefused(f"{record.path}: the record's text was not kept")
            editors[record.path] = Editor(record.path, record.text)
        _apply(editors[record.path], checked, writable, report.today)
    return {path: editor.result() for path, editor in editors.items()}


def _apply(editor: Editor, checked: Checked, findings: list[Finding], today: date) -> None:
    data, ref, day = editor.expected, checked.reference, today.isoformat()
    assert ref is not None  # findings are writable only for a record that cites the registry
    for finding in findings:
        where = finding.field
        if where == ("status",):
            was = data.get("status")
            editor.set(where, finding.value)
            _status_event(editor, checked, was, finding.value, today)
        elif where[0] == "population":
            _set(editor, where, finding.value, order=())
            _cite(editor, ("population", "sources"), ref)
    _set_dates(editor, [f for f in findings if f.field[0] == "dates"], ref)
    if "status_checked" in data:
        editor.set(("status_checked",), day)
    elif data.get("status") in ctgov.statuses_to_check():
        editor.add((), "status_checked", day, order=TOP_ORDER)
    index = next(
        i for i, r in enumerate(data["references"]) if isinstance(r, dict) and r.get("id") == ref
    )
    _set(editor, ("references", index, "accessed"), day, order=REFERENCE_ORDER)


def _at(data: Any, where: FieldPath) -> Any:
    for part in where:
        data = data[part]
    return data


def _set(editor: Editor, where: FieldPath, value: Any, *, order: Sequence[str]) -> None:
    """Replace a value, or add its key when the mapping has none."""
    if where[-1] in _at(editor.expected, where[:-1]):
        editor.set(where, value)
    else:
        editor.add(where[:-1], str(where[-1]), value, order=order)


def _set_dates(editor: Editor, findings: list[Finding], ref: str) -> None:
    """Write registry dates, each marked when the registry gives it as estimated; a record
    with no dates block gets one."""
    if not findings:
        return
    values: dict[str, Any] = {
        str(f.field[1]): Commented(f.value, after=ESTIMATED) if f.estimated else f.value
        for f in findings
    }
    dates = editor.expected.get("dates")
    if dates is None:
        ordered = {name: values[name] for name in DATE_ORDER if name in values}
        editor.add((), "dates", ordered | {"sources": [ref]}, order=TOP_ORDER)
        return
    for name, value in values.items():
        if name in dates:
            kept = editor.comment(("dates", name))
            estimated = isinstance(value, Commented)
            # An actual date loses the mark of an estimate; other comments stay.
            comment = ESTIMATED if estimated else ("" if kept == ESTIMATED else None)
            editor.set(("dates", name), plain(value), comment=comment)
        else:
            editor.add(("dates",), name, value, order=DATE_ORDER)
    _cite(editor, ("dates", "sources"), ref)


def _cite(editor: Editor, where: FieldPath, ref: str) -> None:
    """Name the registry reference among a block's sources (once)."""
    sources = _at(editor.expected, where[:-1]).get(where[-1])
    if sources is None:
        editor.add(where[:-1], str(where[-1]), [ref])
    elif ref not in sources:
        editor.append(where, ref)


def _status_event(editor: Editor, checked: Checked, was: Any, new: str, today: date) -> None:
    """A history event for the status change, dated when the registry posted it."""
    status_labels = labels("status")
    old = status_labels.get(was, str(was)) if isinstance(was, str) else "no status"
    event = {
        "date": ctgov.last_update(checked.entry.study) or today.isoformat(),
        "kind": "withdrawn" if new == "withdrawn" else "status-changed",
        "note": f"ClinicalTrials.gov lists the study as {status_labels[new]} (this record "
        f"had {old})",
        "source": checked.reference,
    }
    if isinstance(editor.expected.get("history"), list):
        editor.append(("history",), event)
    else:
        editor.add((), "history", [event], order=TOP_ORDER)


def check_written(records: Sequence[RawRecord], texts: dict[Path, str]) -> list[Issue]:
    """Problems `check` would find in the records once the new texts are written."""
    from generator.validate import validate_records

    after: list[RawRecord] = []
    for record in records:
        text = texts.get(record.path)
        parsed = parse_text(record.path, text) if text is not None else record
        if isinstance(parsed, Issue):
            return [parsed]
        after.append(parsed)
    return validate_records(after)


# --- the command --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    report: Report
    written: tuple[Path, ...]


def run(studies: Path, inputs: Sequence[Path], today: date, *, write: bool = False) -> Outcome:
    """Read the records and the registry entries, compare them, and with `write` update the
    records (all or none: nothing is written unless every record then passes the checks)."""
    loaded = load_records(studies)
    if loaded.issues:
        raise ValidationFailed(loaded.issues)
    report = compare(loaded.records, read_studies(inputs), today)
    if not write:
        return Outcome(report, ())
    texts = updated_texts(report)
    problems = check_written(loaded.records, texts)
    if problems:
        raise ValidationFailed(problems)
    changed = tuple(path for path, text in sorted(texts.items()) if write_if_changed(path, text))
    return Outcome(report, changed)


def registered_ids(studies: Path) -> list[str]:
    """Every ClinicalTrials.gov id the records are registered under, sorted, once."""
    loaded = load_records(studies)
    if loaded.issues:
        raise ValidationFailed(loaded.issues)
    return sorted({nct for record in loaded.records for nct in ncts(record)})
