"""Write stage: put rendered pages on disk, touching only files whose bytes change.

The generator owns a fixed set of paths inside the content folder (see OWNED); hand-written
pages live beside them and are never touched. Pages of removed records disappear.

Pages arrive one at a time (rendering is a stream, so they are never all held in memory).
Each page whose bytes differ from the file on disk goes into a hidden staging folder beside
the content folder (same filesystem); only when every page has arrived without error are the
staged files moved into place (one os.replace each) and stale generated files deleted. On any
error the staging folder is removed and the content folder is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from generator.errors import WriteError

OWNED_DIRS = ("studies", "conditions", "cell-types", "outcomes", "downloads")
OWNED_FILES = (
    "index.md",
    "glossary.md",
    "evidence-map.md",
    "harms.md",
    "bibliography.md",
    "whats-new.md",
    "feed.xml",
    "record-format.md",
    "open-trials.md",
    "methods.md",
    "not-covered.md",
)


FileStat = tuple[int, int]
"""A file's size and modification time (ns): all a run compares. Two ints, not the whole
os.stat_result: at 40,000 generated files that saves 20 MB of the run's peak memory."""


def file_stat(info: os.stat_result) -> FileStat:
    return info.st_size, info.st_mtime_ns


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int


def owned_stats(content_dir: Path) -> dict[PurePosixPath, FileStat]:
    """Generated files currently on disk (relative to the content folder) and their stat.

    os.scandir, not Path.rglob: a walk over thousands of files is on the path of every run."""
    found: dict[PurePosixPath, FileStat] = {}
    for name in OWNED_FILES:
        try:
            info = os.stat(content_dir / name)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found[PurePosixPath(name)] = file_stat(info)
    folders = [name for name in OWNED_DIRS if (content_dir / name).is_dir()]
    while folders:
        folder = folders.pop()
        with os.scandir(content_dir / folder) as entries:
            for entry in entries:
                rel = f"{folder}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.append(rel)
                elif entry.is_file():
                    found[PurePosixPath(rel)] = file_stat(entry.stat())
    return found


STAGING_PREFIX = ".staging-"
"""Staging folders are named .<content folder>.staging-<random>, beside the content folder."""

Page = tuple[PurePosixPath, str | None]
"""A page's path and text; text None: the file on disk is current (an incremental run)."""


class Staging:
    """A hidden folder beside the content folder where changed pages wait until every page
    has been rendered; then `commit` moves them in and deletes stale generated files.

    Made before render workers fork, so that each worker stages the pages it renders (the
    pages never travel back to the parent, and the files are written on every core); `stage`
    reads only what the constructor set up. Use it as a context manager: leaving the block
    removes the staging folder, so on any error the content folder is left exactly as it was.
    """

    def __init__(
        self, content_dir: Path, on_disk: Mapping[PurePosixPath, FileStat] | None = None
    ) -> None:
        """on_disk: the generated files on disk now (owned_stats), when the caller has just
        looked (a walk over 40,000 files takes half a second); else they are looked up."""
        self.content_dir = content_dir
        remove_leftovers(content_dir.parent, f".{content_dir.name}{STAGING_PREFIX}")
        content_dir.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(
            tempfile.mkdtemp(dir=content_dir.parent, prefix=f".{content_dir.name}{STAGING_PREFIX}")
        )
        self.on_disk = owned_stats(content_dir) if on_disk is None else on_disk
        """Compare only with files that exist."""
        self._folders: set[Path] = set()
        self._after: dict[PurePosixPath, FileStat] | None = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def stage(self, rel: PurePosixPath, body: str | Iterable[str]) -> bool:
        """Stage one page unless the file on disk already holds exactly it; True if staged.

        body: the text, or its parts in order (a download too big to hold twice: the parts are
        written as they come and compared on the way with the file on disk)."""
        _check_owned(rel)
        if isinstance(body, str):
            if rel in self.on_disk and _holds(self.content_dir / rel, body):
                return False
            self._write(rel, [body])
            return True
        same = self._write(rel, body, compare=rel in self.on_disk)
        if same:
            (self.folder / rel).unlink()
        return not same

    def _write(self, rel: PurePosixPath, parts: Iterable[str], *, compare: bool = False) -> bool:
        """Write the parts to the staging folder; True when compare and the file on disk
        holds exactly the same bytes."""
        target = self.folder / rel
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        old = _open_if_file(self.content_dir / rel) if compare else None
        same = old is not None
        with target.open("wb") as out:
            try:
                for chunk in _encoded(parts):
                    out.write(chunk)
                    same = same and old is not None and old.read(len(chunk)) == chunk
                same = same and old is not None and old.read(1) == b""
            finally:
                if old is not None:
                    old.close()
        return same

    def commit(self, pages: list[PurePosixPath], staged: list[PurePosixPath]) -> WriteReport:
        """Move the staged pages in and delete generated files not among pages (all the
        pages of this run, staged or unchanged)."""
        seen = set(pages)
        if len(seen) != len(pages):
            twice = sorted(rel for rel in seen if pages.count(rel) > 1)[0]
            raise WriteError(f"two pages would be written to {twice}")
        _check_targets(staged, self.content_dir)
        _move_in(self.folder, staged, self.content_dir)
        stale = self.on_disk.keys() - seen
        for rel in sorted(stale):  # (missing_ok: on_disk may have been looked at earlier)
            (self.content_dir / rel).unlink(missing_ok=True)
        _remove_emptied_dirs(self.content_dir, stale)
        after = {rel: info for rel, info in self.on_disk.items() if rel not in stale}
        after.update((rel, file_stat(os.stat(self.content_dir / rel))) for rel in staged)
        self._after = after
        return WriteReport(len(staged), len(seen) - len(staged), len(stale))

    def files_after(self) -> dict[PurePosixPath, FileStat]:
        """After commit: the generated files on disk and their stat, as owned_stats would
        find them, without walking the folder again (the files this run left alone keep the
        stat they had before it: a file changed by hand meanwhile still shows as changed)."""
        if self._after is None:
            raise RuntimeError("files_after() before commit()")
        return self._after


_CHUNK = 1 << 20
"""Characters encoded at a time: a 100 MB download is never held twice (text and bytes)."""


def _encoded(parts: Iterable[str]) -> Iterator[bytes]:
    # UTF-8 encodes each character alone, so slices encode to the same bytes as the whole.
    for part in parts:
        for start in range(0, len(part), _CHUNK):
            yield part[start : start + _CHUNK].encode("utf-8")


def _open_if_file(path: Path) -> BinaryIO | None:
    try:
        return path.open("rb")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _holds(path: Path, body: str) -> bool:
    """True when the file holds exactly body's bytes (read a chunk at a time, after a size
    check where the length in bytes is known without encoding)."""
    old = _open_if_file(path)
    if old is None:
        return False
    with old:
        if body.isascii() and os.fstat(old.fileno()).st_size != len(body):
            return False
        for chunk in _encoded([body]):
            if old.read(len(chunk)) != chunk:
                return False
        return old.read(1) == b""


def write_pages(
    pages: Mapping[PurePosixPath, str] | Iterable[Page], content_dir: Path
) -> WriteReport:
    """Write pages under content_dir (only where bytes change) and delete stale generated files.

    pages is a mapping or a stream of (path, text); nothing under content_dir changes until
    the stream is exhausted without error. A page given with text None is left as it is on
    disk (counted as unchanged, not removed).
    """
    items: Iterable[Page] = pages.items() if isinstance(pages, Mapping) else pages
    with Staging(content_dir) as staging:
        seen: set[PurePosixPath] = set()
        staged: list[PurePosixPath] = []
        for rel, body in items:
            _check_owned(rel)
            if rel in seen:  # before staging: the second copy would overwrite the first
                raise WriteError(f"two pages would be written to {rel}")
            seen.add(rel)
            if body is not None and staging.stage(rel, body):
                staged.append(rel)
        return staging.commit(list(seen), staged)


def _move_in(staging: Path, staged: list[PurePosixPath], content_dir: Path) -> None:
    """Move the staged files into the content folder: a whole staged folder with one rename
    where the content folder has no such folder yet (a first run), else file by file."""
    moved: set[PurePosixPath] = set()  # staged folders moved whole
    made: set[Path] = set()
    exists: dict[PurePosixPath, bool] = {}
    for rel in sorted(staged):
        if any(parent in moved for parent in rel.parents):
            continue
        top = _new_folder(rel, content_dir, exists)
        if top is not None:
            (content_dir / top).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / top, content_dir / top)
            moved.add(top)
            continue
        target = content_dir / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        os.replace(staging / rel, target)


def _new_folder(
    rel: PurePosixPath, content_dir: Path, exists: dict[PurePosixPath, bool]
) -> PurePosixPath | None:
    """The outermost folder of rel that the content folder does not have (None: all exist);
    exists remembers what was looked up."""
    for parent in reversed(rel.parents[:-1]):  # outermost first, without "."
        if parent not in exists:
            exists[parent] = (content_dir / parent).exists()
        if not exists[parent]:
            return parent
    return None


def remove_leftovers(folder: Path, prefix: str) -> None:
    """Remove staging folders named prefix* in folder, left by a run that was killed (nothing
    can clean up after SIGKILL); used for the content folder and for the built site."""
    if folder.is_dir():
        for old in folder.glob(prefix + "*"):
            shutil.rmtree(old, ignore_errors=True)


def write_if_changed(path: Path, body: str) -> bool:
    """Atomically replace path with body (UTF-8, LF) unless it already holds exactly that."""
    data = body.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def replace_dir(new: Path, target: Path) -> None:
    """Swap a finished build folder into place, so readers never see a half-written site."""
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)


def _check_targets(pages: Iterable[PurePosixPath], content_dir: Path) -> None:
    """Fail before writing anything if some page cannot be written (e.g. a folder is in the way)."""
    checked: set[Path] = {content_dir.parent}  # each folder once, not once per page
    for rel in pages:
        target = content_dir / rel
        if target.is_dir():
            raise WriteError(f"{target}: a folder is in the way of a generated page")
        for parent in target.parents:
            if parent in checked:
                break
            checked.add(parent)
            if parent.exists() and not parent.is_dir():
                raise WriteError(f"{parent}: a file is in the way of the folder for {rel}")


def _check_owned(rel: PurePosixPath) -> None:
    if rel.is_absolute() or ".." in rel.parts or not _is_owned(rel):
        raise ValueError(f"refusing to write outside the generated area: {rel}")


def _is_owned(rel: PurePosixPath) -> bool:
    return str(rel) in OWNED_FILES or (len(rel.parts) > 1 and rel.parts[0] in OWNED_DIRS)


def _remove_emptied_dirs(content_dir: Path, removed: Iterable[PurePosixPath]) -> None:
    """Remove the folders that deleting these files left empty, inner ones first; the top
    generated folders (studies/, outcomes/, ...) stay. Only their folders are looked at:
    walking every generated folder for empty ones took 0.8 s at 40,000 files."""
    folders = {parent for rel in removed for parent in rel.parents if len(parent.parts) > 1}
    for folder in sorted(folders, key=lambda f: (-len(f.parts), f)):
        with contextlib.suppress(OSError):  # not empty (or gone): left as it is
            (content_dir / folder).rmdir()
