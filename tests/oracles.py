"""Independent oracles: rules written again, differently, to check the generator against."""

from __future__ import annotations

from generator.model import Study


def children_counted_once(studies: list[Study]) -> int:
    """An independent count of the README's rule: per trial (one record without a trial), the
    larger of the largest enrolment and the sum of its distinct treated and concurrent control
    arms; reviews, and follow-ups and secondary analyses outside a shared trial, count no one."""
    trials: dict[str, dict[str, object]] = {}
    for s in studies:
        if s.evidence_kind in ("ipd-meta-analysis", "systematic-review"):
            continue
        again = ("follow-up-of", "secondary-analysis-of")
        if s.trial is None and any(r.relation in again for r in s.related):
            continue
        key = s.trial.id if s.trial else s.id
        entry = trials.setdefault(key, {"enrolled": 0, "arms": {}, "complete": True})
        entry["enrolled"] = max(int(entry["enrolled"]), s.enrolled or 0)  # type: ignore[call-overload]
        for arm in s.arms:
            if arm.role in ("external-control", "historical-control"):
                continue
            if arm.n is None:
                entry["complete"] = False
            else:
                entry["arms"][arm.id] = arm.n  # type: ignore[index]
    total = 0
    for entry in trials.values():
        arms = sum(entry["arms"].values()) if entry["complete"] else 0  # type: ignore[attr-defined]
        total += max(int(entry["enrolled"]), arms)  # type: ignore[call-overload]
    return total
