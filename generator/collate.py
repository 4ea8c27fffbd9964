"""Collate stage: gather cross-study views (groupings, reverse links, counts) before rendering.

Everything here is computed once, in time linear in the number of records, so that rendering
a page never has to look at every other record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from generator.model import GlossaryTerm, Study
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
    glossary: tuple[GlossaryTerm, ...] = field(default=())

    @property
    def participants(self) -> int:
        """Participants enrolled in primary studies (reviews are left out: they re-count)."""
        return sum(s.enrolled or 0 for s in self.studies if s.evidence_kind not in POOLED_KINDS)


POOLED_KINDS = frozenset({"ipd-meta-analysis", "systematic-review"})


def collate_site(studies: list[Study], glossary: tuple[GlossaryTerm, ...] = ()) -> Site:
    """Group and cross-link the studies; order everything deterministically."""
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
        glossary=tuple(sorted(glossary, key=lambda t: t.term.casefold())),
    )
