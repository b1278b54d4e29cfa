"""How the analysis shows each outcome: its label, its unit, and which way is better for users.

The outcomes themselves (names, labels, units, kinds, which way is better, groups) are those of
:mod:`sim.registry`, the one list shared with the model's summary, the command line, the overview
figure and the teaching app; this module adds what only a report needs (which outcomes it shows,
group titles, the units of levers, how values and differences are written). An outcome missing
from the registry still works here, under its column name and without a unit.
"""

from __future__ import annotations

import math

from sim.registry import GROUPS, Outcome
from sim.registry import OUTCOMES as _REGISTRY

#: Every outcome of the registry, by name, in its order.
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _REGISTRY}

#: The outcomes a report shows in its heatmaps, dose–response and condition plots and its
#: effect table: the users' side first, then the partnership beneath it and what it costs.
KEY_OUTCOMES = (
    "mean_wait_weeks", "assessments_per_user", "unmet_need", "wellbeing", "readmission_rate",
    "mean_trust", "mean_loyalty", "morale", "partnership_hours",
)  # fmt: skip

#: The outcomes a sensitivity analysis (Sobol, Morris) is computed over.
SENSITIVITY_OUTCOMES = ("unmet_need", "mean_wait_weeks", "readmission_rate", "wellbeing")

#: The weekly figures of a report, one panel per outcome, in the registry's groups (an outcome in
#: none of them, but in the results, goes to a fifth group, ``other``).
TIMESERIES_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(o.name for o in _REGISTRY if o.group == group) for group in GROUPS
}

GROUP_TITLES = {
    "users": "How users fared",
    "unmet_by_need": "Unmet need by kind of need",
    "partnership": "The partnership: trust, loyalty, culture, morale",
    "costs": "Hours, money and caseload",
    "other": "Other outcomes",
}


#: The unit or scale of the levers and parameters the experiments vary, for axis labels.
LEVER_UNITS = {
    "policy.pooled_budget_share": "share of budgets pooled, 0–1",
    "policy.coterminosity": "alignment of boundaries, 0–1",
    "policy.shared_records": "records shared, 0–1",
    "policy.joint_training_hours": "hours per professional per month",
    "policy.meeting_interval_weeks": "weeks between meetings",
    "policy.joint_indicators": "weight of joint outcomes, 0–1",
    "policy.dedicated_time": "share of professionals' time",
    "policy.user_involvement": "0–1",
    "model.workforce.pay_gap": "health pay premium, share",
    "model.trust.initial": "mean initial trust, 0–1",
    "model.coordination.culture": "weight of cultural distance",
    "model.coordination.hours": "hours per coordination",
}


def lever_label(column: str) -> str:
    """A lever's axis label: its name without the config group, with its unit.

    For example ``joint_indicators (weight of joint outcomes, 0–1)``.
    """
    short = column.removeprefix("policy.").removeprefix("model.")
    unit = LEVER_UNITS.get(column) or LEVER_UNITS.get(f"policy.{column}")
    return f"{short} ({unit})" if unit else short


def outcome(name: str) -> Outcome:
    """The description of outcome ``name`` (its column name and no unit when it is not known)."""
    known = OUTCOMES.get(name)
    if known is not None:
        return known
    return Outcome(name, name.replace("_", " ").capitalize(), name, "count", None, "{}", floor=None)


def floor(name: str) -> float | None:
    """The lowest value the outcome can take (0 for all but the pool balance), to clip intervals at."""
    return outcome(name).floor


def verb(name: str) -> str:
    """``are`` for an outcome whose label is plural (``meeting hours are``), else ``is``."""
    return "are" if outcome(name).plural else "is"


def label(name: str) -> str:
    """The outcome's short label."""
    return outcome(name).label


def axis_label(name: str) -> str:
    """The outcome's axis label, with its unit."""
    return outcome(name).unit


def scale(name: str) -> float:
    """The factor from stored values to shown values (100 for shares, shown in per cent)."""
    return 100.0 if outcome(name).kind == "share" else 1.0


def _digits(kind: str, magnitude: float) -> int:
    if kind == "pounds" or magnitude >= 100:
        return 0
    if kind == "index":
        return 3
    if kind == "share":
        return 1 if magnitude >= 1 else 2
    return 1 if magnitude >= 10 else 2


def fmt_value(name: str, value: float) -> str:
    """A value of the outcome as shown in tables (shares in per cent, e.g. ``14.3%``)."""
    if value is None or not math.isfinite(value):
        return "–"
    o = outcome(name)
    shown = value * scale(name)
    text = f"{shown:,.{_digits(o.kind, abs(shown))}f}"
    return f"{text}%" if o.kind == "share" else text


def diff_unit(name: str) -> str:
    """The unit of a difference in the outcome, for sentences (e.g. ``percentage points``)."""
    kind = outcome(name).kind
    return {
        "share": "percentage points",
        "weeks": "weeks",
        "hours": "hours per week",
        "pounds": "£ per week",
    }.get(kind, "")


def fmt_diff(name: str, value: float, *, sign: bool = False) -> str:
    """A difference in the outcome, as shown in tables and sentences (shares in points)."""
    if value is None or not math.isfinite(value):
        return "–"
    o = outcome(name)
    shown = value * scale(name)
    digits = _digits(o.kind, abs(shown))
    return f"{shown:+,.{digits}f}" if sign else f"{shown:,.{digits}f}"


def fmt_diffs(name: str, *values: float, sign: bool = False) -> list[str]:
    """Several differences in the outcome with the same number of decimals (a value and its CI)."""
    finite = [abs(v * scale(name)) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return ["–" for _ in values]
    digits = _digits(outcome(name).kind, max(finite))
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("–")
        else:
            out.append(f"{v * scale(name):+,.{digits}f}" if sign else f"{v * scale(name):,.{digits}f}")
    return out
