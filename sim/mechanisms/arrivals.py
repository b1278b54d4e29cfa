"""Mechanism 1: arrivals and hospital discharges.

New users are referred per locality each week (Poisson, ``population.community_referrals``), and
the hospital refers patients who will need support at home after discharge (Poisson,
``population.hospital_discharges``). Each user gets needs across the four domains (health,
personal care, practical help, social contact), a severity, means (above or below the social
care means test), a GP who may sit in another health area, and the agencies responsible for each
need (see :mod:`sim.mechanisms.community` for who is responsible).

Sources: Arnold (001) and Brereton & Clarke (002) on Mrs Smith's needs spanning agencies;
Hudson (003) on support at home after hospital.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import community
from sim.population import ASSESS, HEALTH, PERSONAL, SERVED

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def create_users(model: PartnershipModel, localities: np.ndarray, from_hospital: np.ndarray, established: bool = False) -> np.ndarray:
    """Add users in the given localities and draw their needs and circumstances.

    Args:
        model: the model.
        localities: locality of each new user.
        from_hospital: whether each user starts in hospital (a discharge referral).
        established: if True, users are an existing caseload: assessed, funded and served.

    Returns:
        The rows of the new users.
    """
    pop, prm, rng = model.pop, model.params.population, model.rng
    k = localities.size
    rows = pop.add(k)
    geo = model.geo
    pop.locality[rows] = localities
    pop.council[rows] = geo.council[localities]
    straddle = rng.random(k) < model.params.geography.gp_straddle
    other = (geo.health[localities] + rng.integers(1, max(geo.n_areas, 2), k)) % geo.n_areas
    pop.health_area[rows] = np.where(straddle, other, geo.health[localities])
    pop.alignment[rows] = geo.alignment[pop.health_area[rows], pop.council[rows]]
    need = rng.random((k, 4)) < np.asarray(prm.need_prob)
    none = ~need.any(axis=1)
    need[none, rng.integers(0, 4, none.sum())] = True
    need[from_hospital, HEALTH] = True
    need[from_hospital, PERSONAL] |= rng.random(from_hospital.sum()) < 0.8
    pop.hours[rows] = need * np.asarray(prm.need_hours) * rng.lognormal(0.0, 0.35, (k, 4))
    pop.severity[rows] = np.clip(rng.beta(2.0, 3.0, k) + 0.2 * from_hospital, 0.0, 1.0)
    pop.means[rows] = rng.random(k) < prm.means_share
    pop.wellbeing[rows] = np.clip(0.65 - 0.3 * pop.severity[rows] + rng.normal(0, 0.05, k), 0.05, 1.0)
    pop.in_hospital[rows] = from_hospital
    pop.arrived[rows] = model.week
    pop.wait_start[rows] = model.week
    community.assign_responsibility(model, rows)
    pop.stage[rows] = np.where(need, SERVED if established else ASSESS, 0)
    if established:
        pop.assessed_by[rows] = pop.resp[rows]
        community.fund_established(model, rows)
        _assign_key_workers(model, rows)
    return rows


def _assign_key_workers(model: PartnershipModel, rows: np.ndarray) -> None:
    """Give an established caseload's agency-funded packages a key professional each, one at a
    time so that caseloads spread by spare capacity.
    """
    pop = model.pop
    u, d = np.nonzero((pop.funder[rows] >= 0) & (pop.funder[rows] < model.n_agencies))
    for user, dom in zip(rows[u], d, strict=True):
        staff = model.choose_staff(int(pop.resp[user, dom]), 1)[0]
        pop.key[user, dom] = staff
        model.staff.caseload[staff] += pop.hours[user, dom]


def arrive(model: PartnershipModel) -> None:
    """Draw this week's community referrals and hospital discharge referrals."""
    prm, rng, n_loc = model.params.population, model.rng, model.geo.n_localities
    n_comm = rng.poisson(prm.community_referrals, n_loc)
    n_hosp = rng.poisson(prm.hospital_discharges, n_loc)
    loc = np.concatenate([np.repeat(np.arange(n_loc), n_comm), np.repeat(np.arange(n_loc), n_hosp)])
    hosp = np.concatenate([np.zeros(n_comm.sum(), bool), np.ones(n_hosp.sum(), bool)])
    rows = create_users(model, loc, hosp)
    model.counters["arrived"] += rows.size
    model.counters["admissions_week"] += int(hosp.sum())


def trace_mrs_smith(model: PartnershipModel) -> None:
    """Create Mrs Smith: an older woman in hospital after a fall, with health, personal care and
    social needs, modest means, in a locality chosen by the model's random generator.
    """
    loc = np.array([model.rng.integers(model.geo.n_localities)])
    row = create_users(model, loc, np.array([True]))[0]
    pop = model.pop
    need = np.array([True, True, False, True])
    pop.hours[row] = need * np.asarray(model.params.population.need_hours)
    pop.stage[row] = np.where(need, ASSESS, 0)
    pop.severity[row] = 0.7
    pop.means[row] = False
    pop.wellbeing[row] = 0.45
    community.assign_responsibility(model, np.array([row]))
    pop.traced = row
    model.counters["arrived"] += 1
    model.trace(np.array([row]), "admitted to hospital after a fall", model.acute.index)
