"""Import from ClinicalTrials.gov: one study as the API v2 returns it -> a draft record.

Pure: takes the parsed JSON of `/api/v2/studies/NCT...` (field names as in ClinicalTrials.gov's
"Study Data Structure") and returns draft data or a list of changes. What the registry states
in structured fields is mapped; whatever needs judgement (cell type, route, dose, condition
vocabulary, summaries in our own words) becomes a placeholder for the contributor, and the
registry's prose is copied into comments for reference, never into fields. Every lookup
tolerates missing modules and wrong types: real records come in every shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.draft import Commented, clean, settle, todo
from generator.errors import ImportFailed
from generator.scaffold import SCHEMA_LINE
from generator.schema import labels, load_schema

STATUS = {
    "NOT_YET_RECRUITING": "not-yet-recruiting",
    "RECRUITING": "recruiting",
    "ACTIVE_NOT_RECRUITING": "active-not-recruiting",
    "COMPLETED": "completed",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
    "AVAILABLE": "available",
    "NO_LONGER_AVAILABLE": "no-longer-available",
    "UNKNOWN": "unknown",
}
"""Registry status -> our status. Others (ENROLLING_BY_INVITATION, SUSPENDED, WITHHELD,
TEMPORARILY_NOT_AVAILABLE, APPROVED_FOR_MARKETING) have no exact equivalent: a person decides."""
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
COMPARATOR = {"PLACEBO_COMPARATOR": "placebo", "SHAM_COMPARATOR": "sham"}
"""Arm types that say what the comparison group is; other types need a person's reading."""
GROUP_MEASURES = {"MEAN": "mean", "MEDIAN": "median", "COUNT_OF_PARTICIPANTS": "count"}
ANALYSIS_MEASURES = (
    ("mean difference", "mean-difference"),
    ("odds ratio", "odds-ratio"),
    ("risk ratio", "risk-ratio"),
    ("relative risk", "risk-ratio"),
    ("hazard ratio", "hazard-ratio"),
    ("regression coefficient", "regression-coefficient"),
)
"""Start of a posted analysis's parameter type -> our effect measure."""
DATE_FIELDS = (
    ("start", "startDateStruct"),
    ("primary_completion", "primaryCompletionDateStruct"),
    ("completion", "completionDateStruct"),
    ("first_posted", "studyFirstPostDateStruct"),
    ("results_posted", "resultsFirstPostDateStruct"),
    ("last_update", "lastUpdatePostDateStruct"),
)
NCT = re.compile(r"NCT[0-9]{8}")
_DATE = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?")
_COUNTRY = re.compile(r"[A-Z][A-Za-z .'()-]{1,59}")
_P_VALUE = re.compile(r"[<>=]?(0?\.[0-9]+|1(\.0+)?|0)")


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


def _number(value: Any) -> float | int | None:
    """A finite number given as a number or as text; None for 'NA' and the like."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
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


def draft_text(study: Any, record_id: str) -> str:
    """The draft record as commented YAML text, ready to write to studies/ID.yaml."""
    nct = registration_id(study)
    version = _text(_obj(study, "derivedSection", "miscInfoModule").get("versionHolder"))
    header = (
        f"{SCHEMA_LINE}\n"
        f"Draft imported from ClinicalTrials.gov {nct}"
        + (f" (registry data of {version})" if version else "")
        + ". Replace every value marked TODO (`python -m generator check` lists them),"
        " delete what does not apply, and keep facts to what the sources say."
    )
    return settle(draft_record(study, record_id), header=header)


def draft_record(study: Any, record_id: str) -> dict[str, Any]:
    """Draft record data (with comments) from one registry study."""
    nct = registration_id(study)
    protocol = _obj(study, "protocolSection")
    ident = _obj(protocol, "identificationModule")
    brief, official = _text(ident.get("briefTitle")), _text(ident.get("officialTitle"))
    acronym = _text(ident.get("acronym"))
    ours, raw_status = status(study)
    record: dict[str, Any] = {"id": record_id}
    record["short_name"] = acronym or todo("a short name for tables, e.g. the trial acronym")
    record["title"] = official or brief or todo("the study's full title")
    record["evidence_kind"] = _evidence_kind(study)
    record["status"] = ours or todo(
        f"the registry's status {raw_status or '(none)'} has no exact equivalent; choose one "
        f"of: {', '.join(labels('status'))}"
    )
    phase = _phase(protocol)
    if phase is not None:
        record["phase"] = phase
    conditions = _texts(_obj(protocol, "conditionsModule").get("conditions"))
    record["conditions"] = Commented(
        [todo(f"choose from: {', '.join(labels('condition'))}")],
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
    arms = _arms(protocol, _obj(study, "resultsSection"))
    record["population"] = _population(protocol, arms)
    record["interventions"] = _interventions(protocol, arms)
    comparator = _comparator(protocol)
    if comparator is not None:
        record["comparator"] = comparator
    outcomes, outcome_ids = _outcomes(protocol)
    results = _results(_obj(study, "resultsSection"), outcomes, outcome_ids)
    if outcomes:
        record["outcomes"] = outcomes
    if results:
        record["results"] = results
    safety = _safety(_obj(study, "resultsSection"), arms)
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
    for field, value in _odd_dates(study).items():
        registered[field] = todo(
            f"the registry's date {value!r}: write it as YYYY, YYYY-MM or YYYY-MM-DD"
        )
    if registered:
        record["dates"] = {
            field: registered[field] for field, _ in DATE_FIELDS if field in registered
        } | {"sources": ["registry"]}
    record["references"] = _references(nct, brief or official, protocol)
    record["added"] = todo("the date (YYYY-MM-DD) this record is added to the site")
    record["last_reviewed"] = todo(
        "the date (YYYY-MM-DD) you checked this record against its sources"
    )
    return record


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
    out: dict[str, Any] = {
        "description": Commented(
            (described + " (as registered).")
            if described
            else todo("the design in your own words"),
            "Generated from the registry's design fields; rewrite in plain words if you like.",
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
    if model == "CROSSOVER":
        out["crossover"] = True
    out["sources"] = ["registry"]
    return out


@dataclass
class _Arm:
    id: str
    label: str
    kind: str | None
    description: str | None
    n: int | None = None


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
            )
        )
    started = _started(_obj(results, "participantFlowModule"))
    for arm in arms:
        arm.n = started.get(arm.label.casefold())
    return arms


def _started(flow: dict[str, Any]) -> dict[str, int]:
    """Participants who started, by group title (first period of the participant flow)."""
    titles = {g.get("id"): _text(g.get("title")) for g in _items(flow.get("groups"))}
    periods = _items(flow.get("periods"))
    if not periods:
        return {}
    counts: dict[str, int] = {}
    for milestone in _items(periods[0].get("milestones")):
        if milestone.get("type") != "STARTED":
            continue
        for achieved in _items(milestone.get("achievements")):
            title, n = titles.get(achieved.get("groupId")), _count(achieved.get("numSubjects"))
            if title and n is not None:
                counts[title.casefold()] = n
    return counts


def _population(protocol: dict[str, Any], arms: list[_Arm]) -> dict[str, Any]:
    eligibility = _obj(protocol, "eligibilityModule")
    facts = []
    sex = eligibility.get("sex")
    if isinstance(sex, str):
        facts.append({"ALL": "all sexes", "FEMALE": "female", "MALE": "male"}.get(sex, sex))
    low, high = _text(eligibility.get("minimumAge")), _text(eligibility.get("maximumAge"))
    if low or high:
        ages = f"aged {low or 'any age'} to {high}" if high else f"aged {low} or older"
        facts.append(ages.lower())
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
    if arms:
        out["arms"] = [
            Commented(
                {"id": arm.id, "label": arm.label, **({"n": arm.n} if arm.n is not None else {})},
                f"Registry arm type: {arm.kind or 'not given'}"
                + (f". Registry description: {arm.description}" if arm.description else ""),
            )
            for arm in arms
        ]
    out["sources"] = ["registry"]
    return out


def _interventions(protocol: dict[str, Any], arms: list[_Arm]) -> Any:
    """One draft entry per registered intervention; the contributor keeps the cell products."""
    by_label = {arm.label.casefold(): arm.id for arm in arms}
    entries: list[Any] = []
    for item in _items(_obj(protocol, "armsInterventionsModule").get("interventions")):
        name = _text(item.get("name"))
        kind = _text(item.get("type")) or "type not given"
        arm_ids = [
            by_label[t.casefold()]
            for t in _texts(item.get("armGroupLabels"))
            if t.casefold() in by_label
        ]
        entry: dict[str, Any] = {}
        if len(arm_ids) == 1:
            entry["arm"] = arm_ids[0]
        entry["cell_type"] = todo(f"choose from: {', '.join(labels('cell_type'))}")
        if name:
            entry["product"] = name
        entry["route"] = todo(f"choose from: {', '.join(labels('route'))}")
        entry["dose"] = todo(
            "dose per administration as reported ({value or low/high, unit}); "
            "delete this line if the sources give none"
        )
        entry["sources"] = ["registry"]
        note = f"Registry intervention ({kind}): {name or 'no name'}."
        description = _prose(item.get("description"))
        if description:
            note += f" Registry description: {description}"
        if len(arm_ids) > 1:
            note += (
                f"\nGiven in arms: {', '.join(arm_ids)} (add one entry per arm if doses differ)."
            )
        note += "\nDelete this entry if it is not a cell product."
        entries.append(Commented(entry, note))
    if entries:
        return entries
    return [
        {
            "cell_type": todo(f"choose from: {', '.join(labels('cell_type'))}"),
            "route": todo(f"choose from: {', '.join(labels('route'))}"),
            "sources": ["registry"],
        }
    ]


def _comparator(protocol: dict[str, Any]) -> dict[str, Any] | None:
    groups = _items(_obj(protocol, "armsInterventionsModule").get("armGroups"))
    kinds = {g.get("type") for g in groups} - {"EXPERIMENTAL"}
    model = _obj(protocol, "designModule", "designInfo").get("interventionModel")
    if not groups:
        return None
    if not kinds and model == "SINGLE_GROUP":
        return {"kind": "none", "sources": ["registry"]}
    mapped = {COMPARATOR.get(k) for k in kinds if isinstance(k, str)}
    if len(kinds) == 1 and len(mapped) == 1 and None not in mapped:
        return {"kind": mapped.pop(), "sources": ["registry"]}
    shown = ", ".join(sorted(str(k) for k in kinds)) or "none"
    return {
        "kind": todo(
            f"registry comparison arm types: {shown}; choose from: "
            f"{', '.join(labels('comparator'))}"
        ),
        "sources": ["registry"],
    }


def _outcomes(protocol: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    """Draft outcomes, and outcome ids by measure name, and by name and time frame (to attach
    posted results to the right outcome when a name is used for several time points)."""
    module = _obj(protocol, "outcomesModule")
    taken: set[str] = set()
    outcomes: list[Any] = []
    by_name: dict[str, str] = {}
    for key, primary in (
        ("primaryOutcomes", True),
        ("secondaryOutcomes", False),
        ("otherOutcomes", False),
    ):
        for item in _items(module.get(key)):
            name = _text(item.get("measure"))
            if name is None:
                continue
            ident = _slug(name, taken, f"outcome-{len(outcomes) + 1}")
            time_frame = _text(item.get("timeFrame"))
            by_name.setdefault(name.casefold(), ident)
            by_name.setdefault(f"{name}\n{time_frame}".casefold(), ident)
            outcome: dict[str, Any] = {"id": ident, "name": name}
            if time_frame:
                outcome["time_point"] = time_frame
            if primary:
                outcome["primary"] = True
            outcome["sources"] = ["registry"]
            description = _prose(item.get("description"))
            outcomes.append(
                Commented(outcome, f"Registry description: {description}")
                if description
                else outcome
            )
    return outcomes, by_name


def _results(
    results: dict[str, Any], outcomes: list[Any], by_name: dict[str, str]
) -> list[dict[str, Any]]:
    """Posted outcome measures: each group's value and each posted between-group analysis."""
    drafted: list[dict[str, Any]] = []
    taken = set(by_name.values())
    for measure in _items(_obj(results, "outcomeMeasuresModule").get("outcomeMeasures")):
        title = _text(measure.get("title"))
        if title is None:
            continue
        time_frame = _text(measure.get("timeFrame"))
        outcome = by_name.get(f"{title}\n{time_frame}".casefold()) or by_name.get(title.casefold())
        if outcome is None:  # a measure not in the protocol's list: add it
            outcome = _slug(title, taken, f"outcome-{len(taken) + 1}")
            by_name[title.casefold()] = outcome
            added: dict[str, Any] = {"id": outcome, "name": title}
            if _text(measure.get("timeFrame")):
                added["time_point"] = _text(measure.get("timeFrame"))
            if measure.get("type") == "PRIMARY":
                added["primary"] = True
            added["sources"] = ["registry"]
            outcomes.append(added)
        groups = {g.get("id"): _text(g.get("title")) for g in _items(measure.get("groups"))}
        drafted += _group_values(measure, outcome, groups)
        drafted += _analyses(measure, outcome, groups)
    return drafted


def _group_values(
    measure: dict[str, Any], outcome: str, groups: dict[Any, str | None]
) -> Iterator[dict[str, Any]]:
    effect = GROUP_MEASURES.get(str(measure.get("paramType")))
    classes = _items(measure.get("classes"))
    if effect is None or len(classes) != 1:
        return  # several classes or categories need a person to choose what to show
    categories = _items(classes[0].get("categories"))
    if len(categories) != 1:
        return
    denominators: dict[Any, int | None] = {}
    for denom in _items(measure.get("denoms"))[:1]:
        for count in _items(denom.get("counts")):
            denominators[count.get("groupId")] = _count(count.get("value"))
    unit = _text(measure.get("unitOfMeasure"))
    for value in _items(categories[0].get("measurements")):
        number, group = _number(value.get("value")), groups.get(value.get("groupId"))
        if number is None or group is None:
            continue
        result: dict[str, Any] = {"outcome": outcome, "comparison": group}
        result["effect_measure"] = effect
        result["value"] = number
        if unit:
            result["unit"] = unit
        n = denominators.get(value.get("groupId"))
        if n is not None:
            result["n_analysed"] = n
        result["source"] = "registry"
        yield result


def _analyses(
    measure: dict[str, Any], outcome: str, groups: dict[Any, str | None]
) -> Iterator[dict[str, Any]]:
    for analysis in _items(measure.get("analyses")):
        kind = str(analysis.get("paramType") or "").casefold()
        effect = next((ours for start, ours in ANALYSIS_MEASURES if kind.startswith(start)), None)
        value = _number(analysis.get("paramValue"))
        if effect is None or value is None:
            continue
        names = [groups.get(g) for g in analysis.get("groupIds") or [] if isinstance(g, str)]
        result: dict[str, Any] = {"outcome": outcome}
        if names and all(names):
            result["comparison"] = " vs ".join(str(n) for n in names)
        result["effect_measure"] = effect
        result["value"] = value
        unit = _text(measure.get("unitOfMeasure"))
        if unit and effect == "mean-difference":  # a difference of means keeps their unit
            result["unit"] = unit
        low, high = _number(analysis.get("ciLowerLimit")), _number(analysis.get("ciUpperLimit"))
        if low is not None and high is not None and analysis.get("ciNumSides") != "ONE_SIDED":
            result["ci"] = [low, high]
            level = _number(analysis.get("ciPctValue"))
            if level is not None:
                result["ci_level"] = level
        p = _text(analysis.get("pValue"))
        if p and _P_VALUE.fullmatch(p.replace(" ", "")):
            result["p"] = p.replace(" ", "")
        result["source"] = "registry"
        yield result


def _safety(results: dict[str, Any], arms: list[_Arm]) -> dict[str, Any] | None:
    module = _obj(results, "adverseEventsModule")
    groups = _items(module.get("eventGroups"))
    if not groups:
        return None
    by_label = {arm.label.casefold(): arm.id for arm in arms}
    events: list[dict[str, Any]] = []
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
            events.append(event)
    out: dict[str, Any] = {"summary": todo("the harms in your own words")}
    follow_up = _text(module.get("timeFrame"))
    if follow_up:
        out["follow_up"] = follow_up
    if events:
        out["events"] = events
    out["sources"] = ["registry"]
    return out


def _registry_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(registry, id pattern) from the schema: an id in one of these forms names its registry."""
    rules = load_schema()["properties"]["registrations"]["items"]["allOf"]
    return [
        (
            rule["if"]["properties"]["registry"]["const"],
            re.compile(rule["then"]["properties"]["id"]["pattern"]),
        )
        for rule in rules
    ]


def _registrations(nct: str, ident: dict[str, Any]) -> list[Any]:
    found: list[Any] = [{"registry": "clinicaltrials.gov", "id": nct}]
    seen = {nct}
    patterns = [(r, p) for r, p in _registry_patterns() if r != "clinicaltrials.gov"]
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
            "url": f"https://clinicaltrials.gov/study/{nct}",
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
                        f"run `python -m generator import-ref` on PubMed's record of PMID {pmid}"
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
                f"registry status is {raw}, which has no equivalent; record: {current!r}",
            )
        )
    elif ours is not None and ours != current:
        changes.append(Change(("status",), f"registry now says {ours!r} (record: {current!r})"))
    recorded = _obj(record, "dates")
    for field, (value, estimated) in dates(study).items():
        if recorded.get(field) != value:
            was = recorded.get(field)
            shown = "none" if was is None else repr(was)
            note = " (estimated)" if estimated else ""
            changes.append(
                Change(("dates", field), f"registry now gives {value!r}{note} (record: {shown})")
            )
    count, kind = enrolment(study)
    population = _obj(record, "population")
    if count is not None:
        field = "enrolled" if kind == "ACTUAL" else "planned"
        if population.get(field) != count:
            was = population.get(field)
            shown = "none" if was is None else repr(was)
            changes.append(
                Change(
                    ("population", field),
                    f"registry now gives {count} ({(kind or 'type not given').lower()}) "
                    f"(record: {shown})",
                )
            )
    return changes
