"""Cost stays honest: the shape of the work, not its time, on a few hundred synthetic records.

A regenerate with nothing changed writes no file, and a study page's navigation does not
list the studies (a nav that lists every study makes every page carry it: quadratic cost).
The timings themselves are `make bench`'s job.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench.synth import make_records, write_records
from generator.load import load_records
from generator.pipeline import Paths, generate_site
from generator.schema import labels, load_schema
from generator.validate import validate_records
from tests.conftest import ROOT, copy_project, run_generator
from tests.test_model import _data_paths, _schema_paths

RECORDS = 300


def test_synthetic_records_are_the_same_for_a_seed_and_differ_between_seeds() -> None:
    assert make_records(20, seed=7) == make_records(20, seed=7)
    assert make_records(20, seed=7) != make_records(20, seed=8)


def test_synthetic_records_are_valid_and_cover_every_condition_and_cell_type(
    tmp_path: Path,
) -> None:
    write_records(tmp_path, RECORDS, seed=1)
    loaded = load_records(tmp_path)
    assert loaded.issues == []
    assert validate_records(loaded.records) == []
    data = [r.data for r in loaded.records]
    conditions = Counter(c for d in data for c in d["conditions"])
    cell_types = Counter(i["cell_type"] for d in data for i in d["interventions"])
    assert set(conditions) == set(labels("condition"))
    assert set(cell_types) == set(labels("cell_type"))
    assert all(d["short_name"].startswith("Synthetic trial ") for d in data)
    schema = load_schema()
    unused = _schema_paths(schema, schema) - set().union(*(_data_paths(d) for d in data))
    assert unused == set(), "bench/synth.py should fill every schema field"
    assert sum("related" in d for d in data) > RECORDS // 4


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scale")
    copy_project(root, studies=ROOT / "tests" / "data" / "studies")
    shutil.rmtree(root / "studies")
    write_records(root / "studies", RECORDS, seed=1)
    return root


def test_a_regenerate_with_nothing_changed_writes_no_file(project: Path) -> None:
    paths = Paths.from_root(project)
    first = generate_site(paths)
    assert first.written == first.files > RECORDS
    again = generate_site(paths)
    assert again.written == 0
    assert again.removed == 0
    assert again.skipped
    # Without the shortcut (no state file), the full run still writes nothing.
    assert paths.state is not None
    paths.state.unlink()
    full = generate_site(paths)
    assert not full.skipped
    assert full.written == 0
    assert full.unchanged == first.files


@pytest.mark.slow
def test_a_study_page_does_not_carry_every_study_in_its_navigation(project: Path) -> None:
    result = run_generator("build", cwd=project, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (project / "site" / "studies" / "synthetic-trial-00150" / "index.html").read_text()
    nav_links = re.findall(r'<a[^>]*class="md-nav__link[^"]*"[^>]*href="([^"]+)"', page)
    nav_links += re.findall(r'<a[^>]*href="([^"]+)"[^>]*class="md-nav__link', page)
    assert any("conditions/" in link for link in nav_links), "nav pattern no longer matches"
    studies_in_nav = [link for link in nav_links if "synthetic-trial-" in link]
    assert len(studies_in_nav) <= 1  # at most the page itself, never the other studies
    assert page.count("synthetic-trial-") < 20  # its own links and a few related records
