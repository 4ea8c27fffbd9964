"""One-off migration of v1 study records to the v2 format (lives in git history only).

Maps what is unambiguous; everything needing a person's reading from the sources becomes a
`TODO:` placeholder, which `check` lists. Usage: .venv/bin/python tools/migrate_v2.py studies/*.yaml

It ran once on the 28 records of November 2026 and is removed in the next commit: a
migration is history, not a tool to keep in step with the format.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from generator.draft import scalar  # noqa: E402
from generator.load import load_file  # noqa: E402


def todo(hint: str) -> str:
    return f"TODO: {hint}"


INSTRUMENTS = {
    "gmfm-66": "gmfm-66",
    "gmfm-66 percentile": "gmfm-66-percentile",
    "gmfm-88": "gmfm-88",
    "gmfm": "gmfm",
    "gmpm": "gmpm",
    "pdms-2": "pdms-2",
    "bayley-iii": "bayley-iii",
    "bayley-4": "bayley-4",
    "k-bsid-ii mental scale": "k-bsid-ii",
    "k-bsid-ii motor scale": "k-bsid-ii",
    "mas": "mas",
    "pedi": "pedi",
    "cp-qol": "cp-qol",
    "weefim": "weefim",
    "fmfm": "fmfm",
    "quest": "quest",
    "vabs-ii": "vabs-ii",
    "gmfcs": "gmfcs",
    "macs": "macs",
    "pelod": "pelod",
    "weeke score": "weeke-score",
    "mri": "mri",
    "dti": "dti",
    "eeg": "eeg",
    "cfa": "cfa",
}
SUBSCALE = {"k-bsid-ii mental scale": "mental scale", "k-bsid-ii motor scale": "motor scale"}
ROLE_FROM_COMPARATOR = {
    "placebo": "placebo",
    "sham": "sham",
    "standard-care": "usual-care",
    "delayed-treatment": "delayed-treatment",
    "historical-controls": "historical-control",
    "external-registry": "external-control",
    "natural-history": "external-control",
    "mixed": "mixed-control",
}
MODEL = {
    "accent-cp": "parallel",
    "ahn-2018-msc-ivh": "dose-cohorts",
    "amanat-2021-cord-tissue-msc-cp": "parallel",
    "cotten-2014-autologous-cord-blood-hie": "parallel",
    "cox-2011-bone-marrow-tbi": "single-group",
    "cox-2024-bone-marrow-tbi": "parallel",
    "crompton-2022-sibling-cord-blood-cp": "single-group",
    "duke-autologous-cord-blood-hie-rct": "parallel",
    "duke-cord-tissue-msc-hie": "dose-cohorts",
    "huang-2018-cord-blood-msc-cp": "parallel",
    "kabatas-2021-wharton-jelly-msc-hie": "single-group",
    "liu-2017-bone-marrow-cp": "parallel",
    "mahidol-wharton-jelly-msc-hie": "parallel",
    "min-2013-cord-blood-epo-cp": "parallel",
    "min-2020-cord-blood-epo-factorial": "factorial",
    "passion-phase-1": "single-group",
    "passion-2-year-follow-up": "single-group",
    "rah-2017-pbmnc-gcsf-cp": "crossover",
    "sun-2017-autologous-cord-blood-cp": "crossover",
    "sun-2021-sibling-cord-blood-cp": "single-group",
    "tsuji-2020-autologous-cord-blood-hie": "single-group",
    "vinmec-2017-bone-marrow-cp": "single-group",
    "zarrabi-2022-cord-blood-mnc-cp": "parallel",
    "cord-safe-preterm-cord-blood": "single-group",
}
OPEN = {"not-yet-recruiting", "recruiting", "active-not-recruiting", "available", "unknown"}
GROUP_STATS = {"mean-change", "mean", "median", "count", "proportion"}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    rid = data["id"]
    out: dict[str, Any] = {}
    for key in ("id", "short_name", "title"):
        out[key] = data[key]
    comparator = data.get("comparator") or {}
    ckind = comparator.get("kind")
    kind = data["evidence_kind"]
    if kind == "non-randomised-trial":
        kind = "uncontrolled-trial" if ckind in (None, "none") else "non-randomised-controlled-trial"
    out["evidence_kind"] = kind
    out["status"] = data["status"]
    if data["status"] in OPEN:
        out["status_checked"] = todo("date (YYYY-MM-DD) the status was read in its source")
    for key in ("phase", "conditions", "conditions_as_registered", "summary"):
        if key in data:
            out[key] = data[key]
    pooled_kind = kind in ("ipd-meta-analysis", "systematic-review")
    design = dict(data.get("design") or {})
    if design:
        crossover = design.pop("crossover", None)
        new: dict[str, Any] = {}
        for key in ("description", "allocation", "masking"):
            if key in design:
                new[key] = design[key]
        if pooled_kind or kind == "expanded-access":
            new["model"] = "not-applicable"
        elif crossover:
            new["model"] = "crossover"
        else:
            new["model"] = MODEL.get(rid, todo("parallel, crossover, factorial, single-group or dose-cohorts"))
        if new.get("model") == "crossover":
            new["periods"] = [
                {"id": todo("period id"), "label": todo("period name, e.g. Year 1")},
                {"id": todo("period id"), "label": todo("period name, e.g. Year 2")},
            ]
        for key in ("centres", "sources"):
            if key in design:
                new[key] = design[key]
        out["design"] = new
    population = dict(data.get("population") or {})
    arms = population.pop("arms", [])
    studies = population.pop("studies", None)
    if population:
        new = {}
        for key in ("description", "planned", "enrolled", "age"):
            if key in population:
                new[key] = population[key]
        new["eligible_age"] = todo("ages the study accepted, or delete this line")
        for key in ("gestational_age", "severity", "sources"):
            if key in population:
                new[key] = population[key]
        out["population"] = new
    interventions = data.get("interventions", [])
    treated = {i.get("arm") for i in interventions}
    new_arms = []
    for arm in arms:
        entry = {"id": arm["id"], "label": arm["label"]}
        if arm["id"] in treated and not (ckind == "delayed-treatment" and "natural" in arm["id"]):
            entry["role"] = "experimental"
        elif ckind in ROLE_FROM_COMPARATOR:
            entry["role"] = ROLE_FROM_COMPARATOR[ckind]
        else:
            entry["role"] = todo("experimental, placebo, sham, usual-care, no-treatment, delayed-treatment, external-control, ...")
        for key in ("n", "n_analysed", "description"):
            if key in arm:
                entry[key] = arm[key]
        new_arms.append(entry)
    if not new_arms and interventions:
        new_arms.append(
            {
                "id": todo("arm id, e.g. treated"),
                "label": todo("arm name in plain words"),
                "role": "experimental",
                "n": todo("children in this arm, or delete this line"),
            }
        )
    if new_arms:
        out["arms"] = new_arms
    new_interventions = []
    for item in interventions:
        entry = {"arm": item.get("arm", todo("id of the arm that received it"))}
        entry.update({k: v for k, v in item.items() if k != "arm"})
        new_interventions.append(entry)
    if new_interventions:
        out["interventions"] = new_interventions
    if comparator.get("description"):
        out["comparator"] = {"description": comparator["description"], "sources": comparator["sources"]}
    outcomes = data.get("outcomes", [])
    by_id = {o["id"]: o for o in outcomes}
    new_outcomes = []
    for o in outcomes:
        entry = {"id": o["id"], "name": o["name"]}
        if "domain" in o:
            entry["domain"] = o["domain"]
        if "instrument" in o:
            key = " ".join(o["instrument"].casefold().split())
            if key in INSTRUMENTS:
                entry["instrument"] = INSTRUMENTS[key]
                if key in SUBSCALE:
                    entry["subscale"] = SUBSCALE[key]
            else:
                entry["instrument"] = todo(f"instrument {o['instrument']!r}: choose from the vocabulary (split the outcome if it names several)")
        if "time_point" in o:
            entry["time_point"] = o["time_point"]
        if o.get("primary"):
            entry["role"] = "primary"
            entry["role_stated_by"] = todo("registry, protocol or publication")
        for key in ("description", "sources"):
            if key in o:
                entry[key] = o[key]
        new_outcomes.append(entry)
    if new_outcomes:
        out["outcomes"] = new_outcomes
    groups, effects = [], []
    for r in data.get("results", []):
        o = by_id[r["outcome"]]
        measure = r.get("effect_measure")
        comparison = r.get("comparison", "")
        is_effect = (measure and measure not in GROUP_STATS) or (
            measure is None and re.search(r"\bvs\b", comparison)
        )
        entry: dict[str, Any] = {"outcome": r["outcome"]}
        if is_effect:
            entry["experimental"] = [todo(f"arm id(s) of the treated side of: {comparison or 'no comparison given'}")]
            entry["comparator"] = [todo("arm id(s) of the comparison side")]
        else:
            entry["arm"] = todo(f"arm id of: {comparison or 'no comparison given'}")
        if "time_point" in o:
            entry["time_point"] = o["time_point"]
        if "months" in o:
            entry["months"] = o["months"]
        if is_effect:
            if measure:
                entry["measure"] = measure
            if measure in ("mean-difference", "regression-coefficient", "standardised-mean-difference"):
                entry["scale"] = todo("final, change or change-beyond-expected")
        elif measure:
            stat = {"mean-change": "mean"}.get(measure, measure)
            entry["statistic"] = stat
            if measure == "mean-change":
                entry["scale"] = "change"
            elif stat in ("mean", "median"):
                entry["scale"] = todo("final, change or change-beyond-expected")
        for key in ("value", "unit", "ci", "ci_level", "p"):
            if key in r:
                entry[key] = r[key]
        if "n_analysed" in r:
            entry["n"] = r["n_analysed"]
        if is_effect:
            entry["analysis"] = {"plan": todo("prespecified-primary, prespecified-secondary or post-hoc; delete if the source does not say")}
        if "statement" in r:
            entry["statement"] = r["statement"]
        entry["source"] = r["source"]
        entry["locator"] = todo("where in the source: abstract, Table 2, ...")
        (effects if is_effect else groups).append(entry)
    if groups:
        out["group_values"] = groups
    if effects:
        out["effects"] = effects
    related = data.get("related", [])
    includes = [{"record": r["id"]} for r in related if r["relation"] == "includes"]
    if pooled_kind:
        pooled: dict[str, Any] = {}
        if studies is not None:
            pooled["studies"] = studies
        if includes:
            pooled["includes"] = includes
        pooled["sources"] = (data.get("population") or {}).get("sources") or [data["references"][0]["id"]]
        out["pooled"] = pooled
    for key in ("safety", "registrations", "sponsor", "collaborators", "countries", "dates", "source_notes", "references"):
        if key in data:
            out[key] = data[key]
    kept = [r for r in related if r["relation"] not in ("includes", "included-in")]
    if kept:
        out["related"] = kept
    for key in ("certainty", "risk_of_bias", "added", "last_reviewed", "reviewed_by"):
        if key in data:
            out[key] = data[key]
    return out


# --- writing: like the hand-written records (folded blocks for long text) -----------------

WIDTH = 96


def text_value(value: str, indent: int) -> list[str] | None:
    """Long text as a folded (>-) or literal (|) block; None when a plain scalar fits."""
    if "\n\n" in value:
        pad = " " * (indent + 2)
        lines = ["|"]
        for paragraph in value.rstrip("\n").split("\n\n"):
            for line in paragraph.split("\n"):
                lines.append(pad + line if line else "")
            lines.append("")
        lines.pop()
        return lines
    if len(value) + indent < 80 or value != " ".join(value.split()):
        return None
    pad = " " * (indent + 2)
    wrapped = textwrap.wrap(value, WIDTH - indent - 2, break_long_words=False, break_on_hyphens=False)
    return [">-", *(pad + w for w in wrapped)]


def emit_value(key: str, value: Any, indent: int, printed: dict[tuple[Any, ...], str], path: tuple[Any, ...]) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        lines = [f"{pad}{key}:"]
        for k, v in value.items():
            lines += emit_value(k, v, indent + 2, printed, (*path, k))
        return lines
    if isinstance(value, list):
        if not value:
            return [f"{pad}{key}: []"]
        if all(not isinstance(v, (dict, list)) for v in value):
            flow = "[" + ", ".join(num(v, printed, (*path, i)) for i, v in enumerate(value)) + "]"
            if (len(flow) + indent + len(key) < 98 or key == "authors") and all(
                not isinstance(v, str) or re.fullmatch(r"[A-Za-z0-9 .,()/+'-]+", v) for v in value
            ):
                return [f"{pad}{key}: {flow}"]
        lines = [f"{pad}{key}:"]
        for i, item in enumerate(value):
            if isinstance(item, dict):
                sub: list[str] = []
                for k, v in item.items():
                    sub += emit_value(k, v, indent + 4, printed, (*path, i, k))
                sub[0] = pad + "  - " + sub[0].lstrip()
                lines += sub
            else:
                block = text_value(item, indent + 2) if isinstance(item, str) else None
                if block:
                    lines.append(f"{pad}  - {block[0]}")
                    lines += block[1:]
                else:
                    lines.append(f"{pad}  - {num(item, printed, (*path, i))}")
        return lines
    if isinstance(value, str):
        block = text_value(value, indent)
        if block:
            return [f"{pad}{key}: {block[0]}", *block[1:]]
    return [f"{pad}{key}: {num(value, printed, path)}"]


def num(value: Any, printed: dict[tuple[Any, ...], str], path: tuple[Any, ...]) -> str:
    if isinstance(value, float) and path in printed:
        return printed[path]
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}(-[0-9]{2}){0,2}", value):
        return f'"{value}"'
    return scalar(value)


def main() -> None:
    for name in sys.argv[1:]:
        path = Path(name)
        record = load_file(path)
        assert not hasattr(record, "message"), record
        text = path.read_text()
        header = [line for line in text.splitlines() if line.startswith("#")]
        lead = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            lead.append(line)
        data = migrate(record.data)
        # printed numbers: map old result paths to new ones is not needed: reuse by value text
        printed_by_value = {}
        for p, t in record.printed.items():
            printed_by_value.setdefault(float(t), t)
        lines = list(lead)
        printed_new: dict[tuple[Any, ...], str] = {}

        def collect(value: Any, p: tuple[Any, ...]) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    collect(v, (*p, k))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    collect(v, (*p, i))
            elif isinstance(value, float) and value in printed_by_value:
                printed_new[p] = printed_by_value[value]

        collect(data, ())
        for key, value in data.items():
            lines += emit_value(key, value, 0, printed_new, (key,))
        path.write_text("\n".join(lines) + "\n")
        back = load_file(path)
        assert not hasattr(back, "message"), back
        assert back.data == data, f"round trip changed {path}"
        del header


if __name__ == "__main__":
    main()
