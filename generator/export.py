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
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from generator.collate import NewsItem, Site
from generator.model import Reference, Study
from generator.schema import labels

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

CSL_TYPE = {
    "article": "article-journal",
    "review": "article-journal",
    "commentary": "article-journal",
    "abstract": "paper-conference",
    "registry-entry": "webpage",
    "protocol": "article-journal",
    "preprint": "article",
    "institutional": "webpage",
    "commercial": "webpage",
}


def csl_item(ref: Reference, key: str) -> dict[str, Any]:
    """One reference as a CSL-JSON item (the format Zotero and pandoc read)."""
    item: dict[str, Any] = {"id": key, "type": CSL_TYPE[ref.type], "title": _flat(ref.title)}
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

DATASET_FORMAT = 1


def dataset_json(site: Site) -> str:
    """Every record exactly as validated (the shape of study.schema.json), sorted by id."""
    records = [s.record for s in sorted(site.studies, key=lambda s: s.id)]
    payload = {
        "format": DATASET_FORMAT,
        "schema": "study.schema.json",
        "site": site.site_url,
        "records": records,
    }
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Record id; the study page is studies/ID/ on the site."),
    ("short_name", "Short name of the study."),
    ("title", "Full title."),
    ("evidence_kind", "Kind of evidence (schema code)."),
    ("status", "Status (schema code)."),
    ("phase", "Trial phase (schema code), if any."),
    ("conditions", "Conditions studied (schema codes, separated by '; ')."),
    ("cell_types", "Cell types given (schema codes, separated by '; ')."),
    ("routes", "Routes of administration (schema codes, separated by '; ')."),
    ("enrolled", "Participants enrolled (for reviews: participants analysed)."),
    ("planned", "Planned participants (trials still recruiting)."),
    ("registrations", "Registry ids, separated by '; '."),
    ("main_doi", "DOI of the first (main) reference, if any."),
    ("main_pmid", "PMID of the first (main) reference, if any."),
    ("references", "Number of references in the record."),
    ("results", "Number of results recorded."),
    ("last_reviewed", "Date the record was last checked against its sources."),
    ("page", "Address of the study page."),
)
"""CSV columns with their meaning (documented on the downloads page)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Flattened text; a leading ' keeps a spreadsheet from running text as a formula."""
    shown = _flat(value) if value is not None else ""
    return "'" + shown if shown.startswith(_FORMULA_START) else shown


def _csv_row(study: Study, site_url: str) -> list[str]:
    main = study.references[0]
    values: dict[str, object] = {
        "id": study.id,
        "short_name": study.short_name,
        "title": study.title,
        "evidence_kind": study.evidence_kind,
        "status": study.status,
        "phase": study.phase,
        "conditions": "; ".join(study.conditions),
        "cell_types": "; ".join(study.cell_types),
        "routes": "; ".join(dict.fromkeys(i.route for i in study.interventions)),
        "enrolled": study.enrolled,
        "planned": study.planned,
        "registrations": "; ".join(r.id for r in study.registrations),
        "main_doi": main.doi,
        "main_pmid": main.pmid,
        "references": len(study.references),
        "results": len(study.results),
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


def schema_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


# --- JSON-LD -------------------------------------------------------------------------------

SCHEMA_ORG_STATUS = {
    "not-yet-recruiting": "NotYetRecruiting",
    "recruiting": "Recruiting",
    "active-not-recruiting": "ActiveNotRecruiting",
    "completed": "Completed",
    "terminated": "Terminated",
    "withdrawn": "Withdrawn",
}
TRIAL_KINDS = frozenset({"randomised-trial", "non-randomised-trial", "registered-trial"})


def json_ld(study: Study, site_url: str) -> str:
    """schema.org MedicalStudy / MedicalTrial data, safe to place in a <script> element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial" if study.evidence_kind in TRIAL_KINDS else "MedicalStudy",
        "name": _flat(study.title),
        "alternateName": _flat(study.short_name),
        "url": f"{site_url}studies/{study.id}/",
        "description": _flat(study.summary),
        "healthCondition": [
            {"@type": "MedicalCondition", "name": labels("condition")[c]} for c in study.conditions
        ],
        "dateModified": study.last_reviewed,
    }
    if study.status in SCHEMA_ORG_STATUS:
        data["status"] = f"https://schema.org/{SCHEMA_ORG_STATUS[study.status]}"
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


def atom_feed(site: Site, items: Sequence[NewsItem]) -> str:
    """An Atom 1.0 feed (RFC 4287) of the newest additions and re-reviews."""
    base = site.site_url
    updated = f"{items[0].date}T00:00:00Z" if items else "1970-01-01T00:00:00Z"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{xml_escape(base)}feed.xml</id>",
        "  <title>Cell therapy evidence: what's new</title>",
        "  <subtitle>Study records added to or re-reviewed on this site.</subtitle>",
        f"  <updated>{updated}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(base + "feed.xml")}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(base + "whats-new/")}/>',
        "  <author><name>Cell therapy evidence editors</name></author>",
    ]
    for item in items[:FEED_ENTRIES]:
        page = f"{base}studies/{item.study.id}/"
        title = f"{NEWS_KIND_LABEL[item.kind]}: {_flat(item.study.short_name)}"
        out += [
            "  <entry>",
            f"    <id>{xml_escape(page)}#{item.kind}-{item.date}</id>",
            f"    <title>{xml_escape(title)}</title>",
            f"    <updated>{item.date}T00:00:00Z</updated>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(page)}/>',
            f"    <summary>{xml_escape(_flat(item.study.title))}</summary>",
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"
