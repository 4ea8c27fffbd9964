"""The docs are run: CONTRIBUTING.md's commands, in the order it gives them, on a scratch copy of
the project, with the person's steps in between done as the guide tells them.

Every command in a ```sh block of CONTRIBUTING.md is run as printed (through bash, from the
project folder), except downloads, which are served from fixtures by address, and a few
commands listed in NOT_RUN with the reason. A command the test does not know fails it, and so
does any documented command that fails: change a command in the guide and this test follows
it, or fails until the guide and the project agree again. Between the commands, the test does
what the guide asks of a person: paste the printed reference, fill in every TODO (for the
paper: Ren 2020, PMID 31702120, from its PubMed record), check again, and look at the page.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.load import RawRecord, format_field, parse_text
from generator.validate import placeholders
from tests.conftest import DATA, ROOT
from tests.test_contribute_e2e import fill_in

pytestmark = pytest.mark.slow

GUIDE = ROOT / "CONTRIBUTING.md"


def ctgov_download(target: Path) -> None:
    """The API's answer for the guide's example NCT number: a synthetic study with results."""
    text = (DATA / "ctgov" / "results-posted.json").read_text(encoding="utf-8")
    target.write_text(text.replace("NCT99999901", "NCT12345678"), encoding="utf-8")


DOWNLOADS: dict[str, Callable[[Path], None]] = {
    "https://clinicaltrials.gov/api/v2/studies/NCT12345678": ctgov_download,
    "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=31702120"
    "&rettype=medline&retmode=text": lambda target: shutil.copy(
        DATA / "refs" / "ren-2020.nbib", target
    ),
}
"""Addresses the guide downloads from, and the fixture served for each (no network here)."""

NOT_RUN = {
    "make test": "this test is part of `make test-all` (and `make test` is its fast tier)",
    "make serve": "a preview server that runs until stopped; `make site` builds the same pages",
    ".venv/bin/pre-commit install": "installs a git hook into a clone; CI runs the same hooks "
    "with pre-commit (`make pre-commit-check`, tests/test_repo_files.py)",
    'curl -LH "Accept: application/vnd.citationstyles.csl+json" https://doi.org/': "needs "
    "doi.org; reading CSL-JSON is tested in tests/test_import_ref.py",
}
"""Documented commands this test does not run (matched by their start), and why."""

PAPER: dict[str, str] = {
    # Each placeholder of the record `make new` starts, answered as YAML text from the paper's
    # PubMed record (tests/data/refs/ren-2020.nbib: abstract and citation); any placeholder not
    # answered here is deleted, as the guide says to do when the source does not give it.
    "short_name": '"Ren 2020"',
    "title": '"Autologous cord blood cell infusion in preterm neonates safely reduces '
    'respiratory support duration and potentially preterm complications"',
    "evidence_kind": "non-randomised-controlled-trial",
    "status": "completed",
    "conditions[0]": "preterm-brain-injury",
    "summary": '"Preterm babies born before 35 weeks received their own cord blood cells '
    "through a vein within 8 hours of birth (15 babies) or saline (16 babies), not by "
    "random assignment. Complications of prematurity and deaths before discharge did not "
    "differ clearly between the groups; babies given cells needed a ventilator and oxygen "
    'for fewer days. The study was small."',
    "population.description": '"Preterm infants born before 35 weeks of gestation."',
    "population.enrolled": "31",
    "population.gestational_age": '"less than 35 weeks"',
    "arms[0].id": "cells",
    "arms[0].label": '"Own cord blood cells"',
    "arms[0].role": "experimental",
    "arms[0].n": "15",
    "arms[1].id": "control",
    "arms[1].label": '"Saline"',
    "arms[1].role": "placebo",
    "arms[1].n": "16",
    "interventions[0].arm": "cells",
    "interventions[0].cell_type": "umbilical-cord-blood",
    "interventions[0].tissue_source": "umbilical-cord-blood",
    "interventions[0].donor": "autologous",
    "interventions[0].route": "intravenous",
    "interventions[0].dose.value": "5.0e+7",
    "interventions[0].dose.unit": "cells/kg",
    "interventions[0].timing": '"within 8 hours after birth"',
    "outcomes[0].id": "ventilation",
    "outcomes[0].name": '"Days on mechanical ventilation"',
    "outcomes[0].domain": "other",
    "outcomes[0].direction": "lower-better",
    "effects[0].outcome": "ventilation",
    "effects[0].experimental[0]": "cells",
    "effects[0].comparator[0]": "control",
    "effects[0].p": '"P = .028"',
    "effects[0].statement": '"Fewer days on mechanical ventilation with cells (3.2 against '
    '6.41 days)."',
    "effects[0].locator": "abstract",
    "added": '"2026-12-02"',
    "last_reviewed": '"2026-12-02"',
}
SWITCH_ON = [("population", 0), ("effects", 0), ("n", 4), ("tissue_source", 4), ("donor", 4)]
SWITCH_ON += [("dose", 4), ("timing", 4), ("domain", 4), ("direction", 4)]
"""Commented-out fields the paper gives, switched on as the skeleton's header says: (field,
indentation). The skeleton's one arm is copied for the second group."""


def documented_commands(text: str) -> list[str]:
    """Every command line of the guide's ```sh blocks, in order, without trailing comments."""
    commands = []
    for block in re.finditer(r"^( *)```sh\n(.*?)^\1```", text, re.MULTILINE | re.DOTALL):
        for line in block.group(2).splitlines():
            line = re.sub(r"\s+#\s.*$", "", line.strip())
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def scratch_copy(target: Path) -> Path:
    """The project as a fresh clone has it (tracked and new files), with this .venv linked in,
    so `make` finds its packages installed (a fresh clone's first `make site` installs them)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        cwd=ROOT,
        check=True,
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Not as a sub-make of `make test`: make would add "Entering directory" lines to the output.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
        check=False,
    )


def download(command: str, cwd: Path) -> None:
    args = shlex.split(command)
    url = next(a for a in args if a.startswith("https://"))
    assert url in DOWNLOADS, f"CONTRIBUTING.md downloads {url}: add a fixture to DOWNLOADS"
    DOWNLOADS[url](cwd / args[args.index("-o") + 1])


def paste(record: Path, entry: str) -> None:
    """As the guide says: the printed entry replaces the skeleton's `- id: paper` entry (down to
    the next line that starts at the left margin)."""
    text = record.read_text(encoding="utf-8")
    start = text.index("\n  - id: paper\n") + 1
    end = re.compile(r"^\S", re.MULTILINE).search(text, start)
    assert end is not None
    record.write_text(text[:start] + entry + text[end.start() :], encoding="utf-8")


def switch_on(text: str, field: str, indent: int) -> str:
    """Remove the `# ` from a commented-out field's lines (its `##` lines stay comments)."""
    pad = " " * indent
    lines = text.split("\n")
    start = lines.index(f"{pad}# {field}:") if f"{pad}# {field}:" in lines else None
    if start is None:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{pad}# {field}: "))
    end = start + 1
    while end < len(lines) and lines[end].startswith(f"{pad}#  "):
        end += 1
    for i in range(start, end):
        lines[i] = pad + lines[i][indent + 2 :]
    return "\n".join(lines)


def copy_first_entry(text: str, section: str) -> str:
    """Copy a list's entry for a further one, as the skeleton's comment says."""
    lines = text.split("\n")
    start = lines.index(f"{section}:") + 1
    end = next(i for i in range(start, len(lines)) if re.match(r"\S", lines[i]))
    return "\n".join(lines[:end] + lines[start:end] + lines[end:])


def answer(path: Path, answers: dict[str, str]) -> None:
    """Replace each placeholder with its answer; delete the line of any other placeholder,
    and then any field left empty (a section whose values were all deleted)."""
    text = path.read_text(encoding="utf-8")
    record = parse_text(path, text)
    assert isinstance(record, RawRecord), record
    lines = text.split("\n")
    marked = sorted(placeholders(record.data), key=lambda m: record.locate(m[0]), reverse=True)
    for where, _ in marked:
        line, column = record.locate(where)
        field = format_field(where)
        if field not in answers:
            del lines[line - 1]
            continue
        head, rest = lines[line - 1][: column - 1], lines[line - 1][column - 1 :]
        _, end = json.JSONDecoder().raw_decode(rest)
        lines[line - 1] = head + answers[field] + rest[end:]
    while True:  # a key with nothing under it any more, e.g. `analysis:` or `subgroup:`
        empty = [
            i
            for i, line in enumerate(lines)
            if re.fullmatch(r"\s*(- )?[a-z_0-9]+:", line)
            and _indent(_next_field(lines, i)) <= _indent(line)
        ]
        if not empty:
            break
        for i in reversed(empty):
            del lines[i]
    path.write_text("\n".join(lines), encoding="utf-8")


def _next_field(lines: list[str], index: int) -> str:
    """The next line that is not blank or a comment ('' at the end)."""
    return next((x for x in lines[index + 1 :] if x.strip() and not x.lstrip().startswith("#")), "")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 0


def fill_in_paper(record: Path) -> None:
    text = record.read_text(encoding="utf-8")
    for field, indent in SWITCH_ON:
        text = switch_on(text, field, indent)
    record.write_text(copy_first_entry(text, "arms"), encoding="utf-8")
    answer(record, PAPER)


def to_fill_in_only(result: subprocess.CompletedProcess[str]) -> bool:
    problems = [
        line
        for line in result.stderr.splitlines()
        if ": warning: " not in line
        and not re.fullmatch(r"\d+ (problem|warning)\(s\).*", line)
        and not line.startswith("make")  # make's own "*** [Makefile:...] Error 1"
    ]
    return bool(problems) and all(": to fill in: " in line for line in problems)


def test_contributing_is_run_as_written(tmp_path: Path) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    commands = documented_commands(guide)
    project = scratch_copy(tmp_path / "project")
    # The guide's example paper is on the site already; the walk-through adds it afresh.
    (project / "studies" / "ren-2020-autologous-cord-blood-preterm.yaml").unlink()
    (project / "data" / "key-messages.yaml").unlink()  # it cites that record
    for related in (project / "studies").glob("*.yaml"):
        assert "ren-2020-autologous-cord-blood-preterm" not in related.read_text("utf-8"), related
    new_record: Path | None = None
    drafts: list[Path] = []
    pasted = filled = False
    ran: list[str] = []
    unchanged: set[str] = set()  # commands run since the last change to the project
    for command in commands:
        skipped = next(
            (reason for start, reason in NOT_RUN.items() if command.startswith(start)), None
        )
        if skipped:
            continue
        if command.startswith("curl "):
            download(command, project)
            unchanged.clear()
            continue
        assert command.startswith(("make ", ".venv/bin/python -m generator ")), (
            f"CONTRIBUTING.md runs {command!r}: teach tests/test_docs_run.py how to follow it"
        )
        if command in unchanged:
            continue  # run before, nothing changed since (the checklist repeats the steps)
        result = run(command, project)
        ran.append(command)
        if command.startswith("make check") and result.returncode and not filled:
            # "Fix what it lists and run it again": fill in every TODO, then check again.
            assert to_fill_in_only(result), result.stderr
            assert new_record is not None
            assert pasted
            fill_in_paper(new_record)
            for draft in drafts:
                fill_in(draft)
            filled = True
            result = run(command, project)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        unchanged.add(command)
        wrote = re.search(r"^wrote (\S+\.yaml)[. ]", result.stdout, re.MULTILINE)
        if command.startswith("make new "):
            assert wrote, result.stdout
            new_record = project / wrote[1]
            unchanged.clear()
        elif command.startswith("make import-ctgov "):
            assert wrote, result.stdout
            drafts.append(project / wrote[1])
            unchanged.clear()
        elif command.startswith("make import-ref ") and new_record and not pasted:
            assert result.stdout.startswith("# Paste under `references:`"), result.stdout
            paste(new_record, result.stdout)
            pasted = True
            unchanged.clear()

    # The guide covers the contributor's path end to end, and every step of it ran.
    for step in ("make import-ctgov ", "make new ", "make import-ref ", "make check", "make site"):
        assert any(c.startswith(step) for c in ran), f"CONTRIBUTING.md no longer runs {step}"
    assert "Paste the printed entry over the `- id: paper` entry" in guide
    assert new_record is not None
    assert pasted
    assert filled
    assert [d.name for d in drafts] == ["nct12345678.yaml"]

    # Look at the page: the paper's facts, its reference and the p value as the site shows it.
    page = project / "site" / "studies" / new_record.stem / "index.html"
    html = page.read_text(encoding="utf-8")
    assert (
        "Fewer days on mechanical ventilation with cells (3.2 against 6.41 days). (p = 0.028)"
        in html
    )
    assert "Stem Cells Transl Med" in html
    assert "https://pubmed.ncbi.nlm.nih.gov/31702120/" in html
    assert "5 × 10⁷ cells per kg" in html
    assert "Report an error in this record" not in html  # the fresh clone's address is OWNER
    assert (project / "site" / "studies" / "nct12345678" / "index.html").is_file()


def test_every_command_the_guide_and_readme_show_is_known() -> None:
    """Commands shown anywhere a contributor reads work as printed: make targets that exist,
    and the generator through .venv (a bare `python -m generator` needs the packages)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    for name in ("CONTRIBUTING.md", "README.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for target in re.findall(r"`make ([a-z][a-z-]*)", text) + re.findall(
            r"^make ([a-z][a-z-]*)", text, re.MULTILINE
        ):
            assert target in targets, f"{name} shows `make {target}`, which the Makefile lacks"
        bare = re.findall(r"(?<!\.venv/bin/)(?<![\w/])python3? -m generator", text)
        assert bare == [], f"{name} shows `python -m generator` without .venv/bin/"
