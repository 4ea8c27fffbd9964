"""Downloads and machine-readable views: BibTeX, RIS, CSL-JSON, the dataset as JSON and CSV,
schema.org JSON-LD for study pages, and the Atom feed.

Pure string builders (rendering stage). Each format escapes record text by its own rules:
whitespace is flattened wherever a newline could start a new field, and the JSON inside an
HTML <script> element cannot close it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from generator.collate import EvidenceEvent, Site, comparison_class, direction, is_pooled
from generator.model import Effect, GroupValue, Reference, Study, unpack
from generator.schema import annotated, having, labels

# --- names ---------------------------------------------------------------------------------

_INITIALS = re.compile(r"^[A-Z][A-Za-z]{0,2}$")


def split_name(author: str) -> tuple[str, str] | None:
    """('Novak', 'I') for an AMA-style 'Novak I'; None for a group name such as a consortium."""
    parts = author.split()
    if len(parts) >= 2 and _INITIALS.match(parts[-1]) and parts[-1][0].isupper():
        return " ".join(parts[:-1]), parts[-1]
    return None


def _flat(value: object) -> str:
    return " ".join(str(value).split())


# --- CSL-JSON ------------------------------------------------------------------------------


def csl_item(ref: Reference, key: str) -> dict[str, Any]:
    """One reference as a CSL-JSON item (the format Zotero and pandoc read)."""
    csl_type = annotated("reference_type", "x-csl-type")[ref.type]
    item: dict[str, Any] = {"id": key, "type": csl_type, "title": _flat(ref.title)}
    authors = []
    for name in ref.authors:
        split = split_name(name)
        authors.append({"family": split[0], "given": split[1]} if split else {"literal": name})
    if authors:
        item["author"] = authors
    if ref.journal:
        item["container-title"] = _flat(ref.journal)
    if ref.year is not None:
        item["issued"] = {"date-parts": [[int(p) for p in (ref.date or str(ref.year)).split("-")]]}
    for field, value in (
        ("volume", ref.volume),
        ("issue", ref.issue),
        ("page", ref.pages),
        ("DOI", ref.doi),
        ("PMID", ref.pmid),
        ("PMCID", ref.pmcid),
        ("URL", ref.url),
        ("number", ref.registry_id),
        ("note", ref.note),
    ):
        if value:
            item[field] = _flat(value)
    return item


def csl_json(study: Study) -> str:
    items = [csl_item(ref, cite_key(study, ref)) for ref in study.references]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def cite_key(study: Study, ref: Reference) -> str:
    """A citation key unique on the site: record id and reference id."""
    return f"{study.id}:{ref.id}"


# --- BibTeX --------------------------------------------------------------------------------

BIBTEX_TYPE = {"article-journal": "article", "paper-conference": "inproceedings"}
_BIBTEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_text(value: object) -> str:
    """Escape a value for a braced BibTeX field: every brace and LaTeX special is neutral."""
    escaped = "".join(_BIBTEX_SPECIAL.get(c, c) for c in _flat(value))
    return re.sub("-(?=-)", "-{}", escaped)  # LaTeX would print "--" as a dash


def bibtex_entry(ref: Reference, key: str) -> str:
    item = csl_item(ref, key)
    kind = BIBTEX_TYPE.get(item["type"], "misc")
    fields: list[tuple[str, str]] = [("title", bibtex_text(ref.title))]
    if ref.authors:
        names = []
        for name in ref.authors:
            split = split_name(name)
            names.append(
                f"{bibtex_text(split[0])}, {bibtex_text(split[1])}"
                if split
                else f"{{{bibtex_text(name)}}}"
            )
        fields.append(("author", " and ".join(names)))
    if ref.journal:
        fields.append(
            ("booktitle" if kind == "inproceedings" else "journal", bibtex_text(ref.journal))
        )
    if ref.year is not None:
        fields.append(("year", str(ref.year)))
    for name, value in (
        ("volume", ref.volume),
        ("number", ref.issue),
        ("pages", ref.pages),
        ("doi", ref.doi),
        ("pmid", ref.pmid),
        ("pmcid", ref.pmcid),
        ("url", ref.url),
        ("note", ref.registry_id and f"Registry identifier {ref.registry_id}"),
    ):
        if value:
            fields.append((name, bibtex_text(value)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def bibtex(study: Study) -> str:
    return "\n".join(bibtex_entry(ref, cite_key(study, ref)) for ref in study.references)


# --- RIS -----------------------------------------------------------------------------------

RIS_TYPE = {
    "article-journal": "JOUR",
    "paper-conference": "CPAPER",
    "webpage": "ELEC",
    "article": "UNPB",
}


def ris_record(ref: Reference, key: str) -> str:
    item = csl_item(ref, key)
    lines = [("TY", RIS_TYPE[item["type"]]), ("ID", key), ("TI", _flat(ref.title))]
    lines += [("AU", _flat(a)) for a in ref.authors]
    for tag, value in (
        ("JO", ref.journal),
        ("PY", ref.year),
        ("VL", ref.volume),
        ("IS", ref.issue),
        ("SP", ref.pages),
        ("DO", ref.doi),
        ("UR", ref.url),
        ("AN", ref.pmid and f"PMID:{ref.pmid}"),
        ("N1", ref.registry_id and f"Registry identifier {ref.registry_id}"),
    ):
        if value:
            lines.append((tag, _flat(value)))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + "\n" for tag, value in lines)


def ris(study: Study) -> str:
    return "\n".join(ris_record(ref, cite_key(study, ref)) for ref in study.references)


# --- dataset -------------------------------------------------------------------------------

DATA_LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
"""The licence of the records, the site's text and the downloads (LICENSE-DATA)."""


DATASET_FORMAT = 2
"""Version of the record format in the downloads (the schema's `x-format`)."""


def dataset_json(site: Site) -> str:
    """Every record exactly as validated (the shape of study.schema.json), sorted by id.

    Numbers keep the digits the source printed (2.30, not 2.3): JSON numbers may be written
    so, and a reader that cares can keep them (see model.record_json).
    """
    return "".join(dataset_json_parts(site))


def dataset_json_parts(site: Site) -> Iterator[str]:
    """dataset_json in parts, a record at a time (at 10,000 records the whole is 100 MB)."""
    head = {
        "format": DATASET_FORMAT,
        "schema": "study.schema.json",
        "site": site.site_url or None,
        "licence": {"name": DATA_LICENCE, "url": DATA_LICENCE_URL},
    }
    # One record a line: readable with line tools and diffs, and written by json's C encoder
    # (an indented dump takes the pure-Python one, a tenth of the speed: 0.7 s at 1,000).
    yield json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "records": [\n  '
    for index, study in enumerate(sorted(site.studies, key=lambda s: s.id)):
        yield (",\n  " if index else "") + study.record_json
    yield "\n ]\n}\n"


CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Record id; the study page is studies/ID/ on the site."),
    ("short_name", "Short name of the study."),
    ("title", "Full title."),
    ("evidence_kind", "Kind of evidence (schema code)."),
    ("status", "Status (schema code)."),
    ("status_checked", "Date the status was last read in its source."),
    ("phase", "Trial phase (schema code), if any."),
    ("trial", "Trial id shared by the records that report one trial, if any."),
    ("conditions", "Conditions studied (schema codes, separated by '; ')."),
    ("cell_types", "Cell types given (schema codes, separated by '; ')."),
    ("routes", "Routes of administration (schema codes, separated by '; ')."),
    (
        "arm_roles",
        "Roles of the arms (schema codes, separated by '; '), e.g. experimental; placebo.",
    ),
    ("enrolled", "Participants actually enrolled (for reviews: participants analysed)."),
    ("planned", "Planned participants (target or estimated)."),
    ("age", "Age of the participants as reported."),
    ("eligible_age", "Ages the study accepted."),
    ("registrations", "Registry ids, separated by '; '."),
    ("main_doi", "DOI of the first (main) reference, if any."),
    ("main_pmid", "PMID of the first (main) reference, if any."),
    ("references", "Number of references in the record."),
    ("group_values", "Number of single-group values recorded."),
    ("effects", "Number of between-group comparisons recorded."),
    ("last_reviewed", "Date the record was last checked against its sources."),
    ("page", "Address of the study page."),
)
"""CSV columns with their meaning (documented on the downloads page)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Flattened text; a leading ' keeps a spreadsheet from running text as a formula.

    Numbers are written as numbers (a negative one keeps its minus sign)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return plain_number(value)
    shown = _flat(value) if value is not None else ""
    return "'" + shown if shown.startswith(_FORMULA_START) else shown


def plain_number(value: int | float | Decimal) -> str:
    """A number for machines: as printed for a Decimal, shortest round-trip for a float."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return repr(value) if isinstance(value, float) else str(value)


def _csv_row(study: Study, site_url: str) -> list[str]:
    main = study.references[0]
    population = study.population
    values: dict[str, object] = {
        "id": study.id,
        "short_name": study.short_name,
        "title": study.title,
        "evidence_kind": study.evidence_kind,
        "status": study.status,
        "status_checked": study.status_checked,
        "phase": study.phase,
        "trial": study.trial.id if study.trial else None,
        "conditions": "; ".join(study.conditions),
        "cell_types": "; ".join(study.cell_types),
        "routes": "; ".join(dict.fromkeys(i.route for i in study.interventions)),
        "arm_roles": "; ".join(dict.fromkeys(a.role for a in study.arms)),
        "enrolled": study.enrolled,
        "planned": study.planned,
        "age": population.age if population else None,
        "eligible_age": population.eligible_age if population else None,
        "registrations": "; ".join(r.id for r in study.registrations),
        "main_doi": main.doi,
        "main_pmid": main.pmid,
        "references": len(study.references),
        "group_values": len(study.group_values),
        "effects": len(study.effects),
        "last_reviewed": study.last_reviewed,
        "page": f"{site_url}studies/{study.id}/",
    }
    return [csv_cell(values[name]) for name, _ in CSV_COLUMNS]


def dataset_csv(site: Site) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for study in sorted(site.studies, key=lambda s: s.id):
        writer.writerow(_csv_row(study, site.site_url))
    return out.getvalue()


RESULTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("study", "Record id."),
    (
        "trial",
        "Trial id when several records report one trial (a shared arm is the same children).",
    ),
    ("evidence_kind", "Kind of evidence of the record (schema code)."),
    ("row", "'group' for one arm's value, 'effect' for a comparison between arms."),
    ("outcome", "Outcome id within the record."),
    ("outcome_name", "What was measured, in plain words."),
    ("domain", "Outcome domain (schema code)."),
    ("instrument", "Instrument (schema code, versioned: gmfm-66 is not gmfm-88)."),
    ("subscale", "Part of the instrument reported."),
    ("direction", "higher-better or lower-better, when known."),
    ("outcome_role", "primary, secondary or other, as the source gives it."),
    ("time_point", "When it was measured, in the source's words."),
    ("months", "The time point in months, when the source gives one time."),
    ("arm", "Group rows: the arm id (ids separated by '; ' for arms taken together)."),
    ("arm_label", "Group rows: the arm's name."),
    ("arm_role", "Group rows: the arm's role (schema code)."),
    ("experimental", "Effect rows: arm id(s) on the treated side, separated by '; '."),
    ("comparator", "Effect rows: arm id(s) compared against, separated by '; '."),
    ("comparison", "Effect rows: control (concurrent control group), external or treated."),
    ("statistic", "Group rows: mean, median, count, events or proportion."),
    ("measure", "Effect rows: the effect measure (schema code)."),
    ("scale", "final, change or change-beyond-expected."),
    ("value", "The value or estimate, with the digits the source printed."),
    ("unit", "Unit of the value."),
    ("events", "Group rows with statistic 'events': participants with the event."),
    ("total", "Group rows with statistic 'events': participants counted."),
    ("sd", "Standard deviation."),
    ("se", "Standard error."),
    ("ci_low", "Confidence interval, lower end."),
    ("ci_high", "Confidence interval, upper end."),
    ("ci_level", "Confidence level in percent (95 unless stated)."),
    ("iqr_low", "Interquartile range, lower end."),
    ("iqr_high", "Interquartile range, upper end."),
    ("range_low", "Range, lowest."),
    ("range_high", "Range, highest."),
    ("n", "Participants in the value or analysis."),
    ("p", "P value exactly as printed."),
    ("plan", "prespecified-primary, prespecified-secondary or post-hoc; empty when not reported."),
    ("population", "Analysis population (itt, per-protocol, ...)."),
    ("adjusted", "true when the estimate is adjusted."),
    ("subgroup", "Subgroup label, when the value is for a subgroup."),
    ("subgroup_prespecified", "true when the source says the subgroup was planned."),
    ("pooled", "true for a pooled estimate of a review or meta-analysis."),
    ("pooled_studies", "Number of studies a pooled estimate pools."),
    ("i2", "Heterogeneity I² (%) of a pooled estimate."),
    ("obtained", "as-reported, computed (see formula) or secondary-source."),
    ("formula", "How a computed value was computed."),
    ("statement", "The result in words (for results without a number, and context)."),
    ("note", "Shown beside the value, e.g. that the source prints it inconsistently."),
    ("source", "Reference id within the record."),
    ("source_doi", "DOI of that reference."),
    ("source_pmid", "PMID of that reference."),
    ("source_registry", "Registry id of that reference."),
    ("locator", "Where in the source the value is (table, figure, page)."),
)
"""Columns of the long-format results table (one row per group value and per effect)."""


def _result_row(study: Study, result: GroupValue | Effect) -> list[str]:
    outcome = study.outcome(result.outcome)
    ref = study.reference(result.source)
    values: dict[str, object] = {
        "study": study.id,
        "trial": study.trial.id if study.trial else None,
        "evidence_kind": study.evidence_kind,
        "outcome": outcome.id,
        "outcome_name": outcome.name,
        "domain": outcome.domain,
        "instrument": outcome.instrument,
        "subscale": outcome.subscale,
        "direction": direction(outcome),
        "outcome_role": outcome.role,
        "time_point": result.time_point,
        "months": result.months,
        "scale": result.scale,
        "value": result.value,
        "unit": result.unit,
        "ci_low": result.ci[0] if result.ci else None,
        "ci_high": result.ci[1] if result.ci else None,
        "ci_level": result.ci_level if result.ci else None,
        "n": result.n,
        "p": result.p,
        "subgroup": result.subgroup.label if result.subgroup else None,
        "subgroup_prespecified": result.subgroup.prespecified if result.subgroup else None,
        "obtained": result.obtained,
        "formula": result.formula,
        "statement": result.statement,
        "note": result.note,
        "source": ref.id,
        "source_doi": ref.doi,
        "source_pmid": ref.pmid,
        "source_registry": ref.registry_id,
        "locator": result.locator,
    }
    if isinstance(result, GroupValue):
        values.update(
            row="group",
            arm="; ".join(result.arms),
            arm_label="; ".join(study.arm_label(a) for a in result.arms),
            arm_role="; ".join(dict.fromkeys(study.arm(a).role for a in result.arms)),
            statistic=result.statistic,
            events=result.events,
            total=result.total,
            sd=result.sd,
            se=result.se,
            iqr_low=result.iqr[0] if result.iqr else None,
            iqr_high=result.iqr[1] if result.iqr else None,
            range_low=result.range[0] if result.range else None,
            range_high=result.range[1] if result.range else None,
        )
    else:
        values.update(
            row="effect",
            experimental="; ".join(result.experimental),
            comparator="; ".join(result.comparator),
            comparison=comparison_class(study, result),
            measure=result.measure,
            plan=result.analysis.plan,
            population=result.analysis.population,
            adjusted=result.analysis.adjusted,
            pooled=is_pooled(study),
            pooled_studies=result.studies,
            i2=result.i2,
        )
    return [csv_cell(values.get(name)) for name, _ in RESULTS_COLUMNS]


def results_csv(site: Site) -> str:
    """Every group value and effect as one row (long format): R's metafor or pandas read it
    without reshaping. Sorted by record id, then in record order."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([name for name, _ in RESULTS_COLUMNS])
    for study in sorted(site.studies, key=lambda s: s.id):
        out.write(unpack(study.results_packed) if study.results_packed else result_rows(study))
    return out.getvalue()


def result_rows(study: Study) -> str:
    """One study's rows of the results download (made from the study alone, so they can be
    kept with its record between runs: see Study.results_packed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    results: tuple[GroupValue | Effect, ...] = (*study.group_values, *study.effects)
    for result in results:
        writer.writerow(_result_row(study, result))
    return out.getvalue()


def schema_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


# --- JSON-LD -------------------------------------------------------------------------------


def json_ld(study: Study, site_url: str) -> str:
    """schema.org MedicalStudy / MedicalTrial data, safe to place in a <script> element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial"
        if study.evidence_kind in having("evidence_kind", "x-trial")
        else "MedicalStudy",
        "name": _flat(study.title),
        "alternateName": _flat(study.short_name),
        "description": _flat(study.summary),
        "healthCondition": [
            {"@type": "MedicalCondition", "name": labels("condition")[c]} for c in study.conditions
        ],
        "dateModified": study.last_reviewed,
    }
    if site_url:  # no address while the site's address is unset (never a placeholder)
        data["url"] = f"{site_url}studies/{study.id}/"
    data["license"] = DATA_LICENCE_URL
    schema_org = annotated("status", "x-schema-org")
    if study.status in schema_org:
        data["status"] = f"https://schema.org/{schema_org[study.status]}"
    if study.sponsor:
        data["sponsor"] = {"@type": "Organization", "name": _flat(study.sponsor)}
    if study.registrations:
        data["identifier"] = [
            {"@type": "PropertyValue", "propertyID": labels("registry")[r.registry], "value": r.id}
            for r in study.registrations
        ]
    citations = []
    for ref in study.references:
        cited: dict[str, Any] = {"@type": "CreativeWork", "name": _flat(ref.title)}
        if ref.doi:
            cited["sameAs"] = f"https://doi.org/{ref.doi}"
        elif ref.url:
            cited["url"] = ref.url
        citations.append(cited)
    data["citation"] = citations
    text = json.dumps(data, ensure_ascii=True, sort_keys=True)
    # Inside <script>, only "</" or "<!--" could end or disturb the element: escape < > &.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- Atom ----------------------------------------------------------------------------------

FEED_ENTRIES = 50
NEWS_KIND_LABEL = {"added": "Added", "re-reviewed": "Re-reviewed", "reviewed": "Reviewed"}


def atom_id(site_url: str, path: str) -> str:
    """An Atom id: the page's address, or while the site's address is unset a name-based UUID
    URN of the path (absolute, as RFC 4287 requires, and stable)."""
    if site_url:
        return site_url + path
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"cell-therapy-evidence:{path}"))


def source_name(ref: Reference) -> str:
    """A short plain-text name of a source for lists of events: its kind and where it is,
    e.g. "Registry entry, NCT02612155" or "Peer-reviewed article, Stroke 2025"."""
    kind = labels("reference_type")[ref.type]
    if ref.registry_id:
        return f"{kind}, {ref.registry_id}"
    where = " ".join(p for p in (ref.journal, str(ref.year) if ref.year else None) if p)
    if where:
        return f"{kind}, {where}"
    title = " ".join(ref.title.split())
    return f"{kind}, {title if len(title) <= 60 else title[:59].rstrip() + '…'}"


def event_text(event: EvidenceEvent) -> str:
    """What happened, in plain text: the event's label and, for a recorded event, its note."""
    return f"{event.label}: {event.note}" if event.note else event.label


def atom_date(value: str) -> str:
    """A YYYY, YYYY-MM or YYYY-MM-DD date as an Atom timestamp (the first day it stands for)."""
    padded = value + "-01-01"[: 10 - len(value)] if len(value) < 10 else value
    return f"{padded}T00:00:00Z"


def atom_feed(site: Site, events: Sequence[EvidenceEvent]) -> str:
    """An Atom 1.0 feed (RFC 4287) of the newest evidence events, as on What's new. Links are
    relative to the feed while the site's address is unset."""
    base = site.site_url
    # The feed changes when an event is added or a record is reviewed, whichever is later.
    stamps = [atom_date(e.date) for e in events[:1]] + [
        atom_date(s.last_reviewed) for s in site.studies
    ]
    newest = max(stamps, default="1970-01-01T00:00:00Z")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{xml_escape(atom_id(base, 'feed.xml'))}</id>",
        "  <title>Cell therapy evidence: what's new</title>",
        "  <subtitle>What happened in the evidence: trials registered, started, posting "
        "results or changing status, and reports published.</subtitle>",
        f"  <updated>{newest}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(base + "feed.xml")}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(base + "whats-new/")}/>',
        f"  <rights>{xml_escape(DATA_LICENCE)}</rights>",
        "  <author><name>Cell therapy evidence editors</name></author>",
    ]
    seen: Counter[str] = Counter()
    for event in events[:FEED_ENTRIES]:
        study = event.study
        page = f"{base}studies/{study.id}/"
        key = f"{study.id}#{event.kind}-{event.date}"
        seen[key] += 1
        suffix = f"-{seen[key]}" if seen[key] > 1 else ""
        sources = "; ".join(source_name(study.reference(ref)) for ref in event.sources)
        summary = f"{_flat(event_text(event))} ({event.date}). Source: {_flat(sources)}."
        title = f"{event.label}: {_flat(study.short_name)}"
        entry_id = atom_id(base, f"studies/{study.id}/#{event.kind}-{event.date}{suffix}")
        out += [
            "  <entry>",
            f"    <id>{xml_escape(entry_id)}</id>",
            f"    <title>{xml_escape(title)}</title>",
            f"    <updated>{atom_date(event.date)}</updated>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(page)}/>',
            f"    <summary>{xml_escape(summary)}</summary>",
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"
