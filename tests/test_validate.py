"""Validate stage: one test per rule, each asserting the exact message line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.load import RawRecord, load_file, load_records
from generator.validate import (
    _fast_validator,
    check_record,
    for_cross_rules,
    load_schema,
    schema_validator,
    validate_glossary,
    validate_key_messages,
    validate_notes,
    validate_records,
)
from tests.conftest import DATA, ROOT, minimal_record

REF = {"id": "paper", "type": "article", "title": "An example paper", "year": 2020}


def pos(tmp_path: Path, name: str, line_has: str, token: str, nth: int = 1) -> str:
    """'LINE:COL' of token on the nth line of studies/NAME.yaml containing line_has."""
    lines = (tmp_path / "studies" / f"{name}.yaml").read_text().splitlines()
    number = [i for i, line in enumerate(lines, 1) if line_has in line][nth - 1]
    return f"{number}:{lines[number - 1].index(token) + 1}"


def issues_for(tmp_path: Path) -> list[str]:
    loaded = load_records(tmp_path / "studies")
    found = loaded.issues + validate_records(loaded.records)
    # The same again the way generate checks: each record's own rules first, then the rules
    # across records on what for_cross_rules keeps of those that passed. So every rule test
    # here also shows that the lean records lose nothing a rule reads.
    own = {record.path: check_record(record) for record in loaded.records}
    lean = [r if own[r.path] else for_cross_rules(r) for r in loaded.records]
    assert sorted(loaded.issues + validate_records(lean, own)) == sorted(found)
    return [i.format(tmp_path) for i in sorted(found)]


@pytest.fixture
def check(tmp_path: Path, write_record: Callable[..., Path]) -> Callable[..., list[str]]:
    """Write records (dicts or YAML text) and return the formatted issue lines."""

    def run(*records: dict[str, Any] | tuple[str, str]) -> list[str]:
        for record in records:
            if isinstance(record, tuple):
                write_record(record[1], name=record[0])
            else:
                write_record(record)
        return issues_for(tmp_path)

    return run


def test_minimal_record_is_valid(check: Callable[..., list[str]]) -> None:
    assert check(minimal_record()) == []


def test_schema_is_valid_draft_2020_12_with_descriptions_everywhere() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    missing: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                target = sub
                if "$ref" in sub:  # a description on the referenced definition also counts
                    target = schema["$defs"][sub["$ref"].rsplit("/", 1)[1]]
                if "description" not in sub and "description" not in target:
                    missing.append(f"{path}.{name}")
                walk(sub, f"{path}.{name}")
            for key in ("items", "$defs"):
                if key == "$defs":
                    for name, sub in node.get(key, {}).items():
                        walk(sub, f"$defs.{name}")
                elif isinstance(node.get(key), dict):
                    walk(node[key], f"{path}[]")

    walk(schema, "")
    assert missing == []


# --- schema rules -------------------------------------------------------------------------


def test_unknown_field_points_at_the_key_and_suggests(check: Callable[..., list[str]]) -> None:
    text = (
        "id: a\nshort_name: A\ntitle: T\nevidence_kind: case-series\nstatus: completed\n"
        "conditions: [cerebral-palsy]\nsumary: s\nsummary: s\nreferences:\n"
        "  - {id: p, type: article, title: P}\nlast_reviewed: '2026-01-01'\n"
    )
    assert check(("a", text)) == [
        "studies/a.yaml:7:1: sumary: unknown field 'sumary'; did you mean 'summary'?"
    ]


def test_missing_required_field(check: Callable[..., list[str]]) -> None:
    record = minimal_record()
    del record["summary"]
    assert check(record) == [
        "studies/example-study.yaml:1:1: (record): missing required field 'summary'"
    ]


def test_wrong_type_says_what_was_expected(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(
        population={"description": "x", "enrolled": "ten", "sources": ["paper"]}
    )
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'enrolled: ten', 'ten')}: population.enrolled: expected whole number, got text"
    ]


def test_number_where_text_is_expected_says_to_quote(check: Callable[..., list[str]]) -> None:
    text = "\n".join(
        [
            "id: a",
            "short_name: 2017",
            "title: T",
            "evidence_kind: case-series",
            "status: completed",
            "conditions: [cerebral-palsy]",
            "summary: s",
            "references:",
            "  - {id: p, type: article, title: P}",
            "last_reviewed: '2026-01-01'",
            "",
        ]
    )
    assert check(("a", text)) == [
        "studies/a.yaml:2:13: short_name: expected text, got whole number (put the value in quotes)"
    ]


def test_vocabulary_value_lists_the_choices(check: Callable[..., list[str]]) -> None:
    lines = check(minimal_record(conditions=["autism"]))
    assert len(lines) == 1
    assert lines[0].startswith(
        "studies/example-study.yaml:7:3: conditions[0]: 'autism' is not allowed; "
        "use one of: cerebral-palsy, perinatal-arterial-ischaemic-stroke,"
    )


def test_bad_nct_number(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(registrations=[{"registry": "clinicaltrials.gov", "id": "NCT123"}])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'id: NCT123', 'NCT123')}: registrations[0].id: 'NCT123' does not match: "
        "ClinicalTrials.gov identifier (NCT and 8 digits)"
    ]


def test_bad_anzctr_number(check: Callable[..., list[str]]) -> None:
    record = minimal_record(registrations=[{"registry": "anzctr", "id": "ACTRN1261600040343"}])
    assert check(record)[0].endswith("does not match: ANZCTR identifier (ACTRN and 14 digits)")


def test_bad_doi_and_pmid(check: Callable[..., list[str]]) -> None:
    ref = {**REF, "doi": "doi:10.1/x", "pmid": "0123"}
    lines = check(minimal_record(references=[ref]))
    assert [line.split(": ")[1] for line in lines] == ["references[0].doi", "references[0].pmid"]


def test_link_other_than_http_is_refused(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    ref = {**REF, "url": "javascript:alert(1)"}
    lines = check(minimal_record(references=[ref]))
    assert lines == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'url: javascript', 'javascript')}: references[0].url: 'javascript:alert(1)' does not match: "
        "Web address (http or https only) when there is no DOI, PMID or registry id"
    ]


def test_overlong_text_is_refused(check: Callable[..., list[str]]) -> None:
    lines = check(minimal_record(short_name="x" * 301))
    assert lines == [
        "studies/example-study.yaml:2:13: short_name: text is 301 characters; the limit is 300"
    ]


# --- rules within a record ----------------------------------------------------------------


def test_id_must_match_file_name(check: Callable[..., list[str]]) -> None:
    text = "\n".join(
        f"{k}: {v}"
        for k, v in {
            "id": "other-name",
            "short_name": "A",
            "title": "T",
            "evidence_kind": "case-series",
            "status": "completed",
            "conditions": "[cerebral-palsy]",
            "summary": "s",
            "references": "[{id: p, type: article, title: P}]",
            "last_reviewed": "'2026-01-01'",
        }.items()
    )
    assert check(("a", text + "\n")) == [
        "studies/a.yaml:1:5: id: id 'other-name' must equal the file name 'a'"
    ]


def test_sources_must_name_a_reference(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(design={"description": "d", "sources": ["paper", "registry"]})
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- registry', 'registry')}: design.sources[1]: no reference with id 'registry' "
        "in this record (have: paper)"
    ]


def test_commercial_material_is_never_the_only_source(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    refs = [REF, {"id": "bank", "type": "commercial", "title": "Newsletter"}]
    record = minimal_record(
        references=refs,
        design={"description": "d", "sources": ["bank"]},
        safety={"summary": "s", "sources": ["bank", "paper"]},
    )
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- bank', '-')}: design.sources: commercial material cannot be the only "
        "source; add a primary source (article, registry entry, ...)"
    ]


def test_local_ids_are_unique(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(references=[REF, {**REF, "title": "Another"}])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- id: paper', 'paper', nth=2)}: references[1].id: id 'paper' is already used by references[0]"
    ]


def _outcome(ident: str = "gmfm", **fields: Any) -> dict[str, Any]:
    return {"id": ident, "name": "Gross motor function", "sources": ["paper"], **fields}


ARMS = [
    {"id": "cells", "label": "Cells", "role": "experimental"},
    {"id": "placebo", "label": "Placebo", "role": "placebo"},
]


def _with_effect(**fields: Any) -> dict[str, Any]:
    """A record with two arms and one mean-difference effect on gmfm, fields replaced."""
    effect = {
        "outcome": "gmfm",
        "experimental": ["cells"],
        "comparator": ["placebo"],
        "measure": "mean-difference",
        "source": "paper",
        **fields,
    }
    outcome = _outcome(instrument="gmfm-66")
    return minimal_record(arms=ARMS, outcomes=[outcome], effects=[effect])


def _with_value(**fields: Any) -> dict[str, Any]:
    """A record with one arm and one group value on gmfm, fields replaced."""
    value = {"outcome": "gmfm", "arm": "cells", "source": "paper", **fields}
    return minimal_record(arms=ARMS[:1], outcomes=[_outcome()], group_values=[value])


def test_results_must_name_an_outcome(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = _with_effect(outcome="gmfm-6m", statement="better")
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'outcome: gmfm-6m', 'gmfm-6m')}: effects[0].outcome: no outcome with id 'gmfm-6m' "
        "in this record (have: gmfm)"
    ]


def test_results_must_name_arms_that_exist(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = _with_effect(comparator=["sham"], statement="better")
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- sham', 'sham')}: effects[0].comparator[0]: no arm with id 'sham' "
        "in this record (have: cells, placebo)"
    ]
    value = _with_value(arm="treated", statement="better")
    assert check(value)[0].endswith(
        "group_values[0].arm: no arm with id 'treated' in this record (have: cells)"
    )


def test_interventions_must_name_an_arm(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(
        arms=ARMS[:1],
        interventions=[
            {"arm": "placebo", "cell_type": "other", "route": "intravenous", "sources": ["paper"]}
        ],
    )
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'arm: placebo', 'placebo')}: interventions[0].arm: no arm with id 'placebo' "
        "in this record (have: cells)"
    ]


def test_interventions_name_a_period_that_exists(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    design = {
        "description": "crossover",
        "model": "crossover",
        "periods": [{"id": "year-1", "label": "Year 1"}, {"id": "year-2", "label": "Year 2"}],
        "sources": ["paper"],
    }
    intervention = {
        "arm": "cells",
        "period": "year-3",
        "cell_type": "other",
        "route": "intravenous",
        "sources": ["paper"],
    }
    record = minimal_record(design=design, arms=ARMS[:1], interventions=[intervention])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'period: year-3', 'year-3')}: interventions[0].period: no period with id 'year-3' "
        "in this record (have: year-1, year-2)"
    ]


def test_effect_needs_value_or_statement(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    assert check(_with_effect()) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- outcome: gmfm', 'outcome')}: effects[0]: an effect needs a value or a statement"
    ]


def test_group_value_needs_value_events_or_statement(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    assert check(_with_value()) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- outcome: gmfm', 'outcome')}: group_values[0]: "
        "a group value needs a value, events and total, or a statement"
    ]


def test_group_value_names_one_arm_or_several(check: Callable[..., list[str]]) -> None:
    lines = check(_with_value(arms=["cells", "cells2"], statement="x"))
    assert lines[0].endswith(
        "group_values[0]: a group value names its arm (or, for several arms together, arms), not both"
    )


def test_value_needs_its_measure_or_statistic(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    effect = _with_effect(value=1.5)
    del effect["effects"][0]["measure"]
    found = check(effect)
    where = pos(tmp_path, "example-study", "value: 1.5", "1.5")
    assert found == [
        f"studies/example-study.yaml:{where}: effects[0].value: 'value' needs 'measure' as well"
    ]
    lines = check(_with_value(value=7.5))
    assert lines[0].endswith("group_values[0].value: 'value' needs 'statistic' as well")


def test_mean_and_median_say_final_or_change(check: Callable[..., list[str]]) -> None:
    lines = check(_with_value(statistic="mean", value=7.5))
    assert lines == [lines[0]]
    assert lines[0].endswith("group_values[0]: missing required field 'scale'")
    assert check(_with_value(statistic="mean", scale="change", value=7.5)) == []


def test_events_take_events_and_total_not_value(check: Callable[..., list[str]]) -> None:
    lines = check(_with_value(statistic="events", value=13, events=13, total=18))
    assert lines[0].endswith("group_values[0].value: 'events' takes events and total, not value")
    assert ":29:3: " in lines[0], "points at the key of the value that is not allowed"
    assert check(_with_value(statistic="events", events=13, total=18)) == []


def test_events_cannot_exceed_total(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = _with_value(statistic="events", events=19, total=18)
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'events: 19', '19')}: group_values[0].events: 19 events out of only 18"
    ]


def test_interval_must_be_ordered(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = _with_effect(value=1.36, ci=[2.32, 0.41])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- 2.32', '-')}: effects[0].ci: [2.32, 0.41] is reversed"
    ]


def test_estimate_must_lie_in_its_interval_iqr_and_range(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    record = _with_effect(value=13.6, ci=[0.41, 2.32])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'value: 13.6', '13.6')}: effects[0].value: estimate 13.6 lies outside its "
        "interval [0.41, 2.32]"
    ]
    value = _with_value(statistic="median", scale="final", value=9, iqr=[1, 3], range=[0, 8])
    assert [line.split(": ", 2)[2] for line in check(value)] == [
        "estimate 9 lies outside its interquartile range [1, 3]",
        "estimate 9 lies outside its range [0, 8]",
    ]


def test_ratios_and_their_intervals_are_above_zero(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    # Ratios are drawn on a log scale: a non-positive one used to fail rendering instead.
    record = _with_effect(measure="odds-ratio", value=-0.5, ci=[-1.2, 0.8])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'value: -0.5', '-0.5')}: effects[0].value: a ratio must be above 0",
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- -1.2', '-1.2')}: effects[0].ci[0]: a ratio's interval must be above 0",
    ]


def test_an_arm_is_on_one_side_of_a_comparison(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    record = _with_effect(comparator=["placebo", "cells"], statement="x")
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- placebo', '-')}: effects[0].comparator: arm 'cells' is on both sides of the comparison"
    ]


def test_primary_analysis_is_of_a_primary_outcome(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    record = _with_effect(statement="x", analysis={"plan": "prespecified-primary"})
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'plan:', 'prespecified')}: effects[0].analysis.plan: a prespecified "
        "primary analysis needs outcome 'gmfm' to have role: primary"
    ]
    record["outcomes"][0]["role"] = "primary"
    assert check(record) == []


def test_an_outcome_with_effects_knows_which_direction_is_better(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    record = _with_effect(value=1.5)
    del record["outcomes"][0]["instrument"]  # without an instrument nothing says which way
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', '- id: gmfm', 'id')}: outcomes[0]: an outcome with effects needs a direction "
        "(higher-better or lower-better): its instrument does not set one"
    ]
    record["outcomes"][0]["direction"] = "higher-better"
    assert check(record) == []


def test_a_computed_value_shows_its_formula(check: Callable[..., list[str]]) -> None:
    lines = check(_with_value(statement="x", obtained="computed"))
    assert lines[0].endswith("group_values[0]: missing required field 'formula'")


def test_a_secondary_source_is_not_the_studys_own_report(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    record = _with_value(statement="x", obtained="secondary-source")
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'source: paper', 'paper')}: group_values[0].source: a value from a secondary "
        "source must cite that source, not the study's own report"
    ]


def test_pooled_estimates_only_in_reviews(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = _with_effect(value=0.9, studies=5, i2=90.1)
    assert [line.split(": ", 2)[1:] for line in check(record)] == [
        [
            "effects[0].studies",
            "studies describes a pooled estimate; only reviews and meta-analyses have one",
        ],
        [
            "effects[0].i2",
            "i2 describes a pooled estimate; only reviews and meta-analyses have one",
        ],
    ]
    pooled = minimal_record(pooled={"studies": 3, "sources": ["paper"]})
    assert check(pooled) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'pooled:', 'pooled')}: pooled: pooled is only for reviews and "
        "meta-analyses (evidence_kind ipd-meta-analysis or systematic-review)"
    ]
    review = {**record, "evidence_kind": "systematic-review"}
    assert check(review) == []


def test_an_unfinished_study_says_when_its_status_was_read(
    check: Callable[..., list[str]],
) -> None:
    lines = check(minimal_record(status="recruiting"))
    assert lines == [
        "studies/example-study.yaml:1:1: (record): missing required field 'status_checked'"
    ]
    assert check(minimal_record(status="recruiting", status_checked="2026-12-01")) == []


def test_dose_needs_value_or_ordered_range(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    intervention = {
        "arm": "cells",
        "cell_type": "umbilical-cord-blood",
        "route": "intravenous",
        "dose": {"low": 5e7, "high": 1e7, "unit": "TNC/kg"},
        "sources": ["paper"],
    }
    record = minimal_record(arms=ARMS[:1], interventions=[intervention])
    assert check(record) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'low: 5', '5')}: interventions[0].dose.low: low 50000000.0 is greater "
        "than high 10000000.0"
    ]
    intervention["dose"] = {"value": 1e7, "low": 1e6, "unit": "TNC/kg"}
    assert check(record)[0].endswith("dose: give value, or both low and high, not both")


def test_added_is_not_after_last_review(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(added="2026-12-01", last_reviewed="2026-11-22")
    found = check(record)
    where = pos(tmp_path, "example-study", "added:", "'2026")
    assert found == [
        f"studies/example-study.yaml:{where}: added: "
        "added 2026-12-01 is after last_reviewed 2026-11-22"
    ]
    assert check(minimal_record(added="2026-11-22", last_reviewed="2026-11-22")) == []


def test_history_is_oldest_first_and_does_not_repeat_the_dates(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    registry = {"id": "registry", "type": "registry-entry", "title": "Entry"}
    record = minimal_record(
        references=[REF, registry],
        dates={"results_posted": "2021-03-01", "sources": ["registry"]},
        history=[
            {
                "date": "2022-05",
                "kind": "status-changed",
                "note": "Now completed",
                "source": "registry",
            },
            {
                "date": "2021-03-01",
                "kind": "results-posted",
                "note": "Posted",
                "source": "registry",
            },
            {"date": "2021-03-01", "kind": "corrected", "note": "Erratum", "source": "nowhere"},
        ],
    )
    found = check(record)
    second = pos(tmp_path, "example-study", "date: '2021-03-01'", "'2021", nth=1)
    kind = pos(tmp_path, "example-study", "kind: results-posted", "results-posted")
    source = pos(tmp_path, "example-study", "source: nowhere", "nowhere")
    assert found == [
        f"studies/example-study.yaml:{second}: history[1].date: 2021-03-01 is before the event "
        "above it (2022-05): list history oldest first",
        f"studies/example-study.yaml:{kind}: history[1].kind: dates.results_posted already says "
        "results were posted on this date; record a results-posted event only for another "
        "registry",
        f"studies/example-study.yaml:{source}: history[2].source: no reference with id "
        "'nowhere' in this record (have: paper, registry)",
    ]
    # Oldest first, a second registry's results on another date, a year before its months.
    record["history"] = [
        {"date": "2021", "kind": "follow-up-published", "note": "Follow-up", "source": "paper"},
        {"date": "2021-02", "kind": "results-posted", "note": "On ANZCTR", "source": "registry"},
        {"date": "2021-02", "kind": "corrected", "note": "Erratum", "source": "paper"},
    ]
    assert check(record) == []
    record["history"][0]["kind"] = "registered"  # derived from dates.first_posted: not a kind
    found = check(record)
    where = pos(tmp_path, "example-study", "kind: registered", "registered")
    assert found == [
        f"studies/example-study.yaml:{where}: history[0].kind: 'registered' is not allowed; use "
        "one of: status-changed, withdrawn, results-posted, follow-up-published, corrected, "
        "retracted"
    ]


# --- rules across records -----------------------------------------------------------------


def test_ids_are_unique_across_records(check: Callable[..., list[str]]) -> None:
    lines = check(minimal_record("a"), ("b", _yaml(minimal_record("a"))))
    assert lines == [
        "studies/b.yaml:1:5: id: id 'a' is already used by a.yaml",
        "studies/b.yaml:1:5: id: id 'a' must equal the file name 'b'",
    ]


def test_related_ids_must_exist(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record(
        "passion-follow-up", related=[{"id": "passion-phase1", "relation": "follow-up-of"}]
    )
    assert check(record, minimal_record("passion-phase-1")) == [
        f"studies/passion-follow-up.yaml:{pos(tmp_path, 'passion-follow-up', 'id: passion-phase1', 'passion-phase1')}: related[0].id: no record with id 'passion-phase1'; "
        "did you mean 'passion-phase-1'?"
    ]


def test_record_cannot_relate_to_itself(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    record = minimal_record("a", related=[{"id": "a", "relation": "related-to"}])
    assert check(record) == [
        f"studies/a.yaml:{pos(tmp_path, 'a', '- id: a', 'a')}: related[0].id: a record cannot be related to itself"
    ]


def test_same_registration_in_unrelated_records(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    reg = [{"registry": "clinicaltrials.gov", "id": "NCT03356821"}]
    lines = check(minimal_record("a", registrations=reg), minimal_record("b", registrations=reg))
    assert lines == [
        f"studies/b.yaml:{pos(tmp_path, 'b', 'id: NCT03356821', 'NCT')}: registrations[0].id: registration NCT03356821 is also in a.yaml; "
        "merge the records, or relate them with `related` or a shared `trial`"
    ]


def test_same_registration_is_fine_when_related(check: Callable[..., list[str]]) -> None:
    reg = [{"registry": "clinicaltrials.gov", "id": "NCT03356821"}]
    follow_up = minimal_record(
        "b", registrations=reg, related=[{"id": "a", "relation": "follow-up-of"}]
    )
    assert check(minimal_record("a", registrations=reg), follow_up) == []


def test_same_registration_is_fine_in_reports_of_one_trial(check: Callable[..., list[str]]) -> None:
    reg = [{"registry": "clinicaltrials.gov", "id": "NCT03795974"}]
    trial = {"id": "one-trial", "basis": "probable", "sources": ["paper"]}
    a = minimal_record("a", registrations=reg, trial=trial)
    b = minimal_record("b", registrations=reg, trial=trial)
    assert check(a, b) == []


def test_reports_of_one_trial_agree_on_a_shared_arm(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    trial = {"id": "one-trial", "basis": "stated", "sources": ["paper"]}
    sham = {"id": "sham", "label": "Sham", "role": "sham", "n": 36}
    a = minimal_record("a", trial=trial, arms=[sham])
    b = minimal_record("b", trial=trial, arms=[{**sham, "n": 35, "role": "placebo"}])
    found = check(a, b)
    assert found == [
        f"studies/b.yaml:{pos(tmp_path, 'b', 'role: placebo', 'placebo')}: arms[0].role: arm 'sham' of trial 'one-trial' has role 'sham' in a.yaml; "
        "a shared arm must agree",
        f"studies/b.yaml:{pos(tmp_path, 'b', 'n: 35', '35')}: arms[0].n: arm 'sham' of trial 'one-trial' has n 36 in a.yaml; a shared arm must agree",
    ]


def test_a_review_includes_records_that_exist_and_are_not_reviews(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    pooled = {
        "studies": 3,
        "includes": [{"record": "trial-a"}, {"record": "other-review"}, {"citation": "Kang 2015"}],
        "sources": ["paper"],
    }
    review = minimal_record("review", evidence_kind="systematic-review", pooled=pooled)
    other = minimal_record("other-review", evidence_kind="systematic-review")
    found = check(review, other, minimal_record("trial-b"))
    assert found == [
        f"studies/review.yaml:{pos(tmp_path, 'review', 'record: trial-a', 'trial-a')}: pooled.includes[0].record: no record with id 'trial-a'; "
        "did you mean 'trial-b'?",
        f"studies/review.yaml:{pos(tmp_path, 'review', 'record: other-review', 'other')}: pooled.includes[1].record: 'other-review' is itself a review; "
        "list primary studies",
    ]


def test_same_main_doi_in_unrelated_records(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    refs = [{**REF, "doi": "10.1542/peds.2024-068999"}]
    lines = check(minimal_record("a", references=refs), minimal_record("b", references=refs))
    assert lines == [
        f"studies/b.yaml:{pos(tmp_path, 'b', 'doi: 10.1542', '10.1542')}: references[0].doi: DOI 10.1542/peds.2024-068999 is also in a.yaml; "
        "merge the records, or relate them with `related` or a shared `trial`"
    ]


def test_citing_another_records_paper_later_is_not_a_duplicate(
    check: Callable[..., list[str]],
) -> None:
    review = {**REF, "id": "review", "doi": "10.4252/wjsc.v11.i10.891"}
    a = minimal_record("a", references=[REF, review])
    b = minimal_record("b", references=[{**REF, "doi": "10.1234/own"}, review])
    assert check(a, b) == []


def test_every_problem_is_reported_at_once(check: Callable[..., list[str]]) -> None:
    record = minimal_record(status="finished", conditions=["autism"], extra=1)
    assert len(check(record)) == 3


# --- glossary -----------------------------------------------------------------------------


def _glossary(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "glossary.yaml"
    path.write_text(text)
    record = load_file(path)
    assert isinstance(record, RawRecord)
    return [i.format(tmp_path) for i in validate_glossary(record)]


def test_glossary_rules(tmp_path: Path) -> None:
    text = (
        "terms:\n"
        "  - {term: GMFM-66, expansion: Gross Motor Function Measure, definition: d}\n"
        "  - {term: GMFM-66, expansion: again, definition: d}\n"
        "  - {term: '<b>', expansion: x, definition: d, sources: ['javascript:x']}\n"
        "  - {term: TH, expansion: x, definition: d, colour: red}\n"
    )
    assert _glossary(tmp_path, text) == [
        "glossary.yaml:3:12: terms[1].term: term 'GMFM-66' is listed twice",
        "glossary.yaml:4:12: terms[2].term: term must be 1-60 letters, digits, spaces or ( ) ' . / -",
        "glossary.yaml:4:58: terms[2].sources[0]: expected an http(s) address",
        "glossary.yaml:5:45: terms[3].colour: unknown field 'colour'",
    ]


# --- key messages and site notes ----------------------------------------------------------


def _editorial(tmp_path: Path, name: str, text: str) -> list[str]:
    """Check an editorial file against the fixture records; formatted issue lines."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    loaded = load_file(path)
    assert isinstance(loaded, RawRecord)
    records = {r.data["id"]: r for r in load_records(DATA / "studies").records}
    rule = validate_key_messages if name == "key-messages" else validate_notes
    return [i.format(tmp_path) for i in rule(loaded, records)]


def _message(text: str, cites: str = "[cord-blood-cp-ipd-meta-analysis]", extra: str = "") -> str:
    return (
        "messages:\n"
        "  - condition: cerebral-palsy\n"
        f"{extra}"
        "    updated: '2026-12-02'\n"
        "    reviewed_by: Test editors\n"
        "    sentences:\n"
        f"      - text: {text}\n"
        f"        cites: {cites}\n"
    )


def test_key_messages_fixture_file_is_valid(tmp_path: Path) -> None:
    assert _editorial(tmp_path, "key-messages", (DATA / "key-messages.yaml").read_text()) == []


def test_a_key_message_number_must_be_a_number_of_the_cited_records(tmp_path: Path) -> None:
    # 1.36 is the record's; 1.35 is not (a typo of the kind the rule is there to catch).
    assert _editorial(tmp_path, "key-messages", _message("Scores were 1.36 points higher.")) == []
    assert _editorial(tmp_path, "key-messages", _message("Scores were 1.35 points higher.")) == [
        "key-messages.yaml:6:15: messages[0].sentences[0].text: the number 1.35 is not in the "
        "records it cites (cord-blood-cp-ipd-meta-analysis); quote numbers as the records give "
        "them"
    ]


def test_a_key_message_number_from_an_uncited_record_is_refused(tmp_path: Path) -> None:
    # 143 infusions is ACCeNT-CP's number, not the cited meta-analysis's.
    found = _editorial(tmp_path, "key-messages", _message("There were 143 infusions."))
    assert [line.split(": ", 2)[2][:24] for line in found] == ["the number 143 is not in"]


def test_a_key_message_cites_records_that_exist(tmp_path: Path) -> None:
    assert _editorial(tmp_path, "key-messages", _message("Small studies.", "[accent]")) == [
        "key-messages.yaml:7:17: messages[0].sentences[0].cites[0]: no record with id "
        "'accent'; did you mean 'accent-cp'?"
    ]


def test_one_key_message_per_condition_and_cell_type(tmp_path: Path) -> None:
    text = _message("Small studies.") + _message("Again.").removeprefix("messages:\n")
    assert _editorial(tmp_path, "key-messages", text) == [
        "key-messages.yaml:8:5: messages[1]: messages[0] is already about cerebral-palsy"
    ]


def test_key_messages_use_the_condition_and_cell_type_vocabulary(tmp_path: Path) -> None:
    text = _message("Small studies.", extra="    cell_type: stem-cells\n")
    found = _editorial(tmp_path, "key-messages", text)
    assert len(found) == 1
    assert found[0].startswith(
        "key-messages.yaml:3:16: messages[0].cell_type: 'stem-cells' is not allowed; use one of:"
    )


def test_notes_fixture_file_is_valid(tmp_path: Path) -> None:
    assert _editorial(tmp_path, "notes", (DATA / "notes.yaml").read_text()) == []


def test_a_note_needs_a_source_and_its_numbers_from_the_records_it_cites(tmp_path: Path) -> None:
    text = (
        "harms:\n"
        "  - title: Unsourced\n"
        "    text: Nothing to back it.\n"
        "  - title: Wrong number\n"
        "    text: There were 9 infusion reactions.\n"
        "    records: [accent-cp]\n"
        "  - title: Bad link\n"
        "    text: See the page.\n"
        "    links: [{title: A page, url: 'javascript:alert(1)'}]\n"
    )
    found = _editorial(tmp_path, "notes", text)
    assert found[0] == (
        "notes.yaml:2:5: harms[0]: a note needs its sources: records of this site, links to "
        "public pages, or both"
    )
    assert found[1].startswith("notes.yaml:5:11: harms[1].text: the number 9 is not in the records")
    assert found[2] == (
        "notes.yaml:9:34: harms[2].links[0].url: 'javascript:alert(1)' does not match: "
        "an http or https address (no spaces or quotes)"
    )
    assert len(found) == 3


def test_without_editorial_files_the_pages_go_without(tmp_path: Path) -> None:
    from generator.pipeline import Paths, collate

    paths = Paths(
        root=DATA,
        studies=DATA / "studies",
        content=tmp_path,
        glossary=DATA / "glossary.yaml",
        abbreviations=tmp_path / "a.md",
        config=DATA / "mkdocs.yml",
        key_messages=tmp_path / "absent.yaml",
        notes=tmp_path / "absent-too.yaml",
    )
    site = collate(paths)
    assert site.key_messages == {}
    assert site.editorial.harms_notes == ()


def _yaml(record: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(record, sort_keys=False)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


SAMPLE = 12
"""The fast tier mutates every 12th field of a record; the slow tier (`make test-all`) all."""
STRIDES = [pytest.param(SAMPLE, id="sample"), pytest.param(1, id="all", marks=pytest.mark.slow)]


@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("name", ["passion-2-year-follow-up", "cord-blood-cp-ipd-meta-analysis"])
def test_wrong_types_anywhere_give_issues_never_exceptions(name: str, stride: int) -> None:
    source = load_file(ROOT / "tests" / "data" / "studies" / f"{name}.yaml")
    assert isinstance(source, RawRecord)
    checked = 0
    for path in _paths(source.data)[1::stride]:
        for wrong in (None, 7, "text", [], {}, True):
            data = _replace(source.data, path, wrong)
            record = RawRecord(source.path, data, source.positions, source.key_positions)
            issues = validate_records([record])  # must not raise
            original = _value_at(source.data, path)
            if _kind(wrong) != _kind(original):
                assert issues, (path, wrong)
            checked += 1
    assert checked > 300 // stride


STRING_MUTATIONS = ("", " ", "x\n", "Index", "index", "NCT123", "10.1/x", "a" * 3001, "ok")


@pytest.mark.parametrize("stride", STRIDES)
def test_fast_and_reference_schema_checks_agree_both_ways(stride: int) -> None:
    """The compiled validator decides "valid?"; the reference one words the problems. They
    must give the same verdict on every mutated record, in both directions: a record the
    reference validator accepts but the compiled one rejects would be refused with no message,
    and the other way round a record could pass that the published schema refuses."""
    source = load_file(ROOT / "tests" / "data" / "maximal" / "every-field.yaml")
    assert isinstance(source, RawRecord)
    fast, reference = _fast_validator(), schema_validator()
    accepted = rejected = 0
    for path in _paths(source.data)[1::stride]:
        originals = [_value_at(source.data, path)]
        texts = [f"{v}\n" for v in originals if isinstance(v, str)]  # every value + newline
        for wrong in (None, 7, -1, 1.5, 10**15, "text", [], {}, True, *STRING_MUTATIONS, *texts):
            data = _replace(source.data, path, wrong)
            verdict = fast.is_valid(data)
            assert reference.is_valid(data) == verdict, (path, wrong)
            accepted += verdict
            rejected += not verdict
    assert accepted > 100 // stride
    assert rejected > 1000 // stride


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "registrations",
            [{"registry": "clinicaltrials.gov", "id": "NCT12345678\n"}],
            "registrations[0].id: 'NCT12345678\\n' does not match: ClinicalTrials.gov identifier (NCT and 8 digits)",
        ),
        (
            "last_reviewed",
            "2027-01-01\n",
            "last_reviewed: '2027-01-01\\n' does not match: A calendar date as YYYY-MM-DD",
        ),
        (
            "references",
            [{**REF, "doi": "10.1234/abc\n"}],
            "references[0].doi: '10.1234/abc\\n' does not match: DOI without the https://doi.org/ prefix, e.g. 10.1542/peds.2024-068999",
        ),
    ],
)
def test_a_value_ending_in_a_newline_does_not_pass_a_pattern(
    check: Callable[..., list[str]], field: str, value: Any, message: str
) -> None:
    found = check(minimal_record(**{field: value}))
    assert len(found) == 1
    assert found[0].split(": ", 1)[1] == message
    assert found[0].startswith("studies/example-study.yaml:")


def _value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def test_blank_text_is_refused(tmp_path: Path, check: Callable[..., list[str]]) -> None:
    assert check(minimal_record(short_name="   ")) == [
        f"studies/example-study.yaml:{pos(tmp_path, 'example-study', 'short_name:', chr(39))}: "
        "short_name: must not be blank"
    ]


def test_reserved_id_index(check: Callable[..., list[str]]) -> None:
    assert check(minimal_record("index")) == [
        "studies/index.yaml:1:5: id: 'index' is reserved; choose another"
    ]


def test_registry_id_of_a_reference_has_a_registry_format(
    tmp_path: Path, check: Callable[..., list[str]]
) -> None:
    ref = {
        "id": "reg",
        "type": "registry-entry",
        "title": "R",
        "registry_id": "NCT0/../../redirect?u=evil.example",
    }
    lines = check(minimal_record(references=[REF, ref]))
    assert len(lines) == 1
    assert (
        ": references[1].registry_id: 'NCT0/../../redirect?u=evil.example' does not match: "
        in lines[0]
    )


@pytest.mark.parametrize(
    "written",
    ['"TODO: the year"', '"\\x54ODO: the year"', '"TO\\\n  DO: the year"', "|-\n  TODO: the year"],
    ids=["quoted", "escaped", "escaped-line-break", "block"],
)
def test_a_placeholder_is_found_however_it_is_written(tmp_path: Path, written: str) -> None:
    """The per-record rules skip the placeholder walk when the text cannot hold one: an
    escape (a backslash) can spell `TODO:` without those characters in the file."""
    path = tmp_path / "example-study.yaml"
    fields = minimal_record()
    del fields["summary"]
    text = yaml.safe_dump(fields, sort_keys=False) + f"summary: {written}\n"
    path.write_text(text, encoding="utf-8")
    record = load_file(path)
    assert isinstance(record, RawRecord)
    assert record.data["summary"] == "TODO: the year"
    issues = [(i.field, i.message) for i in validate_records([record])]
    assert ("summary", "to fill in: the year") in issues


def test_a_lean_record_refuses_a_field_the_rules_across_records_do_not_keep(
    tmp_path: Path, write_record: Callable[..., Path]
) -> None:
    """A new rule across records that reads a field not in CROSS_FIELDS fails loudly, rather
    than seeing nothing in every record of a large site."""
    record = load_file(write_record(minimal_record("a")))
    assert isinstance(record, RawRecord)
    lean = for_cross_rules(record)
    assert lean.lean
    assert lean.data["id"] == "a"
    assert lean.data.get("related") is None
    with pytest.raises(LookupError, match="CROSS_FIELDS"):
        lean.data.get("conditions")
    with pytest.raises(LookupError, match="CROSS_FIELDS"):
        lean.data["summary"]
