"""Import references: PubMed XML (efetch) or CSL-JSON / Crossref JSON -> reference entries.

Pure: takes the file's text and returns reference drafts in the schema's reference fields.
XML is parsed with expat directly and refuses entity declarations and DTD internal subsets,
so a file can neither expand entities ("billion laughs") nor make the parser fetch anything;
PubMed's own DOCTYPE line (a public identifier, no internal subset) is accepted.
"""

from __future__ import annotations

import calendar
import json
import re
import xml.parsers.expat
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from generator.draft import clean, emit_item, settle, todo
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


def read_references(text: str) -> list[dict[str, Any]]:
    """Reference drafts from the text of a PubMed XML or CSL-JSON / Crossref JSON file."""
    start = text.lstrip("\ufeff \t\r\n")[:1]
    try:
        if start == "<":
            return from_pubmed(parse_xml(text))
        if start and start in "{[":
            return from_csl(json.loads(text))
    except RecursionError:
        raise ImportFailed("nested too deeply") from None
    raise ImportFailed("expected PubMed XML (efetch) or CSL-JSON / Crossref JSON")


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
    if journal:
        ref["journal"] = journal
    if year:
        ref["year"] = year
    if date and date != str(year):
        ref["date"] = date
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


# --- text ------------------------------------------------------------------------------------


def snippet(references: list[dict[str, Any]]) -> str:
    """YAML text of the references, indented to paste under `references:` in a record."""
    taken: set[str] = set()
    settled = []
    for ref in references:
        ident, n = ref["id"], 2
        while ident in taken:
            ident, n = f"{ref['id']}-{n}", n + 1
        taken.add(ident)
        settled.append(_settle({**ref, "id": ident}))
    body = "".join(emit_item(ref, indent=2) for ref in settled)
    return "# Paste under `references:` in the record; keep ids unique within the record.\n" + body


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
