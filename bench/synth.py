"""Seeded synthetic study records (format v2) for the benchmark and the scale tests.

Every record is made up and says so: ids `synthetic-trial-00042`, short names "Synthetic trial
00042", DOIs under the test prefix 10.5555, PMIDs and registry numbers far beyond any issued
so far. The records are shaped like real ones (about the size of the larger records in
studies/): every field of the schema is filled by some record, each record has several arms,
outcomes, results (group values and effects) and references, and every value of every
vocabulary in the schema is used (conditions, cell types, evidence kinds, arm roles,
instruments, measures, statistics, scales, analysis plans, pooled models, relations, ...),
because the site must render each of them. About half link to an earlier record with
`related`; reviews pool earlier primary records (`pooled.includes`) and some citations; a few
pairs of records report one trial (`trial`) and share its treated arm. They pass
`python -m generator check`.

The shape follows the kind of evidence: randomised and non-randomised controlled trials have
concurrent control arms (parallel, crossover with periods, or factorial), cohorts have
external or historical controls, uncontrolled trials one group or dose cohorts (compared
between treated arms), reviews one treated and one mixed-control arm with pooled estimates.

The same seed and count always give the same records, so benchmark runs compare like with
like; the records of a smaller count are the first records of a larger one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from generator.schema import VOCABULARIES, annotated, having, labels, load_schema

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
_LOCATORS = ("abstract", "Table 2", "Table 3", "Figure 2", "results section", "registry results")
_ADJUSTERS = ("baseline score", "age and baseline score", "GMFCS level", "centre")
_METHODS = ("linear mixed model", "ANCOVA", "logistic regression", "Cox model", "t test")


def _schema_enum(*path: str) -> list[str]:
    """The `enum` values of a schema node (vocabularies without titles)."""
    node: Any = load_schema()
    for part in path:
        node = node[part]
    return [str(v) for v in node["enum"]]


_EVENT_UNITS = _schema_enum(
    "properties", "safety", "properties", "events", "items", "properties", "unit"
)


def _status_needs_check() -> frozenset[str]:
    """Statuses for which the schema's top-level rules require `status_checked`."""
    for rule in load_schema().get("allOf", ()):
        if "status_checked" in rule.get("then", {}).get("required", ()):
            return frozenset(rule["if"]["properties"]["status"]["enum"])
    return frozenset()


POOLED = having("evidence_kind", "x-pooled")
CONTROLLED = having("evidence_kind", "x-controlled")
TRIALS = having("evidence_kind", "x-trial")
CONTROL_ROLES = having("arm_role", "x-control")
CONCURRENT_ROLES = having("arm_role", "x-concurrent")
RATIOS = having("measure", "x-ratio")
DIRECTIONS: dict[str, str] = annotated("instrument", "x-direction")
STATUS_CHECKED = _status_needs_check()
OPEN = having("status", "x-open")
_PROGRAMME_STATUSES = ("available", "no-longer-available", "unknown")
"""Statuses of an expanded-access programme (the others are for studies)."""
_CONTINUOUS = ("mean-difference", "standardised-mean-difference", "regression-coefficient")


Cite = Callable[[], list[str]]
"""Gives a `sources` list of reference ids of the record being made."""


def record_id(index: int) -> str:
    return f"synthetic-trial-{index:05d}"


def trial_id(index: int) -> str:
    return f"synthetic-trial-group-{index:05d}"


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


def _interval(value: float, spread: float, ratio: bool) -> list[float]:
    """A two-decimal interval that holds the (two-decimal) value; above 0 for a ratio."""
    if ratio:  # symmetric on the log scale
        return [round(value / spread, 2), round(value * spread, 2)]
    return [round(value - spread, 2), round(value + spread, 2)]


class _Maker:
    """Builds one record at a time from a shared random generator.

    Vocabulary values are dealt in turn (`deal`) wherever every value must appear, so a few
    dozen records already use them all; free choices (`pick` without an index) are random.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Every vocabulary of the schema, in schema order, so new values are covered too.
        self.vocab = {name: list(labels(name)) for name in VOCABULARIES}
        self.vocab["event_unit"] = list(_EVENT_UNITS)
        self.turns: dict[str, int] = {}
        # The trial started by the previous record: (its index, trial id, shared arm,
        # registration), for the next record to report as well.
        self.open_trial: tuple[int, str, dict[str, Any], dict[str, str]] | None = None

    def pick(self, name: str, index: int | None = None) -> str:
        values = self.vocab[name]
        return values[index % len(values)] if index is not None else self.rng.choice(values)

    def deal(self, name: str, among: list[str] | tuple[str, ...] | None = None) -> str:
        """The next value of a vocabulary (or of `among`), in turn: all get used."""
        values = among if among is not None else self.vocab[name]
        key = f"{name}:{','.join(values)}" if among is not None else name
        turn = self.turns.get(key, 0)
        self.turns[key] = turn + 1
        return values[turn % len(values)]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def words(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        text = " ".join(self.rng.choice(_WORDS) for _ in range(count))
        return text[0].upper() + text[1:] + "."

    def sentences(self, count: int) -> str:
        return " ".join(self.words(8, 18) for _ in range(count))

    def date(self, low: int = 2005, high: int = 2025) -> str:
        year = self.rng.randint(low, high)
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    def kind(self, index: int) -> str:
        """Evidence kind of record `index` (three records in a row of each kind)."""
        return self.pick("evidence_kind", index // 3)

    # --- the record ------------------------------------------------------------------------

    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        ident = record_id(index)
        kind = self.kind(index)
        pooled = kind in POOLED
        joins = self.open_trial if self.open_trial and self.open_trial[0] == index - 1 else None
        self.open_trial = None
        starts = not pooled and not joins and index % 10 == 1 and self.kind(index + 1) not in POOLED
        registrations = [
            {"registry": r, "id": _registration(r, index, k)}
            for k, r in enumerate((self.pick("registry", index), self.pick("registry", index + 5)))
        ]
        if joins:  # another report of the same trial: the same registration
            registrations[0] = dict(joins[3])
        refs = self.references(index, registrations[0]["id"])
        ref_ids = [r["id"] for r in refs]
        # A value from a secondary source cites another publication, never commercial material.
        secondary = [r["id"] for r in refs[1:] if r["type"] != "commercial"]

        def cite() -> list[str]:
            # The article always comes first, so commercial material is never the sole source.
            return ["paper", *rng.sample(ref_ids[1:], rng.randint(0, 2))]

        conditions = [self.pick("condition", index)]
        if self.chance(0.4):
            extra = self.pick("condition")
            if extra not in conditions:
                conditions.append(extra)
        status = self.status(kind)
        model = self.design_model(kind)
        arms = self.arms(kind, model, cite)
        if joins:  # the shared arm: same id, role and size; the report's other arms are its own
            shared = dict(joins[2], sources=cite())
            arms = [shared, *({**a, "id": f"{a['id']}-r2"} for a in arms[1:])]
        enrolled = sum(a["n"] for a in arms if a["role"] not in CONTROL_ROLES - CONCURRENT_ROLES)
        outcomes = self.outcomes(cite)
        group_values, effects = self.results(kind, arms, outcomes, secondary)
        periods: list[dict[str, Any]] = (
            [
                {"id": "period-1", "label": "Period 1", "months": 12},
                {"id": "period-2", "label": "Period 2"},
            ]
            if model == "crossover"
            else []
        )
        record: dict[str, Any] = {
            "id": ident,
            "short_name": f"Synthetic trial {index:05d}",
            "title": f"Synthetic trial {index:05d}: {self.words(8, 16)}",
            "evidence_kind": kind,
            "status": status,
        }
        if status in STATUS_CHECKED:
            record["status_checked"] = self.date(2025, 2025)
        if not pooled:
            record["phase"] = self.deal("phase")
        record.update(
            conditions=conditions,
            conditions_as_registered=[f"Synthetic condition {index % 97}"],
            summary="\n\n".join(self.sentences(3) for _ in range(3)),
        )
        if joins or starts:
            record["trial"] = {
                "id": joins[1] if joins else trial_id(index),
                "basis": self.deal("trial_basis"),
                "note": self.words(8, 14),
                "sources": cite(),
            }
        design: dict[str, Any] = {
            "description": self.sentences(rng.randint(1, 2)),
            "allocation": self.allocation(kind, model),
        }
        if not pooled:
            design["masking"] = self.deal("masking")
        design["model"] = model
        if periods:
            design["periods"] = periods
        if not pooled:
            design["centres"] = rng.randint(1, 12)
        design["sources"] = cite()
        record["design"] = design
        record["population"] = {
            "description": self.sentences(rng.randint(1, 2)),
            "planned": enrolled + rng.randint(0, 20),
            "enrolled": enrolled,
            "age": f"median {rng.randint(1, 10)} years",
            "eligible_age": f"{rng.randint(0, 2)} to {rng.randint(6, 17)} years",
            "gestational_age": f"{rng.randint(24, 40)} weeks or more",
            "severity": f"GMFCS I-{rng.choice(('III', 'IV', 'V'))}",
            "sources": cite(),
        }
        record["arms"] = arms
        record["interventions"] = self.interventions(arms, periods, index, cite)
        if any(a["role"] in CONTROL_ROLES for a in arms):
            record["comparator"] = {"description": self.words(8, 16), "sources": cite()}
        record["outcomes"] = outcomes
        record["group_values"] = group_values
        if effects:
            record["effects"] = effects
        if pooled:
            record["pooled"] = self.pooled(index, kind, cite())
        record["safety"] = {
            "summary": self.sentences(rng.randint(1, 2)),
            "follow_up": f"{rng.randint(1, 5)} years",
            "events": [
                {
                    "kind": self.deal("safety_kind"),
                    "count": rng.randint(0, 9),
                    "denominator": arm["n"],
                    "unit": self.deal("event_unit"),
                    "arm": arm["id"],
                    "note": self.words(4, 8),
                    "source": "paper",
                    "locator": rng.choice(_LOCATORS),
                    "time_point": f"first {rng.randint(1, 24)} months",
                }
                for arm in arms
                if arm["role"] not in CONTROL_ROLES - CONCURRENT_ROLES
            ],
            "sources": cite(),
        }
        dates = {
            "start": self.date(2005, 2012),
            "enrolment_end": self.date(2013, 2014)[:7],
            "primary_completion": self.date(2015, 2016),
            "completion": self.date(2017, 2017)[:4],
            "first_posted": self.date(2005, 2012),
            "results_posted": self.date(2018, 2019),
            "last_update": self.date(2020, 2023),
            "published": self.date(2018, 2020)[:7],
        }
        if status in OPEN:  # still recruiting: completion lies ahead
            dates.update(primary_completion=self.date(2031, 2032), completion="2033")
        if pooled:
            dates["search"] = self.date(2017, 2018)
        record.update(
            registrations=registrations,
            sponsor=f"Synthetic University {index % 50}",
            collaborators=[f"Synthetic Foundation {index % 20}"],
            countries=sorted(set(rng.sample(_COUNTRIES, 2))),
            dates={**dates, "sources": ["paper", "registry"]},
            history=[
                {
                    "date": self.date(2021, 2023),
                    "kind": self.deal("history_kind"),
                    "note": self.words(4, 8),
                    "source": "registry",
                }
            ],
            references=refs,
        )
        if index > 0 and self.chance(0.5):
            targets = sorted(set(rng.sample(range(index), min(index, 2))))
            record["related"] = [
                {"id": record_id(t), "relation": self.deal("relation")} for t in targets
            ]
        record.update(
            source_notes={
                "conflicts_of_interest": self.words(6, 12),
                "funding": self.words(6, 12),
                "commercial_interest": self.words(6, 12),
                "caveats": [self.words(8, 16)],
                "sources": cite(),
            },
            certainty=[
                {
                    "outcome": o["id"],
                    "rating": self.deal("grade"),
                    "assessor": "Synthetic review authors",
                    "date": self.date(2020, 2024)[:4],
                    "source": "paper",
                    "reasons": self.words(6, 12),
                }
                for o in outcomes[:2]
            ],
            risk_of_bias={
                "tool": "Synthetic tool (2099)",
                "overall": self.deal("rob_judgement"),
                "domains": [
                    {"domain": f"Synthetic domain {k}", "judgement": self.deal("rob_judgement")}
                    for k in range(1, 4)
                ],
                "assessor": "Synthetic review authors",
                "date": self.date(2020, 2024)[:4],
                "source": "paper",
            },
            added=self.date(2020, 2023),
            last_reviewed=self.date(2024, 2025),
            reviewed_by="Synthetic Editor",
        )
        if starts:
            shared = {k: v for k, v in arms[0].items() if k != "sources"}
            self.open_trial = (index, trial_id(index), shared, registrations[0])
        return record

    # --- design and arms -------------------------------------------------------------------

    def status(self, kind: str) -> str:
        if kind in POOLED:
            return "completed"  # for reviews: published
        if kind == "expanded-access":
            return self.deal("status", _PROGRAMME_STATUSES)
        studies = [s for s in self.vocab["status"] if s not in _PROGRAMME_STATUSES[:2]]
        return self.deal("status", studies)

    def design_model(self, kind: str) -> str:
        if kind in POOLED:
            return "not-applicable"
        if kind == "randomised-trial":
            return self.deal("design_model", ("parallel", "crossover", "factorial"))
        if kind in CONTROLLED:
            return "parallel"
        if kind == "registered-trial":
            return self.deal("design_model", ("parallel", "single-group", "dose-cohorts"))
        if kind in TRIALS:
            return self.deal("design_model", ("single-group", "dose-cohorts"))
        return "single-group"

    def allocation(self, kind: str, model: str) -> str:
        if model == "not-applicable":
            return "not-applicable"
        if model == "single-group":
            return "single-group"
        if kind == "randomised-trial" or (kind == "registered-trial" and model == "parallel"):
            return "randomised"
        return "non-randomised"

    def arms(self, kind: str, model: str, cite: Cite) -> list[dict[str, Any]]:
        """Arms with roles that fit the kind of evidence and the design."""
        concurrent = sorted(CONCURRENT_ROLES - {"mixed-control"})
        external = sorted(CONTROL_ROLES - CONCURRENT_ROLES)
        if kind in POOLED:
            roles = ["experimental", "mixed-control"]
        elif model == "crossover":
            roles = ["experimental", "placebo"]
        elif model == "factorial":
            # cells with and without a second treatment; that treatment alone; placebo
            roles = ["experimental", "experimental", "active-comparator", "placebo"]
        elif model == "parallel":
            controls = external if kind == "cohort-external-controls" else concurrent
            roles = ["experimental"] * self.rng.randint(1, 2) + [self.deal("role", controls)]
        elif model == "dose-cohorts":
            roles = ["experimental"] * self.rng.randint(2, 3)
        else:
            roles = ["experimental"]
        arms: list[dict[str, Any]] = []
        for k, role in enumerate(roles, 1):
            ident = f"cells-{k}" if role == "experimental" else f"control-{k}"
            n = self.rng.randint(10, 60) if role not in external else self.rng.randint(40, 300)
            arm: dict[str, Any] = {
                "id": ident,
                "label": f"Synthetic {'cells' if role == 'experimental' else role} group {k}",
                "role": role,
                "n": n,
            }
            if self.chance(0.5):
                arm["n_analysed"] = n - self.rng.randint(0, 4)
            arm.update(description=self.words(5, 10), sources=cite())
            arms.append(arm)
        return arms

    def interventions(
        self, arms: list[dict[str, Any]], periods: list[dict[str, Any]], index: int, cite: Cite
    ) -> list[dict[str, Any]]:
        """A cell product for each treated arm; in a crossover, each sequence in its period."""
        given = [(a["id"], None) for a in arms if a["role"] == "experimental"]
        if periods:  # cells first in period 1; the placebo-first sequence gets them in period 2
            given = [(arms[0]["id"], periods[0]["id"]), (arms[1]["id"], periods[1]["id"])]
        return [
            self.intervention(arm, period, index + k, cite())
            for k, (arm, period) in enumerate(given)
        ]

    def intervention(
        self, arm: str, period: str | None, index: int, sources: list[str]
    ) -> dict[str, Any]:
        rng = self.rng
        low = rng.randint(1, 9) * 10 ** rng.randint(5, 8)
        dose: dict[str, Any]
        if self.chance(0.5):
            dose = {"value": float(low), "minimum": self.chance(0.3)}
        else:
            dose = {"low": float(low), "high": float(low * rng.randint(2, 5))}
        dose.update(unit=self.deal("dose_unit"), note=self.words(4, 8))
        donor = self.deal("donor")
        doses = rng.randint(1, 4)
        item: dict[str, Any] = {"arm": arm}
        if period:
            item["period"] = period
        item.update(
            cell_type=self.pick("cell_type", index),
            tissue_source=self.deal("tissue_source"),
            donor=donor,
            product=f"Synthetic product {index % 31}",
            storage=self.deal("storage"),
        )
        if donor.startswith("allogeneic"):
            item["hla_match"] = f"at least {rng.randint(3, 6)} of 6 at HLA-A, -B, DRB1"
        item.update(route=self.pick("route", index), dose=dose, doses=doses)
        if doses > 1:
            item.update(max_doses=self.chance(0.2), interval=f"{rng.randint(1, 6)} months")
        item.update(
            timing=f"Within {rng.randint(1, 30)} days of synthetic baseline",
            co_interventions=sorted({self.deal("co_intervention"), self.deal("co_intervention")}),
            sources=sources,
        )
        return item

    # --- outcomes and results --------------------------------------------------------------

    def outcomes(self, cite: Cite) -> list[dict[str, Any]]:
        """Two to four outcomes, each with an instrument from the vocabulary or its direction."""
        rng = self.rng
        found: list[dict[str, Any]] = []
        for k in range(1, rng.randint(2, 4) + 1):
            outcome: dict[str, Any] = {
                "id": f"outcome-{k}",
                "name": f"Synthetic outcome {k}",
                "domain": self.deal("domain"),
            }
            instrument = None if self.chance(0.15) else self.deal("instrument")
            if instrument:
                outcome["instrument"] = instrument
                if self.chance(0.3):
                    outcome["subscale"] = f"synthetic dimension {rng.choice('ABCDE')}"
            if instrument not in DIRECTIONS:  # the effects need one; the instrument has none
                outcome["direction"] = self.deal("direction")
            outcome["time_point"] = f"{rng.choice((3, 6, 12, 24))} months after treatment"
            role = "primary" if k == 1 and self.chance(0.85) else None
            if k > 1:
                role = self.deal("outcome_role", ("secondary", "other", "none"))
            if role and role != "none":
                outcome.update(role=role, role_stated_by=self.deal("role_stated_by"))
            if instrument and self.chance(0.2):
                outcome["mid"] = {
                    "value": round(rng.uniform(0.5, 5), 1),
                    "unit": "points",
                    "note": f"GMFCS level {rng.choice(('I', 'II', 'III'))}",
                    "source": "paper",
                }
            outcome.update(description=self.words(6, 12), sources=cite())
            found.append(outcome)
        return found

    def results(
        self,
        kind: str,
        arms: list[dict[str, Any]],
        outcomes: list[dict[str, Any]],
        secondary: list[str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Group values for single arms (and all arms together), and effects between arms."""
        rng = self.rng
        treated = [a for a in arms if a["role"] == "experimental"]
        controls = [a for a in arms if a["role"] in CONTROL_ROLES]
        values: list[dict[str, Any]] = []
        effects: list[dict[str, Any]] = []
        for k, outcome in enumerate(outcomes):
            for arm in arms if k == 0 else [rng.choice(arms)]:
                values.append(self.group_value(outcome, [arm], secondary))
            if k == 0 and len(arms) > 1 and self.chance(0.3):
                values.append(self.group_value(outcome, arms, secondary))
            if controls:
                experimental = treated if self.chance(0.3) else [rng.choice(treated)]
                comparator = [rng.choice(controls)]
            elif len(treated) > 1:  # dose cohorts: a higher dose against a lower one
                experimental, comparator = [treated[-1]], [treated[0]]
            else:
                continue
            effects.append(self.effect(kind, outcome, experimental, comparator, k, secondary))
        return values, effects

    def provenance(self, item: dict[str, Any], secondary: list[str], key: str) -> None:
        """`source`, `locator`, `obtained` (and `formula`) of a result."""
        obtained = self.deal(f"obtained-{key}", self.vocab["obtained"])
        item["source"] = self.rng.choice(secondary) if obtained == "secondary-source" else "paper"
        item["locator"] = self.rng.choice(_LOCATORS)
        item["obtained"] = obtained
        if obtained == "computed":
            item["formula"] = f"{self.rng.randint(2, 40)} / {self.rng.randint(41, 90)} (synthetic)"

    def when(self, item: dict[str, Any]) -> None:
        months = self.rng.choice((0, 3, 6, 12, 24))
        item["time_point"] = f"{months} months after treatment" if months else "baseline"
        if self.chance(0.8):
            item["months"] = months

    def subgroup(self) -> dict[str, Any]:
        return {
            "label": f"GMFCS {self.rng.choice(('I-II', 'III', 'IV-V'))}",
            "definition": self.words(5, 10),
            "prespecified": self.chance(0.5),
        }

    def group_value(
        self, outcome: dict[str, Any], arms: list[dict[str, Any]], secondary: list[str]
    ) -> dict[str, Any]:
        rng = self.rng
        n = sum(a["n"] for a in arms)
        item: dict[str, Any] = {"outcome": outcome["id"]}
        if len(arms) == 1:
            item["arm"] = arms[0]["id"]
        else:
            item["arms"] = [a["id"] for a in arms]
        self.when(item)
        statistic = self.deal("statistic")
        item["statistic"] = statistic
        if statistic in ("mean", "median"):
            scale = self.deal(f"scale-{statistic}", self.vocab["scale"])
            value = round(rng.uniform(-10, 80), 2)
            item.update(scale=scale, value=value, unit=rng.choice(("points", "score", "%")))
            if statistic == "mean":
                item.update(sd=round(rng.uniform(1, 15), 2), se=round(rng.uniform(0.2, 3), 2))
                item["ci"] = _interval(value, round(rng.uniform(0.5, 6), 2), False)
                if self.chance(0.3):
                    item["ci_level"] = rng.choice((90, 95))
            else:
                inner, outer = round(rng.uniform(1, 8), 2), round(rng.uniform(8, 30), 2)
                item["iqr"] = _interval(value, inner, False)
                item["range"] = _interval(value, outer, False)
            if scale != "final":
                item["p"] = rng.choice(("<0.001", f"0.{rng.randint(1, 999):03d}", "P = .028"))
        elif statistic == "events":
            total = rng.randint(1, n)
            item.update(events=rng.randint(0, total), total=total)
        elif statistic == "count":
            item.update(value=rng.randint(0, n), unit="participants")
        else:  # a proportion as printed
            value = round(rng.uniform(5, 95), 1)
            item.update(value=value, unit="%", ci=_interval(value, 4.5, False))
        item["n"] = rng.randint(1, n)
        if self.chance(0.2):
            item["subgroup"] = self.subgroup()
        if self.chance(0.5):
            item["statement"] = self.words(6, 14)
        if self.chance(0.2):
            item["note"] = self.words(4, 8)
        self.provenance(item, secondary, "value")
        return item

    def effect(
        self,
        kind: str,
        outcome: dict[str, Any],
        experimental: list[dict[str, Any]],
        comparator: list[dict[str, Any]],
        position: int,
        secondary: list[str],
    ) -> dict[str, Any]:
        rng = self.rng
        item: dict[str, Any] = {
            "outcome": outcome["id"],
            "experimental": [a["id"] for a in experimental],
            "comparator": [a["id"] for a in comparator],
        }
        self.when(item)
        if self.chance(0.15):  # a worded comparison, no number
            item["statement"] = self.words(6, 14)
            item["source"] = "paper"
            return item
        measure = self.deal("measure")
        ratio = measure in RATIOS
        item["measure"] = measure
        if not ratio and measure != "risk-difference":
            item["scale"] = self.deal("scale-effect", self.vocab["scale"])
        if ratio:  # above 0, on a log scale
            value = round(rng.uniform(0.3, 3), 2)
            item.update(value=value, ci=_interval(value, rng.uniform(1.1, 3), True))
        else:
            value = round(rng.uniform(-5, 5), 2)
            item["value"] = value
            if measure != "standardised-mean-difference":
                item["unit"] = "%" if measure == "risk-difference" else "points"
            item["ci"] = _interval(value, round(rng.uniform(0.1, 3), 2), False)
        if self.chance(0.3):
            item["ci_level"] = rng.choice((90, 95))
        item["p"] = f"0.{rng.randint(1, 999):03d}"
        item["n"] = sum(a.get("n_analysed", a["n"]) for a in (*experimental, *comparator))
        analysis: dict[str, Any] = {}
        if position == 0 and outcome.get("role") == "primary":
            analysis["plan"] = "prespecified-primary"
        else:
            plan = self.deal("plan", ("prespecified-secondary", "post-hoc", "none"))
            if plan != "none":
                analysis["plan"] = plan
        analysis["population"] = self.deal("analysis_population")
        if self.chance(0.4):
            analysis.update(adjusted=True, covariates=rng.choice(_ADJUSTERS))
        else:
            analysis["adjusted"] = False
        analysis["method"] = rng.choice(_METHODS)
        item["analysis"] = analysis
        if self.chance(0.2):
            item["subgroup"] = self.subgroup()
        if kind in POOLED:
            item.update(studies=rng.randint(2, 12), i2=round(rng.uniform(0, 90), 1))
        if self.chance(0.5):
            item["statement"] = self.words(6, 14)
        if self.chance(0.2):
            item["note"] = self.words(4, 8)
        self.provenance(item, secondary, "effect")
        return item

    def pooled(self, index: int, kind: str, sources: list[str]) -> dict[str, Any]:
        """What a review pools: earlier primary records (never reviews) and some citations."""
        rng = self.rng
        wanted = rng.randint(2, 4)
        chosen: set[int] = set()
        while len(chosen) < wanted:  # index >= 12: records 0-11 are primary studies
            other = rng.randrange(index)
            if self.kind(other) not in POOLED:
                chosen.add(other)
        includes: list[dict[str, Any]] = [{"record": record_id(i)} for i in sorted(chosen)]
        for k in range(rng.randint(1, 2)):
            cited: dict[str, Any] = {
                "citation": f"Synthetic {chr(65 + k)} et al. Synthetic J {rng.randint(1, 40)} "
                f"{rng.randint(2005, 2024)}"
            }
            if k == 0:
                cited.update(
                    doi=f"10.5555/synthetic.included.{index:05d}",
                    pmid=str(950_000_000 + index),
                    registration=f"NCT8{index:07d}",
                )
            includes.append(cited)
        complete = self.chance(0.5)
        models = [m for m in self.vocab["pooled_model"] if m.startswith("ipd-")]
        if kind != "ipd-meta-analysis":
            models = [m for m in self.vocab["pooled_model"] if m not in models]
        return {
            "studies": len(includes) + (0 if complete else rng.randint(1, 6)),
            "model": self.deal("pooled_model", models),
            "includes": includes,
            "includes_complete": complete,
            "sources": sources,
        }

    def references(self, index: int, registry_id: str) -> list[dict[str, Any]]:
        rng = self.rng
        types = self.vocab["reference_type"]
        refs: list[dict[str, Any]] = []
        extra = [t for t in types if t not in ("article", "registry-entry")]
        kinds = ["article", "registry-entry", self.deal("reference_type", extra)]
        if self.chance(0.5):
            kinds.append(rng.choice([t for t in extra if t not in kinds]))
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
            if kind == "registry-entry":  # a url only where there is no DOI or PMID
                ref.update(
                    registry_id=registry_id,
                    url=f"https://example.org/synthetic/{index:05d}/{k}",
                    accessed=self.date(2024, 2025),
                )
            elif k == 0:  # the main report, with every field a reference can have
                ref.update(
                    et_al=self.chance(0.3),
                    journal=f"Synthetic J {rng.randint(1, 40)}",
                    date=f"{year}-{rng.randint(1, 12):02d}",
                    volume=str(rng.randint(1, 99)),
                    issue=str(rng.randint(1, 12)),
                    pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
                    doi=f"10.5555/synthetic.{index:05d}.{k}",
                    pmid=str(900_000_000 + index * 10 + k),
                    pmcid=f"PMC9{index * 10 + k:08d}",
                    accessed=self.date(2024, 2025),
                    note=self.words(4, 10),
                )
            elif self.chance(0.5):
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
