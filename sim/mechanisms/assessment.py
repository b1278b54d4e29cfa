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

from sim.mechanisms import community
from sim.population import ASSESS, FUND, any_domain, cells

if TYPE_CHECKING:
    from sim.world import Casework


# The per-user counts are int32; np.add.at is several times faster with a value of that type.
_ONE = np.int32(1)


def priority(world: Casework, agencies: np.ndarray, users: np.ndarray) -> np.ndarray:
    """Priority score of the given users in their agencies' queues (higher goes first).

    Args:
        world: the model's state this mechanism touches.
        agencies: the agency whose queue each user is in.
        users: user rows.

    Returns:
        Scores: weeks waited (times ``assessment.wait_weight``), plus severity, plus the regime's
        favourites, plus a random tiebreak.
    """
    pop, week = world.pop, world.week
    waited = week - pop.wait_start.take(users)
    jw = world.agency_joint_weight.take(agencies)
    # In hospital, or discharged less than four weeks ago.
    hospital_side = pop.in_hospital.take(users)
    hospital_side |= pop.last_discharge.take(users) > week - 4
    # wait_weight waited + 5 severity + 10 jw hospital_side + 8 (1 - jw) [waited < 4] + a uniform draw,
    # added in that order, in place.
    score = 5.0 * pop.severity.take(users)
    score += world.params.assessment.wait_weight * waited
    term = 10.0 * jw
    term *= hospital_side
    score += term
    np.subtract(1.0, jw, out=term)
    term *= 8.0
    term *= waited < 4
    score += term
    score += world.streams.assessment.random(users.size)
    return score


def assess(world: Casework) -> None:
    """Run this week's assessments for every agency.

    All queues are handled at once: the (user, agency) referrals are sorted by agency and, within
    it, by priority, and each agency assesses the head of its queue, as far as its assessment time
    allows.
    """
    pop = world.pop
    rows = world.active
    # The needs awaiting assessment, as flat indices k into [rows, 4 domains]: row k >> 2, domain k & 3.
    k = (pop.stage.take(rows, axis=0) == ASSESS).ravel().nonzero()[0]
    if k.size == 0:
        return
    at = k >> 2
    cell = cells(rows[at], k & 3)
    held_by = pop.resp.ravel()[cell]
    # Voluntary and community partners (if any) take referrals without a formal assessment.
    if np.count_nonzero(world.agency_statutory) < world.n_agencies:
        statutory = world.agency_statutory[held_by]
        pop.stage.ravel()[cell[~statutory]] = FUND
        at, held_by, cell = at[statutory], held_by[statutory], cell[statutory]
        if at.size == 0:
            return
    # One referral per (user, agency), in order of user then agency: marked in a [rows, agency]
    # table, by the flat index ``pair``. ``ref`` is the referral of each need.
    n_ag = world.n_agencies
    pair = at * n_ag + held_by
    marked = np.zeros(rows.size * n_ag, bool)
    marked[pair] = True
    pairs = marked.nonzero()[0]
    ref = pairs.searchsorted(pair)
    at, agencies = np.divmod(pairs, n_ag)
    users = rows[at]
    # An agency takes the referral if it is the lead (it holds the user's first need) or if a
    # partner has already assessed (an onward referral).
    resp = pop.resp.take(users, axis=0)
    by = pop.assessed_by.take(users, axis=0)
    lead = resp[np.arange(users.size), (resp >= 0).argmax(axis=1)] == agencies
    taken = (any_domain(by >= 0) | lead).nonzero()[0]  # the referrals taken, as indices
    if taken.size == 0:
        return
    accepted = _accept_partner(world, users[taken], agencies[taken], by[taken])
    if np.count_nonzero(accepted):
        _complete(world, cell, held_by, ref, pairs.size, taken[accepted])
        taken = taken[~accepted]
        if taken.size == 0:
            return
    cost = world.params.assessment.hours + community.involvement_hours(world)
    queue = agencies[taken]
    order = np.lexsort((-priority(world, queue, users[taken]), queue))
    taken, queue = taken[order], queue[order]
    counts = np.bincount(queue, minlength=n_ag)
    if cost > 0:
        # The assessment team's share of casework, as far as the hours for new work allow.
        team = world.params.assessment.capacity_share * world.workforce.casework_capacity()
        slots = np.minimum(team, world.new_hours) // cost
        if np.count_nonzero(counts <= slots) < n_ag:  # a queue is longer than its agency can assess
            place = np.arange(taken.size) - queue.searchsorted(queue)  # 0 = head of its queue
            chosen = (place < slots[queue]).nonzero()[0]
            taken, queue = taken[chosen], queue[chosen]
            if taken.size == 0:
                return
            counts = np.bincount(queue, minlength=n_ag)
    world.new_hours = np.maximum(world.new_hours - cost * counts, 0.0)
    assessors = world.workforce.choose(queue, hours=cost)
    _complete(world, cell, held_by, ref, pairs.size, taken, assessors)
    users = users[taken]
    np.add.at(pop.assessments, users, _ONE)
    np.add.at(pop.professionals_met, users, _ONE)
    world.log.counters["assessments_week"] += users.size
    world.log.trace(users, "assessed", queue, assessors)


def reassess(world: Casework, users: np.ndarray, agencies: np.ndarray, professionals: np.ndarray) -> None:
    """``professionals`` of ``agencies`` assess ``users`` again, at a review.

    Each reassessment takes an assessment's hours of casework this week, and the user tells the
    story again (``assessments`` rises; the ``reassessments`` counter too).
    """
    if users.size == 0:
        return
    cost = world.params.assessment.hours + community.involvement_hours(world)
    world.workforce.charge_casework(professionals, cost)
    np.add.at(world.pop.assessments, users, _ONE)
    world.log.counters["reassessments_week"] += users.size
    world.log.counters["assessments_week"] += users.size
    world.log.trace(users, "assessed again at a review", agencies, professionals)


def reassess_after_admission(world: Casework, users: np.ndarray, hospital: np.ndarray) -> None:
    """Needs of readmitted ``users`` go back for assessment unless records travel with them.

    For each need held by a statutory agency ``a``, the agency relies on what the hospital
    (``hospital``, each user's acute trust) and its own records hold with chance ``R_a,acute *
    T_a,acute``; otherwise the need must be assessed again before the user can go home (it
    re-enters the assessment queue, and then funding).
    """
    pop = world.pop
    if users.size == 0:
        return
    resp = pop.resp.take(users, axis=0)
    live = (resp >= 0) & world.agency_statutory.take(np.maximum(resp, 0))
    pair = np.maximum(resp, 0) * world.n_agencies + hospital[:, None]
    rely = world.records.ravel().take(pair) * world.agency_trust.ravel().take(pair)
    again = live & (world.streams.assessment.random(resp.shape) >= rely)
    u, d = again.nonzero()
    if u.size == 0:
        return
    cell = cells(users[u], d)
    pop.stage.ravel()[cell] = ASSESS
    pop.assessed_by.ravel()[cell] = -1
    pop.panel_done.ravel()[cell] = False
    pop.wait_start[users[u]] = world.week
    world.log.trace(users[u], "to be assessed again after readmission", resp[u, d], needs=cell)


def _accept_partner(world: Casework, users: np.ndarray, agencies: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Whether each agency accepts the assessment a partner already made of the user.

    ``by`` is the users' rows of ``assessed_by``.
    """
    pop = world.pop
    partner_ok = (by >= 0) & (by != agencies[:, None])
    # The first such need (if any: argmax gives 0 when there is none).
    row, first = np.arange(users.size), partner_ok.argmax(axis=1)
    has, partner = partner_ok[row, first], by[row, first]  # (without one, p is unused)
    pair = agencies * world.n_agencies + partner  # flat index into [agency, agency] tables
    trust = world.agency_trust.ravel()[pair]
    records = world.records.ravel()[pair]
    loyalty = world.agency_loyalty[agencies]
    team = world.params.assessment.team_sharing
    sharing = np.where(pop.alignment[users] > 0, team + (1.0 - team) * records, records)
    weight = world.params.assessment.trust_weight
    p = (trust if weight == 1.0 else trust**weight) * (0.5 + 0.5 * loyalty) * sharing  # (x ** 1 is x)
    accepted = has & (world.streams.assessment.random(users.size) < p)
    if np.count_nonzero(accepted):
        world.log.trace(users, "partner's assessment accepted", agencies, where=accepted)
    return accepted


def _complete(
    world: Casework,
    cell: np.ndarray,
    held_by: np.ndarray,
    ref: np.ndarray,
    n_refs: int,
    done: np.ndarray,
    assessors: np.ndarray | None = None,
) -> None:
    """Move the needs of the referrals ``done`` on to funding.

    ``cell`` are the needs awaiting assessment, ``held_by`` the agency of each and ``ref`` its
    referral (of ``n_refs``). With a professional in ``assessors`` for each of ``done``, who becomes
    the key professional of those needs, this is an assessment; without, an accepted partner's
    assessment.
    """
    pop = world.pop
    is_done = np.zeros(n_refs, bool)
    is_done[done] = True
    mine = is_done[ref].nonzero()[0]  # the needs of the referrals done
    moved = cell[mine]
    pop.stage.ravel()[moved] = FUND
    pop.assessed_by.ravel()[moved] = held_by[mine]
    if assessors is not None:
        key = np.empty(n_refs, assessors.dtype)
        key[done] = assessors
        pop.key.ravel()[moved] = key[ref[mine]]
