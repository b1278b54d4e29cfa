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
systems, see :mod:`sim.mechanisms.coordination`). Otherwise the user waits in a's queue, tells
the story again and meets another professional.

Queues are served in priority order with each agency's assessment time,
``assessment.capacity_share`` of its casework hours (each assessment costs ``assessment.hours``).
Priority follows the agency's performance regime (see :func:`priority`): own indicators favour
cases that can still meet a "within four weeks" target; joint indicators favour people in or just
out of hospital.

Sources: Willis (000) on users assessed again and again and telling their story repeatedly;
Brereton & Clarke (002) on incompatible information systems and co-terminosity; Hudson (003) on
indicators steering effort.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import ASSESS, FUND, any_domain, cells, needs_where, split

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def priority(model: PartnershipModel, agencies: np.ndarray, users: np.ndarray) -> np.ndarray:
    """Priority score of the given users in their agencies' queues (higher goes first).

    Args:
        model: the model.
        agencies: the agency whose queue each user is in.
        users: user rows.

    Returns:
        Scores: weeks waited, plus severity, plus the regime's favourites, plus a random tiebreak.
    """
    pop = model.pop
    waited = model.week - pop.wait_start[users]
    jw = model.agency_joint_weight[agencies]
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
    """Run this week's assessments for every agency.

    All queues are handled at once: the (user, agency) referrals are sorted by agency and, within
    it, by priority, and each agency assesses the head of its queue, as far as its assessment time
    allows.
    """
    pop = model.pop
    rows = model.active
    users, doms = needs_where(rows, pop.stage.take(rows, axis=0) == ASSESS)
    if users.size == 0:
        return
    cell = cells(users, doms)
    agencies = pop.resp.ravel()[cell]
    informal = ~model.agency_statutory[agencies]
    # Voluntary and community partners take referrals without a formal assessment.
    if informal.any():
        pop.stage.ravel()[cell[informal]] = FUND
        users, agencies = users[~informal], agencies[~informal]
    # One referral per (user, agency), in order of user then agency.
    if users.size == 0:
        return
    n_ag = model.n_agencies
    pair = np.sort(users * n_ag + agencies)
    pair = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
    users, agencies = pair // n_ag, pair % n_ag
    # An agency takes the referral if it is the lead (it holds the user's first need) or if a
    # partner has already assessed (an onward referral).
    resp = pop.resp.take(users, axis=0)
    onward = any_domain(pop.assessed_by.take(users, axis=0) >= 0)
    lead = resp[np.arange(users.size), (resp >= 0).argmax(axis=1)] == agencies
    eligible = (onward | lead).nonzero()[0]
    users, agencies = users[eligible], agencies[eligible]
    accepted = _accept_partner(model, users, agencies)
    if accepted.any():
        _complete(model, users[accepted], agencies[accepted], assessor=None)
        users, agencies = users[~accepted], agencies[~accepted]
    if users.size == 0:
        return
    cost = model.params.assessment.hours
    order = np.lexsort((-priority(model, agencies, users), agencies))
    users, agencies = users[order], agencies[order]
    if cost > 0:
        place = np.arange(users.size) - agencies.searchsorted(agencies)  # 0 = head of its queue
        slots = model.params.assessment.capacity_share * model.casework_capacity() // cost
        chosen = (place < slots[agencies]).nonzero()[0]
        users, agencies = users[chosen], agencies[chosen]
        if users.size == 0:
            return
    model.new_hours = np.maximum(model.new_hours - cost * np.bincount(agencies, minlength=n_ag), 0.0)
    assessors = model.choose_staff(agencies, hours=cost)
    _complete(model, users, agencies, assessor=assessors)


def _accept_partner(model: PartnershipModel, users: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Whether each agency accepts the assessment a partner already made of the user."""
    pop = model.pop
    by = pop.assessed_by.take(users, axis=0)
    partner_ok = (by >= 0) & (by != agencies[:, None])
    has = any_domain(partner_ok)
    partner = np.maximum(by[np.arange(users.size), partner_ok.argmax(axis=1)], 0)
    trust = model.agency_trust[agencies, partner]
    loyalty = model.agency_loyalty[agencies]
    records = model.records[agencies, partner]
    team = model.params.assessment.team_sharing
    sharing = np.where(pop.alignment[users] > 0, team + (1.0 - team) * records, records)
    p = trust**model.params.assessment.trust_weight * (0.5 + 0.5 * loyalty) * sharing
    accepted = has & (model.rng.random(users.size) < p)
    n_accepted = int(np.count_nonzero(accepted))
    if n_accepted:
        model.counters["assessments_accepted"] += n_accepted
        model.trace(users, "partner's assessment accepted", agencies, where=accepted)
    return accepted


def _complete(model: PartnershipModel, users: np.ndarray, agencies: np.ndarray, assessor) -> None:
    """Move the needs each of ``agencies`` holds for ``users`` on to funding.

    With a professional ``assessor`` for each, this is an assessment; with ``assessor`` None, an
    accepted partner's assessment.
    """
    if users.size == 0:
        return
    pop = model.pop
    mine = (pop.resp.take(users, axis=0) == agencies[:, None]) & (pop.stage.take(users, axis=0) == ASSESS)
    k, doms = split(mine.ravel().nonzero()[0])
    cell = cells(users[k], doms)
    pop.stage.ravel()[cell] = FUND
    pop.assessed_by.ravel()[cell] = agencies[k]
    if assessor is not None:
        pop.key.ravel()[cell] = assessor[k]
        np.add.at(pop.assessments, users, 1)
        np.add.at(pop.professionals_met, users, 1)
        model.counters["assessments_week"] += users.size
        model.trace(users, "assessed", agencies, assessor, each_agency=True)
