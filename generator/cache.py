"""No-change shortcut: skip a regenerate when neither its inputs nor its outputs changed.

Loading, validating and rendering every record takes seconds at thousands of records, and
`make serve`, `make site` and CI regenerate far more often than records change. After each
successful generate, a small state file (.generator-state.json) remembers a digest of every
input (the bytes of the records, the glossary and mkdocs.yml, and of the generator's own
code, templates and schema, plus the versions of the libraries that decide what is valid and
how it renders) and the size and modification time of every file the generator owns in the
output. When all of that is the same, there is nothing to do. Any difference, including a
generated page edited or deleted by hand, means a full run, which then writes only the pages
whose bytes differ.

Incremental runs: the state also keeps, for every page that reads only some records (a
study's page and citation files, an outcome, condition or cell-type page), a digest of what
that page reads (render.page_inputs), with the digest of the site-wide inputs (code,
glossary, config, editorial files). When the site-wide inputs are the same, a page whose
inputs are the same and whose file is as the last run left it is not rendered again. Parsed
records are kept as JSON under .cache/, keyed by file name and digest, so an unchanged record
is not parsed again, nor are the texts made from it alone made again (its entry holds its
line of the dataset download and its rows of the results download: see Saved). The cache is
data, never code (no pickle), and an entry counts only while its file has the same inode and
modification time as when it was written: a cache file that came with a checkout (say,
committed in a pull request) can never stand in for the records beside it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from generator.load import MAX_BYTES, RawRecord, share_text
from generator.write import FileStat, file_stat, owned_stats, write_if_changed

STATE_FILE = ".generator-state.json"
"""Where the state is kept, relative to the project folder (git-ignored)."""
RECORD_CACHE = Path(".cache") / "records"
"""Parsed records, relative to the project folder (git-ignored with .cache/), in SHARDS JSON
files by a hash of the record's file name: an edit rewrites one small file, not the whole
cache, and a first run creates a few files, not one per record (creating a file costs up to
half a millisecond on the machines measured)."""
SHARDS = 32
VERSION = 2
LIBRARIES = ("jinja2", "jsonschema", "jsonschema-rs", "PyYAML")
"""Libraries whose version can change what is accepted or what is written."""

Stats = dict[str, FileStat]


@dataclass(frozen=True)
class State:
    """What the last successful generate read (a digest) and wrote (sizes and times)."""

    inputs: str
    outputs: Stats
    summary: dict[str, Any]
    site_inputs: str = ""
    """Digest of everything but the records (code, glossary, config, editorial files)."""
    pages: dict[str, str] = field(default_factory=dict)
    """For each per-study page (path in the content folder): digest of what it reads."""


def input_digest(studies: Path, files: list[Path]) -> str | None:
    """Digest of everything a generate reads (the records and other files, e.g. the glossary
    and mkdocs.yml); None when something cannot be read."""
    return combined_digest(site_digest(files), record_digests(studies))


def combined_digest(site: str | None, records: dict[str, str] | None) -> str | None:
    """One digest of the site-wide inputs and every record file (None if either is None)."""
    if site is None or records is None:
        return None
    digest = hashlib.blake2b(site.encode(), digest_size=20)
    for name, record in records.items():
        digest.update(f"\0{name}\0{record}".encode())
    return digest.hexdigest()


def site_digest(files: list[Path]) -> str | None:
    """Digest of the generator's code and the site-wide input files; None when unreadable."""
    digest = hashlib.blake2b(_code_digest().encode(), digest_size=20)
    try:
        for path in files:
            if not path.exists():  # optional inputs (key messages, notes) may be absent
                digest.update(f"\0{path.name}\0absent\0".encode())
                continue
            data = path.read_bytes()
            digest.update(f"\0{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def record_digests(studies: Path) -> dict[str, str] | None:
    """Digest of each candidate record file by name, in name order; None when unreadable."""
    try:
        # Every candidate name, as the loader sees them (*.yml files are reported as errors).
        names = sorted(
            p.name
            for pattern in ("*.yaml", "*.yml")
            for p in studies.glob(pattern)
            if not p.name.startswith(".")
        )
        return {name: file_digest(studies / name) for name in names}
    except OSError:
        return None


def file_digest(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _file_stamp(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_ino, info.st_mtime_ns, info.st_size]


Saved = tuple[bytes, dict[str, bytes]]
"""What the cache keeps of a record, packed (model.pack): its data as JSON text (the record's
line of the dataset download, which read_shard parses) and texts made from the record alone,
by name (its rows of the results download), so that an unchanged record's are neither made
nor packed again. Kept in the shard as base64 text: a third of the size of the plain text."""
MAX_UNPACKED = 4 * MAX_BYTES
"""A packed text that unpacks to more than this is refused (a record is at most MAX_BYTES of
YAML; its JSON is about as long)."""


def read_shard(
    folder: Path, shard: int, studies: Path
) -> dict[tuple[str, str], tuple[RawRecord, Saved]]:
    """Parsed records from earlier runs in one shard, by (file name, file digest), each with
    what else was saved of it (Saved); {} when none is usable. (Read a shard at a time: the
    parsed data of every record at once would be 450 MB at 10,000 records.)

    An entry is used only while its file has the inode, modification time and size it had
    when the entry was written (and so the bytes it was parsed from: the record keeps no copy
    of its text, and reads the file again if a problem has to be located in it)."""
    found: dict[tuple[str, str], tuple[RawRecord, Saved]] = {}
    try:
        cached = json.loads((folder / f"{shard:02d}.json").read_bytes())
        if cached["version"] != _code_digest():
            return {}
        entries = cached["records"].items()
    except (OSError, KeyError, TypeError, ValueError, AttributeError, RecursionError):
        return {}
    for name, entry in entries:
        try:
            digest, stamp = str(entry["digest"]), entry["stamp"]
            if "/" in name or shard_of(name) != shard or stamp != _file_stamp(studies / name):
                continue
            printed = {tuple(where): str(text) for where, text in entry["printed"]}
            line = base64.b64decode(entry["data"], validate=True)
            data = json.loads(_unpacked(line))
            if not isinstance(data, dict) or not isinstance(entry["pieces"], dict):
                continue
            pieces = {
                str(key): base64.b64decode(text, validate=True)
                for key, text in entry["pieces"].items()
            }
            for piece in pieces.values():
                _unpacked(piece)  # refuses a damaged one now, not when it is used
            share_text(data)  # as the parser does (130 MB at 10,000 records)
            record = RawRecord(studies / name, data, printed=printed)
        except (KeyError, TypeError, ValueError, RecursionError, zlib.error):
            continue
        found[(name, digest)] = (record, (line, pieces))
    return found


def _unpacked(packed: bytes) -> str:
    """The text a packed entry holds; ValueError when it is longer than MAX_UNPACKED."""
    unpacker = zlib.decompressobj()
    text = unpacker.decompress(packed, MAX_UNPACKED)
    if unpacker.unconsumed_tail or not unpacker.eof:
        raise ValueError("packed text too long or cut short")
    return text.decode("utf-8")


def cache_entry(name: str, digest: str, record: RawRecord) -> str | None:
    """A record's cache entry as JSON text without its data and pieces, which
    save_record_cache adds (Saved: the study's packed dataset line, whose JSON writes some
    numbers with more digits and reads back as the same values, and its packed results
    rows). None when it cannot be cached."""
    stamp = _file_stamp(record.path)
    if stamp is None or "/" in name:
        return None
    printed = [[list(where), text] for where, text in record.printed.items()]
    head = json.dumps({"digest": digest, "stamp": stamp, "printed": printed}, ensure_ascii=False)
    return f"{json.dumps(name)}: {head[:-1]}"


def save_record_cache(
    folder: Path, shards: Mapping[int, Mapping[str, str | None]], saved: Callable[[str], Saved]
) -> None:
    """Rewrite the given shards with their entries (file name -> cache_entry text; None:
    not cached) and what else is kept of each record (saved(file name)); a shard left with
    none is deleted. (The data is the text the dataset download holds: not kept twice.)"""
    folder.mkdir(parents=True, exist_ok=True)
    version = json.dumps(_code_digest())
    for shard, by_name in sorted(shards.items()):
        entries = [
            f"{entry}, {_saved_json(saved(name))}}}"
            for name, entry in sorted(by_name.items())
            if entry is not None
        ]
        path = folder / f"{shard:02d}.json"
        if not entries:
            path.unlink(missing_ok=True)
            continue
        write_if_changed(path, f'{{"version": {version}, "records": {{{", ".join(entries)}}}}}\n')


def _saved_json(saved: Saved) -> str:
    line, pieces = saved
    texts = {key: base64.b64encode(piece).decode("ascii") for key, piece in pieces.items()}
    return (
        f'"data": "{base64.b64encode(line).decode("ascii")}", '
        f'"pieces": {json.dumps(texts, sort_keys=True)}'
    )


def shard_of(name: str) -> int:
    """The shard that holds a record file's entry."""
    return hashlib.blake2b(name.encode(), digest_size=2).digest()[0] % SHARDS


def output_stats(
    root: Path,
    content: Path,
    extra: list[Path],
    found: Mapping[PurePosixPath, FileStat] | None = None,
) -> Stats:
    """Size and modification time of every generated file now on disk, by path from root.
    found: the content folder's generated files and their stat (write.owned_stats), when
    the caller has them; else they are looked up."""
    prefix = content.relative_to(root).as_posix()
    stats: Stats = {
        f"{prefix}/{rel}": info
        for rel, info in (owned_stats(content) if found is None else found).items()
    }
    for path in extra:
        if path.is_file():
            info = path.stat()
            stats[path.relative_to(root).as_posix()] = file_stat(info)
    return stats


def read_state(path: Path) -> State | None:
    """The saved state, or None when there is none usable (missing, old format, damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            return None
        outputs = {k: (int(v[0]), int(v[1])) for k, v in data["outputs"].items()}
        pages = {str(k): str(v) for k, v in data.get("pages", {}).items()}
        return State(
            str(data["inputs"]),
            outputs,
            dict(data["summary"]),
            str(data.get("site_inputs", "")),
            pages,
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def save_state(path: Path, state: State) -> None:
    body = {
        "version": VERSION,
        "inputs": state.inputs,
        "summary": state.summary,
        "site_inputs": state.site_inputs,
        "outputs": {k: list(v) for k, v in sorted(state.outputs.items())},
        "pages": dict(sorted(state.pages.items())),
    }
    write_if_changed(path, json.dumps(body, indent=0) + "\n")


def code_files() -> list[Path]:
    """The generator's own files that decide its output: source, templates, schema."""
    package = Path(__file__).resolve().parent
    return sorted(
        path
        for path in package.rglob("*")
        if path.suffix in (".py", ".j2", ".json") and "__pycache__" not in path.parts
    )


@cache
def _code_digest() -> str:
    """The generator's source, templates and schema, the library versions and Python's."""
    digest = hashlib.blake2b(digest_size=20)
    package = Path(__file__).resolve().parent
    for path in code_files():
        digest.update(f"\0{path.relative_to(package).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{name}={version}".encode())
    digest.update(f"\0python={sys.version_info[:2]}".encode())
    return digest.hexdigest()
