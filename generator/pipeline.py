"""The whole pipeline in order: load -> validate -> model -> collate -> render -> write.

Every record is checked before anything is rendered, and pages are rendered one at a time
into a staging folder that is moved into place only when all of them rendered, so a bad
record or a failing template never leaves a half-generated site, and the pages are never all
held in memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from generator.cache import STATE_FILE, State, input_digest, output_stats, read_state, save_state
from generator.collate import Site, collate_site
from generator.errors import Issue, ValidationFailed
from generator.load import RawRecord, load_file, load_records, load_repository, load_site_url
from generator.model import Editorial, GlossaryTerm, Study, build_editorial, build_study
from generator.report import curation_warnings
from generator.write import write_if_changed, write_pages

# The validate and render stages (jsonschema, Jinja) are imported where they run: a no-change
# regenerate needs neither, and their imports were half of its time at 1,000 records.


@dataclass(frozen=True)
class Paths:
    """Where the pipeline reads and writes."""

    root: Path
    studies: Path
    content: Path
    glossary: Path
    abbreviations: Path
    config: Path
    key_messages: Path
    notes: Path
    state: Path | None = None
    """Where generate remembers its last run, to skip a run when nothing changed (None: never)."""

    @classmethod
    def from_root(cls, root: Path) -> Paths:
        """The standard layout; MkDocs reads `content/` (docs_dir in mkdocs.yml)."""
        return cls(
            root=root,
            studies=root / "studies",
            content=root / "content",
            glossary=root / "data" / "glossary.yaml",
            abbreviations=root / "includes" / "abbreviations.md",
            config=root / "mkdocs.yml",
            key_messages=root / "data" / "key-messages.yaml",
            notes=root / "data" / "notes.yaml",
            state=root / STATE_FILE,
        )


@dataclass(frozen=True)
class GenerateReport:
    records: int
    files: int
    written: int
    unchanged: int
    removed: int
    latest_review: str
    skipped: bool = False
    """True when nothing had changed since the last run, so nothing was loaded or rendered."""


def check_records(paths: Paths) -> list[Study]:
    """Load and validate every record; raise ValidationFailed listing all problems."""
    return [build_study(r.data, r.printed) for r in _checked_records(paths)]


def _checked_records(paths: Paths) -> list[RawRecord]:
    from generator.validate import validate_records

    loaded = load_records(paths.studies)
    issues = loaded.issues + validate_records(loaded.records)
    if issues:
        raise ValidationFailed(issues)
    return loaded.records


def load_editorial(paths: Paths, records: list[RawRecord]) -> Editorial:
    """Load and validate the key messages and site notes against the records they cite.

    Either file may be absent (a new project, a test corpus): the pages then go without.
    """
    from generator.validate import validate_key_messages, validate_notes

    by_id = {r.data["id"]: r for r in records if isinstance(_get_id(r), str)}
    problems: list[Issue] = []
    data: list[dict[str, Any]] = []
    for path, rule in ((paths.key_messages, validate_key_messages), (paths.notes, validate_notes)):
        if not path.exists():
            data.append({})
            continue
        loaded = load_file(path)
        if isinstance(loaded, Issue):
            problems.append(loaded)
            data.append({})
            continue
        problems += rule(loaded, by_id)
        data.append(loaded.data if isinstance(loaded.data, dict) else {})
    if problems:
        raise ValidationFailed(problems)
    return build_editorial(data[0], data[1])


def review(paths: Paths, today: date) -> tuple[list[Issue], list[Issue]]:
    """The curation to-do list, also for invalid records: (fields to fill in, warnings)."""
    from generator.validate import check_placeholders

    loaded = load_records(paths.studies)
    marked = [issue for record in loaded.records for issue in check_placeholders(record)]
    return loaded.issues + marked, curation_warnings(loaded.records, today)


def load_glossary(path: Path) -> tuple[GlossaryTerm, ...]:
    """Load and validate the glossary file; raise ValidationFailed on problems."""
    loaded = load_file(path)
    if isinstance(loaded, Issue):
        raise ValidationFailed([loaded])
    from generator.validate import validate_glossary

    issues = validate_glossary(loaded)
    if issues:
        raise ValidationFailed(issues)
    return tuple(
        GlossaryTerm(t["term"], t["expansion"], t["definition"], tuple(t.get("sources", ())))
        for t in loaded.data["terms"]
    )


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the pipeline builds its data.

    Records, studies and pages are trees, freed by reference counting; the collector only
    re-scans them, more often the more there are. Measured at 10,000 records: 8 of 29 s CPU.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collate(paths: Paths) -> Site:
    """Check the records and the glossary together (all problems at once), then collate."""
    with _no_cycle_collection():
        return _collate(paths)


def _collate(paths: Paths) -> Site:
    from generator.validate import validate_records

    problems: list[Issue] = []
    loaded = load_records(paths.studies)
    problems += loaded.issues + validate_records(loaded.records)
    glossary: tuple[GlossaryTerm, ...] = ()
    try:
        glossary = load_glossary(paths.glossary)
    except ValidationFailed as failed:
        problems += failed.issues
    editorial = Editorial()
    try:
        editorial = load_editorial(paths, loaded.records)
    except ValidationFailed as failed:
        problems += failed.issues
    site_url, repository = load_site_url(paths.config), load_repository(paths.config)
    problems += [found for found in (site_url, repository) if isinstance(found, Issue)]
    if problems:
        raise ValidationFailed(problems)
    assert isinstance(site_url, str)
    assert not isinstance(repository, Issue)
    studies = [build_study(r.data, r.printed) for r in loaded.records]
    return collate_site(
        studies, glossary, editorial, site_url=site_url, repository=repository or ""
    )


def generate_site(paths: Paths) -> GenerateReport:
    """Check, render page by page into staging, then move in the pages that changed.

    Skipped when the inputs and the generated files are exactly as the last run left them.
    """
    inputs = [paths.glossary, paths.config, paths.key_messages, paths.notes]
    digest = input_digest(paths.studies, inputs) if paths.state else None
    if paths.state and digest:
        unchanged = _unchanged_since_last_run(paths, paths.state, digest)
        if unchanged:
            return unchanged
    with _no_cycle_collection():
        report = _generate(paths)
    if paths.state and digest:
        outputs = output_stats(paths.root, paths.content, [paths.abbreviations])
        save_state(paths.state, State(digest, outputs, asdict(report)))
    return report


def _unchanged_since_last_run(paths: Paths, state_file: Path, digest: str) -> GenerateReport | None:
    state = read_state(state_file)
    if state is None or state.inputs != digest:
        return None
    if output_stats(paths.root, paths.content, [paths.abbreviations]) != state.outputs:
        return None
    try:
        last = GenerateReport(**state.summary)
    except TypeError:
        return None
    return replace(last, written=0, removed=0, unchanged=last.files, skipped=True)


def _generate(paths: Paths) -> GenerateReport:
    site = collate(paths)
    from generator.render import iter_pages, render_abbreviations

    abbreviations = render_abbreviations(site)
    report = write_pages(iter_pages(site), paths.content)
    wrote_abbr = write_if_changed(paths.abbreviations, abbreviations)
    return GenerateReport(
        records=len(site.studies),
        files=report.written + report.unchanged + 1,  # + the abbreviation list
        written=report.written + int(wrote_abbr),
        unchanged=report.unchanged + int(not wrote_abbr),
        removed=report.removed,
        latest_review=max((s.last_reviewed for s in site.studies), default="1970-01-01"),
    )


def _get_id(record: RawRecord) -> object:
    return record.data.get("id") if isinstance(record.data, dict) else None
