"""`serve`: generate, start the MkDocs server, regenerate incrementally after an edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import generator.build
from generator.build import serve
from generator.pipeline import GenerateReport, Paths
from tests.conftest import copy_project


class FakeServer:
    """Stands in for `mkdocs serve`: runs for two polls; at the first, an author edits."""

    def __init__(self, edit: Any) -> None:
        self.edit, self.polls, self.returncode = edit, 0, 0

    def poll(self) -> int | None:
        self.polls += 1
        if self.polls == 1:
            self.edit()
            return None
        return 0

    def terminate(self) -> None:
        pass

    def wait(self) -> int:
        return 0


@pytest.mark.parametrize("dirty", [False, True])
def test_serve_regenerates_only_what_an_edit_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirty: bool
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    copy_project(project)
    paths = Paths.from_root(project)
    record = project / "studies" / "passion-phase-1.yaml"

    def edit() -> None:
        text = record.read_text(encoding="utf-8")
        record.write_text(
            text.replace("\nshort_name: ", "\nshort_name: Edited ", 1), encoding="utf-8"
        )

    commands: list[list[str]] = []

    def popen(command: list[str], **_: Any) -> FakeServer:
        commands.append(command)
        return FakeServer(edit)

    monkeypatch.setattr(generator.build.subprocess, "Popen", popen)
    reports: list[GenerateReport] = []
    assert (
        serve(paths, "127.0.0.1:0", dirty=dirty, on_generated=reports.append, poll_seconds=0) == 0
    )
    [command] = commands
    assert command[command.index("--dev-addr") + 1] == "127.0.0.1:0"
    assert ("--dirty" in command) is dirty
    assert ("--no-strict" in command) is dirty  # MkDocs's dirty-build warning fails strict mode
    first, again = reports
    assert first.written == first.files  # a first run writes everything
    assert 0 < again.written < again.files // 10  # its pages and the pages that list it
    assert "Edited " in (project / "content" / "studies" / "passion-phase-1.md").read_text()


def test_serve_on_a_generated_site_reads_the_records_once_then_only_the_edited_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run finds nothing changed and reads nothing; serve then reads every record
    into memory (while MkDocs builds), so the first edit re-reads only its own file and its
    own shard of the record cache."""
    import generator.cache
    import generator.pipeline
    from tests.test_incremental import count_parsed, count_shards_read, edit, rename

    project = tmp_path / "project"
    project.mkdir()
    copy_project(project)
    paths = Paths.from_root(project)
    generator.pipeline.generate_site(paths)
    parsed, shards = count_parsed(monkeypatch), count_shards_read(monkeypatch)

    def edit_once_memory_is_filled() -> None:
        assert parsed == []  # the records came from the record cache,
        assert len(shards) > 1  # a shard at a time
        shards.clear()
        edit(project, "accent-cp", rename)

    monkeypatch.setattr(
        generator.build.subprocess, "Popen", lambda *_, **__: FakeServer(edit_once_memory_is_filled)
    )
    reports: list[GenerateReport] = []
    assert serve(paths, "127.0.0.1:0", on_generated=reports.append, poll_seconds=0) == 0
    first, again = reports
    assert first.skipped
    assert parsed == ["accent-cp.yaml"]
    assert shards == [generator.cache.shard_of("accent-cp.yaml")]
    assert 0 < again.written < again.files // 10
