"""Collate stage: gather cross-study views (groupings, reverse links, counts) before rendering.

Everything here is computed once, in time linear in the number of records, so that rendering
a page never has to look at every other record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator.model import Certainty, GlossaryTerm, Outcome, Reference, Result, Study
from generator.schema import labels

INVERSE_RELATION = {
    "follow-up-of": "followed-up-by",
    "includes": "included-in",
    "included-in": "includes",
    "commentary-on": "commented-on-by",
    "secondary-analysis-of": "has-secondary-analysis",
    "successor-of": "predecessor-of",
    "related-to": "related-to",
}
RELATION_LABEL = {
    "follow-up-of": "Follow-up of",
    "followed-up-by": "Followed up in",
    "includes": "Includes",
    "included-in": "Included in",
    "commentary-on": "Commentary on",
    "commented-on-by": "Commented on in",
    "secondary-analysis-of": "Secondary analysis of",
    "has-secondary-analysis": "Secondary analysis in",
    "successor-of": "Follows on from",
    "predecessor-of": "Followed by",
    "related-to": "Related to",
}
LATEST_COUNT = 5


@dataclass(frozen=True)
class Link:
    """A relation shown on a study page, in either direction."""

    relation: str
    study: Study

    @property
    def label(self) -> str:
        return RELATION_LABEL[self.relation]


@dataclass(frozen=True)
class Site:
    """Everything the templates need, gathered before any page is rendered."""

    studies: tuple[Study, ...]
    by_condition: dict[str, tuple[Study, ...]]
    by_cell_type: dict[str, tuple[Study, ...]]
    links: dict[str, tuple[Link, ...]]
    kind_counts: dict[str, int]
    latest: tuple[Study, ...]
    site_url: str
    outcomes: dict[str, dict[str, DomainResults]]
    harms: tuple[HarmRow, ...]
    bibliography: tuple[BibEntry, ...]
    news: tuple[NewsItem, ...]
    map_cell_types: Grid
    map_kinds: Grid
    glossary: tuple[GlossaryTerm, ...] = field(default=())

    @property
    def participants(self) -> int:
        """Participants enrolled in primary studies, each counted once (see counts_participants)."""
        return sum(s.enrolled or 0 for s in self.studies if counts_participants(s))


POOLED_KINDS = frozenset({"ipd-meta-analysis", "systematic-review"})
REPORTING_AGAIN = frozenset({"follow-up-of", "secondary-analysis-of"})
"""Relations whose record re-reports participants already counted in the other record."""


def counts_participants(study: Study) -> bool:
    """Whether a study's enrolment adds new participants to a total.

    Reviews re-analyse other studies' participants, and follow-ups and secondary analyses
    report again on a trial's children; counting them would count children twice.
    """
    if study.evidence_kind in POOLED_KINDS:
        return False
    return not any(r.relation in REPORTING_AGAIN for r in study.related)


def collate_site(
    studies: list[Study], glossary: tuple[GlossaryTerm, ...] = (), *, site_url: str
) -> Site:
    """Group and cross-link the studies; order everything deterministically.

    `site_url` (from mkdocs.yml, ending in '/') makes the absolute links that the feed and
    the structured data need.
    """
    ordered = tuple(sorted(studies, key=lambda s: (s.short_name.casefold(), s.id)))
    by_id = {s.id: s for s in ordered}
    by_condition: dict[str, list[Study]] = {c: [] for c in labels("condition")}
    by_cell_type: dict[str, list[Study]] = {c: [] for c in labels("cell_type")}
    links: dict[str, dict[tuple[str, str], Link]] = defaultdict(dict)
    for study in ordered:
        for condition in study.conditions:
            by_condition[condition].append(study)
        for cell_type in study.cell_types:
            by_cell_type[cell_type].append(study)
        for rel in study.related:
            other = by_id[rel.id]
            links[study.id][(rel.relation, other.id)] = Link(rel.relation, other)
            inverse = INVERSE_RELATION[rel.relation]
            links[other.id][(inverse, study.id)] = Link(inverse, study)
    counts = Counter(s.evidence_kind for s in ordered)
    latest = sorted(ordered, key=lambda s: (s.last_reviewed, s.id), reverse=True)[:LATEST_COUNT]
    return Site(
        studies=ordered,
        by_condition={k: tuple(v) for k, v in by_condition.items()},
        by_cell_type={k: tuple(v) for k, v in by_cell_type.items()},
        links={
            k: tuple(sorted(v.values(), key=lambda link: (link.label, link.study.short_name)))
            for k, v in links.items()
        },
        kind_counts={k: counts[k] for k in labels("evidence_kind") if counts[k]},
        latest=tuple(latest),
        site_url=site_url,
        outcomes=collate_outcomes(ordered),
        harms=collate_harms(ordered),
        bibliography=collate_bibliography(ordered),
        news=collate_news(ordered),
        map_cell_types=collate_map(
            ordered,
            [
                *labels("cell_type"),
                *([NO_CELL_TYPE] if any(not s.cell_types for s in ordered) else []),
            ],
            "cell_type",
        ),
        map_kinds=collate_map(ordered, labels("evidence_kind"), "evidence_kind"),
        glossary=tuple(sorted(glossary, key=lambda t: t.term.casefold())),
    )


# --- outcome comparisons -------------------------------------------------------------------

COMPARATIVE_MEASURES = frozenset(
    {
        "mean-difference",
        "standardised-mean-difference",
        "regression-coefficient",
        "risk-ratio",
        "odds-ratio",
        "hazard-ratio",
    }
)
"""Effect measures that compare a treated group with a control group (a forest plot makes sense)."""
RATIO_MEASURES = frozenset({"risk-ratio", "odds-ratio", "hazard-ratio"})
"""Measures whose line of no effect is 1 and which are drawn on a log scale."""


@dataclass(frozen=True)
class ResultRow:
    """One reported result, with what a comparison table needs to show beside it."""

    study: Study
    outcome: Outcome
    result: Result
    certainty: Certainty | None


@dataclass(frozen=True)
class ResultGroup:
    """Results that share instrument, time point and effect measure: the only ones comparable."""

    instrument: str | None
    months: float | None
    time_point: str | None
    effect_measure: str | None
    rows: tuple[ResultRow, ...]

    @property
    def comparative(self) -> bool:
        return self.effect_measure in COMPARATIVE_MEASURES

    @property
    def plotted(self) -> tuple[ResultRow, ...]:
        """Rows a forest plot draws: comparative estimates, when at least two share the group."""
        rows = tuple(r for r in self.rows if r.result.value is not None)
        return rows if self.comparative and len(rows) >= 2 else ()


@dataclass(frozen=True)
class DomainResults:
    """All results of one condition in one outcome domain."""

    condition: str
    domain: str
    groups: tuple[ResultGroup, ...]
    worded: tuple[ResultRow, ...]

    @property
    def studies(self) -> int:
        found = {r.study.id for g in self.groups for r in g.rows} | {
            r.study.id for r in self.worded
        }
        return len(found)

    @property
    def count(self) -> int:
        return sum(len(g.rows) for g in self.groups) + len(self.worded)


GroupKey = tuple[str, str, str]


def _group_key(outcome: Outcome, result: Result) -> GroupKey:
    # Instruments are matched case- and space-insensitively ("GMFM-66" == "gmfm-66"); time
    # points by their `months` when the record gives one, otherwise by their exact wording.
    what = " ".join((outcome.instrument or "").casefold().split())
    when = (
        f"m{outcome.months!r}"
        if outcome.months is not None
        else " ".join((outcome.time_point or "").casefold().split())
    )
    return (what, when, result.effect_measure or "")


def _group_order(item: tuple[GroupKey, list[ResultRow]]) -> tuple[bool, GroupKey]:
    # Comparisons with a control group first: they are what a reader comes to compare.
    key = item[0]
    return (key[2] not in COMPARATIVE_MEASURES, key)


def collate_outcomes(studies: Iterable[Study]) -> dict[str, dict[str, DomainResults]]:
    """Condition -> domain -> its results, grouped so only like is ever set beside like."""
    numeric: dict[tuple[str, str], dict[GroupKey, list[ResultRow]]] = defaultdict(dict)
    worded: dict[tuple[str, str], list[ResultRow]] = defaultdict(list)
    for study in studies:
        rated = {c.outcome: c for c in study.certainty}
        for result in study.results:
            outcome = study.outcome(result.outcome)
            row = ResultRow(study, outcome, result, rated.get(outcome.id))
            for condition in study.conditions:
                place = (condition, outcome.domain or "other")
                if result.value is None:
                    worded[place].append(row)
                else:
                    numeric[place].setdefault(_group_key(outcome, result), []).append(row)
    found: dict[str, dict[str, DomainResults]] = {}
    for condition in labels("condition"):
        domains: dict[str, DomainResults] = {}
        for domain in labels("domain"):
            place = (condition, domain)
            if place not in numeric and place not in worded:
                continue
            groups = tuple(
                ResultGroup(
                    instrument=rows[0].outcome.instrument,
                    months=rows[0].outcome.months,
                    time_point=rows[0].outcome.time_point,
                    effect_measure=rows[0].result.effect_measure,
                    rows=tuple(rows),
                )
                for _, rows in sorted(numeric.get(place, {}).items(), key=_group_order)
            )
            domains[domain] = DomainResults(condition, domain, groups, tuple(worded[place]))
        found[condition] = domains
    return found


# --- harms, bibliography, news -------------------------------------------------------------

HARM_KINDS = ("serious-adverse-events", "infusion-reactions", "deaths")
"""The harms set side by side across studies (other kinds stay on the study pages)."""


@dataclass(frozen=True)
class HarmRow:
    """Counted harms of one group of one study, by kind, as reported."""

    study: Study
    arm: str | None
    counts: dict[str, tuple[str, ...]]


def collate_harms(studies: Iterable[Study]) -> tuple[HarmRow, ...]:
    """One row per study and group that reports a count of a kind in HARM_KINDS."""
    rows: list[HarmRow] = []
    for study in studies:
        by_arm: dict[str | None, dict[str, list[str]]] = {}
        for event in study.safety_events:
            if event.kind not in HARM_KINDS or event.count is None:
                continue
            shown = _count_text(event.count, event.denominator, event.unit)
            by_arm.setdefault(event.arm, {}).setdefault(event.kind, []).append(shown)
        for arm, counts in by_arm.items():
            rows.append(HarmRow(study, arm, {k: tuple(v) for k, v in counts.items()}))
    return tuple(rows)


def _count_text(count: int, denominator: int | None, unit: str | None) -> str:
    if denominator is None:
        return f"{count}"
    return f"{count} of {denominator}" + (f" {unit}" if unit else "")


@dataclass(frozen=True)
class BibEntry:
    """One reference in the site-wide bibliography, with every study that cites it."""

    reference: Reference
    cited_by: tuple[Study, ...]


def _reference_key(ref: Reference) -> str:
    if ref.doi:
        return "doi:" + ref.doi.casefold()
    if ref.pmid:
        return "pmid:" + ref.pmid
    if ref.registry_id:
        return "registry:" + ref.registry_id.casefold()
    if ref.url:
        return "url:" + ref.url
    return "title:" + " ".join(ref.title.casefold().split()) + f":{ref.year}"


def collate_bibliography(studies: Iterable[Study]) -> tuple[BibEntry, ...]:
    """Every reference once (matched by DOI, PMID, registry id, address or title and year)."""
    first: dict[str, Reference] = {}
    citing: dict[str, list[Study]] = defaultdict(list)
    for study in studies:
        for ref in study.references:
            key = _reference_key(ref)
            first.setdefault(key, ref)
            if not citing[key] or citing[key][-1] is not study:  # a study cites a source once
                citing[key].append(study)
    entries = [BibEntry(first[k], tuple(citing[k])) for k in first]
    return tuple(sorted(entries, key=_bibliography_order))


def _bibliography_order(entry: BibEntry) -> tuple[str, str, int, str]:
    ref = entry.reference
    lead = ref.authors[0].casefold() if ref.authors else ref.title.casefold()
    return (lead, ref.title.casefold(), ref.year or 0, _reference_key(ref))


@dataclass(frozen=True)
class NewsItem:
    """A record added or re-reviewed on a date."""

    date: str
    kind: str  # "added", "re-reviewed" or "reviewed" (when the record has no `added` date)
    study: Study


def collate_news(studies: Iterable[Study]) -> tuple[NewsItem, ...]:
    """Additions and re-reviews from the records' own dates, newest first."""
    items: list[NewsItem] = []
    for study in studies:
        if study.added is None:
            items.append(NewsItem(study.last_reviewed, "reviewed", study))
            continue
        items.append(NewsItem(study.added, "added", study))
        if study.last_reviewed > study.added:
            items.append(NewsItem(study.last_reviewed, "re-reviewed", study))
    by_name = sorted(items, key=lambda n: (n.study.short_name.casefold(), n.study.id, n.kind))
    return tuple(sorted(by_name, key=lambda n: n.date, reverse=True))  # stable: names stay A-Z


# --- evidence map --------------------------------------------------------------------------

NO_CELL_TYPE = "none-recorded"
"""Map column for records that name no cell product (e.g. a review of several)."""


@dataclass(frozen=True)
class MapCell:
    """The studies in one cell of an evidence map."""

    studies: tuple[Study, ...]

    @property
    def participants(self) -> int:
        """Participants enrolled in the cell's primary studies, each counted once."""
        return sum(s.enrolled or 0 for s in self.studies if counts_participants(s))


Grid = dict[str, dict[str, MapCell]]


def collate_map(studies: Iterable[Study], columns: Iterable[str], column_of: str) -> Grid:
    """Condition x (cell type | evidence kind): every cell present, empty ones included."""
    cells: dict[tuple[str, str], list[Study]] = defaultdict(list)
    for study in studies:
        if column_of == "cell_type":
            keys: tuple[str, ...] = study.cell_types or (NO_CELL_TYPE,)
        else:
            keys = (study.evidence_kind,)
        for condition in study.conditions:
            for key in keys:
                cells[(condition, key)].append(study)
    wanted = tuple(columns)
    return {
        condition: {col: MapCell(tuple(cells.get((condition, col), ()))) for col in wanted}
        for condition in labels("condition")
    }
