"""Seeded synthetic study records for the benchmark and the scale tests.

Every record is made up and says so: ids `synthetic-trial-00042`, short names "Synthetic trial
00042", DOIs under the test prefix 10.5555, PMIDs and registry numbers far beyond any issued
so far. The records are shaped like real ones (about the size of the larger records in
studies/): every field of the schema is filled, with several arms, outcomes, results and
references each, spread over every value of every vocabulary in the schema (conditions, cell
types, evidence kinds, routes, reference types, ...), and about half link to an earlier record
with `related`. They pass `python -m generator check`.

The same seed and count always give the same records, so benchmark runs compare like with like.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from generator.schema import VOCABULARIES, labels

HEADER = (
    "# yaml-language-server: $schema=../generator/schema/study.schema.json\n"
    "# Synthetic benchmark record, made up by bench/synth.py: not a real study.\n"
)

_WORDS = (
    "synthetic",
    "benchmark",
    "children",
    "infants",
    "cells",
    "infusion",
    "dose",
    "group",
    "outcome",
    "follow-up",
    "months",
    "motor",
    "function",
    "scale",
    "assessment",
    "participants",
    "trial",
    "safety",
    "events",
    "analysis",
    "randomised",
    "controlled",
    "placebo",
    "open-label",
    "single-arm",
    "cohort",
    "registry",
    "review",
    "protocol",
    "baseline",
    "change",
    "score",
    "difference",
    "interval",
    "estimate",
    "reported",
    "observed",
    "measured",
    "planned",
    "centre",
    "hospital",
    "university",
    "network",
    "enrolment",
    "eligibility",
    "severity",
    "classification",
    "imaging",
    "MRI",
    "white-matter",
    "injury",
    "preterm",
    "term",
    "neonatal",
    "paediatric",
    "cord",
    "blood",
    "stromal",
    "marrow",
)
_COUNTRIES = ("Australia", "Belgium", "China", "India", "Iran", "Japan", "Korea", "Spain")
_UNITS = ("points", "%", "mL", "score", "days")
_DOSE_UNITS = ("cells/kg", "TNC/kg", "MNC/kg", "cells", "cells/dose")
_EVENT_UNITS = ("participants", "events", "infusions")
_RATIOS = ("risk-ratio", "odds-ratio", "hazard-ratio")
_RELATIONS = (
    "follow-up-of",
    "includes",
    "included-in",
    "commentary-on",
    "secondary-analysis-of",
    "successor-of",
    "related-to",
)


def record_id(index: int) -> str:
    return f"synthetic-trial-{index:05d}"


def _registration(registry: str, index: int, k: int) -> str:
    """A well-formed but never-issued identifier for each registry's format."""
    n = index * 4 + k  # unique per record and registration slot
    return {
        "clinicaltrials.gov": f"NCT9{n:07d}",
        "anzctr": f"ACTRN9{n:013d}",
        "irct": f"IRCT9{n:07d}N9",
        "isrctn": f"ISRCTN9{n:07d}",
        "ctri": f"CTRI/2099/09/{n:06d}",
        "chictr": f"ChiCTR-SYN-{n:08d}",
        "euctr": f"2099-{n:06d}-99",
        "jrct": f"jRCT9{n:09d}",
        "umin": f"UMIN9{n:08d}",
        "nl-omon": f"NL-OMON9{n:07d}",
        "prospero": f"CRD9{n:09d}",
    }[registry]


class _Maker:
    """Builds one record at a time from a shared random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Every vocabulary of the schema, in schema order, so new values are covered too.
        self.vocab = {name: list(labels(name)) for name in VOCABULARIES}

    def pick(self, name: str, index: int | None = None) -> str:
        values = self.vocab[name]
        return values[index % len(values)] if index is not None else self.rng.choice(values)

    def words(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        text = " ".join(self.rng.choice(_WORDS) for _ in range(count))
        return text[0].upper() + text[1:] + "."

    def sentences(self, count: int) -> str:
        return " ".join(self.words(8, 18) for _ in range(count))

    def date(self, low: int = 2005, high: int = 2025) -> str:
        year = self.rng.randint(low, high)
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        ident = record_id(index)
        registrations = [
            {"registry": r, "id": _registration(r, index, k)}
            for k, r in enumerate((self.pick("registry", index), self.pick("registry", index + 5)))
        ]
        refs = self.references(index, registrations[0]["id"])
        ref_ids = [r["id"] for r in refs]

        def cite() -> list[str]:
            # The article always comes first, so commercial material is never the sole source.
            return ["paper", *rng.sample(ref_ids[1:], rng.randint(0, 2))]

        conditions = [self.pick("condition", index)]
        if rng.random() < 0.4:
            extra = self.pick("condition")
            if extra not in conditions:
                conditions.append(extra)
        arms: list[dict[str, Any]] = [
            {
                "id": f"arm-{k}",
                "label": f"Synthetic group {k}",
                "n": rng.randint(10, 60),
                "n_analysed": rng.randint(5, 10),
                "description": self.words(5, 10),
            }
            for k in range(1, rng.randint(2, 3) + 1)
        ]
        enrolled = sum(a["n"] for a in arms)
        outcomes: list[dict[str, Any]] = [
            {
                "id": f"outcome-{k}",
                "name": f"Synthetic outcome {k}",
                "domain": self.pick("domain"),
                "instrument": f"Scale {rng.choice('ABCDEFGH')}-{rng.randint(10, 99)}",
                "time_point": f"{months} months",
                "months": months,
                "primary": k == 1,
                "description": self.words(6, 12),
                "sources": cite(),
            }
            for k, months in enumerate(rng.choices((3, 6, 12, 24), k=rng.randint(2, 4)), 1)
        ]
        results = []
        for k, outcome in enumerate(outcomes):
            measure = self.pick("effect_measure")
            if measure in _RATIOS:  # above 0, on a log scale
                value = round(rng.uniform(0.3, 3), 2)
                factor = rng.uniform(1.1, 3)
                ci = [round(value / factor, 2), round(value * factor, 2)]
            else:
                value = round(rng.uniform(-5, 5), 2)
                spread = round(rng.uniform(0.1, 3), 2)
                ci = [round(value - spread, 2), round(value + spread, 2)]
            results.append(
                {
                    "outcome": outcome["id"],
                    "main": k == 0,
                    "comparison": "synthetic group 1 vs synthetic group 2",
                    "effect_measure": measure,
                    "value": value,
                    "unit": rng.choice(_UNITS),
                    "ci": ci,
                    "ci_level": 95,
                    "p": f"0.{rng.randint(1, 999):03d}",
                    "n_analysed": rng.randint(10, enrolled),
                    "statement": self.words(6, 14),
                    "source": rng.choice(ref_ids[:2]),
                }
            )
        record: dict[str, Any] = {
            "id": ident,
            "short_name": f"Synthetic trial {index:05d}",
            "title": f"Synthetic trial {index:05d}: {self.words(8, 16)}",
            "evidence_kind": self.pick("evidence_kind", index // 3),
            "status": self.pick("status"),
            "phase": self.pick("phase"),
            "conditions": conditions,
            "conditions_as_registered": [f"Synthetic condition {index % 97}"],
            "summary": "\n\n".join(self.sentences(3) for _ in range(3)),
            "design": {
                "description": self.sentences(rng.randint(1, 2)),
                "allocation": self.pick("allocation"),
                "masking": self.pick("masking"),
                "crossover": rng.random() < 0.2,
                "centres": rng.randint(1, 12),
                "sources": cite(),
            },
            "population": {
                "description": self.sentences(rng.randint(1, 2)),
                "planned": enrolled + rng.randint(0, 20),
                "enrolled": enrolled,
                "age": f"median {rng.randint(1, 10)} years",
                "gestational_age": f"{rng.randint(24, 40)} weeks or more",
                "severity": f"GMFCS I-{rng.choice(('III', 'IV', 'V'))}",
                "studies": rng.randint(1, 12),
                "arms": arms,
                "sources": cite(),
            },
            "interventions": [
                self.intervention(arm["id"], index + k, cite()) for k, arm in enumerate(arms[:-1])
            ],
            "comparator": {
                "kind": self.pick("comparator"),
                "description": self.words(8, 16),
                "sources": cite(),
            },
            "outcomes": outcomes,
            "results": results,
            "safety": {
                "summary": self.sentences(rng.randint(1, 2)),
                "follow_up": f"{rng.randint(1, 5)} years",
                "events": [
                    {
                        "kind": self.pick("safety_kind"),
                        "count": rng.randint(0, 9),
                        "denominator": rng.randint(10, 60),
                        "unit": rng.choice(_EVENT_UNITS),
                        "arm": arm["id"],
                        "note": self.words(4, 8),
                        "source": "paper",
                    }
                    for arm in arms
                ],
                "sources": cite(),
            },
            "registrations": registrations,
            "sponsor": f"Synthetic University {index % 50}",
            "collaborators": [f"Synthetic Foundation {index % 20}"],
            "countries": sorted(set(rng.sample(_COUNTRIES, 2))),
            "dates": {
                "start": self.date(2005, 2012),
                "enrolment_end": self.date(2013, 2014)[:7],
                "primary_completion": self.date(2015, 2016),
                "completion": self.date(2017, 2017)[:4],
                "first_posted": self.date(2005, 2012),
                "results_posted": self.date(2018, 2019),
                "last_update": self.date(2020, 2023),
                "published": self.date(2018, 2020)[:7],
                "search": self.date(2017, 2018),
                "sources": ["paper", "registry"],
            },
            "references": refs,
            "source_notes": {
                "conflicts_of_interest": self.words(6, 12),
                "funding": self.words(6, 12),
                "commercial_interest": self.words(6, 12),
                "caveats": [self.words(8, 16)],
                "sources": cite(),
            },
            "certainty": [
                {
                    "outcome": o["id"],
                    "rating": self.pick("grade"),
                    "assessor": "Synthetic review authors",
                    "date": self.date(2020, 2024)[:4],
                    "source": "paper",
                    "reasons": self.words(6, 12),
                }
                for o in outcomes[:2]
            ],
            "risk_of_bias": {
                "tool": "Synthetic tool (2099)",
                "overall": self.pick("rob_judgement"),
                "domains": [
                    {"domain": f"Synthetic domain {k}", "judgement": self.pick("rob_judgement")}
                    for k in range(1, 4)
                ],
                "assessor": "Synthetic review authors",
                "date": self.date(2020, 2024)[:4],
                "source": "paper",
            },
            "added": self.date(2020, 2023),
            "last_reviewed": self.date(2024, 2025),
            "reviewed_by": "Synthetic Editor",
        }
        if index > 0 and rng.random() < 0.5:
            targets = sorted(set(rng.sample(range(index), min(index, 2))))
            record["related"] = [
                {"id": record_id(t), "relation": rng.choice(_RELATIONS)} for t in targets
            ]
        return record

    def intervention(self, arm: str, index: int, sources: list[str]) -> dict[str, Any]:
        rng = self.rng
        low = rng.randint(1, 9) * 10 ** rng.randint(5, 8)
        dose: dict[str, Any]
        if rng.random() < 0.5:
            dose = {"value": float(low), "minimum": rng.random() < 0.3}
        else:
            dose = {"low": float(low), "high": float(low * rng.randint(2, 5))}
        dose.update(unit=rng.choice(_DOSE_UNITS), note=self.words(4, 8))
        return {
            "arm": arm,
            "cell_type": self.pick("cell_type", index),
            "tissue_source": self.pick("tissue_source"),
            "donor": self.pick("donor"),
            "product": f"Synthetic product {index % 31}",
            "route": self.pick("route", index),
            "dose": dose,
            "doses": rng.randint(1, 4),
            "max_doses": rng.random() < 0.2,
            "timing": f"Within {rng.randint(1, 30)} days of synthetic baseline",
            "co_interventions": sorted(set(rng.sample(self.vocab["co_intervention"], 2))),
            "sources": sources,
        }

    def references(self, index: int, registry_id: str) -> list[dict[str, Any]]:
        rng = self.rng
        types = self.vocab["reference_type"]
        refs: list[dict[str, Any]] = []
        extra = [t for t in types if t not in ("article", "registry-entry")]
        kinds = ["article", "registry-entry", *rng.sample(extra, rng.randint(1, 2))]
        for k, kind in enumerate(kinds):
            ref_id = {"article": "paper", "registry-entry": "registry"}.get(kind, f"ref-{k}")
            year = rng.randint(2005, 2025)
            ref: dict[str, Any] = {
                "id": ref_id,
                "type": kind,
                "authors": [f"Synthetic {chr(65 + a)}" for a in range(rng.randint(1, 8))],
                "title": f"Synthetic reference {k + 1} of synthetic trial {index:05d}",
                "year": year,
            }
            if kind == "registry-entry":
                ref.update(registry_id=registry_id, accessed=self.date(2024, 2025))
            elif k == 0:  # the main report, with every field a reference can have
                ref.update(
                    et_al=rng.random() < 0.3,
                    journal=f"Synthetic J {rng.randint(1, 40)}",
                    date=f"{year}-{rng.randint(1, 12):02d}",
                    volume=str(rng.randint(1, 99)),
                    issue=str(rng.randint(1, 12)),
                    pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
                    doi=f"10.5555/synthetic.{index:05d}.{k}",
                    pmid=str(900_000_000 + index * 10 + k),
                    pmcid=f"PMC9{index * 10 + k:08d}",
                    url=f"https://example.org/synthetic/{index:05d}/{k}",
                    accessed=self.date(2024, 2025),
                    note=self.words(4, 10),
                )
            elif rng.random() < 0.5:
                ref.update(
                    journal=f"Synthetic J {rng.randint(1, 40)}", doi=f"10.5555/s.{index}.{k}"
                )
            else:
                ref["url"] = f"https://example.org/synthetic/{index:05d}/{k}"
            refs.append(ref)
        return refs


class _Dumper(yaml.SafeDumper):
    """Never writes anchors and aliases (the loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Paragraphs as a literal block, the way editors write summaries."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def make_records(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """`count` synthetic records (same seed, same records)."""
    maker = _Maker(seed)
    return [maker.record(i) for i in range(count)]


def to_yaml(record: dict[str, Any]) -> str:
    body = yaml.dump(
        record,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return HEADER + body


def write_records(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """Write `count` synthetic records into folder as <id>.yaml; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in make_records(count, seed):
        path = folder / f"{record['id']}.yaml"
        path.write_text(to_yaml(record), encoding="utf-8")
        paths.append(path)
    return paths
