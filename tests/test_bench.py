"""The benchmark's own arithmetic: what it parses, measures and calls a miss."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.run import change_site_input, make_project, run_step, serve_edit, table, targets, written
from generator.pipeline import Paths, generate_site


def test_summary_line_is_parsed() -> None:
    line = "1000 record(s) -> 4086 file(s): 12 written, 0 removed, 4074 unchanged\n"
    assert written("site built\n" + line) == (4086, 12)


def test_peak_memory_of_a_child_process_is_measured(tmp_path: Path) -> None:
    code = "x = bytearray(80_000_000); print('done')"
    step = run_step([sys.executable, "-c", code], tmp_path, {})
    assert step.stdout == "done\n"
    assert step.peak_rss_mb > 80
    assert step.failure is None


def test_a_failing_step_is_reported_when_not_checked(tmp_path: Path) -> None:
    step = run_step([sys.executable, "-c", "raise SystemExit('too long')"], tmp_path, {}, False)
    assert step.failure == "too long"


def run(records: int, **changes: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "records": records,
        "files": records * 4,
        "cold_unwritten_files": 0,
        "files_written_warm": 0,
        "generate_s": 10.0,
        "generate_warm_s": 0.5,
        "build_s": 110.0,
        "bare_mkdocs_s": 250.0,
        "generate_one_edit_s": 0.4,
        "files_written_one_edit": 12,
        "serve_one_edit_s": 0.2,
        "generate_peak_rss_mb": 200.0,
        "generate_site_change_peak_rss_mb": 250.0,
        "build_over_bare": 1.1,
        "peak_rss_mb": 300.0,
        "site_bytes": records * 80_000,
        "site_bytes_per_record": 80_000,
    }
    return figures | changes


def test_targets_hold_and_miss_as_the_issue_sets_them() -> None:
    good = [run(1000), run(10_000)]
    assert not [line for line in targets(good) if line.startswith("MISS")]
    bad = [
        run(1000),
        run(
            10_000,
            generate_s=30.0,
            files_written_warm=3,
            site_bytes_per_record=95_000,
            generate_site_change_peak_rss_mb=520.0,
        ),
        run(100, generate_one_edit_s=5.0, files_written_one_edit=400, serve_one_edit_s=0.6),
    ]
    misses = [line for line in targets(bad) if line.startswith("MISS")]
    # at 10,000: generate time, generate/bare, warm writes, bytes per record, memory after a
    # site-wide change; at 100: one-edit time, one-edit writes and one edit in serve
    assert len(misses) == 8
    assert any("after a site-wide change 520 MB" in line for line in misses)
    assert any("one edit in serve takes 6% of a cold generate" in line for line in misses)
    assert "| records |" in table(good)


def test_a_site_wide_change_is_a_real_run_that_writes_no_page(tmp_path: Path) -> None:
    project = make_project(tmp_path, 30, seed=1)
    paths = Paths.from_root(project)
    cold = generate_site(paths)
    change_site_input(project, 0)
    again = generate_site(paths)
    assert not again.skipped  # a site-wide input changed: the run is not skipped
    assert (again.written, again.files) == (0, cold.files)
    assert "# bench: a site-wide change (0)" in (project / "data" / "glossary.yaml").read_text()


def test_serve_edit_times_one_regenerate_of_an_edited_record(tmp_path: Path) -> None:
    project = make_project(tmp_path, 30, seed=1)
    generate_site(Paths.from_root(project))
    before = {p.name: p.read_text() for p in (project / "studies").glob("*.yaml")}
    figures = serve_edit(project, 0)
    after = {p.name: p.read_text() for p in (project / "studies").glob("*.yaml")}
    [edited] = [name for name in before if before[name] != after[name]]
    page = (project / "content" / "studies" / edited.replace(".yaml", ".md")).read_text()
    assert "Edited (1)." in page
    assert 0 < figures["written"] < 30  # its page and the pages that list it
    assert 0 < figures["seconds"] < 60
    assert figures["cpu_seconds"] > 0
