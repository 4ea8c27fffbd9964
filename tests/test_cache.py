"""No-change shortcut: a regenerate with nothing changed does nothing, anything else runs fully."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from generator.cache import input_digest
from generator.errors import ValidationFailed
from generator.pipeline import Paths, generate_site
from tests.conftest import DATA, ROOT, minimal_record

STUDY = Path("content/studies/passion-phase-1.md")


def stamps(root: Path) -> dict[Path, int]:
    content = root / "content"
    return {p: p.stat().st_mtime_ns for p in content.rglob("*.md")}


def test_second_run_with_nothing_changed_is_skipped(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    first = generate_site(paths)
    assert not first.skipped
    assert first.written == first.files
    before = stamps(sample_project)
    again = generate_site(paths)
    assert again.skipped
    assert (again.written, again.removed, again.unchanged) == (0, 0, first.files)
    assert (again.records, again.latest_review) == (first.records, first.latest_review)
    assert stamps(sample_project) == before


def test_an_edited_record_is_regenerated(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    record = sample_project / "studies" / "passion-phase-1.yaml"
    record.write_text(
        record.read_text().replace("last_reviewed:", "reviewed_by: Someone\nlast_reviewed:")
    )
    report = generate_site(paths)
    assert not report.skipped
    assert report.written >= 1
    assert "Someone" in (sample_project / STUDY).read_text()


def test_a_generated_page_edited_or_deleted_by_hand_is_restored(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    page = sample_project / STUDY
    original = page.read_text()
    page.write_text(original + "edited by hand\n")
    assert generate_site(paths).written == 1
    assert page.read_text() == original
    page.unlink()
    assert generate_site(paths).written == 1
    stray = sample_project / "content" / "studies" / "stray.md"
    stray.write_text("left over\n")
    assert generate_site(paths).removed == 1
    assert not stray.exists()


def test_a_changed_glossary_is_regenerated(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    glossary = sample_project / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text() + "\n# a comment changes the bytes\n")
    assert not generate_site(paths).skipped


def test_a_failed_run_writes_nothing_and_the_fixed_records_need_no_work(
    sample_project: Path,
) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    before = stamps(sample_project)
    record = sample_project / "studies" / "broken.yaml"
    record.write_text(yaml.safe_dump(minimal_record("broken", status="done")))
    with pytest.raises(ValidationFailed):
        generate_site(paths)
    record.unlink()
    assert generate_site(paths).skipped
    assert stamps(sample_project) == before


def test_a_damaged_state_file_means_a_full_run(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    assert paths.state is not None
    paths.state.write_text("{not json")
    report = generate_site(paths)
    assert not report.skipped
    assert report.written == 0
    assert generate_site(paths).skipped


def test_the_digest_changes_with_a_template_the_schema_or_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the package, loaded from its own folder, changed one file at a time."""
    package = tmp_path / "generator"
    shutil.copytree(ROOT / "generator", package, ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location("copied_cache", package / "cache.py")
    assert spec is not None
    assert spec.loader is not None
    copied = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "copied_cache", copied)  # for its dataclass
    spec.loader.exec_module(copied)
    inputs = (DATA / "studies", [DATA / "glossary.yaml"])
    original = copied.input_digest(*inputs)
    assert original == input_digest(*inputs)  # the same code gives the same digest
    for name in ("templates/study.md.j2", "schema/study.schema.json", "render.py"):
        path = package / name
        before = path.read_bytes()
        path.write_bytes(before + b"\n")
        copied._code_digest.cache_clear()
        assert copied.input_digest(*inputs) != original, name
        path.write_bytes(before)
        copied._code_digest.cache_clear()
        assert copied.input_digest(*inputs) == original, name


def test_a_changed_site_config_is_regenerated(sample_project: Path) -> None:
    paths = Paths.from_root(sample_project)
    generate_site(paths)
    config = sample_project / "mkdocs.yml"
    config.write_text(config.read_text() + "\n# a comment changes the bytes\n")
    assert not generate_site(paths).skipped
