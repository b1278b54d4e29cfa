"""The outcome registry: the one place where each outcome is named, labelled and described.

Every reader of the model's outputs takes its names, labels, units and formats from here: the
weekly collector and the summary (:mod:`sim.observe`), the command line's summary table
(:mod:`runner.cli`), the overview figure (:mod:`runner.figure`), the teaching app
(:mod:`teaching_app.views`) and the analysis (:mod:`analysis.outcomes`). Adding an outcome is one
entry below (and its value in ``sim.observe.measure``).

Pure data, with no imports from the model and no numpy, so that the analysis can read it without
the model.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Discharge cohorts (weeks) over which the weekly ``readmission_rate`` column is computed.
READMISSION_WINDOW = 13
# A long wait, as England's figures count one: more than six months (ADASS counts people waiting
# for a social care assessment who have waited more than six months).
LONG_WAIT_WEEKS = 26

# How an outcome enters ``summary.json`` (and so ``results.parquet``) from the weekly table.
MEAN = "mean"  # the mean of its weekly column over the final ``run.summary_weeks`` weeks
RATIO = "ratio"  # a ratio of sums of two weekly columns over those weeks (``Outcome.of``)
LAST = "last"  # the last week's value of a cumulative column (0 for an empty table)

#: The kinds of outcome, which decide how values are shown: ``share`` (a fraction, shown in per
#: cent, differences in percentage points), ``index`` (a 0–1 scale), ``weeks``, ``hours``,
#: ``pounds`` and ``count``.
KINDS = ("share", "index", "weeks", "hours", "pounds", "count")

#: The groups of outcomes in a report's figures over time, in the order they are shown.
GROUPS = ("users", "unmet_by_need", "partnership", "costs")


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run: what it is called, what it measures and how it is shown.

    Attributes:
        name: its key in ``summary.json`` and its column in ``results.parquet``.
        label: a short name for titles, legends, tables and sentences ("Mean wait").
        unit: what is measured, with its unit, for axis labels.
        kind: one of :data:`KINDS`.
        better: ``lower`` or ``higher`` when one direction is better for users, else ``None``.
        fmt: how the command line shows a value, unit included (a :meth:`str.format` pattern).
        column: the weekly column it comes from (the one plotted week by week).
        summary: how ``summary.json`` gets it from the weekly table (:data:`MEAN`,
            :data:`RATIO`, :data:`LAST`), or ``None`` for an outcome of the weekly table only.
        of: for :data:`RATIO`, the weekly columns of the numerator and the denominator.
        group: its group in a report's figures over time (one of :data:`GROUPS`), or ``None``.
        plural: whether its label is plural ("meeting hours are").
        floor: the lowest value it can take (to clip confidence intervals at), or ``None``.
    """

    name: str
    label: str
    unit: str
    kind: str
    better: str | None
    fmt: str
    column: str = ""
    summary: str | None = MEAN
    of: tuple[str, str] | None = None
    group: str | None = None
    plural: bool = False
    floor: float | None = 0.0

    def __post_init__(self) -> None:
        """Default the weekly column to the outcome's own name."""
        if not self.column:
            object.__setattr__(self, "column", self.name)

    def format(self, value: float) -> str:
        """A value as the command line shows it, with its unit (e.g. ``4.21 weeks``, ``12.3%``)."""
        return self.fmt.format(value)


_SHARE = "{:.1%}"
_INDEX = "{:.3f}"
_PER_WEEK = "{:.1f} a week"

# The order is that of the outcomes in summary.json: the users' side, then the partnership and
# what it costs. Entries with summary=None sit beside their relatives and are left out of it.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("mean_wait_weeks", "Mean wait", "weeks waited so far (people waiting)", "weeks", "lower",
            "{:.2f} weeks", group="users"),
    Outcome("wait_p90_weeks", "Wait, 90th percentile", "weeks waited so far (people waiting)", "weeks",
            "lower", "{:.2f} weeks", group="users"),
    Outcome("wait_over_26_share", "Waited over 26 weeks", "% of people waiting who have waited > 26 weeks",
            "share", "lower", "{:.1%} of people waiting", group="users"),
    Outcome("assessments_per_user", "Assessments per user", "assessments per referred user", "count",
            "lower", "{:.2f}", group="users"),
    Outcome("professionals_per_user", "Professionals met per user", "professionals per referred user",
            "count", "lower", "{:.2f}", group="users"),
    Outcome("unmet_need", "Unmet need", "% of needed care hours not met", "share", "lower",
            _SHARE + " of care hours", group="users"),
    Outcome("unmet_health", "Unmet health need", "% of needed hours not met", "share", "lower", _SHARE,
            group="unmet_by_need"),
    Outcome("unmet_personal_care", "Unmet personal care need", "% of needed hours not met", "share",
            "lower", _SHARE, group="unmet_by_need"),
    Outcome("unmet_practical", "Unmet practical need", "% of needed hours not met", "share", "lower",
            _SHARE, group="unmet_by_need"),
    Outcome("unmet_social", "Unmet social need", "% of needed hours not met", "share", "lower", _SHARE,
            group="unmet_by_need"),
    Outcome("declined_share", "Needs declined (means test)", "% of active users' needs", "share", "lower",
            _SHARE, summary=None, plural=True),
    Outcome("wellbeing", "Well-being", "mean well-being of users (0–1)", "index", "higher", _INDEX,
            group="users"),
    Outcome("mean_trust", "Trust in other agencies", "mean trust (0–1)", "index", "higher", _INDEX,
            group="partnership"),
    Outcome("trust_sd", "Spread of trust", "SD of trust (0–1 scale)", "index", None, _INDEX,
            group="partnership"),
    Outcome("mean_loyalty", "Loyalty to the partnership", "loyalty (0 own agency – 1 partnership)",
            "index", "higher", _INDEX, group="partnership"),
    Outcome("cultural_distance", "Cultural distance", "RMS distance between agencies (0–1)", "index",
            "lower", _INDEX, group="partnership"),
    Outcome("shared_understanding", "Shared understanding", "mean understanding of other professions (0–1)",
            "index", "higher", _INDEX, group="partnership"),
    Outcome("morale", "Morale", "mean morale of professionals (0–1)", "index", "higher", _INDEX,
            group="partnership"),
    Outcome("meeting_hours", "Meeting hours", "professional hours per week", "hours", None, _PER_WEEK,
            group="costs", plural=True),
    Outcome("training_hours", "Joint training hours", "professional hours per week", "hours", None,
            _PER_WEEK, summary=None, plural=True),
    Outcome("partnership_hours", "Partnership hours", "professional hours per week", "hours", None,
            _PER_WEEK, group="costs", plural=True),
    Outcome("coordination_failures", "Coordination failures", "failed coordinations per week", "count",
            "lower", _PER_WEEK, group="costs", plural=True),
    Outcome("spend", "Spend on care packages", "£ per week", "pounds", None, "£{:,.0f} a week",
            group="costs"),
    Outcome("pool_balance", "Pool balance", "£ in the pool", "pounds", None, "£{:,.0f}", summary=None,
            group="costs", floor=None),
    Outcome("active_users", "Active users", "users", "count", None, "{:,.0f}", group="costs", plural=True),
    Outcome("left_badly", "Users leaving badly", "users per week (care home or death)", "count", "lower",
            _PER_WEEK, group="users", plural=True),
    Outcome("delayed_discharges_council", "Delayed discharges (council)", "bed-weeks per week", "count",
            "lower", _PER_WEEK, group="users", plural=True),
    Outcome("delayed_discharges_health", "Delayed discharges (health)", "bed-weeks per week", "count",
            "lower", _PER_WEEK, group="users", plural=True),
    Outcome("delayed_discharges_both", "Delayed discharges (both)", "bed-weeks per week", "count",
            "lower", _PER_WEEK, group="users", plural=True),
    Outcome("readmission_rate", "Readmission rate",
            "% of discharges readmitted", "share", "lower", _SHARE,
            summary=RATIO, of=("cohort_readmitted", "cohort_discharges"), group="users"),
    Outcome("reassessments", "Reassessments", "users assessed again at a review, per week",
            "count", "lower", _PER_WEEK, group="users", plural=True),
    Outcome("pool_disputes", "Pool disputes", "contested pool sign-offs per week", "count", "lower",
            _PER_WEEK, group="costs", plural=True),
    Outcome("pool_misuse_events", "Pool misuse events", "uses of pooled money not agreed, so far",
            "count", "lower", "{:d}", summary=LAST, group="costs", plural=True),
    Outcome("withdrawals", "Pool withdrawals", "withdrawals so far", "count", None, "{:d}", summary=LAST,
            group="costs", plural=True),
)  # fmt: skip

#: The outcomes by name.
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}

#: The outcomes of ``summary.json``, in its order.
SUMMARY: tuple[Outcome, ...] = tuple(o for o in OUTCOMES if o.summary is not None)

#: The columns of the weekly table (``timeseries.parquet``), in its order: the outcomes' columns
#: and the counts behind them (admissions, discharges, money...). Their meanings are in
#: docs/ODD.md, section 7.17.
COLUMNS = (
    "week",
    "mean_trust",
    "trust_sd",
    "mean_loyalty",
    "cultural_distance",
    "shared_understanding",
    "morale",
    "pool_balance",
    "spend",
    "active_users",
    "mean_wait_weeks",
    "wait_p90_weeks",
    "wait_over_26_share",
    "assessments_per_user",
    "professionals_per_user",
    "unmet_need",
    "unmet_health",
    "unmet_personal_care",
    "unmet_practical",
    "unmet_social",
    "declined_share",
    "wellbeing",
    "readmission_rate",
    "admissions",
    "discharges",
    "readmissions",
    "unsupported_discharges",
    "delayed_discharges_council",
    "delayed_discharges_health",
    "delayed_discharges_both",
    "cohort_discharges",
    "cohort_readmitted",
    "reassessments",
    "pool_disputes",
    "pool_misuse_events",
    "protected_hours",
    "meeting_hours",
    "training_hours",
    "partnership_hours",
    "coordinations",
    "coordination_failures",
    "disputes",
    "assessments",
    "left_well",
    "left_badly",
    "withdrawals",
    "professionals_in_post",
    "agency_balances",
    "money_allocated",
    "money_spent",
    "users_arrived",
    "users_left",
)


def outcome(name: str) -> Outcome:
    """The registry's entry for outcome ``name``.

    Raises:
        KeyError: naming the outcome, when it is not in the registry.
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not an outcome of sim.registry") from None
