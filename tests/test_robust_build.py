"""A failed, interrupted or killed build never leaves a half-written site.

`build` writes into a staging folder beside site/ and swaps it in only when MkDocs succeeds.
These tests break a build at the MkDocs stage (a broken hand-written page), interrupt one
midway (SIGINT and SIGTERM while MkDocs is writing) and kill one outright (SIGKILL): each time
the previous site/ must be byte-for-byte intact, and no staging folder may be left behind
(after SIGKILL, which nothing can catch, the next build removes it).

An interrupted or killed build is held midway by a MkDocs hook added to the test's copy of
mkdocs.yml: after MkDocs has copied the theme's files and rendered its first page, the hook
leaves a marker and waits. Signalling then always lands while MkDocs is writing; waiting
for the first files to appear instead raced a small site's build to its end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, copy_project
from tests.test_hostile import snapshot

pytestmark = pytest.mark.slow

TIMEOUT = 120
VICTIM = "mahidol-wharton-jelly-msc-hie.yaml"
"""A fixture record that no other record refers to, removed to make the next site differ."""


def build(project: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `build` in its own process group, so a test can signal it and MkDocs together."""
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "--root", str(project), "build"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


HOOK = """\
import os
import pathlib
import time

_held = False


def on_post_page(output, **kwargs):
    # Only the build a test marks, and only once: the marker says MkDocs is midway.
    global _held
    marker = os.environ.get("TEST_HOLD_MARKER")
    if marker and not _held:
        _held = True
        pathlib.Path(marker).write_text("held", "utf-8")
        time.sleep({timeout})
    return output
"""


def held_build(project: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start `build` with MkDocs to be held after its first page; the process and its marker."""
    with (project / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("\nhooks:\n  - test_hold.py\n")
    (project / "test_hold.py").write_text(HOOK.format(timeout=TIMEOUT), "utf-8")
    marker = project.parent / "held"
    return build(project, {"TEST_HOLD_MARKER": str(marker)}), marker


def staging_folders(project: Path) -> list[Path]:
    return sorted(project.glob(".site.*"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a built site, built once for the module."""
    project = copy_project(
        tmp_path_factory.mktemp("built"), DATA / "studies", DATA / "glossary.yaml"
    )
    first = build(project)
    _, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, err
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built project for one test."""
    return Path(shutil.copytree(built, tmp_path / "project", symlinks=True))


def wait_until_held(project: Path, process: subprocess.Popen[str], marker: Path) -> Path:
    """Wait until the hook holds MkDocs midway; the staging folder it is writing."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before it could be interrupted"
        if marker.exists():
            [folder] = staging_folders(project)
            assert (folder / "assets").is_dir()  # MkDocs has begun writing the new site
            return folder
        time.sleep(0.01)
    raise AssertionError("MkDocs was never held")


def test_failed_mkdocs_build_keeps_the_previous_site(project: Path) -> None:
    before = snapshot(project / "site")
    (project / "content" / "broken.md").write_text("# Broken\n\n[missing](no-such-page.md)\n")
    process = build(project)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 1
    assert "no-such-page.md" in err
    assert err.rstrip().endswith("error: mkdocs build failed (exit 1); see messages above")
    assert "Traceback" not in err
    assert snapshot(project / "site") == before
    assert staging_folders(project) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_build_keeps_the_previous_site(project: Path, stop: signal.Signals) -> None:
    before = snapshot(project / "site")
    (project / "studies" / VICTIM).unlink()  # so that the new site would differ
    process, marker = held_build(project)
    wait_until_held(project, process, marker)
    os.killpg(process.pid, stop)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert err.rstrip().endswith("interrupted")
    assert "Traceback" not in err
    assert snapshot(project / "site") == before
    assert staging_folders(project) == []


def test_killed_build_keeps_the_previous_site_and_the_next_build_cleans_up(
    project: Path,
) -> None:
    before = snapshot(project / "site")
    (project / "studies" / VICTIM).unlink()
    process, marker = held_build(project)
    staging = wait_until_held(project, process, marker)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(project / "site") == before
    assert staging_folders(project) == [staging]  # nothing can clean up after SIGKILL
    again = build(project)
    _, err = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0, err
    assert staging_folders(project) == []
    assert not (project / "site" / "studies" / Path(VICTIM).stem).exists()
