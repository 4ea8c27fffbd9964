"""Cost stays honest: the shape of the work, not its time, on a few hundred synthetic records.

A regenerate with nothing changed writes no file, and a study page's navigation does not
list the studies (a nav that lists every study makes every page carry it: quadratic cost).
The timings themselves are `make bench`'s job. Everything on the 300 records is in the slow
tier (`make test-all`); tests/test_cli.py checks the no-change run on the fixtures.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.synth import make_records, write_records
from generator.load import load_records
from generator.pipeline import Paths, generate_site
from generator.schema import VOCABULARIES, having, labels, load_schema
from generator.validate import validate_records
from tests.conftest import ROOT, copy_project, run_generator_process

RECORDS = 300


def _resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/$defs/effect`, ...) to the node they name."""
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schema_fields(
    node: dict[str, Any], schema: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, resolved schema) of every field, list entries flattened into their list's
    path; through `$defs` references, list items and the variants of `oneOf`/`anyOf` (such as
    the two shapes of `pooled.includes` entries)."""
    node = _resolve(node, schema)
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, _resolve(sub, schema)
        yield from _schema_fields(sub, schema, f"{path}.")
    if isinstance(node.get("items"), dict):
        yield from _schema_fields(node["items"], schema, prefix)
    for key in ("oneOf", "anyOf"):
        for variant in node.get(key, ()):
            yield from _schema_fields(variant, schema, prefix)


def _vocabulary(node: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The allowed values of a field: its `oneOf` consts or `enum` (or its items')."""
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        node = _resolve(node["items"], schema)
    options = node.get("oneOf", [])
    values = {str(o["const"]) for o in options if isinstance(o, dict) and "const" in o}
    return values | {str(v) for v in node.get("enum", ())}


def _data_values(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every field of record data and of every entry of a list, the
    entries under their list's path."""
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            yield inner, item
            yield from _data_values(item, inner)
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, (dict, list)):
                yield path, item
            yield from _data_values(item, path)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The synthetic records as written to YAML and loaded back, checked to load cleanly."""
    folder = tmp_path_factory.mktemp("synthetic")
    write_records(folder, RECORDS, seed=1)
    loaded = load_records(folder)
    assert loaded.issues == []
    assert validate_records(loaded.records) == []
    return [r.data for r in loaded.records]


def test_synthetic_records_are_the_same_for_a_seed_and_differ_between_seeds() -> None:
    assert make_records(20, seed=7) == make_records(20, seed=7)
    assert make_records(20, seed=7) != make_records(20, seed=8)
    assert make_records(40, seed=7)[:20] == make_records(20, seed=7)  # a count is a prefix


@pytest.mark.slow
def test_synthetic_records_are_valid_and_fill_every_schema_field(
    synthetic: list[dict[str, Any]],
) -> None:
    data = synthetic
    conditions = Counter(c for d in data for c in d["conditions"])
    cell_types = Counter(i["cell_type"] for d in data for i in d["interventions"])
    assert set(conditions) == set(labels("condition"))
    assert set(cell_types) == set(labels("cell_type"))
    assert all(d["short_name"].startswith("Synthetic trial ") for d in data)
    schema = load_schema()
    fields = {path for path, _ in _schema_fields(schema, schema)}
    # The walk reaches $defs (effects, group values, references) and oneOf variants.
    assert {"pooled.includes.citation", "effects.analysis.plan", "references.pmcid"} <= fields
    used = {path for d in data for path, _ in _data_values(d)}
    assert fields - used == set(), "bench/synth.py should fill every schema field"
    assert sum("related" in d for d in data) > RECORDS // 4


@pytest.mark.slow
def test_synthetic_records_use_every_value_of_every_vocabulary(
    synthetic: list[dict[str, Any]],
) -> None:
    """The site must render each vocabulary value, wherever the schema allows it."""
    schema = load_schema()
    vocabularies: dict[str, set[str]] = defaultdict(set)
    for path, node in _schema_fields(schema, schema):
        vocabularies[path] |= _vocabulary(node, schema)
    for name in VOCABULARIES:  # every named vocabulary (instruments, roles, ...) is found
        assert set(labels(name)) in vocabularies.values(), name
    assert set(labels("instrument")) == vocabularies["outcomes.instrument"]
    assert vocabularies["safety.events.unit"]  # an `enum`, not a oneOf
    used: dict[str, set[str]] = defaultdict(set)
    for record in synthetic:
        for path, value in _data_values(record):
            if isinstance(value, str):
                used[path].add(value)
    unused = {
        path: sorted(values - used[path])
        for path, values in vocabularies.items()
        if values - used[path]
    }
    assert unused == {}, "bench/synth.py should use every vocabulary value"


@pytest.mark.slow
def test_synthetic_records_compare_arms_share_trials_and_pool_like_real_ones(
    synthetic: list[dict[str, Any]],
) -> None:
    by_id = {d["id"]: d for d in synthetic}
    pooled_kinds = having("evidence_kind", "x-pooled")
    controls = having("arm_role", "x-control")
    effects = between_treated = 0
    trials: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in synthetic:
        roles = {a["id"]: a["role"] for a in record["arms"]}
        for effect in record.get("effects", ()):
            effects += 1
            assert {roles[a] for a in effect["experimental"]} == {"experimental"}
            compared = {roles[a] for a in effect["comparator"]}
            assert compared <= controls or compared == {"experimental"}
            between_treated += compared == {"experimental"}
        assert ("pooled" in record) == (record["evidence_kind"] in pooled_kinds)
        if "pooled" in record:
            includes = record["pooled"]["includes"]
            included = [i["record"] for i in includes if "record" in i]
            assert included
            assert all(by_id[i]["evidence_kind"] not in pooled_kinds for i in included)
            assert any("citation" in i for i in includes)
        if "trial" in record:
            trials[record["trial"]["id"]].append(record)
    assert 0 < between_treated < effects // 4  # a few comparisons between treated arms
    assert len(trials) >= 5
    for reports in trials.values():
        assert 2 <= len(reports) <= 3  # a handful of reports per trial
        arms = [{a["id"]: (a["role"], a["n"]) for a in r["arms"]} for r in reports]
        shared = set(arms[0]).intersection(*arms[1:])
        assert shared
        assert all(len({a[s] for a in arms}) == 1 for s in shared)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scale")
    copy_project(root, studies=ROOT / "tests" / "data" / "studies")
    shutil.rmtree(root / "studies")
    for editorial in ("key-messages.yaml", "notes.yaml"):  # they cite the fixture records
        (root / "data" / editorial).unlink()
    write_records(root / "studies", RECORDS, seed=1)
    return root


@pytest.mark.slow
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
    result = run_generator_process("build", cwd=project, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (project / "site" / "studies" / "synthetic-trial-00150" / "index.html").read_text()
    nav_links = re.findall(r'<a[^>]*class="md-nav__link[^"]*"[^>]*href="([^"]+)"', page)
    nav_links += re.findall(r'<a[^>]*href="([^"]+)"[^>]*class="md-nav__link', page)
    assert any("conditions/" in link for link in nav_links), "nav pattern no longer matches"
    studies_in_nav = [link for link in nav_links if "synthetic-trial-" in link]
    assert len(studies_in_nav) <= 1  # at most the page itself, never the other studies
    assert page.count("synthetic-trial-") < 20  # its own links and a few related records
