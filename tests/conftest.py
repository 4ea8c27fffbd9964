"""Shared fixtures: small records built from overrides, and a throw-away project folder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SITE_URL = "https://evidence-site.example.org/"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden from the current output (review the diff before committing)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def minimal_record(ident: str = "example-study", **overrides: Any) -> dict[str, Any]:
    """The smallest valid record, with fields replaced or added by keyword."""
    record: dict[str, Any] = {
        "id": ident,
        "short_name": "Example 2020 (Nowhere, own cord blood, children with CP)",
        "title": "An example study of cord blood",
        "evidence_kind": "uncontrolled-trial",
        "status": "completed",
        "conditions": ["cerebral-palsy"],
        "summary": "A small single-arm study.",
        "references": [
            {"id": "paper", "type": "article", "title": "An example paper", "year": 2020}
        ],
        "last_reviewed": "2026-01-01",
    }
    record.update(overrides)
    return record


@pytest.fixture
def write_record(tmp_path: Path) -> Callable[..., Path]:
    """Write a record (dict or raw YAML text) into tmp_path/studies and return its path."""
    studies = tmp_path / "studies"
    studies.mkdir(exist_ok=True)

    def write(record: dict[str, Any] | str, name: str | None = None) -> Path:
        if isinstance(record, dict):
            text = yaml.safe_dump(record, sort_keys=False, allow_unicode=True)
            name = name or record["id"]
        else:
            text = record
        assert name is not None
        path = studies / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def copy_project(target: Path, studies: Path | None = None, glossary: Path | None = None) -> Path:
    """Copy what a build needs (config, hand-written pages, data) into target."""
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "content").mkdir()
    shutil.copy(ROOT / "content" / "about-evidence.md", target / "content" / "about-evidence.md")
    shutil.copytree(ROOT / "content" / "assets", target / "content" / "assets")
    (target / "data").mkdir()
    shutil.copy(glossary or ROOT / "data" / "glossary.yaml", target / "data" / "glossary.yaml")
    # Key messages and notes cite records: the real records take the real ones, the fixtures
    # their own, and any other corpus none.
    editorial = {None: ROOT / "data", DATA / "studies": DATA}.get(studies)
    for name in ("key-messages.yaml", "notes.yaml") if editorial else ():
        shutil.copy(editorial / name, target / "data" / name)
    shutil.copytree(studies or ROOT / "studies", target / "studies")
    return target


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A project folder holding the test fixtures' records and glossary."""
    project = tmp_path / "project"
    project.mkdir()
    return copy_project(project, DATA / "studies", DATA / "glossary.yaml")


def run_generator(
    *args: str, cwd: Path, env: dict[str, str] | None = None, workdir: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `python -m generator --root CWD ARGS...` in this process, through `main(argv)`.

    The same call as `run_generator_process`, without starting an interpreter: the working
    folder is `workdir` (the repository's unless given), stdout and stderr are captured,
    argparse's SystemExit becomes the exit code, and `env` (when given) replaces the
    environment for the call. Never raises for a failed command; an exception that escapes
    `main` is a bug and fails the test.
    """
    from generator.cli import main

    command = ["--root", str(cwd), *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    try:
        with (
            contextlib.chdir(workdir),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            try:
                code = main(command)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
    finally:
        if env is not None:
            os.environ.clear()
            os.environ.update(saved_env)
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "generator", *command], code, stdout.getvalue(), stderr.getvalue()
    )


def run_generator_process(
    *args: str, cwd: Path, timeout: int = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m generator --root CWD ARGS...` as a contributor would; never raises.

    A real process: for the entry point itself, and for commands that run MkDocs.
    """
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(cwd), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )
