"""Mechanism 4: delivery and coordination of joint cases.

Professionals have limited hours. At the start of the week each agency sets aside for new work
(assessments and new packages) the hours its ongoing packages leave free, and at least
``workforce.reserved_share`` of its casework hours. Assessments and new starts, in priority
order, use that first; ongoing packages then get the casework hours left, and when those fall
short each package is delivered this week with chance hours left / hours needed. A user whose needs
are held by two or more agencies (or who is still in hospital) is a *joint case*: starting a
package, and each week's review with probability ``coordination.review_rate``, needs a
coordination between a professional of each of two agencies, costing both
``coordination.hours``. It succeeds with probability

    logit p = coordination.intercept + coordination.trust * T_ij
              + coordination.understanding * U_ij + coordination.records * R_ab * (T_ab + T_ba) / 2
              + coordination.alignment * alignment_u
              - coordination.culture * D_ij * (1 - culture.recognition_relief * culture_recognition)
              - coordination.extra_agency * (n_agencies - 2) + coordination.effort * E_ij

with ``R_ab`` the records shared between their agencies (``policy.shared_records`` times the
compatibility ``1 - |q_a - q_b|`` of their information systems' quality ``q``), counted as far as
the two agencies trust each other (times their mean mutual trust ``(T_ab + T_ba) / 2``, as records
count everywhere in the model: a partner's data is used only as far as it is trusted), ``T_ij`` their
mutual trust, ``U_ij`` their shared understanding of each other's profession,
``D_ij`` their cultural distance, and effort ``E_ij`` the mean of their loyalty and their
agencies' weight on joint indicators. Failure means delay (the package does not start, or a
week's service is missed), a duplicated visit (``coordination.failure_extra_hours``) and lost
well-being (``coordination.failure_wellbeing_loss``). Every attempt is recorded as an event
between the two professionals, which the relationship mechanisms consume. A week's starts and
reviews are coordinated together before delivery, so that the hours they take come out of the
casework that delivers packages that week (docs/ODD.md, 7.4).

Sources: Brereton & Clarke (002) on role clarity, workload and the three battles; Willis (000)
on shared understanding of terms; Glasby & Dickinson (004) on partnership as a means to an end
that can make outcomes worse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.mechanisms import assessment, community
from sim.population import N_DOMAINS, SERVED, SERVICE, cells, needs_where, put_rows, split

if TYPE_CHECKING:
    from sim.world import Casework, Delivery


def n_agencies(resp: np.ndarray, in_hospital: np.ndarray) -> np.ndarray:
    """Number of distinct agencies on each case (the acute trust while in hospital).

    Args:
        resp: ``[cases, 4]`` the agency responsible for each need of the user (-1: no need).
        in_hospital: whether each user is in hospital.

    Returns:
        The count for each case.
    """
    held = np.bitwise_or.reduce(np.left_shift(1, resp + 1), axis=1)  # one bit per agency; bit 0: none
    return np.bitwise_count(held >> 1) + in_hospital


def success_probability(
    world: Casework, i: np.ndarray, j: np.ndarray, alignment: np.ndarray, n_ag: np.ndarray
) -> np.ndarray:
    """Probability that professionals ``i`` and ``j`` coordinate a case.

    Args:
        world: the model's state this mechanism touches.
        i: professional rows of the first agency (the one holding the need).
        j: professional rows of the partner agency.
        alignment: the alignment of each case's locality (``Population.alignment``; 1 when one
            team covers it).
        n_ag: number of agencies on each case.

    Returns:
        Success probabilities in (0, 1).
    """
    s, c = world.workforce.staff, world.params.coordination
    n_agency, n_prof = world.n_agencies, s.understanding.shape[1]
    ai, aj = s.employer.take(i), s.employer.take(j)
    # The agency pair's terms, for all pairs at once (a few agencies): shared records, used as far
    # as the two agencies trust each other's (as for accepting an assessment), and the agencies'
    # weight on joint indicators (half of effort, which is itself averaged).
    jw = world.agency_joint_weight
    trusted = 0.5 * (world.agency_trust + world.agency_trust.T)
    pair = c.records * world.records * trusted + (0.25 * c.effort) * (jw[:, None] + jw)
    relief = world.params.culture.recognition_relief * world.policy.culture_recognition
    # Entries [i, aj] and the like are read from the flattened arrays (row * columns + column).
    trust, understanding = s.trust.ravel(), s.understanding.ravel()
    logit = trust.take(i * n_agency + aj)
    logit += trust.take(j * n_agency + ai)
    logit *= 0.5 * c.trust
    term = understanding.take(i * n_prof + s.profession.take(j))
    term += understanding.take(j * n_prof + s.profession.take(i))
    term *= 0.5 * c.understanding
    logit += term
    logit += pair.ravel().take(ai * n_agency + aj)
    logit += c.alignment * alignment
    logit -= c.culture * (1.0 - relief) * world.workforce.cultural_distance(i, j)
    logit -= c.extra_agency * np.maximum(n_ag - 2, 0)
    term = s.loyalty.take(i)
    term += s.loyalty.take(j)
    term *= 0.25 * c.effort
    logit += term
    logit += c.intercept
    # 1 / (1 + exp(-logit)), in place
    p = np.exp(np.negative(logit, out=logit), out=logit)
    p += 1.0
    return np.reciprocal(p, out=p)


def _partner(
    world: Casework, resp: np.ndarray, agencies: np.ndarray, in_hospital: np.ndarray, users: np.ndarray
) -> np.ndarray:
    """Another agency on each case (the acute trust of the user's health area while in hospital), or -1.

    The partner is the agency of one of the user's other needs (``resp``, ``[cases, 4]``), each of
    them equally likely.
    """
    other = resp != agencies[:, None]
    other &= resp >= 0
    score = world.streams.coordination.random(resp.shape)
    score *= other
    cell = np.arange(0, resp.size, N_DOMAINS) + score.argmax(axis=1)  # the highest-scoring other need
    pick = np.where(other.ravel()[cell], resp.ravel()[cell], -1)  # -1: no other agency on the case
    return np.where(in_hospital, world.acute_of.take(world.pop.health_area.take(users)), pick)


def _domain_held(resp: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """The first domain of each case (``resp``, ``[cases, 4]``) that ``agencies`` holds.

    Health if it holds none (as for the acute trust, whose part of the case is not a need).
    """
    return (resp == agencies[:, None]).argmax(axis=1)  # argmax: the first True, or 0 if none


def coordinate(
    world: Casework, users: np.ndarray, doms: np.ndarray, agencies: np.ndarray, reviews: int | None = None
) -> np.ndarray:
    """Attempt a coordination for each (user, domain) held by ``agencies``; return success.

    Only statutory agencies coordinate formally: a need held by a voluntary or community partner
    is light-touch support (a lunch club, a neighbour's help) and needs no coordination, and such
    a partner is never the other side of one. Users with no other statutory agency on the case
    need no coordination and succeed. Entries from index ``reviews`` on are reviews of ongoing
    packages: at each, the agency holding the need reassesses the user unless it takes the
    partner's records as they are (:func:`reassessed`).
    """
    ok = np.ones(users.size, bool)
    statutory = np.append(world.agency_statutory, False)  # a need without agency (-1) reads False
    resp = world.pop.resp.take(users, axis=0)
    resp = np.where(statutory.take(resp), resp, -1)
    in_hospital = world.pop.in_hospital[users]
    partner = _partner(world, resp, agencies, in_hospital, users)
    partner[~statutory.take(agencies)] = -1  # light-touch support: no coordination
    joint = (partner >= 0).nonzero()[0]
    if joint.size == 0:
        return ok
    u, d, a, b = users[joint], doms[joint], agencies[joint], partner[joint]
    resp = resp.take(joint, axis=0)
    # i holds the need at a; j holds b's part of the case. Both are looked up (or chosen) at once.
    doms_held = np.concatenate((d, _domain_held(resp, b)))
    key = world.pop.key.ravel()[cells(np.concatenate((u, u)), doms_held)]
    both = world.workforce.key_workers(key, np.concatenate((a, b)))
    i, j = both[: u.size], both[u.size :]
    p = success_probability(world, i, j, world.pop.alignment.take(u), n_agencies(resp, in_hospital[joint]))
    success = world.streams.coordination.random(u.size) < p
    fail = ~success
    c = world.params.coordination
    hours = c.hours + c.failure_extra_hours * fail  # a failure means a duplicated visit
    world.workforce.spend_partnership_hours(both, np.concatenate((hours, hours)))
    n_fail = int(np.count_nonzero(fail))
    if n_fail:
        np.subtract.at(world.pop.wellbeing, u[fail], c.failure_wellbeing_loss)
        world.log.counters["coordination_failures_week"] += n_fail
        world.log.trace(u, "coordination failed", a, i, where=fail, needs=cells(u, d))
    world.log.counters["coordinations_week"] += u.size
    world.log.joint_case(i, j, success, u)
    if reviews is not None:
        at_review = joint >= reviews
        again = at_review & reassessed(world, a, b)
        if np.count_nonzero(again):
            assessment.reassess(world, u[again], a[again], i[again])
    ok[joint] = success
    return ok


def reassessed(world: Casework, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether agency ``a`` reassesses a user at a review rather than rely on partner ``b``'s records.

    A review needs a fresh assessment with chance ``assessment.review_reassess``; the agency
    then relies on the partner's records instead with chance ``R_ab * T_ab`` (they must be shared
    and trusted), and otherwise assesses the user again.
    """
    pair = a * world.n_agencies + b
    rely = world.records.ravel().take(pair) * world.agency_trust.ravel().take(pair)
    u = world.streams.coordination.random((2, a.size))
    return (u[0] < world.params.assessment.review_reassess) & (u[1] >= rely)


def _start_candidates(world: Casework) -> tuple[np.ndarray, ...]:
    """The funded needs that start this week if their coordination succeeds.

    Every agency's queue is handled at once: the needs awaiting service are sorted by agency and,
    within it, by priority; a need is a candidate if the hours of its agency's needs up to and
    including it fit in the agency's reserve for new work. Those hours are taken off the reserve.

    Returns:
        ``(users, doms, cells, agencies)`` of the candidates, in that order.
    """
    pop = world.pop
    rows = world.active
    users, doms = needs_where(rows, pop.stage.take(rows, axis=0) == SERVICE)
    cell = cells(users, doms)
    agencies = pop.resp.ravel()[cell]
    if users.size == 0:
        return users, doms, cell, agencies
    order = np.lexsort((-assessment.priority(world, agencies, users), agencies))
    users, doms, cell, agencies = users[order], doms[order], cell[order], agencies[order]
    hours = pop.hours.ravel()[cell] * community.waste(world)
    queued = np.cumsum(hours)
    earlier = np.concatenate(([0.0], queued))[agencies.searchsorted(agencies)]  # other agencies' hours
    fits = (queued - earlier <= world.new_hours[agencies]).nonzero()[0]
    world.new_hours -= np.bincount(agencies[fits], weights=hours[fits], minlength=world.n_agencies)
    return users[fits], doms[fits], cell[fits], agencies[fits]


def _start(world: Casework, users: np.ndarray, cell: np.ndarray, agencies: np.ndarray) -> None:
    """Start the packages whose coordination succeeded: a key worker is chosen, the need is served."""
    pop = world.pop
    staff = world.workforce.choose(agencies)
    _count_new_professionals(world, users, agencies, pop.key.ravel()[cell] != staff)
    pop.key.ravel()[cell] = staff
    pop.stage.ravel()[cell] = SERVED
    world.log.trace(users, "service started", agencies, staff, needs=cell)


def _count_new_professionals(
    world: Casework, users: np.ndarray, agencies: np.ndarray, new: np.ndarray
) -> None:
    """Raise ``professionals_met`` for the users whose new key worker is ``new`` to them.

    At most once per user and agency a week: the last of the user's packages with that agency (in
    priority order) says whether she met someone new.
    """
    if users.size == 0:
        return
    pair = users * world.n_agencies + agencies
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    last = order[np.concatenate((pair[1:] != pair[:-1], [True]))]
    np.add.at(world.pop.professionals_met, users[last], new[last])


class Ongoing(NamedTuple):
    """The week's ongoing packages (see :func:`ongoing`)."""

    at_home: np.ndarray  # whether each active user (``world.active``) is at home
    home: np.ndarray  # the rows of those users
    local: np.ndarray  # each package's cell in a [home, 4] block
    users: np.ndarray  # each package's user row
    doms: np.ndarray  # its domain
    cells: np.ndarray  # its cell in the per-need arrays
    agencies: np.ndarray  # the agency providing it
    hours: np.ndarray  # its casework hours a week
    demand: np.ndarray  # the hours of ongoing packages per agency


def ongoing(world: Casework) -> Ongoing:
    """The ongoing packages: served needs of users at home, not self-funded, and their hours.

    Computed once a week, when each agency sets aside its hours for new work
    (:func:`sim.mechanisms.workforce.reserve_new_work`), and kept as ``world.ongoing`` for
    :func:`deliver`: the assessments and funding decisions in between start no package and end
    none (a self-funder's need becomes served, but is not among these), and no one is admitted
    or discharged.
    """
    pop = world.pop
    rows = world.active
    at_home = ~pop.in_hospital.take(rows)
    home = rows[at_home]
    served = pop.stage.take(home, axis=0) == SERVED
    served &= pop.funder.take(home, axis=0) != world.SELF
    local = served.ravel().nonzero()[0]
    users, doms = split(local)
    users = home.take(users)
    cell = cells(users, doms)
    agencies = pop.resp.ravel().take(cell)
    hours = pop.hours.ravel().take(cell) * community.waste(world)
    demand = np.bincount(agencies, weights=hours, minlength=world.n_agencies)
    return Ongoing(at_home, home, local, users, doms, cell, agencies, hours, demand)


class Coordinated(NamedTuple):
    """This week's coordinated work (see :func:`coordinate_week`), kept for :func:`deliver`."""

    start_users: np.ndarray  # the candidates to start, in priority order
    start_doms: np.ndarray
    start_cells: np.ndarray
    start_agencies: np.ndarray
    started: np.ndarray  # whether each candidate's coordination succeeded (it starts)
    missed: np.ndarray  # the ongoing packages (indices into ``world.ongoing``) whose review failed


def coordinate_week(world: Casework) -> None:
    """Coordinate this week's new starts and reviews of joint cases, and start those agreed.

    Runs before delivery, so that every hour spent coordinating (and on a duplicated visit after a
    failure, or a reassessment at a review) comes out of the casework hours that deliver packages
    this same week. Keeps what it did as ``world.coordinated`` for :func:`deliver`.
    """
    start_users, start_doms, start_cells, start_agencies = _start_candidates(world)
    n = start_users.size
    og = world.ongoing
    # Reviews of ongoing packages: each with chance review_rate, at most one per user.
    review = (
        world.streams.coordination.random(og.users.size) < world.params.coordination.review_rate
    ).nonzero()[0]
    if review.size:
        reviewed = og.users[review]
        review = review[np.concatenate(([True], reviewed[1:] != reviewed[:-1]))]  # needs come sorted by user
    ok = coordinate(
        world,
        np.concatenate((start_users, og.users[review])),
        np.concatenate((start_doms, og.doms[review])),
        np.concatenate((start_agencies, og.agencies[review])),
        reviews=n,
    )
    started = ok[:n]
    _start(world, start_users[started], start_cells[started], start_agencies[started])
    world.coordinated = Coordinated(
        start_users, start_doms, start_cells, start_agencies, started, review[~ok[n:]]
    )


def deliver(world: Delivery) -> None:
    """Deliver this week's services with the casework hours left after this week's other work.

    Ongoing packages and those started this week (:func:`coordinate_week`) share each agency's
    casework hours left once assessments, negotiations, meetings, training and coordination
    have taken theirs; a package whose review failed misses this week's service. Then each
    package's cost is charged to its funder.
    """
    pop, s = world.pop, world.workforce.staff
    c = world.coordinated
    rows = world.active
    at_home, home, local, users, doms, cell, agencies, hours, _ = world.ongoing
    waste = community.waste(world)
    # This week's starts whose package is delivered at home (not self-funded).
    new = c.started & at_home[rows.searchsorted(c.start_users)]
    new &= pop.funder.ravel()[c.start_cells] != world.SELF
    new = new.nonzero()[0]
    new_local = home.searchsorted(c.start_users[new]) * N_DOMAINS + c.start_doms[new]
    new_hours = pop.hours.ravel()[c.start_cells[new]] * waste
    local = np.concatenate((local, new_local))
    cell = np.concatenate((cell, c.start_cells[new]))
    agencies = np.concatenate((agencies, c.start_agencies[new]))
    hours = np.concatenate((hours, new_hours))

    # Delivery within each agency's casework hours left this week.
    cap = world.workforce.casework_capacity()
    demand = np.bincount(agencies, weights=hours, minlength=world.n_agencies)
    short = demand > cap
    if short.any():
        share = np.where(short, cap / np.where(short, demand, 1.0), 1.0)
        delivered = world.streams.coordination.random(agencies.size) < share[agencies]
    else:
        delivered = np.ones(agencies.size, bool)
    delivered[c.missed] = False  # a failed review: this week's service is missed
    world.workforce.use_casework(np.minimum(demand, cap))
    key = pop.key.ravel()[cell]
    s.caseload[:] = np.bincount(np.maximum(key, 0), weights=hours * (key >= 0), minlength=s.n)
    world.workforce.changed()

    # A need is met if delivered this week; self-funded needs always are.
    met = pop.stage.take(home, axis=0) == SERVED
    met &= pop.funder.take(home, axis=0) == world.SELF
    met.ravel()[local[delivered]] = True
    put_rows(pop.met, home, met)
    _pay(world, hours, agencies, pop.funder.ravel()[cell])


def _pay(world: Delivery, hours: np.ndarray, agencies: np.ndarray, funder: np.ndarray) -> None:
    """Charge this week's package costs to each funder (an agency or the pool).

    Args:
        world: the model's state this mechanism touches.
        hours: casework hours a week of each package.
        agencies: the agency providing each package.
        funder: who pays for each package: an agency, or ``world.POOL``.
    """
    # No early return for a week without packages: its spend is 0, and the pool's spending rate
    # decays towards it.
    cost = community.weekly_cost(world, hours, agencies)
    by_funder = np.bincount(funder, weights=cost, minlength=world.POOL + 1)  # the pool is the last
    pooled, by_agency = by_funder[world.POOL], by_funder[: world.POOL]
    world.pool_balance -= pooled
    world.pool_spend_rate += 0.1 * (pooled - world.pool_spend_rate)
    world.agency_balance -= by_agency
    world.agency_ytd_spend += by_agency
    total = float(by_funder.sum())
    world.money["spent"] += total
    world.week_spend = total
