"""End to end for contributors: import and `new` drafts -> fill in -> check -> generate -> build."""

from __future__ import annotations

import html as html_module
import json
import subprocess
from pathlib import Path

import pytest

from generator.load import RawRecord, parse_text
from generator.validate import placeholders
from tests.conftest import DATA, copy_project, run_generator_process

pytestmark = pytest.mark.slow

ANSWERS: dict[str, object] = {
    "short_name": "Synthetic 2026 (Nowhere, donor cord blood, children with CP)",
    "title": "A made-up paper",
    "evidence_kind": "randomised-trial",
    "status": "completed",
    "conditions": "cerebral-palsy",
    "summary": "A synthetic record made by a test: not a real study.",
    "description": "Made up for a test.",
    "cell_type": "umbilical-cord-blood",
    "route": "intravenous",
    "type": "article",
    "direction": "higher-better",
    "scale": "final",
    "plan": "prespecified-secondary",
    "value": 2,
    "arm": "cells",
    "label": "Cells",
    "name": "Gross motor function",
    "role_stated_by": "registry",
    "added": "2026-01-01",
    "last_reviewed": "2026-01-01",
}
"""What a contributor would write for each marked field (by field name)."""
IN_SECTION: dict[tuple[str, str], object] = {
    ("arms", "id"): "cells",
    ("arms", "role"): "experimental",
    ("outcomes", "id"): "gmfm",
    ("outcomes", "role"): "primary",
}
"""Answers that depend on the section: an arm's role is not an outcome's role."""
DELETE = {"dose", "countries", "instrument", "status_checked"}
"""Marked fields a contributor would delete instead (the sources give no dose, ...)."""


def answer(where: tuple[str | int, ...]) -> object:
    name = next(str(p) for p in reversed(where) if isinstance(p, str))
    return IN_SECTION.get((str(where[0]), name), ANSWERS.get(name))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_generator_process(*args, cwd=cwd, timeout=300)


def fill_in(path: Path) -> int:
    """Replace each TODO value in the file's text as a person would; return how many."""
    text = path.read_text(encoding="utf-8")
    record = parse_text(path, text)
    assert isinstance(record, RawRecord), record
    lines = text.split("\n")
    marked = list(placeholders(record.data))
    for where, _ in sorted(marked, key=lambda m: record.locate(m[0]), reverse=True):
        line, column = record.locate(where)
        name = next(str(p) for p in reversed(where) if isinstance(p, str))
        if name in DELETE:
            del lines[line - 1]
            continue
        head, rest = lines[line - 1][: column - 1], lines[line - 1][column - 1 :]
        _, end = json.JSONDecoder().raw_decode(rest)
        lines[line - 1] = head + json.dumps(answer(where)) + rest[end:]
    path.write_text("\n".join(lines), encoding="utf-8")
    return len(marked)


def test_drafts_become_pages_of_a_strict_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path, DATA / "studies", DATA / "glossary.yaml")
    imported = run("import-ctgov", str(DATA / "ctgov" / "results-posted.json"), cwd=project)
    assert imported.returncode == 0, imported.stderr
    started = run("new", "synthetic-new", cwd=project)
    assert started.returncode == 0, started.stderr
    before = run("check", "--today", "2026-06-01", cwd=project)
    assert before.returncode == 1
    problems = before.stderr.splitlines()
    assert all(": to fill in: " in line for line in problems[:-1] if ": warning: " not in line)

    drafts = [project / "studies" / "nct99999901.yaml", project / "studies" / "synthetic-new.yaml"]
    filled = sum(fill_in(path) for path in drafts)
    assert problems[-1] == f"{filled} problem(s) found"

    checked = run("check", "--today", "2026-06-01", cwd=project)
    assert checked.returncode == 0, checked.stderr
    records = len(list((DATA / "studies").glob("*.yaml"))) + len(drafts)
    assert checked.stdout.startswith(f"{records} record(s)")
    generated = run("generate", cwd=project)
    assert generated.returncode == 0, generated.stderr
    page = (project / "content" / "studies" / "nct99999901.md").read_text(encoding="utf-8")
    assert "4.5 score on a scale" in page  # a posted group result
    assert "1.5 score on a scale (95% CI 0.2 to 2.8); p = 0.04" in page
    built = run("build", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    html = (project / "site" / "studies" / "nct99999901" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "https://clinicaltrials.gov/study/NCT99999901" in html
    assert (project / "site" / "studies" / "synthetic-new" / "index.html").is_file()
    record_format = (project / "site" / "record-format" / "index.html").read_text()
    assert "<td>arms[].n</td>" in html_module.unescape(record_format)
