"""Vocabularies: every value has its meaning in the schema, and every value renders.

Meanings of vocabulary values (labels, what a ratio measure or a pooled kind of evidence is,
a registry's address, a relation's inverse) live in the schema only; adding a value must be
one schema entry. These tests fail when a value lacks what its consumers need, and render a
set of records that together use every value of every vocabulary.
"""

from __future__ import annotations

from itertools import cycle
from pathlib import Path
from typing import Any

import pytest

from generator.collate import collate_site
from generator.load import RawRecord
from generator.model import build_study
from generator.render import render_pages
from generator.schema import VOCABULARIES, annotated, labels, load_schema
from generator.validate import validate_records
from tests.conftest import SITE_URL

REQUIRED_ANNOTATIONS = {
    "relation": ["x-inverse"],
    "reference_type": ["x-csl-type"],
    "measure": ["x-null"],
    "scale": ["x-phrase"],
}
"""Vocabulary -> annotations every one of its values must carry (the code reads them)."""

REGISTRY_EXAMPLES = {
    "clinicaltrials.gov": "NCT00000001",
    "anzctr": "ACTRN12345678901234",
    "irct": "IRCT20170617N13",
    "isrctn": "ISRCTN12345678",
    "ctri": "CTRI/2020/01/123456",
    "chictr": "ChiCTR2000012345",
    "euctr": "2004-123456-12",
    "jrct": "jRCT1234567890",
    "umin": "UMIN000012345",
    "nl-omon": "NL-OMON12345",
    "prospero": "CRD42020123456",
}


def values(name: str) -> list[str]:
    return list(labels(name))


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_every_vocabulary_value_has_a_label(name: str) -> None:
    shown = labels(name)
    assert shown
    assert all(isinstance(t, str) and t.strip() for t in shown.values())


@pytest.mark.parametrize(("name", "keys"), sorted(REQUIRED_ANNOTATIONS.items()))
def test_every_value_carries_the_annotations_its_consumers_need(name: str, keys: list[str]) -> None:
    for key in keys:
        assert set(annotated(name, key)) == set(labels(name)), (name, key)


def test_ratio_rule_in_the_schema_matches_the_ratio_annotation() -> None:
    # The published schema refuses a ratio at or below 0 with an if/then on the measure; the
    # list there must be exactly the measures annotated as ratios.
    effect = load_schema()["$defs"]["effect"]
    rule = next(r for r in effect["allOf"] if "measure" in r["if"].get("properties", {}))
    assert set(rule["if"]["properties"]["measure"]["enum"]) == {
        m for m, ratio in annotated("measure", "x-ratio").items() if ratio
    }


def test_every_registry_has_an_example_id() -> None:
    assert set(REGISTRY_EXAMPLES) == set(labels("registry"))


def records_using_every_value() -> list[dict[str, Any]]:
    """Valid records that together use every value of every vocabulary."""
    longest = max(len(labels(name)) for name in VOCABULARIES)
    pick = {name: cycle(values(name)) for name in VOCABULARIES}
    controls = cycle(v for v in values("arm_role") if v != "experimental")
    pooled = set(k for k, flag in annotated("evidence_kind", "x-pooled").items() if flag)
    ratios = set(k for k, flag in annotated("measure", "x-ratio").items() if flag)
    records: list[dict[str, Any]] = []
    for i in range(longest):
        ident = f"record-{i:02d}"
        kind = next(pick["evidence_kind"])
        plan = next(pick["plan"])
        statistic = next(pick["statistic"])
        measure = next(pick["measure"])
        obtained = next(pick["obtained"])
        registry = next(pick["registry"])
        second_type = next(pick["reference_type"])
        value: dict[str, Any] = {
            "outcome": "o",
            "arm": "cells",
            "statistic": statistic,
            "source": "second" if obtained == "secondary-source" else "paper",
            "obtained": obtained,
        }
        if statistic == "events":
            value.update(events=1, total=2)
        else:
            value["value"] = 5
        if statistic in ("mean", "median"):
            value["scale"] = next(pick["scale"])
        if obtained == "computed":
            value["formula"] = "1 + 1"
        if obtained == "secondary-source" and second_type == "commercial":
            value.update(source="paper", obtained="as-reported")
        effect: dict[str, Any] = {
            "outcome": "o",
            "experimental": ["cells"],
            "comparator": ["control"],
            "measure": measure,
            "value": 1.5 if measure in ratios else 0.5,
            "ci": [1.1, 2.0] if measure in ratios else [0.1, 0.9],
            "analysis": {"plan": plan, "population": next(pick["analysis_population"])},
            "source": "paper",
        }
        record: dict[str, Any] = {
            "id": ident,
            "short_name": f"Record {i}",
            "title": "A made-up record",
            "evidence_kind": kind,
            "status": next(pick["status"]),
            "status_checked": "2026-01-01",
            "phase": next(pick["phase"]),
            "conditions": [next(pick["condition"])],
            "summary": "Test data.",
            "trial": {"id": f"trial-{i}", "basis": next(pick["trial_basis"]), "sources": ["paper"]},
            "design": {
                "description": "d",
                "allocation": next(pick["allocation"]),
                "masking": next(pick["masking"]),
                "model": next(pick["design_model"]),
                "sources": ["paper"],
            },
            "arms": [
                {"id": "cells", "label": "Cells", "role": "experimental", "n": 5},
                {"id": "control", "label": "Control", "role": next(controls), "n": 5},
            ],
            "interventions": [
                {
                    "arm": "cells",
                    "cell_type": next(pick["cell_type"]),
                    "tissue_source": next(pick["tissue_source"]),
                    "donor": next(pick["donor"]),
                    "storage": next(pick["storage"]),
                    "route": next(pick["route"]),
                    "dose": {"value": 1e7, "unit": next(pick["dose_unit"])},
                    "co_interventions": [next(pick["co_intervention"])],
                    "sources": ["paper"],
                }
            ],
            "outcomes": [
                {
                    "id": "o",
                    "name": "An outcome",
                    "domain": next(pick["domain"]),
                    "instrument": next(pick["instrument"]),
                    "direction": next(pick["direction"]),
                    "role": "primary"
                    if plan == "prespecified-primary"
                    else next(pick["outcome_role"]),
                    "role_stated_by": next(pick["role_stated_by"]),
                    "sources": ["paper"],
                }
            ],
            "group_values": [value],
            "effects": [effect],
            "safety": {
                "summary": "s",
                "events": [{"kind": next(pick["safety_kind"]), "count": 1, "source": "paper"}],
                "sources": ["paper"],
            },
            "certainty": [{"outcome": "o", "rating": next(pick["grade"]), "assessor": "a"}],
            "risk_of_bias": {"tool": "t", "overall": next(pick["rob_judgement"]), "assessor": "a"},
            "references": [
                {"id": "paper", "type": "article", "title": "A paper", "year": 2020},
                {"id": "second", "type": second_type, "title": "Another source"},
            ],
            "history": [
                {"date": "2021", "kind": next(pick["history_kind"]), "note": "n", "source": "paper"}
            ],
            "last_reviewed": "2026-01-01",
        }
        if i < len(REGISTRY_EXAMPLES):  # each example id once: a shared one is a duplicate
            record["registrations"] = [{"registry": registry, "id": REGISTRY_EXAMPLES[registry]}]
        if kind in pooled:
            record["pooled"] = {"model": next(pick["pooled_model"]), "sources": ["paper"]}
        if i:
            record["related"] = [{"id": f"record-{i - 1:02d}", "relation": next(pick["relation"])}]
        records.append(record)
    return records


def test_records_using_every_vocabulary_value_are_valid_and_render() -> None:
    records = records_using_every_value()
    raw = [RawRecord(Path(f"{r['id']}.yaml"), r, {}, {}) for r in records]
    assert [i.format() for i in validate_records(raw)] == []
    used: dict[str, set[str]] = {name: set() for name in VOCABULARIES}
    for record in records:
        _collect(record, used)
    for name in VOCABULARIES:
        assert used[name] >= set(labels(name)), f"records miss values of {name}"
    pages = render_pages(collate_site([build_study(r) for r in records], site_url=SITE_URL))
    text = "\n".join(pages.values())
    names = ("condition", "cell_type", "route", "arm_role", "measure", "instrument", "status")
    for name in (*names, "history_kind"):
        for label in labels(name).values():
            assert label.replace("&", "&amp;") in text or label in text, (name, label)


def _collect(record: dict[str, Any], used: dict[str, set[str]]) -> None:
    """Which vocabulary values a record uses, by walking the fields named in VOCABULARIES."""
    for name, pointer in VOCABULARIES.items():
        path = [p for p in pointer.split("/") if p and p not in ("properties", "items")]
        if path[0] == "$defs":
            continue
        _walk(record, path, used[name])
    # $defs vocabularies, found where they are used
    used["condition"].update(record["conditions"])
    used["cell_type"].update(i["cell_type"] for i in record["interventions"])
    used["instrument"].update(o["instrument"] for o in record["outcomes"])
    used["reference_type"].update(r["type"] for r in record["references"])
    used["rob_judgement"].add(record["risk_of_bias"]["overall"])
    used["statistic"].update(v["statistic"] for v in record["group_values"])
    used["scale"].update(v["scale"] for v in record["group_values"] if "scale" in v)
    used["obtained"].update(v["obtained"] for v in record["group_values"])
    used["measure"].update(e["measure"] for e in record["effects"])
    used["plan"].update(e["analysis"]["plan"] for e in record["effects"])
    used["analysis_population"].update(e["analysis"]["population"] for e in record["effects"])


def _walk(node: Any, path: list[str], found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, path, found)
    elif not path:
        if isinstance(node, str):
            found.add(node)
    elif isinstance(node, dict) and path[0] in node:
        _walk(node[path[0]], path[1:], found)
