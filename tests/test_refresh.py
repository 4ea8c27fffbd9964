"""refresh: records compared with their ClinicalTrials.gov entries; --write keeps running
studies in step; unreadable or hostile input is one line and exit 1."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from generator import refresh
from generator.errors import GeneratorError
from generator.ghmarkdown import inert
from generator.load import MAX_SOURCE_BYTES, load_records
from tests.conftest import DATA, ROOT, run_generator

FIXTURES = DATA / "ctgov" / "refresh"
MAHIDOL = "studies/mahidol-wharton-jelly-msc-hie.yaml"
TODAY = date(2026, 12, 3)


def study(nct: str, **status: Any) -> dict[str, Any]:
    """A registry study with the given statusModule fields (and nothing else)."""
    return {"protocolSection": {"identificationModule": {"nctId": nct}, "statusModule": status}}


def report_for(project: Path, *studies: Any) -> refresh.Report:
    entries = [
        refresh.Entry(s["protocolSection"]["identificationModule"]["nctId"], s, project / "x.json")
        for s in studies
    ]
    return refresh.compare(load_records(project / "studies").records, entries, TODAY)


def test_refresh_names_the_record_file_and_each_change(sample_project: Path) -> None:
    result = run_generator("refresh", str(FIXTURES / "NCT07018739.json"), cwd=sample_project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{MAHIDOL}:8:9: status: NCT07018739 Status: ClinicalTrials.gov Recruiting "
        "(record: Not yet recruiting); refresh --write updates it"
    )
    assert f"{MAHIDOL}:41:12: population.planned: NCT07018739 Enrolment (target): " in lines[4]
    assert lines[4].endswith(
        "ClinicalTrials.gov 42 (estimated) (record: 40); refresh --write updates it"
    )
    assert lines[1].startswith(
        f"{MAHIDOL}:2:1: dates.start: NCT07018739 Start: ClinicalTrials.gov 2026-02-02 (record: none)"
    )
    # The registry's report of the study that the record does not cite; background ones are not news.
    assert lines[5].startswith(f"{MAHIDOL}:131:3: references: NCT07018739 Report PMID 40000001: ")
    assert "40000002" not in result.stdout
    assert lines[-1].startswith(
        "6 difference(s) in 1 record(s) checked against 1 ClinicalTrials.gov entry"
    )
    assert result.stderr == ""


def test_write_updates_mechanical_fields_in_place_and_check_passes(sample_project: Path) -> None:
    before = {
        p.name: p.read_text(encoding="utf-8") for p in (sample_project / "studies").glob("*.yaml")
    }
    args = ("refresh", str(FIXTURES), "--write", "--today", "2026-12-03")
    result = run_generator(*args, cwd=sample_project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "wrote studies/duke-expanded-access-cord-blood.yaml",
        f"wrote {MAHIDOL}",
    ]
    after = {
        p.name: p.read_text(encoding="utf-8") for p in (sample_project / "studies").glob("*.yaml")
    }
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"duke-expanded-access-cord-blood.yaml", "mahidol-wharton-jelly-msc-hie.yaml"}
    old, new = (
        before["mahidol-wharton-jelly-msc-hie.yaml"],
        after["mahidol-wharton-jelly-msc-hie.yaml"],
    )
    # Only the changed values' lines differ, and the new blocks are added whole.
    removed = set(old.splitlines()) - set(new.splitlines())
    added = [line for line in new.splitlines() if line not in old.splitlines()]
    assert removed == {
        "status: not-yet-recruiting",
        'status_checked: "2026-12-02"',
        "  planned: 40",
        '    accessed: "2026-12-02"',
    }
    assert added == [
        "status: recruiting",
        'status_checked: "2026-12-03"',
        "  planned: 42",
        "dates:",
        '  start: "2026-02-02"',
        '  primary_completion: "2028-06"  # estimated in the registry',
        '  completion: "2028-12"  # estimated in the registry',
        "history:",
        '  - date: "2026-11-20"',
        "    kind: status-changed",
        "    note: ClinicalTrials.gov lists the study as Recruiting (this record had Not yet recruiting)",
        "    source: registry",
        '    accessed: "2026-12-03"',
    ]
    assert "  sources: [registry]" in new  # the new dates block cites the registry
    config = YamlLintConfig(file=str(ROOT / ".yamllint"))
    assert [str(p) for p in linter.run(new, config)] == []  # the pre-commit hook's linter
    assert run_generator("check", cwd=sample_project).returncode == 0
    # The finished ACCeNT-CP differs too, but its reports decide: reported, never written.
    assert before["accent-cp.yaml"] == after["accent-cp.yaml"]
    again = run_generator(*args, cwd=sample_project)
    assert again.returncode == 0
    assert again.stderr == ""  # nothing left to write
    assert "`refresh --write` updates 0 of them" in again.stdout.splitlines()[-1]


def test_a_finished_study_or_a_missing_reference_is_left_to_a_person(sample_project: Path) -> None:
    report = report_for(
        sample_project,
        study(
            "NCT03473301",
            overallStatus="RECRUITING",
            resultsFirstPostDateStruct={"date": "2021-03"},
        ),
        study("NCT03356821", overallStatus="TERMINATED"),
    )
    found = {(c.record.path.stem, f.field): f for c in report.checked for f in c.findings}
    status = found[("accent-cp", ("status",))]
    assert (status.recorded, status.registry, status.value) == ("Completed", "Recruiting", None)
    assert status.by_hand == "the record says the study finished: its reports decide"
    # The record's 2021-02-17 is not within the registry's 2021-03, and the date results were
    # posted is the registry's own: it is written even for a finished study.
    posted = found[("accent-cp", ("dates", "results_posted"))]
    assert posted.value == "2021-03"
    text = refresh.updated_texts(report)[sample_project / "studies" / "accent-cp.yaml"]
    assert '  results_posted: "2021-03"\n' in text
    assert "status: completed\n" in text  # the status stays as its reports say
    follow_up = found[("passion-2-year-follow-up", ("status",))]
    assert follow_up.by_hand == "the record has no reference entry for NCT03356821 to cite"
    assert refresh.updated_texts(report).keys() == {sample_project / "studies" / "accent-cp.yaml"}


def test_a_more_precise_date_in_the_record_is_no_difference(sample_project: Path) -> None:
    report = report_for(
        sample_project,
        study("NCT03473301", overallStatus="COMPLETED", startDateStruct={"date": "2018-04"}),
    )
    assert [f.field for c in report.checked for f in c.findings] == []


def test_enrolment_of_a_trial_several_records_report_is_left_to_a_person(
    sample_project: Path,
) -> None:
    # Amanat 2021 and Zarrabi 2022 report one trial; were it still running, the registry's
    # enrolment would still not be written into either: each may count a part of it.
    path = sample_project / "studies" / "amanat-2021-cord-tissue-msc-cp.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("status: completed\n", 'status: recruiting\nstatus_checked: "2026-01-01"\n'),
        encoding="utf-8",
    )
    shared = study("NCT03795974", overallStatus="RECRUITING")
    shared["protocolSection"]["designModule"] = {"enrollmentInfo": {"count": 80, "type": "ACTUAL"}}
    report = report_for(sample_project, shared)
    reasons = {
        c.record.path.stem: f.by_hand
        for c in report.checked
        for f in c.findings
        if f.field[0] == "population"
    }
    assert reasons == {
        "amanat-2021-cord-tissue-msc-cp": "2 records report NCT03795974; each may count a part "
        "of its participants",
        "zarrabi-2022-cord-blood-mnc-cp": "the record says the study finished: its reports decide",
    }


def test_other_registries_are_named_as_not_checked(sample_project: Path) -> None:
    report = report_for(sample_project, study("NCT03795974", overallStatus="COMPLETED"))
    lines = refresh.lines(report, sample_project)
    assert (
        "studies/amanat-2021-cord-tissue-msc-cp.yaml:211:9: registrations[1].id: IRCT "
        "IRCT201706176907N13: not checked automatically"
    ) in lines
    body = refresh.markdown(report, sample_project)
    assert (
        "## Not checked automatically\n\n- `studies/amanat-2021-cord-tissue-msc-cp.yaml`: IRCT IRCT201706176907N13\n"
        in body
    )


def test_markdown_report_has_a_table_per_record_and_inert_registry_text(
    sample_project: Path,
) -> None:
    result = run_generator(
        "refresh", str(FIXTURES), "--markdown", "--today", "2026-12-03", cwd=sample_project
    )
    assert result.returncode == 0, result.stderr
    body = result.stdout
    assert body.startswith("# ClinicalTrials.gov refresh\n\n10 difference(s) in 3 record(s)")
    assert "## Mahidol trial \\(Thailand, donor cord-tissue cells, newborns with HIE\\)" not in body
    assert "## Mahidol trial (Thailand, donor cord-tissue cells, newborns with HIE)\n" in body
    assert "| Status | Not yet recruiting | Recruiting | 8 | updates it |" in body
    assert (
        "| Enrolment (actual) | 91 | 92 | 50 | by hand: the record says the study finished: "
        "its reports decide |"
    ) in body
    # Registry text cannot break the table, link, mention anyone or run HTML.
    assert (
        "| [Report PMID 40000001](https://pubmed.ncbi.nlm.nih.gov/40000001/) | not cited | "
        "derived: Test A, Test B. A made-up protocol paper \\| with a pipe &amp; an &#64;mention. "
        "J Test. 2026. |"
    ) in body
    assert "## Registry entries no record holds\n\n- NCT99999901" in body
    assert "## Registered ids not in the input\n\n- NCT03795974 (`studies/amanat" in body


def test_the_newer_copy_of_a_study_given_twice_counts(tmp_path: Path, sample_project: Path) -> None:
    older = study(
        "NCT07018739", overallStatus="RECRUITING", lastUpdatePostDateStruct={"date": "2026-01-01"}
    )
    newer = study(
        "NCT07018739", overallStatus="WITHDRAWN", lastUpdatePostDateStruct={"date": "2026-02-01"}
    )
    (tmp_path / "a.json").write_text(json.dumps({"studies": [newer]}), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(older), encoding="utf-8")
    entries = refresh.read_studies([tmp_path / "a.json", tmp_path / "b.json"])
    report = refresh.compare(load_records(sample_project / "studies").records, entries, TODAY)
    (checked,) = report.checked
    assert checked.findings[0].registry == "Withdrawn"
    texts = refresh.updated_texts(report)
    assert (
        "    kind: withdrawn\n"
        in texts[sample_project / "studies" / "mahidol-wharton-jelly-msc-hie.yaml"]
    )


def test_list_ids_prints_every_registered_nct_id_once(sample_project: Path) -> None:
    result = run_generator("refresh", "--list-ids", cwd=sample_project)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "NCT03327467",
        "NCT03356821",
        "NCT03473301",
        "NCT03795974",
        "NCT07018739",
    ]


HOSTILE: list[tuple[str, bytes | None, str]] = [
    ("not-json.json", b'{"protocolSection": ', "1:21: not valid JSON: Expecting value"),
    ("deep.json", b"[" * 200_000 + b"]" * 200_000, "1:1: not valid JSON: nested too deeply"),
    ("digits.json", b'{"n": ' + b"9" * 100_000 + b"}", "1:1: not valid JSON: Exceeds the limit"),
    ("latin1.json", b'{"x": "caf\xe9"}', "1:1: file is not valid UTF-8 text"),
    ("list.json", b"[]", "1:1: expected one study (a JSON object), got a list"),
    ("null.json", b"null", "1:1: expected one study (a JSON object), got null"),
    ("types.json", b'{"protocolSection": []}', "1:1: no valid protocolSection"),
    ("bad-page.json", b'{"studies": "all"}', "1:1: studies: expected a list of studies"),
    ("bad-item.json", b'{"studies": [{"protocolSection": {}}, 5]}', "1:1: studies[0]: no valid"),
    ("big.json", None, "1:1: file is 67108865 bytes; the limit is 67108864"),
]


@pytest.mark.parametrize(("name", "body", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_unreadable_input_is_one_line_and_exit_1(
    sample_project: Path, tmp_path: Path, name: str, body: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if body is None:
        with path.open("wb") as out:  # sparse: 64 MiB + 1 byte
            out.truncate(MAX_SOURCE_BYTES + 1)
    else:
        path.write_bytes(body)
    before = {p: p.read_bytes() for p in (sample_project / "studies").glob("*.yaml")}
    # The valid fixture first: nothing is written when any input is unreadable.
    result = run_generator("refresh", str(FIXTURES), str(path), "--write", cwd=sample_project)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}:{message}"), line
    assert {p: p.read_bytes() for p in before} == before


def test_missing_inputs_and_empty_folders_are_errors(sample_project: Path, tmp_path: Path) -> None:
    for args, message in (
        ((str(tmp_path / "missing.json"),), "cannot read file"),
        ((str(tmp_path),), "no *.json files in this folder"),
        ((), "give study JSON files or folders"),
    ):
        result = run_generator("refresh", *args, cwd=sample_project)
        assert result.returncode == 1
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_wrong_types_inside_a_study_are_tolerated(sample_project: Path) -> None:
    odd = {
        "hasResults": "yes",
        "protocolSection": {
            "identificationModule": {"nctId": "NCT07018739"},
            "statusModule": {
                "overallStatus": ["RECRUITING"],
                "startDateStruct": {"date": 2026},
                "completionDateStruct": "2028",
                "lastUpdatePostDateStruct": [],
            },
            "designModule": {"enrollmentInfo": {"count": "lots", "type": 5}},
            "referencesModule": {
                "references": [{"pmid": 123}, "x", {"pmid": "1\u202e23", "type": "RESULT"}]
            },
        },
    }
    report = report_for(sample_project, odd)
    assert [f.field for c in report.checked for f in c.findings] == []
    unmapped = study("NCT07018739", overallStatus="WITHHELD\u202e\n<script>")
    (finding,) = [f for c in report_for(sample_project, unmapped).checked for f in c.findings]
    assert finding.value is None
    assert finding.registry == "WITHHELD <script> (no equivalent here)"
    assert inert(finding.registry) == "WITHHELD &lt;script&gt; (no equivalent here)"


def test_write_refuses_when_the_records_would_fail_the_check(sample_project: Path) -> None:
    # A history event dated before an existing one cannot be appended: nothing is written.
    path = sample_project / MAHIDOL
    text = path.read_text(encoding="utf-8").replace(
        "references:\n",
        'history:\n  - date: "2027"\n    kind: corrected\n    note: Later\n    source: registry\nreferences:\n',
        1,
    )
    path.write_text(text, encoding="utf-8")
    result = run_generator(
        "refresh", str(FIXTURES / "NCT07018739.json"), "--write", cwd=sample_project
    )
    assert result.returncode == 1
    assert "history[1].date: 2026-11-20 is before the event above it (2027)" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_read_studies_reads_folders_in_name_order(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "in")
    (tmp_path / "in" / ".hidden.json").write_text("not json", encoding="utf-8")
    entries = refresh.read_studies([tmp_path / "in"])
    assert [e.nct for e in entries] == ["NCT07018739", "NCT03473301", "NCT03327467", "NCT99999901"]
    with pytest.raises(GeneratorError):
        refresh.read_studies([tmp_path / "nowhere"])
