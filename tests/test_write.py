"""Write stage: only changed bytes are written, stale pages go, hand-written pages stay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from generator.errors import WriteError
from generator.write import replace_dir, write_pages


def pages(**bodies: str) -> dict[PurePosixPath, str]:
    return {PurePosixPath(k.replace("__", "/").replace("_md", ".md")): v for k, v in bodies.items()}


def test_writes_then_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    first = write_pages(pages(index_md="home\n", studies__a_md="A\n"), tmp_path)
    assert (first.written, first.unchanged, first.removed) == (2, 0, 0)
    stamp = (tmp_path / "studies/a.md").stat().st_mtime_ns
    again = write_pages(pages(index_md="home\n", studies__a_md="A\n"), tmp_path)
    assert (again.written, again.unchanged, again.removed) == (0, 2, 0)
    assert (tmp_path / "studies/a.md").stat().st_mtime_ns == stamp


def test_removed_records_lose_their_pages_but_hand_written_pages_stay(tmp_path: Path) -> None:
    (tmp_path / "about-evidence.md").write_text("hand-written\n")
    write_pages(pages(index_md="x", studies__a_md="A", studies__b_md="B"), tmp_path)
    report = write_pages(pages(index_md="x", studies__a_md="A"), tmp_path)
    assert report.removed == 1
    assert not (tmp_path / "studies/b.md").exists()
    assert (tmp_path / "about-evidence.md").read_text() == "hand-written\n"


def test_output_is_utf8_with_unix_newlines(tmp_path: Path) -> None:
    write_pages(pages(glossary_md="≥ 2 × 10⁷\n"), tmp_path)
    assert (tmp_path / "glossary.md").read_bytes() == "≥ 2 × 10⁷\n".encode()


@pytest.mark.parametrize("bad", ["../outside.md", "/etc/x.md", "about-evidence.md", "assets/x.js"])
def test_refuses_paths_outside_the_generated_area(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="refusing to write"):
        write_pages({PurePosixPath(bad): "x"}, tmp_path / "content")
    assert not (tmp_path / "outside.md").exists()


def test_replace_dir_swaps_a_finished_build_in(tmp_path: Path) -> None:
    site, new = tmp_path / "site", tmp_path / "new"
    site.mkdir()
    (site / "old.html").write_text("old")
    new.mkdir()
    (new / "index.html").write_text("new")
    replace_dir(new, site)
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
    assert not new.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_stream_that_fails_midway_changes_nothing(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_pages(pages(index_md="home\n", studies__a_md="A\n", studies__b_md="B\n"), content)
    before = snapshot(content)

    def stream() -> Iterator[tuple[PurePosixPath, str]]:
        yield PurePosixPath("index.md"), "new home\n"
        yield PurePosixPath("studies/c.md"), "C\n"
        raise RuntimeError("a template failed")

    with pytest.raises(RuntimeError, match="a template failed"):
        write_pages(stream(), content)
    assert snapshot(content) == before
    assert [p.name for p in tmp_path.iterdir()] == ["content"]  # no staging folder left


def test_a_stream_writes_only_changed_pages(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_pages(pages(index_md="home\n", studies__a_md="A\n", studies__b_md="B\n"), content)
    stamp = (content / "studies/a.md").stat().st_mtime_ns
    stream = iter([(PurePosixPath("index.md"), "new\n"), (PurePosixPath("studies/a.md"), "A\n")])
    report = write_pages(stream, content)
    assert (report.written, report.unchanged, report.removed) == (1, 1, 1)
    assert (content / "index.md").read_text() == "new\n"
    assert (content / "studies/a.md").stat().st_mtime_ns == stamp
    assert not (content / "studies/b.md").exists()


def test_a_page_given_twice_is_refused(tmp_path: Path) -> None:
    stream = iter([(PurePosixPath("index.md"), "a"), (PurePosixPath("index.md"), "b")])
    with pytest.raises(WriteError, match="two pages"):
        write_pages(stream, tmp_path / "content")
    assert not (tmp_path / "content" / "index.md").exists()


def test_a_folder_in_the_way_fails_before_anything_moves(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_pages(pages(index_md="home\n"), content)
    (content / "glossary.md").mkdir()
    with pytest.raises(WriteError, match="folder is in the way"):
        write_pages(pages(index_md="new\n", glossary_md="G\n"), content)
    assert (content / "index.md").read_text() == "home\n"


def test_a_page_without_text_is_left_as_it_is(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_pages(pages(index_md="home\n", studies__a_md="A\n"), content)
    stream = iter([(PurePosixPath("index.md"), "home\n"), (PurePosixPath("studies/a.md"), None)])
    report = write_pages(stream, content)
    assert (report.written, report.unchanged, report.removed) == (0, 2, 0)
    assert (content / "studies/a.md").read_text() == "A\n"


def test_a_staging_folder_left_by_a_killed_run_is_removed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    left = tmp_path / ".content.staging-abc"
    (left / "studies").mkdir(parents=True)
    (left / "studies" / "x.md").write_text("half")
    write_pages(pages(index_md="home\n"), content)
    assert not left.exists()


@pytest.mark.parametrize(
    ("old", "parts", "staged"),
    [
        ("ab\u00e9c\n", ["ab", "\u00e9", "c\n"], False),  # same bytes, split anywhere
        ("ab\u00e9c\n", ["ab", "\u00e9", "d\n"], True),  # last byte differs
        ("ab\u00e9c\n", ["ab", "\u00e9"], True),  # the file is longer
        ("ab\n", ["ab\n", "more"], True),  # the file is shorter
        ("", [], False),  # empty both
        (None, ["new"], True),  # no file yet
    ],
)
def test_a_page_in_parts_is_staged_only_when_its_bytes_differ(
    tmp_path: Path, old: str | None, parts: list[str], staged: bool
) -> None:
    """A large download is written as it is rendered, a part at a time, and compared with the
    file on disk on the way (never held whole, nor read whole)."""
    from generator.write import Staging

    content = tmp_path / "content"
    if old is not None:
        write_pages(pages(downloads__big_md=old), content)
    content.mkdir(exist_ok=True)
    with Staging(content) as staging:
        rel = PurePosixPath("downloads/big.md")
        assert staging.stage(rel, iter(parts)) is staged
        staging.commit([rel], [rel] if staged else [])
    assert (content / rel).read_bytes() == "".join(parts).encode()


@pytest.mark.parametrize("old", ["x" * 9, "x" * 11, "x" * 9 + "y", "x" * 10])
def test_a_page_is_compared_with_its_file_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str
) -> None:
    """Compared a chunk at a time (chunks forced to 3 characters here): equal only when every
    byte and the length agree."""
    import generator.write
    from generator.write import Staging

    monkeypatch.setattr(generator.write, "_CHUNK", 3)
    content = tmp_path / "content"
    write_pages(pages(index_md=old), content)
    with Staging(content) as staging:
        assert staging.stage(PurePosixPath("index.md"), "x" * 10) is (old != "x" * 10)


def test_staging_knows_the_files_after_commit_without_walking_the_folder_again(
    tmp_path: Path,
) -> None:
    """files_after() equals a walk after commit: files left alone keep the stat they had,
    staged ones get their new one, stale ones are gone. A file listed by an earlier look
    that was deleted since is no error."""
    from generator.write import Staging, owned_stats

    content = tmp_path / "content"
    write_pages(pages(index_md="same\n", harms_md="old\n", glossary_md="stale\n"), content)
    (content / "studies").mkdir()
    (content / "studies" / "gone.md").write_text("deleted below\n")
    looked = owned_stats(content)
    (content / "studies" / "gone.md").unlink()  # deleted after the caller looked
    with Staging(content, looked) as staging:
        kept, changed = PurePosixPath("index.md"), PurePosixPath("harms.md")
        assert staging.stage(kept, "same\n") is False
        assert staging.stage(changed, "new\n") is True
        report = staging.commit([kept, changed], [changed])
        after = staging.files_after()
    assert (report.written, report.unchanged, report.removed) == (1, 1, 2)
    walked = owned_stats(content)
    assert after.keys() == walked.keys() == {kept, changed}
    assert after == walked  # (size, modification time) of each


def test_the_generated_files_are_listed_with_their_size_and_modification_time_only(
    tmp_path: Path,
) -> None:
    """Two ints per file, not an os.stat_result: at 40,000 files the listing is held through
    a whole run, and the full stat objects cost 20 MB more of its peak memory."""
    from generator.write import owned_stats

    content = tmp_path / "content"
    write_pages(pages(index_md="héllo\n", studies__a_md="a\n"), content)
    found = owned_stats(content)
    info = (content / "index.md").stat()
    assert found[PurePosixPath("index.md")] == (7, info.st_mtime_ns)  # bytes: é takes 2
    assert found.keys() == {PurePosixPath("index.md"), PurePosixPath("studies/a.md")}
    assert all(type(v) is tuple and len(v) == 2 for v in found.values()), found


def test_a_folder_left_empty_by_removed_pages_is_removed_and_the_top_folders_stay(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    write_pages(pages(outcomes__cp__motor_md="m\n", outcomes__hie__death_md="d\n"), content)
    report = write_pages(pages(outcomes__cp__motor_md="m\n"), content)
    assert report.removed == 1
    assert not (content / "outcomes" / "hie").exists()
    assert (content / "outcomes" / "cp" / "motor.md").is_file()
    write_pages(pages(index_md="home\n"), content)
    assert not (content / "outcomes" / "cp").exists()
    assert (content / "outcomes").is_dir()
