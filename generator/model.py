"""Model stage: turn validated record data into typed, immutable study objects.

Only called on records that passed validation, so fields have the types the schema promises.
The dataclasses mirror the schema's blocks and names. Vocabulary values stay as their schema
codes here; their labels and meanings are looked up in the schema (`generator.schema`).

Numbers in results keep the precision the source printed: the loader remembers the text of
a number such as 2.30, and it becomes a `Decimal` here, so it is shown as 2.30, not 2.3.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from generator.load import FieldPath

Number = int | float | Decimal
Interval = tuple[Number, Number]


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Section:
    """A block of prose with its sources (comparator, ...)."""

    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Period:
    id: str
    label: str
    months: Number | None = None


@dataclass(frozen=True, slots=True)
class Design:
    description: str
    sources: tuple[str, ...]
    allocation: str | None = None
    masking: str | None = None
    model: str | None = None
    periods: tuple[Period, ...] = ()
    centres: int | None = None


@dataclass(frozen=True, slots=True)
class Population:
    description: str
    sources: tuple[str, ...]
    planned: int | None = None
    enrolled: int | None = None
    age: str | None = None
    eligible_age: str | None = None
    gestational_age: str | None = None
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class Arm:
    id: str
    label: str
    role: str
    n: int | None = None
    n_analysed: int | None = None
    description: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dose:
    unit: str
    value: Number | None = None
    low: Number | None = None
    high: Number | None = None
    minimum: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Intervention:
    arm: str
    cell_type: str
    route: str
    sources: tuple[str, ...]
    period: str | None = None
    tissue_source: str | None = None
    donor: str | None = None
    product: str | None = None
    storage: str | None = None
    hla_match: str | None = None
    dose: Dose | None = None
    doses: int | None = None
    max_doses: bool = False
    interval: str | None = None
    timing: str | None = None
    co_interventions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mid:
    """A minimal important difference, with the reference that establishes it."""

    value: Number
    source: str
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    name: str
    sources: tuple[str, ...]
    domain: str | None = None
    instrument: str | None = None
    subscale: str | None = None
    direction: str | None = None
    time_point: str | None = None
    role: str | None = None
    role_stated_by: str | None = None
    mid: Mid | None = None
    description: str | None = None

    @property
    def primary(self) -> bool:
        return self.role == "primary"


@dataclass(frozen=True, slots=True)
class Subgroup:
    label: str
    prespecified: bool
    definition: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    plan: str | None = None
    population: str | None = None
    adjusted: bool | None = None
    covariates: str | None = None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class GroupValue:
    """A value for one arm (or several arms taken together): a mean, median, count, events
    of a total or a proportion."""

    outcome: str
    arms: tuple[str, ...]
    source: str
    time_point: str | None = None
    months: Number | None = None
    statistic: str | None = None
    scale: str | None = None
    value: Number | None = None
    events: int | None = None
    total: int | None = None
    unit: str | None = None
    sd: Number | None = None
    se: Number | None = None
    iqr: Interval | None = None
    range: Interval | None = None
    ci: Interval | None = None
    ci_level: Number = 95
    n: int | None = None
    p: str | None = None
    subgroup: Subgroup | None = None
    statement: str | None = None
    note: str | None = None
    locator: str | None = None
    obtained: str = "as-reported"
    formula: str | None = None

    @property
    def numeric(self) -> bool:
        return self.value is not None or self.events is not None


@dataclass(frozen=True, slots=True)
class Effect:
    """A comparison between arms: experimental arm(s) against comparator arm(s)."""

    outcome: str
    experimental: tuple[str, ...]
    comparator: tuple[str, ...]
    source: str
    time_point: str | None = None
    months: Number | None = None
    measure: str | None = None
    scale: str | None = None
    value: Number | None = None
    unit: str | None = None
    ci: Interval | None = None
    ci_level: Number = 95
    p: str | None = None
    n: int | None = None
    analysis: Analysis = field(default_factory=Analysis)
    subgroup: Subgroup | None = None
    studies: int | None = None
    i2: Number | None = None
    statement: str | None = None
    note: str | None = None
    locator: str | None = None
    obtained: str = "as-reported"
    formula: str | None = None

    @property
    def numeric(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    kind: str
    source: str
    count: int | None = None
    denominator: int | None = None
    unit: str | None = None
    arm: str | None = None
    note: str | None = None
    locator: str | None = None
    time_point: str | None = None


@dataclass(frozen=True, slots=True)
class Safety:
    summary: str
    sources: tuple[str, ...]
    follow_up: str | None = None
    events: tuple[SafetyEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class Included:
    """A study a review includes: a record on this site, or a citation."""

    record: str | None = None
    citation: str | None = None
    doi: str | None = None
    pmid: str | None = None
    registration: str | None = None


@dataclass(frozen=True, slots=True)
class Pooled:
    sources: tuple[str, ...]
    studies: int | None = None
    model: str | None = None
    includes: tuple[Included, ...] = ()
    includes_complete: bool = False


@dataclass(frozen=True, slots=True)
class Trial:
    """The trial a record reports, shared by every record that reports it."""

    id: str
    basis: str
    sources: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    registry: str
    id: str


@dataclass(frozen=True, slots=True)
class Relation:
    id: str
    relation: str


@dataclass(frozen=True, slots=True)
class Dates:
    entries: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A dated evidence event the dates cannot say (a status change, a correction, ...)."""

    date: str
    kind: str
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class SourceNotes:
    sources: tuple[str, ...] = ()
    conflicts_of_interest: str | None = None
    funding: str | None = None
    commercial_interest: str | None = None
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Certainty:
    outcome: str
    rating: str
    assessor: str
    date: str | None = None
    source: str | None = None
    reasons: str | None = None


@dataclass(frozen=True, slots=True)
class RiskOfBias:
    tool: str
    overall: str
    assessor: str
    domains: tuple[tuple[str, str], ...] = ()
    date: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
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
    status_checked: str | None = None
    phase: str | None = None
    conditions_as_registered: tuple[str, ...] = ()
    trial: Trial | None = None
    design: Design | None = None
    population: Population | None = None
    arms: tuple[Arm, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    comparator: Section | None = None
    outcomes: tuple[Outcome, ...] = ()
    group_values: tuple[GroupValue, ...] = ()
    effects: tuple[Effect, ...] = ()
    pooled: Pooled | None = None
    safety: Safety | None = None
    registrations: tuple[Registration, ...] = ()
    sponsor: str | None = None
    collaborators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    dates: Dates = field(default_factory=Dates)
    history: tuple[HistoryEvent, ...] = ()
    related: tuple[Relation, ...] = ()
    source_notes: SourceNotes = field(default_factory=SourceNotes)
    certainty: tuple[Certainty, ...] = ()
    risk_of_bias: RiskOfBias | None = None
    reviewed_by: str | None = None
    added: str | None = None
    record_packed: bytes = field(default=b"", compare=False, repr=False)
    """pack(record_json(...)) of the validated record: a line of the dataset download. Packed
    text, not the data: at 10,000 records the data would be 450 MB of objects, the text
    110 MB, packed 40 MB."""
    results_packed: bytes = field(default=b"", compare=False, repr=False)
    """The study's rows of the results download (export.result_rows), packed, when made ahead
    (kept in the record cache, so an edit does not make every study's rows again); empty:
    made when needed."""

    @property
    def enrolled(self) -> int | None:
        return self.population.enrolled if self.population else None

    @property
    def planned(self) -> int | None:
        return self.population.planned if self.population else None

    @property
    def cell_types(self) -> tuple[str, ...]:
        """Distinct cell types of the interventions, in order of first mention."""
        return tuple(dict.fromkeys(i.cell_type for i in self.interventions))

    @property
    def primary_outcomes(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.primary)

    @property
    def has_results(self) -> bool:
        return bool(self.group_values or self.effects)

    @property
    def record_json(self) -> str:
        """The validated record as one line of JSON, numbers as printed."""
        return unpack(self.record_packed) if self.record_packed else "{}"

    # Lookups scan the few outcomes, arms and references of a study: no index is kept, so a
    # Study has no per-instance dict (slots), which at 10,000 studies saves 20 MB.
    def outcome(self, outcome_id: str) -> Outcome:
        return self.outcomes[_position(self.outcomes, outcome_id)]

    def arm(self, arm_id: str) -> Arm:
        """An arm of the study (validation guarantees it exists)."""
        return self.arms[_position(self.arms, arm_id)]

    def arm_label(self, arm_id: str) -> str:
        return self.arm(arm_id).label

    def reference(self, ref_id: str) -> Reference:
        return self.references[self.reference_number(ref_id) - 1]

    def reference_number(self, ref_id: str) -> int:
        """1-based position of a reference in the numbered list."""
        return _position(self.references, ref_id) + 1

    def arm_cell_types(self, arm_id: str) -> tuple[str, ...]:
        """Cell types given to an arm (none for a control arm)."""
        return tuple(dict.fromkeys(i.cell_type for i in self.interventions if i.arm == arm_id))


# --- building --------------------------------------------------------------------------------

RESULT_LISTS = ("group_values", "effects")
PRINTED_FIELDS = frozenset({"value", "sd", "se", "ci", "iqr", "range", "i2"})
"""Result numbers shown as printed (2.30 stays 2.30); doses and months are formatted."""


def _position(items: tuple[Any, ...], ident: str) -> int:
    """Index of the item with this id; KeyError (like a dict) when there is none. (Not
    StopIteration: inside a template, itself a generator, that would become a RuntimeError.)"""
    for index, item in enumerate(items):
        if item.id == ident:
            return index
    raise KeyError(ident)


def with_printed(data: dict[str, Any], printed: Mapping[FieldPath, str]) -> dict[str, Any]:
    """The record with each result number whose printed text differs from its value as a
    `Decimal` of that text. Containers on the way are copied; `data` is not changed."""
    out = dict(data)
    for path, text in printed.items():
        if len(path) < 3 or path[0] not in RESULT_LISTS:
            if not (len(path) == 4 and path[0] == "outcomes" and path[2:] == ("mid", "value")):
                continue
        elif path[2] not in PRINTED_FIELDS:
            continue
        node: Any = out
        for part in path[:-1]:
            child = node[part]
            copy = dict(child) if isinstance(child, dict) else list(child)
            node[part] = copy
            node = copy
        node[path[-1]] = Decimal(text)
    return out


_NUMBER_MARK = "\x00number:"
_MARKED = re.compile(r'"\\u0000number:([-+0-9.eE]+)"')


def _mark_printed(value: Any) -> Any:
    """Replace each number kept as printed (a Decimal) with a marker string."""
    if isinstance(value, Decimal):
        return _NUMBER_MARK + str(value)
    if isinstance(value, dict):
        return {k: _mark_printed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_printed(v) for v in value]
    return value


def record_json(data: dict[str, Any]) -> str:
    """A record (after with_printed) as one line of JSON, each number kept as printed written
    with those digits (2.30, not 2.3). JSON numbers may be written so; record text cannot hold
    the marker used on the way (the loader refuses control characters)."""
    line = json.dumps(_mark_printed(data), ensure_ascii=False)
    return _MARKED.sub(lambda m: m.group(1), line)


def pack(line: str) -> bytes:
    """A record's JSON line, compressed (fast zlib: a third of the size, 0.1 ms a record)."""
    return zlib.compress(line.encode("utf-8"), 1)


def unpack(packed: bytes) -> str:
    """The text pack() was given."""
    return zlib.decompress(packed).decode("utf-8")


def build_study(
    data: dict[str, Any], printed: Mapping[FieldPath, str] | None = None, packed: bytes = b""
) -> Study:
    """Build a Study from one validated record (and the printed text of its numbers); packed:
    pack(record_json(...)) of it when already made."""
    if printed:
        data = with_printed(data, printed)
    design = data.get("design")
    population = data.get("population")
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
        status_checked=data.get("status_checked"),
        phase=data.get("phase"),
        conditions_as_registered=tuple(data.get("conditions_as_registered", ())),
        trial=_with_sources(Trial, data["trial"]) if "trial" in data else None,
        design=_design(design) if design else None,
        population=_with_sources(Population, population) if population else None,
        arms=tuple(_with_sources(Arm, a) for a in data.get("arms", ())),
        interventions=tuple(_intervention(i) for i in data.get("interventions", ())),
        comparator=Section(comparator["description"], tuple(comparator["sources"]))
        if comparator
        else None,
        outcomes=tuple(_outcome(o) for o in data.get("outcomes", ())),
        group_values=tuple(_group_value(v) for v in data.get("group_values", ())),
        effects=tuple(_effect(e) for e in data.get("effects", ())),
        pooled=_pooled(data["pooled"]) if "pooled" in data else None,
        safety=_safety(safety) if safety else None,
        registrations=tuple(Registration(**r) for r in data.get("registrations", ())),
        sponsor=data.get("sponsor"),
        collaborators=tuple(data.get("collaborators", ())),
        countries=tuple(data.get("countries", ())),
        dates=Dates(
            tuple((k, v) for k, v in dates.items() if k != "sources"),
            tuple(dates.get("sources", ())),
        ),
        history=tuple(HistoryEvent(**e) for e in data.get("history", ())),
        related=tuple(Relation(**r) for r in data.get("related", ())),
        source_notes=SourceNotes(
            **{
                **notes,
                "sources": tuple(notes.get("sources", ())),
                "caveats": tuple(notes.get("caveats", ())),
            }
        ),
        certainty=tuple(Certainty(**c) for c in data.get("certainty", ())),
        risk_of_bias=_risk_of_bias(rob) if rob else None,
        reviewed_by=data.get("reviewed_by"),
        added=data.get("added"),
        record_packed=packed or pack(record_json(data)),
    )


def _with_sources(cls: Any, data: dict[str, Any]) -> Any:
    return cls(**{**data, **({"sources": tuple(data["sources"])} if "sources" in data else {})})


def _reference(data: dict[str, Any]) -> Reference:
    return Reference(**{**data, "authors": tuple(data.get("authors", ()))})


def _design(data: dict[str, Any]) -> Design:
    periods = tuple(Period(**p) for p in data.get("periods", ()))
    return Design(**{**data, "sources": tuple(data["sources"]), "periods": periods})


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
    mid = Mid(**data["mid"]) if "mid" in data else None
    return Outcome(**{**data, "sources": tuple(data["sources"]), "mid": mid})


def _pair(value: list[Number] | None) -> Interval | None:
    return (value[0], value[1]) if value else None


def _subgroup(data: dict[str, Any] | None) -> Subgroup | None:
    return Subgroup(**data) if data else None


def _group_value(data: dict[str, Any]) -> GroupValue:
    arms = (data["arm"],) if "arm" in data else tuple(data["arms"])
    return GroupValue(
        **{
            **{k: v for k, v in data.items() if k != "arm"},
            "arms": arms,
            "ci": _pair(data.get("ci")),
            "iqr": _pair(data.get("iqr")),
            "range": _pair(data.get("range")),
            "subgroup": _subgroup(data.get("subgroup")),
        }
    )


def _effect(data: dict[str, Any]) -> Effect:
    return Effect(
        **{
            **data,
            "experimental": tuple(data["experimental"]),
            "comparator": tuple(data["comparator"]),
            "ci": _pair(data.get("ci")),
            "analysis": Analysis(**data.get("analysis", {})),
            "subgroup": _subgroup(data.get("subgroup")),
        }
    )


def _pooled(data: dict[str, Any]) -> Pooled:
    includes = tuple(Included(**i) for i in data.get("includes", ()))
    return Pooled(**{**data, "sources": tuple(data["sources"]), "includes": includes})


def _safety(data: dict[str, Any]) -> Safety:
    events = tuple(SafetyEvent(**e) for e in data.get("events", ()))
    return Safety(**{**data, "sources": tuple(data["sources"]), "events": events})


def _risk_of_bias(data: dict[str, Any]) -> RiskOfBias:
    domains = tuple((d["domain"], d["judgement"]) for d in data.get("domains", ()))
    return RiskOfBias(**{**data, "domains": domains})


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    term: str
    expansion: str
    definition: str
    sources: tuple[str, ...] = ()


# --- editorial files -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    cites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyMessage:
    """What the evidence says for a condition (and cell type), reviewed by an editor."""

    condition: str
    updated: str
    sentences: tuple[Sentence, ...]
    cell_type: str | None = None
    reviewed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """An editor's comment on a summary-of-findings row (condition and outcome domain)."""

    condition: str
    domain: str
    text: str
    cites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoteLink:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Note:
    title: str
    text: str
    records: tuple[str, ...] = ()
    links: tuple[NoteLink, ...] = ()


@dataclass(frozen=True, slots=True)
class LeftOut:
    study: str
    reason: str


@dataclass(frozen=True, slots=True)
class Editorial:
    """The editors' files: key messages, findings comments, and site notes."""

    key_messages: tuple[KeyMessage, ...] = ()
    findings: tuple[Finding, ...] = ()
    harms_notes: tuple[Note, ...] = ()
    not_covered: tuple[Note, ...] = ()
    left_out: tuple[LeftOut, ...] = ()


def build_editorial(messages: dict[str, Any], notes: dict[str, Any]) -> Editorial:
    """Typed editorial content from the validated key-messages and notes files."""

    def note(data: dict[str, Any]) -> Note:
        links = tuple(NoteLink(**link) for link in data.get("links", ()))
        return Note(data["title"], data["text"], tuple(data.get("records", ())), links)

    return Editorial(
        key_messages=tuple(
            KeyMessage(
                condition=m["condition"],
                updated=m["updated"],
                sentences=tuple(Sentence(s["text"], tuple(s["cites"])) for s in m["sentences"]),
                cell_type=m.get("cell_type"),
                reviewed_by=m.get("reviewed_by"),
            )
            for m in messages.get("messages", ())
        ),
        findings=tuple(
            Finding(f["condition"], f["domain"], f["text"], tuple(f["cites"]))
            for f in messages.get("findings", ())
        ),
        harms_notes=tuple(note(n) for n in notes.get("harms", ())),
        not_covered=tuple(
            Note(n["title"], n["text"], tuple(n.get("records", ())))
            for n in notes.get("not_covered", ())
        ),
        left_out=tuple(LeftOut(**item) for item in notes.get("left_out", ())),
    )
