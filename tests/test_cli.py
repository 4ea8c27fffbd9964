"""Command line: exit codes, FILE:LINE:COL messages, no tracebacks, nothing half-written.

The commands run in process through `main(argv)` (conftest's `run_generator`); one test
starts the real `python -m generator` entry point, for its exit codes and streams.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from generator.cache import STATE_FILE
from generator.cli import main
from tests.conftest import minimal_record, run_generator, run_generator_process


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_generator(*args, cwd=cwd)


def test_check_passes_on_the_fixtures(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(sample_project), "check"]) == 0
    assert "record(s) and" in capsys.readouterr().out


def test_check_reports_each_problem_once_and_exits_1(sample_project: Path) -> None:
    studies = sample_project / "studies"
    (studies / "duplicate-key.yaml").write_text(
        yaml.safe_dump(minimal_record("duplicate-key"), sort_keys=False) + "status: completed\n"
    )
    bad = minimal_record(
        "several-problems",
        population={"description": "x", "enrolled": "ten", "sources": ["paper"]},
        sponser="Mahidol University",
        registrations=[{"registry": "clinicaltrials.gov", "id": "NCT0335682"}],
        related=[{"id": "no-such-record", "relation": "related-to"}],
    )
    (studies / "several-problems.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    # A fixed "today" keeps curation warnings (old reviews) out of the expected output.
    result = run("check", "--today", "2026-12-01", cwd=sample_project)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "5 problem(s) found"
    messages = sorted(line.split(": ", 1)[1] for line in lines[:-1])
    assert messages == sorted(
        [
            "status: duplicate key 'status' (first used on line 5)",
            "population.enrolled: expected whole number, got text",
            "sponser: unknown field 'sponser'; did you mean 'sponsor'?",
            "registrations[0].id: 'NCT0335682' does not match: ClinicalTrials.gov identifier (NCT and 8 digits)",
            "related[0].id: no record with id 'no-such-record'",
        ]
    )
    for line in lines[:-1]:
        path, line_no, col, _ = line.split(":", 3)
        assert path.startswith("studies/")
        assert path.endswith(".yaml")
        assert int(line_no) > 1
        assert int(col) >= 1
    assert "Traceback" not in result.stderr


def test_generate_twice_writes_nothing_the_second_time(sample_project: Path) -> None:
    first = run("generate", cwd=sample_project)
    assert first.returncode == 0, first.stderr
    second = run("generate", cwd=sample_project)
    assert second.returncode == 0
    assert ": 0 written, 0 removed," in second.stdout
    assert "(nothing changed since the last run)" in second.stdout  # the no-change shortcut
    # Without the shortcut's state file, a full run renders every page and writes none: each
    # page is written only when its bytes differ.
    (sample_project / STATE_FILE).unlink()
    full = run("generate", cwd=sample_project)
    assert full.returncode == 0, full.stderr
    assert ": 0 written, 0 removed," in full.stdout
    assert "nothing changed" not in full.stdout


def test_failed_check_leaves_generated_pages_untouched(sample_project: Path) -> None:
    assert run("generate", cwd=sample_project).returncode == 0
    content = sample_project / "content"
    before = {p: p.read_bytes() for p in content.rglob("*.md")}
    (sample_project / "studies" / "broken.yaml").write_text("id: broken\ntitle: [\n")
    result = run("generate", cwd=sample_project)
    assert result.returncode == 1
    assert result.stderr.startswith("studies/broken.yaml:3:1: (record): YAML syntax error")
    assert {p: p.read_bytes() for p in content.rglob("*.md") if p.is_file()} == before


def test_removing_a_record_removes_its_page(sample_project: Path) -> None:
    assert run("generate", cwd=sample_project).returncode == 0
    victim = next((sample_project / "studies").glob("mahidol*.yaml"))
    content = sample_project / "content"
    own = [
        content / "studies" / f"{victim.stem}.md",
        *(
            content / "downloads" / "cite" / f"{victim.stem}.{ext}"
            for ext in ("bib", "ris", "json")
        ),
    ]
    assert all(p.exists() for p in own)
    victim.unlink()
    result = run("generate", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    assert not any(p.exists() for p in own)
    assert f"{len(own)} removed" in result.stdout


def test_the_entry_point_gives_the_exit_codes(sample_project: Path) -> None:
    """`python -m generator` as a contributor runs it: 0, 1 for a bad record, 2 for bad usage."""
    passed = run_generator_process("check", "--today", "2026-01-01", cwd=sample_project)
    assert passed.returncode == 0, passed.stderr
    assert "record(s) and" in passed.stdout
    (sample_project / "studies" / "broken.yaml").write_text("id: broken\ntitle: [\n")
    failed = run_generator_process("check", cwd=sample_project)
    assert failed.returncode == 1
    assert failed.stderr.startswith("studies/broken.yaml:3:1: (record): YAML syntax error")
    misused = run_generator_process("frobnicate", cwd=sample_project)
    assert misused.returncode == 2
    assert "invalid choice: 'frobnicate'" in misused.stderr
    for result in (passed, failed, misused):
        assert "Traceback" not in result.stderr


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_missing_glossary_is_a_clear_error(sample_project: Path) -> None:
    (sample_project / "data" / "glossary.yaml").unlink()
    result = run("check", cwd=sample_project)
    assert result.returncode == 1
    assert "data/glossary.yaml:1:1: (record): cannot read file" in result.stderr


def test_build_refuses_to_replace_project_files(sample_project: Path) -> None:
    for target in (sample_project, sample_project / "studies"):
        result = run("build", "--site-dir", str(target), cwd=sample_project)
        assert result.returncode == 1
        assert "refusing to build into" in result.stderr
    assert (sample_project / "studies").is_dir()


def test_build_refuses_a_folder_that_is_not_a_site(sample_project: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    result = run("build", "--site-dir", str(victim), cwd=sample_project)
    assert result.returncode == 1
    assert "does not look like a built site" in result.stderr
    assert (victim / "keep.txt").read_text() == "precious"


def test_folder_in_the_way_fails_before_writing_anything(sample_project: Path) -> None:
    assert run("generate", cwd=sample_project).returncode == 0
    content = sample_project / "content"
    before = {p: p.read_bytes() for p in content.rglob("*.md")}
    (sample_project / "studies" / "new-study.yaml").write_text(
        yaml.safe_dump(minimal_record("new-study"), sort_keys=False)
    )
    (content / "studies" / "new-study.md").mkdir()
    result = run("generate", cwd=sample_project)
    assert result.returncode == 1
    assert "a folder is in the way of a generated page" in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in content.rglob("*.md") if p.is_file()} == before


def test_symlinked_record_is_reported_under_its_own_name(sample_project: Path) -> None:
    (sample_project / "studies" / "linked.yaml").symlink_to(sample_project / "nowhere.yaml")
    result = run("check", cwd=sample_project)
    assert result.returncode == 1
    assert result.stderr.startswith("studies/linked.yaml:1:1: (record): cannot read file")
