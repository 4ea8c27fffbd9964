"""Golden pages: the generated Markdown for the fixture records, compared byte for byte.

After an intended change to templates or rendering, run `make golden` and review the diff of
tests/golden/ like any other change before committing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.pipeline import Paths, collate
from generator.render import render_abbreviations, render_pages
from tests.conftest import DATA

GOLDEN = Path(__file__).resolve().parent / "golden"


def rendered() -> dict[str, str]:
    paths = Paths(
        root=DATA,
        studies=DATA / "studies",
        content=DATA / "unused",
        glossary=DATA / "glossary.yaml",
        abbreviations=DATA / "unused.md",
        # A test config, so that setting the real address in mkdocs.yml changes no golden.
        config=DATA / "mkdocs.yml",
        key_messages=DATA / "key-messages.yaml",
        notes=DATA / "notes.yaml",
    )
    site = collate(paths)
    out = {str(path): body for path, body in render_pages(site).items()}
    out["_includes/abbreviations.md"] = render_abbreviations(site)
    return out


def test_golden_pages(update_golden: bool) -> None:
    pages = rendered()
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, body in pages.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(body.encode("utf-8"))
    on_disk = {
        str(p.relative_to(GOLDEN).as_posix()): p.read_bytes().decode("utf-8")
        for p in GOLDEN.rglob("*")
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(pages), "pages added or removed: run `make golden`"
    for name, body in pages.items():
        assert body == on_disk[name], f"{name} differs from tests/golden: run `make golden`"


def test_golden_fixtures_cover_the_seed_studies_and_a_forest_plot() -> None:
    names = {p.stem for p in (DATA / "studies").glob("*.yaml")}
    assert names == {
        "cord-blood-cp-ipd-meta-analysis",
        "duke-expanded-access-cord-blood",
        "passion-phase-1",
        "passion-2-year-follow-up",
        "mahidol-wharton-jelly-msc-hie",
        # Not seeds: ACCeNT-CP's two post hoc comparisons give a forest plot, the IPD
        # meta-analysis a pooled estimate kept apart from them, and Amanat 2021 and Zarrabi
        # 2022 two reports of one trial that share a control group.
        "accent-cp",
        "amanat-2021-cord-tissue-msc-cp",
        "zarrabi-2022-cord-blood-mnc-cp",
    }
