"""import-ref: PubMed MEDLINE or XML, RIS, CSL-JSON / Crossref JSON -> entries ready to paste."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from generator.errors import ImportFailed
from generator.importers.refs import read_references, snippet
from generator.load import RawRecord, parse_text
from generator.validate import PLACEHOLDER, TO_FILL_IN, validate_records
from tests.conftest import DATA, ROOT, minimal_record, run_generator

REFS = DATA / "refs"


def pasted(references_text: str) -> RawRecord:
    """A minimal record with the snippet pasted under `references:`."""
    head = yaml.safe_dump(
        {k: v for k, v in minimal_record("pasted").items() if k != "references"},
        sort_keys=False,
    )
    record = parse_text(Path("pasted.yaml"), head + "references:\n" + references_text)
    assert isinstance(record, RawRecord), record
    return record


def imported(name: str) -> list[dict[str, object]]:
    text = snippet(read_references((REFS / name).read_text(encoding="utf-8")))
    record = pasted(text)
    assert [i for i in validate_records([record]) if not i.message.startswith(TO_FILL_IN)] == []
    refs: list[dict[str, object]] = record.data["references"]
    return refs


def test_pubmed_articles_become_references() -> None:
    first, review, retracted = imported("pubmed.xml")
    assert first == {
        "id": "paper",  # the first entry is the study's own report, as the skeleton names it
        "type": "article",
        "authors": ["Doe JA", "Núñez J", "Synthetic Trial Group"],
        "title": 'Synthetic cord blood cells & CD34+ counts: a "fake" trial <for tests>',
        "journal": "J Test Med",
        "year": 2022,
        "date": "2022-06-07",
        "volume": "12",
        "issue": "3",
        "pages": "101-109",
        "doi": "10.9999/jtm.2022.0001",
        "pmid": "99999991",
        "pmcid": "PMC9999991",
    }
    assert review["type"] == "review"
    assert review["et_al"] is True
    assert review["year"] == 2021
    assert "date" not in review  # "2021 Jun-Jul" is not one date
    # A retracted paper is never typed automatically, and says so.
    assert str(retracted["type"]).startswith(PLACEHOLDER)
    assert retracted["note"] == "Retracted publication (PubMed)."
    assert str(retracted["doi"]).startswith(f"{PLACEHOLDER} '10.9999/bad doi with spaces'")
    assert "date" not in retracted  # month 13 does not exist


def test_crossref_and_csl_json_become_references() -> None:
    (crossref,) = imported("crossref.json")
    assert crossref["authors"] == ["Doe JA", "Martin JP", "Synthetic Consortium"]
    assert crossref["journal"] == "J Made-Up Res"
    assert crossref["date"] == "2023-02"  # 30 February does not exist
    assert crossref["issue"] == "2"
    assert str(crossref["type"]).startswith(PLACEHOLDER)  # a journal article may be a review
    review, preprint, empty = imported("csl.json")
    assert (review["type"], review["date"], review["pmid"]) == ("review", "2020-05", "99999994")
    assert preprint["type"] == "preprint"
    assert str(preprint["doi"]).startswith(PLACEHOLDER)
    assert str(empty["title"]).startswith(PLACEHOLDER)


def test_ids_stay_unique_within_one_import() -> None:
    text = snippet([{"id": "doe-2020", "type": "article", "title": "A"}] * 4)
    ids = [r["id"] for r in pasted(text).data["references"]]
    assert ids == ["paper", "doe-2020", "doe-2020-2", "doe-2020-3"]
    named = snippet([{"id": "doe-2020", "type": "article", "title": "A"}] * 2, "doe-2020")
    assert [r["id"] for r in pasted(named).data["references"]] == ["doe-2020", "doe-2020-2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;">]><PubmedArticleSet>&lol2;</PubmedArticleSet>',
            "XML with a DTD internal subset is not accepted",
        ),
        (
            '<!DOCTYPE x SYSTEM "file:///etc/passwd"><PubmedArticleSet/>',
            "no journal articles",
        ),
        (
            "<PubmedArticleSet>&undefined;</PubmedArticleSet>",
            "not well-formed XML: undefined entity",
        ),
        ("<PubmedArticleSet><PubmedArticle>", "not well-formed XML: no element found"),
        ("<PubmedArticleSet><PubmedBookArticle/></PubmedArticleSet>", "1 book record(s)"),
        ("<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>", "no MedlineCitation/Article"),
        (
            "plain text",
            "expected PubMed MEDLINE (.nbib) or XML (efetch), RIS, or CSL-JSON / Crossref JSON",
        ),
        ("\nTI  - a title without its PMID line\n", "expected PubMed MEDLINE"),
        (
            "PMID- 1\n\n      stray continuation\nTI  - x\n",
            "a record must start with its PMID line",
        ),
        ("TY  - JOUR\nER  - \nTI  - outside a record\n", "a record must start with its TY line"),
        ("[1, 2]", "expected a CSL-JSON item"),
        ("[]", "expected a CSL-JSON item"),
    ],
)
def test_unsafe_or_unknown_input_is_refused(content: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_references(content)


def test_command_prints_a_snippet_and_reports_bad_files(tmp_path: Path) -> None:
    ok = run_generator("import-ref", str(REFS / "pubmed.xml"), cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("# Paste under `references:`")
    assert "  - id: paper\n" in ok.stdout
    bad = tmp_path / "bad.xml"
    bad.write_text("<a>\n<b></a>", encoding="utf-8")
    broken = tmp_path / "bad.json"
    broken.write_text('{"title": ', encoding="utf-8")
    for path, expected in (
        (bad, "bad.xml:2:6: (record): not well-formed XML: mismatched tag"),
        (broken, "bad.json:1:11: (record): not valid JSON: Expecting value"),
    ):
        result = run_generator("import-ref", str(path), cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.splitlines()[0] == expected
        assert "Traceback" not in result.stderr


def test_deep_nesting_never_crashes() -> None:
    deep_title = "<i>" * 5000 + "x" + "</i>" * 5000
    xml = (
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        f"<ArticleTitle>{deep_title}</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>"
    )
    assert read_references(xml)[0]["title"] == "x"
    with pytest.raises(ImportFailed, match="nested too deeply"):
        read_references("[" * 100_000 + "]" * 100_000)


REN_2020 = {
    "id": "paper",
    "type": "article",
    "authors": [
        "Ren Z", "Xu F", "Zhang X", "Zhang C", "Miao J", "Xia X", "Kang M", "Wei W",
        "Ma T", "Zhang Q", "Lu L", "Wen J", "Liu G", "Liu K", "Wang Q", "Yang J",
    ],
    "title": "Autologous cord blood cell infusion in preterm neonates safely reduces "
    "respiratory support duration and potentially preterm complications",
    "journal": "Stem Cells Transl Med",
    "year": 2020,
    "date": "2020-02",
    "volume": "9",
    "issue": "2",
    "pages": "169-176",
    "doi": "10.1002/sctm.19-0106",
    "pmid": "31702120",
}  # fmt: skip
"""Ren 2020 (PMID 31702120) as its PubMed page gives it; tests/data/refs/README.md."""


@pytest.mark.parametrize("name", ["ren-2020.nbib", "ren-2020.ris", "ren-2020.xml"])
def test_one_paper_gives_one_entry_from_medline_ris_or_xml(name: str) -> None:
    assert imported(name) == [REN_2020]


def test_medline_ris_and_xml_snippets_are_the_same_text() -> None:
    texts = {
        name: snippet(read_references((REFS / name).read_text(encoding="utf-8")))
        for name in ("ren-2020.nbib", "ren-2020.ris", "ren-2020.xml")
    }
    assert len(set(texts.values())) == 1, texts


def test_an_independent_ris_reader_reads_the_same_fields() -> None:
    """rispy (a test dependency only) parses the RIS fixture; our reader must agree with it."""
    import rispy

    (entry,) = rispy.loads((REFS / "ren-2020.ris").read_text(encoding="utf-8"))
    (ours,) = imported("ren-2020.ris")
    assert entry["title"] == ours["title"]
    assert [a.split(",")[0] for a in entry["authors"]] == [a.split()[0] for a in ours["authors"]]
    assert (entry["year"], entry["volume"], entry["number"]) == ("2020", "9", "2")
    assert (ours["year"], ours["volume"], ours["issue"]) == (2020, "9", "2")
    assert f"{entry['start_page']}-{entry['end_page']}" == ours["pages"]
    assert (entry["doi"], entry["accession_number"]) == (ours["doi"], ours["pmid"])
    assert entry["alternate_title1"] == ours["journal"]  # J2, the abbreviated journal name


MEDLINE_CASES = """
PMID- 99999995
TI  - A made-up article whose title runs over
      two lines.
DP  - 2021 Spring
CN  - Synthetic Trial Group
AU  - Doe JA
LID - S0000-0000(21)00000-0 [pii]
LID - 10.9999/made.up.1 [doi]
PMC - PMC9999995
PT  - Journal Article
PT  - Retracted Publication
TA  - J Test Med

PMID- 99999996
TT  - Ein erfundener Artikel.
DP  - 2022 Jun 7
PT  - Review
JT  - Reviews in testing
"""


def test_medline_fields_as_pubmed_writes_them() -> None:
    first, second = read_references(MEDLINE_CASES)
    assert first["title"] == "A made-up article whose title runs over two lines"
    assert first["authors"] == ["Synthetic Trial Group", "Doe JA"]  # in PubMed's order
    assert (first["year"], "date" in first) == (2021, False)  # a season is no date
    assert first["doi"] == "10.9999/made.up.1"  # the DOI, not the publisher item id
    assert (first["pmid"], first["pmcid"]) == ("99999995", "PMC9999995")
    assert str(first["type"]).startswith(PLACEHOLDER)  # a retraction is never typed for you
    assert first["note"] == "Retracted publication (PubMed)."
    assert second["title"] == "Ein erfundener Artikel"  # TT when there is no TI
    assert (second["type"], second["date"], second["journal"]) == (
        "review",
        "2022-06-07",
        "Reviews in testing",
    )


RIS_CASES = (
    "Exported by a reference manager\r\n"
    "TY  - JOUR\r\nA1  - Martin, Jean-Pierre\r\nA1  - Synthetic Consortium\r\n"
    "T1  - A made-up article.\r\nJO  - J Made-Up Res\r\nY1  - 2019/11/08/\r\n"
    "SP  - e12\r\nDO  - https://doi.org/10.9999/made.up.2\r\nUR  - https://example.org/a\r\n"
    "ER  - \r\n"
    "TY  - ABST\r\nAU  - Roe, R.\r\nTI  - A made-up abstract\r\nPY  - 2023\r\n"
    "UR  - https://example.org/abstract\r\nAN  - 12345\r\nDB  - Embase\r\nER  - \r\n"
    "TY  - JOUR\r\nTI  - No type of work\r\nER  -\r\n"
)


def test_ris_fields_as_reference_managers_write_them() -> None:
    first, second, third = read_references(RIS_CASES)
    assert first["authors"] == ["Martin JP", "Synthetic Consortium"]
    assert (first["title"], first["journal"]) == ("A made-up article", "J Made-Up Res")
    assert (first["year"], first["date"], first["pages"]) == (2019, "2019-11-08", "e12")
    assert first["doi"] == "10.9999/made.up.2"  # the DOI, without the resolver's address
    assert "url" not in first  # a DOI is the canonical link
    assert (second["type"], second["authors"]) == ("abstract", ["Roe R"])
    assert second["url"] == "https://example.org/abstract"
    assert "pmid" not in second  # an accession number from Embase is not a PMID
    assert str(third["type"]).startswith(
        f"{PLACEHOLDER} the kind of source (the file says TY JOUR)"
    )


def test_id_names_the_reference_and_bad_ids_are_refused(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_generator("import-ref", *args, cwd=tmp_path)

    named = run("--id", "ren-2020", str(REFS / "ren-2020.nbib"))
    assert named.returncode == 0, named.stderr
    assert "\n  - id: ren-2020\n" in named.stdout
    for bad in ("Ren_2020", "x" * 41, ""):
        refused = run("--id", bad, str(REFS / "ren-2020.nbib"))
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            f"error: {bad!r} is not a reference id: use lower-case letters, digits and hyphens "
            "(at most 40 characters), e.g. paper or registry"
        ]
