"""Model stage: turn validated record data into typed, immutable study objects.

Only called on records that passed validation, so fields have the types the schema promises.
Vocabulary values stay as their schema codes here; labels are looked up when rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reference:
    id: str
    type: str
    title: str
    authors: tuple[str, ...] = ()
    et_al: bool = False
    journal: str | None = None
    year: int | None = None
    date: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    registry_id: str | None = None
    url: str | None = None
    accessed: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Arm:
    id: str
    label: str
    n: int | None = None
    n_analysed: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Dose:
    unit: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    minimum: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Intervention:
    cell_type: str
    route: str
    sources: tuple[str, ...]
    arm: str | None = None
    tissue_source: str | None = None
    donor: str | None = None
    product: str | None = None
    dose: Dose | None = None
    doses: int | None = None
    max_doses: bool = False
    timing: str | None = None
    co_interventions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    id: str
    name: str
    sources: tuple[str, ...]
    domain: str | None = None
    instrument: str | None = None
    time_point: str | None = None
    months: float | None = None
    primary: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Result:
    outcome: str
    source: str
    main: bool = False
    comparison: str | None = None
    effect_measure: str | None = None
    value: float | None = None
    unit: str | None = None
    ci: tuple[float, float] | None = None
    ci_level: float = 95
    p: str | None = None
    n_analysed: int | None = None
    statement: str | None = None


@dataclass(frozen=True)
class SafetyEvent:
    kind: str
    source: str
    count: int | None = None
    denominator: int | None = None
    unit: str | None = None
    arm: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Section:
    """A block of prose with its sources (design, population, comparator, safety, ...)."""

    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Registration:
    registry: str
    id: str


@dataclass(frozen=True)
class Relation:
    id: str
    relation: str


@dataclass(frozen=True)
class Certainty:
    outcome: str
    rating: str
    assessor: str
    date: str | None = None
    source: str | None = None
    reasons: str | None = None


@dataclass(frozen=True)
class RiskOfBias:
    tool: str
    overall: str
    assessor: str
    domains: tuple[tuple[str, str], ...] = ()
    date: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Study:
    """One study record, typed."""

    id: str
    short_name: str
    title: str
    evidence_kind: str
    status: str
    conditions: tuple[str, ...]
    summary: str
    references: tuple[Reference, ...]
    last_reviewed: str
    phase: str | None = None
    conditions_as_registered: tuple[str, ...] = ()
    design: Section | None = None
    allocation: str | None = None
    masking: str | None = None
    crossover: bool | None = None
    centres: int | None = None
    population: Section | None = None
    planned: int | None = None
    enrolled: int | None = None
    age: str | None = None
    gestational_age: str | None = None
    severity: str | None = None
    studies_included: int | None = None
    arms: tuple[Arm, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    comparator_kind: str | None = None
    comparator: Section | None = None
    outcomes: tuple[Outcome, ...] = ()
    results: tuple[Result, ...] = ()
    safety: Section | None = None
    safety_follow_up: str | None = None
    safety_events: tuple[SafetyEvent, ...] = ()
    registrations: tuple[Registration, ...] = ()
    sponsor: str | None = None
    collaborators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    dates: tuple[tuple[str, str], ...] = ()
    dates_sources: tuple[str, ...] = ()
    related: tuple[Relation, ...] = ()
    conflicts_of_interest: str | None = None
    funding: str | None = None
    commercial_interest: str | None = None
    caveats: tuple[str, ...] = ()
    source_notes_sources: tuple[str, ...] = ()
    certainty: tuple[Certainty, ...] = ()
    risk_of_bias: RiskOfBias | None = None
    reviewed_by: str | None = None
    added: str | None = None
    # The validated record as loaded, for the dataset downloads (which keep the record shape).
    record: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def cell_types(self) -> tuple[str, ...]:
        """Distinct cell types of the interventions, in order of first mention."""
        return tuple(dict.fromkeys(i.cell_type for i in self.interventions))

    @property
    def primary_outcomes(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.primary)

    def outcome(self, outcome_id: str) -> Outcome:
        return next(o for o in self.outcomes if o.id == outcome_id)

    def arm_label(self, arm_id: str) -> str:
        """Label of an arm of population.arms (validation guarantees it exists)."""
        return next(a.label for a in self.arms if a.id == arm_id)

    def reference_number(self, ref_id: str) -> int:
        """1-based position of a reference in the numbered list."""
        return next(i for i, r in enumerate(self.references, 1) if r.id == ref_id)


def build_study(data: dict[str, Any]) -> Study:
    """Build a Study from one validated record."""
    design = data.get("design", {})
    population = data.get("population", {})
    comparator = data.get("comparator")
    safety = data.get("safety")
    notes = data.get("source_notes", {})
    dates = data.get("dates", {})
    rob = data.get("risk_of_bias")
    return Study(
        id=data["id"],
        short_name=data["short_name"],
        title=data["title"],
        evidence_kind=data["evidence_kind"],
        status=data["status"],
        conditions=tuple(data["conditions"]),
        summary=data["summary"],
        references=tuple(_reference(r) for r in data["references"]),
        last_reviewed=data["last_reviewed"],
        phase=data.get("phase"),
        conditions_as_registered=tuple(data.get("conditions_as_registered", ())),
        design=_section(design, "description"),
        allocation=design.get("allocation"),
        masking=design.get("masking"),
        crossover=design.get("crossover"),
        centres=design.get("centres"),
        population=_section(population, "description"),
        planned=population.get("planned"),
        enrolled=population.get("enrolled"),
        age=population.get("age"),
        gestational_age=population.get("gestational_age"),
        severity=population.get("severity"),
        studies_included=population.get("studies"),
        arms=tuple(Arm(**a) for a in population.get("arms", ())),
        interventions=tuple(_intervention(i) for i in data.get("interventions", ())),
        comparator_kind=comparator["kind"] if comparator else None,
        comparator=_section(comparator, "description"),
        outcomes=tuple(_outcome(o) for o in data.get("outcomes", ())),
        results=tuple(_result(r) for r in data.get("results", ())),
        safety=_section(safety, "summary"),
        safety_follow_up=safety.get("follow_up") if safety else None,
        safety_events=tuple(SafetyEvent(**e) for e in (safety or {}).get("events", ())),
        registrations=tuple(Registration(**r) for r in data.get("registrations", ())),
        sponsor=data.get("sponsor"),
        collaborators=tuple(data.get("collaborators", ())),
        countries=tuple(data.get("countries", ())),
        dates=tuple((k, v) for k, v in dates.items() if k != "sources"),
        dates_sources=tuple(dates.get("sources", ())),
        related=tuple(Relation(**r) for r in data.get("related", ())),
        conflicts_of_interest=notes.get("conflicts_of_interest"),
        funding=notes.get("funding"),
        commercial_interest=notes.get("commercial_interest"),
        caveats=tuple(notes.get("caveats", ())),
        source_notes_sources=tuple(notes.get("sources", ())),
        certainty=tuple(Certainty(**c) for c in data.get("certainty", ())),
        risk_of_bias=_risk_of_bias(rob) if rob else None,
        reviewed_by=data.get("reviewed_by"),
        added=data.get("added"),
        record=data,
    )


def _section(block: dict[str, Any] | None, text_key: str) -> Section | None:
    if not block or text_key not in block:
        return None
    return Section(block[text_key], tuple(block.get("sources", ())))


def _reference(data: dict[str, Any]) -> Reference:
    return Reference(**{**data, "authors": tuple(data.get("authors", ()))})


def _intervention(data: dict[str, Any]) -> Intervention:
    dose = Dose(**data["dose"]) if "dose" in data else None
    return Intervention(
        **{
            **data,
            "dose": dose,
            "sources": tuple(data["sources"]),
            "co_interventions": tuple(data.get("co_interventions", ())),
        }
    )


def _outcome(data: dict[str, Any]) -> Outcome:
    return Outcome(**{**data, "sources": tuple(data["sources"])})


def _result(data: dict[str, Any]) -> Result:
    ci = data.get("ci")
    return Result(**{**data, "ci": (ci[0], ci[1]) if ci else None})


def _risk_of_bias(data: dict[str, Any]) -> RiskOfBias:
    domains = tuple((d["domain"], d["judgement"]) for d in data.get("domains", ()))
    return RiskOfBias(**{**data, "domains": domains})


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    expansion: str
    definition: str
    sources: tuple[str, ...] = ()
