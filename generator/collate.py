"""Collate stage: gather cross-study views (groupings, reverse links, counts) before rendering.

Everything here is computed once, in time linear in the number of records, so that rendering
a page never has to look at every other record. The choices that decide what a reader sees
first (the main result of a study, which results share a table or a plot) are made here, by
rule, so that every page and download makes the same choice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from generator.model import (
    Certainty,
    Editorial,
    Effect,
    Finding,
    GlossaryTerm,
    GroupValue,
    KeyMessage,
    Number,
    Outcome,
    Reference,
    Study,
)
from generator.report import months_before, parse_day, period_end
from generator.schema import annotated, awaiting_results, date_events, having, labels

LATEST_COUNT = 5


def pooled_kinds() -> frozenset[str]:
    """Kinds of evidence that pool other studies (reviews, meta-analyses)."""
    return having("evidence_kind", "x-pooled")


def is_pooled(study: Study) -> bool:
    return study.evidence_kind in pooled_kinds()


def concurrent_controls() -> frozenset[str]:
    """Arm roles of control groups treated in the same study at the same time."""
    return having("arm_role", "x-concurrent")


def control_roles() -> frozenset[str]:
    return having("arm_role", "x-control")


@dataclass(frozen=True)
class Link:
    """A relation shown on a study page, in either direction, with its reader-facing label."""

    label: str
    study: Study


# --- the main result, chosen by rule -------------------------------------------------------

BADGES = {
    "randomised": "Randomised",
    "not-randomised": "Not randomised",
    "blinded": "Blinded",
    "placebo-sham": "Placebo or sham",
    "prespecified-primary": "Prespecified primary analysis",
    "prespecified-secondary": "Prespecified secondary analysis",
    "plan-not-reported": "Not reported whether prespecified",
    "post-hoc": "Post hoc",
    "subgroup": "Subgroup only",
    "single-group": "Single group, no comparison",
    "external-controls": "Against external controls",
    "between-treated": "Between treated groups",
    "pooled": "Pooled estimate",
}
"""Badge code -> label: what kind of study and result a number comes from. Codes in
WARNING_BADGES mark a value that is not a prespecified comparison with a control group."""
WARNING_BADGES = frozenset(
    {"post-hoc", "subgroup", "single-group", "external-controls", "between-treated"}
)


@dataclass(frozen=True)
class Headline:
    """The result shown for a study in comparison tables: a between-group effect, else a
    single-group value, with badges that say what kind of result it is."""

    study: Study
    effect: Effect | None = None
    value: GroupValue | None = None
    badges: tuple[str, ...] = ()

    @property
    def outcome(self) -> Outcome | None:
        chosen = self.effect or self.value
        return self.study.outcome(chosen.outcome) if chosen else None


def comparison_class(study: Study, effect: Effect) -> str:
    """'control' (concurrent control group), 'external' or 'treated' (both sides treated)."""
    roles = {study.arm(a).role for a in effect.comparator}
    if roles <= concurrent_controls():
        return "control"
    if roles <= control_roles():
        return "external"
    return "treated"


BLINDED = frozenset({"single", "double", "triple", "quadruple", "outcome-assessor"})
"""Masking values that mean someone was blinded (not 'none' or 'not reported')."""


def study_badges(study: Study) -> tuple[str, ...]:
    """Design badges of a study: randomised or not, blinded, placebo or sham controlled.
    (None for a review: its estimate pools studies of several designs.)"""
    if is_pooled(study):
        return ()
    badges = []
    if study.design and study.design.allocation == "randomised":
        badges.append("randomised")
    elif study.arms and any(a.role in control_roles() for a in study.arms):
        badges.append("not-randomised")
    if study.design and study.design.masking in BLINDED:
        badges.append("blinded")
    if any(a.role in ("placebo", "sham") for a in study.arms):
        badges.append("placebo-sham")
    return tuple(badges)


def design_badges(study: Study, result: Effect | GroupValue) -> tuple[str, ...]:
    """Design badges for a result row: the study's design, then what kind of result it is."""
    if isinstance(result, GroupValue):
        return (*study_badges(study), "single-group")
    return (*study_badges(study), *effect_badges(study, result))


def effect_badges(study: Study, effect: Effect) -> tuple[str, ...]:
    """What a reader must know about an effect before reading it as a treatment effect."""
    badges = [effect.analysis.plan or "plan-not-reported"]
    if effect.subgroup:
        badges.append("subgroup")
    kind = comparison_class(study, effect)
    if kind == "external":
        badges.append("external-controls")
    elif kind == "treated":
        badges.append("between-treated")
    if is_pooled(study):
        badges.append("pooled")
    return tuple(badges)


_PLAN_RANK = {"prespecified-primary": 0, "prespecified-secondary": 1, None: 2, "post-hoc": 3}
_CLASS_RANK = {"control": 0, "external": 1, "treated": 2}


def _effect_rank(study: Study, effect: Effect, order: int) -> tuple[float, ...]:
    tier = 4 if effect.subgroup else _PLAN_RANK[effect.analysis.plan]
    return (
        tier,
        _CLASS_RANK[comparison_class(study, effect)],
        0 if study.outcome(effect.outcome).primary else 1,
        0 if effect.numeric else 1,
        -float(effect.months or 0),  # the end of follow-up before an interim look
        order,
    )


def _value_rank(study: Study, value: GroupValue, order: int) -> tuple[int, ...]:
    return (
        1 if value.subgroup else 0,
        0 if study.outcome(value.outcome).primary else 1,
        0 if value.numeric else 1,
        0 if study.outcome(value.outcome).domain != "safety" else 1,
        order,
    )


def _treats(study: Study, arms: Iterable[str], cell_type: str | None) -> bool:
    return cell_type is None or all(cell_type in study.arm_cell_types(a) for a in arms)


def headline(study: Study, cell_type: str | None = None) -> Headline:
    """The study's main result by rule: the prespecified primary between-group effect; else
    the best prespecified one; else (with badges) post hoc, subgroup or external
    comparisons; else a single group's value. With a cell type, only the results of arms
    given that cell type count (a multi-arm trial shows that arm's result)."""
    effects = [
        (e, i) for i, e in enumerate(study.effects) if _treats(study, e.experimental, cell_type)
    ]
    if effects:
        best, _ = min(effects, key=lambda pair: _effect_rank(study, *pair))
        return Headline(study, effect=best, badges=effect_badges(study, best))
    values = [(v, i) for i, v in enumerate(study.group_values) if _treats(study, v.arms, cell_type)]
    controls = control_roles()
    treated = [(v, i) for v, i in values if all(study.arm(a).role not in controls for a in v.arms)]
    if treated:
        best_value, _ = min(treated, key=lambda pair: _value_rank(study, *pair))
        badges = ("single-group", "subgroup") if best_value.subgroup else ("single-group",)
        return Headline(study, value=best_value, badges=badges)
    return Headline(study)


def no_results_text(study: Study) -> str:
    """What a table says for a study with no result to show."""
    if reporting_gap(study):
        return "Completed over a year before its status was checked; no results found"
    posted = dict(study.dates.entries).get("results_posted") if study.dates else None
    if posted and study.evidence_kind in awaiting_results():
        return f"Results posted on the registry on {posted}; not yet recorded on this site"
    text = annotated("evidence_kind", "x-no-results-yet").get(study.evidence_kind)
    if text:
        return str(text)
    return "No results recorded"


# --- participants, counted once ----------------------------------------------------------

REPORTING_AGAIN = frozenset({"follow-up-of", "secondary-analysis-of"})
"""Relations whose record re-reports participants already counted in the other record."""


def count_participants(studies: Iterable[Study]) -> int:
    """Children enrolled in primary studies, each counted once.

    Reviews re-analyse other studies' children. Reports of one trial (sharing `trial`) count
    the trial once: the sum of its distinct arms (an arm shared by two reports, such as one
    control group, counts once), or its largest enrolment when arm sizes are missing. A
    follow-up or secondary analysis outside a shared trial adds no one. External and
    historical controls are not participants of the study.
    """
    trials: dict[str, list[Study]] = defaultdict(list)
    for study in studies:
        if is_pooled(study):
            continue
        if study.trial is None and any(r.relation in REPORTING_AGAIN for r in study.related):
            continue
        trials[study.trial.id if study.trial else f"record:{study.id}"].append(study)
    enrolled = concurrent_controls() | {"experimental"}
    total = 0
    for reports in trials.values():
        arms: dict[str, int] = {}
        complete = True
        for study in reports:
            for arm in study.arms:
                if arm.role not in enrolled:
                    continue
                if arm.n is None:
                    complete = False
                else:
                    arms.setdefault(arm.id, arm.n)
        by_arms = sum(arms.values()) if complete else 0
        total += max(by_arms, max((s.enrolled or 0 for s in reports), default=0))
    return total


@dataclass(frozen=True)
class Site:
    """Everything the templates need, gathered before any page is rendered."""

    studies: tuple[Study, ...]
    by_id: dict[str, Study]
    by_condition: dict[str, tuple[Study, ...]]
    by_cell_type: dict[str, tuple[Study, ...]]
    links: dict[str, tuple[Link, ...]]
    kind_counts: dict[str, int]
    latest: tuple[Study, ...]
    site_url: str
    """The site's address ending in '/', or "" while unset (then no absolute links are made)."""
    repository: str
    """The repository's https address, or "" while unset (then no links to it are made)."""
    outcomes: dict[str, dict[str, DomainResults]]
    harms: tuple[HarmRow, ...]
    harms_no_results: tuple[Study, ...]
    """Registered trials with no results and no safety section: listed apart from the table."""
    bibliography: tuple[BibEntry, ...]
    news: tuple[NewsItem, ...]
    events: tuple[EvidenceEvent, ...]
    map_cell_types: Grid
    map_routes: Grid
    map_kinds: Grid
    headlines: dict[tuple[str, str | None], Headline]
    trials: dict[str, tuple[Study, ...]]
    included_in: dict[str, tuple[Study, ...]]
    participants: int
    key_messages: dict[tuple[str, str | None], KeyMessage]
    summary: dict[str, tuple[SofRow, ...]]
    open_trials: tuple[Study, ...]
    open_by_condition: dict[str, tuple[Study, ...]]
    harm_summaries: dict[str, HarmSummary]
    editorial: Editorial
    last_updated: str
    glossary: tuple[GlossaryTerm, ...] = field(default=())

    @property
    def section_words(self) -> int:
        """Words one section of a page may hold (see section_words)."""
        return section_words(len(self.studies))

    def fits(self, most: int, words_each: int) -> int:
        """How many items of about words_each words one section may hold, at most `most`."""
        return max(1, min(most, self.section_words // max(1, words_each)))

    def section_rows(self, table: str) -> int:
        """Rows of a long table (a ROW_WORDS kind) in one section on this site: at most
        SECTION_ROWS, fewer on a large site, so that each section stays searchable."""
        return max(10, self.fits(SECTION_ROWS, ROW_WORDS[table]))

    def headline(self, study: Study, cell_type: str | None = None) -> Headline:
        return self.headlines[(study.id, cell_type)]

    def other_reports(self, study: Study) -> tuple[Study, ...]:
        """Other records that report the same trial."""
        if study.trial is None:
            return ()
        return tuple(s for s in self.trials[study.trial.id] if s.id != study.id)

    def trials_among(self, studies: Iterable[Study]) -> tuple[tuple[Study, ...], ...]:
        """Groups of two or more of these studies that report one trial (to flag on a page)."""
        return trials_among(studies)

    def shared_arms(self, study: Study) -> tuple[tuple[str, tuple[Study, ...]], ...]:
        """(arm label, other reports that include that same arm) for each shared arm."""
        shared = []
        for arm in study.arms:
            others = tuple(s for s in self.other_reports(study) if arm.id in {a.id for a in s.arms})
            if others:
                shared.append((arm.label, others))
        return tuple(shared)


def collate_site(
    studies: list[Study],
    glossary: tuple[GlossaryTerm, ...] = (),
    editorial: Editorial | None = None,
    *,
    site_url: str,
    repository: str = "",
) -> Site:
    """Group and cross-link the studies; order everything deterministically.

    `site_url` (from mkdocs.yml, ending in '/') makes the absolute links that the feed and
    the structured data need.
    """
    ordered = tuple(sorted(studies, key=lambda s: (s.short_name.casefold(), s.id)))
    by_id = {s.id: s for s in ordered}
    by_condition: dict[str, list[Study]] = {c: [] for c in labels("condition")}
    by_cell_type: dict[str, list[Study]] = {c: [] for c in labels("cell_type")}
    relation_label = labels("relation")
    inverse_label = annotated("relation", "x-inverse")
    links: dict[str, dict[tuple[str, str], Link]] = defaultdict(dict)
    trials: dict[str, list[Study]] = defaultdict(list)
    included_in: dict[str, list[Study]] = defaultdict(list)
    headlines: dict[tuple[str, str | None], Headline] = {}
    for study in ordered:
        for condition in study.conditions:
            by_condition[condition].append(study)
        for cell_type in study.cell_types:
            by_cell_type[cell_type].append(study)
            headlines[(study.id, cell_type)] = headline(study, cell_type)
        headlines[(study.id, None)] = headline(study)
        for rel in study.related:
            other = by_id[rel.id]
            forward, backward = relation_label[rel.relation], inverse_label[rel.relation]
            links[study.id][(forward, other.id)] = Link(forward, other)
            links[other.id][(backward, study.id)] = Link(backward, study)
        if study.trial:
            trials[study.trial.id].append(study)
        for included in study.pooled.includes if study.pooled else ():
            if included.record:
                included_in[included.record].append(study)
    editorial = editorial or Editorial()
    counts = Counter(s.evidence_kind for s in ordered)
    harms = collate_harms(s for s in ordered if not no_results_yet(s))
    findings = {(f.condition, f.domain): f for f in editorial.findings}
    opened = open_statuses()
    dates = [s.last_reviewed for s in ordered] + [m.updated for m in editorial.key_messages]
    latest = sorted(ordered, key=lambda s: (s.last_reviewed, s.id), reverse=True)[:LATEST_COUNT]
    return Site(
        studies=ordered,
        by_id=by_id,
        by_condition={k: tuple(v) for k, v in by_condition.items()},
        by_cell_type={k: tuple(v) for k, v in by_cell_type.items()},
        links={
            k: tuple(sorted(v.values(), key=lambda link: (link.label, link.study.short_name)))
            for k, v in links.items()
        },
        kind_counts={k: counts[k] for k in labels("evidence_kind") if counts[k]},
        latest=tuple(latest),
        site_url=site_url,
        repository=repository,
        outcomes=collate_outcomes(ordered),
        harms=harms,
        harms_no_results=tuple(s for s in ordered if no_results_yet(s)),
        bibliography=collate_bibliography(ordered),
        news=collate_news(ordered),
        events=collate_events(ordered),
        map_cell_types=collate_map(
            ordered,
            [
                *labels("cell_type"),
                *([NO_CELL_TYPE] if any(not s.cell_types for s in ordered) else []),
            ],
            "cell_type",
        ),
        map_routes=collate_map(ordered, map_routes(ordered), "route"),
        map_kinds=collate_map(ordered, labels("evidence_kind"), "evidence_kind"),
        headlines=headlines,
        trials={k: tuple(v) for k, v in trials.items()},
        included_in={k: tuple(v) for k, v in included_in.items()},
        participants=count_participants(ordered),
        key_messages=key_messages_by_place(editorial),
        summary=collate_summary(ordered, findings),
        open_trials=tuple(s for s in ordered if s.status in opened),
        open_by_condition={
            c: tuple(s for s in v if s.status in opened) for c, v in by_condition.items()
        },
        harm_summaries={c: summarise_harms(v) for c, v in by_condition.items()},
        editorial=editorial,
        last_updated=max(dates, default="1970-01-01"),
        glossary=tuple(sorted(glossary, key=lambda t: t.term.casefold())),
    )


def trials_among(studies: Iterable[Study]) -> tuple[tuple[Study, ...], ...]:
    """Groups of two or more of the given studies that report one trial, in order."""
    by_trial: dict[str, list[Study]] = defaultdict(list)
    for study in studies:
        if study.trial and study not in by_trial[study.trial.id]:
            by_trial[study.trial.id].append(study)
    return tuple(tuple(group) for group in by_trial.values() if len(group) > 1)


# --- outcome comparisons -------------------------------------------------------------------


def ratio_measures() -> frozenset[str]:
    """Measures whose line of no effect is 1 and which are drawn on a log scale."""
    return having("measure", "x-ratio")


def direction(outcome: Outcome) -> str | None:
    """Which direction is better: the outcome's own, else its instrument's."""
    if outcome.direction:
        return outcome.direction
    found = annotated("instrument", "x-direction").get(outcome.instrument or "")
    return str(found) if found else None


def _words(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _what(outcome: Outcome) -> str:
    # An instrument names the construct; without one, only outcomes of the same name compare.
    if outcome.instrument:
        return f"{outcome.instrument}:{_words(outcome.subscale)}"
    return f"name:{_words(outcome.name)}"


def _when(months: Number | None, time_point: str | None) -> str:
    return f"m{float(months)!r}" if months is not None else _words(time_point)


@dataclass(frozen=True)
class EffectRow:
    """One comparison between groups, with what a table needs to show beside it."""

    study: Study
    outcome: Outcome
    effect: Effect
    certainty: Certainty | None
    badges: tuple[str, ...]


@dataclass(frozen=True)
class EffectGroup:
    """Comparisons that share construct, time, scale, measure, kind of comparator, direction
    and pooling: the only ones ever set side by side or drawn in one plot."""

    outcome: Outcome  # the first row's outcome: instrument, subscale and name for headings
    months: Number | None
    time_point: str | None
    scale: str | None
    measure: str | None
    comparison: str  # "control", "external" or "treated"
    pooled: bool
    direction: str | None
    rows: tuple[EffectRow, ...]

    @property
    def plotted(self) -> tuple[EffectRow, ...]:
        """Rows a forest plot draws: at least two estimates against control groups."""
        rows = tuple(r for r in self.rows if r.effect.numeric)
        return rows if self.comparison != "treated" and len(rows) >= 2 else ()

    @property
    def shared_trials(self) -> tuple[tuple[Study, ...], ...]:
        """Reports of one trial among the rows: their estimates share children (e.g. one
        control group) and are not independent."""
        return trials_among(r.study for r in self.rows)

    @property
    def ci_levels(self) -> tuple[Number, ...]:
        """Distinct interval levels of the rows with an interval."""
        return tuple(dict.fromkeys(r.effect.ci_level for r in self.rows if r.effect.ci))


@dataclass(frozen=True)
class ValueRow:
    study: Study
    outcome: Outcome
    value: GroupValue


@dataclass(frozen=True)
class ValueGroup:
    """Single-group values that share construct, time, statistic and scale (never plotted)."""

    outcome: Outcome
    months: Number | None
    time_point: str | None
    statistic: str | None
    scale: str | None
    rows: tuple[ValueRow, ...]


@dataclass(frozen=True)
class WordedRow:
    """A result reported in words only (an effect or a group value without a number)."""

    study: Study
    outcome: Outcome
    effect: Effect | None = None
    value: GroupValue | None = None

    @property
    def result(self) -> Effect | GroupValue:
        found = self.effect or self.value
        assert found is not None
        return found


@dataclass(frozen=True)
class DomainResults:
    """All results of one condition in one outcome domain, kept apart by kind."""

    condition: str
    domain: str
    effects: tuple[EffectGroup, ...]
    pooled: tuple[EffectGroup, ...]
    values: tuple[ValueGroup, ...]
    worded: tuple[WordedRow, ...]

    @property
    def studies(self) -> int:
        found = {r.study.id for g in (*self.effects, *self.pooled) for r in g.rows}
        found |= {r.study.id for g in self.values for r in g.rows}
        return len(found | {r.study.id for r in self.worded})

    @property
    def count(self) -> int:
        groups: tuple[EffectGroup | ValueGroup, ...] = (*self.effects, *self.pooled, *self.values)
        return sum(len(g.rows) for g in groups) + len(self.worded)


EffectKey = tuple[int, str, str, str, str, bool, str, str]
ValueKey = tuple[str, str, str, str]


def _effect_key(study: Study, outcome: Outcome, effect: Effect) -> EffectKey:
    # Comparisons with a concurrent control group first: they are what readers come to compare.
    return (
        _CLASS_RANK[comparison_class(study, effect)],
        _what(outcome),
        _when(effect.months, effect.time_point),
        effect.scale or "",
        effect.measure or "",
        is_pooled(study),
        direction(outcome) or "",
        _words(effect.subgroup.label) if effect.subgroup else "",
    )


def collate_outcomes(studies: Iterable[Study]) -> dict[str, dict[str, DomainResults]]:
    """Condition -> domain -> its results, grouped so only like is ever set beside like."""
    effects: dict[tuple[str, str], dict[EffectKey, list[EffectRow]]] = defaultdict(dict)
    values: dict[tuple[str, str], dict[ValueKey, list[ValueRow]]] = defaultdict(dict)
    worded: dict[tuple[str, str], list[WordedRow]] = defaultdict(list)
    for study in studies:
        rated = {c.outcome: c for c in study.certainty}
        for effect in study.effects:
            outcome = study.outcome(effect.outcome)
            for condition in study.conditions:
                place = (condition, outcome.domain or "other")
                if not effect.numeric:
                    worded[place].append(WordedRow(study, outcome, effect=effect))
                    continue
                row = EffectRow(
                    study, outcome, effect, rated.get(outcome.id), design_badges(study, effect)
                )
                key = _effect_key(study, outcome, effect)
                effects[place].setdefault(key, []).append(row)
        for value in study.group_values:
            outcome = study.outcome(value.outcome)
            for condition in study.conditions:
                place = (condition, outcome.domain or "other")
                if not value.numeric:
                    worded[place].append(WordedRow(study, outcome, value=value))
                    continue
                vkey = (
                    _what(outcome),
                    _when(value.months, value.time_point),
                    value.statistic or "",
                    value.scale or "",
                )
                values[place].setdefault(vkey, []).append(ValueRow(study, outcome, value))
    found: dict[str, dict[str, DomainResults]] = {}
    for condition in labels("condition"):
        domains: dict[str, DomainResults] = {}
        for domain in labels("domain"):
            place = (condition, domain)
            if place not in effects and place not in values and place not in worded:
                continue
            groups = [_effect_group(rows) for _, rows in sorted(effects.get(place, {}).items())]
            domains[domain] = DomainResults(
                condition,
                domain,
                effects=tuple(g for g in groups if not g.pooled),
                pooled=tuple(g for g in groups if g.pooled),
                values=tuple(
                    _value_group(rows) for _, rows in sorted(values.get(place, {}).items())
                ),
                worded=tuple(worded[place]),
            )
        found[condition] = domains
    return found


def _effect_group(rows: Sequence[EffectRow]) -> EffectGroup:
    first = rows[0]
    return EffectGroup(
        outcome=first.outcome,
        months=first.effect.months,
        time_point=first.effect.time_point,
        scale=first.effect.scale,
        measure=first.effect.measure,
        comparison=comparison_class(first.study, first.effect),
        pooled=is_pooled(first.study),
        direction=direction(first.outcome),
        rows=tuple(rows),
    )


def _value_group(rows: Sequence[ValueRow]) -> ValueGroup:
    first = rows[0]
    return ValueGroup(
        outcome=first.outcome,
        months=first.value.months,
        time_point=first.value.time_point,
        statistic=first.value.statistic,
        scale=first.value.scale,
        rows=tuple(rows),
    )


# --- harms, bibliography, news -------------------------------------------------------------


def harm_kinds() -> tuple[str, ...]:
    """The harms set side by side across studies (other kinds stay on the study pages)."""
    return tuple(k for k in labels("safety_kind") if k in having("safety_kind", "x-harms-table"))


@dataclass(frozen=True)
class HarmRow:
    """Counted harms of one group of one study, by kind, as reported."""

    study: Study
    arm: str | None
    counts: dict[str, tuple[str, ...]]


SECTION_ROWS = 200
"""Rows of a long table (harms, a condition's or cell type's studies, all studies, open trials)
in one section at most. A longer table is split into sections under their own headings (a
study's rows stay together); on a large site the sections are shorter (Site.section_rows)."""

SEARCH_POSITIONS = 1 << 30
"""Zensical's search index holds 2^30 word positions, shared equally by its items (a page's
sections, one per heading with an id): one field of an item may hold 2^30 divided by the
number of items rounded up to a power of two, and one field over that stops the build
(zensical 0.0.73, search.rs, `field_limit`). So the more records, the shorter a section of
any page must be: 65,536 words on a small site, 4,096 at 10,000 records."""
SEARCH_ITEMS_PER_RECORD = 25
"""Search items a record brings, with a margin: 21.5 measured at 1,000 and at 10,000 records
(the sections of its page, about 14, and its share of the outcome pages, about 7)."""
SEARCH_ITEMS_BESIDE = 2_000
"""Items of the pages that do not grow with the records (1,638 in all at 91 records)."""
ROW_WORDS = {"studies": 200, "worded": 100, "trials": 70, "harms": 60, "list": 50}
"""Words in one row of each long table, generously: measured on synthetic records at 10,000,
103 to 167 (a condition's or cell type's studies), 51 (an outcome's results in words), 46
(open trials), 35 (harms), 33 (all studies)."""


def section_words(records: int) -> int:
    """Words one section of a page may hold on a site of this many records and stay in
    Zensical's search index, with a quarter spare."""
    items = SEARCH_ITEMS_BESIDE + SEARCH_ITEMS_PER_RECORD * records
    return (SEARCH_POSITIONS >> (items - 1).bit_length()) * 3 // 4


Row = TypeVar("Row")


def sections(rows: Sequence[Row], size: int | None = None) -> list[tuple[str | None, list[Row]]]:
    """A table's rows as (heading, rows) sections: one without a heading when it fits, else
    sections of about `size` rows (default SECTION_ROWS) headed 'Part 1 of 3: First study to
    last study (200 records)', so that a reader sees at once that the list goes on in parts.
    A row is a Study or has one as `.study` (a harms row)."""
    size = size or SECTION_ROWS
    if len(rows) <= size:
        return [(None, list(rows))]

    def study(row: Row) -> Study:
        return row if isinstance(row, Study) else row.study  # type: ignore[attr-defined]

    chunks: list[list[Row]] = [[]]
    for row in rows:
        current = chunks[-1]
        if len(current) >= size and study(current[-1]).id != study(row).id:
            chunks.append([])
        chunks[-1].append(row)
    parts: list[tuple[str | None, list[Row]]] = []
    for number, chunk in enumerate(chunks, 1):
        count = len({study(row).id for row in chunk})
        first, last = study(chunk[0]).short_name, study(chunk[-1]).short_name
        names = first if count == 1 else f"{first} to {last}"
        records = "1 record" if count == 1 else f"{count} records"
        parts.append((f"Part {number} of {len(chunks)}: {names} ({records})", chunk))
    return parts


GAP_MONTHS = 12
"""A trial completed this long before its status was read, without results, is a reporting gap."""


def reporting_gap(study: Study) -> bool:
    """A registered trial completed at least 12 months before its status was checked (or the
    record reviewed) with no results found. Dated from the record, never from today, so the
    same records give the same pages."""
    if study.evidence_kind not in awaiting_results() or study.status != "completed":
        return False
    dates = dict(study.dates.entries) if study.dates else {}
    if dates.get("results_posted"):
        return False  # posted, not yet read for this site: not "no results found"
    end = period_end(dates.get("completion") or dates.get("primary_completion"))
    checked = parse_day(study.status_checked or study.last_reviewed)
    return end is not None and checked is not None and end < months_before(checked, GAP_MONTHS)


def no_results_yet(study: Study) -> bool:
    """A registration without results: nothing to count, so not a row of dashes."""
    return study.evidence_kind in awaiting_results() and study.safety is None


def collate_harms(studies: Iterable[Study]) -> tuple[HarmRow, ...]:
    """Every study, one row per group that reports a count of a kind in the harms table (one
    row for the whole study when it counts none: the page then says "not reported")."""
    kinds = set(harm_kinds())
    rows: list[HarmRow] = []
    for study in studies:
        by_arm: dict[str | None, dict[str, list[str]]] = {}
        for event in study.safety.events if study.safety else ():
            if event.kind not in kinds or event.count is None:
                continue
            shown = count_text(event.count, event.denominator, event.unit)
            by_arm.setdefault(event.arm, {}).setdefault(event.kind, []).append(shown)
        if not by_arm:
            rows.append(HarmRow(study, None, {}))
        for arm, counts in by_arm.items():
            rows.append(HarmRow(study, arm, {k: tuple(v) for k, v in counts.items()}))
    return tuple(rows)


def count_text(count: int, denominator: int | None, unit: str | None) -> str:
    """'0 of 23 participants (none)', '3 events': a count as reported, with what it counts."""
    shown = f"{count} of {denominator}" if denominator is not None else f"{count}"
    shown += f" {unit}" if unit else ""
    return shown + (" (none)" if count == 0 else "")


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


@dataclass(frozen=True)
class EvidenceEvent:
    """Something that happened in the evidence: derived from a record's dates (registered,
    started, results posted, published) or recorded in its history."""

    date: str
    kind: str
    """The dates field (derived) or the history kind (recorded)."""
    label: str
    study: Study
    sources: tuple[str, ...]
    note: str | None = None


def study_events(study: Study) -> list[EvidenceEvent]:
    """A study's evidence events, oldest first: its dates that are events, then its history."""
    derived = date_events()
    events = []
    for name, value in study.dates.entries:
        if name not in derived:
            continue
        if name == "start" and study.status in having("status", "x-not-started"):
            continue  # a planned start is not an event yet
        label, reported_by = derived[name]
        sources = _reported_by(study, value, reported_by)
        events.append(EvidenceEvent(value, name, label, study, sources))
    history = labels("history_kind")
    events += [
        EvidenceEvent(e.date, e.kind, history[e.kind], study, (e.source,), e.note)
        for e in study.history
    ]
    return sorted(events, key=lambda e: e.date)  # stable: dates order, then history order


def _reported_by(study: Study, when: str, wanted: str | None) -> tuple[str, ...]:
    """The sources in a study's dates block that report one of its dates: for a registry's
    date (first posted, results posted) the registry entries, for a publication date the
    other sources of that year; all of them when none fits."""
    sources = study.dates.sources
    if wanted is None:
        return sources
    refs = [study.reference(s) for s in sources]
    if wanted == "registry-entry":
        chosen = [r for r in refs if r.type == "registry-entry"]
    else:
        others = [r for r in refs if r.type != "registry-entry"]
        same_year = [r for r in others if (r.date or str(r.year or "")).startswith(when[:4])]
        chosen = same_year or others
    return tuple(r.id for r in chosen) or sources


def collate_events(studies: Iterable[Study]) -> tuple[EvidenceEvent, ...]:
    """Every study's evidence events, newest first (same date: by study name, then in the
    study's own order)."""
    items = [event for study in studies for event in study_events(study)]
    return tuple(sorted(items, key=lambda e: e.date, reverse=True))


# --- evidence map --------------------------------------------------------------------------

NO_CELL_TYPE = "none-recorded"
"""Map column for records that name no cell product (e.g. a review of several)."""


MAP_DESIGNS = ("randomised", "controlled", "uncontrolled", "registered")
"""Design levels of the evidence map, strongest first (`x-map-design` of evidence kinds)."""


@dataclass(frozen=True)
class MapCell:
    """The studies in one cell of an evidence map."""

    studies: tuple[Study, ...]

    @property
    def participants(self) -> int:
        """Participants enrolled in the cell's primary studies, each counted once."""
        return count_participants(self.studies)

    @property
    def primary(self) -> tuple[Study, ...]:
        return tuple(s for s in self.studies if not is_pooled(s))

    @property
    def reviews(self) -> int:
        return sum(1 for s in self.studies if is_pooled(s))

    @property
    def uncounted(self) -> int:
        """Primary studies that give no number of children (registrations, some reports)."""
        return sum(
            1
            for s in self.primary
            if count_participants((s,)) == 0
            and not any(r.relation in REPORTING_AGAIN for r in s.related)
        )

    @property
    def design(self) -> str | None:
        """The strongest design among the primary studies (None: reviews only, or empty)."""
        levels = annotated("evidence_kind", "x-map-design")
        found = {levels.get(s.evidence_kind) for s in self.primary}
        return next((d for d in MAP_DESIGNS if d in found), None)


Grid = dict[str, dict[str, MapCell]]


def _map_keys(study: Study, column_of: str) -> tuple[str, ...]:
    if column_of == "cell_type":
        return study.cell_types or (NO_CELL_TYPE,)
    if column_of == "route":  # a study of several routes counts in each; none: not mapped
        return tuple(dict.fromkeys(i.route for i in study.interventions))
    return (study.evidence_kind,)


def map_routes(studies: Iterable[Study]) -> list[str]:
    """Routes that some study used, in vocabulary order (the route map's columns)."""
    used = {i.route for s in studies for i in s.interventions}
    return [r for r in labels("route") if r in used]


def collate_map(studies: Iterable[Study], columns: Iterable[str], column_of: str) -> Grid:
    """Condition x (cell type | route | evidence kind): every cell present, empty ones too."""
    cells: dict[tuple[str, str], list[Study]] = defaultdict(list)
    for study in studies:
        keys = _map_keys(study, column_of)
        for condition in study.conditions:
            for key in keys:
                cells[(condition, key)].append(study)
    wanted = tuple(columns)
    return {
        condition: {col: MapCell(tuple(cells.get((condition, col), ()))) for col in wanted}
        for condition in labels("condition")
    }


# --- answers first: key messages, summary of findings, open trials, harms summary ----------


def open_statuses() -> frozenset[str]:
    """Statuses of trials a family could ask about: open, about to open, or still running."""
    return having("status", "x-open") | {"active-not-recruiting"}


@dataclass(frozen=True)
class SofEstimate:
    """One estimate in a summary-of-findings row: a pooled estimate, or a prespecified primary
    randomised result."""

    study: Study
    effect: Effect
    badges: tuple[str, ...]


@dataclass(frozen=True)
class SofRow:
    """A summary-of-findings row: one outcome domain of one condition."""

    domain: str
    trials: tuple[Study, ...]
    """Randomised trials with a comparison in this domain."""
    participants: int
    estimates: tuple[SofEstimate, ...]
    pooled: bool
    finding: Finding | None
    certainty: tuple[tuple[Study, Certainty], ...]

    @property
    def blinded(self) -> int:
        return sum(1 for s in self.trials if "blinded" in study_badges(s))

    @property
    def placebo_sham(self) -> int:
        return sum(1 for s in self.trials if "placebo-sham" in study_badges(s))


def collate_summary(
    studies: Sequence[Study], findings: dict[tuple[str, str], Finding]
) -> dict[str, tuple[SofRow, ...]]:
    """Condition -> one row per outcome domain with randomised or pooled comparisons.

    The best available estimate is a review's pooled estimate where one exists, else each
    randomised trial's prespecified primary comparison in the domain (Cochrane's summary of
    findings, without a GRADE rating the site does not have)."""
    trials: dict[tuple[str, str], dict[str, Study]] = defaultdict(dict)
    pooled: dict[tuple[str, str], list[SofEstimate]] = defaultdict(list)
    primary: dict[tuple[str, str], list[SofEstimate]] = defaultdict(list)
    rated: dict[tuple[str, str], list[tuple[Study, Certainty]]] = defaultdict(list)
    for study in studies:
        review = is_pooled(study)
        randomised = study.evidence_kind == "randomised-trial"
        if not (review or randomised):
            continue
        by_outcome = {c.outcome: c for c in study.certainty}
        for effect in study.effects:
            if comparison_class(study, effect) == "treated" or effect.subgroup:
                continue
            outcome = study.outcome(effect.outcome)
            for condition in study.conditions:
                place = (condition, outcome.domain or "other")
                if outcome.id in by_outcome:
                    rated[place].append((study, by_outcome[outcome.id]))
                estimate = SofEstimate(study, effect, design_badges(study, effect))
                if review:
                    if effect.numeric:
                        pooled[place].append(estimate)
                    continue
                trials[place][study.id] = study
                if effect.analysis.plan == "prespecified-primary":
                    primary[place].append(estimate)
    rows: dict[str, list[SofRow]] = defaultdict(list)
    for condition in labels("condition"):
        for domain in labels("domain"):
            place = (condition, domain)
            if place not in trials and place not in pooled:
                continue
            in_trials = tuple(trials[place].values())
            best = pooled.get(place) or primary.get(place, [])
            rows[condition].append(
                SofRow(
                    domain=domain,
                    trials=in_trials,
                    participants=count_participants(in_trials),
                    estimates=tuple(best),
                    pooled=bool(pooled.get(place)),
                    finding=findings.get(place),
                    certainty=tuple(dict.fromkeys(rated.get(place, []))),
                )
            )
    return {k: tuple(v) for k, v in rows.items()}


@dataclass(frozen=True)
class HarmSummary:
    """What the records say about harms for one condition, counted from the data."""

    studies: int
    """Records of primary studies with a safety section."""
    participants: int
    """Children in those studies, counted once."""
    counted_serious: int
    """Studies that give a count of serious adverse events."""
    with_serious: int
    """... of which counted one or more."""
    counted_related: int
    """Studies that give a count of events judged related to the treatment."""
    with_related: int
    follow_up: tuple[str, ...]
    """The follow-up periods the studies state, as written."""


def summarise_harms(studies: Iterable[Study]) -> HarmSummary:
    primary = [s for s in studies if s.safety and not is_pooled(s)]
    serious: dict[str, int] = {}
    related: dict[str, int] = {}
    for study in primary:
        assert study.safety is not None
        for event in study.safety.events:
            if event.count is None:
                continue
            if event.kind == "serious-adverse-events":
                serious[study.id] = serious.get(study.id, 0) + event.count
            elif event.kind == "treatment-related-adverse-events":
                related[study.id] = related.get(study.id, 0) + event.count
    follow_up = tuple(
        dict.fromkeys(s.safety.follow_up for s in primary if s.safety and s.safety.follow_up)
    )
    return HarmSummary(
        studies=len(primary),
        participants=count_participants(primary),
        counted_serious=len(serious),
        with_serious=sum(1 for n in serious.values() if n),
        counted_related=len(related),
        with_related=sum(1 for n in related.values() if n),
        follow_up=follow_up,
    )


def key_messages_by_place(editorial: Editorial) -> dict[tuple[str, str | None], KeyMessage]:
    return {(m.condition, m.cell_type): m for m in editorial.key_messages}
