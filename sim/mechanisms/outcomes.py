"""Mechanism 5: outcomes for the people who use services.

For a user at home, the met share of need this week is ``m = sum(hours * met) / sum(hours)``
over all four domains (a package's fit to the need is paid for in its hours, see
:mod:`sim.mechanisms.community`). Well-being moves as

    w <- w + outcomes.wellbeing_gain * m * (1 - w) - outcomes.wellbeing_loss * (1 - m) * w

Hospital: a patient becomes medically fit with weekly chance ``1 / outcomes.stay_weeks``. A fit
patient goes home when every need has its support in place (served, self-arranged or declined).
Until then the bed-week is a delayed transfer of care, attributed as England's statistics
attribute a delay, by its main reason: the pending step furthest from being in place (an
assessment before a funding decision before a service; a step-down place counts as a service).
It counts against social care when the council holds that step, against the NHS when only
others do (the primary care trust's community health and intermediate care, or voluntary and
community partners), and against both when each side holds such a step. A patient with a
health need may also need a step-down place first (intermediate care, with chance
``outcomes.intermediate_care_share``): there are ``outcomes.intermediate_care_places`` places
per 1,000 users of the initial caseload, shared between the health areas, each held
``outcomes.intermediate_care_weeks`` weeks; waiting for one is a delay on the NHS side. Under its
own indicators (fast discharge) the acute trust sends a fit patient home anyway with weekly chance
``decisions.discharge_pressure * (1 - joint weight)``.

At home, the weekly chance of an emergency admission is

    outcomes.admission_base * severity * (outcomes.unsupported_factor if health or personal
    care need unmet) * (outcomes.post_discharge_factor within outcomes.readmission_window weeks
    of a discharge)

and an admission within ``outcomes.readmission_window`` weeks of a discharge is a readmission.
It is credited to the week of that discharge, so the readmission rate is a share of a cohort of
discharges (never above 1). After a readmission, needs are assessed again unless records travel
(:func:`sim.mechanisms.assessment.reassess_after_admission`).
Users leave well only after ``outcomes.met_weeks_to_leave`` weeks (counted since arrival or the
last admission) in which every need they accepted help for was met (a declined need stays unmet
but does not hold them); from then on, in such a week, with chance ``outcomes.leave_well``. They leave
badly (care home, death) with chance ``outcomes.leave_badly * (1 - w) ** 2``.

Sources: Hudson (003) on whole-system targets (intensive support at home, hospital
readmissions); Arnold (001) on judging outcomes from the user's side; Glasby & Dickinson (004)
on outcomes rather than process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import assessment
from sim.population import (
    DECLINED,
    DOMAINS,
    HEALTH,
    LEFT_BADLY,
    LEFT_WELL,
    PERSONAL,
    SERVICE,
    STAGES,
    any_domain,
    pending,
    user_totals,
)

if TYPE_CHECKING:
    from sim.world import Caseload

# Whether a need at each stage is pending (as :func:`~sim.population.pending`), to look up by stage.
_PENDING = pending(np.arange(len(STAGES)))
_NOT_PENDING = len(STAGES)  # ranks after every pending stage


def met_share(world: Caseload, hours: np.ndarray, met_hours: np.ndarray) -> np.ndarray:
    """Share of each user's need met this week.

    Args:
        world: the model's state this mechanism touches.
        hours: ``[users, 4]`` hours of each need (0 = no need).
        met_hours: ``[users, 4]`` the hours of the needs met this week (0 where not met).

    Returns:
        One share per user; 1 for a user with no need.
    """
    total = user_totals(hours)
    done = user_totals(met_hours)
    if total.size and total.min() > 0:  # everyone has a need: a plain division is quicker
        return done / total
    return np.divide(done, total, out=np.ones_like(total), where=total > 0)


def update(world: Caseload) -> None:
    """Apply this week's well-being, hospital, readmission and leaving outcomes."""
    pop, o, rng, week = world.pop, world.params.outcomes, world.streams.outcomes, world.week
    rows = world.active
    # Whether each user waits on a need (nothing below changes a stage: _hospital reuses this).
    waiting = any_domain(pending(pop.stage.take(rows, axis=0)))
    pop.weeks_waited[rows[waiting]] += 1

    in_hospital = pop.in_hospital.take(rows)
    home, patients = rows[~in_hospital], rows[in_hospital]
    hours = pop.hours.take(home, axis=0)
    met_hours = hours * pop.met.take(home, axis=0)
    m = met_share(world, hours, met_hours)
    w = pop.wellbeing.take(home)
    w = w + o.wellbeing_gain * m * (1 - w) - o.wellbeing_loss * (1 - m) * w
    w = np.minimum(np.maximum(w, 0.0), 1.0)
    pop.wellbeing[home] = w
    # (Patients' well-being does not change here, but a failed coordination may have lowered it.)
    pop.wellbeing[patients] = np.minimum(np.maximum(pop.wellbeing.take(patients), 0.0), 1.0)
    world.week_unmet = _unmet_by_domain(world, hours, met_hours)

    _hospital(world, patients, waiting[in_hospital])

    unmet = hours > met_hours  # each need not met this week
    core_unmet = unmet[:, HEALTH] | unmet[:, PERSONAL]  # a health or personal care need not met
    # Discharged within the window: week - last_discharge <= readmission_window.
    recent = pop.last_discharge.take(home) >= week - o.readmission_window
    hazard = o.admission_base * pop.severity.take(home) * np.where(core_unmet, o.unsupported_factor, 1.0)
    hazard *= np.where(recent, o.post_discharge_factor, 1.0)
    admit = rng.random(home.size) < hazard
    admitted = home[admit]
    pop.in_hospital[admitted] = True
    pop.fit[admitted] = False
    readmit = admitted[recent[admit]]
    pop.readmissions[readmit] += 1
    pop.met_streak[admitted] = 0
    world.log.readmitted_after(pop.last_discharge.take(readmit))
    acute = world.acute_of.take(pop.health_area.take(admitted))  # the acute trust of each one's area
    assessment.reassess_after_admission(world, readmit, acute[recent[admit]])
    world.log.counters["admissions_week"] += admitted.size
    world.log.counters["readmissions_week"] += readmit.size
    world.log.trace(admitted, "admitted to hospital", acute)
    world.log.trace(readmit, "readmitted within the window after discharge", acute[recent[admit]])

    # Leaving, for those still at home: every need they accepted help for met (a declined need
    # stays unmet but does not hold them), or badly.
    all_met = ~any_domain(unmet & (pop.stage.take(home, axis=0) != DECLINED))
    stay = ~admit
    home, all_met, w = home[stay], all_met[stay], w[stay]  # w: their well-being as just stored
    streak = pop.met_streak.take(home) + all_met
    pop.met_streak[home] = streak
    u = rng.random((2, home.size))  # the same draws as two calls of home.size, one after the other
    well = all_met & (streak >= o.met_weeks_to_leave) & (u[0] < o.leave_well)
    badly = ~well & (u[1] < o.leave_badly * (1 - w) ** 2)
    _leave(world, home[well], LEFT_WELL, "needs met: no longer needs services")
    _leave(world, home[badly], LEFT_BADLY, "left badly: care home or death")


def _hospital(world: Caseload, patients: np.ndarray, waiting: np.ndarray) -> None:
    """Discharges and delayed transfers of care for ``patients``.

    ``waiting`` says whether each patient has a need still pending (awaiting an assessment,
    funding or a service).
    """
    pop, o = world.pop, world.params.outcomes
    rng = world.streams.outcomes
    # Fit already, or becoming fit this week.
    was_fit = pop.fit.take(patients)
    is_fit = was_fit | (rng.random(patients.size) < 1.0 / o.stay_weeks)
    pop.fit[patients] = is_fit
    newly = patients[is_fit & ~was_fit]
    # Whether a patient becoming fit needs a step-down place first (intermediate care).
    pop.needs_ic[newly] = (pop.hours.take(newly, axis=0)[:, HEALTH] > 0) & (
        rng.random(newly.size) < o.intermediate_care_share
    )
    fit = patients[is_fit]
    held = waiting[is_fit]  # their support not yet in place
    no_place = _intermediate_care(world, fit, ~held)  # waiting for a step-down place
    held |= no_place
    ready = ~held
    acute = world.acute_of.take(pop.health_area.take(fit))  # the acute trust of each one's area
    jw = world.agency_joint_weight.take(acute)
    early = held & (rng.random(fit.size) < world.params.decisions.discharge_pressure * (1.0 - jw))
    go = ready | early
    delayed = fit[~go]
    if delayed.size:
        # Who holds the pending needs: the council, others (NHS), or both. (mode="clip": a need
        # with no agency, -1, reads agency 0; it is never pending.)
        resp = pop.resp.take(delayed, axis=0)
        stage = pop.stage.take(delayed, axis=0)
        waits = _PENDING.take(stage) & (resp >= 0)
        council = world.agency_sector_council.take(resp, mode="clip")
        # The main reason, as England records one per delay: the pending step furthest from
        # being in place (assessment before funding before a service; a step-down place is a
        # service), and who holds it; both sides when each holds such a step.
        step_down = no_place[~go]
        rank = np.where(waits, stage, _NOT_PENDING)
        worst = np.minimum(rank.min(axis=1), np.where(step_down, SERVICE, _NOT_PENDING))
        main = rank == worst[:, None]
        by_council = any_domain(main & council)
        by_others = any_domain(main & ~council) | (step_down & (worst == SERVICE))
        both = int(np.count_nonzero(by_council & by_others))
        world.log.counters["delayed_council_week"] += int(np.count_nonzero(by_council)) - both
        world.log.counters["delayed_health_week"] += int(np.count_nonzero(by_others)) - both
        world.log.counters["delayed_both_week"] += both
    out = fit[go]
    pop.in_hospital[out] = False
    pop.fit[out] = False
    pop.needs_ic[out] = False
    pop.last_discharge[out] = world.week
    world.log.counters["discharges_week"] += out.size
    world.log.counters["unsupported_discharges_week"] += int(np.count_nonzero(early))
    world.log.trace(fit, "discharged home with support in place", acute, where=ready)
    world.log.trace(fit, "discharged home before support was in place", acute, where=early)


def _intermediate_care(world: Caseload, fit: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """Give step-down places to fit patients who need one; return who is still waiting for one.

    There are ``outcomes.intermediate_care_places`` places per 1,000 users of the initial caseload,
    shared equally between the health areas (rounded down), each held for
    ``outcomes.intermediate_care_weeks`` weeks by the patient who takes it. Patients whose other
    support is in place take the free places of their area, in random order;
    the others wait in hospital, a delay on the NHS side.
    """
    pop, o, week = world.pop, world.params.outcomes, world.week
    wants = pop.needs_ic.take(fit) & (pop.ic_until.take(fit) <= week)
    cand = (wants & ready).nonzero()[0]
    if cand.size == 0:
        return wants
    rows = world.active
    n_areas = world.pct_of.size
    busy = np.bincount(pop.health_area.take(rows)[pop.ic_until.take(rows) > week], minlength=n_areas)
    places = int(o.intermediate_care_places * world.params.population.initial_users / 1000 / n_areas)
    free = np.maximum(places - busy, 0)
    cand = cand[world.streams.outcomes.permutation(cand.size)]
    area = pop.health_area.take(fit[cand])
    order = np.argsort(area, kind="stable")
    cand, area = cand[order], area[order]
    place = np.arange(cand.size) - area.searchsorted(area)
    placed = cand[place < free[area]]
    pop.ic_until[fit[placed]] = week + o.intermediate_care_weeks
    wants[placed] = False
    if placed.size:
        acute = world.acute_of.take(pop.health_area.take(fit[placed]))
        world.log.trace(fit[placed], "step-down (intermediate care) place found", acute)
    return wants


def _unmet_by_domain(world: Caseload, hours: np.ndarray, met_hours: np.ndarray) -> dict:
    """Share of need unmet this week by users at home, overall and by domain.

    Args:
        world: the model's state this mechanism touches.
        hours: ``[users at home, 4]`` hours of each need.
        met_hours: ``[users at home, 4]`` the hours of the needs met (0 where not met).

    Returns:
        ``{"all": ..., "health": ..., ...}``; 0 where there is no need.
    """
    ones = np.ones(len(hours))  # totals over users, per domain: one vector of ones for both
    total = ones @ hours
    done = ones @ met_hours
    all_hours = total.sum()
    out = {"all": float(1.0 - done.sum() / all_hours) if all_hours > 0 else 0.0}
    # Per domain in plain Python floats (the same arithmetic, without numpy's per-scalar cost).
    for name, d, t in zip(DOMAINS, done.tolist(), total.tolist(), strict=True):
        out[name] = 1.0 - d / t if t > 0 else 0.0
    return out


def _leave(world: Caseload, users: np.ndarray, outcome: int, event: str) -> None:
    if users.size == 0:
        return
    world.log.trace(users, event, -1)
    world.pop.active[users] = False
    world.pop.outcome[users] = outcome
    world.log.counters["left"] += users.size
    world.log.counters["left_badly_week" if outcome == LEFT_BADLY else "left_well_week"] += users.size
