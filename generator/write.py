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

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int


def owned_files(content_dir: Path) -> set[PurePosixPath]:
    """Generated files currently on disk, relative to the content folder."""
    found = {PurePosixPath(name) for name in OWNED_FILES if (content_dir / name).is_file()}
    for folder in OWNED_DIRS:
        base = content_dir / folder
        if base.is_dir():
            found.update(
                PurePosixPath(p.relative_to(content_dir).as_posix())
                for p in base.rglob("*")
                if p.is_file()
            )
    return found


STAGING_PREFIX = ".staging-"
"""Staging folders are named .<content folder>.staging-<random>, beside the content folder."""

Page = tuple[PurePosixPath, str | None]
"""A page's path and text; text None: the file on disk is current (an incremental run)."""


def write_pages(
    pages: Mapping[PurePosixPath, str] | Iterable[Page], content_dir: Path
) -> WriteReport:
    """Write pages under content_dir (only where bytes change) and delete stale generated files.

    pages is a mapping or a stream of (path, text); nothing under content_dir changes until
    the stream is exhausted without error. A page given with text None is left as it is on
    disk (counted as unchanged, not removed).
    """
    items: Iterable[Page] = pages.items() if isinstance(pages, Mapping) else pages
    remove_leftovers(content_dir.parent, f".{content_dir.name}{STAGING_PREFIX}")
    content_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(dir=content_dir.parent, prefix=f".{content_dir.name}{STAGING_PREFIX}")
    )
    try:
        seen: set[PurePosixPath] = set()
        staged: list[PurePosixPath] = []
        for rel, body in items:
            if rel.is_absolute() or ".." in rel.parts or not _is_owned(rel):
                raise ValueError(f"refusing to write outside the generated area: {rel}")
            if rel in seen:
                raise WriteError(f"two pages would be written to {rel}")
            seen.add(rel)
            if body is None:
                continue
            data = body.encode("utf-8")
            try:
                if (content_dir / rel).read_bytes() == data:
                    continue
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                pass
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            staged.append(rel)
        _check_targets(staged, content_dir)
        for rel in sorted(staged):
            target = content_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
        stale = owned_files(content_dir) - seen
        for rel in sorted(stale):
            (content_dir / rel).unlink()
        for folder in OWNED_DIRS:
            _remove_empty_dirs(content_dir / folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WriteReport(len(staged), len(seen) - len(staged), len(stale))


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


def _is_owned(rel: PurePosixPath) -> bool:
    return str(rel) in OWNED_FILES or (len(rel.parts) > 1 and rel.parts[0] in OWNED_DIRS)


def _remove_empty_dirs(base: Path) -> None:
    if not base.is_dir():
        return
    for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
