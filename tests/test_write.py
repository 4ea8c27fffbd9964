"""Write stage: only changed bytes are written, stale pages go, hand-written pages stay."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

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
