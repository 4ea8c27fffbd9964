"""Render stage: the collated site -> Markdown pages, as a {relative path: text} mapping.

Pure: nothing here reads or writes files except the package's own templates. Record text is
data, never markup: every value from a record goes through `text` (or a filter built on it),
which turns every character that Markdown, its extensions or HTML could act on into a
numeric character reference. Links are built here, from validated identifiers, and only
ever point to http(s) addresses.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode

import jinja2

from generator import export
from generator.collate import (
    BADGES,
    NO_CELL_TYPE,
    WARNING_BADGES,
    DomainResults,
    EffectGroup,
    EvidenceEvent,
    Headline,
    MapCell,
    Site,
    ValueGroup,
    comparison_class,
    concurrent_controls,
    design_badges,
    direction,
    harm_kinds,
    is_pooled,
    no_results_text,
    pooled_kinds,
    ratio_measures,
    reporting_gap,
    sections,
    study_badges,
)
from generator.errors import RenderError
from generator.forest import forest_svg, forest_svg_narrow
from generator.model import (
    Certainty,
    Dose,
    Effect,
    GroupValue,
    Outcome,
    Period,
    Reference,
    RiskOfBias,
    Study,
    Subgroup,
)
from generator.numbers import Number, interval_text, number, with_unit
from generator.schema import (
    annotated,
    descriptions,
    field_docs,
    labels,
    load_schema,
    registry_patterns,
    registry_url,
)

Pages = dict[PurePosixPath, str]

# Characters that start Markdown or extension syntax anywhere in a line. `<` and `&` are
# handled by html.escape; the rest only act at the start of a paragraph or cell.
_INLINE_CHARS = "\\`*_{}[]|~^$"
_INLINE_ACTIVE = str.maketrans({c: f"&#{ord(c)};" for c in _INLINE_CHARS})
_ACTIVE = re.compile(f"[&<>{re.escape(_INLINE_CHARS)}]")
_LINE_START = re.compile(r"^(?:[!#%)*+\-./:;=>?@\]^_`{|}~]|\d+[.)](?=\s|$))")


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


def dose(value: Dose | None) -> str:
    """A dose as text in words, e.g. '1–5 × 10⁷ nucleated cells per kg' or '≥ 2 × 10⁷ ...'."""
    if value is None:
        return "—"
    if value.value is not None:
        amount = ("≥ " if value.minimum else "") + number(value.value)
    else:
        amount = f"{number(value.low)}–{number(value.high)}"
    return text(f"{amount} {labels('dose_unit').get(value.unit, value.unit)}")


_P_PARTS = re.compile(r"^\s*(?:[Pp]\s*)?(<=|>=|[=<>≤≥])?\s*(.+?)\s*$")


def p_value(printed: str | None) -> str:
    """A P value shown one way ('p = 0.028', 'p < 0.001') from its text as printed; the
    digits are the source's (a missing leading zero is added)."""
    if not printed:
        return "—"
    match = _P_PARTS.match(printed)
    assert match is not None  # the schema's pattern guarantees the shape
    sign = {"<=": "≤", ">=": "≥", None: "="}.get(match.group(1), match.group(1))
    digits = match.group(2).replace("−", "-")
    if digits.startswith("."):
        digits = "0" + digits
    # 1.2 × 10^-5, 1.2x10-5 and 1.2e-5 all read as 1.2 × 10⁻⁵ (the same digits).
    digits = _POWER.sub(lambda m: f" × 10{('-' + m.group(1)).translate(_SUPERSCRIPT)}", digits)
    return text(f"p {sign} {digits}")


_POWER = re.compile(r"\s?(?:[×x*]\s?10\^?|[eE])-([0-9]+)$")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def estimate(effect: Effect) -> str:
    """Estimate with unit, interval and p, e.g. '1.36 points (95% CI 0.41 to 2.32); p = 0.005'."""
    if effect.value is None:
        return p_value(effect.p) if effect.p else "—"
    shown = text(with_unit(effect.value, effect.unit))
    if effect.ci:
        shown += f" ({interval_text(effect.ci[0], effect.ci[1], effect.ci_level)})"
    if effect.p:
        shown += f"; {p_value(effect.p)}"
    return shown


def group_value(value: GroupValue) -> str:
    """A single group's value with its spread: '7.5 points (SD 6.8)', '13 of 18'."""
    if value.events is not None and value.total is not None:
        shown = f"{value.events} of {value.total}"
    elif value.value is not None:
        shown = with_unit(value.value, value.unit)
    else:
        return "—"
    spread = []
    if value.sd is not None:
        spread.append(f"SD {number(value.sd)}")
    if value.se is not None:
        spread.append(f"SE {number(value.se)}")
    if value.ci:
        spread.append(interval_text(value.ci[0], value.ci[1], value.ci_level))
    if value.iqr:
        spread.append(f"IQR {interval_text(*value.iqr)}")
    if value.range:
        spread.append(f"range {interval_text(*value.range)}")
    if spread:
        shown += f" ({'; '.join(spread)})"
    out = text(shown)
    if value.p:
        out += f"; {p_value(value.p)} for the change"
    return out


def statistic_label(value: GroupValue) -> str:
    """'Mean change from baseline', 'Median', 'Events of total' for a group value."""
    if value.statistic is None:
        return "Result in words"
    shown = labels("statistic")[value.statistic]
    if value.scale and value.scale != "final":
        shown += ", " + labels("scale")[value.scale].lower()
    return text(shown)


def measure_label(effect: Effect) -> str:
    if effect.measure is None:
        return "Comparison"
    return text(measure_phrase(effect.measure, effect.scale))


def measure_phrase(measure: str, scale: str | None) -> str:
    """'Mean difference in change from baseline' (plain text)."""
    shown = labels("measure")[measure]
    return f"{shown} {annotated('scale', 'x-phrase')[scale]}" if scale else shown


def when(months: Number | None, time_point: str | None) -> str:
    """A time point for tables: the source's words, else the months, else a dash."""
    if time_point:
        return text(time_point)
    if months is not None:
        return f"{number(months)} months"
    return "—"


def arms(study: Study, ids: Sequence[str]) -> str:
    """Labels of arms, joined: 'Cord blood + EPO and Cord blood alone'."""
    return text(" and ".join(study.arm_label(a) for a in ids))


def comparison(study: Study, effect: Effect) -> str:
    """'A vs B' for an effect, in arm labels."""
    return f"{arms(study, effect.experimental)} vs {arms(study, effect.comparator)}"


def badges(codes: Sequence[str]) -> str:
    """Result badges (our markup; codes are fixed names in collate.BADGES)."""
    return " ".join(
        f'<span class="badge badge--{"warn" if c in WARNING_BADGES else "info"}">{BADGES[c]}</span>'
        for c in codes
    )


def result_badges(study: Study, result: Effect | GroupValue) -> str:
    """Design badges of a result row: how the study was designed and what kind of result it
    is, and a GRADE rating where a named assessor published one."""
    shown = badges(design_badges(study, result))
    rated = next((c for c in study.certainty if c.outcome == result.outcome), None)
    if rated:
        shown += f" GRADE: {grade_badge(rated)} ({text(rated.assessor)})"
    return shown


def analysis_text(effect: Effect) -> str:
    """How the comparison was analysed, from what the source reports."""
    parts = [
        labels("plan")[effect.analysis.plan]
        if effect.analysis.plan
        else "Not reported whether prespecified"
    ]
    if effect.subgroup:
        parts.append(_subgroup(effect.subgroup))
    if effect.analysis.population:
        parts.append(labels("analysis_population")[effect.analysis.population].lower())
    if effect.analysis.adjusted is not None:
        if effect.analysis.adjusted:
            parts.append(
                "adjusted"
                + (f" for {effect.analysis.covariates}" if effect.analysis.covariates else "")
            )
        else:
            parts.append("unadjusted")
    if effect.analysis.method:
        parts.append(effect.analysis.method)
    if effect.studies:
        parts.append(
            f"pools {effect.studies} studies"
            + (f", I² {number(effect.i2)}%" if effect.i2 is not None else "")
        )
    elif effect.i2 is not None:
        parts.append(f"I² {number(effect.i2)}%")
    return text("; ".join(parts))


def _subgroup(sub: Subgroup) -> str:
    shown = f"subgroup: {sub.label}"
    if sub.definition:
        shown += f" ({sub.definition})"
    return shown + ("" if sub.prespecified else ", not stated as prespecified")


def subgroup(sub: Subgroup) -> str:
    """'subgroup: GMFCS I-II (who is in it), not stated as prespecified', escaped."""
    return text(_subgroup(sub))


def periods(items: Sequence[Period]) -> str:
    """A crossover's periods in order: 'Year 1 (12 months), then Year 2', escaped."""
    return text(
        ", then ".join(
            p.label + (f" ({number(p.months)} months)" if p.months is not None else "")
            for p in items
        )
    )


def provenance(study: Study, result: Effect | GroupValue) -> str:
    """Citation marker, where in the source, and how the value was obtained."""
    shown = citation(study, [result.source])
    if result.locator:
        shown += f" {text(result.locator)}"
    if result.obtained == "computed":
        shown += f"; computed by this site: {text(result.formula or '')}"
    elif result.obtained == "secondary-source":
        shown += "; as tabulated by a secondary source"
    return shown


def outcome_name(outcome: Outcome) -> str:
    """'Gross motor function (GMFM-66)' with the subscale when there is one."""
    shown = outcome.name
    if outcome.instrument:
        shown += f" ({labels('instrument')[outcome.instrument]}"
        shown += f", {outcome.subscale})" if outcome.subscale else ")"
    elif outcome.subscale:
        shown += f" ({outcome.subscale})"
    return text(shown)


def outcome_facts(outcome: Outcome) -> str:
    """'Primary outcome (per registry) · Higher is better · 0 to 100' for an outcome."""
    facts = []
    if outcome.role:
        role = labels("outcome_role")[outcome.role]
        if outcome.role_stated_by:
            role += f" (per {labels('role_stated_by')[outcome.role_stated_by].lower()})"
        facts.append(role)
    better = direction(outcome)
    if better:
        facts.append(labels("direction")[better])
    scale_range = annotated("instrument", "x-range").get(outcome.instrument or "")
    if scale_range:
        facts.append(f"scale {number(scale_range[0])} to {number(scale_range[1])}")
    if outcome.time_point:
        facts.append(f"measured: {outcome.time_point}")
    return text(" · ".join(facts))


def label(value: str, vocabulary_name: str) -> str:
    """Reader-facing label of a vocabulary value (escaped)."""
    return text(labels(vocabulary_name)[value])


def describe(value: str, vocabulary_name: str) -> str:
    """Reader-facing description of a vocabulary value (escaped)."""
    return text(descriptions(vocabulary_name).get(value, ""))


def registry_of(ident: str) -> str | None:
    """The registry whose id format an identifier has."""
    return next((r for r, pattern in registry_patterns() if pattern.search(ident)), None)


def registration(registry: str, ident: str) -> str:
    """Registry name and id, linked to the registry where it has stable addresses."""
    url = registry_url(registry, ident)
    name = labels("registry")[registry]
    # "IRCT IRCT2011..." says the name twice: ids that start with it stand alone.
    shown = ident if ident.casefold().startswith(name.casefold()) else f"{name} {ident}"
    return link(shown, url) if url else text(shown)


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
        registry = registry_of(ref.registry_id)
        name = labels("registry")[registry] if registry else "Registry"
        target = ref.url or (registry_url(registry, ref.registry_id) if registry else None)
        ident = link(ref.registry_id, target) if target else text(ref.registry_id)
        parts.append(f"{text(name)} identifier: {ident}.")
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


ISSUE_FORM = "report-error.yml"
"""The issue form (.github/ISSUE_TEMPLATE/) the study pages link to; its `record` field is
filled in from the link."""
EDIT_BRANCH = "main"
"""The branch the site is published from (.github/workflows/pages.yml)."""
_RECORD_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def record_addresses(repository: str, record_id: str) -> tuple[str, str]:
    """The issue form with the record's id filled in, and the record's file to edit.

    Built only from the configured https address (checked by load_repository) and a
    validated record id; nothing else from a record goes into either address."""
    if not _RECORD_ID.fullmatch(record_id) or not repository.startswith("https://"):
        raise ValueError(f"refusing to link record {record_id!r} on {repository!r}")
    query = urlencode(
        {"template": ISSUE_FORM, "record": record_id, "title": f"Error in {record_id}"}
    )
    return (
        f"{repository}/issues/new?{query}",
        f"{repository}/edit/{EDIT_BRANCH}/studies/{record_id}.yaml",
    )


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


def design(study: Study) -> str:
    """Kind of evidence and what the treated children were compared with."""
    shown = labels("evidence_kind")[study.evidence_kind]
    concurrent = concurrent_controls()
    roles = [a.role for a in study.arms if a.role in concurrent]
    if roles and not is_pooled(study):
        kinds = ", ".join(dict.fromkeys(labels("arm_role")[r].lower() for r in roles))
        shown += f" vs {kinds}"
    return text(shown)


def _when_suffix(months: Number | None, time_point: str | None) -> str:
    return f", {when(months, time_point)}" if months is not None or time_point else ""


def headline_text(item: Headline) -> str:
    """The main-result cell of a comparison table: what, which groups, when, the number, and
    badges saying what kind of result it is."""
    study = item.study
    outcome = item.outcome
    if outcome is None:
        return text(no_results_text(study) if not study.has_results else "See the study page")
    head = outcome_name(outcome)
    if item.effect:
        effect = item.effect
        detail = comparison(study, effect) + _when_suffix(effect.months, effect.time_point)
        if effect.value is not None:
            number_part = f"{measure_label(effect).lower()} {estimate(effect)}"
        else:
            number_part = text(effect.statement or "") + (
                f" ({p_value(effect.p)})" if effect.p else ""
            )
    else:
        value = item.value
        assert value is not None
        detail = arms(study, value.arms) + _when_suffix(value.months, value.time_point)
        if value.numeric:
            number_part = f"{statistic_label(value).lower()} {group_value(value)}"
        else:
            number_part = text(value.statement or "")
        if value.note:
            number_part += f" ({text(value.note)})"
    note = item.effect.note if item.effect and item.effect.note else None
    if note:
        number_part += f" ({text(note)})"
    return f"{head}: {detail}: {number_part} {badges(item.badges)}"


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


def effect_heading(group: EffectGroup) -> str:
    """A group heading for people: what, when, which numbers, against what."""
    parts = [
        outcome_name(group.outcome)
        if not group.outcome.instrument
        else text(_instrument(group.outcome))
    ]
    parts.append(when(group.months, group.time_point if group.months is None else None))
    if group.measure:
        parts.append(text(measure_phrase(group.measure, group.scale)))
    against = {
        "control": "against a control group",
        "external": "against external controls",
        "treated": "between treated groups",
    }[group.comparison]
    parts.append("pooled estimates" if group.pooled else against)
    if group.rows[0].effect.subgroup:
        parts.append(text(f"subgroup {group.rows[0].effect.subgroup.label}"))
    return " · ".join(parts)


def _instrument(outcome: Outcome) -> str:
    shown = labels("instrument")[outcome.instrument or ""]
    return f"{shown}, {outcome.subscale}" if outcome.subscale else shown


def value_heading(group: ValueGroup) -> str:
    parts = [
        outcome_name(group.outcome)
        if not group.outcome.instrument
        else text(_instrument(group.outcome))
    ]
    parts.append(when(group.months, group.time_point if group.months is None else None))
    if group.statistic:
        shown = labels("statistic")[group.statistic]
        if group.scale:
            shown += ", " + labels("scale")[group.scale].lower()
        parts.append(text(shown))
    return " · ".join(parts)


def favours(group: EffectGroup) -> tuple[str, str] | None:
    """('Favours control', 'Favours cell therapy') for the left and right of a plot, from the
    outcome's direction; None when the direction is not known."""
    if group.direction is None:
        return None
    control = "external controls" if group.comparison == "external" else "control"
    low, high = f"Favours {control}", "Favours cell therapy"
    return (low, high) if group.direction == "higher-better" else (high, low)


def axis_label(group: EffectGroup) -> str:
    """Forest-plot axis label (plain text; the SVG writer escapes it), with units when shared."""
    units = {(row.effect.unit or "").strip() for row in group.plotted}
    measure = labels("measure")[group.measure or ""]
    unit = units.pop() if len(units) == 1 else ""
    shown = (
        f"{measure}, {_instrument(group.outcome)}"
        if group.outcome.instrument
        else f"{measure}, {group.outcome.name}"
    )
    return f"{shown} ({unit})" if unit else shown


def forest(group: EffectGroup, ident: str) -> str:
    """The plot twice: wide, and stacked for phones (CSS shows one; the other is not rendered,
    so assistive technology meets one plot)."""
    options: dict[str, Any] = {
        "log": group.measure in ratio_measures(),
        "null": float(annotated("measure", "x-null").get(group.measure or "", 0)),
        "favours": favours(group),
    }
    label = axis_label(group)
    return forest_svg(group, ident, label, **options) + forest_svg_narrow(
        group, f"{ident}-narrow", label, **options
    )


def interval(effect: Effect) -> str:
    """The confidence interval as 'low to high' with its level."""
    if effect.ci is None:
        return "not reported"
    return text(interval_text(effect.ci[0], effect.ci[1], effect.ci_level))


def search_front_matter(terms: Sequence[str], boost: int = 0) -> str:
    """Front matter lines that help people's searches find a page: `tags` (which Material's
    search weighs far above text, so a page ranks first for its own names and synonyms) and an
    optional boost. JSON strings are valid YAML and cannot break the front matter."""
    lines = ["tags:", *(f"  - {json.dumps(t, ensure_ascii=True)}" for t in terms)] if terms else []
    if boost:
        lines += ["search:", f"  boost: {boost}"]
    return "\n".join(lines)


def search_terms(value: str, vocabulary_name: str) -> list[str]:
    """A vocabulary value's label and the words people use for it (schema `x-search-terms`)."""
    extra = annotated(vocabulary_name, "x-search-terms").get(value, [])
    return [labels(vocabulary_name)[value], *extra]


def registry_search(condition: str) -> str:
    """The condition's search term for ClinicalTrials.gov, encoded for a URL (from the schema)."""
    return quote(str(annotated("condition", "x-registry-search")[condition]))


def map_column(code: str, vocabulary_name: str) -> str:
    if code == NO_CELL_TYPE:
        return "No cell type recorded"
    return label(code, vocabulary_name)


_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAP_CELL_LINKS = 25
"""Studies named in one cell of an evidence-map table at most (fewer on a large site, so that
each table stays within one search section: Site.fits); the rest are counted, and listed on
the condition's page. Keeps the map readable, and its size bounded, as the records grow."""


MAP_LINK_WORDS = 5
"""Words one study named in an evidence-map cell adds to the table's search section."""


def map_cell(cell: MapCell, prefix: str, condition: str = "", most: int = MAP_CELL_LINKS) -> str:
    """Count, participants and links to at most `most` studies; visibly marked as a gap when
    empty."""
    if not cell.studies:
        return '<span class="map-gap">No studies</span>'
    count = len(cell.studies)
    head = f"**{count}** {'study' if count == 1 else 'studies'}"
    if cell.participants:
        head += f" · {cell.participants} participants"
    shown = cell.studies[:most]
    links = ", ".join(f"[{text(s.short_name)}]({prefix}{s.id}.md)" for s in shown)
    if count > len(shown):
        more = f"and {count - len(shown)} more"
        if _CODE.fullmatch(condition):  # a vocabulary code: safe in an address
            # To the condition page's list that holds them (headings from studies_and_reviews).
            anchor = "studies" if cell.primary else "reviews-and-meta-analyses"
            more = f"[{more} on the condition's page](conditions/{condition}.md#{anchor})"
        links += f", {more}"
    return f"{head}<br>{links}"


MAP_DESIGN_LABEL = {
    "randomised": "Randomised trial",
    "controlled": "Controlled, not randomised",
    "uncontrolled": "No control group",
    "registered": "Registered, no results yet",
    "review": "Reviews only",
}
"""Legend of the evidence map's colours and shapes, strongest design first."""
MAP_SIZES = (
    (0, "0 or not reported"),
    (1, "1-20"),
    (21, "21-60"),
    (61, "61-200"),
    (201, "over 200"),
)
"""Bubble sizes: the smallest number of children for each size, and its legend."""


def bubble_size(children: int) -> int:
    """1-5: the size class of a bubble for this many children."""
    return max(i for i, (least, _) in enumerate(MAP_SIZES, 1) if children >= least)


def map_bubble(cell: MapCell) -> str:
    """One cell of the picture map: a bubble (size: children; colour and shape: the strongest
    design) and the counts in words; a gap is marked as one."""
    if not cell.studies:
        return '<span class="bubble bubble--gap"></span> <span class="map-gap">Gap</span>'
    design = cell.design or "review"
    size = bubble_size(cell.participants)
    parts = []
    if cell.primary:
        n = len(cell.primary)
        parts.append(f"{n} {'study' if n == 1 else 'studies'}")
        children = cell.participants
        if not children:
            parts.append("children not reported")
        else:
            plural = "child" if children == 1 else "children"
            parts.append(f"{'at least ' if cell.uncounted else ''}{children} {plural}")
    if cell.reviews:
        parts.append(f"{cell.reviews} {'review' if cell.reviews == 1 else 'reviews'}")
    title = f"Strongest design: {MAP_DESIGN_LABEL[design]}"
    return (
        f'<span class="bubble bubble--{design} bubble--s{size}" role="img" '
        f'aria-label="{title}" title="{title}"></span> <span class="bubble-text">'
        + "<br>".join(f"<span>{part}</span>" for part in parts)
        + "</span>"
    )


def status_text(study: Study) -> str:
    """The status in words; a completed registration without results a year on says so."""
    shown = label(study.status, "status")
    return f"{shown}, no results found" if reporting_gap(study) else shown


def vocabulary(name: str) -> list[str]:
    return list(labels(name))


NEWS_PAGE_ITEMS = 200
"""Events and record changes on the What's new page at most (fewer on a large site)."""
NEWS_ITEM_WORDS = 50
OPEN_BOX_TRIALS = 10
"""Open trials named in the box at the top of a condition's page; the rest are counted (the
open-trials page lists them all)."""
SOF_ESTIMATES = 5
"""Estimates (and GRADE ratings) in one row of a summary of findings; the rest are counted and
left to the outcome page (and the rated studies' pages): a row of hundreds would be
unreadable, and too long for one search section."""


def event_sources(event: EvidenceEvent, prefix: str) -> str:
    """An event's sources, each named by kind and place and linked to the study's list of
    references."""
    study = event.study
    return "; ".join(
        f"[{text(export.source_name(study.reference(ref)))}]({prefix}{study.id}.md#references)"
        for ref in event.sources
    )


def event_text(event: EvidenceEvent) -> str:
    """What happened, escaped for a table cell."""
    return text(export.event_text(event))


class Trusted(str):
    """Markdown that our own code built with every piece of record text escaped.

    The one way to let text through the environment unescaped (see `_finalize`): filters and
    functions listed in MARKUP_FILTERS and MARKUP_GLOBALS return it, and the environment's
    `concat` marks what a template, macro or `{% set %}` block renders from escaped pieces.
    """

    __slots__ = ()


_FOLDER_PREFIX = re.compile(r"(?:\.\./)*(?:[a-z0-9-]+/)*")
"""A relative folder such as '../../studies/', put before page names in links: inert text."""


def _finalize(value: Any) -> Any:
    """Applied to every `{{ ... }}`: escape what no trusted function produced.

    Escaped text keeps one space at either end where it had white space there, so template
    text such as `{{ "up to " if ... }}` still reads; the space cannot start any markup.
    """
    if isinstance(value, (Trusted, jinja2.Undefined)):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    shown = str(value)
    if _FOLDER_PREFIX.fullmatch(shown):
        return shown
    core = text(shown)
    if not core:
        return " " if shown[:1].isspace() else ""
    lead = " " if shown[:1].isspace() else ""
    trail = " " if shown[-1:].isspace() else ""
    return lead + core + trail


def _vouch(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark what a function returns (a string, or a tuple of them) as trusted Markdown."""

    @functools.wraps(function)
    def vouched(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(Trusted(r) if isinstance(r, str) else r for r in result)
        return Trusted(result) if isinstance(result, str) else result

    return vouched


def _lower(value: Any) -> Any:
    """Jinja's `lower`, keeping trusted Markdown trusted (entities such as &#91; stay valid)."""
    shown = str(value).lower()
    return Trusted(shown) if isinstance(value, Trusted) else shown


def _join(items: Any, separator: str = "") -> Trusted:
    """Jinja's `join` for Markdown: each item escaped unless trusted; a separator such as '; '
    goes between them as it is (one with markup characters or a line break is escaped)."""
    if _ACTIVE.search(separator) or "\n" in separator:
        separator = text(separator)
    return Trusted(separator.join(str(_finalize(item)) for item in items))


def code(value: str) -> str:
    """A code span for one of our own names (e.g. a CSV column); nothing in it is markup."""
    if "`" in value or "\n" in value:
        raise ValueError(f"refusing to put {value!r} in a code span")
    return f"`{value}`"


class _Environment(jinja2.Environment):
    # Templates, macros, caller() and {% set %} blocks join their output with `concat`: what
    # they render is made of escaped pieces and literal template text, so it is trusted.
    concat = staticmethod(lambda parts: Trusted("".join(parts)))


MARKUP_FILTERS: dict[str, Callable[..., Any]] = {
    "text": text,
    "page_title": page_title,
    "paragraphs": paragraphs,
    "cell": cell,
    "dose": dose,
    "estimate": estimate,
    "group_value": group_value,
    "statistic_label": statistic_label,
    "measure_label": measure_label,
    "p_value": p_value,
    "label": label,
    "describe": describe,
    "ama": ama,
    "registration": registration,
    "participants": participants,
    "design": design,
    "headline": headline_text,
    "outcome_name": outcome_name,
    "outcome_facts": outcome_facts,
    "analysis": analysis_text,
    "provenance": provenance,
    "subgroup": subgroup,
    "periods": periods,
    "badges": badges,
    "result_badges": result_badges,
    "cell_products": cell_products,
    "citation": citation,
    "grade_badge": grade_badge,
    "grade_summary": grade_summary,
    "rob_badge": rob_badge,
    "judgement_badge": judgement_badge,
    "effect_heading": effect_heading,
    "value_heading": value_heading,
    "forest": forest,
    "interval": interval,
    "map_column": map_column,
    "registry_search": registry_search,
    "map_cell": map_cell,
    "map_bubble": map_bubble,
    "status_text": status_text,
    "event_sources": event_sources,
    "event_text": event_text,
    "code": code,
    "lower": _lower,
    "join": _join,
}
"""Filters that return Markdown or HTML they built themselves, escaping every piece of record
text (each is tested with hostile text); their output is printed as it is."""
PLAIN_FILTERS: dict[str, Callable[..., Any]] = {
    "sections": sections,
    "number": number,
    "host": host,
    "vocabulary": vocabulary,
    "search_terms": search_terms,
}
"""Filters whose output is data: printed through the default escaping like record text."""
MARKUP_GLOBALS: dict[str, Callable[..., Any]] = {
    "search_front_matter": search_front_matter,
    "when": when,
    "arms": arms,
    "comparison": comparison,
    "link": link,
    "record_addresses": record_addresses,
    "json_ld": export.json_ld,
}
"""Functions templates call that return Markdown, HTML or addresses built by our code."""


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: package templates, strict undefined, escaping by default.

    Every `{{ ... }}` is escaped as record text (`_finalize`) unless a function in
    MARKUP_FILTERS or MARKUP_GLOBALS produced it; nothing else can mark text as markup.
    """
    env = _Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # HTML autoescaping does not fit Markdown; `finalize` escapes instead.
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update({name: _vouch(f) for name, f in MARKUP_FILTERS.items()})
    # `lower` and `join` above replace Jinja's own, which would turn trusted text back into
    # plain text (escaped twice when printed).
    env.filters.update(PLAIN_FILTERS)
    env.globals.update({name: _vouch(f) for name, f in MARKUP_GLOBALS.items()})
    env.globals.update(
        POOLED_KINDS=pooled_kinds(),
        CONCURRENT_ROLES=concurrent_controls(),
        study_badges=study_badges,
        HARM_KINDS=harm_kinds(),
        MAP_DESIGN_LABEL=MAP_DESIGN_LABEL,
        MAP_SIZES=MAP_SIZES,
        RESULTS_COLUMNS=export.RESULTS_COLUMNS,
        comparison_class=comparison_class,
        is_pooled=is_pooled,
        NEWS_PAGE_ITEMS=NEWS_PAGE_ITEMS,
        NEWS_ITEM_WORDS=NEWS_ITEM_WORDS,
        MAP_CELL_LINKS=MAP_CELL_LINKS,
        OPEN_BOX_TRIALS=OPEN_BOX_TRIALS,
        SOF_ESTIMATES=SOF_ESTIMATES,
        MAP_LINK_WORDS=MAP_LINK_WORDS,
        NEWS_KIND_LABEL=export.NEWS_KIND_LABEL,
        CSV_COLUMNS=export.CSV_COLUMNS,
    )
    return env


def render_pages(site: Site) -> Pages:
    """Render every page of the site into memory (tests; generate renders page by page)."""
    pages: Pages = {}
    for path, template, context in page_plan(site):
        if path in pages:
            raise RenderError(f"two pages would be written to {path}")
        body = render_one(site, path, template, context)
        pages[path] = body if isinstance(body, str) else "".join(body)
    return pages


PagePlan = tuple[PurePosixPath, str, dict[str, Any]]
"""One page to render: its path, its template (or a download kind) and its own context."""


SITE_PAGES = (
    ("evidence-map.md", "evidence-map.md.j2"),
    ("harms.md", "harms.md.j2"),
    ("bibliography.md", "bibliography.md.j2"),
    ("whats-new.md", "whats-new.md.j2"),
    ("open-trials.md", "open-trials.md.j2"),
    ("methods.md", "methods.md.j2"),
    ("not-covered.md", "not-covered.md.j2"),
    ("downloads/index.md", "downloads.md.j2"),
    ("downloads/studies.json", ":dataset_json"),
    ("downloads/studies.csv", ":dataset_csv"),
    ("downloads/results.csv", ":results_csv"),
    ("downloads/study.schema.json", ":schema_json"),
    ("feed.xml", ":atom_feed"),
)
"""Pages of the whole site that take no context of their own: (path, template or download kind)."""


def page_plan(site: Site) -> Iterator[PagePlan]:
    """Every page of the site, in order, without rendering any (cheap: no template runs)."""

    def put(path: str, template: str, **context: Any) -> PagePlan:
        return PurePosixPath(path), template, context

    yield put("index.md", "home.md.j2")
    yield put("studies/index.md", "all-studies.md.j2")
    yield put("conditions/index.md", "conditions.md.j2")
    yield put("cell-types/index.md", "cell-types.md.j2")
    yield put("glossary.md", "glossary.md.j2")
    yield put("record-format.md", "record-format.md.j2", fields=field_docs())
    for study in site.studies:
        yield put(
            f"studies/{study.id}.md", "study.md.j2", study=study, links=site.links.get(study.id, ())
        )
    for condition, studies in site.by_condition.items():
        yield put(
            f"conditions/{condition}.md", "condition.md.j2", condition=condition, studies=studies
        )
    for cell_type, studies in site.by_cell_type.items():
        yield put(
            f"cell-types/{cell_type}.md", "cell-type.md.j2", cell_type=cell_type, studies=studies
        )
    yield put("outcomes/index.md", "outcomes.md.j2")
    for condition, domains in site.outcomes.items():
        for domain, found in domains.items():
            yield put(f"outcomes/{condition}/{domain}.md", "outcome-domain.md.j2", found=found)
    for path, template in SITE_PAGES:
        yield put(path, template)
    for study in site.studies:
        base = f"downloads/cite/{study.id}"
        yield put(base + ".bib", ":bibtex", study=study)
        yield put(base + ".ris", ":ris", study=study)
        yield put(base + ".json", ":csl_json", study=study)


def page_inputs(
    site: Site, path: PurePosixPath, template: str, context: dict[str, Any], records: dict[str, str]
) -> str | None:
    """What a page of one study, outcome, condition or cell type reads, as a text; None for
    pages that read more (the lists, the map, the exports: every record).

    records maps each record id to the digest of its file; a Study is built from its record
    alone, so the digest stands for it. A study page also reads, through `site`, the studies
    it links to, the other reports of its trial, the reviews that include it and the studies
    its review includes (study.md.j2), the site address and the repository: all named here.
    The rest of the site (glossary, code, templates, mkdocs.yml) is covered by the caller.
    Two runs that give a page the same inputs render it to the same bytes, so an incremental
    run renders only pages whose inputs changed; anything not listed must stay out of
    study.md.j2, condition.md.j2, cell-type.md.j2, outcome-domain.md.j2 and the citation
    exports, or be added here. An outcome page (one condition, one domain) reads only the
    results of the studies in it, which are built from those studies, and how long a section
    may be (Site.section_words, from the number of records); for condition and cell-type
    pages see _listing_inputs.
    """
    if template == "outcome-domain.md.j2":  # reads `found` (built from its studies alone)
        found: DomainResults = context["found"]  # and how long a section may be
        rows: list[str] = []
        for group in (*found.effects, *found.pooled):
            rows.append("|".join(row.study.id for row in group.rows))
        rows += ["|".join(row.study.id for row in group.rows) for group in found.values]
        rows.append("|".join(row.study.id for row in found.worded))
        ids = sorted({ident for row in rows for ident in row.split("|") if ident})
        return "\0".join(
            [template, found.condition, found.domain, str(site.section_words), *rows]
            + [f"{i}:{records[i]}" for i in ids]
        )
    if template in ("condition.md.j2", "cell-type.md.j2"):
        return _listing_inputs(site, template, context, records)
    study: Study | None = context.get("study")
    if study is None:
        return None
    if template.startswith(":"):  # bibtex, ris, csl_json: the study alone
        return f"{template}\0{records[study.id]}"
    if template != "study.md.j2":
        return None
    related = [(link.label, link.study.id) for link in context["links"]]
    related += [("trial", other.id) for other in site.other_reports(study)]
    related += [("in", other.id) for other in site.included_in.get(study.id, ())]
    includes = study.pooled.includes if study.pooled else ()
    related += [("includes", inc.record) for inc in includes if inc.record]
    ids = sorted({ident for _, ident in related})
    return "\0".join(
        [
            template,
            records[study.id],
            site.site_url,
            site.repository,
            *(f"{kind}={ident}" for kind, ident in related),
            *(f"{ident}:{records.get(ident, '-')}" for ident in ids),
        ]
    )


def _listing_inputs(
    site: Site, template: str, context: dict[str, Any], records: dict[str, str]
) -> str:
    """What a condition or cell-type page reads: its studies (their tables, summary of
    findings, outcome links and open trials are built from them alone), the studies their
    reviews include and every study a key message cites (by name and link), the date the
    site was last checked, and how long a section may be. The key messages themselves are
    site-wide inputs, covered by the caller."""
    studies: tuple[Study, ...] = context["studies"]
    listed = [study.id for study in studies]
    named = {inc.record for s in studies if s.pooled for inc in s.pooled.includes if inc.record}
    named |= {
        ident
        for message in site.key_messages.values()
        for sentence in message.sentences
        for ident in sentence.cites
    }
    return "\0".join(
        [
            template,
            str(context.get("condition") or context.get("cell_type")),
            site.last_updated,
            str(site.section_words),
            "|".join(listed),
            *(f"{ident}:{records.get(ident, '-')}" for ident in sorted({*listed, *named})),
        ]
    )


def render_one(
    site: Site, path: PurePosixPath, template: str, context: dict[str, Any]
) -> str | Iterable[str]:
    """Render one planned page: a template, or a download file (kind starting with ':'); a
    very large download comes in parts (see write.Staging.stage)."""
    if template.startswith(":"):
        return _download(site, template[1:], context)
    try:
        return environment().get_template(template).render(site=site, **context)
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # A template bug, not a record problem: say where, without a traceback.
        raise RenderError(f"template {template} failed for {path}: {exc}") from exc


_SITE_DOWNLOADS: dict[str, Callable[[Site], str | Iterable[str]]] = {
    "dataset_json": export.dataset_json_parts,
    "dataset_csv": export.dataset_csv,
    "results_csv": export.results_csv,
    "schema_json": lambda site: export.schema_json(load_schema()),
    "atom_feed": lambda site: export.atom_feed(site, site.events),
}
_STUDY_DOWNLOADS: dict[str, Callable[[Study], str]] = {
    "bibtex": export.bibtex,
    "ris": export.ris,
    "csl_json": export.csl_json,
}


def _download(site: Site, kind: str, context: dict[str, Any]) -> str | Iterable[str]:
    if kind in _SITE_DOWNLOADS:
        return _SITE_DOWNLOADS[kind](site)
    if kind in _STUDY_DOWNLOADS:
        return _STUDY_DOWNLOADS[kind](context["study"])
    raise RenderError(f"unknown download kind {kind}")


def render_abbreviations(site: Site) -> str:
    """The abbreviation list that MkDocs appends to every page for hover tooltips."""
    lines = [f"*[{term.term}]: {html.escape(term.expansion)}" for term in site.glossary]
    return "\n".join(lines) + "\n"
