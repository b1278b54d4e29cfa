"""Mechanism 5: outcomes for the people who use services.

For a user at home, the met share of need this week is ``m = fit * sum(hours * met) / sum(hours)``
(``fit`` from user involvement, see :mod:`sim.mechanisms.community`). Well-being moves as

    w <- w + outcomes.wellbeing_gain * m * (1 - w) - outcomes.wellbeing_loss * (1 - m) * w

Hospital: a patient becomes medically fit with weekly chance ``1 / outcomes.stay_weeks``. A fit
patient goes home when every need has its support in place (served, self-arranged or declined).
Until then the bed-week is a delayed transfer of care, counted against the council when any
council need is still pending, and otherwise against health (the primary care trust, or the
voluntary and community partners when they hold a pending need). Under its own indicators (fast discharge) the acute trust sends a fit
patient home anyway with weekly chance ``decisions.discharge_pressure * (1 - joint weight)``.

At home, the weekly chance of an emergency admission is

    outcomes.admission_base * severity * (outcomes.unsupported_factor if health or personal
    care need unmet) * (outcomes.post_discharge_factor within outcomes.readmission_window weeks
    of a discharge)

and an admission within ``outcomes.readmission_window`` weeks of a discharge is a readmission.
Users leave well with weekly chance ``outcomes.leave_well`` in a week when every need they
accepted help for is met (a declined need stays unmet but does not hold them), or
badly (care home, death) with chance ``outcomes.leave_badly * (1 - w) ** 2``.

Sources: Hudson (003) on whole-system targets (intensive support at home, hospital
readmissions); Arnold (001) on judging outcomes from the user's side; Glasby & Dickinson (004)
on outcomes rather than process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import community
from sim.population import ASSESS, DECLINED, HEALTH, LEFT_BADLY, LEFT_WELL, PERSONAL, SERVICE

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def met_share(model: PartnershipModel, users: np.ndarray) -> np.ndarray:
    """Share of each user's need met this week, allowing for the fit of services."""
    pop = model.pop
    hours = pop.hours[users]
    total = hours.sum(axis=1)
    met = (hours * pop.met[users]).sum(axis=1) * community.fit(model)
    return np.divide(met, total, out=np.ones_like(total), where=total > 0)


def update(model: PartnershipModel) -> None:
    """Apply this week's well-being, hospital, readmission and leaving outcomes."""
    pop, o, rng, week = model.pop, model.params.outcomes, model.rng, model.week
    rows = model.active
    pop.weeks_waited[rows[pop.waiting(rows)]] += 1

    home = rows[~pop.in_hospital[rows]]
    m = met_share(model, home)
    w = pop.wellbeing[home]
    pop.wellbeing[home] = np.clip(w + o.wellbeing_gain * m * (1 - w) - o.wellbeing_loss * (1 - m) * w, 0.0, 1.0)
    pop.wellbeing[rows] = np.clip(pop.wellbeing[rows], 0.0, 1.0)
    model.week_unmet = _unmet_by_domain(model, home, m)

    _hospital(model, rows[pop.in_hospital[rows]])

    core_unmet = ((pop.hours[home][:, [HEALTH, PERSONAL]] > 0) & ~pop.met[home][:, [HEALTH, PERSONAL]]).any(axis=1)
    recent = week - pop.last_discharge[home] <= o.readmission_window
    hazard = o.admission_base * pop.severity[home] * np.where(core_unmet, o.unsupported_factor, 1.0)
    hazard *= np.where(recent, o.post_discharge_factor, 1.0)
    admit = rng.random(home.size) < np.minimum(hazard, 1.0)
    admitted = home[admit]
    pop.in_hospital[admitted] = True
    pop.fit[admitted] = False
    readmit = admitted[recent[admit]]
    pop.readmissions[readmit] += 1
    model.counters["admissions_week"] += admitted.size
    model.counters["readmissions_week"] += readmit.size
    model.trace(admitted, "admitted to hospital", model.acute.index)
    model.trace(readmit, "readmitted within the window after discharge", model.acute.index)

    stay = ~admit
    home, w = home[stay], pop.wellbeing[home[stay]]
    all_met = ((pop.hours[home] == 0) | pop.met[home] | (pop.stage[home] == DECLINED)).all(axis=1)
    well = all_met & (rng.random(home.size) < o.leave_well)
    badly = ~well & (rng.random(home.size) < o.leave_badly * (1 - w) ** 2)
    _leave(model, home[well], LEFT_WELL, "needs met: no longer needs services")
    _leave(model, home[badly], LEFT_BADLY, "left badly: care home or death")


def _hospital(model: PartnershipModel, patients: np.ndarray) -> None:
    pop, o = model.pop, model.params.outcomes
    rng = model.rng
    becomes_fit = ~pop.fit[patients] & (rng.random(patients.size) < 1.0 / o.stay_weeks)
    pop.fit[patients[becomes_fit]] = True
    fit = patients[pop.fit[patients]]
    stage = pop.stage[fit]
    pending = (stage >= ASSESS) & (stage <= SERVICE)
    ready = ~pending.any(axis=1)
    jw = model.agency_joint_weight[model.acute.index]
    early = ~ready & (rng.random(fit.size) < model.params.decisions.discharge_pressure * (1.0 - jw))
    go = ready | early
    delayed = fit[~go]
    council_side = model.agency_sector_council[np.maximum(pop.resp[delayed], 0)] & pending[~go]
    model.counters["delayed_council_week"] += int(council_side.any(axis=1).sum())
    model.counters["delayed_health_week"] += int((~council_side.any(axis=1)).sum())
    out = fit[go]
    pop.in_hospital[out] = False
    pop.fit[out] = False
    pop.last_discharge[out] = model.week
    model.counters["discharges_week"] += out.size
    model.counters["unsupported_discharges_week"] += int(early.sum())
    model.trace(fit[ready], "discharged home with support in place", model.acute.index)
    model.trace(fit[early], "discharged home before support was in place", model.acute.index)


def _unmet_by_domain(model: PartnershipModel, home: np.ndarray, m: np.ndarray) -> dict:
    pop = model.pop
    hours = pop.hours[home]
    fit = community.fit(model)
    met = hours * pop.met[home] * fit
    total = hours.sum(axis=0)
    out = {"all": float(1.0 - met.sum() / hours.sum()) if hours.sum() > 0 else 0.0}
    for d, name in enumerate(("health", "personal_care", "practical", "social")):
        out[name] = float(1.0 - met[:, d].sum() / total[d]) if total[d] > 0 else 0.0
    return out


def _leave(model: PartnershipModel, users: np.ndarray, outcome: int, event: str) -> None:
    if users.size == 0:
        return
    model.trace(users, event, -1)
    model.pop.active[users] = False
    model.pop.outcome[users] = outcome
    model.counters["left"] += users.size
    model.counters["left_badly_week" if outcome == LEFT_BADLY else "left_well_week"] += users.size
