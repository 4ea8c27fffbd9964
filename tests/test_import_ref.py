"""import-ref: PubMed XML or CSL-JSON / Crossref JSON -> reference entries ready to paste."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.errors import ImportFailed
from generator.importers.refs import read_references, snippet
from generator.load import RawRecord, parse_text
from generator.validate import PLACEHOLDER, TO_FILL_IN, validate_records
from tests.conftest import DATA, ROOT, minimal_record

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
        "id": "doe-2022",
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
    text = snippet([{"id": "doe-2020", "type": "article", "title": "A"}] * 3)
    ids = [r["id"] for r in pasted(text).data["references"]]
    assert ids == ["doe-2020", "doe-2020-2", "doe-2020-3"]


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
        ("plain text", "expected PubMed XML (efetch) or CSL-JSON / Crossref JSON"),
        ("[1, 2]", "expected a CSL-JSON item"),
        ("[]", "expected a CSL-JSON item"),
    ],
)
def test_unsafe_or_unknown_input_is_refused(content: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_references(content)


def test_command_prints_a_snippet_and_reports_bad_files(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "generator", "import-ref", str(REFS / "pubmed.xml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("# Paste under `references:`")
    assert "  - id: doe-2022\n" in ok.stdout
    bad = tmp_path / "bad.xml"
    bad.write_text("<a>\n<b></a>", encoding="utf-8")
    broken = tmp_path / "bad.json"
    broken.write_text('{"title": ', encoding="utf-8")
    for path, expected in (
        (bad, "bad.xml:2:6: (record): not well-formed XML: mismatched tag"),
        (broken, "bad.json:1:11: (record): not valid JSON: Expecting value"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "generator", "--root", str(tmp_path), "import-ref", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
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
