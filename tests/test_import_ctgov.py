"""import-ctgov: registry study -> draft record that `check` reports only at marked fields."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.draft import plain
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
        "results-detail.json",
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
    assert "enrolled" not in record["population"]
    assert record["population"]["eligible_age"] == "18 years or older"
    # The eligibility range is not the age of those who took part.
    assert "age" not in record["population"]
    assert record["dates"]["start"] == "2020-06-16"
    assert record["countries"] == ["Guam", "United States"]
    assert record["sponsor"] == "National Cancer Institute (NCI)"
    assert record["design"]["allocation"] == "randomised"
    assert record["design"]["model"] == "parallel"
    assert [(a["label"], a["role"]) for a in record["arms"]] == [
        ("Arm A (platinum doublet, observation)", "active-comparator"),
        ("Arm B (platinum doublet, sequential pembrolizumab)", "experimental"),
        ("Arm C (platinum doublet, combination pembrolizumab)", "experimental"),
    ]
    assert (record["outcomes"][0]["role"], record["outcomes"][0]["role_stated_by"]) == (
        "primary",
        "registry",
    )
    assert {o["role"] for o in record["outcomes"][1:]} == {"secondary", "other"}
    assert record["references"][1]["pmid"] == "33878954"
    # Never guessed: the vocabulary fields are left for a person.
    assert record["conditions"][0].startswith(PLACEHOLDER)
    assert all(i["cell_type"].startswith(PLACEHOLDER) for i in record["interventions"])
    assert record["summary"].startswith(PLACEHOLDER)
    # An open study asks when its status was read; the import cannot know.
    assert record["status_checked"].startswith(PLACEHOLDER)
    assert "last updated 2025-09-10" in record["status_checked"]


def test_registered_facts_of_a_study_with_results() -> None:
    text = draft_text(study("results-posted.json"), "nct99999901")
    record = parsed(text, "nct99999901").data
    assert record["title"].startswith('Synthetic test study: "cord blood" #1 <script>')
    assert record["short_name"].startswith("TODO: e.g. 'SYNTH-CB (where, which cells,")
    assert record["phase"] == "1-2"
    assert record["design"]["masking"] == "outcome-assessor"
    assert record["comparator"]["description"].startswith(PLACEHOLDER)
    assert "Placebo (placebo comparator)" in record["comparator"]["description"]
    assert record["population"]["enrolled"] == 40
    assert record["population"]["eligible_age"] == "1 to 6 years"
    assert "status_checked" not in record  # completed: nothing to check
    assert [(a["id"], a["role"], a.get("n")) for a in record["arms"]] == [
        ("cord-blood", "experimental", 20),
        ("placebo", "placebo", 20),
    ]
    assert record["registrations"] == [
        {"registry": "clinicaltrials.gov", "id": "NCT99999901"},
        {"registry": "euctr", "id": "2019-001234-12"},
        {"registry": "isrctn", "id": "ISRCTN12345678"},
    ]
    assert record["dates"]["start"] == "2019-05"
    assert record["dates"]["results_posted"] == "2022-03-15"
    events = record["safety"]["events"]
    assert events[0] == {
        "kind": "serious-adverse-events",
        "count": 1,
        "denominator": 20,
        "unit": "participants",
        "arm": "cord-blood",
        "source": "registry",
        "locator": "registry results",
    }
    assert events[2]["note"] == "Placebo, all participants"
    assert record["countries"][-1] == "United States"
    assert "Korea, Republic of" in record["countries"][1]  # kept, marked to be rewritten
    # Registry prose is in comments for reference, never in fields.
    assert "# Fake summary for tests." in text


def test_interventions_name_their_arm_one_entry_per_arm() -> None:
    record = draft_record(study("results-posted.json"), "x")
    entries = [plain(i) for i in record["interventions"]]
    assert [(i["product"], i["arm"]) for i in entries] == [
        ("Autologous cord blood", "cord-blood"),
        ("Placebo", "placebo"),
        ("Rehabilitation", "cord-blood"),
        ("Rehabilitation", "placebo"),
    ]
    # The arm groups may name an intervention that names no arm itself.
    detail = [plain(i) for i in draft_record(study("results-detail.json"), "x")["interventions"]]
    assert detail[0]["arm"] == "high-dose-cells"
    # With no arms to name, a person says which.
    odd = [plain(i) for i in draft_record(study("odd-shapes.json"), "x")["interventions"]]
    assert all(i["arm"].startswith(PLACEHOLDER) for i in odd)


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("EXPERIMENTAL", "experimental"),
        ("PLACEBO_COMPARATOR", "placebo"),
        ("SHAM_COMPARATOR", "sham"),
        ("NO_INTERVENTION", "no-treatment"),
        ("ACTIVE_COMPARATOR", "active-comparator"),
        ("OTHER", None),
        (None, None),
    ],
)
def test_arm_types_become_roles(kind: str | None, role: str | None) -> None:
    data = study("results-posted.json")
    group = data["protocolSection"]["armsInterventionsModule"]["armGroups"][1]
    if kind is None:
        del group["type"]
    else:
        group["type"] = kind
    arm = plain(draft_record(data, "x")["arms"][1])
    if role is None:
        assert arm["role"].startswith(
            f"{PLACEHOLDER} the registry's arm type is {kind or 'not given'}"
        )
    else:
        assert arm["role"] == role


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("PARALLEL", "parallel"),
        ("FACTORIAL", "factorial"),
        ("SINGLE_GROUP", "single-group"),
        ("CROSSOVER", "crossover"),
        ("SEQUENTIAL", f"{PLACEHOLDER} the registry's model is SEQUENTIAL: dose-cohorts if"),
    ],
)
def test_design_model(model: str, expected: str) -> None:
    data = study("results-posted.json")
    data["protocolSection"]["designModule"]["designInfo"]["interventionModel"] = model
    record = plain(draft_record(data, "x"))
    assert record["design"]["model"].startswith(expected)
    assert "crossover" not in record["design"]
    if model == "CROSSOVER":
        assert record["design"]["periods"].startswith(PLACEHOLDER)
        assert all(i["period"].startswith(PLACEHOLDER) for i in record["interventions"])
    else:
        assert "periods" not in record["design"]
        assert all("period" not in i for i in record["interventions"])


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("1 Year", "6 Years", "1 to 6 years"),
        ("6 Months", "6 Years", "6 months to 6 years"),
        ("18 Years", None, "18 years or older"),
        (None, "28 Days", "up to 28 days"),
        (None, None, None),
    ],
)
def test_eligible_age_is_the_eligibility_never_the_age(
    low: str | None, high: str | None, expected: str | None
) -> None:
    data = study("results-posted.json")
    eligibility = data["protocolSection"]["eligibilityModule"]
    for key, value in (("minimumAge", low), ("maximumAge", high)):
        eligibility.pop(key)
        if value is not None:
            eligibility[key] = value
    population = plain(draft_record(data, "x")["population"])
    assert population.get("eligible_age") == expected
    assert "age" not in population


def test_age_of_participants_is_left_to_a_person_with_the_registry_baseline() -> None:
    text = draft_text(study("results-detail.json"), "x")
    population = parsed(text, "x").data["population"]
    assert population["eligible_age"] == "6 months to 6 years"
    assert population["age"].startswith(PLACEHOLDER)
    assert "# Age, Continuous (mean, standard deviation, years): High dose cells 3.1 (1.2)" in text


@pytest.mark.parametrize(
    ("kind", "field"),
    [("ACTUAL", "enrolled"), ("ESTIMATED", "planned"), ("ANTICIPATED", "planned")],
)
def test_enrolment_is_enrolled_or_planned(kind: str, field: str) -> None:
    data = study("results-posted.json")
    data["protocolSection"]["designModule"]["enrollmentInfo"]["type"] = kind
    population = plain(draft_record(data, "x")["population"])
    assert population[field] == 40
    assert {"enrolled", "planned"} - {field} & set(population) == set()


@pytest.mark.parametrize(
    ("raw", "asked"),
    [
        ("RECRUITING", True),
        ("ACTIVE_NOT_RECRUITING", True),
        ("SUSPENDED", True),
        ("UNKNOWN", True),
        ("WITHHELD", True),  # no equivalent: asked, with a note to delete it if finished
        ("COMPLETED", False),
        ("TERMINATED", False),
        ("WITHDRAWN", False),
    ],
)
def test_status_checked_is_asked_while_a_study_is_not_finished(raw: str, asked: bool) -> None:
    data = study("results-posted.json")
    data["protocolSection"]["statusModule"]["overallStatus"] = raw
    record = plain(draft_record(data, "x"))
    assert ("status_checked" in record) is asked
    if asked:
        assert record["status_checked"].startswith(f"{PLACEHOLDER} the date (YYYY-MM-DD) you read")
        assert "last updated 2022-03-15" in record["status_checked"]


def test_outcome_roles_are_the_registry_s() -> None:
    record = parsed(draft_text(study("results-detail.json"), "x"), "x").data
    roles = {o["id"]: (o.get("role"), o.get("role_stated_by")) for o in record["outcomes"]}
    assert roles["gmfm-66-score"] == ("primary", "registry")
    assert roles["pedi-mobility-change"] == ("secondary", "registry")
    assert roles["parent-reported-sleep"] == ("other", "registry")  # registry otherOutcomes
    assert roles["time-to-walking"] == (None, None)  # posted post hoc, never registered
    assert record["outcomes"][0]["time_point"] == "12 months"
    # The instrument vocabulary needs a person's reading: a hint, never a value.
    assert record["outcomes"][0]["instrument"].startswith(
        f"{PLACEHOLDER} the registry's wording names gmfm-66"
    )
    # Outcomes whose wording names no instrument of the vocabulary get no instrument line.
    walking = next(o for o in record["outcomes"] if o["id"] == "walking-independently")
    assert "instrument" not in walking


def results(name: str) -> tuple[str, dict[str, Any]]:
    text = draft_text(study(name), "x")
    return text, parsed(text, "x").data


def values_of(record: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    return [v for v in record["group_values"] if v["outcome"] == outcome]


def effects_of(record: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    return [e for e in record["effects"] if e["outcome"] == outcome]


def test_group_values_keep_their_dispersion() -> None:
    _, record = results("results-detail.json")
    median = values_of(record, "gmfm-66-score")[0]
    assert (median["statistic"], median["iqr"], median["n"]) == ("median", [48.0, 61.5], 14)
    assert median["scale"].startswith(PLACEHOLDER)  # the title does not say final or change
    assert (median["source"], median["locator"]) == ("registry", "registry results")
    assert median["time_point"] == "12 months"
    sd = values_of(record, "pedi-mobility-change")[0]
    assert (sd["statistic"], sd["scale"], sd["value"], sd["sd"], sd["n"]) == (
        "mean",
        "change",
        4.1,
        2.0,
        7,
    )
    se = values_of(record, "motor-score-by-visit")[0]
    assert se["se"] == 0.4
    ci = values_of(record, "walking-independently")[0]
    assert (ci["ci"], ci["ci_level"], ci["unit"]) == (
        [16.3, 67.7],
        95,
        "percentage of participants",
    )
    assert ci["statistic"].startswith(f"{PLACEHOLDER} the registry's parameter is NUMBER")
    full = values_of(record, "time-to-walking")[0]
    assert full["range"] == [6, 14]
    _, posted = results("results-posted.json")
    assert values_of(posted, "change-in-gmfm-66-score")[0]["sd"] == 2.1


def test_dispersion_without_a_field_is_listed_in_a_comment() -> None:
    text, record = results("results-detail.json")
    sleep = values_of(record, "parent-reported-sleep")[0]
    assert not {"sd", "se", "ci", "iqr", "range"} & set(sleep)
    assert "# Registry dispersion GEOMETRIC_COEFFICIENT not imported: (12.5)" in text
    assert sleep["statistic"].startswith(
        f"{PLACEHOLDER} the registry's parameter is GEOMETRIC_MEAN"
    )


def test_numbers_keep_their_printed_form() -> None:
    text = draft_text(study("results-detail.json"), "x")
    record = parsed(text, "x")
    median = next(
        i for i, v in enumerate(record.data["group_values"]) if v["outcome"] == "gmfm-66-score"
    )
    assert record.printed[("group_values", median, "value")] == "55.20"
    assert "    value: 55.20\n" in text
    assert "    ci: [1.10, 9.30]\n" in text


def test_counts_with_a_denominator_are_events_of_total() -> None:
    _, record = results("results-detail.json")
    grades = values_of(record, "adverse-event-grade")
    assert [(v["arm"], v["note"], v["statistic"], v["events"], v["total"]) for v in grades] == [
        ("high-dose-cells", "Grade 1", "events", 3, 15),
        ("sham-procedure", "Grade 1", "events", 2, 15),
        ("high-dose-cells", "Grade 2", "events", 1, 15),
        ("sham-procedure", "Grade 2", "events", 0, 15),
    ]
    assert all("value" not in v for v in grades)
    _, posted = results("results-posted.json")  # no denominator posted: a count
    levels = values_of(posted, "participants-by-gmfcs-level")
    assert [(v["statistic"], v["value"], v["note"]) for v in levels] == [
        ("count", 3, "Level I"),
        ("count", 5, "Level II"),
    ]


def test_multi_class_measures_are_kept_per_class_or_listed() -> None:
    text, record = results("results-detail.json")
    pedi = values_of(record, "pedi-mobility-change")
    assert [(v["arm"], v["subgroup"], v["n"]) for v in pedi] == [
        ("high-dose-cells", {"label": "Age under 3 years", "prespecified": False}, 7),
        ("usual-care", {"label": "Age under 3 years", "prespecified": False}, 8),
        ("high-dose-cells", {"label": "Age 3 years or older", "prespecified": False}, 7),
        ("usual-care", {"label": "Age 3 years or older", "prespecified": False}, 7),
    ]
    # A class without a name cannot be told apart: listed in a comment, never dropped.
    motor = values_of(record, "motor-score-by-visit")
    assert [v["subgroup"]["label"] for v in motor] == ["Month 6"]
    assert (
        "# Posted values of an unnamed class or category, not imported: High dose cells 1.0 (0.5)"
        in text
    )
    # An analysis of a multi-class measure says it does not name its class.
    assert "# The measure has several classes; the registry does not say which one this" in text


def test_final_and_net_differences_keep_their_scale() -> None:
    _, record = results("results-detail.json")
    final = effects_of(record, "gmfm-66-score")[0]
    assert (final["measure"], final["scale"], final["value"]) == ("mean-difference", "final", 5.2)
    assert (final["ci"], final["ci_level"], final["p"]) == ([1.1, 9.3], 95, "0.013")
    assert final["unit"] == "units on a scale"
    assert final["analysis"]["method"] == "ANCOVA"
    net = effects_of(record, "pedi-mobility-change")[0]
    assert (net["measure"], net["scale"], net["ci"], net["ci_level"]) == (
        "mean-difference",
        "change",
        [0.9, 4.3],
        90,
    )
    median = effects_of(record, "time-to-walking")[0]
    assert (median["measure"], median["scale"]) == ("median-difference", "change")
    ratio = effects_of(record, "walking-independently")[0]
    assert (ratio["measure"], ratio["value"]) == ("risk-ratio", 2.0)
    assert "scale" not in ratio
    assert "unit" not in ratio
    # When the measure's own title contradicts the parameter, a person decides.
    _, posted = results("results-posted.json")
    conflicting, net_posted = effects_of(posted, "change-in-gmfm-66-score")
    assert conflicting["scale"].startswith(
        f"{PLACEHOLDER} the registry's parameter 'Mean Difference (Final Values)' means final"
    )
    assert (net_posted["measure"], net_posted["scale"]) == ("mean-difference", "change")
    assert net_posted["p"] == "< 0.001"  # as printed
    # An estimate outside its own interval is not silently kept: a person checks it.
    assert net_posted["value"].startswith(f"{PLACEHOLDER} estimate 5 lies outside")


def test_effect_sides_follow_the_arm_roles() -> None:
    _, record = results("results-detail.json")
    final = effects_of(record, "gmfm-66-score")[0]
    assert (final["experimental"], final["comparator"]) == (["high-dose-cells"], ["sham-procedure"])
    net = effects_of(record, "pedi-mobility-change")[0]
    assert (net["experimental"], net["comparator"]) == (["high-dose-cells"], ["usual-care"])
    # An arm of type OTHER, or a results group that is no arm: a person says which side is which.
    ratio = effects_of(record, "walking-independently")[0]
    assert ratio["experimental"].startswith(
        f"{PLACEHOLDER} the registry compares High dose cells vs Observation cohort"
    )
    assert ratio["comparator"].startswith(PLACEHOLDER)
    assert values_of(record, "time-to-walking")[0]["arm"].startswith(
        f"{PLACEHOLDER} the registry's results group 'All treated children' is not one of the arms"
    )


def test_analysis_plan_follows_the_measure_type() -> None:
    _, record = results("results-detail.json")
    primary = effects_of(record, "gmfm-66-score")[0]["analysis"]["plan"]
    assert primary.startswith(f"{PLACEHOLDER} the registry posts this as a primary outcome")
    assert "(the time frames match)" in primary
    assert (
        effects_of(record, "pedi-mobility-change")[0]["analysis"]["plan"]
        == "prespecified-secondary"
    )
    assert effects_of(record, "time-to-walking")[0]["analysis"]["plan"] == "post-hoc"


def test_analyses_without_a_measure_of_ours_are_listed_in_comments() -> None:
    text, record = results("results-detail.json")
    assert (
        "# Posted analysis not imported (Hazard Ratio, Log; High dose cells vs Sham procedure): estimate\n"
        "  # -0.2, p 0.4: no effect measure of ours for it." in text
    )
    # A one-sided interval is not a ci; the estimate is kept.
    one_sided = effects_of(record, "gmfm-66-score")[1]
    assert (one_sided["value"], "ci" in one_sided) == (5.2, False)
    assert "# One-sided 97.5% interval not imported as ci: 0.5 to NA (97.5%)." in text
    # A test with only a p value keeps it, and asks for the result in words.
    p_only = effects_of(record, "gmfm-66-score")[2]
    assert (p_only["p"], p_only["analysis"]["method"]) == ("0.02", "Wilcoxon (Mann-Whitney)")
    assert p_only["statement"].startswith(f"{PLACEHOLDER} the result in your own words")
    assert "measure" not in p_only
    assert len(effects_of(record, "gmfm-66-score")) == 3
    _, posted = results("results-posted.json")
    assert len(effects_of(posted, "change-in-gmfm-66-score")) == 2  # the slope is a comment
    text_posted = draft_text(study("results-posted.json"), "x")
    assert (
        "# Posted analysis not imported (Slope; Cord blood vs Placebo): estimate 0.3: no effect"
        in text_posted
    )
    # Posted values without a number are listed too.
    assert "# No number posted for Placebo: NA" in text_posted


def test_outcomes_with_effects_ask_for_a_direction() -> None:
    _, record = results("results-detail.json")
    outcomes = {o["id"]: o for o in record["outcomes"]}
    assert outcomes["gmfm-66-score"]["direction"].startswith(PLACEHOLDER)
    assert "direction" not in outcomes["adverse-event-grade"]  # values only, no effects


def test_registry_prose_stays_in_comments() -> None:
    text, record = results("results-detail.json")
    prose = (
        "Cells (fake).",
        "Children followed without treatment (fake).",
        "High dose minus sham (fake).",
        "Sleep questionnaire (fake).",
        "Small fake study.",
        "All randomised children with a 12-month score (fake).",
        "Fake study with posted results of many shapes.",
    )
    values = json.dumps(record)
    comments = " ".join(
        line.strip().removeprefix("#").strip()
        for line in text.splitlines()
        if line.strip().startswith("#")
    )
    for sentence in prose:
        assert sentence in comments
        assert sentence not in values
    assert (
        "# Not imported: participants with other (non-serious) adverse events reported above"
        in text
    )


def test_odd_shapes_never_crash_and_are_marked() -> None:
    record = draft_record(study("odd-shapes.json"), "odd")
    assert record["evidence_kind"] == "expanded-access"
    status = plain(record["status"])
    assert status.startswith(f"{PLACEHOLDER} the registry's status TEMPORARILY_NOT_AVAILABLE")
    assert "delete this line if the status you choose is a finished one" in record["status_checked"]
    assert record["dates"]["start"].startswith(f"{PLACEHOLDER} the registry's date 'May 2019'")
    assert record["dates"]["first_posted"] == "2019-05"
    assert record["population"]["enrolled"].startswith(f"{PLACEHOLDER} the registry gives 12")
    arms = [plain(a) for a in record["arms"]]
    assert len(arms) == 1
    assert arms[0]["role"].startswith(PLACEHOLDER)
    text = draft_text(study("odd-shapes.json"), "odd")
    assert "# A posted value for a group the measure does not list ('OG9'), not imported:" in text


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
        ("[" * 100_000 + "]" * 100_000, "1:1: (record): not valid JSON: nested too deeply"),
        ("", "1:1: (record): not valid JSON: Expecting value"),
        ('{"n": ' + "9" * 100_000 + "}", "1:1: (record): not valid JSON: Exceeds the limit"),
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


@pytest.mark.parametrize("name", ["NCT04267848.json", "results-posted.json", "results-detail.json"])
def test_a_fresh_v2_draft_has_no_registry_changes(name: str) -> None:
    record = parsed(draft_text(study(name), "x"), "x").data
    assert registry_changes(record, study(name)) == []
    changed = study(name)
    changed["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 7
    assert [c.field for c in registry_changes(record, changed)] in (
        [("population", "enrolled")],
        [("population", "planned")],
    )
