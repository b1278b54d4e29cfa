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

from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import community
from sim.population import ASSESS, HEALTH, PERSONAL, SERVED, any_domain, cells, needs_where

if TYPE_CHECKING:
    from sim.world import Caseload


def create_users(
    world: Caseload, localities: np.ndarray, from_hospital: np.ndarray, established: bool = False
) -> np.ndarray:
    """Add users in the given localities and draw their needs and circumstances.

    Args:
        world: the model's state this mechanism touches.
        localities: locality of each new user.
        from_hospital: whether each user starts in hospital (a discharge referral).
        established: if True, users are an existing caseload: assessed, funded and served.

    Returns:
        The rows of the new users.
    """
    pop, prm, rng = world.pop, world.params.population, world.streams.arrivals
    k = localities.size
    rows = pop.add(k)
    new = slice(pop.n - k, pop.n)  # the same rows, as a slice: quicker to write to
    geo = world.geo
    # Uniform draws, by column: GP in another health area, and which one; a need in each of the
    # four domains, and which domain for someone drawn with none; personal care after a hospital
    # stay; means above the threshold.
    u = rng.random((k, 9))
    council, health = geo.council.take(localities), geo.health.take(localities)
    straddle = u[:, 0] < world.params.geography.gp_straddle
    other = (health + _integers(u[:, 1], 1, max(geo.n_areas, 2))) % geo.n_areas
    health = np.where(straddle, other, health)
    pop.locality[new] = localities
    pop.council[new] = council
    pop.health_area[new] = health
    pop.alignment[new] = geo.alignment[health, council]
    need = u[:, 2:6] < np.asarray(prm.need_prob)
    none = (~any_domain(need)).nonzero()[0]
    if none.size:
        need[none, _integers(u[none, 6], 0, 4)] = True
    need[:, HEALTH] |= from_hospital
    need[:, PERSONAL] |= from_hospital & (u[:, 7] < 0.8)
    # (out= writes a result straight into the new rows.)
    np.multiply(need * np.asarray(prm.need_hours), rng.lognormal(0.0, 0.35, (k, 4)), out=pop.hours[new])
    severity = np.minimum(rng.beta(2.0, 3.0, k) + 0.2 * from_hospital, 1.0, out=pop.severity[new])
    pop.means[new] = u[:, 8] < prm.means_share
    np.minimum(np.maximum(0.65 - 0.3 * severity + rng.normal(0, 0.05, k), 0.05), 1.0, out=pop.wellbeing[new])
    pop.in_hospital[new] = from_hospital
    pop.arrived[new] = world.week
    pop.wait_start[new] = world.week
    community.assign_responsibility(world, rows)
    # need as int8 (0 or 1) times the stage: int8 arithmetic throughout.
    pop.stage[new] = need.view(np.int8) * (SERVED if established else ASSESS)
    if established:
        # An established caseload has been served for a while: weeks met drawn up to twice the
        # stretch that allows leaving well, so that leaving does not stall while it builds up.
        pop.met_streak[new] = rng.integers(0, 2 * world.params.outcomes.met_weeks_to_leave + 1, k)
        pop.assessed_by[new] = pop.resp[new]
        community.fund_established(world, rows)
        _assign_key_workers(world, rows)
    return rows


def _integers(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """Integers drawn uniformly from ``low`` to ``high - 1``, from uniform draws ``u`` in [0, 1)."""
    offset = (u * (high - low)).astype(np.int64)
    return offset + low if low else offset


def _assign_key_workers(world: Caseload, rows: np.ndarray) -> None:
    """Give an established caseload's agency-funded packages a key professional each.

    Packages are given one at a time so that caseloads spread by spare capacity: each pick is
    :meth:`~sim.staff.Workforce.choose`'s draw (in proportion to spare capacity) with
    the caseloads left by the picks before it, so it is a loop, per agency, in plain Python over
    the packages in order of user and domain.
    """
    pop, s = world.pop, world.workforce.staff
    funder = pop.funder[rows]
    users, doms = needs_where(rows, (funder >= 0) & (funder < world.n_agencies))
    cell = cells(users, doms)
    agencies = pop.resp.ravel()[cell]
    hours = pop.hours.ravel()[cell]
    draws = world.streams.allocation.random(cell.size)
    key = np.empty(cell.size, np.int64)
    available = world.workforce.available()
    for a in range(world.n_agencies):
        packages = np.flatnonzero(agencies == a)
        if packages.size == 0:
            continue
        staff = np.flatnonzero(available & (s.employer == a))
        spare = (s.contracted[staff] - s.caseload[staff]).tolist()
        weight = world.workforce.spare_capacity(staff).tolist()
        picks = []
        for u, h in zip(draws[packages].tolist(), hours[packages].tolist(), strict=True):
            cum = list(accumulate(weight))
            pick = min(bisect_right(cum, u * cum[-1]), len(cum) - 1)
            picks.append(pick)
            spare[pick] -= h
            weight[pick] = max(spare[pick], 0.0) + 0.5
        key[packages] = staff[picks]
    pop.key.ravel()[cell] = key
    np.add.at(s.caseload, key, hours)
    world.workforce.changed()


def arrive(world: Caseload) -> None:
    """Draw this week's community referrals and hospital discharge referrals."""
    prm, rng, n_loc = world.params.population, world.streams.arrivals, world.geo.n_localities
    # Referrals per locality: community ones first, then hospital ones. Drawn as [locality, source]
    # and read by source, so slot i is locality i % n_loc, from hospital from slot n_loc on.
    counts = rng.poisson((prm.community_referrals, prm.hospital_discharges), (n_loc, 2)).T.ravel()
    slot = np.repeat(np.arange(2 * n_loc), counts)
    hosp = slot >= n_loc
    rows = create_users(world, slot % n_loc, hosp)
    world.log.counters["arrived"] += rows.size
    world.log.counters["admissions_week"] += int(np.count_nonzero(hosp))


def trace_mrs_smith(world: Caseload) -> None:
    """Create Mrs Smith, the traced user: an older woman in hospital after a fall.

    She has health, personal care and social needs and modest means, and lives in a locality
    chosen by the arrivals' random stream.
    """
    loc = np.array([world.streams.arrivals.integers(world.geo.n_localities)])
    row = create_users(world, loc, np.array([True]))[0]
    pop = world.pop
    need = np.array([True, True, False, True])
    pop.hours[row] = need * np.asarray(world.params.population.need_hours)
    pop.stage[row] = np.where(need, ASSESS, 0)
    pop.severity[row] = 0.7
    pop.means[row] = False
    pop.wellbeing[row] = 0.45
    community.assign_responsibility(world, np.array([row]))
    pop.traced = row
    world.log.counters["arrived"] += 1
    acute = world.acute_of[pop.health_area[row]]  # the acute trust of her health area
    world.log.trace(np.array([row]), "admitted to hospital after a fall", acute)
