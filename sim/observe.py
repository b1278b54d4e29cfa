"""Reporters for the weekly table, and the summary of the final year.

Every column is computed once a week by :func:`measure` into ``model.row``; the DataCollector's
reporters are picklable partials of :func:`column` that read it (no lambdas, so runs can go to
worker processes).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.population import DECLINED

if TYPE_CHECKING:
    from sim.model import PartnershipModel

COLUMNS = (
    "week", "mean_trust", "trust_sd", "mean_loyalty", "cultural_distance", "shared_understanding",
    "morale", "pool_balance", "spend", "active_users", "mean_wait_weeks", "wait_p90_weeks",
    "assessments_per_user", "professionals_per_user", "unmet_need", "unmet_health",
    "unmet_personal_care", "unmet_practical", "unmet_social", "declined_share", "wellbeing",
    "readmission_rate", "admissions", "discharges", "readmissions", "unsupported_discharges",
    "delayed_discharges_council", "delayed_discharges_health", "meeting_hours", "training_hours",
    "partnership_hours", "coordinations", "coordination_failures", "disputes", "assessments",
    "left_well", "left_badly", "withdrawals", "professionals_in_post", "agency_balances",
    "money_allocated", "money_spent", "users_arrived", "users_left",
)

OUTCOMES = (
    "mean_wait_weeks", "wait_p90_weeks", "assessments_per_user", "professionals_per_user",
    "unmet_need", "unmet_health", "unmet_personal_care", "unmet_practical", "unmet_social",
    "wellbeing", "mean_trust", "trust_sd", "mean_loyalty", "cultural_distance",
    "shared_understanding", "morale", "meeting_hours", "partnership_hours", "coordination_failures",
    "spend", "active_users", "left_badly", "delayed_discharges_council", "delayed_discharges_health",
)

READMISSION_WINDOW = 13


def column(name: str, model: PartnershipModel) -> float:
    """This week's value of column ``name`` (computed by :func:`measure`)."""
    return model.row[name]


def reporters() -> dict[str, partial]:
    """The DataCollector's model reporters: picklable partials of :func:`column`, one per column."""
    return {name: partial(column, name) for name in COLUMNS}


def _cross_agency_distance(model: PartnershipModel) -> float:
    s = model.staff
    rows = np.flatnonzero(s.in_post)
    emp, c = s.employer[rows], s.culture[rows]
    n = np.bincount(emp, minlength=model.n_agencies).astype(float)
    present = n > 0
    mu = np.zeros((model.n_agencies, c.shape[1]))
    np.add.at(mu, emp, c)
    mu[present] /= n[present, None]
    var = np.bincount(emp, weights=((c - mu[emp]) ** 2).sum(axis=1), minlength=model.n_agencies).astype(float)
    var[present] /= n[present]
    d2 = ((mu[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2) + var[:, None] + var[None, :]
    w = np.outer(n, n)
    np.fill_diagonal(w, 0.0)
    return float(np.sqrt((d2 * w).sum() / w.sum() / c.shape[1])) if w.sum() > 0 else 0.0


def measure(model: PartnershipModel) -> None:
    """Compute this week's row of the table into ``model.row``."""
    s, pop, cnt = model.staff, model.pop, model.counters
    rows = model.active
    in_post = np.flatnonzero(s.in_post)
    other = np.ones((in_post.size, model.n_agencies), bool)
    other[np.arange(in_post.size), s.employer[in_post]] = False
    t = s.trust[in_post][other]
    u_other = np.ones((in_post.size, s.understanding.shape[1]), bool)
    u_other[np.arange(in_post.size), s.profession[in_post]] = False
    waiting = rows[pop.waiting(rows)]
    waits = pop.weeks_waited[waiting]
    referred = rows[pop.arrived[rows] >= 0]
    hist = model.history
    hist["discharges"].append(cnt["discharges_week"])
    hist["readmissions"].append(cnt["readmissions_week"])
    dis = sum(hist["discharges"][-READMISSION_WINDOW:])
    rea = sum(hist["readmissions"][-READMISSION_WINDOW:])
    needs = pop.hours[rows] > 0
    unmet = model.week_unmet
    model.row = {
        "week": model.week,
        "mean_trust": float(t.mean()) if t.size else 0.0,
        "trust_sd": float(t.std()) if t.size else 0.0,
        "mean_loyalty": float(s.loyalty[in_post].mean()) if in_post.size else 0.0,
        "cultural_distance": _cross_agency_distance(model),
        "shared_understanding": float(s.understanding[in_post][u_other].mean()) if in_post.size else 0.0,
        "morale": float(s.morale[in_post].mean()) if in_post.size else 0.0,
        "pool_balance": float(model.pool_balance),
        "spend": float(model.week_spend),
        "active_users": int(rows.size),
        "mean_wait_weeks": float(waits.mean()) if waits.size else 0.0,
        "wait_p90_weeks": float(np.percentile(waits, 90)) if waits.size else 0.0,
        "assessments_per_user": float(pop.assessments[referred].mean()) if referred.size else 0.0,
        "professionals_per_user": float(pop.professionals_met[referred].mean()) if referred.size else 0.0,
        "unmet_need": unmet.get("all", 0.0),
        "unmet_health": unmet.get("health", 0.0),
        "unmet_personal_care": unmet.get("personal_care", 0.0),
        "unmet_practical": unmet.get("practical", 0.0),
        "unmet_social": unmet.get("social", 0.0),
        "declined_share": float((pop.stage[rows] == DECLINED).sum() / max(needs.sum(), 1)),
        "wellbeing": float(pop.wellbeing[rows].mean()) if rows.size else 0.0,
        "readmission_rate": rea / dis if dis else 0.0,
        "admissions": cnt["admissions_week"],
        "discharges": cnt["discharges_week"],
        "readmissions": cnt["readmissions_week"],
        "unsupported_discharges": cnt["unsupported_discharges_week"],
        "delayed_discharges_council": cnt["delayed_council_week"],
        "delayed_discharges_health": cnt["delayed_health_week"],
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


def trust_matrix(model: PartnershipModel) -> pd.DataFrame:
    """Mean trust of each agency's staff (rows) in each agency (columns)."""
    labels = [a.label for a in model.agency_list]
    return pd.DataFrame(model.agency_trust, index=labels, columns=labels)


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
    out = {name: float(last[name].mean()) for name in OUTCOMES}
    dis = float(last["discharges"].sum())
    out["readmission_rate"] = float(last["readmissions"].sum()) / dis if dis else 0.0
    out["withdrawals"] = int(table["withdrawals"].iloc[-1]) if len(table) else 0
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
