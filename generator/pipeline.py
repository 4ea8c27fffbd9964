"""The whole pipeline in order: load -> validate -> model -> collate -> render -> write.

Every record is checked before anything is rendered, and pages are rendered (on every core
when there are many) into a staging folder whose files are moved into place only when all of
them rendered, so a bad record or a failing template never leaves a half-generated site, and
the pages are never all held in memory.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from generator.cache import (
    RECORD_CACHE,
    STATE_FILE,
    Saved,
    State,
    Stats,
    cache_entry,
    combined_digest,
    output_stats,
    read_shard,
    read_state,
    record_digests,
    save_record_cache,
    save_state,
    shard_of,
    site_digest,
)
from generator.collate import Site, collate_site
from generator.errors import Issue, ValidationFailed
from generator.load import (
    LoadResult,
    RawRecord,
    load_file,
    load_records,
    load_repository,
    load_site_url,
    record_paths,
)
from generator.model import (
    Editorial,
    GlossaryTerm,
    Study,
    build_editorial,
    build_study,
    pack,
    record_json,
    with_printed,
)
from generator.report import curation_warnings
from generator.write import FileStat, Staging, owned_stats, write_if_changed

if TYPE_CHECKING:
    from generator.render import PagePlan

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
    record_cache: Path | None = None
    """Where generate keeps parsed records between runs (None: parse every record every run)."""

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
            record_cache=root / RECORD_CACHE,
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


def _cited_names(paths: Paths) -> set[str]:
    """File names of the records the editorial files may cite: every text in them that names
    a record file. They are kept whole by a lean load (the numbers the editorial files quote
    are checked against all of a cited record's data); naming too many only keeps more."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            names.add(f"{value}.yaml")
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (paths.key_messages, paths.notes):
        loaded = load_file(path) if path.exists() else None
        if isinstance(loaded, RawRecord):
            walk(loaded.data)
    return names


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


def collate(
    paths: Paths,
    loaded: LoadResult | None = None,
    record_issues: dict[Path, list[Issue]] | None = None,
    studies: Mapping[Path, Study] | None = None,
) -> Site:
    """Check the records and the glossary together (all problems at once), then collate.

    `loaded`: the records when the caller has already read them (each is parsed once);
    `record_issues`: what the per-record rules found for some of them (see validate_records);
    `studies`: the studies already built from some of them (lean records, see _load).
    """
    with _no_cycle_collection():
        return _collate(paths, loaded or load_records(paths.studies), record_issues, studies)


@dataclass(frozen=True)
class CheckReport:
    """What `check` found: the collated site (None when invalid), problems and warnings."""

    site: Site | None
    problems: list[Issue]
    warnings: list[Issue]


def check(paths: Paths, today: date) -> CheckReport:
    """Validate everything, reading each record once, plus the curation warnings."""
    loaded = _load(paths, None, default_jobs())
    warnings = curation_warnings(loaded.result.records, today)
    try:
        return CheckReport(collate(paths, loaded.result, loaded.record_issues), [], warnings)
    except ValidationFailed as failed:
        return CheckReport(None, failed.issues, warnings)


def _collate(
    paths: Paths,
    loaded: LoadResult,
    record_issues: dict[Path, list[Issue]] | None,
    built: Mapping[Path, Study] | None,
) -> Site:
    from generator.validate import validate_records

    problems: list[Issue] = []
    problems += loaded.issues + validate_records(loaded.records, record_issues)
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
    built = built or {}
    studies = [built.get(r.path) or build_study(r.data, r.printed) for r in loaded.records]
    return collate_site(
        studies, glossary, editorial, site_url=site_url, repository=repository or ""
    )


@dataclass
class Memory:
    """What a long-running process (serve) keeps between regenerates: each record that passed
    its own rules, as the last run whose records passed every rule read it, with its study,
    by file name. A record whose file digest is unchanged is taken from here instead of the
    record cache on disk, so an edit re-reads one file and one cache shard, not all of them;
    the rules across records still run on every record each time, as with the disk cache.

    Valid only within one process (the same code); the output is the same as without it."""

    records: dict[str, tuple[str, RawRecord, Study]] = field(default_factory=dict)
    """file name -> (file digest, the record as the cross-record rules read it, its study)"""


def generate_site(
    paths: Paths, jobs: int | None = None, memory: Memory | None = None
) -> GenerateReport:
    """Check, render page by page into staging, then move in the pages that changed.

    Skipped when the inputs and the generated files are exactly as the last run left them.
    Otherwise, when only records changed, pages of one study whose inputs are unchanged and
    whose files are as the last run left them are not rendered again (see cache.py).
    jobs: processes that render pages (default: default_jobs()); the output is the same.
    memory: kept by the caller between runs (see Memory); updated once every record has
    passed every rule (a run that finds a problem leaves it as it was).
    """
    inputs = [paths.glossary, paths.config, paths.key_messages, paths.notes]
    site_inputs = site_digest(inputs) if paths.state else None
    records = record_digests(paths.studies) if paths.state else None
    digest = combined_digest(site_inputs, records)
    state = read_state(paths.state) if paths.state and digest else None
    now: Stats = {}
    found: dict[PurePosixPath, FileStat] | None = None  # the generated files, looked at
    if state is not None and digest:  # once for the whole run (40,000 files take 0.5 s)
        found = owned_stats(paths.content)
        now = output_stats(paths.root, paths.content, [paths.abbreviations], found)
        unchanged = _unchanged_since_last_run(state, digest, now)
        if unchanged:
            return unchanged
    previous = state if state is not None and state.site_inputs == site_inputs else None
    if previous is None:  # every page is rendered: free what the last run left (27 MB at
        state, now = None, {}  # 10,000 records) before the run's peak
    with _no_cycle_collection():
        report, pages, after = _generate(
            paths, records, previous, now, found, default_jobs() if jobs is None else jobs, memory
        )
    if paths.state and digest and site_inputs:
        outputs = output_stats(paths.root, paths.content, [paths.abbreviations], after)
        save_state(paths.state, State(digest, outputs, asdict(report), site_inputs, pages))
    return report


def fill_memory(paths: Paths, memory: Memory, jobs: int | None = None) -> None:
    """Read the records into memory (from the record cache where it has them) and compile
    the page templates, when memory is empty because the process's first run found nothing
    changed and so read nothing: its first regenerate then costs what later ones do. Only
    records that pass their own rules are kept; the rules across records run on every
    regenerate all the same. A no-op on a memory a run has filled."""
    from generator.render import environment

    if memory.records:
        return
    env = environment()
    for name in env.list_templates(filter_func=lambda name: name.endswith(".j2")):
        env.get_template(name)
    if paths.state and paths.studies.is_dir():
        records = record_digests(paths.studies)
        with _no_cycle_collection():
            loaded = _load(paths, records, default_jobs() if jobs is None else jobs, lean=True)
        _remember(memory, loaded, records)


def _remember(memory: Memory, loaded: Loaded, records: dict[str, str] | None) -> None:
    """Keep in memory what this run read of each record that passed its own rules."""
    if records is not None:
        memory.records = {
            r.path.name: (records[r.path.name], r, loaded.studies[r.path])
            for r in loaded.result.records
            if r.path in loaded.studies and r.path.name in records
        }


def _unchanged_since_last_run(state: State, digest: str, now: Stats) -> GenerateReport | None:
    if state.inputs != digest or now != state.outputs:
        return None
    try:
        last = GenerateReport(**state.summary)
    except TypeError:
        return None
    return replace(last, written=0, removed=0, unchanged=last.files, skipped=True)


@dataclass(frozen=True)
class Loaded:
    """What _load read: the records and problems, what the per-record rules found (by path),
    the studies built on the way (lean loads), and the record-cache shards to rewrite after
    a successful run (shard -> file name -> entry text)."""

    result: LoadResult
    record_issues: dict[Path, list[Issue]]
    studies: dict[Path, Study]
    cache_shards: dict[int, dict[str, str | None]]


def _load(
    paths: Paths,
    records: dict[str, str] | None,
    jobs: int,
    *,
    lean: bool = False,
    memory: Memory | None = None,
) -> Loaded:
    """Read and check every record (the per-record rules), in parallel when there are many.

    Unchanged records come from the parsed-record cache, a shard at a time; it holds only
    records that passed every rule under the same code, so their per-record rules are not run
    again. records: each record file's digest (the cache is used only with them).

    lean: each record that passed its own rules is turned into its study at once and kept
    only as what the rules across records read (validate.for_cross_rules), so the whole data
    of every record is never held together (450 MB at 10,000 records); records the editorial
    files cite stay whole.

    memory (lean loads only): a shard whose every record is in it, unchanged, is taken from
    it and not read; the others are read as without it."""
    names, problems = record_paths(paths.studies)
    folder = paths.record_cache if records and paths.studies.is_dir() else None
    digests = records or {}
    found: dict[Path, RawRecord | Issue] = {}
    record_issues: dict[Path, list[Issue]] = {}
    studies: dict[Path, Study] = {}
    shards: dict[int, dict[str, str | None]] = {}  # the stale ones, to rewrite
    todo: list[Path] = []
    whole = _cited_names(paths) if lean else set()

    def keep(
        path: Path,
        record: RawRecord,
        issues: list[Issue],
        line: bytes = b"",
        pieces: Mapping[str, bytes] | None = None,
    ) -> None:
        record_issues[path] = issues
        if lean and not issues:
            from generator.validate import for_cross_rules

            studies[path] = _with_pieces(build_study(record.data, record.printed, line), pieces)
            if path.name not in whole:
                record = for_cross_rules(record)
        found[path] = record

    def remembered(path: Path) -> tuple[RawRecord, Study] | None:
        """The record and study memory holds for path, if its file is unchanged and the
        record is kept in the form this run needs (whole when the editorial files cite it)."""
        kept = memory.records.get(path.name) if memory is not None and lean else None
        if kept is None or not folder or kept[0] != digests.get(path.name):
            return None
        return (kept[1], kept[2]) if kept[1].lean == (path.name not in whole) else None

    by_shard: dict[int, list[Path]] = {}
    for path in names:
        by_shard.setdefault(shard_of(path.name) if folder else 0, []).append(path)
    for shard, members in sorted(by_shard.items()):
        if folder is None:  # no cache: every record is read
            todo += members
            continue
        kept = [remembered(path) for path in members]
        if all(kept):  # nothing new in this shard: its file on disk is left as it is
            for path, both in zip(members, kept, strict=True):
                assert both is not None
                record_issues[path], (found[path], studies[path]) = [], both
            continue
        cached = read_shard(folder, shard, paths.studies)
        keys = {path: (path.name, digests.get(path.name, "")) for path in members}
        if set(keys.values()) != cached.keys():
            shards[shard] = {}  # stale: rewritten after a successful run
        for path in members:
            hit = cached.get(keys[path])
            if hit is None:
                todo.append(path)
                continue
            record, (saved, pieces) = hit
            if shard in shards:
                shards[shard][path.name] = cache_entry(*keys[path], record)
            # (cached only after passing every rule)
            keep(path, record, [], saved if lean else b"", pieces)
    todo.sort()
    items = [(path, digests.get(path.name) if folder else None, lean) for path in todo]
    for path, (read, issues, entry, line) in zip(
        todo, _map(_read_and_check, items, jobs), strict=True
    ):
        if isinstance(read, Issue):
            found[path] = read
            continue
        if shard_of(path.name) in shards:
            shards[shard_of(path.name)][path.name] = entry
        keep(path, read, issues, line)
    loaded: list[RawRecord] = []
    for path in names:
        item = found[path]
        if isinstance(item, Issue):
            problems.append(item)
        else:
            loaded.append(item)
    return Loaded(LoadResult(loaded, problems), record_issues, studies, shards)


RESULTS_PIECE = "results_csv"
"""The name a study's results rows are kept under in its record-cache entry."""


def _with_pieces(study: Study, pieces: Mapping[str, bytes] | None) -> Study:
    """The study with the texts made from it alone that site-wide downloads join (its rows
    of the results download), packed: from the record cache when it has them, else made."""
    from generator.export import result_rows

    rows = (pieces or {}).get(RESULTS_PIECE) or pack(result_rows(study))
    return replace(study, results_packed=rows)


def _saved(study: Study) -> Saved:
    """What the record cache keeps of a study (see cache.Saved)."""
    return study.record_packed, {RESULTS_PIECE: study.results_packed}


def _read_and_check(
    item: tuple[Path, str | None, bool],
) -> tuple[RawRecord | Issue, list[Issue], str | None, bytes]:
    """One record file read and put through the per-record rules (run in a worker).

    item: the file, its digest when the record cache is kept, and whether the load is lean.
    Returns the record (or why it could not be read), the problems found, and, for a record
    that passed, its cache entry (when a digest was given) and, when lean, its line of the
    dataset download, packed (made here, where the work is spread over the workers)."""
    path, digest, lean = item
    found = load_file(path)
    if isinstance(found, Issue):
        return found, [], None, b""
    from generator.validate import check_record

    issues = check_record(found)
    if issues:
        return found, issues, None, b""
    # A record that passed goes back without its text (half of what would be sent): should a
    # rule across records find a problem in it, its file is read again to locate it.
    entry = cache_entry(path.name, digest, found) if digest is not None else None
    line = pack(record_json(with_printed(found.data, found.printed))) if lean else b""
    return replace(found, text=None), [], entry, line


def _generate(
    paths: Paths,
    records: dict[str, str] | None,
    previous: State | None,
    now: Stats,
    found: dict[PurePosixPath, FileStat] | None,
    jobs: int,
    memory: Memory | None = None,
) -> tuple[GenerateReport, dict[str, str], dict[PurePosixPath, FileStat]]:
    """Render and write; returns the report, for the pages that read only part of the
    records what each read, and the generated files left on disk with their stat. now: the
    generated files on disk (sizes and times); found: the same, as write.owned_stats gives
    them (None: not looked at yet)."""
    loaded = _load(paths, records, jobs, lean=True, memory=memory)
    site = collate(paths, loaded.result, loaded.record_issues, loaded.studies)
    if memory is not None:
        _remember(memory, loaded, records)
    from generator.render import page_inputs, page_plan, render_abbreviations

    by_id: dict[str, str] = {}
    if records is not None:  # ids are valid and unique now
        by_id = {str(r.data["id"]): records.get(r.path.name, "") for r in loaded.result.records}
    reused = _reusable_outputs(paths, previous, now)
    pages: dict[str, str] = {}
    plan: list[PagePlan] = []
    todo: list[int] = []  # indexes into plan of the pages to render
    for path, template, context in page_plan(site):
        inputs = None
        if len(by_id) == len(site.studies):
            inputs = page_inputs(site, path, template, context, by_id)
        if inputs is not None:
            key = hashlib.blake2b(inputs.encode(), digest_size=16).hexdigest()
            pages[str(path)] = key
            if previous and previous.pages.get(str(path)) == key and str(path) in reused:
                plan.append((path, template, {}))  # rendered by the last run, left as it was
                continue
        todo.append(len(plan))
        plan.append((path, template, context))

    abbreviations = render_abbreviations(site)
    with Staging(paths.content, found) as staging:
        changed = _render(site, plan, todo, jobs, staging)
        staged = [
            plan[index][0] for index, was_staged in zip(todo, changed, strict=True) if was_staged
        ]
        report = staging.commit([path for path, _, _ in plan], staged)
        after = staging.files_after()
    wrote_abbr = write_if_changed(paths.abbreviations, abbreviations)
    if loaded.cache_shards and paths.record_cache:
        by_name = {path.name: study for path, study in loaded.studies.items()}
        save_record_cache(paths.record_cache, loaded.cache_shards, lambda n: _saved(by_name[n]))
    summary = GenerateReport(
        records=len(site.studies),
        files=report.written + report.unchanged + 1,  # + the abbreviation list
        written=report.written + int(wrote_abbr),
        unchanged=report.unchanged + int(not wrote_abbr),
        removed=report.removed,
        latest_review=max((s.last_reviewed for s in site.studies), default="1970-01-01"),
    )
    return summary, pages, after


PARALLEL_FROM = 400
"""A site of fewer pages than this is rendered in this process (a pool costs ~0.1 s)."""
READ_PARALLEL_FROM = 100
"""Fewer records than this to read are read in this process (a record takes ~3 ms)."""
_WORK: tuple[Site, list[PagePlan], Staging] | None = None
"""What the render workers render: set before the pool forks, so they inherit it."""


def default_jobs() -> int:
    """Worker processes (reading records, rendering pages): $GENERATOR_JOBS when set, else one
    per core this process may use."""
    value = os.environ.get("GENERATOR_JOBS", "")
    if value.strip().isdigit():
        return max(1, int(value))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render(
    site: Site, plan: list[PagePlan], todo: list[int], jobs: int, staging: Staging
) -> list[bool]:
    """Render plan[i] for i in todo and stage it where its bytes changed, by up to jobs
    processes; returns, in todo's order, which pages were staged.

    Each page is rendered from the same site data whichever process renders it, so the
    output equals a single-process run's."""
    from generator.render import environment

    global _WORK
    # The site-wide pages grow with the site, so a large site is rendered in parallel even
    # when few of its pages changed (one edit re-renders every list, table and export).
    if jobs <= 1 or len(plan) < PARALLEL_FROM or len(todo) < 2 * jobs or not _forkable():
        return [_stage(site, plan[index], staging) for index in todo]
    for template in sorted({plan[index][1] for index in todo}):
        if not template.startswith(":"):
            environment().get_template(template)  # compiled once, before the workers fork
    _WORK = (site, plan, staging)
    try:
        chunk = max(1, min(16, len(todo) // (4 * jobs)))  # small batches balance big pages
        return list(_forked_map(_stage_at, todo, jobs, chunksize=chunk))
    finally:
        _WORK = None


def _stage(site: Site, planned: PagePlan, staging: Staging) -> bool:
    from generator.render import render_one

    path, template, context = planned
    return staging.stage(path, render_one(site, path, template, context))


def _stage_at(index: int) -> bool:
    assert _WORK is not None
    site, plan, staging = _WORK
    return _stage(site, plan[index], staging)


T = TypeVar("T")
R = TypeVar("R")


def _map(function: Callable[[T], R], items: list[T], jobs: int) -> Iterator[R]:
    """function(item) for each item, in order, by up to jobs forked processes when there are
    many (the output is the same either way). Lazy: each result can be dropped once used (at
    10,000 records, all the parsed records at once would be 450 MB)."""
    if jobs <= 1 or len(items) < READ_PARALLEL_FROM or not _forkable():
        return map(function, items)
    from generator.validate import warm_up

    warm_up()  # the compiled schema, built once here rather than once per worker
    # Batches of a quarter of a worker's share: few round trips, and the field names the
    # loader shares stay shared within a batch (pickling keeps that; no saving was measured).
    return _forked_map(function, items, jobs, chunksize=max(8, len(items) // (4 * jobs)))


def _forkable() -> bool:
    # Forking is safe only while this process runs no other thread (a lock held by one would
    # stay locked in the children): with threads, or without fork, work here.
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _forked_map(
    function: Callable[[T], R], items: list[T], jobs: int, chunksize: int
) -> Iterator[R]:
    """function over items in a pool of forked workers (which inherit this process's data),
    in order; the workers are stopped on an error or when the caller stops early."""
    pool = mp.get_context("fork").Pool(jobs, initializer=_worker_signals)
    try:
        yield from pool.imap(function, items, chunksize=chunksize)
        pool.close()  # all done: let the workers finish on their own
    finally:
        pool.terminate()  # on an error: stop them now (a no-op once closed and done)
        pool.join()


def _worker_signals() -> None:
    """Workers die on SIGTERM (the parent's handler, inherited by fork, would turn it into an
    exception there, and Pool.terminate would wait forever) and leave Ctrl-C to the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _reusable_outputs(paths: Paths, previous: State | None, now: Stats) -> set[str]:
    """Generated files (paths in the content folder) exactly as the last run left them."""
    if previous is None or not previous.pages:
        return set()
    content = paths.content.relative_to(paths.root).as_posix()
    return {
        rel.removeprefix(content + "/")
        for rel, stat in now.items()
        if previous.outputs.get(rel) == stat
    }


def _get_id(record: RawRecord) -> object:
    return record.data.get("id") if isinstance(record.data, dict) else None
