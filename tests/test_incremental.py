"""Incremental regenerate: after one edit, only the pages that depend on it are rendered again,
and the content folder ends byte-identical to a cold run's on the same records."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import generator.cache
import generator.pipeline
import generator.render
import generator.validate
from generator.errors import RenderError, ValidationFailed
from generator.pipeline import Memory, Paths, fill_memory, generate_site
from tests.conftest import ROOT, copy_project, minimal_record, run_generator_process


def tree(project: Path) -> dict[str, bytes]:
    """Every generated file (and hand-written page) under content/ and includes/."""
    found = {}
    for folder in ("content", "includes"):
        for path in sorted((project / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(project).as_posix()] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real records, generated once (state and parsed-record cache included)."""
    project = copy_project(tmp_path_factory.mktemp("generated"))
    generate_site(Paths.from_root(project))
    return project


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(generated, tmp_path / "project"))


EDITORIAL = ("glossary.yaml", "key-messages.yaml", "notes.yaml")

_COLD_TREES: dict[str, dict[str, bytes]] = {}
"""Cold runs' trees by their inputs' digest. A cold run is a function of its inputs
(test_a_parallel_run_equals_a_single_process_run and the golden pages hold it to that), and
many tests here end on the same inputs (one record renamed): each such tree is made once.
So call cold() only with the generator as it ships (after monkeypatch.undo())."""


def cold(project: Path, tmp_path: Path) -> dict[str, bytes]:
    """A cold run on the same inputs, in another folder (no state, no cache)."""
    inputs = hashlib.blake2b(digest_size=20)
    for path in [
        *sorted(p for p in (project / "studies").rglob("*") if p.is_file()),
        *(project / "data" / name for name in EDITORIAL),
    ]:
        for part in (path.relative_to(project).as_posix().encode(), path.read_bytes()):
            inputs.update(len(part).to_bytes(8, "big") + part)
    key = inputs.hexdigest()
    if key not in _COLD_TREES:
        other = tmp_path / "cold"
        other.mkdir()
        copy_project(other, project / "studies")
        for name in EDITORIAL:
            shutil.copy(project / "data" / name, other / "data" / name)
        generate_site(Paths.from_root(other))
        _COLD_TREES[key] = tree(other)
    return _COLD_TREES[key]


def assert_state_matches_disk(project: Path) -> None:
    """The state's record of the generated files (made from what the run wrote, without
    walking the folder again) is what a walk over the folder finds now."""
    paths = Paths.from_root(project)
    assert paths.state is not None
    state = generator.cache.read_state(paths.state)
    assert state is not None
    walked = generator.cache.output_stats(project, paths.content, [paths.abbreviations])
    assert state.outputs == walked


def edit(project: Path, name: str, change: Callable[[str], str]) -> None:
    record = project / "studies" / f"{name}.yaml"
    before = record.read_text(encoding="utf-8")
    after = change(before)
    assert after != before
    record.write_text(after, encoding="utf-8")


def rename(text: str) -> str:
    """A new short name: it shows on every page that links to the record, and moves it in lists."""
    return text.replace("\nshort_name: ", "\nshort_name: Aaa edited ", 1)


def resummarise(text: str) -> str:
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("summary:"))
    lines.insert(at, "summary: An edited summary.\n")
    del lines[at + 1]
    while at + 1 < len(lines) and lines[at + 1].startswith(" "):
        del lines[at + 1]
    return "".join(lines)


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    rendered: list[str] = []
    original = generator.render.render_one

    def counting(site: Any, path: Any, template: str, context: dict[str, Any]) -> str:
        rendered.append(str(path))
        return original(site, path, template, context)

    monkeypatch.setattr(generator.render, "render_one", counting)
    monkeypatch.setenv("GENERATOR_JOBS", "1")  # counted in this process
    return rendered


KEY_MESSAGE_CITES = {
    ident
    for message in yaml.safe_load((ROOT / "data" / "key-messages.yaml").read_text())["messages"]
    for sentence in message["sentences"]
    for ident in sentence["cites"]
}
"""Records the key messages cite: a change to one is read by every condition page."""


def count_parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record files parsed from now on (by this process), by name."""
    parsed: list[str] = []
    real = generator.pipeline.load_file

    def counting(path: Path) -> Any:
        if path.parent.name == "studies":
            parsed.append(path.name)
        return real(path)

    monkeypatch.setattr(generator.pipeline, "load_file", counting)
    return parsed


EDITS = [
    ("passion-phase-1", rename),  # one report of a trial with several
    ("passion-2-year-follow-up", resummarise),
    ("chen-2013-neural-stem-like-cells-cp", rename),  # included in a review
    ("eggenberger-2019-meta-analysis", rename),  # a review that includes records
    ("cochrane-stem-cells-hie-2020", rename),  # related to other records
    ("amanat-2021-cord-tissue-msc-cp", resummarise),
    ("boruczkowski-2019-wharton-jelly-msc-cp", rename),  # cited by nothing: one condition page
    ("cochrane-stem-cells-neonatal-stroke", resummarise),  # a review, cited by nothing
]


@pytest.mark.parametrize(("name", "change"), EDITS, ids=[f"{n}-{c.__name__}" for n, c in EDITS])
def test_one_edit_renders_only_its_pages_and_equals_a_cold_run(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    change: Callable[[str], str],
) -> None:
    edit(project, name, change)
    rendered = count_renders(monkeypatch)
    report = generate_site(Paths.from_root(project))
    assert not report.skipped
    assert f"studies/{name}.md" in rendered
    study_pages = [p for p in rendered if p.startswith("studies/") and p != "studies/index.md"]
    assert len(study_pages) < report.records // 4  # not every study page again
    assert_state_matches_disk(project)
    record = yaml.safe_load((project / "studies" / f"{name}.yaml").read_text(encoding="utf-8"))
    conditions = {p for p in rendered if p.startswith("conditions/") and p != "conditions/index.md"}
    assert conditions  # its own condition's page at least, and not all of them when one will do
    if len(record["conditions"]) == 1 and name not in KEY_MESSAGE_CITES:
        assert conditions == {f"conditions/{record['conditions'][0]}.md"}
    monkeypatch.undo()
    assert tree(project) == cold(project, tmp_path)


def test_removed_and_added_records_equal_a_cold_run(project: Path, tmp_path: Path) -> None:
    studies = project / "studies"
    texts = {p: p.read_text(encoding="utf-8") for p in sorted(studies.glob("*.yaml"))}
    texts.update({p: p.read_text() for p in (project / "data").glob("*.yaml")})
    unreferenced = next(
        path
        for path in sorted(studies.glob("*.yaml"))
        if not any(path.stem in text for other, text in texts.items() if other != path)
    )
    unreferenced.unlink()
    added = minimal_record("zzz-added-study", short_name="Aaa added 2020 (Nowhere)")
    (studies / "zzz-added-study.yaml").write_text(yaml.safe_dump(added), encoding="utf-8")
    generate_site(Paths.from_root(project))
    assert not (project / "content" / "studies" / f"{unreferenced.stem}.md").exists()
    assert_state_matches_disk(project)
    assert tree(project) == cold(project, tmp_path)


def test_after_a_cold_run_the_state_lists_the_files_on_disk(generated: Path) -> None:
    assert_state_matches_disk(generated)


def test_a_warm_run_renders_nothing_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = count_renders(monkeypatch)
    report = generate_site(Paths.from_root(project))
    assert report.skipped
    assert (report.written, report.removed) == (0, 0)
    assert rendered == []


def test_a_changed_glossary_renders_every_page(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    glossary = project / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text() + "\n# a comment\n")
    rendered = count_renders(monkeypatch)
    report = generate_site(Paths.from_root(project))
    assert len(rendered) == report.files - 1  # every page but the abbreviation list
    monkeypatch.undo()
    assert tree(project) == cold(project, tmp_path)


def _cache_usable(project: Path) -> Paths:
    """Tie the copied cache's entries to the copy's record files, as a full run on the copy
    would: copytree gave the files new inodes and kept their times and sizes (checked here),
    and an entry is used only while its file's inode, time and size are those it names."""
    paths = Paths.from_root(project)
    assert paths.record_cache is not None
    shards = sorted(paths.record_cache.glob("*.json"))
    assert shards
    for shard in shards:
        body = json.loads(shard.read_text(encoding="utf-8"))
        for name, entry in body["records"].items():
            info = (project / "studies" / name).stat()
            assert entry["stamp"][1:] == [info.st_mtime_ns, info.st_size], name
            entry["stamp"] = [info.st_ino, info.st_mtime_ns, info.st_size]
        shard.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def test_a_damaged_record_cache_means_parsing_again(project: Path, tmp_path: Path) -> None:
    paths = _cache_usable(project)
    assert paths.record_cache is not None
    entries = sorted(paths.record_cache.glob("*.json"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"not JSON {")
    edit(project, "passion-phase-1", rename)
    generate_site(paths)
    assert tree(project) == cold(project, tmp_path)


def packed(text: str, level: int = 1) -> str:
    """Text as the record cache keeps it: zlib-packed, in base64."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"), level)).decode("ascii")


def unpacked(kept: str) -> str:
    return zlib.decompress(base64.b64decode(kept)).decode("utf-8")


DAMAGE = {
    "data not base64": lambda entry: entry.update(data="{not base64"),
    "data not packed": lambda entry: entry.update(data=base64.b64encode(b"plain").decode()),
    "data cut short": lambda entry: entry.update(data=entry["data"][:40]),
    "data too long unpacked": lambda entry: entry.update(
        data=packed(json.dumps({"id": "x" * 3_000_000}), 9)
    ),
    "data not JSON": lambda entry: entry.update(data=packed("{not JSON")),
    "data not an object": lambda entry: entry.update(data=packed("[1, 2]")),
    "data not text": lambda entry: entry.update(data={"id": "x"}),
    "pieces not an object": lambda entry: entry.update(pieces=["results_csv"]),
    "a piece not text": lambda entry: entry.update(pieces={"results_csv": 5}),
    "a piece not packed": lambda entry: entry.update(pieces={"results_csv": "cm93cw=="}),
    "no pieces": lambda entry: entry.pop("pieces"),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_cache_entry_means_parsing_that_record_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Callable[[Any], Any]
) -> None:
    """Only the damaged entry's record is parsed again; the others come from the cache, and
    the output equals a cold run's."""
    paths = _cache_usable(project)
    assert paths.record_cache is not None
    name = "accent-cp.yaml"
    shard = paths.record_cache / f"{generator.cache.shard_of(name):02d}.json"
    body = json.loads(shard.read_text(encoding="utf-8"))
    damage(body["records"][name])
    shard.write_text(json.dumps(body), encoding="utf-8")
    edit(project, "passion-phase-1", rename)
    parsed = count_parsed(monkeypatch)
    monkeypatch.setenv("GENERATOR_JOBS", "1")  # counted in this process
    generate_site(paths)
    assert sorted(parsed) == ["accent-cp.yaml", "passion-phase-1.yaml"]
    monkeypatch.undo()
    assert tree(project) == cold(project, tmp_path)


def test_a_page_edited_by_hand_is_rendered_again(project: Path, tmp_path: Path) -> None:
    page = project / "content" / "studies" / "accent-cp.md"
    if not page.exists():
        page = sorted((project / "content" / "studies").glob("*.md"))[1]
    page.write_text("edited by hand\n")
    edit(project, "passion-phase-1", rename)
    generate_site(Paths.from_root(project))
    assert tree(project) == cold(project, tmp_path)


def test_the_real_records_are_what_the_edits_say(generated: Path) -> None:
    """The edits above test what they claim only while the records keep these relations."""
    text = {p.stem: p.read_text() for p in (ROOT / "studies").glob("*.yaml")}
    assert "\ntrial:" in text["passion-phase-1"]
    assert "record: chen-2013-neural-stem-like-cells-cp" in text["eggenberger-2019-meta-analysis"]
    assert "\nrelated:" in text["cochrane-stem-cells-hie-2020"]
    for uncited in (
        "boruczkowski-2019-wharton-jelly-msc-cp",
        "cochrane-stem-cells-neonatal-stroke",
    ):
        assert uncited not in KEY_MESSAGE_CITES  # so only its own condition's page is rendered
        assert not any(f"record: {uncited}\n" in other for other in text.values())


def test_a_parallel_run_equals_a_single_process_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = []
    for jobs in (1, 2):
        project = tmp_path / f"jobs-{jobs}"
        project.mkdir()
        copy_project(project)
        monkeypatch.setattr(generator.pipeline, "PARALLEL_FROM", 0)  # a pool even for few pages
        monkeypatch.setattr(generator.pipeline, "READ_PARALLEL_FROM", 0)  # and few records
        report = generate_site(Paths.from_root(project), jobs=jobs)
        assert report.written == report.files
        trees.append(tree(project))
    assert trees[0] == trees[1]


def test_a_template_failure_in_a_worker_changes_nothing(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Path(shutil.copytree(generated, tmp_path / "project"))
    before = tree(project)
    (project / "data" / "glossary.yaml").write_text(
        (project / "data" / "glossary.yaml").read_text() + "\n# render every page\n"
    )

    def failing(site: Any, path: Any, template: str, context: dict[str, Any]) -> str:
        if str(path) == "studies/passion-phase-1.md":
            raise RenderError("template study.md.j2 failed for studies/passion-phase-1.md: boom")
        return "changed\n"

    monkeypatch.setattr(generator.render, "render_one", failing)
    monkeypatch.setattr(generator.pipeline, "PARALLEL_FROM", 0)
    with pytest.raises(RenderError, match="boom"):
        generate_site(Paths.from_root(project), jobs=2)
    assert tree(project) == before
    assert not list(tmp_path.glob("project/.content.staging-*"))


def test_a_parallel_run_from_the_command_line_ends(tmp_path: Path) -> None:
    """The command line turns SIGTERM into an exception; the render workers must not inherit
    that (the pool stops them with SIGTERM), or the run never ends."""
    project = tmp_path / "project"
    project.mkdir()
    copy_project(project)
    env = dict(os.environ, GENERATOR_JOBS="2")
    result = run_generator_process("generate", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert " written," in result.stdout


def test_unchanged_records_come_from_the_cache_and_are_not_parsed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _cache_usable(project)
    edit(project, "passion-phase-1", rename)
    parsed = count_parsed(monkeypatch)
    generate_site(paths)
    assert parsed == ["passion-phase-1.yaml"]


def test_a_cache_that_came_with_the_files_is_not_trusted(project: Path, tmp_path: Path) -> None:
    """A cache committed beside the records (or copied with them) could say anything: its
    entries are tied to the inode and time of the files they were read from."""
    paths = Paths.from_root(project)
    assert paths.record_cache is not None
    entries = sorted(paths.record_cache.glob("*.json"))
    assert entries
    for path in entries:
        shard = json.loads(path.read_text(encoding="utf-8"))
        for entry in shard["records"].values():
            data = json.loads(unpacked(entry["data"]))  # the record's data, packed
            data["short_name"] = "TAMPERED"
            entry["data"] = packed(json.dumps(data))
        path.write_text(json.dumps(shard), encoding="utf-8")
    moved = Path(shutil.copytree(project, tmp_path / "checkout"))
    (moved / ".generator-state.json").unlink()
    generate_site(Paths.from_root(moved))
    assert not any(b"TAMPERED" in body for body in tree(moved).values())


def test_parallel_checks_find_what_a_single_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records read and checked by workers give the same problems, in the same order."""
    monkeypatch.setattr(generator.pipeline, "READ_PARALLEL_FROM", 0)
    project = tmp_path / "project"
    project.mkdir()
    copy_project(project)
    studies = project / "studies"
    edit(project, "passion-phase-1", lambda t: t.replace("\nsummary:", "\nsumary: x\nsummary:", 1))
    (studies / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    twin = (studies / "accent-cp.yaml").read_text(encoding="utf-8")
    (studies / "twin.yaml").write_text(twin, encoding="utf-8")  # same id: a cross-record rule
    found = []
    for jobs in (1, 2):
        with pytest.raises(ValidationFailed) as failed:
            generate_site(Paths.from_root(project), jobs=jobs)
        found.append(
            [f"{i.path.name}:{i.line}:{i.column}: {i.message}" for i in failed.value.issues]
        )
    assert found[0] == found[1]
    text = "\n".join(found[0])
    assert any(
        line.startswith("passion-phase-1.yaml:") and "unknown field 'sumary'" in line
        for line in found[0]
    )
    assert "broken.yaml:2:1: YAML syntax error" in text
    assert "twin.yaml:" in text


def test_cached_records_skip_their_own_rules_but_not_the_cross_record_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record from the cache passed every per-record rule under the same code; the rules
    across records still run on it, and a problem in it is still located in its file."""
    paths = _cache_usable(project)
    checked: list[str] = []
    real = generator.validate.check_record

    def counting(record: Any) -> Any:
        checked.append(record.path.name)
        return real(record)

    monkeypatch.setattr(generator.validate, "check_record", counting)
    source = project / "studies" / "accent-cp.yaml"
    (project / "studies" / "aaa-copy.yaml").write_text(
        source.read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as failed:
        generate_site(paths)
    assert checked == ["aaa-copy.yaml"]  # the new file only
    cached_side = [i for i in failed.value.issues if i.path.name == "accent-cp.yaml"]
    new_side = [i for i in failed.value.issues if i.path.name == "aaa-copy.yaml"]
    assert cached_side, failed.value.issues
    assert new_side, failed.value.issues
    # Both copies hold the same text, so a problem found in both has the same place in both;
    # the cached one (no text kept) was located by reading its file again.
    for issue in cached_side:
        twin = next(i for i in new_side if i.field == issue.field)
        assert (issue.line, issue.column) == (twin.line, twin.column) != (1, 1)


def test_one_edit_rewrites_one_shard_of_the_record_cache(project: Path) -> None:
    paths = _cache_usable(project)
    assert paths.record_cache is not None
    before = {p.name: p.read_bytes() for p in paths.record_cache.glob("*.json")}
    assert 1 < len(before) <= generator.cache.SHARDS  # not one file per record
    edit(project, "passion-phase-1", rename)
    generate_site(paths)
    after = {p.name: p.read_bytes() for p in paths.record_cache.glob("*.json")}
    assert after.keys() == before.keys()
    assert [name for name in after if after[name] != before[name]] == [
        f"{generator.cache.shard_of('passion-phase-1.yaml'):02d}.json"
    ]


def test_a_cached_record_keeps_its_dataset_line_and_results_rows(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one edit, only the edited record is written out as JSON again and only its rows
    of the results download are made again: every other record's are the texts its cache
    entry holds."""
    import generator.export
    import generator.model

    paths = _cache_usable(project)
    made: list[str] = []
    real = generator.model.record_json

    def counting(data: dict[str, Any]) -> str:
        made.append(str(data["id"]))
        return real(data)

    monkeypatch.setattr(generator.model, "record_json", counting)
    monkeypatch.setattr(generator.pipeline, "record_json", counting)
    rows: list[str] = []
    real_rows = generator.export.result_rows

    def counting_rows(study: Any) -> str:
        rows.append(study.id)
        return real_rows(study)

    monkeypatch.setattr(generator.export, "result_rows", counting_rows)
    monkeypatch.setenv("GENERATOR_JOBS", "1")  # counted in this process
    edit(project, "passion-phase-1", rename)
    generate_site(paths)
    assert made == ["passion-phase-1"]
    assert rows == ["passion-phase-1"]
    monkeypatch.undo()
    assert tree(project) == cold(project, tmp_path)


@pytest.mark.parametrize("cached", [False, True])
def test_key_message_numbers_are_checked_against_whole_records(
    project: Path, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    """generate keeps only what the rules across records read of most records (lean loads);
    the records the editorial files cite stay whole, read fresh or from the cache, so a
    quoted number is still checked against all of the cited record."""
    monkeypatch.setattr(generator.pipeline, "READ_PARALLEL_FROM", 0)  # read by workers too
    paths = Paths.from_root(project)
    if not cached:
        shutil.rmtree(project / ".cache")
    messages = project / "data" / "key-messages.yaml"
    text = messages.read_text(encoding="utf-8")
    assert "average 1.36 points higher" in text
    messages.write_text(text.replace("average 1.36 points", "average 1.35 points"), "utf-8")
    with pytest.raises(ValidationFailed) as failed:
        generate_site(paths, jobs=2)
    assert {i.message.split(" is not in")[0] for i in failed.value.issues} == {"the number 1.35"}
    messages.write_text(text, "utf-8")
    assert generate_site(paths, jobs=2).records == 91


def count_shards_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The record-cache shards read from now on, by number."""
    read: list[int] = []
    real = generator.pipeline.read_shard

    def counting(folder: Path, shard: int, studies: Path) -> Any:
        read.append(shard)
        return real(folder, shard, studies)

    monkeypatch.setattr(generator.pipeline, "read_shard", counting)
    return read


def test_with_memory_an_edit_reads_one_file_and_one_shard_and_equals_a_cold_run(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What serve keeps between runs: the second edit finds the first one's record in memory
    too (memory was brought up to date), and the pages equal a cold run's."""
    paths = _cache_usable(project)
    memory = Memory()
    fill_memory(paths, memory)
    assert len(memory.records) == 91
    for name, change in [("passion-phase-1", rename), ("amanat-2021-cord-tissue-msc-cp", rename)]:
        edit(project, name, change)
        parsed, shards = count_parsed(monkeypatch), count_shards_read(monkeypatch)
        assert generate_site(paths, memory=memory).written > 0
        assert parsed == [f"{name}.yaml"]
        assert shards == [generator.cache.shard_of(f"{name}.yaml")]
        monkeypatch.undo()
    assert tree(project) == cold(project, tmp_path)


def test_with_memory_a_failed_run_leaves_memory_as_the_last_good_run_left_it(
    project: Path, tmp_path: Path
) -> None:
    paths = _cache_usable(project)
    memory = Memory()
    fill_memory(paths, memory)
    before = dict(memory.records)
    record = project / "studies" / "passion-phase-1.yaml"
    good = record.read_text(encoding="utf-8")
    record.write_text(good.replace("\nstatus: ", "\nstatus: not-a-status\nxstatus: ", 1))
    with pytest.raises(ValidationFailed):
        generate_site(paths, memory=memory)
    assert memory.records == before
    record.write_text(rename(good), encoding="utf-8")
    generate_site(paths, memory=memory)
    assert tree(project) == cold(project, tmp_path)


def test_with_memory_a_record_newly_cited_by_a_key_message_is_read_whole(project: Path) -> None:
    """Memory holds most records cut to what the rules across records read. Once a key
    message cites one, its numbers are checked against the whole record: read from the
    record cache, not taken cut from memory (which would refuse a number it has)."""
    paths = _cache_usable(project)
    memory = Memory()
    fill_memory(paths, memory)
    name = "boruczkowski-2019-wharton-jelly-msc-cp"
    assert memory.records[f"{name}.yaml"][1].lean  # cited by nothing yet
    messages = project / "data" / "key-messages.yaml"
    text = messages.read_text(encoding="utf-8")
    sentence = (
        "    sentences:\n      - text: In one study, 48 of 54 children had a side effect.\n"
        f"        cites: [{name}]\n"
    )
    messages.write_text(text.replace("    sentences:\n", sentence, 1), encoding="utf-8")
    generate_site(paths, memory=memory)  # raises if the number is looked for in a cut record
    assert not memory.records[f"{name}.yaml"][1].lean


def test_fill_memory_reads_nothing_once_a_run_has_filled_memory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _cache_usable(project)
    memory = Memory()
    edit(project, "passion-phase-1", rename)
    generate_site(paths, memory=memory)  # a run that read the records fills memory
    assert len(memory.records) == 91
    parsed, shards = count_parsed(monkeypatch), count_shards_read(monkeypatch)
    fill_memory(paths, memory)
    assert (parsed, shards) == ([], [])
