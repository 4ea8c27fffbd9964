"""Import references: PubMed MEDLINE (.nbib) or XML (efetch), RIS, or CSL-JSON / Crossref
JSON -> reference entries.

Pure: takes the file's text and returns reference drafts in the schema's reference fields.
XML is parsed with expat directly and refuses entity declarations and DTD internal subsets,
so a file can neither expand entities ("billion laughs") nor make the parser fetch anything;
PubMed's own DOCTYPE line (a public identifier, no internal subset) is accepted. MEDLINE and
RIS are line-based tag formats, read here with the same rules as the PubMed XML (publication
types, dates, DOIs), so one paper gives one entry whichever export it comes from.
"""

from __future__ import annotations

import calendar
import json
import re
import xml.parsers.expat
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from generator.draft import MAIN_REFERENCE, clean, emit_item, settle, todo
from generator.errors import ImportFailed
from generator.schema import labels

MONTHS = {
    name: f"{number:02d}"
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
PUBMED_TYPES = (
    ("Retracted Publication", None),
    ("Preprint", "preprint"),
    ("Systematic Review", "review"),
    ("Meta-Analysis", "review"),
    ("Review", "review"),
    ("Editorial", "commentary"),
    ("Comment", "commentary"),
    ("Letter", "commentary"),
    ("Journal Article", "article"),
)
"""PubMed publication types, most telling first; a retraction is never typed automatically."""


FORMATS = "PubMed MEDLINE (.nbib) or XML (efetch), RIS, or CSL-JSON / Crossref JSON"
"""What import-ref reads, for messages."""


def read_references(text: str) -> list[dict[str, Any]]:
    """Reference drafts from the text of a file in one of the FORMATS."""
    body = text.lstrip("\ufeff \t\r\n")
    start = body[:1]
    try:
        if start == "<":
            return from_pubmed(parse_xml(text))
        if start and start in "{[":
            return from_csl(json.loads(text))
    except RecursionError:
        raise ImportFailed("nested too deeply") from None
    if _MEDLINE_START.match(body):
        return from_medline(text)
    if _RIS_START.search(body):  # some exports open with a line or two before the first record
        return from_ris(text)
    raise ImportFailed(f"expected {FORMATS}")


# --- XML -------------------------------------------------------------------------------------


def parse_xml(text: str) -> Element:
    """Parse XML safely: no entity declarations, no DTD internal subset, nothing fetched."""
    builder = TreeBuilder()
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> Any:
        raise ImportFailed("XML entity declarations are not accepted")

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        if internal:
            raise ImportFailed("XML with a DTD internal subset is not accepted")

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(tag, attrs)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        message = f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}"
        raise ImportFailed(message, exc.lineno, exc.offset + 1) from None
    return builder.close()


def _all_text(node: Element | None) -> str | None:
    """An element's text including inline markup such as <i> or <sup>, cleaned."""
    if node is None:
        return None
    return clean("".join(node.itertext())) or None


def from_pubmed(root: Element) -> list[dict[str, Any]]:
    """Reference drafts from a PubmedArticleSet (or a single PubmedArticle)."""
    articles = [root] if root.tag == "PubmedArticle" else root.findall("PubmedArticle")
    if not articles:
        books = len(root.findall("PubmedBookArticle"))
        reason = f"{books} book record(s) (not supported)" if books else "no PubmedArticle"
        raise ImportFailed(f"no journal articles in this PubMed XML: {reason}")
    return [_pubmed_article(article) for article in articles]


def _pubmed_article(article: Element) -> dict[str, Any]:
    citation = article.find("MedlineCitation")
    art = citation.find("Article") if citation is not None else None
    if citation is None or art is None:
        raise ImportFailed("a PubmedArticle has no MedlineCitation/Article")
    ref: dict[str, Any] = {}
    authors, complete = _pubmed_authors(art)
    kinds = [t.text or "" for t in art.findall("PublicationTypeList/PublicationType")]
    ref["type"] = _pubmed_type(kinds)
    if authors:
        ref["authors"] = authors
        if not complete:
            ref["et_al"] = True
    title = _all_text(art.find("ArticleTitle")) or _all_text(art.find("VernacularTitle"))
    ref["title"] = _strip_period(title) if title else todo("the article's title")
    journal = art.find("Journal")
    name = _all_text(art.find("Journal/ISOAbbreviation")) or _all_text(
        citation.find("MedlineJournalInfo/MedlineTA")
    )
    if name:
        ref["journal"] = name
    issue = journal.find("JournalIssue") if journal is not None else None
    year, date = _pubmed_date(issue.find("PubDate") if issue is not None else None)
    if year:
        ref["year"] = year
    if date and date != str(year):
        ref["date"] = date
    for field, path in (("volume", "Volume"), ("issue", "Issue")):
        value = _all_text(issue.find(path)) if issue is not None else None
        if value:
            ref[field] = value
    pages = _all_text(art.find("Pagination/MedlinePgn"))
    if pages:
        ref["pages"] = pages
    ids = {
        (node.get("IdType") or ""): clean(node.text or "")
        for node in article.findall("PubmedData/ArticleIdList/ArticleId")
    }
    doi = next(
        (
            clean(node.text or "")
            for node in art.findall("ELocationID")
            if node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y"
        ),
        None,
    ) or ids.get("doi")
    if doi:
        ref["doi"] = doi
    pmid = _all_text(citation.find("PMID"))
    if pmid:
        ref["pmid"] = pmid
    if ids.get("pmc"):
        ref["pmcid"] = ids["pmc"]
    if "Retracted Publication" in kinds:
        ref["note"] = "Retracted publication (PubMed)."
    ref["id"] = _ref_id(authors, year)
    return {"id": ref.pop("id"), **ref}


def _pubmed_authors(art: Element) -> tuple[list[str], bool]:
    author_list = art.find("AuthorList")
    if author_list is None:
        return [], True
    names = []
    for author in author_list.findall("Author"):
        if author.get("ValidYN", "Y") != "Y":
            continue
        collective = _all_text(author.find("CollectiveName"))
        last = _all_text(author.find("LastName"))
        initials = _all_text(author.find("Initials"))
        name = collective or " ".join(p for p in (last, initials) if p)
        if name:
            names.append(name[:120])
    return names, author_list.get("CompleteYN", "Y") != "N"


def _pubmed_type(kinds: list[str]) -> str:
    for kind, ours in PUBMED_TYPES:
        if kind in kinds:
            if ours is None:
                break
            return ours
    shown = ", ".join(kinds) or "none"
    return todo(f"the kind of source (PubMed publication types: {shown})")


def _pubmed_date(node: Element | None) -> tuple[int | None, str | None]:
    if node is None:
        return None, None
    year_text = _all_text(node.find("Year"))
    if year_text is None:  # MedlineDate, e.g. "2021 Jun-Jul": the year only
        match = re.match(r"\s*([0-9]{4})", _all_text(node.find("MedlineDate")) or "")
        return (int(match.group(1)), None) if match else (None, None)
    if not re.fullmatch(r"[0-9]{4}", year_text):
        return None, None
    month_text = (_all_text(node.find("Month")) or "").lower()
    month = MONTHS.get(month_text[:3]) or (
        f"{int(month_text):02d}" if month_text.isdigit() and 1 <= int(month_text) <= 12 else None
    )
    day_text = _all_text(node.find("Day")) or ""
    day = int(day_text) if day_text.isdigit() else None
    return int(year_text), _date_text(int(year_text), int(month) if month else None, day)


def _date_text(year: int, month: int | None, day: int | None) -> str:
    """YYYY, YYYY-MM or YYYY-MM-DD, dropping a month or day that does not exist."""
    if month is None or not 1 <= month <= 12:
        return str(year)
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{day:02d}"


def _strip_period(title: str) -> str:
    """PubMed ends every title with a period; our formatter adds its own."""
    return title[:-1] if title.endswith(".") and not title.endswith("..") else title


# --- CSL-JSON and Crossref -------------------------------------------------------------------


def from_csl(data: Any) -> list[dict[str, Any]]:
    """Reference drafts from CSL-JSON (one item or a list) or a Crossref API response."""
    if isinstance(data, dict) and isinstance(data.get("message"), dict):
        message = data["message"]
        data = message.get("items", message) if isinstance(message.get("items"), list) else message
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ImportFailed("expected a CSL-JSON item (a JSON object) or a list of them")
    return [_csl_item(item) for item in items]


def _first(value: Any) -> str | None:
    """Crossref gives titles as lists, CSL-JSON as strings."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    return clean(value) or None if isinstance(value, str) else None


def _csl_item(item: dict[str, Any]) -> dict[str, Any]:
    authors = []
    for person in item.get("author") or []:
        if not isinstance(person, dict):
            continue
        family, given = _first(person.get("family")), _first(person.get("given"))
        literal = _first(person.get("literal")) or _first(person.get("name"))
        initials = "".join(part[0] for part in re.split(r"[\s.\-]+", given or "") if part)
        name = " ".join(p for p in (family, initials) if p) or literal
        if name:
            authors.append(name[:120])
    year, date = _csl_date(item.get("issued"))
    ref: dict[str, Any] = {"id": _ref_id(authors, year), "type": _csl_type(item)}
    if authors:
        ref["authors"] = authors
    title = _first(item.get("title"))
    ref["title"] = title or todo("the work's title")
    journal = (
        _first(item.get("container-title-short"))
        or _first(item.get("short-container-title"))
        or _first(item.get("container-title"))
        or _first(item.get("publisher"))
    )
    _put_published(ref, journal, year, date)
    for field, key in (("volume", "volume"), ("issue", "issue"), ("pages", "page")):
        value = item.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = _first(value)
        if text:
            ref[field] = text
    for field, key in (("doi", "DOI"), ("pmid", "PMID"), ("pmcid", "PMCID")):
        text = _first(item.get(key))
        if text:
            ref[field] = text
    url = _first(item.get("URL"))
    if url and "doi" not in ref and "pmid" not in ref:
        ref["url"] = url
    return ref


def _csl_type(item: dict[str, Any]) -> str:
    kind, subtype = item.get("type"), item.get("subtype")
    if kind == "posted-content" and subtype == "preprint":
        return "preprint"
    if kind == "review":
        return "review"
    choices = ", ".join(labels("reference_type"))
    return todo(f"the kind of source (the file says {kind!r}): choose from {choices}")


def _csl_date(issued: Any) -> tuple[int | None, str | None]:
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
    numbers = []
    for part in first[:3]:
        if isinstance(part, str) and part.isdigit():
            part = int(part)
        if not isinstance(part, int) or isinstance(part, bool):
            break
        numbers.append(part)
    if not numbers or not 1000 <= numbers[0] <= 9999:
        return None, None
    month = numbers[1] if len(numbers) > 1 else None
    day = numbers[2] if len(numbers) > 2 else None
    return numbers[0], _date_text(numbers[0], month, day)


def _ref_id(authors: list[str], year: int | None) -> str:
    """A record-local id such as 'sun-2017' from the first author's surname and the year."""
    surname = authors[0].split(" ")[0] if authors else "paper"
    words = re.sub(r"[^a-z0-9]+", "-", surname.lower()).strip("-")[:30] or "paper"
    return f"{words}-{year}" if year else words


# --- MEDLINE (.nbib) and RIS: tagged lines ---------------------------------------------------

_MEDLINE_START = re.compile(r"PMID- ?[0-9]")
_RIS_START = re.compile(r"^TY {1,2}- ?\S", re.MULTILINE)
_MEDLINE_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)")
_RIS_LINE = re.compile(r"([A-Z][A-Z0-9]) {1,2}- ?(.*)")

Tagged = list[tuple[str, str]]
"""One record of a tagged file: (tag, value) in file order, continuation lines joined."""


def _tagged_records(
    text: str, line: re.Pattern[str], *, first: str, last: str | None
) -> list[Tagged]:
    """Split a MEDLINE or RIS file into records of (tag, value).

    A record starts at its `first` tag and ends at a blank line (MEDLINE) or at its `last`
    tag (RIS: `ER`); a line without a tag continues the value above it.
    """
    records: list[Tagged] = []
    current: Tagged | None = None
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        found = line.fullmatch(raw.rstrip())
        if found and found.group(1) == first:
            current = []
            records.append(current)
        if not raw.strip():
            if last is None:
                current = None
            continue
        if current is None:
            if found:
                raise ImportFailed(f"a record must start with its {first} line", number, 1)
            continue  # text between records (a RIS file's preamble, say)
        if found:
            tag, value = found.group(1), clean(found.group(2))
            if tag == last:
                current = None
                continue
            current.append((tag, value))
        elif current:
            tag, value = current[-1]
            current[-1] = (tag, clean(f"{value} {raw}"))
    if not records:
        raise ImportFailed(f"no records: a record starts with a {first} line")
    return records


def _values(record: Tagged, *tags: str) -> list[str]:
    """Values of the first of `tags` that the record has (in file order), non-empty only."""
    for tag in tags:
        found = [value for name, value in record if name == tag and value]
        if found:
            return found
    return []


def _value(record: Tagged, *tags: str) -> str | None:
    found = _values(record, *tags)
    return found[0] if found else None


def from_medline(text: str) -> list[dict[str, Any]]:
    """Reference drafts from PubMed's MEDLINE format (.nbib; efetch rettype=medline)."""
    return [
        _medline_record(record)
        for record in _tagged_records(text, _MEDLINE_LINE, first="PMID", last=None)
    ]


def _medline_record(record: Tagged) -> dict[str, Any]:
    # AU (Surname Initials) and CN (a group's name) in the order PubMed lists them.
    authors = [value[:120] for tag, value in record if tag in ("AU", "CN") and value]
    kinds = _values(record, "PT")
    ref: dict[str, Any] = {"type": _pubmed_type(kinds)}
    if authors:
        ref["authors"] = authors
    title = _value(record, "TI", "TT")
    ref["title"] = _strip_period(title) if title else todo("the article's title")
    journal = _value(record, "TA", "JT")
    if journal:
        ref["journal"] = journal
    year, date = _medline_date(_value(record, "DP"))
    if year:
        ref["year"] = year
    if date and date != str(year):
        ref["date"] = date
    for field, tag in (("volume", "VI"), ("issue", "IP"), ("pages", "PG")):
        value = _value(record, tag)
        if value:
            ref[field] = value
    doi = next(
        (
            value.removesuffix("[doi]").strip()
            for value in _values(record, "LID") + _values(record, "AID")
            if value.endswith("[doi]")
        ),
        None,
    )
    if doi:
        ref["doi"] = doi
    for field, tag in (("pmid", "PMID"), ("pmcid", "PMC")):
        value = _value(record, tag)
        if value:
            ref[field] = value
    if "Retracted Publication" in kinds:
        ref["note"] = "Retracted publication (PubMed)."
    return {"id": _ref_id(authors, year), **ref}


_DP = re.compile(r"([0-9]{4})(?: ([A-Za-z]{3})(?: ([0-9]{1,2}))?)?")


def _medline_date(text: str | None) -> tuple[int | None, str | None]:
    """'2020 Feb' -> (2020, '2020-02'); a season or a span ('2021 Jun-Jul') gives the year."""
    if not text:
        return None, None
    whole = _DP.fullmatch(text)
    if whole is None:
        start = re.match(r"([0-9]{4})", text)
        return (int(start.group(1)), None) if start else (None, None)
    year = int(whole.group(1))
    month = MONTHS.get((whole.group(2) or "").lower())
    day = int(whole.group(3)) if whole.group(3) else None
    return year, _date_text(year, int(month) if month else None, day)


def from_ris(text: str) -> list[dict[str, Any]]:
    """Reference drafts from RIS (reference managers, journals, Crossref, doi.org)."""
    return [
        _ris_record(record) for record in _tagged_records(text, _RIS_LINE, first="TY", last="ER")
    ]


_DOI_URL = re.compile(r"(?i)https?://(?:dx\.)?doi\.org/")


def _put_published(ref: dict[str, Any], journal: str | None, year: Any, date: Any) -> None:
    """Journal and year where known; the full date only when it says more than the year."""
    if journal:
        ref["journal"] = journal
    if year:
        ref["year"] = year
    if date and date != str(year):
        ref["date"] = date


def _ris_record(record: Tagged) -> dict[str, Any]:
    authors = [_person(value) for value in _values(record, "AU", "A1")]
    year, date = _ris_date(_value(record, "DA"), _value(record, "PY", "Y1"))
    ref: dict[str, Any] = {"type": _ris_type(record)}
    if authors:
        ref["authors"] = authors
    title = _value(record, "TI", "T1")
    ref["title"] = _strip_period(title) if title else todo("the work's title")
    journal = _value(record, "J2", "JA", "J1", "JO", "T2", "JF")
    _put_published(ref, journal, year, date)
    for field, tag in (("volume", "VL"), ("issue", "IS")):
        value = _value(record, tag)
        if value:
            ref[field] = value
    pages = _ris_pages(_value(record, "SP"), _value(record, "EP"))
    if pages:
        ref["pages"] = pages
    urls = _values(record, "UR")
    doi = _value(record, "DO") or next((u for u in urls if _DOI_URL.match(u)), None)
    if doi:
        ref["doi"] = _DOI_URL.sub("", doi, count=1)
    database = " ".join(_values(record, "DB") + _values(record, "DP")).lower()
    accession = _value(record, "AN")
    if (
        accession
        and accession.isdigit()
        and any(n in database for n in ("pubmed", "medline", "nlm"))
    ):
        ref["pmid"] = accession
    pmcid = next((v for v in _values(record, "C2") if re.fullmatch(r"PMC[0-9]+", v)), None)
    if pmcid:
        ref["pmcid"] = pmcid
    if urls and "doi" not in ref and "pmid" not in ref:
        ref["url"] = urls[0]
    return {"id": _ref_id(authors, year), **ref}


def _person(name: str) -> str:
    """'Ren, Zhuxiao' or 'Ren, Z.' -> 'Ren Z' (as PubMed writes names); other forms as they are."""
    if "," not in name:
        return name[:120]
    family, given = (part.strip() for part in name.split(",", 1))
    return " ".join(p for p in (family, _initials(given)) if p)[:120]


def _initials(given: str) -> str:
    return "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)


def _ris_type(record: Tagged) -> str:
    """A RIS record's kind: from PubMed publication types when the file carries them (in M3,
    as reference managers export a PubMed record), else only what TY says for certain."""
    kinds = [k.strip() for value in _values(record, "M3") for k in value.split(";")]
    if any(kind in dict(PUBMED_TYPES) for kind in kinds):
        return _pubmed_type(kinds)
    ris_type = _value(record, "TY") or ""
    if ris_type == "ABST":
        return "abstract"
    choices = ", ".join(labels("reference_type"))
    return todo(f"the kind of source (the file says TY {ris_type}): choose from {choices}")


def _ris_date(full: str | None, year_text: str | None) -> tuple[int | None, str | None]:
    """RIS dates are 'YYYY/MM/DD/other' with parts left empty ('2020/02//')."""
    for text in (full, year_text):
        parts = (text or "").split("/")
        if not re.fullmatch(r"[0-9]{4}", parts[0].strip()):
            continue
        year = int(parts[0])
        numbers = [int(p) if p.strip().isdigit() else None for p in parts[1:3]]
        month, day = [*numbers, None, None][:2]
        return year, _date_text(year, month, day if month else None)
    return None, None


def _ris_pages(start: str | None, end: str | None) -> str | None:
    if start and end and end != start:
        return f"{start}-{end}"
    return start or end


# --- text ------------------------------------------------------------------------------------


def snippet(references: list[dict[str, Any]], ident: str = MAIN_REFERENCE) -> str:
    """YAML text of the references, indented to paste under `references:` in a record.

    The first reference is named `ident`: by default the id that `new` gives the study's own
    report, so pasting it over the skeleton's entry makes the skeleton's `sources` resolve.
    Any further references in the same file keep their author-year ids (e.g. `ren-2020`).
    """
    taken: set[str] = set()
    settled = []
    for index, ref in enumerate(references):
        base = ident if index == 0 else ref["id"]
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        settled.append(_settle({**ref, "id": name}))
    body = "".join(emit_item(ref, indent=2) for ref in settled)
    where = (
        f"over the skeleton's `- id: {ident}` entry,\n# if it has one"
        if ident == MAIN_REFERENCE
        else "as a further entry,\n# cited by its id"
    )
    return (
        f"# Paste under `references:` in the record ({where}); keep ids unique within the "
        "record.\n" + body
    )


def _settle(ref: dict[str, Any]) -> dict[str, Any]:
    """The reference with every value `check` would refuse marked as a placeholder."""
    wrapper: dict[str, Any] = {
        "id": "draft",
        "short_name": "Draft",
        "title": "Draft",
        "evidence_kind": "case-series",
        "status": "completed",
        "conditions": ["cerebral-palsy"],
        "summary": "Draft.",
        "references": [ref],
        "last_reviewed": "2000-01-01",
    }
    settle(wrapper)  # marks refused values in place
    settled: dict[str, Any] = wrapper["references"][0]
    return settled
