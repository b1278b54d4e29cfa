"""Mechanism 2: assessment, and accepting a partner's assessment.

Each statutory agency responsible for one of a user's needs assesses the user once (one
assessment covers all the needs that agency holds). A referral goes first to a lead agency (the
one holding the user's first need in the order health, personal care, practical, social); the
others receive an onward referral once the lead has assessed. Each week an agency holding an
onward referral may accept the assessment already made by a partner, with chance

    p_accept = T[a, b] ** assessment.trust_weight * (0.5 + 0.5 L_a) * sharing
    sharing  = assessment.team_sharing + (1 - assessment.team_sharing) * R_ab
               if the same joint team covers the user (aligned boundaries), else R_ab

where ``T[a, b]`` is the mean trust of agency a's staff in the assessing agency b and ``L_a`` the
mean loyalty of a's staff (willingness to accept a partner's judgement), and ``R_ab`` the records
shared between the two (``policy.shared_records`` times the compatibility of their information
systems, see :mod:`sim.mechanisms.coordination`). Otherwise the user
waits in a's queue, tells the story again and meets another professional.

Queues are served in priority order with each agency's assessment time, ``assessment.capacity_share``
of its casework hours (each assessment costs ``assessment.hours``). Priority follows the agency's performance regime (see
:func:`priority`): own indicators favour cases that can still meet a "within four weeks" target;
joint indicators favour people in or just out of hospital.

Sources: Willis (000) on users assessed again and again and telling their story repeatedly;
Brereton & Clarke (002) on incompatible information systems and co-terminosity; Hudson (003) on
indicators steering effort.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ASSESS, FUND

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def priority(model: PartnershipModel, agency: int, users: np.ndarray) -> np.ndarray:
    """Priority score of the given users in an agency's queue (higher goes first).

    Args:
        model: the model.
        agency: agency index.
        users: user rows.

    Returns:
        Scores: weeks waited, plus severity, plus the regime's favourites, plus a random tiebreak.
    """
    pop = model.pop
    waited = model.week - pop.wait_start[users]
    jw = model.agency_joint_weight[agency]
    hospital_side = pop.in_hospital[users] | (model.week - pop.last_discharge[users] < 4)
    own_target = waited < 4
    return (
        waited
        + 5.0 * pop.severity[users]
        + 10.0 * jw * hospital_side
        + 8.0 * (1.0 - jw) * own_target
        + model.rng.random(users.size)
    )


def assess(model: PartnershipModel) -> None:
    """Run this week's assessments for every agency."""
    pop = model.pop
    rows = model.active
    u_idx, d_idx = np.nonzero(pop.stage[rows] == ASSESS)
    if u_idx.size == 0:
        return
    users = rows[u_idx]
    agencies = pop.resp[users, d_idx]
    informal = ~model.agency_statutory[agencies]
    # Voluntary and community partners take referrals without a formal assessment.
    pop.stage[users[informal], d_idx[informal]] = FUND
    users, agencies = users[~informal], agencies[~informal]
    pairs = np.unique(np.stack([users, agencies], axis=1), axis=0)
    if pairs.size == 0:
        return
    users, agencies = pairs[:, 0], pairs[:, 1]
    onward = (pop.assessed_by[users] >= 0).any(axis=1)
    lead = pop.resp[users, np.argmax(pop.resp[users] >= 0, axis=1)] == agencies
    eligible = onward | lead
    users, agencies = users[eligible], agencies[eligible]
    accepted = _accept_partner(model, users, agencies)
    _complete(model, users[accepted], agencies[accepted], assessor=None)
    users, agencies = users[~accepted], agencies[~accepted]
    cost = model.params.assessment.hours
    budget = model.params.assessment.capacity_share * model.casework_capacity()
    for a in np.unique(agencies):
        queue = users[agencies == a]
        n = int(min(queue.size, budget[a] // cost)) if cost > 0 else queue.size
        if n <= 0:
            continue
        chosen = queue[np.argsort(-priority(model, a, queue))[:n]]
        model.new_hours[a] = max(model.new_hours[a] - n * cost, 0.0)
        assessors = model.choose_staff(a, n, hours=cost)
        _complete(model, chosen, np.full(n, a), assessor=assessors)


def _accept_partner(model: PartnershipModel, users: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    pop = model.pop
    by = pop.assessed_by[users]
    partner_ok = (by >= 0) & (by != agencies[:, None])
    has = partner_ok.any(axis=1)
    partner = by[np.arange(users.size), np.argmax(partner_ok, axis=1)]
    trust = model.agency_trust[agencies, np.maximum(partner, 0)]
    loyalty = model.agency_loyalty[agencies]
    records = model.records[agencies, np.maximum(partner, 0)]
    team = model.params.assessment.team_sharing
    sharing = np.where(pop.alignment[users] > 0, team + (1.0 - team) * records, records)
    p = trust ** model.params.assessment.trust_weight * (0.5 + 0.5 * loyalty) * sharing
    accepted = has & (model.rng.random(users.size) < p)
    if accepted.any():
        model.counters["assessments_accepted"] += int(accepted.sum())
        model.trace(users[accepted], "partner's assessment accepted", agencies[accepted])
    return accepted


def _complete(model: PartnershipModel, users: np.ndarray, agencies: np.ndarray, assessor) -> None:
    if users.size == 0:
        return
    pop = model.pop
    mine = (pop.resp[users] == agencies[:, None]) & (pop.stage[users] == ASSESS)
    pop.stage[users] = np.where(mine, FUND, pop.stage[users])
    pop.assessed_by[users] = np.where(mine, agencies[:, None], pop.assessed_by[users])
    if assessor is not None:
        pop.key[users] = np.where(mine, assessor[:, None], pop.key[users])
        pop.assessments[users] += 1
        pop.professionals_met[users] += 1
        model.counters["assessments_week"] += users.size
        model.trace(users, "assessed", agencies, assessor)
