"""The contributor's commands as printed: a Python without the packages, make targets, docs."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with nothing installed: what `python3` is on a fresh machine, for our purposes."""
    where = tmp_path_factory.mktemp("bare-venv")
    venv.create(where, with_pip=False, system_site_packages=False, symlinks=True)
    return where / "bin" / "python"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["check"],
            "run `make check` (it sets up .venv with the pinned packages) or "
            "`.venv/bin/python -m generator check`",
        ),
        (
            ["new", "ren-2020"],
            "run `make new ID=ren-2020` (it sets up .venv with the pinned packages) or "
            "`.venv/bin/python -m generator new ren-2020`",
        ),
        (
            ["import-ref", "my paper.nbib"],
            "run `make import-ref FILE='my paper.nbib'` (it sets up .venv with the pinned "
            "packages) or `.venv/bin/python -m generator import-ref 'my paper.nbib'`",
        ),
        (
            ["import-ref", "--id", "registry", "x.json"],
            "run `.venv/bin/python -m generator import-ref --id registry x.json` (run `make site` "
            "once to set up .venv)",
        ),
        (
            [],
            "run `.venv/bin/python -m generator --help` (run `make site` once to set up .venv)",
        ),
    ],
)
def test_without_the_packages_one_line_names_the_command_to_run(
    bare_python: Path, args: list[str], expected: str
) -> None:
    result = subprocess.run(
        [str(bare_python), "-m", "generator", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert " is not installed for " in line
    assert line.endswith(expected), line
    assert "Traceback" not in result.stderr


def test_with_the_packages_the_command_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m generator")


@pytest.mark.parametrize(
    ("target", "usage"),
    [
        ("new", "usage: make new ID=sun-2017 (the record id: lower-case words joined by hyphens)"),
        ("import-ctgov", "usage: make import-ctgov FILE=NCT12345678.json [ID=record-id]"),
        (
            "import-ref",
            "usage: make import-ref FILE=paper.nbib [REF_ID=paper] "
            "(PubMed .nbib or XML, RIS, CSL-JSON)",
        ),
    ],
)
def test_make_targets_without_their_variable_print_their_usage(target: str, usage: str) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        timeout=600,  # the first make of a fresh clone sets up .venv
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == usage
    assert not (ROOT / "studies" / ".yaml").exists()


def test_every_package_the_generator_imports_is_looked_up_before_it_runs() -> None:
    """`python -m generator` names a missing package in one line only for those in REQUIRED."""
    from generator.__main__ import ALSO_REQUIRED, REQUIRED

    imported: set[str] = set()
    for path in (ROOT / "generator").rglob("*.py"):
        pattern = r"^\s*(?:import (\w+)|from (\w+)[\w.]* import )"
        for match in re.finditer(pattern, path.read_text(), re.M):
            imported.add(match.group(1) or match.group(2))
    third_party = imported - set(sys.stdlib_module_names) - {"generator", "__future__"}
    listed = {module for module, _ in REQUIRED}
    listed |= {module for extra in ALSO_REQUIRED.values() for module, _ in extra}
    assert third_party == listed - {"mkdocs"}
