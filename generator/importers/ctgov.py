"""Import from ClinicalTrials.gov: one study as the API v2 returns it -> a draft v2 record.

Pure: takes the parsed JSON of `/api/v2/studies/NCT...` (field names as in ClinicalTrials.gov's
"Study Data Structure") and returns draft data or a list of changes. What the registry states
in structured fields is mapped; whatever needs judgement (cell type, route, dose, condition
vocabulary, an arm of type OTHER, whether an analysis is the primary one, summaries in our own
words) becomes a placeholder for the contributor, and the registry's prose is copied into
comments for reference, never into fields. Posted results keep what the registry prints:
each group's value with its dispersion and denominator (`group_values`) and each between-group
analysis (`effects`); whatever the record format cannot hold (a slope, a one-sided interval,
an unnamed category) is listed in a comment, never dropped silently. Every lookup tolerates
missing modules and wrong types: real records come in every shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from generator.draft import SCHEMA_LINE, Commented, clean, settle, todo
from generator.errors import ImportFailed
from generator.schema import having, labels, load_schema, registry_patterns, registry_url

STATUS = {
    "NOT_YET_RECRUITING": "not-yet-recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling-by-invitation",
    "ACTIVE_NOT_RECRUITING": "active-not-recruiting",
    "SUSPENDED": "suspended",
    "COMPLETED": "completed",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
    "AVAILABLE": "available",
    "NO_LONGER_AVAILABLE": "no-longer-available",
    "UNKNOWN": "unknown",
}
"""Registry status -> our status. Others (WITHHELD, TEMPORARILY_NOT_AVAILABLE,
APPROVED_FOR_MARKETING) have no exact equivalent: a person decides."""
PHASES = {
    ("EARLY_PHASE1",): "early-1",
    ("PHASE1",): "1",
    ("PHASE1", "PHASE2"): "1-2",
    ("PHASE2",): "2",
    ("PHASE2", "PHASE3"): "2-3",
    ("PHASE3",): "3",
    ("PHASE4",): "4",
    ("NA",): "not-applicable",
}
MASKING = {
    "NONE": "none",
    "SINGLE": "single",
    "DOUBLE": "double",
    "TRIPLE": "triple",
    "QUADRUPLE": "quadruple",
}
ALLOCATION = {"RANDOMIZED": "randomised", "NON_RANDOMIZED": "non-randomised"}
MODELS = {
    "PARALLEL": "parallel",
    "CROSSOVER": "crossover",
    "FACTORIAL": "factorial",
    "SINGLE_GROUP": "single-group",
}
"""Registry intervention model -> design.model. SEQUENTIAL is often, not always, dose cohorts:
a person decides."""
ARM_ROLES = {
    "EXPERIMENTAL": "experimental",
    "PLACEBO_COMPARATOR": "placebo",
    "SHAM_COMPARATOR": "sham",
    "NO_INTERVENTION": "no-treatment",
    "ACTIVE_COMPARATOR": "active-comparator",
}
"""Registry arm type -> arm role. OTHER (or none) needs a person's reading of the arm."""
OUTCOME_LISTS = (
    ("primaryOutcomes", "primary"),
    ("secondaryOutcomes", "secondary"),
    ("otherOutcomes", "other"),
)
"""Registered outcome lists and the role each gives its outcomes."""
MEASURE_ROLES = {"PRIMARY": "primary", "SECONDARY": "secondary", "OTHER_PRE_SPECIFIED": "other"}
"""Type of a posted outcome measure -> the outcome's role (a POST_HOC measure has none)."""
PLANS = {
    "SECONDARY": "prespecified-secondary",
    "OTHER_PRE_SPECIFIED": "prespecified-secondary",
    "POST_HOC": "post-hoc",
}
"""Type of a posted outcome measure -> the plan of its analyses. PRIMARY is left to a person:
the registry's primary outcome makes only the analysis at its registered time point (and in
its registered form) the prespecified primary analysis."""
STATISTICS = {"MEAN": "mean", "MEDIAN": "median"}
"""Registry parameter -> group value statistic. COUNT_OF_PARTICIPANTS is events (with the
denominator as total) or a count; NUMBER, GEOMETRIC_MEAN, LEAST_SQUARES_MEAN, LOG_MEAN and
COUNT_OF_UNITS need a person's reading."""
DISPERSIONS = {
    "STANDARD_DEVIATION": "sd",
    "STANDARD_ERROR": "se",
    "INTER_QUARTILE_RANGE": "iqr",
    "FULL_RANGE": "range",
}
"""Registry dispersion -> group value field; confidence intervals (CONFIDENCE_95 ...) go to ci
with their level. A geometric coefficient of variation has no field."""
_CONFIDENCE = re.compile(r"CONFIDENCE_(?:INTERVAL_)?([0-9]{2,3})")
ANALYSIS_MEASURES: dict[str, tuple[str, str | None]] = {
    "mean difference (final values)": ("mean-difference", "final"),
    "mean difference (net)": ("mean-difference", "change"),
    "median difference (final values)": ("median-difference", "final"),
    "median difference (net)": ("median-difference", "change"),
    "odds ratio (or)": ("odds-ratio", None),
    "risk ratio (rr)": ("risk-ratio", None),
    "hazard ratio (hr)": ("hazard-ratio", None),
    "risk difference (rd)": ("risk-difference", None),
}
"""A posted analysis's parameter type (case and spacing aside) -> effect measure and scale. The
registry's "Net" is a difference of changes from baseline. Log ratios, "Slope", "Cox
Proportional Hazard" and "Other" have no measure of ours and are listed in comments."""
DIFFERENCES = ("mean-difference", "median-difference")
"""Measures that keep the unit of the values compared."""
DATE_FIELDS = (
    ("start", "startDateStruct"),
    ("primary_completion", "primaryCompletionDateStruct"),
    ("completion", "completionDateStruct"),
    ("first_posted", "studyFirstPostDateStruct"),
    ("results_posted", "resultsFirstPostDateStruct"),
    ("last_update", "lastUpdatePostDateStruct"),
)
REGISTRY_RESULTS = "registry results"
"""The locator of every value read from the registry's posted results."""
NCT = re.compile(r"NCT[0-9]{8}")
_DATE = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?")
_COUNTRY = re.compile(r"[A-Z][A-Za-z .'()-]{1,59}")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")
_AGE = re.compile(r"([0-9]+(?:\.[0-9]+)?) ([A-Za-z]+?)s?")
_CHANGE = re.compile(r"(?i)\bchange")
_FINAL = re.compile(r"(?i)\bfinal\b")


# --- safe access to data of unknown shape ----------------------------------------------------


def _obj(value: Any, *keys: str) -> dict[str, Any]:
    """The mapping at a key path, or {} when any step is missing or not a mapping."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """One line of cleaned text, or None for anything else (missing, blank, not text)."""
    if not isinstance(value, str):
        return None
    return clean(value) or None


def _prose(value: Any) -> str | None:
    return clean(value, lines=True) or None if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    found = [_text(v) for v in value] if isinstance(value, list) else []
    return list(dict.fromkeys(t for t in found if t))


def _count(value: Any) -> int | None:
    """A non-negative whole number given as a number or as digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 16:
        return int(value.strip())
    if isinstance(value, int) and 0 <= value < 10**15:
        return value
    return None


class _Printed(float):
    """A decimal number that is written into the draft exactly as the registry prints it
    (2.30 stays 2.30: the record format keeps numbers as printed)."""

    text: str

    def __new__(cls, text: str) -> _Printed:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text


def _number(value: Any) -> float | int | None:
    """A finite number given as a number or as text; None for 'NA' and the like. Decimals
    given as text keep their printed form."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.fullmatch(text) and len(text) < 20:
            printed = _Printed(text)
            return printed if abs(printed) < 1e15 else None
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) >= 1e15:
        return None
    return int(value) if float(value).is_integer() and abs(value) < 1e9 else float(value)


def _slug(text: str, taken: set[str], fallback: str) -> str:
    """A record-local id (lower case words joined by hyphens, at most 40 characters)."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(words) > 40:
        words = words[:40].rsplit("-", 1)[0] if "-" in words[:40] else words[:40]
    base = words.strip("-") or fallback
    ident, n = base, 2
    while ident in taken:
        suffix = f"-{n}"
        ident, n = base[: 40 - len(suffix)].rstrip("-") + suffix, n + 1
    taken.add(ident)
    return ident


def _choices(vocabulary: str) -> str:
    return ", ".join(labels(vocabulary))


# --- the study -------------------------------------------------------------------------------


def registration_id(study: Any) -> str:
    """The study's NCT number; raise ImportFailed when the data is not one registry study."""
    if not isinstance(study, dict):
        kind = {list: "a list", str: "text", type(None): "null"}.get(type(study), "a number")
        raise ImportFailed(f"expected one study (a JSON object), got {kind}")
    if "protocolSection" not in study and isinstance(study.get("studies"), list):
        raise ImportFailed(
            "this is a search result; download one study from /api/v2/studies/NCT..."
        )
    nct = _obj(study, "protocolSection", "identificationModule").get("nctId")
    if not isinstance(nct, str) or not NCT.fullmatch(nct):
        raise ImportFailed(
            "no valid protocolSection.identificationModule.nctId: not a ClinicalTrials.gov "
            "study in API v2 format"
        )
    return nct


def status(study: Any) -> tuple[str | None, str | None]:
    """Our status for the registry's, and the registry's own value."""
    raw = _obj(study, "protocolSection", "statusModule").get("overallStatus")
    raw = raw if isinstance(raw, str) else None
    return STATUS.get(raw or ""), raw


def dates(study: Any) -> dict[str, tuple[str, bool]]:
    """Registry dates that fit our format: field -> (date, estimated)."""
    module = _obj(study, "protocolSection", "statusModule")
    found: dict[str, tuple[str, bool]] = {}
    for ours, theirs in DATE_FIELDS:
        struct = _obj(module, theirs)
        value = struct.get("date")
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            found[ours] = (value.strip(), struct.get("type") in ("ESTIMATED", "ANTICIPATED"))
    return found


def _odd_dates(study: Any) -> dict[str, str]:
    """Registry dates given as text that is not in our format (e.g. 'May 2019')."""
    module = _obj(study, "protocolSection", "statusModule")
    found = {}
    for ours, theirs in DATE_FIELDS:
        value = _text(_obj(module, theirs).get("date"))
        if value and not _DATE.fullmatch(value):
            found[ours] = value
    return found


def enrolment(study: Any) -> tuple[int | None, str | None]:
    """Registered enrolment and its type (ACTUAL or ESTIMATED)."""
    return _enrolment(_obj(study, "protocolSection"))


def _enrolment(protocol: dict[str, Any]) -> tuple[int | None, str | None]:
    info = _obj(protocol, "designModule", "enrollmentInfo")
    kind = info.get("type")
    return _count(info.get("count")), kind if isinstance(kind, str) else None


@cache
def statuses_to_check() -> frozenset[str]:
    """Statuses for which the schema requires status_checked (a study not yet finished)."""
    for rule in _items(load_schema().get("allOf")):
        if "status_checked" in _obj(rule, "then").get("required", ()):
            return frozenset(_obj(rule, "if", "properties", "status").get("enum", ()))
    return frozenset()


def draft_text(study: Any, record_id: str) -> str:
    """The draft record as commented YAML text, ready to write to studies/ID.yaml."""
    nct = registration_id(study)
    version = _text(_obj(study, "derivedSection", "miscInfoModule").get("versionHolder"))
    header = (
        f"{SCHEMA_LINE}\n"
        f"Draft imported from ClinicalTrials.gov {nct}"
        + (f" (registry data of {version})" if version else "")
        + ". Replace every value marked TODO (`make check` lists them),"
        " delete what does not apply, and keep facts to what the sources say. Comments list"
        " the registry's own words and what was not imported."
    )
    return settle(draft_record(study, record_id), header=header)


def draft_record(study: Any, record_id: str) -> dict[str, Any]:
    """Draft record data (with comments) from one registry study."""
    nct = registration_id(study)
    protocol = _obj(study, "protocolSection")
    results = _obj(study, "resultsSection")
    ident = _obj(protocol, "identificationModule")
    brief, official = _text(ident.get("briefTitle")), _text(ident.get("officialTitle"))
    acronym = _text(ident.get("acronym"))
    ours, raw_status = status(study)
    record: dict[str, Any] = {"id": record_id}
    # Never the bare acronym: a name for people says where, which cells and which children.
    name = f"{acronym} " if acronym else "Author Year "
    record["short_name"] = todo(f"e.g. '{name}(where, which cells, which children)' in plain words")
    record["title"] = official or brief or todo("the study's full title")
    record["evidence_kind"] = _evidence_kind(study)
    why_stopped = _prose(_obj(protocol, "statusModule").get("whyStopped"))
    record["status"] = Commented(
        ours
        or todo(
            f"the registry's status {raw_status or '(none)'} has no exact equivalent; choose "
            f"one of: {_choices('status')}"
        ),
        f"Why stopped, as the registry says: {why_stopped}" if why_stopped else "",
    )
    if ours is None or ours in statuses_to_check():
        record["status_checked"] = _status_checked(study, finished_possible=ours is None)
    phase = _phase(protocol)
    if phase is not None:
        record["phase"] = phase
    conditions = _texts(_obj(protocol, "conditionsModule").get("conditions"))
    record["conditions"] = Commented(
        [todo(f"choose from: {_choices('condition')}")],
        "Registered conditions: " + ("; ".join(conditions) or "none listed"),
    )
    if conditions:
        record["conditions_as_registered"] = conditions
    summary = _prose(_obj(protocol, "descriptionModule").get("briefSummary"))
    record["summary"] = Commented(
        todo("a plain-language summary in your own words"),
        "The registry's brief summary, for reference only (do not copy it):\n" + summary
        if summary
        else "",
    )
    record["design"] = _design(protocol)
    arms = _arms(protocol, results)
    record["population"] = _population(protocol, results)
    record["arms"] = _arm_entries(arms)
    record["interventions"] = _interventions(protocol, arms, record["design"])
    comparator = _comparator(arms)
    if comparator is not None:
        record["comparator"] = comparator
    outcomes = _Outcomes.registered(protocol)
    group_values, effects = _results(results, outcomes, arms)
    if outcomes.entries:
        record["outcomes"] = Commented(outcomes.draft(), "\n".join(outcomes.general))
    if group_values:
        record["group_values"] = group_values
    if effects:
        record["effects"] = effects
    safety = _safety(results, arms)
    if safety is not None:
        record["safety"] = safety
    record["registrations"] = _registrations(nct, ident)
    sponsors = _obj(protocol, "sponsorCollaboratorsModule")
    sponsor = _text(_obj(sponsors, "leadSponsor").get("name"))
    if sponsor:
        record["sponsor"] = sponsor
    collaborators = _texts([c.get("name") for c in _items(sponsors.get("collaborators"))])
    if collaborators:
        record["collaborators"] = collaborators
    countries = _countries(protocol)
    if countries:
        record["countries"] = countries
    registered: dict[str, Any] = {
        k: Commented(v, after="estimated in the registry") if est else v
        for k, (v, est) in dates(study).items()
    }
    for field_name, value in _odd_dates(study).items():
        registered[field_name] = todo(
            f"the registry's date {value!r}: write it as YYYY, YYYY-MM or YYYY-MM-DD"
        )
    if registered:
        record["dates"] = {
            name: registered[name] for name, _ in DATE_FIELDS if name in registered
        } | {"sources": ["registry"]}
    record["references"] = _references(nct, brief or official, protocol)
    caveats = _prose(_obj(results, "moreInfoModule", "limitationsAndCaveats").get("description"))
    if caveats:
        record["source_notes"] = Commented(
            {
                "caveats": [todo("the registry's limitations and caveats in your own words")],
                "sources": ["registry"],
            },
            f"The registry's limitations and caveats, for reference only: {caveats}",
        )
    record["added"] = todo("the date (YYYY-MM-DD) this record is added to the site")
    record["last_reviewed"] = todo(
        "the date (YYYY-MM-DD) you checked this record against its sources"
    )
    return record


def _status_checked(study: Any, *, finished_possible: bool) -> str:
    updated = _text(
        _obj(study, "protocolSection", "statusModule", "lastUpdatePostDateStruct").get("date")
    )
    hint = (
        "the date (YYYY-MM-DD) you read the status in the registry entry, and give the registry "
        "reference the same accessed date (an import cannot know when a person checked it"
        + (f"; the registry entry was last updated {updated}" if updated else "")
        + ")"
    )
    if finished_possible:
        hint += "; delete this line if the status you choose is a finished one"
    return todo(hint)


def _evidence_kind(study: Any) -> Any:
    design = _obj(study, "protocolSection", "designModule")
    if design.get("studyType") == "EXPANDED_ACCESS":
        return "expanded-access"
    allocation = _obj(design, "designInfo").get("allocation")
    facts = [f"study type {design.get('studyType') or 'not given'}"]
    if isinstance(allocation, str):
        facts.append(f"allocation {allocation}")
    facts.append("results posted" if study.get("hasResults") is True else "no results posted")
    return todo(
        "what kind of evidence this record is (registry: "
        + ", ".join(str(f) for f in facts)
        + "); e.g. registered-trial while no results are published"
    )


def _phase(protocol: dict[str, Any]) -> str | None:
    phases = _obj(protocol, "designModule").get("phases")
    if not isinstance(phases, list) or not phases:
        return None
    key = tuple(sorted(p for p in phases if isinstance(p, str)))
    return PHASES.get(key) or todo(f"registry phases {', '.join(key) or '?'}: choose the phase")


def _design(protocol: dict[str, Any]) -> dict[str, Any]:
    design = _obj(protocol, "designModule")
    info = _obj(design, "designInfo")
    model = info.get("interventionModel")
    allocation = info.get("allocation")
    masking_info = _obj(info, "maskingInfo")
    masking = masking_info.get("masking")
    who = masking_info.get("whoMasked")
    facts = [
        ("Study type", design.get("studyType")),
        ("allocation", allocation),
        ("model", model),
        ("masking", masking),
        ("purpose", info.get("primaryPurpose")),
    ]
    described = "; ".join(
        f"{name}: {str(value).replace('_', ' ').lower()}"
        for name, value in facts
        if isinstance(value, str)
    )
    notes = ["Generated from the registry's design fields; rewrite in plain words if you like."]
    for name, key, where in (
        ("model", "interventionModelDescription", info),
        ("masking", "maskingDescription", masking_info),
    ):
        text = _prose(where.get(key))
        if text:
            notes.append(f"The registry's {name} description: {text}")
    out: dict[str, Any] = {
        "description": Commented(
            (described + " (as registered).")
            if described
            else todo("the design in your own words"),
            "\n".join(notes),
        )
    }
    if allocation in ALLOCATION:
        out["allocation"] = ALLOCATION[allocation]
    elif allocation == "NA" and model == "SINGLE_GROUP":
        out["allocation"] = "single-group"
    if masking == "SINGLE" and who == ["OUTCOMES_ASSESSOR"]:
        out["masking"] = "outcome-assessor"
    elif isinstance(masking, str) and masking in MASKING:
        out["masking"] = MASKING[masking]
    if isinstance(model, str) and model in MODELS:
        out["model"] = MODELS[model]
    elif model == "SEQUENTIAL":
        out["model"] = todo(
            "the registry's model is SEQUENTIAL: dose-cohorts if the groups were treated one "
            "after another at increasing doses or numbers of doses; otherwise choose from: "
            + _choices("design_model")
        )
    elif isinstance(model, str):
        out["model"] = todo(
            f"the registry's model is {model}; choose from: " + _choices("design_model")
        )
    if out.get("model") == "crossover":
        out["periods"] = todo(
            "the crossover's periods in order, each {id, label, months}; the registry does not "
            "list them"
        )
    out["sources"] = ["registry"]
    return out


# --- arms and interventions --------------------------------------------------------------------


@dataclass
class _Arm:
    id: str
    label: str
    kind: str | None
    description: str | None
    interventions: list[str] = field(default_factory=list)
    n: int | None = None
    completed: int | None = None

    @property
    def role(self) -> str | None:
        """Our role for the registry's arm type; None when a person must decide."""
        return ARM_ROLES.get(self.kind or "")


def _arms(protocol: dict[str, Any], results: dict[str, Any]) -> list[_Arm]:
    taken: set[str] = set()
    arms: list[_Arm] = []
    groups = _items(_obj(protocol, "armsInterventionsModule").get("armGroups"))
    for index, group in enumerate(groups, 1):
        label = _text(group.get("label"))
        if label is None:
            continue
        kind = group.get("type")
        arms.append(
            _Arm(
                _slug(label, taken, f"arm-{index}"),
                label,
                kind if isinstance(kind, str) else None,
                _prose(group.get("description")),
                [t.casefold() for t in _texts(group.get("interventionNames"))],
            )
        )
    flow = _obj(results, "participantFlowModule")
    started, completed = _milestone(flow, "STARTED"), _milestone(flow, "COMPLETED")
    for arm in arms:
        arm.n = started.get(arm.label.casefold())
        arm.completed = completed.get(arm.label.casefold())
    return arms


def _milestone(flow: dict[str, Any], kind: str) -> dict[str, int]:
    """Participants at a milestone (STARTED, COMPLETED) by group title; STARTED from the first
    period of the participant flow, COMPLETED from the last."""
    titles = {g.get("id"): _text(g.get("title")) for g in _items(flow.get("groups"))}
    periods = _items(flow.get("periods"))
    if not periods:
        return {}
    period = periods[0] if kind == "STARTED" else periods[-1]
    counts: dict[str, int] = {}
    for milestone in _items(period.get("milestones")):
        if milestone.get("type") != kind:
            continue
        for achieved in _items(milestone.get("achievements")):
            title, n = titles.get(achieved.get("groupId")), _count(achieved.get("numSubjects"))
            if title and n is not None:
                counts[title.casefold()] = n
    return counts


def _arm_entries(arms: list[_Arm]) -> list[Any]:
    if not arms:
        return [
            Commented(
                {
                    "id": todo("a short id for the group, e.g. treated"),
                    "label": todo("the group's name for readers"),
                    "role": todo(f"choose from: {_choices('arm_role')}"),
                    "sources": ["registry"],
                },
                "The registry lists no arms: a single-group study has one arm.",
            )
        ]
    entries: list[Any] = []
    for arm in arms:
        entry: dict[str, Any] = {"id": arm.id, "label": arm.label}
        entry["role"] = arm.role or todo(
            f"the registry's arm type is {arm.kind or 'not given'}; choose from: "
            + _choices("arm_role")
        )
        if arm.n is not None:
            entry["n"] = arm.n
        entry["sources"] = ["registry"]
        note = f"Registry arm type: {arm.kind or 'not given'}."
        if arm.n is not None:
            note += f" Participant flow: {arm.n} started"
            note += f", {arm.completed} completed." if arm.completed is not None else "."
        if arm.description:
            note += (
                "\nThe registry's description (write any description in your own words): "
                + arm.description
            )
        entries.append(Commented(entry, note))
    return entries


def _interventions(protocol: dict[str, Any], arms: list[_Arm], design: dict[str, Any]) -> Any:
    """One draft entry per registered intervention and arm; the contributor keeps the cell
    products and deletes the rest."""
    by_label = {arm.label.casefold(): arm.id for arm in arms}
    crossover = design.get("model") == "crossover"
    known = ", ".join(arm.id for arm in arms) or "the one you name in arms"
    entries: list[Any] = []
    for item in _items(_obj(protocol, "armsInterventionsModule").get("interventions")):
        name = _text(item.get("name"))
        kind = _text(item.get("type")) or "type not given"
        given = _texts(item.get("armGroupLabels"))
        arm_ids = [by_label[t.casefold()] for t in given if t.casefold() in by_label]
        if not given and name:  # the arm groups may name it instead
            listed = f"{kind}: {name}".casefold()
            arm_ids = [arm.id for arm in arms if listed in arm.interventions]
        note = f"Registry intervention ({kind}): {name or 'no name'}."
        description = _prose(item.get("description"))
        if description:
            note += f" Registry description: {description}"
        unmatched = [t for t in given if t.casefold() not in by_label]
        if unmatched:
            note += f"\nRegistered for arm labels not found among the arms: {'; '.join(unmatched)}."
        if len(arm_ids) > 1:
            note += f"\nGiven in {len(arm_ids)} arms: one entry per arm follows."
        note += "\nDelete an entry if it is not a cell product."
        for index, arm_id in enumerate(arm_ids or [None]):
            entry: dict[str, Any] = {
                "arm": arm_id or todo(f"the id of the arm that received it (arms: {known})")
            }
            if crossover:
                entry["period"] = todo("the id of the period in design.periods when it was given")
            entry["cell_type"] = todo(f"choose from: {_choices('cell_type')}")
            if name:
                entry["product"] = name
            entry["route"] = todo(f"choose from: {_choices('route')}")
            entry["dose"] = todo(
                "dose per administration as reported ({value or low/high, unit}); "
                "delete this line if the sources give none"
            )
            entry["sources"] = ["registry"]
            shown = (
                note
                if index == 0
                else f"Registry intervention {name or ''}, continued: arm {arm_id}."
            )
            entries.append(Commented(entry, shown))
    if entries:
        return entries
    return [
        {
            "arm": todo(f"the id of the arm that received the cells (arms: {known})"),
            "cell_type": todo(f"choose from: {_choices('cell_type')}"),
            "route": todo(f"choose from: {_choices('route')}"),
            "sources": ["registry"],
        }
    ]


def _comparator(arms: list[_Arm]) -> dict[str, Any] | None:
    controls = [arm for arm in arms if arm.role != "experimental"]
    if not controls:
        return None
    shown = "; ".join(
        f"{arm.label} ({(arm.kind or 'type not given').replace('_', ' ').lower()})"
        for arm in controls
    )
    return {
        "description": todo(
            f"the comparison group(s) in your own words (registry arms: {shown}); delete "
            "comparator if there is none"
        ),
        "sources": ["registry"],
    }


def _population(protocol: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    eligibility = _obj(protocol, "eligibilityModule")
    facts = []
    sex = eligibility.get("sex")
    if isinstance(sex, str):
        facts.append({"ALL": "all sexes", "FEMALE": "female", "MALE": "male"}.get(sex, sex))
    ages = _eligible_age(eligibility)
    if ages:
        facts.append(f"aged {ages}")
    if isinstance(eligibility.get("healthyVolunteers"), bool):
        facts.append(
            "healthy volunteers accepted"
            if eligibility["healthyVolunteers"]
            else "no healthy volunteers"
        )
    criteria = _prose(eligibility.get("eligibilityCriteria"))
    out: dict[str, Any] = {
        "description": Commented(
            todo(
                "eligibility and participants in your own words (registry: "
                + (", ".join(facts) or "no structured eligibility")
                + ")"
            ),
            "The registry's eligibility criteria, for reference only:\n" + criteria
            if criteria
            else "",
        )
    }
    count, kind = _enrolment(protocol)
    if count is not None:
        if kind == "ACTUAL":
            out["enrolled"] = count
        elif kind in ("ESTIMATED", "ANTICIPATED"):
            out["planned"] = count
        else:
            out["enrolled"] = todo(
                f"the registry gives {count} without saying whether it is actual or planned; "
                "write it as enrolled or planned"
            )
    baseline = _baseline(results)
    if baseline:
        out["age"] = Commented(
            todo("the participants' age as reported (see the registry's baseline below)"),
            "The registry's baseline characteristics (age of those who took part goes in age; "
            "not the eligibility range):\n" + "\n".join(baseline),
        )
    if ages:
        out["eligible_age"] = Commented(ages, after="the registry's eligibility")
    out["sources"] = ["registry"]
    return out


def _eligible_age(eligibility: dict[str, Any]) -> str | None:
    """The registry's eligible ages in words, e.g. '1 to 6 years' or '18 years or older'."""
    low, high = _text(eligibility.get("minimumAge")), _text(eligibility.get("maximumAge"))
    low, high = (low.lower() if low else None), (high.lower() if high else None)
    if low and high:
        a, b = _AGE.fullmatch(low), _AGE.fullmatch(high)
        if a and b and a.group(2) == b.group(2):
            return f"{a.group(1)} to {high}"
        return f"{low} to {high}"
    if low:
        return f"{low} or older"
    if high:
        return f"up to {high}"
    return None


def _baseline(results: dict[str, Any]) -> list[str]:
    """The registry's baseline measures in words, one line each (for a comment)."""
    module = _obj(results, "baselineCharacteristicsModule")
    groups = {g.get("id"): _text(g.get("title")) or "?" for g in _items(module.get("groups"))}
    lines = []
    for measure in _items(module.get("measures")):
        title = _text(measure.get("title")) or "(untitled)"
        kind = str(measure.get("paramType") or "").replace("_", " ").lower()
        dispersion = str(measure.get("dispersionType") or "").replace("_", " ").lower()
        unit = _text(measure.get("unitOfMeasure")) or ""
        detail = ", ".join(x for x in (kind, dispersion if dispersion != "na" else "", unit) if x)
        values = "; ".join(_rendered(measure, groups))
        lines.append(f"{title} ({detail}): {values or 'no values'}")
    return lines


def _rendered(measure: dict[str, Any], groups: dict[Any, str]) -> list[str]:
    """Every measurement of a measure in words: 'class / category: group value (spread)'."""
    shown = []
    for cls in _items(measure.get("classes")):
        for category in _items(cls.get("categories")):
            where = " / ".join(
                t for t in (_text(cls.get("title")), _text(category.get("title"))) if t
            )
            for value in _items(category.get("measurements")):
                text = f"{groups.get(value.get('groupId'), '?')} {_measurement(value)}"
                shown.append(f"{where}: {text}" if where else text)
    return shown


def _measurement(value: dict[str, Any]) -> str:
    text = _text(value.get("value")) or "no value"
    spread = _text(value.get("spread"))
    low, high = _text(value.get("lowerLimit")), _text(value.get("upperLimit"))
    if spread:
        text += f" ({spread})"
    elif low or high:
        text += f" ({low or '?'} to {high or '?'})"
    comment = _text(value.get("comment"))
    return text + (f" [registry comment: {comment}]" if comment else "")


# --- outcomes and posted results ---------------------------------------------------------------


@dataclass
class _Outcome:
    id: str
    name: str
    time_point: str | None
    role: str | None
    text: str = ""
    """Name and description, searched for instruments."""
    description: str | None = None
    has_effects: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class _Outcomes:
    """The draft's outcomes: registered ones first, then measures posted only with results."""

    entries: list[_Outcome] = field(default_factory=list)
    by_name: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    """Comments about results that belong to no outcome."""

    @classmethod
    def registered(cls, protocol: dict[str, Any]) -> _Outcomes:
        outcomes = cls()
        module = _obj(protocol, "outcomesModule")
        for key, role in OUTCOME_LISTS:
            for item in _items(module.get(key)):
                name = _text(item.get("measure"))
                if name is not None:
                    outcomes.add(
                        name, _text(item.get("timeFrame")), role, _prose(item.get("description"))
                    )
        return outcomes

    def add(
        self, name: str, time_point: str | None, role: str | None, description: str | None
    ) -> _Outcome:
        taken = {o.id for o in self.entries}
        outcome = _Outcome(
            _slug(name, taken, f"outcome-{len(self.entries) + 1}"),
            name,
            time_point,
            role,
            f"{name}\n{description or ''}",
            description,
        )
        self.entries.append(outcome)
        self.by_name.setdefault(name.casefold(), outcome.id)
        self.by_name.setdefault(f"{name}\n{time_point}".casefold(), outcome.id)
        return outcome

    def of_measure(self, measure: dict[str, Any], title: str) -> _Outcome:
        """The outcome a posted measure reports (same name and time frame, else same name);
        a measure the protocol does not list becomes an outcome of its own."""
        time_frame = _text(measure.get("timeFrame"))
        found = self.by_name.get(f"{title}\n{time_frame}".casefold()) or self.by_name.get(
            title.casefold()
        )
        for outcome in self.entries:
            if outcome.id == found:
                return outcome
        added = self.add(
            title,
            time_frame,
            MEASURE_ROLES.get(str(measure.get("type"))),
            _prose(measure.get("description")),
        )
        added.notes.append("Not in the registered outcome list; posted with the results.")
        return added

    def draft(self) -> list[Any]:
        drafted: list[Any] = []
        for outcome in self.entries:
            entry: dict[str, Any] = {"id": outcome.id, "name": outcome.name}
            found = _instruments(outcome.text)
            if found:
                entry["instrument"] = todo(
                    f"the registry's wording names {', '.join(found)}: set the instrument from "
                    "the vocabulary (versions are separate entries) or delete this line"
                )
            if outcome.has_effects:
                entry["direction"] = todo(
                    "higher-better or lower-better for the child (needed for effects unless "
                    "the instrument sets it)"
                )
            if outcome.time_point:
                entry["time_point"] = outcome.time_point
            if outcome.role:
                entry["role"] = outcome.role
                entry["role_stated_by"] = "registry"
            entry["sources"] = ["registry"]
            notes = [f"Registry description: {outcome.description}"] if outcome.description else []
            drafted.append(Commented(entry, "\n".join(notes + outcome.notes)))
        return drafted


def _instruments(text: str) -> list[str]:
    """Instruments of the vocabulary whose id or name the registry's wording mentions."""
    found = []
    for const, title in labels("instrument").items():
        names = {const, re.sub(r"\s*\(.*\)$", "", title)}
        if any(
            re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE)
            for name in names
        ):
            found.append(const)
    return found


def _results(
    results: dict[str, Any], outcomes: _Outcomes, arms: list[_Arm]
) -> tuple[list[Any], list[Any]]:
    """Posted outcome measures: each group's values, and each between-group analysis."""
    group_values: list[Any] = []
    effects: list[Any] = []
    for index, measure in enumerate(
        _items(_obj(results, "outcomeMeasuresModule").get("outcomeMeasures")), 1
    ):
        title = _text(measure.get("title"))
        if title is None:
            outcomes.general.append(
                f"Posted outcome measure {index} has no title and was not imported: "
                + ("; ".join(_rendered(measure, {})) or "no values")
            )
            continue
        outcome = outcomes.of_measure(measure, title)
        posting = measure.get("reportingStatus")
        if posting == "NOT_POSTED":
            outcome.notes.append(
                "The registry has not posted results for this measure yet"
                + (
                    f" (anticipated {_text(measure.get('anticipatedPostingDate'))})."
                    if _text(measure.get("anticipatedPostingDate"))
                    else "."
                )
            )
        reading = _Measure(measure, outcome, arms)
        group_values += reading.group_values()
        effects += reading.effects()
    return group_values, effects


class _Measure:
    """One posted outcome measure, read into group values and effects."""

    def __init__(self, measure: dict[str, Any], outcome: _Outcome, arms: list[_Arm]) -> None:
        self.measure = measure
        self.outcome = outcome
        self.title = _text(measure.get("title")) or ""
        self.time_point = _text(measure.get("timeFrame"))
        self.unit = _text(measure.get("unitOfMeasure"))
        self.groups = {
            g.get("id"): _text(g.get("title")) or "(untitled group)"
            for g in _items(measure.get("groups"))
        }
        by_label = {arm.label.casefold(): arm for arm in arms}
        self.arms = {gid: by_label.get(title.casefold()) for gid, title in self.groups.items()}
        self.known = ", ".join(arm.id for arm in arms) or "none listed"
        self.denominators, self.other_units = _denominators(measure.get("denoms"))
        prose = [
            f"{name}: {text}"
            for name, text in (
                ("Registry measure description", _prose(measure.get("description"))),
                ("Analysis population", _prose(measure.get("populationDescription"))),
            )
            if text
        ]
        self.about = f"Posted measure: {self.title}." + ("\n" + "\n".join(prose) if prose else "")

    def arm(self, group: Any) -> str:
        arm = self.arms.get(group)
        if arm is not None:
            return arm.id
        return todo(
            f"the registry's results group {self.groups.get(group, str(group))!r} is not one "
            f"of the arms: the id of its arm (arms: {self.known}), or arms: [ids] for several "
            "arms together"
        )

    # --- group values ---

    def group_values(self) -> list[Any]:
        drafted: list[Any] = []
        classes = _items(self.measure.get("classes"))
        for cls in classes:
            class_title = _text(cls.get("title"))
            categories = _items(cls.get("categories"))
            own, own_units = _denominators(cls.get("denoms"))
            denominators = own or self.denominators
            for category in categories:
                category_title = _text(category.get("title"))
                unnamed = (len(classes) > 1 and not class_title) or (
                    len(categories) > 1 and not category_title
                )
                if unnamed:
                    values = "; ".join(
                        f"{self.groups.get(v.get('groupId'), '?')} {_measurement(v)}"
                        for v in _items(category.get("measurements"))
                    )
                    self.outcome.notes.append(
                        "Posted values of an unnamed class or category, not imported: "
                        + (values or "none")
                    )
                    continue
                for value in _items(category.get("measurements")):
                    entry = self._group_value(value, denominators, class_title, category_title)
                    if entry is not None:
                        drafted.append(entry)
            if own_units or (not own and self.other_units):
                self.outcome.notes.append(
                    "The registry counts this measure in units other than participants ("
                    + ", ".join(own_units or self.other_units)
                    + "): those denominators were not imported as n."
                )
        if drafted:
            first, before, after = drafted[0].value, drafted[0].before, drafted[0].after
            drafted[0] = Commented(first, "\n".join(x for x in (self.about, before) if x), after)
        return drafted

    def _group_value(
        self,
        value: dict[str, Any],
        denominators: dict[Any, int],
        class_title: str | None,
        category_title: str | None,
    ) -> Commented | None:
        group = value.get("groupId")
        where = " / ".join(t for t in (class_title, category_title) if t)
        shown = f"{self.groups.get(group, str(group))}{f' ({where})' if where else ''}"
        if group not in self.groups:
            self.outcome.notes.append(
                f"A posted value for a group the measure does not list ({group!r}), not "
                f"imported: {_measurement(value)}"
            )
            return None
        param = str(self.measure.get("paramType") or "")
        number = _number(value.get("value"))
        total = denominators.get(group)
        count = _count(value.get("value"))
        if number is None:
            self.outcome.notes.append(f"No number posted for {shown}: {_measurement(value)}")
            return None
        entry: dict[str, Any] = {"outcome": self.outcome.id, "arm": self.arm(group)}
        if self.time_point:
            entry["time_point"] = self.time_point
        notes: list[str] = []
        if param == "COUNT_OF_PARTICIPANTS" and count is not None and total is not None:
            entry["statistic"] = "events"
            entry["events"] = count
            entry["total"] = total
        else:
            if param == "COUNT_OF_PARTICIPANTS":
                entry["statistic"] = "count"
            else:
                entry["statistic"] = STATISTICS.get(param) or todo(
                    f"the registry's parameter is {param or 'not given'}"
                    + (f" ({self.unit})" if self.unit else "")
                    + f"; choose from: {_choices('statistic')} (mean and median need scale)"
                )
            if entry["statistic"] in ("mean", "median"):
                entry["scale"] = _scale(self.title)
            entry["value"] = number
            if self.unit:
                entry["unit"] = self.unit
            notes += self._dispersion(value, entry)
            if total is not None:
                entry["n"] = total
        if class_title:
            entry["subgroup"] = {"label": class_title, "prespecified": False}
            notes.append(
                f"Registry class {class_title!r} put in subgroup: if it is a time point or a "
                "part of the measure rather than a group of participants, move it to "
                "time_point or note."
            )
        if category_title:
            entry["note"] = category_title
            notes.append(f"Registry category {category_title!r} put in note.")
        entry["source"] = "registry"
        entry["locator"] = REGISTRY_RESULTS
        comment = _prose(value.get("comment"))
        if comment:
            notes.append(f"Registry comment on this value: {comment}")
        return Commented(entry, "\n".join(notes))

    def _dispersion(self, value: dict[str, Any], entry: dict[str, Any]) -> list[str]:
        """Put the measurement's dispersion into the entry; return notes on what could not."""
        kind = str(self.measure.get("dispersionType") or "NA")
        spread = _number(value.get("spread"))
        low, high = _number(value.get("lowerLimit")), _number(value.get("upperLimit"))
        confidence = _CONFIDENCE.fullmatch(kind)
        if kind in ("STANDARD_DEVIATION", "STANDARD_ERROR") and spread is not None:
            entry[DISPERSIONS[kind]] = spread
        elif (
            (
                kind in ("INTER_QUARTILE_RANGE", "FULL_RANGE")
                or confidence
                or kind == "CONFIDENCE_OTHER"
            )
            and low is not None
            and high is not None
        ):
            name = DISPERSIONS.get(kind, "ci")
            entry[name] = [low, high]
            if confidence:
                digits = int(confidence.group(1))
                entry["ci_level"] = digits if digits < 100 else digits / 10
            elif kind == "CONFIDENCE_OTHER":
                entry["ci_level"] = todo(
                    "the registry says 'other confidence level': read the level on its results "
                    "page (95 when left out)"
                )
        elif kind != "NA" or spread is not None or low is not None or high is not None:
            printed = _measurement(
                {k: value.get(k) for k in ("spread", "lowerLimit", "upperLimit")}
            )
            return [f"Registry dispersion {kind} not imported: {printed.removeprefix('no value ')}"]
        return []

    # --- effects ---

    def effects(self) -> list[Any]:
        drafted: list[Any] = []
        classes = _items(self.measure.get("classes"))
        for analysis in _items(self.measure.get("analyses")):
            entry = self._effect(analysis, several_classes=len(classes) > 1)
            if entry is not None:
                drafted.append(entry)
        return drafted

    def _effect(self, analysis: dict[str, Any], *, several_classes: bool) -> Commented | None:
        kind = _text(analysis.get("paramType"))
        mapped = ANALYSIS_MEASURES.get(" ".join((kind or "").casefold().split()))
        value = _number(analysis.get("paramValue"))
        p = _text(analysis.get("pValue"))
        groups = [g for g in analysis.get("groupIds") or [] if isinstance(g, str)]
        compared = " vs ".join(self.groups.get(g, g) for g in groups) or "groups not given"
        unknown = mapped is None and (kind is not None or value is not None)
        if unknown or (value is None and p is None):
            summary = ", ".join(
                f"{name} {text}"
                for name, text in (
                    ("estimate", _text(analysis.get("paramValue"))),
                    ("CI", _interval(analysis)),
                    ("p", p),
                    ("method", _text(analysis.get("statisticalMethod"))),
                )
                if text
            )
            reason = "no effect measure of ours for it" if unknown else "no estimate or p value"
            self.outcome.notes.append(
                f"Posted analysis not imported ({kind or 'no parameter'}; {compared}): "
                f"{summary or 'no numbers'}: {reason}. Enter it by hand if it matters."
            )
            return None
        entry: dict[str, Any] = {"outcome": self.outcome.id}
        entry.update(self._sides(groups, compared))
        if self.time_point:
            entry["time_point"] = self.time_point
        notes = [f"Posted analysis of {self.title}: {kind or 'no estimate'} ({compared})."]
        if mapped is not None and value is not None:
            measure, scale = mapped
            entry["measure"] = measure
            if scale is not None:
                entry["scale"] = _effect_scale(scale, self.title, kind or "")
            entry["value"] = value
            if self.unit and measure in DIFFERENCES:
                entry["unit"] = self.unit
            notes.append(
                "The registry does not say in a field which group was subtracted from (or "
                "divided by) which: check the estimate comment or the paper before keeping the "
                "sign for experimental vs comparator."
            )
            notes += self._ci(analysis, entry)
        else:
            entry["statement"] = todo(
                "the result in your own words: the registry gives no estimate"
                + (f", only p {p}" if p else "")
            )
        if p:
            entry["p"] = p
        plan = self._plan()
        method = _text(analysis.get("statisticalMethod"))
        entry["analysis"] = {"plan": plan} | ({"method": method} if method else {})
        entry["source"] = "registry"
        entry["locator"] = REGISTRY_RESULTS
        if several_classes:
            notes.append(
                "The measure has several classes; the registry does not say which one this "
                "analysis compares (add subgroup if it is one)."
            )
        estimate_spread = _text(analysis.get("dispersionValue"))
        if estimate_spread:
            notes.append(
                f"Registry dispersion of the estimate ({analysis.get('dispersionType')}): "
                f"{estimate_spread} (no field for it)."
            )
        for name, key in (
            ("Groups", "groupDescription"),
            ("Estimate", "estimateComment"),
            ("Method", "statisticalComment"),
            ("P value", "pValueComment"),
            ("Non-inferiority", "nonInferiorityComment"),
            ("Other analysis", "otherAnalysisDescription"),
        ):
            text = _prose(analysis.get(key))
            if text:
                notes.append(f"Registry comment ({name}): {text}")
        if isinstance(analysis.get("nonInferiorityType"), str):
            notes.append(f"Registry test type: {analysis['nonInferiorityType']}.")
        if entry.get("measure"):
            self.outcome.has_effects = True
        return Commented(entry, "\n".join(notes))

    def _sides(self, groups: list[str], compared: str) -> dict[str, Any]:
        """experimental and comparator arm ids, from the arms' roles; placeholders when the
        roles do not say which side is which."""
        arms = [self.arms.get(g) for g in groups]
        controls = having("arm_role", "x-control")
        experimental = [a.id for a in arms if a is not None and a.role == "experimental"]
        comparator = [a.id for a in arms if a is not None and a.role in controls]
        if experimental and comparator and len(experimental) + len(comparator) == len(groups):
            return {"experimental": experimental, "comparator": comparator}
        roles = ", ".join(
            f"{self.groups.get(g, g)}: {a.role or a.kind or 'role to choose'}"
            if a is not None
            else f"{self.groups.get(g, g)}: no arm"
            for g, a in zip(groups, arms, strict=True)
        )
        hint = (
            f"the registry compares {compared} ({roles or 'no groups'}); the arm roles do not "
            "say which side is treated"
        )
        return {
            "experimental": todo(f"{hint}: ids of the treated side's arm(s), e.g. [id]"),
            "comparator": todo("ids of the arm(s) compared against, e.g. [id]"),
        }

    def _ci(self, analysis: dict[str, Any], entry: dict[str, Any]) -> list[str]:
        low, high = _number(analysis.get("ciLowerLimit")), _number(analysis.get("ciUpperLimit"))
        level = _number(analysis.get("ciPctValue"))
        if analysis.get("ciNumSides") == "ONE_SIDED":
            return [
                f"One-sided {_text(analysis.get('ciPctValue')) or '?'}% interval not imported "
                f"as ci: {_interval(analysis)}."
            ]
        if low is None or high is None:
            return [f"Interval not imported: {_interval(analysis)}."] if _interval(analysis) else []
        entry["ci"] = [low, high]
        if level is not None:
            entry["ci_level"] = level
        notes = []
        for side in ("ciLowerLimitComment", "ciUpperLimitComment"):
            text = _prose(analysis.get(side))
            if text:
                notes.append(f"Registry comment on the interval: {text}")
        return notes

    def _plan(self) -> str:
        kind = str(self.measure.get("type") or "")
        if kind in PLANS:
            return PLANS[kind]
        if kind == "PRIMARY":
            registered = self.outcome.role == "primary" and self.outcome.time_point
            same = registered and self.outcome.time_point == self.time_point
            return todo(
                "the registry posts this as a primary outcome: prespecified-primary only if it "
                "is the registered primary outcome at its registered time point and in its "
                "registered form"
                + (" (the time frames match)" if same else " (check the registered time point)")
                + "; otherwise prespecified-secondary or post-hoc"
            )
        return todo(
            f"the registry gives the measure type {kind or 'not given'}; choose from: "
            + _choices("plan")
            + ", or delete plan"
        )


def _denominators(denoms: Any) -> tuple[dict[Any, int], list[str]]:
    """Participants counted per group (from the denominators in participants), and the units
    of any other denominators (e.g. eyes)."""
    counts: dict[Any, int] = {}
    others: list[str] = []
    for denom in _items(denoms):
        units = _text(denom.get("units")) or "Participants"
        if units.casefold() != "participants":
            others.append(units)
            continue
        for count in _items(denom.get("counts")):
            n = _count(count.get("value"))
            if n is not None:
                counts.setdefault(count.get("groupId"), n)
    return counts, others


def _interval(analysis: dict[str, Any]) -> str:
    low, high = _text(analysis.get("ciLowerLimit")), _text(analysis.get("ciUpperLimit"))
    if not low and not high:
        return ""
    level = _text(analysis.get("ciPctValue"))
    return f"{low or '?'} to {high or '?'}" + (f" ({level}%)" if level else "")


def _scale(title: str) -> str:
    """final or change, when the measure's title says which; else a placeholder."""
    if _CHANGE.search(title):
        return "change"
    if _FINAL.search(title):
        return "final"
    return todo(
        f"choose from: {_choices('scale')} (the registry's title {title!r} does not say "
        "whether these are values at the time point or changes from baseline)"
    )


def _effect_scale(scale: str, title: str, kind: str) -> str:
    """The analysis's scale, unless the measure's title says otherwise."""
    says = "change" if _CHANGE.search(title) else "final" if _FINAL.search(title) else None
    if says is None or says == scale:
        return scale
    return todo(
        f"the registry's parameter {kind!r} means {scale}, but the measure's title {title!r} "
        f"speaks of {says}: choose from: {_choices('scale')}"
    )


# --- harms -------------------------------------------------------------------------------------


def _safety(results: dict[str, Any], arms: list[_Arm]) -> Any:
    module = _obj(results, "adverseEventsModule")
    groups = _items(module.get("eventGroups"))
    if not groups:
        return None
    by_label = {arm.label.casefold(): arm.id for arm in arms}
    events: list[dict[str, Any]] = []
    others: list[str] = []
    for group in groups:
        title = _text(group.get("title"))
        for kind, affected, at_risk in (
            ("serious-adverse-events", "seriousNumAffected", "seriousNumAtRisk"),
            ("deaths", "deathsNumAffected", "deathsNumAtRisk"),
        ):
            count = _count(group.get(affected))
            if count is None:
                continue
            event: dict[str, Any] = {"kind": kind, "count": count}
            denominator = _count(group.get(at_risk))
            if denominator is not None:
                event["denominator"] = denominator
            event["unit"] = "participants"
            arm = by_label.get(title.casefold()) if title else None
            if arm:
                event["arm"] = arm
            elif title:
                event["note"] = title
            event["source"] = "registry"
            event["locator"] = REGISTRY_RESULTS
            events.append(event)
        other = _count(group.get("otherNumAffected"))
        if other is not None:
            at = _count(group.get("otherNumAtRisk"))
            others.append(f"{title or '?'} {other}" + (f" of {at}" if at is not None else ""))
    notes = []
    if others:
        threshold = _text(module.get("frequencyThreshold"))
        notes.append(
            "Not imported: participants with other (non-serious) adverse events"
            + (f" reported above the registry's {threshold}% threshold" if threshold else "")
            + ": "
            + "; ".join(others)
            + "."
        )
    terms = [
        f"{len(_items(module.get(key)))} {name}"
        for key, name in (("seriousEvents", "serious"), ("otherEvents", "other"))
        if _items(module.get(key))
    ]
    if terms:
        notes.append(f"Not imported: the registry's list of {' and '.join(terms)} event terms.")
    for name, key in (
        ("description", "description"),
        ("mortality comment", "allCauseMortalityComment"),
    ):
        text = _prose(module.get(key))
        if text:
            notes.append(f"The registry's adverse event {name}: {text}")
    out: dict[str, Any] = {"summary": todo("the harms in your own words")}
    follow_up = _text(module.get("timeFrame"))
    if follow_up:
        out["follow_up"] = follow_up
    if events:
        out["events"] = events
    out["sources"] = ["registry"]
    return Commented(out, "\n".join(notes))


def _registrations(nct: str, ident: dict[str, Any]) -> list[Any]:
    found: list[Any] = [{"registry": "clinicaltrials.gov", "id": nct}]
    seen = {nct}
    patterns = [(r, p) for r, p in registry_patterns() if r != "clinicaltrials.gov"]
    for secondary in _items(ident.get("secondaryIdInfos")):
        value = _text(secondary.get("id"))
        if not value or value in seen:
            continue
        registry = next((r for r, p in patterns if p.fullmatch(value)), None)
        # An EudraCT-shaped number is only a EudraCT number when the registry says so.
        if registry == "euctr" and secondary.get("type") != "EUDRACT_NUMBER":
            registry = None
        if registry:
            seen.add(value)
            found.append({"registry": registry, "id": value})
    return found


def _countries(protocol: dict[str, Any]) -> list[str]:
    locations = _items(_obj(protocol, "contactsLocationsModule").get("locations"))
    names = sorted({c for c in (_text(loc.get("country")) for loc in locations) if c})
    return [
        name
        if _COUNTRY.fullmatch(name)
        else todo(f"write the registry's country {name!r} as plain letters, e.g. without commas")
        for name in names
    ]


def _references(nct: str, title: str | None, protocol: dict[str, Any]) -> list[Any]:
    refs: list[Any] = [
        {
            "id": "registry",
            "type": "registry-entry",
            "title": title or todo("the registry entry's title"),
            "journal": "ClinicalTrials.gov",
            "registry_id": nct,
            "url": registry_url("clinicaltrials.gov", nct),
        }
    ]
    taken = {"registry"}
    background: list[str] = []
    for item in _items(_obj(protocol, "referencesModule").get("references")):
        pmid = item.get("pmid")
        citation = _text(item.get("citation")) or "(no citation)"
        kind = item.get("type")
        if not (isinstance(pmid, str) and re.fullmatch(r"[1-9][0-9]{0,8}", pmid)) or kind not in (
            "RESULT",
            "DERIVED",
        ):
            background.append(f"{kind or 'REFERENCE'}: {citation}")
            continue
        refs.append(
            Commented(
                {
                    "id": _slug(f"pmid-{pmid}", taken, "paper"),
                    "type": todo("the kind of source (article, review, ...)"),
                    "title": todo(
                        f"run `make import-ref FILE=... REF_ID=pmid-{pmid}` on PubMed's record of "
                        f"PMID {pmid}"
                    ),
                    "pmid": pmid,
                },
                f"Registry reference ({kind}): {citation}",
            )
        )
    if background:
        refs[0] = Commented(
            refs[0],
            "References the registry lists that were not imported (background, or no PMID):\n"
            + "\n".join(background),
        )
    return refs


# --- a second import: what changed --------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A registry value that differs from the record's."""

    field: tuple[str, ...]
    message: str
    value: Any = None
    """The registry's value in the record's terms (status code, date text, count); None when
    it has no equivalent."""
    estimated: bool = False
    """For a date or an enrolment: the registry gives it as estimated or anticipated."""


def same_date(registry: str, record: Any) -> bool:
    """The record's date says the same as the registry's, or more precisely (a paper's
    2018-12-03 for the registry's 2018-12)."""
    return isinstance(record, str) and (record == registry or record.startswith(registry + "-"))


def registry_changes(record: Any, study: Any) -> list[Change]:
    """What the registry now says differently about status, dates and enrolment."""
    record = record if isinstance(record, dict) else {}
    changes: list[Change] = []
    ours, raw = status(study)
    current = record.get("status")
    if ours is None and raw is not None:
        changes.append(
            Change(
                ("status",),
                f"registry status is {clean(raw)[:40]}, which has no equivalent; "
                f"record: {current!r}",
            )
        )
    elif ours is not None and ours != current:
        changes.append(
            Change(("status",), f"registry now says {ours!r} (record: {current!r})", ours)
        )
    recorded = _obj(record, "dates")
    for name, (value, estimated) in dates(study).items():
        if not same_date(value, recorded.get(name)):
            was = recorded.get(name)
            shown = "none" if was is None else repr(was)
            note = " (estimated)" if estimated else ""
            changes.append(
                Change(
                    ("dates", name),
                    f"registry now gives {value!r}{note} (record: {shown})",
                    value,
                    estimated,
                )
            )
    count, kind = enrolment(study)
    population = _obj(record, "population")
    if count is not None:
        name = "enrolled" if kind == "ACTUAL" else "planned"
        if population.get(name) != count:
            was = population.get(name)
            shown = "none" if was is None else repr(was)
            changes.append(
                Change(
                    ("population", name),
                    f"registry now gives {count} ({(kind or 'type not given').lower()}) "
                    f"(record: {shown})",
                    count,
                    kind != "ACTUAL",
                )
            )
    return changes


def result_references(study: Any) -> list[tuple[str, str, str]]:
    """(PMID, type, citation) of the registry's references that report the study (RESULT,
    or DERIVED: linked by PubMed from the registry number); background references are not."""
    found = []
    for item in _items(_obj(study, "protocolSection", "referencesModule").get("references")):
        pmid, kind = item.get("pmid"), item.get("type")
        if not (isinstance(pmid, str) and isinstance(kind, str)):
            continue
        if re.fullmatch(r"[1-9][0-9]{0,8}", pmid) and kind in ("RESULT", "DERIVED"):
            found.append((pmid, kind, _text(item.get("citation")) or "(no citation)"))
    return found


def last_update(study: Any) -> str | None:
    """When the registry last posted a change to the entry (YYYY-MM-DD or shorter)."""
    return dates(study).get("last_update", (None, False))[0]
