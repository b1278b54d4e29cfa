"""The workforce's week: hours, sickness, vacancies and morale.

This is the capacity side of mechanisms 4 and 8.

Each professional works ``workforce.hours`` a week; ``policy.dedicated_time`` of it is protected
partnership time, and ``workforce.casework_share`` of the rest is casework (the remainder is
administration and travel). Meetings, joint training and coordination are paid from partnership
time first, then from casework. Morale sets capacity: each week a professional is off sick with
chance ``workforce.sickness_base + workforce.sickness_low_morale * (1 - morale)`` and leaves with
chance ``workforce.turnover_base + workforce.turnover_low_morale * (1 - morale)``; the post stays
empty ``workforce.vacancy_weeks`` and is then filled by a newcomer with fresh relationships.
Morale recovers by ``workforce.morale_recovery * (1 - morale)`` a week and falls by
``workforce.overload_morale_loss`` in a week of overload and by
``workforce.resentment_morale_loss * r * morale`` with pay resentment ``r`` (softened by no-detriment terms).

Sources: Brereton & Clarke (002): staffing issues and workload planning, resentment of better
paid partners; Hudson (003): workforce agenda, dedicated time, no detriment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import coordination

if TYPE_CHECKING:
    from sim.world import Casework


def plan_week(world: Casework) -> None:
    """Fill vacancies, draw sickness and set this week's casework and partnership hours."""
    s, w, pol = world.workforce.staff, world.params.workforce, world.policy
    world.workforce.hire(((s.vacant_until <= world.week) > s.in_post).nonzero()[0])  # due, and not in post
    s.sick = s.in_post & (
        world.streams.workforce.random(s.n) < w.sickness_base + w.sickness_low_morale * (1 - s.morale)
    )
    working = s.in_post ^ s.sick  # (only staff in post are sick)
    s.partnership = working * (pol.dedicated_time * w.hours)
    s.free = working * s.contracted
    s.contact[:] = False
    world.workforce.partnership_hours = 0.0
    world.workforce.changed()


def reserve_new_work(world: Casework) -> None:
    """Split each agency's casework hours between ongoing packages and new work.

    New work is assessments and new starts; it gets the hours that ongoing packages and the
    week's other work leave, and at least ``workforce.reserved_share`` of the agency's casework
    hours. The other work still to come this week (coordination, negotiation, reassessment, the
    casework that partnership work takes beyond protected time) is not known yet: each agency
    plans with what it took last week.
    """
    world.ongoing = coordination.ongoing(world)  # (kept for this week's delivery)
    demand = world.ongoing.demand
    cap = world.workforce.casework_capacity()
    expected = world.workforce.overhead
    world.workforce.overhead = np.zeros_like(expected)
    world.new_hours = np.maximum(cap - demand - expected, world.params.workforce.reserved_share * cap)


def update_morale(world: Casework) -> None:
    """Update morale from overload and resentment, then draw leavers."""
    s, w = world.workforce.staff, world.params.workforce
    s.overloaded = s.in_post & (s.caseload > 1.1 * np.maximum(s.contracted, 1e-9))
    relief = 1.0 - world.params.loyalty.no_detriment_relief * world.policy.no_detriment
    morale = s.morale
    morale += w.morale_recovery * (1 - morale)
    morale -= s.overloaded * w.overload_morale_loss
    morale -= np.minimum(w.resentment_morale_loss * s.resentment * relief, 1.0) * morale
    np.minimum(np.maximum(morale, 0.0, out=morale), 1.0, out=morale)  # into [0, 1]
    p_leave = w.turnover_base + w.turnover_low_morale * (1 - morale)
    leavers = np.flatnonzero(s.in_post & (world.streams.workforce.random(s.n) < p_leave))
    if leavers.size:
        leave(world, leavers)


def leave(world: Casework, rows: np.ndarray) -> None:
    """Professionals in ``rows`` leave; their posts stay vacant for ``workforce.vacancy_weeks``."""
    s = world.workforce.staff
    for row in rows:
        world.workforce.fire(int(row))
    s.vacant_until[rows] = world.week + world.params.workforce.vacancy_weeks
    world.log.counters["leavers_week"] += rows.size
