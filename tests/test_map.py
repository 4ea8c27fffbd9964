"""The evidence map as a picture (issue 12): bubble size for children, colour and shape for the
strongest design, gaps marked, and tables with the same counts."""

from __future__ import annotations

from pathlib import PurePosixPath

from generator.collate import MapCell, collate_site
from generator.model import build_study
from generator.render import bubble_size, map_bubble, render_pages
from tests.conftest import SITE_URL, minimal_record
from tests.test_answers import pages, site


def _study(ident: str, kind: str, n: int | None = None) -> dict[str, object]:
    record = minimal_record(ident, evidence_kind=kind)
    if n is not None:
        record["population"] = {"description": "Children.", "enrolled": n, "sources": ["paper"]}
    return record


def test_the_strongest_design_colours_the_bubble_and_children_size_it() -> None:
    cell = MapCell(
        (
            build_study(_study("a", "uncontrolled-trial", 12)),
            build_study(_study("b", "randomised-trial", 40)),
            build_study(_study("c", "systematic-review")),
        )
    )
    assert cell.design == "randomised"
    html = map_bubble(cell)
    assert 'class="bubble bubble--randomised bubble--s3"' in html
    assert 'aria-label="Strongest design: Randomised trial"' in html
    assert "<span>2 studies</span><br><span>52 children</span><br><span>1 review</span>" in html


def test_a_registration_without_children_says_so_and_a_gap_is_marked() -> None:
    only_registered = MapCell((build_study(_study("r", "registered-trial")),))
    assert "bubble--registered bubble--s1" in map_bubble(only_registered)
    assert "children not reported" in map_bubble(only_registered)
    mixed = MapCell(
        (
            build_study(_study("r", "registered-trial")),
            build_study(_study("u", "uncontrolled-trial", 6)),
        )
    )
    assert "at least 6 children" in map_bubble(mixed)
    assert 'bubble--gap"></span> <span class="map-gap">Gap</span>' in map_bubble(MapCell(()))
    assert [bubble_size(n) for n in (0, 1, 20, 21, 60, 61, 200, 201)] == [1, 2, 2, 3, 3, 4, 4, 5]


def test_every_condition_row_has_a_bubble_or_gap_in_every_column() -> None:
    page = pages()["evidence-map.md"]
    grids = page.split("## Conditions and cell types")[1].split("## The same maps as tables")[0]
    rows = [line for line in grids.splitlines() if line.startswith('| <span class="cell-label')]
    assert len(rows) == 2 * len(site().map_cell_types)
    for row in rows:
        cells = row.count(" | ")
        assert row.count('class="bubble ') == cells, row[:80]
    assert "## The same maps as tables, with the studies" in page


def test_route_map_counts_a_study_under_each_route_it_used() -> None:
    two_routes = minimal_record(
        "two",
        interventions=[
            {
                "arm": "cells",
                "cell_type": "umbilical-cord-blood",
                "route": route,
                "sources": ["paper"],
            }
            for route in ("intravenous", "intrathecal")
        ],
        arms=[{"id": "cells", "label": "Cells", "role": "experimental"}],
    )
    study = build_study(two_routes)
    site_ = collate_site([study], site_url=SITE_URL)
    row = site_.map_routes["cerebral-palsy"]
    assert list(row) == ["intravenous", "intrathecal"]
    assert all(cell.studies == (study,) for cell in row.values())
    page = render_pages(site_)[PurePosixPath("evidence-map.md")]
    routes = page.split("## Conditions and how the cells were given")[1].split("\n## ")[0]
    assert routes.count("bubble--uncontrolled") == 2
