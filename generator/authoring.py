"""Authoring: start a record, draft one from a registry download, re-import a registration,
and turn a citation file into a reference entry.

Library functions: they read and write files and raise GeneratorError or ValidationFailed
(FILE:LINE:COL); the command line prints what they return.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError, ImportFailed, Issue
from generator.load import RawRecord, load_records, read_json, read_source, source_problem
from generator.pipeline import Paths
from generator.scaffold import valid_key, valid_record_id


def new_record(paths: Paths, record_id: str) -> Path:
    """Write a commented skeleton studies/ID.yaml; never replace an existing file."""
    from generator.scaffold import skeleton

    if not valid_record_id(record_id):
        raise GeneratorError(
            f"{record_id!r} is not a record id: use lower-case letters, digits and hyphens "
            "(at most 80 characters; 'index' is reserved)"
        )
    target = paths.studies / f"{record_id}.yaml"
    _create(target, skeleton(record_id), paths.root)
    return target


@dataclass(frozen=True)
class Reimport:
    """A second import of a registration: what the registry says differently, per record."""

    record: RawRecord
    changes: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class CtgovImport:
    """What an import from a ClinicalTrials.gov download did (exactly one of the three)."""

    nct: str
    draft: str | None = None
    """The drafted record's text, when asked not to write it."""
    written: Path | None = None
    to_fill: int = 0
    """Values marked TODO in the draft."""
    reimports: list[Reimport] = field(default_factory=list)
    """Records that already hold the registration (nothing is written then)."""


def import_ctgov(
    paths: Paths, source: Path, record_id: str | None = None, *, write: bool = True
) -> CtgovImport:
    """Draft a record from a registry download, or report changes to records that hold it."""
    from generator.importers import ctgov

    study = read_json(source)
    try:
        nct = ctgov.registration_id(study)
    except ImportFailed as exc:
        raise source_problem(source, str(exc), exc.line, exc.column) from None
    existing = _records_with_registration(paths, nct)
    if existing:
        return CtgovImport(nct, reimports=[_changes(record, study) for record in existing])
    record_id = record_id or nct.lower()
    if not valid_record_id(record_id):
        raise GeneratorError(f"{record_id!r} is not a record id")
    text = ctgov.draft_text(study, record_id)
    to_fill = text.count('"TODO:')
    if not write:
        return CtgovImport(nct, draft=text, to_fill=to_fill)
    target = paths.studies / f"{record_id}.yaml"
    _create(target, text, paths.root)
    return CtgovImport(nct, written=target, to_fill=to_fill)


def reference_entry(source: Path, ref_id: str) -> str:
    """The YAML reference entry for a citation file (PubMed, RIS, CSL-JSON), to paste."""
    from generator.importers import refs

    if not valid_key(ref_id):
        raise GeneratorError(
            f"{ref_id!r} is not a reference id: use lower-case letters, digits and hyphens "
            "(at most 40 characters), e.g. paper or registry"
        )
    text = read_source(source)
    try:
        references = refs.read_references(text)
    except ImportFailed as exc:
        raise source_problem(source, str(exc), exc.line, exc.column) from None
    except json.JSONDecodeError as exc:
        raise source_problem(source, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    return refs.snippet(references, ref_id)


def _create(target: Path, text: str, root: Path) -> None:
    """Write a new file; never replace an existing one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        shown = os.path.relpath(target, root)
        raise GeneratorError(f"{shown} already exists; choose another id") from None


def _records_with_registration(paths: Paths, nct: str) -> list[RawRecord]:
    loaded = load_records(paths.studies) if paths.studies.is_dir() else None
    found = []
    for record in loaded.records if loaded else []:
        registrations = record.data.get("registrations") if isinstance(record.data, dict) else None
        if isinstance(registrations, list) and any(
            isinstance(r, dict) and r.get("id") == nct for r in registrations
        ):
            found.append(record)
    return found


def _changes(record: RawRecord, study: Any) -> Reimport:
    from generator.importers import ctgov

    issues = []
    for change in ctgov.registry_changes(record.data, study):
        line, column = record.locate(change.field)
        issues.append(Issue(record.path, line, column, ".".join(change.field), change.message))
    return Reimport(record, issues)
