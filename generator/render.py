"""Render stage: the collated site -> Markdown pages, as a {relative path: text} mapping.

Pure: nothing here reads or writes files except the package's own templates. Record text is
data, never markup: every value from a record goes through `text` (or a filter built on it),
which turns every character that Markdown, its extensions or HTML could act on into a
numeric character reference. Links are built here, from validated identifiers, and only
ever point to http(s) addresses.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import jinja2

from generator import export
from generator.collate import (
    HARM_KINDS,
    NO_CELL_TYPE,
    POOLED_KINDS,
    MapCell,
    ResultGroup,
    Site,
)
from generator.errors import RenderError
from generator.forest import forest_svg
from generator.model import Certainty, Dose, Reference, Result, RiskOfBias, Study
from generator.schema import descriptions, field_docs, labels, load_schema

Pages = dict[PurePosixPath, str]

# Characters that start Markdown or extension syntax anywhere in a line. `<` and `&` are
# handled by html.escape; the rest only act at the start of a paragraph or cell.
_INLINE_CHARS = "\\`*_{}[]|~^$"
_INLINE_ACTIVE = str.maketrans({c: f"&#{ord(c)};" for c in _INLINE_CHARS})
_ACTIVE = re.compile(f"[&<>{re.escape(_INLINE_CHARS)}]")
_LINE_START = re.compile(r"^(?:[!#%)*+\-./:;=>?@\]^_`{|}~]|\d+[.)](?=\s|$))")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def text(value: Any) -> str:
    """Escape one piece of record text for inline use in Markdown (tables, headings, prose)."""
    escaped = " ".join(str(value).split())
    if _ACTIVE.search(escaped):  # most text has nothing to escape: skip the slower calls
        escaped = html.escape(escaped, quote=False).translate(_INLINE_ACTIVE)
    match = _LINE_START.match(escaped)
    if match and not escaped.startswith("&"):
        head = match.group(0)
        escaped = head[:-1] + f"&#{ord(head[-1])};" + escaped[len(head) :]
    return escaped


_TITLE_SAFE = str.maketrans({"<": "‹", ">": "›", "&": "＆", "\\": "∖"})


def page_title(value: str) -> str:
    """A page title for YAML front matter that no theme context can turn into markup.

    MkDocs themes print the page title in several places, some unescaped and some through
    `striptags` (which decodes entities), so the title must hold no `<`, `>` or `&` at all,
    not even escaped; look-alike characters keep it readable. ASCII-only JSON quoting is
    always valid YAML, so the front matter can never fail to parse and fall into the page.
    """
    flat = " ".join(value.split()).translate(_TITLE_SAFE)
    return json.dumps(flat, ensure_ascii=True)


def paragraphs(value: str) -> str:
    """Escape multi-paragraph text: blank lines separate paragraphs, other newlines are spaces."""
    blocks = [b for b in re.split(r"\n\s*\n", value.strip()) if b.strip()]
    return "\n\n".join(text(b) for b in blocks)


def cell(value: Any) -> str:
    """A table cell: escaped text, or an em dash when there is nothing to show."""
    if value is None or value == "" or value == ():
        return "—"
    return text(value)


def link(label: str, url: str) -> str:
    """A Markdown link to an http(s) address; the label is escaped, the address encoded."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"refusing to link to a non-http(s) address: {url!r}")
    safe = quote(url, safe=":/?#&=%@+,;~!$'*-._")
    for char in "()'!*$":
        safe = safe.replace(char, f"%{ord(char):02X}")
    return f"[{text(label)}]({safe})"


def number(value: float | None) -> str:
    """Format a number as reported: no float noise, counts from a million up as powers of ten."""
    if value is None:
        return "—"
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if abs(exact) < 1_000_000:
        shown = format(exact, "f")
        return shown.rstrip("0").rstrip(".") if "." in shown else shown
    sign, digits, exponent = exact.normalize().as_tuple()
    assert isinstance(exponent, int)
    power = len(digits) - 1 + exponent
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa} × 10{str(power).translate(_SUPERSCRIPT)}"


def dose(value: Dose | None) -> str:
    """A dose as text, e.g. '1–5 × 10⁷ TNC/kg' or '≥ 2 × 10⁷ TNC/kg'."""
    if value is None:
        return "—"
    if value.value is not None:
        amount = ("≥ " if value.minimum else "") + number(value.value)
    else:
        amount = f"{number(value.low)}–{number(value.high)}"
    return text(f"{amount} {value.unit}")


def estimate(result: Result) -> str:
    """Value with unit, interval and p, e.g. '1.36 points (95% CI 0.41 to 2.32); p = 0.005'."""
    if result.value is None:
        return "—"
    parts = [number(result.value) + (f" {result.unit}" if result.unit else "")]
    if result.ci:
        parts.append(
            f"({number(result.ci_level)}% CI {number(result.ci[0])} to {number(result.ci[1])})"
        )
    shown = " ".join(parts)
    if result.p:
        p = result.p
        shown += f"; p {p[0]} {p[1:]}" if p[0] in "<>=" else f"; p = {p}"
    return text(shown)


def label(value: str, vocabulary_name: str) -> str:
    """Reader-facing label of a vocabulary value (escaped)."""
    return text(labels(vocabulary_name)[value])


def describe(value: str, vocabulary_name: str) -> str:
    """Reader-facing description of a vocabulary value (escaped)."""
    return text(descriptions(vocabulary_name).get(value, ""))


REGISTRY_URL: dict[str, Callable[[str], str]] = {
    "clinicaltrials.gov": lambda i: f"https://clinicaltrials.gov/study/{i}",
    "anzctr": lambda i: f"https://www.anzctr.org.au/{i}.aspx",
    "isrctn": lambda i: f"https://www.isrctn.com/{i}",
}
"""Registries with stable public addresses per entry; the others are shown as text."""


def registration(registry: str, ident: str) -> str:
    """Registry name and id, linked to the registry where it has stable addresses."""
    make = REGISTRY_URL.get(registry)
    shown = f"{labels('registry')[registry]} {ident}"
    return link(shown, make(ident)) if make else text(shown)


def ama(ref: Reference) -> str:
    """Format a reference in AMA style, with DOI, PMID and registry links."""
    parts: list[str] = []
    if ref.authors:
        names = list(ref.authors)
        if len(names) > 6 or ref.et_al:
            names = [*names[:3], "et al"]
        parts.append(text(", ".join(names)) + ".")
    title = ref.title.rstrip()
    parts.append(text(title if title.endswith(("?", "!", ".")) else title + "."))
    if ref.journal:
        parts.append(f"*{text(ref.journal)}*.")
    parts.extend(_ama_locator(ref))
    if ref.registry_id:
        registry = "ClinicalTrials.gov" if ref.registry_id.startswith("NCT") else "Registry"
        target = ref.url or (
            f"https://clinicaltrials.gov/study/{ref.registry_id}"
            if ref.registry_id.startswith("NCT")
            else None
        )
        ident = link(ref.registry_id, target) if target else text(ref.registry_id)
        parts.append(f"{registry} identifier: {ident}.")
    if ref.doi:
        parts.append(f"doi:{link(ref.doi, 'https://doi.org/' + ref.doi)}")
    if ref.pmid:
        parts.append(f"PMID: {link(ref.pmid, f'https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/')}")
    if ref.pmcid:
        parts.append(
            f"PMCID: {link(ref.pmcid, f'https://pmc.ncbi.nlm.nih.gov/articles/{ref.pmcid}/')}"
        )
    if ref.url and not ref.registry_id and not ref.doi and not ref.pmid:
        parts.append(link(host(ref.url), ref.url))
    if ref.accessed:
        parts.append(f"Accessed {text(ref.accessed)}.")
    parts.append(f"({label(ref.type, 'reference_type')})")
    if ref.note:
        parts.append(f"— {text(ref.note)}")
    return " ".join(parts)


def _ama_locator(ref: Reference) -> list[str]:
    if ref.year is None:
        return []
    locator = str(ref.year)
    if ref.volume:
        locator += f";{text(ref.volume)}"
        if ref.issue:
            locator += f"({text(ref.issue)})"
    if ref.pages:
        locator += f":{text(ref.pages)}"
    return [locator + "."]


def host(url: str) -> str:
    """The host name of an http(s) address, used as a short link label."""
    return url.split("/")[2]


def cell_products(study: Study) -> list[str]:
    """Distinct 'cell type (tissue, donor)' descriptions of a study's interventions, escaped."""
    shown: dict[str, None] = {}
    for i in study.interventions:
        detail = [
            labels(n).get(v, v)
            for n, v in (("tissue_source", i.tissue_source), ("donor", i.donor))
            if v
        ]
        name = labels("cell_type")[i.cell_type]
        shown[text(f"{name} ({', '.join(detail)})" if detail else name)] = None
    return list(shown)


def citation(study: Study, sources: Sequence[str]) -> str:
    """A citation marker such as [1, 3] for the given reference ids, linking to the list."""
    numbers = sorted({study.reference_number(ref) for ref in sources})
    return f"[&#91;{', '.join(map(str, numbers))}&#93;](#references)"


def participants(study: Study) -> str:
    """N for tables: enrolled, else planned ('40 planned'), else a dash."""
    if study.enrolled is not None:
        return str(study.enrolled)
    if study.planned is not None:
        return f"{study.planned} planned"
    return "—"


def main_result(study: Study) -> str:
    """The result a comparison table shows: the one marked main, else a primary outcome's."""
    primary = {o.id for o in study.primary_outcomes}
    chosen = next((r for r in study.results if r.main), None) or next(
        (r for r in study.results if r.outcome in primary), None
    )
    if chosen is None:
        if study.evidence_kind == "registered-trial":
            return "Not yet reporting"
        return "See the study page" if study.results else "No results recorded"
    outcome = study.outcome(chosen.outcome)
    head = " ".join(x for x in (outcome.instrument or outcome.name, outcome.time_point) if x)
    if chosen.comparison:
        head += f" ({chosen.comparison})"
    if chosen.value is not None and (chosen.ci or not chosen.statement):
        measure = labels("effect_measure").get(chosen.effect_measure or "", "")
        return f"{text(head)}: {text(measure.lower())} {estimate(chosen)}"
    return f"{text(head)}: {text(chosen.statement)}"


# --- badges, groups and map cells (our own markup around escaped text) --------------------


def _badge(kind: str, code: str, shown: str) -> str:
    # `code` is a schema vocabulary value (validated: lower-case letters and hyphens only).
    return f'<span class="badge badge--{kind} badge--{code}">{shown}</span>'


def grade_badge(value: Certainty | None) -> str:
    """A GRADE rating as a badge, or 'Not assessed'."""
    if value is None:
        return _badge("grade", "none", "Not assessed")
    return _badge("grade", value.rating, label(value.rating, "grade"))


def grade_summary(study: Study) -> str:
    """Key-facts line: one badge per distinct rating with its assessor, or 'Not assessed'."""
    if not study.certainty:
        return grade_badge(None)
    shown = {
        f"{grade_badge(c)} {text(study.outcome(c.outcome).name)} ({text(c.assessor)})": None
        for c in study.certainty
    }
    return "; ".join(shown)


def rob_badge(value: RiskOfBias | None) -> str:
    """Overall risk of bias as a badge with its tool, or 'Not assessed'."""
    if value is None:
        return _badge("rob", "none", "Not assessed")
    return judgement_badge(value.overall) + f" ({text(value.tool)}; {text(value.assessor)})"


def judgement_badge(code: str) -> str:
    return _badge("rob", code, label(code, "rob_judgement"))


def group_heading(group: ResultGroup) -> str:
    """'GMFM-66 · 12 months · Mean difference' for a group of comparable results."""
    when = f"{number(group.months)} months" if group.months is not None else group.time_point
    parts = [
        text(group.instrument) if group.instrument else "No instrument named",
        text(when) if when else "Time point not stated",
        label(group.effect_measure, "effect_measure") if group.effect_measure else "No measure",
    ]
    return " · ".join(parts)


def axis_label(group: ResultGroup) -> str:
    """Forest-plot axis label (plain text; the SVG writer escapes it), with units when shared."""
    units = set()
    for row in group.plotted:
        unit = row.result.unit or ""
        if group.instrument and unit.startswith(group.instrument):
            unit = unit[len(group.instrument) :]
        units.add(unit.strip())
    measure = labels("effect_measure")[group.effect_measure or ""]
    unit = units.pop() if len(units) == 1 else ""
    shown = f"{measure}, {group.instrument}" if group.instrument else measure
    return f"{shown} ({unit})" if unit else shown


def forest(group: ResultGroup, ident: str) -> str:
    return forest_svg(group, ident, axis_label(group))


def point(result: Result) -> str:
    """Estimate with its unit, no interval."""
    if result.value is None:
        return "—"
    return text(number(result.value) + (f" {result.unit}" if result.unit else ""))


def interval(result: Result) -> str:
    """The confidence interval as 'low to high' (with its level when it is not 95%)."""
    if result.ci is None:
        return "not reported"
    level = "" if result.ci_level == 95 else f"{number(result.ci_level)}% CI "
    return text(f"{level}{number(result.ci[0])} to {number(result.ci[1])}")


def map_column(code: str, vocabulary_name: str) -> str:
    if code == NO_CELL_TYPE:
        return "No cell type recorded"
    return label(code, vocabulary_name)


def map_cell(cell: MapCell, prefix: str) -> str:
    """Count, participants and links; visibly marked as a gap when empty."""
    if not cell.studies:
        return '<span class="map-gap">No studies</span>'
    count = len(cell.studies)
    head = f"**{count}** {'study' if count == 1 else 'studies'}"
    if cell.participants:
        head += f" · {cell.participants} participants"
    links = ", ".join(f"[{text(s.short_name)}]({prefix}{s.id}.md)" for s in cell.studies)
    return f"{head}<br>{links}"


def vocabulary(name: str) -> list[str]:
    return list(labels(name))


NEWS_PAGE_ITEMS = 200


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: package templates, strict undefined, filters registered here."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown output: escaping is done by the `text` family of filters.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        text=text,
        page_title=page_title,
        paragraphs=paragraphs,
        cell=cell,
        number=number,
        dose=dose,
        estimate=estimate,
        label=label,
        describe=describe,
        ama=ama,
        registration=registration,
        participants=participants,
        main_result=main_result,
        cell_products=cell_products,
        citation=citation,
        host=host,
        grade_badge=grade_badge,
        grade_summary=grade_summary,
        rob_badge=rob_badge,
        judgement_badge=judgement_badge,
        group_heading=group_heading,
        forest=forest,
        point=point,
        interval=interval,
        map_column=map_column,
        map_cell=map_cell,
        vocabulary=vocabulary,
    )
    env.globals.update(
        POOLED_KINDS=POOLED_KINDS,
        HARM_KINDS=HARM_KINDS,
        NEWS_PAGE_ITEMS=NEWS_PAGE_ITEMS,
        NEWS_KIND_LABEL=export.NEWS_KIND_LABEL,
        CSV_COLUMNS=export.CSV_COLUMNS,
        link=link,
        json_ld=export.json_ld,
    )
    return env


def render_pages(site: Site) -> Pages:
    """Render every page of the site."""
    env = environment()
    pages: Pages = {}

    def put(path: str, template: str, **context: Any) -> None:
        if PurePosixPath(path) in pages:
            raise RenderError(f"two pages would be written to {path}")
        try:
            body = env.get_template(template).render(site=site, **context)
        except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            # A template bug, not a record problem: say where, without a traceback.
            raise RenderError(f"template {template} failed for {path}: {exc}") from exc
        pages[PurePosixPath(path)] = body

    put("index.md", "home.md.j2")
    put("studies/index.md", "all-studies.md.j2")
    put("conditions/index.md", "conditions.md.j2")
    put("cell-types/index.md", "cell-types.md.j2")
    put("glossary.md", "glossary.md.j2")
    put("record-format.md", "record-format.md.j2", fields=field_docs())
    for study in site.studies:
        put(
            f"studies/{study.id}.md", "study.md.j2", study=study, links=site.links.get(study.id, ())
        )
    for condition, studies in site.by_condition.items():
        put(f"conditions/{condition}.md", "condition.md.j2", condition=condition, studies=studies)
    for cell_type, studies in site.by_cell_type.items():
        put(f"cell-types/{cell_type}.md", "cell-type.md.j2", cell_type=cell_type, studies=studies)
    put("outcomes/index.md", "outcomes.md.j2")
    for condition, domains in site.outcomes.items():
        for domain, found in domains.items():
            put(f"outcomes/{condition}/{domain}.md", "outcome-domain.md.j2", found=found)
    put("evidence-map.md", "evidence-map.md.j2")
    put("harms.md", "harms.md.j2")
    put("bibliography.md", "bibliography.md.j2")
    put("whats-new.md", "whats-new.md.j2")
    put("downloads/index.md", "downloads.md.j2")
    pages.update(render_downloads(site))
    return pages


def render_downloads(site: Site) -> Pages:
    """Data files copied into the site as they are: dataset, schema, feed, per-study citations."""
    files: Pages = {
        PurePosixPath("downloads/studies.json"): export.dataset_json(site),
        PurePosixPath("downloads/studies.csv"): export.dataset_csv(site),
        PurePosixPath("downloads/study.schema.json"): export.schema_json(load_schema()),
        PurePosixPath("feed.xml"): export.atom_feed(site, site.news),
    }
    for study in site.studies:
        base = f"downloads/cite/{study.id}"
        files[PurePosixPath(base + ".bib")] = export.bibtex(study)
        files[PurePosixPath(base + ".ris")] = export.ris(study)
        files[PurePosixPath(base + ".json")] = export.csl_json(study)
    return files


def render_abbreviations(site: Site) -> str:
    """The abbreviation list that MkDocs appends to every page for hover tooltips."""
    lines = [f"*[{term.term}]: {html.escape(term.expansion)}" for term in site.glossary]
    return "\n".join(lines) + "\n"
