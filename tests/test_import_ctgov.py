"""import-ctgov: registry study -> draft record that `check` reports only at marked fields."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.importers.ctgov import draft_record, draft_text, registry_changes
from generator.load import RawRecord, parse_text
from generator.validate import PLACEHOLDER, TO_FILL_IN, validate_records
from tests.conftest import DATA, run_generator

CTGOV = DATA / "ctgov"
FIXTURES = sorted(CTGOV.glob("*.json"))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_generator(*args, cwd=cwd)


def study(name: str) -> Any:
    return json.loads((CTGOV / name).read_text(encoding="utf-8"))


def parsed(text: str, name: str) -> RawRecord:
    record = parse_text(Path(f"{name}.yaml"), text)
    assert isinstance(record, RawRecord), record
    return record


def test_fixtures_include_the_real_record_and_our_own() -> None:
    assert {p.name for p in FIXTURES} >= {
        "NCT04267848.json",
        "results-posted.json",
        "odd-shapes.json",
        "minimal.json",
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_draft_fails_check_only_at_marked_fields(fixture: Path) -> None:
    data = json.loads(fixture.read_text(encoding="utf-8"))
    text = draft_text(data, "draft")
    record = parsed(text, "draft")
    issues = validate_records([record])
    assert issues, "a draft always has fields to fill in"
    assert [i for i in issues if not i.message.startswith(TO_FILL_IN)] == []
    # Every reported field holds a placeholder, and every placeholder is reported.
    assert text.count(f'"{PLACEHOLDER}') == len(issues)


def test_real_record_maps_registry_facts() -> None:
    record = parsed(draft_text(study("NCT04267848.json"), "nct04267848"), "nct04267848").data
    assert record["registrations"] == [{"registry": "clinicaltrials.gov", "id": "NCT04267848"}]
    assert record["status"] == "recruiting"
    assert record["phase"] == "3"
    assert record["population"]["planned"] == 1210
    assert record["dates"]["start"] == "2020-06-16"
    assert record["countries"] == ["Guam", "United States"]
    assert record["sponsor"] == "National Cancer Institute (NCI)"
    assert record["design"]["allocation"] == "randomised"
    assert record["population"]["arms"][0]["label"] == ("Arm A (platinum doublet, observation)")
    assert record["outcomes"][0]["primary"] is True
    assert record["references"][1]["pmid"] == "33878954"
    # Never guessed: the vocabulary fields are left for a person.
    assert record["conditions"][0].startswith(PLACEHOLDER)
    assert all(i["cell_type"].startswith(PLACEHOLDER) for i in record["interventions"])
    assert record["summary"].startswith(PLACEHOLDER)


def test_posted_results_are_imported_with_their_numbers() -> None:
    text = draft_text(study("results-posted.json"), "nct99999901")
    record = parsed(text, "nct99999901").data
    assert record["title"].startswith('Synthetic test study: "cord blood" #1 <script>')
    assert record["short_name"] == "SYNTH-CB"
    assert record["phase"] == "1-2"
    assert record["design"]["masking"] == "outcome-assessor"
    assert record["comparator"] == {"kind": "placebo", "sources": ["registry"]}
    assert record["population"]["enrolled"] == 40
    assert [(a["id"], a.get("n")) for a in record["population"]["arms"]] == [
        ("cord-blood", 20),
        ("placebo", 20),
    ]
    assert record["interventions"][0]["arm"] == "cord-blood"
    assert record["registrations"] == [
        {"registry": "clinicaltrials.gov", "id": "NCT99999901"},
        {"registry": "euctr", "id": "2019-001234-12"},
        {"registry": "isrctn", "id": "ISRCTN12345678"},
    ]
    assert record["dates"]["start"] == "2019-05"
    assert record["dates"]["results_posted"] == "2022-03-15"
    results = record["results"]
    assert results[0] == {
        "outcome": "change-in-gmfm-66-score",
        "comparison": "Cord blood",
        "effect_measure": "mean",
        "value": 4.5,
        "unit": "score on a scale",
        "n_analysed": 19,
        "source": "registry",
    }
    assert results[1]["ci"] == [0.2, 2.8]
    assert results[1]["unit"] == "score on a scale"
    assert results[1]["p"] == "0.04"
    assert results[1]["comparison"] == "Cord blood vs Placebo"
    # An estimate outside its own interval is not silently kept: a person checks it.
    assert results[2]["value"].startswith(f"{PLACEHOLDER} estimate 5 lies outside")
    assert results[2]["p"] == "<0.001"
    events = record["safety"]["events"]
    assert events[0] == {
        "kind": "serious-adverse-events",
        "count": 1,
        "denominator": 20,
        "unit": "participants",
        "arm": "cord-blood",
        "source": "registry",
    }
    assert events[2]["note"] == "Placebo, all participants"
    assert record["countries"][-1] == "United States"
    assert "Korea, Republic of" in record["countries"][1]  # kept, marked to be rewritten
    # Registry prose is in comments for reference, never in fields.
    assert "# Fake summary for tests." in text


def test_odd_shapes_never_crash_and_are_marked() -> None:
    record = draft_record(study("odd-shapes.json"), "odd")
    assert record["evidence_kind"] == "expanded-access"
    assert record["status"].startswith(f"{PLACEHOLDER} the registry's status SUSPENDED")
    assert record["dates"]["start"].startswith(f"{PLACEHOLDER} the registry's date 'May 2019'")
    assert record["dates"]["first_posted"] == "2019-05"
    assert record["population"]["enrolled"].startswith(f"{PLACEHOLDER} the registry gives 12")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "1:2: (record): not valid JSON: Expecting property name"),
        ("[1, 2]", "1:1: (record): expected one study (a JSON object), got a list"),
        ('"text"', "1:1: (record): expected one study (a JSON object), got text"),
        ('{"studies": []}', "1:1: (record): this is a search result"),
        ("{}", "1:1: (record): no valid protocolSection.identificationModule.nctId"),
        (
            '{"protocolSection": {"identificationModule": {"nctId": "NCT1"}}}',
            "1:1: (record): no valid protocolSection",
        ),
        ('{"protocolSection": []}', "1:1: (record): no valid protocolSection"),
        ("[" * 100_000 + "]" * 100_000, "1:1: (record): JSON nested too deeply"),
        ("", "1:1: (record): not valid JSON: Expecting value"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    source = tmp_path / "study.json"
    source.write_text(content, encoding="utf-8")
    result = run("import-ctgov", str(source), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert expected in result.stderr.splitlines()[0]
    assert result.stderr.splitlines()[0].startswith("study.json:")
    assert not (tmp_path / "studies").exists()


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "latin1.json").write_bytes(b'{"x": "caf\xe9"}')
    for name, message in (
        ("missing.json", "cannot read file"),
        ("latin1.json", "file is not valid UTF-8 text"),
    ):
        result = run("import-ctgov", str(tmp_path / name), cwd=tmp_path)
        assert result.returncode == 1
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_import_writes_a_draft_once(tmp_path: Path) -> None:
    result = run("import-ctgov", str(CTGOV / "minimal.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote studies/nct99999903.yaml from NCT99999903" in result.stdout
    written = (tmp_path / "studies" / "nct99999903.yaml").read_text(encoding="utf-8")
    assert written.startswith("# yaml-language-server: $schema=")
    again = run("import-ctgov", str(CTGOV / "minimal.json"), "--id", "other", cwd=tmp_path)
    assert again.returncode == 0
    assert "already holds NCT99999903" in again.stdout
    assert not (tmp_path / "studies" / "other.yaml").exists()


def test_second_import_reports_changes_and_keeps_curated_fields(tmp_path: Path) -> None:
    assert run("import-ctgov", str(CTGOV / "results-posted.json"), cwd=tmp_path).returncode == 0
    path = tmp_path / "studies" / "nct99999901.yaml"
    curated = path.read_text(encoding="utf-8").replace(
        '"TODO: a plain-language summary in your own words"', "Our own summary."
    )
    path.write_text(curated, encoding="utf-8")
    newer = study("results-posted.json")
    status = newer["protocolSection"]["statusModule"]
    status["overallStatus"] = "TERMINATED"
    status["completionDateStruct"] = {"date": "2022-02", "type": "ACTUAL"}
    newer["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 38
    source = tmp_path / "newer.json"
    source.write_text(json.dumps(newer), encoding="utf-8")
    result = run("import-ctgov", str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("studies/nct99999901.yaml:9:9: status: registry now says")
    assert "'terminated' (record: 'completed')" in lines[0]
    assert any(
        "dates.completion: registry now gives '2022-02' (record: '2021-12-31')" in line
        for line in lines
    )
    assert any(
        "population.enrolled: registry now gives 38 (actual) (record: 40)" in line for line in lines
    )
    assert "3 change(s)" in lines[-1]
    assert path.read_text(encoding="utf-8") == curated


def test_registry_changes_tolerate_any_record_shape() -> None:
    changes = registry_changes(["not", "a", "record"], study("results-posted.json"))
    assert ("status",) in [c.field for c in changes]
    assert registry_changes({}, {}) == []
