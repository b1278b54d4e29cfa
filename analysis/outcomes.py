"""What each outcome measures: its label, its unit, and which way is better for users.

One table for every figure, table and sentence of a report, so that an outcome is named and
formatted the same way everywhere. The names are the columns of ``sim.observe`` (``OUTCOMES`` in
``summary.json`` and ``results.parquet``, ``COLUMNS`` in the weekly table); an outcome missing
here still works, under its column name and without a unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """How to show one outcome.

    Attributes:
        name: the column name.
        label: a short name for titles and sentences.
        unit: the axis label, with the unit.
        kind: ``share`` (a fraction, shown in per cent, differences in percentage points),
            ``index`` (a 0–1 scale), ``weeks``, ``hours``, ``pounds`` or ``count``.
        better: ``lower`` or ``higher`` when one direction is better for users, else ``None``.
    """

    name: str
    label: str
    unit: str
    kind: str = "count"
    better: str | None = None


_TABLE = (
    Outcome("mean_wait_weeks", "Mean wait", "weeks waited so far (people waiting)", "weeks", "lower"),
    Outcome("wait_p90_weeks", "Wait, 90th percentile", "weeks waited so far (people waiting)", "weeks",
            "lower"),
    Outcome("assessments_per_user", "Assessments per user", "assessments per referred user", "count",
            "lower"),
    Outcome("professionals_per_user", "Professionals met per user", "professionals per referred user",
            "count", "lower"),
    Outcome("unmet_need", "Unmet need", "% of needed care hours not met", "share", "lower"),
    Outcome("unmet_health", "Unmet health need", "% of needed hours not met", "share", "lower"),
    Outcome("unmet_personal_care", "Unmet personal care need", "% of needed hours not met", "share", "lower"),
    Outcome("unmet_practical", "Unmet practical need", "% of needed hours not met", "share", "lower"),
    Outcome("unmet_social", "Unmet social need", "% of needed hours not met", "share", "lower"),
    Outcome("declined_share", "Needs declined (means test)", "% of active users' needs", "share", "lower"),
    Outcome("wellbeing", "Well-being", "mean well-being of users (0–1)", "index", "higher"),
    Outcome("readmission_rate", "Readmission rate", "% readmitted within 13 weeks of discharge", "share",
            "lower"),
    Outcome("left_badly", "Users leaving badly", "users per week (care home or death)", "count", "lower"),
    Outcome("delayed_discharges_council", "Delayed discharges (council)", "bed-weeks per week", "count",
            "lower"),
    Outcome("delayed_discharges_health", "Delayed discharges (health)", "bed-weeks per week", "count",
            "lower"),
    Outcome("mean_trust", "Trust in other agencies", "mean trust (0–1)", "index", "higher"),
    Outcome("trust_sd", "Spread of trust", "SD of trust (0–1 scale)", "index"),
    Outcome("mean_loyalty", "Loyalty to the partnership", "loyalty (0 own agency – 1 partnership)", "index",
            "higher"),
    Outcome("cultural_distance", "Cultural distance", "RMS distance between agencies (0–1)", "index",
            "lower"),
    Outcome("shared_understanding", "Shared understanding", "mean understanding of other professions (0–1)",
            "index", "higher"),
    Outcome("morale", "Morale", "mean morale of professionals (0–1)", "index", "higher"),
    Outcome("meeting_hours", "Meeting hours", "professional hours per week", "hours"),
    Outcome("training_hours", "Joint training hours", "professional hours per week", "hours"),
    Outcome("partnership_hours", "Partnership hours", "professional hours per week", "hours"),
    Outcome("coordination_failures", "Coordination failures", "failed coordinations per week", "count",
            "lower"),
    Outcome("spend", "Spend on care packages", "£ per week", "pounds"),
    Outcome("pool_balance", "Pool balance", "£ in the pool", "pounds"),
    Outcome("active_users", "Active users", "users", "count"),
    Outcome("withdrawals", "Pool withdrawals", "withdrawals so far", "count"),
)  # fmt: skip

OUTCOMES: dict[str, Outcome] = {o.name: o for o in _TABLE}

#: The outcomes a report shows in its heatmaps, dose–response and condition plots and its
#: effect table: the users' side first, then the partnership beneath it and what it costs.
KEY_OUTCOMES = (
    "mean_wait_weeks", "assessments_per_user", "unmet_need", "wellbeing", "readmission_rate",
    "mean_trust", "mean_loyalty", "morale", "partnership_hours",
)  # fmt: skip

#: The outcomes a sensitivity analysis (Sobol, Morris) is computed over.
SENSITIVITY_OUTCOMES = ("unmet_need", "mean_wait_weeks", "readmission_rate", "wellbeing")

#: The weekly figures of a report, one panel per outcome: every outcome of ``sim.observe.OUTCOMES``
#: and the readmission rate, in four groups (an outcome in none of them goes to a fifth).
TIMESERIES_GROUPS: dict[str, tuple[str, ...]] = {
    "users": (
        "mean_wait_weeks", "wait_p90_weeks", "assessments_per_user", "professionals_per_user",
        "unmet_need", "wellbeing", "readmission_rate", "left_badly", "delayed_discharges_council",
        "delayed_discharges_health",
    ),
    "unmet_by_need": ("unmet_health", "unmet_personal_care", "unmet_practical", "unmet_social"),
    "partnership": (
        "mean_trust", "trust_sd", "mean_loyalty", "cultural_distance", "shared_understanding", "morale",
    ),
    "costs": (
        "meeting_hours", "partnership_hours", "coordination_failures", "spend", "pool_balance",
        "active_users", "withdrawals",
    ),
}  # fmt: skip

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
    return OUTCOMES.get(name, Outcome(name, name.replace("_", " ").capitalize(), name, "count"))


def floor(name: str) -> float | None:
    """The lowest value the outcome can take (0 for all but the pool balance), to clip intervals at."""
    return None if name == "pool_balance" or name not in OUTCOMES else 0.0


_PLURAL = {
    "meeting_hours", "training_hours", "partnership_hours", "coordination_failures", "withdrawals",
    "active_users", "left_badly", "delayed_discharges_council", "delayed_discharges_health", "declined_share",
}  # fmt: skip


def verb(name: str) -> str:
    """``are`` for an outcome whose label is plural (``meeting hours are``), else ``is``."""
    return "are" if name in _PLURAL else "is"


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
