"""Reporters for the weekly table, and the summary of the final year.

Every column is computed once a week by :func:`measure` into ``model.row``; the DataCollector's
reporters are picklable partials of :func:`column` that read it (no lambdas, so runs can go to
worker processes). :class:`WeeklyCollector` is the model's DataCollector. The columns, the
outcomes of the summary and how each is summarised are those of :mod:`sim.registry`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from sim.population import DECLINED, any_domain, pending
from sim.registry import COLUMNS, LAST, LONG_WAIT_WEEKS, MEAN, RATIO, READMISSION_WINDOW, SUMMARY, Outcome

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def column(name: str, model: PartnershipModel) -> float:
    """This week's value of column ``name`` (computed by :func:`measure`)."""
    return model.row[name]


def reporters() -> dict[str, partial]:
    """The DataCollector's model reporters: picklable partials of :func:`column`, one per column."""
    return {name: partial(column, name) for name in COLUMNS}


class WeeklyCollector(mesa.DataCollector):
    """Mesa's DataCollector with the model reporters of :func:`reporters`, one per column.

    Each value is a plain number that :func:`measure` computes afresh every week, so the copy the
    base class makes of each reported value is not needed: :meth:`collect` appends the week's row
    directly. The table (``get_model_vars_dataframe``) is the same.
    """

    def __init__(self) -> None:
        """Create the collector, with a reporter for each column."""
        super().__init__(model_reporters=reporters())

    def collect(self, model: PartnershipModel) -> None:
        """Append this week's row (``model.row``, from :func:`measure`)."""
        self._collection_steps.append(model.time)
        row = model.row
        for name, values in self.model_vars.items():
            values.append(row[name])


def _cross_agency_distance(model: PartnershipModel) -> float:
    """Root mean squared cultural distance, per dimension, between professionals of different agencies.

    Over the pairs of professionals in post who work for different agencies. Over the pairs in a
    group of n with cultures c, the sum of squared distances is ``2 (n S2 - |S1|^2)`` with
    ``S1 = sum c`` and ``S2 = sum |c|^2``; the pairs across agencies are all pairs less the pairs
    within each agency.
    """
    s = model.staff
    w = s.employs * s.in_post  # [agency, post]: its staff in post
    c = s.culture
    n = w.sum(axis=1)
    s1 = w @ c
    s2 = w @ ((c * c) @ np.ones(c.shape[1]))
    # Half of each sum of squared distances: doubling is exact, so it is done once, at the end.
    within = n * s2 - (s1 * s1).sum(axis=1)
    n_all, s1_all = n.sum(), s1.sum(axis=0)
    everyone = n_all * s2.sum() - s1_all @ s1_all
    pairs = n_all * n_all - n @ n
    if pairs <= 0:
        return 0.0
    return math.sqrt(2.0 * max(everyone - within.sum(), 0.0) / pairs / c.shape[1])


def _mean_sd_off_own(values: np.ndarray, mine: np.ndarray, sd: bool = True) -> tuple[float, float]:
    """Mean and standard deviation of ``values`` (``[posts, k]``) leaving out each post's own entry.

    ``mine`` holds each post's own entry, in the order of the posts: so the mean is of trust in
    other agencies, or understanding of other professions. With ``sd=False`` only the mean is
    computed, and the standard deviation returned is 0.
    """
    n = values.size - mine.size
    if n <= 0:
        return 0.0, 0.0
    flat = values.ravel()
    total = flat.sum() - mine.sum()
    mean = total / n
    if not sd:
        return float(mean), 0.0
    var = max(((flat - mean) ** 2).sum() - ((mine - mean) ** 2).sum(), 0.0) / n
    return float(mean), math.sqrt(var)


def _mean(values: np.ndarray) -> float:
    """Mean of ``values``, 0 if there are none."""
    return float(values.sum() / values.size) if values.size else 0.0


def _percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of ``values`` (numpy's default linear interpolation)."""
    pos = (values.size - 1) * (q / 100.0)
    lo = int(pos)
    hi = min(lo + 1, values.size - 1)
    part = values.copy()
    part.sort()  # (quicker than np.partition at two places, for a few hundred values)
    low, high = part[lo].item(), part[hi].item()
    return float(low + (high - low) * (pos - lo))


def measure(model: PartnershipModel) -> None:
    """Compute this week's row of the table into ``model.row``."""
    s, pop, cnt = model.staff, model.pop, model.counters
    rows = model.active
    in_post = s.in_post.nonzero()[0]
    # Each post's trust in its own agency (at flat index s.own), and understanding of its own profession.
    own_trust = s.trust.ravel().take(s.own.take(in_post))
    mean_trust, trust_sd = _mean_sd_off_own(s.trust.take(in_post, axis=0), own_trust)
    n_prof = s.understanding.shape[1]
    own_understanding = s.understanding.ravel().take(in_post * n_prof + s.profession.take(in_post))
    understanding, _ = _mean_sd_off_own(s.understanding.take(in_post, axis=0), own_understanding, sd=False)
    stage = pop.stage.take(rows, axis=0)
    waits = pop.weeks_waited[rows[any_domain(pending(stage))]]
    referred = rows[pop.arrived.take(rows) >= 0]
    hist = model.history
    hist["discharges"].append(cnt["discharges_week"])
    # The discharge cohort whose readmission window has just closed: every readmission that
    # follows one of its discharges is known by now, so the share is never above 1.
    cohort = model.week - model.params.outcomes.readmission_window
    cohort_discharges = hist["discharges"][cohort] if cohort >= 0 else 0
    cohort_readmitted = model.log.readmitted_by_discharge.get(cohort, 0) if cohort >= 0 else 0
    hist["cohort_discharges"].append(cohort_discharges)
    hist["cohort_readmitted"].append(cohort_readmitted)
    dis = sum(hist["cohort_discharges"][-READMISSION_WINDOW:])
    rea = sum(hist["cohort_readmitted"][-READMISSION_WINDOW:])
    needs = np.count_nonzero(pop.hours.take(rows, axis=0))  # (hours are never negative: 0 is no need)
    unmet = model.week_unmet
    model.row = {
        "week": model.week,
        "mean_trust": mean_trust,
        "trust_sd": trust_sd,
        "mean_loyalty": _mean(s.loyalty.take(in_post)),
        "cultural_distance": _cross_agency_distance(model),
        "shared_understanding": understanding,
        "morale": _mean(s.morale.take(in_post)),
        "pool_balance": float(model.pool_balance),
        "spend": float(model.week_spend),
        "active_users": int(rows.size),
        "mean_wait_weeks": _mean(waits),
        "wait_p90_weeks": _percentile(waits, 90) if waits.size else 0.0,
        "wait_over_26_share": _mean(waits > LONG_WAIT_WEEKS),
        "assessments_per_user": _mean(pop.assessments.take(referred)),
        "professionals_per_user": _mean(pop.professionals_met.take(referred)),
        "unmet_need": unmet.get("all", 0.0),
        "unmet_health": unmet.get("health", 0.0),
        "unmet_personal_care": unmet.get("personal_care", 0.0),
        "unmet_practical": unmet.get("practical", 0.0),
        "unmet_social": unmet.get("social", 0.0),
        "declined_share": float(np.count_nonzero(stage == DECLINED) / max(needs, 1)),
        "wellbeing": _mean(pop.wellbeing.take(rows)),
        "readmission_rate": rea / dis if dis else 0.0,
        "admissions": cnt["admissions_week"],
        "discharges": cnt["discharges_week"],
        "readmissions": cnt["readmissions_week"],
        "unsupported_discharges": cnt["unsupported_discharges_week"],
        "delayed_discharges_council": cnt["delayed_council_week"],
        "delayed_discharges_health": cnt["delayed_health_week"],
        "delayed_discharges_both": cnt["delayed_both_week"],
        "cohort_discharges": cohort_discharges,
        "cohort_readmitted": cohort_readmitted,
        "reassessments": cnt["reassessments_week"],
        "pool_disputes": cnt["pool_disputes_week"],
        "pool_misuse_events": cnt["pool_misuse"],
        "protected_hours": float(cnt["protected_hours_week"]),
        "meeting_hours": float(model.week_meeting_hours),
        "training_hours": float(model.week_training_hours),
        "partnership_hours": float(model.week_partnership_hours),
        "coordinations": cnt["coordinations_week"],
        "coordination_failures": cnt["coordination_failures_week"],
        "disputes": cnt["disputes_week"],
        "assessments": cnt["assessments_week"],
        "left_well": cnt["left_well_week"],
        "left_badly": cnt["left_badly_week"],
        "withdrawals": cnt["withdrawals"],
        "professionals_in_post": int(in_post.size),
        "agency_balances": float(model.agency_balance.sum()),
        "money_allocated": float(model.money["allocated"]),
        "money_spent": float(model.money["spent"]),
        "users_arrived": cnt["arrived"],
        "users_left": cnt["left"],
    }


def _summarised(o: Outcome, table: pd.DataFrame, last: pd.DataFrame) -> float | int:
    """Outcome ``o`` of the summary, from the whole weekly table and its final weeks ``last``."""
    if o.summary == MEAN:
        return float(last[o.column].mean())
    if o.summary == RATIO:
        numerator, denominator = o.of
        below = float(last[denominator].sum())
        return float(last[numerator].sum()) / below if below else 0.0
    if o.summary == LAST:
        return int(table[o.column].iloc[-1]) if len(table) else 0
    raise ValueError(f"{o.name}: unknown summary {o.summary!r}")


def summarise(model: PartnershipModel, table: pd.DataFrame) -> dict:
    """Outcome measures over the final ``run.summary_weeks`` weeks, with what identifies the run.

    Args:
        model: the finished model.
        table: its weekly table.

    Returns:
        A JSON-ready dict.
    """
    from sim import __version__
    from sim.config import to_dict

    last = table.tail(model.config.run.summary_weeks)
    out = {o.name: _summarised(o, table, last) for o in SUMMARY}
    return {
        "scenario": model.config.scenario.name,
        "seed": int(model.config.run.seed),
        "weeks": int(len(table)),
        "summary_weeks": int(len(last)),
        "measured_coterminosity": float(model.geo.measured_coterminosity),
        "outcomes": out,
        "trust_matrix": {
            "agencies": [a.label for a in model.agency_list],
            "values": np.round(model.agency_trust, 6).tolist(),
        },
        "shock_weeks": list(model.shock_weeks),
        "version": __version__,
        "config": to_dict(model.config),
    }
